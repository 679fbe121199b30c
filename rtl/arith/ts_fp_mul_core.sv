// SPDX-License-Identifier: Apache-2.0
// Combinational FP multiply into FP32: significand product, normalisation, RNE, specials.
//
// Shared by ts_fp32_mul (24-bit significands) and ts_fp_mul16 (11-bit significands of
// FP16 or BF16). Operands arrive unpacked: significand with hidden bit (MantW bits,
// MantW - 1 fraction bits) and effective exponent biased as FP32 (127).
`include "ts_assert.svh"

module ts_fp_mul_core #(
  parameter int unsigned MantW = 24,
  localparam int unsigned PW   = 2 * MantW
) (
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
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned LzW = $clog2(PW + 1);

  logic [PW-1:0]  prod, prod_n;
  logic [LzW-1:0] lz;
  logic           prod_zero;
  logic [26:0]    norm_mant;
  logic signed [11:0] norm_exp;
  logic [31:0]    rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;

  assign prod = ma_i * mb_i;

  ts_lzc #(.Width(PW)) u_lzc (
    .in_i  (prod),
    .cnt_o (lz),
    .zero_o(prod_zero)
  );

  assign prod_n = prod << lz;

  // Rounder input: 26 product bits from the leading one, the rest ORed into a sticky bit.
  if (PW >= 27) begin : g_wide
    assign norm_mant = {prod_n[PW-1 -: 26], |prod_n[PW-27:0]};
  end else begin : g_narrow
    assign norm_mant = {prod_n, {(27 - PW){1'b0}}};
  end

  // value = prod * 2^(ea+eb-254-2*(MantW-1)); on the rounder's 2^(exp-153) scale this is
  // exp = ea + eb - 126 - lz for both significand widths in use (24 and 11 bits).
  assign norm_exp = $signed({3'b0, ea_i}) + $signed({3'b0, eb_i}) - 12'sd126
                    - $signed(12'(lz));

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign_i),
    .exp_i  (norm_exp),
    .mant_i (prod_zero ? 27'd0 : norm_mant),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  always_comb begin
    res_o   = rnd_res;
    flags_o = rnd_flags;
    if (a_nan_i || b_nan_i) begin
      res_o   = ts_pkg::Fp32QNan;
      flags_o = '0;
      flags_o[ts_pkg::FlagNv] = a_snan_i | b_snan_i;
    end else if ((a_inf_i && b_zero_i) || (b_inf_i && a_zero_i)) begin
      res_o   = ts_pkg::Fp32QNan;
      flags_o = '0;
      flags_o[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf_i || b_inf_i) begin
      res_o   = {sign_i, 8'hff, 23'd0};
      flags_o = '0;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_mant_w, (MantW == 24) || (MantW == 11),
                  "the exponent formula holds for 24- and 11-bit significands only")

endmodule
