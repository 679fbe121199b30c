// SPDX-License-Identifier: Apache-2.0
// FP32 square-root operand decode: special results, radicand and result exponent.
//
// Shared by the iterative (ts_fp32_sqrt) and the pipelined (ts_fp32_sqrt_pipe) square
// root; the special-result encoding is the one ts_fp32_divsqrt_post expects.
module ts_fp32_sqrt_pre (
  input  logic [31:0]              a_i,
  output logic                     sign_o,        // sign of every non-NaN result
  output logic                     spec_o,
  output logic                     spec_nan_o,
  output logic                     spec_inf_o,
  output logic [ts_pkg::FlagW-1:0] spec_flags_o,
  output logic signed [11:0]       exp_o,         // biased exponent of the root's bit 26
  output logic [25:0]              rad_o          // radicand's non-zero top 26 of 54 bits
);

  logic        a_nan, a_snan, a_inf, a_zero;
  logic [23:0] ma, ma_n;
  logic [7:0]  ea_eff;
  logic [4:0]  lza;
  logic        unused_za;
  logic signed [11:0] e_true;       // unbiased exponent of ma_n[23]
  logic signed [11:0] e_even;
  logic        odd;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea_eff), .mant_o(ma)
  );
  ts_lzc #(.Width(24)) u_lzc_a (.in_i(ma), .cnt_o(lza), .zero_o(unused_za));

  always_comb begin
    ma_n   = ma << lza;
    e_true = $signed({4'b0, ea_eff}) - $signed({7'b0, lza}) - 12'sd127;
    odd    = e_true[0];
    e_even = e_true - (odd ? 12'sd1 : 12'sd0);
    exp_o  = (e_even >>> 1) + 12'sd127;
    // Significand scaled to [1, 4) so the exponent is even. The full radicand is
    // m * 2^29 = {rad_o, 28'b0}; its low 28 bits are zero and are not stored.
    rad_o  = odd ? {ma_n, 2'b00} : {1'b0, ma_n, 1'b0};
    // Negative operands are special, so a rounded result is positive: sign = a's sign.
    sign_o = a_i[31];

    spec_o       = 1'b1;
    spec_nan_o   = 1'b0;
    spec_inf_o   = 1'b0;
    spec_flags_o = '0;
    if (a_nan) begin
      spec_nan_o = 1'b1;
      spec_flags_o[ts_pkg::FlagNv] = a_snan;
    end else if (a_zero) begin
      spec_inf_o = 1'b0;                    // sqrt(-0) = -0
    end else if (a_i[31]) begin
      spec_nan_o = 1'b1;
      spec_flags_o[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf) begin
      spec_inf_o = 1'b1;                    // sqrt(+Inf) = +Inf
    end else begin
      spec_o = 1'b0;
    end
  end

endmodule
