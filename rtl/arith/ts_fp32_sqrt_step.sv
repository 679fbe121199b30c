// SPDX-License-Identifier: Apache-2.0
// Digits steps of the radix-2 restoring square-root recurrence (combinational).
//
// Each step brings the next two radicand bits into the remainder, subtracts the trial
// value 4 * root + 1 when it fits and shifts the root bit in at the bottom of root.
// The iterative square root uses one step per cycle, the pipelined one Digits per stage.
`include "ts_assert.svh"

module ts_fp32_sqrt_step #(
  parameter int unsigned Digits = 1
) (
  input  logic [29:0] rem_i,   // partial remainder (< 2^28 for a 27-bit root)
  input  logic [25:0] rad_i,   // radicand bits not consumed yet, next pair at the top
  input  logic [26:0] root_i,  // root bits so far, newest at bit 0
  output logic [29:0] rem_o,
  output logic [25:0] rad_o,
  output logic [26:0] root_o
);

  logic [29:0] rem, rem_sh, trial;
  logic [25:0] rad;
  logic [26:0] root;
  logic        r_bit;

  always_comb begin
    rem  = rem_i;
    rad  = rad_i;
    root = root_i;
    for (int unsigned d = 0; d < Digits; d++) begin
      rem_sh = {rem[27:0], rad[25:24]};
      trial  = {1'b0, root, 2'b01};
      r_bit  = (rem_sh >= trial);
      rem    = r_bit ? (rem_sh - trial) : rem_sh;
      root   = {root[25:0], r_bit};
      rad    = {rad[23:0], 2'b00};
    end
    rem_o  = rem;
    rad_o  = rad;
    root_o = root;
  end

  // Assertions
  `TS_ASSERT_INIT(a_digits, Digits >= 1 && Digits <= 27, "Digits must be 1..27")

endmodule
