// SPDX-License-Identifier: Apache-2.0
// FP32 max / min (combinational): NaN -> canonical qNaN (NV if signalling), -0 < +0.
//
// The operands are ordered as reals with -0 below +0, so max(-0, +0) = +0 and
// min(-0, +0) = -0 (golden::vec_max / vec_min, docs/vec.md).
module ts_vec_minmax (
  input  logic                     min_i,     // 0: max, 1: min
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic a_nan, b_nan, a_snan, b_snan, a_lt_b;

  always_comb begin
    a_nan  = (a_i[30:0] > 31'h7f800000);
    b_nan  = (b_i[30:0] > 31'h7f800000);
    a_snan = a_nan && !a_i[22];
    b_snan = b_nan && !b_i[22];
    if (a_i[31] != b_i[31]) begin
      a_lt_b = a_i[31];
    end else if (a_i[31]) begin
      a_lt_b = (a_i[30:0] > b_i[30:0]);
    end else begin
      a_lt_b = (a_i[30:0] < b_i[30:0]);
    end
    flags_o = '0;
    if (a_nan || b_nan) begin
      res_o = 32'h7fc00000;
      flags_o[ts_pkg::FlagNv] = a_snan || b_snan;
    end else if (a_lt_b != min_i) begin
      res_o = b_i;
    end else begin
      res_o = a_i;
    end
  end

endmodule
