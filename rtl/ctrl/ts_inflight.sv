// SPDX-License-Identifier: Apache-2.0
// Two in-flight slots of a command queue (docs/isa.md "Overlap"): a command that has left
// its queue for its unit and has not yet completed. Units complete in command order, so the
// slots form a two-entry FIFO: start_i fills the free slot (tail_o) with data_i, done_i
// empties the oldest (head). The controller never starts a third (two_o) and completes only
// while one is in flight (any_o); both may happen in one cycle.
`include "ts_assert.svh"

module ts_inflight #(
  parameter int unsigned W = 16   // per-command data kept while in flight
) (
  input  logic           clk_i,
  input  logic           rst_ni,
  input  logic           start_i,
  input  logic [W-1:0]   data_i,
  input  logic           done_i,
  output logic [1:0]     valid_o,   // per slot
  output logic [2*W-1:0] data_o,    // per slot
  output logic [W-1:0]   head_o,    // the oldest command's data
  output logic           any_o,
  output logic           two_o
);

  logic [1:0]     v_q;
  logic           hd_q, tail;
  logic [2*W-1:0] d_q;

  assign tail    = v_q[hd_q] ? !hd_q : hd_q;
  assign valid_o = v_q;
  assign any_o   = (v_q != 2'b00);
  assign two_o   = (v_q == 2'b11);
  assign data_o  = d_q;
  assign head_o  = d_q[hd_q*W +: W];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q  <= 2'b00;
      hd_q <= 1'b0;
    end else begin
      if (done_i) begin
        v_q[hd_q] <= 1'b0;
        hd_q      <= !hd_q;
      end
      if (start_i) v_q[tail] <= 1'b1;  // tail != hd_q whenever done_i is set too
    end
  end

  // Data: loaded at start, not reset.
  always_ff @(posedge clk_i) begin
    if (start_i) d_q[tail*W +: W] <= data_i;
  end

  `TS_ASSERT(a_no_third, !(start_i && two_o), clk_i, rst_ni,
             "a third command started while two are in flight")
  `TS_ASSERT(a_done_in_flight, !(done_i && !any_o), clk_i, rst_ni,
             "completion with no command in flight")

endmodule
