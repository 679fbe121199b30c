// SPDX-License-Identifier: Apache-2.0
// FP32 multiplier: IEEE-754 RNE, subnormals in and out, canonical NaN, IEEE flags.
//
// Latency = Stages (0: combinational). With Stages >= 2 the first register is cut into the
// datapath after the significand product (ts_fp_mul_core Cut), the others are at the output.
module ts_fp32_mul #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic        a_nan, a_snan, a_inf, a_zero, b_nan, b_snan, b_inf, b_zero;
  logic [7:0]  ea, eb;
  logic [23:0] ma, mb;
  logic [31:0] res_d;
  logic        core_valid;
  logic [ts_pkg::FlagW-1:0] flags_d;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea), .mant_o(ma)
  );
  ts_fp32_unpack u_unpack_b (
    .mag_i(b_i[30:0]), .nan_o(b_nan), .snan_o(b_snan), .inf_o(b_inf), .zero_o(b_zero),
    .exp_eff_o(eb), .mant_o(mb)
  );

  ts_fp_mul_core #(.MantW(24), .Cut(Stages >= 2)) u_core (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .valid_i (in_valid_i),
    .sign_i  (a_i[31] ^ b_i[31]),
    .ea_i    ({1'b0, ea}),
    .eb_i    ({1'b0, eb}),
    .ma_i    (ma),
    .mb_i    (mb),
    .a_nan_i (a_nan),
    .a_snan_i(a_snan),
    .a_inf_i (a_inf),
    .a_zero_i(a_zero),
    .b_nan_i (b_nan),
    .b_snan_i(b_snan),
    .b_inf_i (b_inf),
    .b_zero_i(b_zero),
    .valid_o (core_valid),
    .res_o   (res_d),
    .flags_o (flags_d)
  );

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth((Stages >= 2) ? Stages - 1 : Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(core_valid),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
