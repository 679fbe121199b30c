// SPDX-License-Identifier: Apache-2.0
// Clock gate: latch-based integrated clock gate (the only latch in the design).
//
// The enable is captured by a latch transparent while the clock is low, so clk_o can only
// change on a rising edge of clk_i: no glitch whatever en_i does during the high phase.
// test_en_i forces the clock on (scan). Bypass = 1 passes the clock through (FPGA flows,
// where fabric clock gating is not wanted; the unit then simply runs every cycle). An
// ASIC flow swaps this module for the library's ICG cell.
module ts_clock_gate #(
  parameter bit Bypass = 1'b0
) (
  input  logic clk_i,
  input  logic en_i,
  input  logic test_en_i,
  output logic clk_o
);

  if (Bypass) begin : g_bypass
    logic unused_en;
    assign unused_en = en_i ^ test_en_i;
    assign clk_o     = clk_i;
  end else begin : g_icg
    logic en_latch;
    always_latch begin
      if (!clk_i) en_latch = en_i || test_en_i;
    end
    assign clk_o = clk_i && en_latch;
  end

endmodule
