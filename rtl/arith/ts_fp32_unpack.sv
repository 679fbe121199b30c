// SPDX-License-Identifier: Apache-2.0
// Classifies an FP32 magnitude and splits it into the fields every FP32 unit works on.
module ts_fp32_unpack (
  input  logic [30:0] mag_i,      // operand without its sign bit
  output logic        nan_o,      // any NaN
  output logic        snan_o,     // signalling NaN (fraction MSB clear)
  output logic        inf_o,
  output logic        zero_o,     // +0 or -0
  output logic [7:0]  exp_eff_o,  // biased exponent; 1 for zeros and subnormals
  output logic [23:0] mant_o      // significand with its hidden bit
);

  logic exp_max, exp_zero, frac_zero;

  assign exp_max   = (mag_i[30:23] == 8'hff);
  assign exp_zero  = (mag_i[30:23] == 8'h00);
  assign frac_zero = (mag_i[22:0] == '0);

  assign nan_o     = exp_max && !frac_zero;
  assign snan_o    = nan_o && !mag_i[22];
  assign inf_o     = exp_max && frac_zero;
  assign zero_o    = exp_zero && frac_zero;
  assign exp_eff_o = exp_zero ? 8'd1 : mag_i[30:23];
  assign mant_o    = {!exp_zero, mag_i[22:0]};

endmodule
