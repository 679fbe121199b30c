// SPDX-License-Identifier: Apache-2.0
// Result of a divider or square root: the special result, or the rounded recurrence.
//
// Shared by ts_fp32_div, ts_fp32_sqrt and their pipelined forms. mant_i is the 27-bit
// quotient or root with the final remainder already ORed into bit 0 (sticky).
module ts_fp32_divsqrt_post (
  input  logic                     sign_i,
  input  logic                     spec_i,
  input  logic                     spec_nan_i,
  input  logic                     spec_inf_i,
  input  logic [ts_pkg::FlagW-1:0] spec_flags_i,
  input  logic signed [11:0]       exp_i,
  input  logic [26:0]              mant_i,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic [31:0] rnd_res, spec_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign_i),
    .exp_i  (exp_i),
    .mant_i (mant_i),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  assign spec_res = spec_nan_i ? ts_pkg::Fp32QNan
                               : {sign_i, {8{spec_inf_i}}, 23'd0};
  assign res_o    = spec_i ? spec_res : rnd_res;
  assign flags_o  = spec_i ? spec_flags_i : rnd_flags;

endmodule
