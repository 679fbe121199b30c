// SPDX-License-Identifier: Apache-2.0
// Digits steps of the radix-2 restoring division recurrence (combinational).
//
// Each step compares the partial remainder with the divisor, subtracts when it fits,
// shifts the quotient bit in at the bottom of quo and doubles the remainder. The
// iterative divider uses one step per cycle, the pipelined one Digits per stage.
`include "ts_assert.svh"

module ts_fp32_div_step #(
  parameter int unsigned Digits = 1
) (
  input  logic [24:0] rem_i,   // partial remainder, < 2 * dvs_i
  input  logic [23:0] dvs_i,   // normalised divisor (bit 23 set)
  input  logic [26:0] quo_i,   // quotient bits so far, newest at bit 0
  output logic [24:0] rem_o,
  output logic [26:0] quo_o
);

  logic [24:0] rem;
  logic [23:0] rem_sub;
  logic [26:0] quo;
  logic        q_bit;

  always_comb begin
    rem = rem_i;
    quo = quo_i;
    for (int unsigned d = 0; d < Digits; d++) begin
      q_bit = (rem >= {1'b0, dvs_i});
      // rem < 2 * divisor: the difference, or rem itself when smaller, fits 24 bits.
      rem_sub = q_bit ? 24'(rem - {1'b0, dvs_i}) : rem[23:0];
      rem     = {rem_sub, 1'b0};
      quo     = {quo[25:0], q_bit};
    end
    rem_o = rem;
    quo_o = quo;
  end

  // Assertions
  `TS_ASSERT_INIT(a_digits, Digits >= 1 && Digits <= 27, "Digits must be 1..27")

endmodule
