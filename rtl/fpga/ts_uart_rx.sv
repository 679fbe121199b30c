// SPDX-License-Identifier: Apache-2.0
// UART receiver, 8N1, ClkDiv clock cycles per bit: 2-flop synchronised input, start bit
// confirmed at its middle, data and stop bits sampled at their middles.
//
// A byte is offered on data_o with valid_o until ready_i takes it. A byte that arrives
// while the previous one is still held is dropped and pulses overrun_o; a byte whose stop
// bit reads 0 is dropped and pulses frame_err_o (the receiver then waits for the line to
// go high before it looks for the next start bit, so a break does not read as 0x00 bytes).
`include "ts_assert.svh"

module ts_uart_rx #(
  parameter int unsigned ClkDiv = 104,
  localparam int unsigned CntW  = $clog2(ClkDiv + 1)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       rx_i,
  output logic       valid_o,
  input  logic       ready_i,
  output logic [7:0] data_o,
  output logic       overrun_o,
  output logic       frame_err_o
);

  localparam logic [CntW-1:0] Full = CntW'(ClkDiv - 1);
  localparam logic [CntW-1:0] Half = CntW'(ClkDiv / 2 - 1);

  typedef enum logic [1:0] {
    StIdle,
    StStart,
    StData,
    StStop
  } state_e;

  state_e          state_q, state_d;
  logic [1:0]      sync_q;
  logic            rx;
  logic [CntW-1:0] cnt_q, cnt_d;
  logic [2:0]      bit_q, bit_d;
  logic [7:0]      shift_q, shift_d;
  logic            valid_q, valid_d;
  logic [7:0]      data_q, data_d;
  logic            overrun_q, overrun_d, ferr_q, ferr_d;
  logic            brk_q, brk_d;  // after a framing error: wait for the line to idle high

  // The line idles high; the synchroniser resets to idle so reset release is not a start bit.
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      sync_q <= 2'b11;
    end else begin
      sync_q <= {sync_q[0], rx_i};
    end
  end
  assign rx = sync_q[1];

  always_comb begin
    state_d   = state_q;
    cnt_d     = cnt_q;
    bit_d     = bit_q;
    shift_d   = shift_q;
    valid_d   = valid_q && !ready_i;
    data_d    = data_q;
    overrun_d = 1'b0;
    ferr_d    = 1'b0;
    brk_d     = brk_q && !rx;
    unique case (state_q)
      StIdle: begin
        if (!rx && !brk_q) begin
          state_d = StStart;
          cnt_d   = Half;
        end
      end
      StStart: begin
        if (cnt_q != '0) begin
          cnt_d = cnt_q - 1'b1;
        end else if (rx) begin
          state_d = StIdle;  // a glitch, not a start bit
        end else begin
          state_d = StData;
          cnt_d   = Full;
          bit_d   = '0;
        end
      end
      StData: begin
        if (cnt_q != '0) begin
          cnt_d = cnt_q - 1'b1;
        end else begin
          shift_d = {rx, shift_q[7:1]};  // LSB first
          cnt_d   = Full;
          bit_d   = bit_q + 1'b1;
          if (bit_q == 3'd7) state_d = StStop;
        end
      end
      StStop: begin
        if (cnt_q != '0) begin
          cnt_d = cnt_q - 1'b1;
        end else begin
          state_d = StIdle;
          if (!rx) begin
            ferr_d = 1'b1;
            brk_d  = 1'b1;
          end else if (valid_q && !ready_i) begin
            overrun_d = 1'b1;
          end else begin
            valid_d = 1'b1;
            data_d  = shift_q;
          end
        end
      end
      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q   <= StIdle;
      cnt_q     <= '0;
      bit_q     <= '0;
      valid_q   <= 1'b0;
      overrun_q <= 1'b0;
      ferr_q    <= 1'b0;
      brk_q     <= 1'b0;
    end else begin
      state_q   <= state_d;
      cnt_q     <= cnt_d;
      bit_q     <= bit_d;
      valid_q   <= valid_d;
      overrun_q <= overrun_d;
      ferr_q    <= ferr_d;
      brk_q     <= brk_d;
    end
  end

  // Datapath: no reset.
  always_ff @(posedge clk_i) begin
    shift_q <= shift_d;
    data_q  <= data_d;
  end

  assign valid_o     = valid_q;
  assign data_o      = data_q;
  assign overrun_o   = overrun_q;
  assign frame_err_o = ferr_q;

  // Assertions
  `TS_ASSERT_INIT(a_clk_div, ClkDiv >= 4, "ClkDiv must be at least 4 clocks per bit")

endmodule
