// SPDX-License-Identifier: Apache-2.0
// UART transmitter, 8N1, ClkDiv clock cycles per bit; takes one byte per valid/ready
// handshake and sends start bit, 8 data bits (LSB first), stop bit.
`include "ts_assert.svh"

module ts_uart_tx #(
  parameter int unsigned ClkDiv = 104,
  localparam int unsigned CntW  = $clog2(ClkDiv + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       valid_i,
  output logic       ready_o,
  input  logic [7:0] data_i,
  output logic       tx_o
);

  localparam logic [CntW-1:0] Full = CntW'(ClkDiv - 1);

  logic            busy_q, busy_d;
  logic [CntW-1:0] cnt_q, cnt_d;
  logic [3:0]      bit_q, bit_d;
  logic [9:0]      shift_q, shift_d;  // {stop, data, start}, shifted out LSB first

  assign ready_o = !busy_q;

  always_comb begin
    busy_d  = busy_q;
    cnt_d   = cnt_q;
    bit_d   = bit_q;
    shift_d = shift_q;
    if (!busy_q) begin
      if (valid_i) begin
        busy_d  = 1'b1;
        cnt_d   = Full;
        bit_d   = '0;
        shift_d = {1'b1, data_i, 1'b0};
      end
    end else if (cnt_q != '0) begin
      cnt_d = cnt_q - 1'b1;
    end else begin
      cnt_d   = Full;
      shift_d = {1'b1, shift_q[9:1]};
      bit_d   = bit_q + 1'b1;
      if (bit_q == 4'd9) busy_d = 1'b0;
    end
  end

  // The shift register is reset to all ones: the line idles high from reset on.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q  <= 1'b0;
      cnt_q   <= '0;
      bit_q   <= '0;
      shift_q <= '1;
    end else begin
      busy_q  <= busy_d;
      cnt_q   <= cnt_d;
      bit_q   <= bit_d;
      shift_q <= shift_d;
    end
  end

  assign tx_o = shift_q[0];

  // Assertions
  `TS_ASSERT_INIT(a_clk_div, ClkDiv >= 4, "ClkDiv must be at least 4 clocks per bit")
  `TS_ASSERT(a_hold, valid_i && !ready_o |=> valid_i && $stable(data_i), clk_i, rst_ni,
             "valid_i dropped or data_i changed before the handshake")

endmodule
