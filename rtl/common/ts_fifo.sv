// SPDX-License-Identifier: Apache-2.0
// Synchronous FIFO: push/pop in the same cycle, flush empties it; storage is not reset.
`include "ts_assert.svh"

module ts_fifo #(
  parameter int unsigned Width = 8,
  parameter int unsigned Depth = 4,
  localparam int unsigned PtrW = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned CntW = $clog2(Depth + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             flush_i,
  input  logic             push_i,
  input  logic [Width-1:0] data_i,
  input  logic             pop_i,
  output logic [Width-1:0] data_o,
  output logic             empty_o,
  output logic             full_o,
  output logic [CntW-1:0]  count_o
);

  logic [Width-1:0] mem_q [Depth];
  logic [PtrW-1:0]  rd_q, wr_q, rd_d, wr_d;
  logic [CntW-1:0]  cnt_q, cnt_d;

  always_comb begin
    rd_d  = rd_q;
    wr_d  = wr_q;
    cnt_d = cnt_q;
    if (push_i) begin
      wr_d  = (int'(wr_q) == Depth - 1) ? '0 : wr_q + 1'b1;
      cnt_d = cnt_d + 1'b1;
    end
    if (pop_i) begin
      rd_d  = (int'(rd_q) == Depth - 1) ? '0 : rd_q + 1'b1;
      cnt_d = cnt_d - 1'b1;
    end
    if (flush_i) begin
      rd_d  = '0;
      wr_d  = '0;
      cnt_d = '0;
    end
  end

  assign data_o  = mem_q[rd_q];
  assign empty_o = (cnt_q == '0);
  assign full_o  = (int'(cnt_q) == Depth);
  assign count_o = cnt_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_q  <= '0;
      wr_q  <= '0;
      cnt_q <= '0;
    end else begin
      rd_q  <= rd_d;
      wr_q  <= wr_d;
      cnt_q <= cnt_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (push_i) begin
      mem_q[wr_q] <= data_i;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_depth, Depth >= 2, "Depth must be at least 2")
  `TS_ASSERT(a_no_overflow, !(push_i && full_o && !pop_i) || flush_i, clk_i, rst_ni,
             "push into a full FIFO")
  `TS_ASSERT(a_no_underflow, !(pop_i && empty_o) || flush_i, clk_i, rst_ni,
             "pop from an empty FIFO")

endmodule
