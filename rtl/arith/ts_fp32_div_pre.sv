// SPDX-License-Identifier: Apache-2.0
// FP32 division operand decode: special results, normalised significands and exponent.
//
// Shared by the iterative (ts_fp32_div) and the pipelined (ts_fp32_div_pipe) divider, so
// both start the digit recurrence (ts_fp32_div_step) from the same state. A special
// result (NaN, Inf, zero operands) is described by spec_o/spec_nan_o/spec_inf_o and
// spec_flags_o; ts_fp32_divsqrt_post turns it into the result bits.
module ts_fp32_div_pre (
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  output logic                     sign_o,        // sign of every non-NaN result
  output logic                     spec_o,        // special result; the recurrence is ignored
  output logic                     spec_nan_o,    // special result is the canonical NaN
  output logic                     spec_inf_o,    // else +-Inf, else +-0
  output logic [ts_pkg::FlagW-1:0] spec_flags_o,
  output logic signed [11:0]       exp_o,         // biased exponent of the quotient's bit 26
  output logic [24:0]              rem_o,         // dividend scaled into [dvs_o, 2 * dvs_o)
  output logic [23:0]              dvs_o          // normalised divisor
);

  logic        a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [23:0] ma, mb, ma_n;
  logic [7:0]  ea_eff, eb_eff;
  logic [4:0]  lza, lzb;
  logic        unused_za, unused_zb;
  logic signed [11:0] ea_n, eb_n;
  logic        pre_shift;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea_eff), .mant_o(ma)
  );
  ts_fp32_unpack u_unpack_b (
    .mag_i(b_i[30:0]), .nan_o(b_nan), .snan_o(b_snan), .inf_o(b_inf), .zero_o(b_zero),
    .exp_eff_o(eb_eff), .mant_o(mb)
  );

  // Subnormal significands are normalised, their exponents extended below 1.
  ts_lzc #(.Width(24)) u_lzc_a (.in_i(ma), .cnt_o(lza), .zero_o(unused_za));
  ts_lzc #(.Width(24)) u_lzc_b (.in_i(mb), .cnt_o(lzb), .zero_o(unused_zb));

  always_comb begin
    ma_n      = ma << lza;
    dvs_o     = mb << lzb;
    ea_n      = $signed({4'b0, ea_eff}) - $signed({7'b0, lza});
    eb_n      = $signed({4'b0, eb_eff}) - $signed({7'b0, lzb});
    pre_shift = (ma_n < dvs_o);
    // Dividend scaled into [divisor, 2 * divisor) so the quotient lies in [1, 2).
    rem_o     = pre_shift ? {ma_n, 1'b0} : {1'b0, ma_n};
    exp_o     = ea_n - eb_n + 12'sd127 - (pre_shift ? 12'sd1 : 12'sd0);
    sign_o    = a_i[31] ^ b_i[31];

    spec_o       = 1'b1;
    spec_nan_o   = 1'b0;
    spec_inf_o   = 1'b0;
    spec_flags_o = '0;
    if (a_nan || b_nan) begin
      spec_nan_o = 1'b1;
      spec_flags_o[ts_pkg::FlagNv] = a_snan | b_snan;
    end else if ((a_inf && b_inf) || (a_zero && b_zero)) begin
      spec_nan_o = 1'b1;
      spec_flags_o[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf) begin
      spec_inf_o = 1'b1;
    end else if (b_zero) begin
      spec_inf_o = 1'b1;
      spec_flags_o[ts_pkg::FlagDz] = 1'b1;
    end else if (a_zero || b_inf) begin
      spec_inf_o = 1'b0;                    // +-0
    end else begin
      spec_o = 1'b0;
    end
  end

endmodule
