// SPDX-License-Identifier: Apache-2.0
// FP multiply into FP32: significand product, normalisation, RNE, specials.
//
// Shared by ts_fp32_mul (24-bit significands) and ts_fp_mul16 (11-bit significands of
// FP16 or BF16). Operands arrive unpacked: significand with hidden bit (MantW bits,
// MantW - 1 fraction bits) and effective exponent biased as FP32 (127). Cut = 0:
// combinational (valid_o = valid_i, clk_i unused). Cut = 1: one register stage after the
// significand product (the DSP multiplier), before normalisation and rounding; latency 1.
`include "ts_assert.svh"

module ts_fp_mul_core #(
  parameter int unsigned MantW = 24,
  parameter bit          Cut   = 1'b0,
  localparam int unsigned PW   = 2 * MantW
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     valid_i,
  input  logic                     sign_i,
  input  logic [8:0]               ea_i,
  input  logic [8:0]               eb_i,
  input  logic [MantW-1:0]         ma_i,
  input  logic [MantW-1:0]         mb_i,
  input  logic                     a_nan_i,
  input  logic                     a_snan_i,
  input  logic                     a_inf_i,
  input  logic                     a_zero_i,
  input  logic                     b_nan_i,
  input  logic                     b_snan_i,
  input  logic                     b_inf_i,
  input  logic                     b_zero_i,
  output logic                     valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned LzW = $clog2(PW + 1);
  localparam int unsigned SpW = 1 + 32 + ts_pkg::FlagW;  // special result: hit, value, flags

  // ------------------------------------------------------------------ product, specials
  logic [PW-1:0]      prod_a;
  logic signed [11:0] esum_a;
  logic [SpW-1:0]     sp_a;

  assign prod_a = ma_i * mb_i;
  assign esum_a = $signed({3'b0, ea_i}) + $signed({3'b0, eb_i}) - 12'sd126;

  assign sp_a = ts_pkg::fp32_special(a_nan_i || b_nan_i, a_snan_i || b_snan_i,
                                     (a_inf_i && b_zero_i) || (b_inf_i && a_zero_i),
                                     a_inf_i || b_inf_i, sign_i);

  // ------------------------------------------------------------------ cut
  logic [PW-1:0]      prod;
  logic signed [11:0] esum;
  logic [SpW-1:0]     sp;
  logic               sign;
  ts_pipe #(.Width(PW + 12 + SpW + 1), .Depth(Cut ? 1 : 0)) u_cut (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(valid_i),
    .data_i ({prod_a, esum_a, sp_a, sign_i}),
    .valid_o(valid_o),
    .data_o ({prod, esum, sp, sign})
  );

  // ------------------------------------------------------------------ normalise, round
  logic [PW-1:0]  prod_n;
  logic [LzW-1:0] lz;
  logic           prod_zero;
  logic [26:0]    norm_mant;
  logic signed [11:0] norm_exp;
  logic [31:0]    rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;

  ts_lzc #(.Width(PW)) u_lzc (
    .in_i  (prod),
    .cnt_o (lz),
    .zero_o(prod_zero)
  );

  assign prod_n = prod << lz;

  if (PW >= 27) begin : g_wide
    assign norm_mant = {prod_n[PW-1 -: 26], |prod_n[PW-27:0]};
  end else begin : g_narrow
    assign norm_mant = {prod_n, {(27 - PW){1'b0}}};
  end

  assign norm_exp = esum - $signed(12'(lz));

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign),
    .exp_i  (norm_exp),
    .mant_i (prod_zero ? 27'd0 : norm_mant),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  assign {res_o, flags_o} = sp[SpW-1] ? sp[SpW-2:0] : {rnd_res, rnd_flags};

  `TS_ASSERT_INIT(a_mant_w, (MantW == 24) || (MantW == 11),
                  "the exponent formula holds for 24- and 11-bit significands only")

endmodule
