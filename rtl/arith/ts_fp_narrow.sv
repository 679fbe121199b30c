// SPDX-License-Identifier: Apache-2.0
// FP32 to FP16 or BF16 narrowing: RNE, overflow to Inf, subnormal results, IEEE flags.
//
// NaNs become the target format's canonical quiet NaN (invalid raised for signalling).
// Combinational core followed by Stages valid-qualified registers (latency = Stages).
module ts_fp_narrow #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic                     fmt_i,     // ts_pkg::FmtFp16 / FmtBf16
  input  logic [31:0]              a_i,
  output logic                     out_valid_o,
  output logic [15:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic        a_nan, a_snan, a_inf, a_zero;
  logic [7:0]  e_eff;
  logic [23:0] m;
  logic [23:0] mn;
  logic [4:0]  lz;
  logic        m_zero;
  logic signed [9:0] e32;           // biased FP32 exponent of mn[23]
  logic signed [9:0] e16;
  logic [13:0] mant_h;
  logic [10:0] mant_b;
  logic [15:0] res_h, res_b;
  logic [ts_pkg::FlagW-1:0] flags_h, flags_b;
  logic [15:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(e_eff), .mant_o(m)
  );

  ts_lzc #(.Width(24)) u_lzc (
    .in_i  (m),
    .cnt_o (lz),
    .zero_o(m_zero)
  );

  always_comb begin
    mn     = m << lz;
    e32    = $signed({2'b00, e_eff}) - $signed({5'b0, lz});
    e16    = e32 - 10'sd112;
    mant_h = {mn[23:11], |mn[10:0]};
    mant_b = {mn[23:14], |mn[13:0]};
  end

  ts_fp_round #(.ExpBits(5), .FracBits(10), .ExpInW(10)) u_round_h (
    .sign_i (a_i[31]),
    .exp_i  (e16),
    .mant_i (m_zero ? 14'd0 : mant_h),
    .res_o  (res_h),
    .flags_o(flags_h)
  );

  ts_fp_round #(.ExpBits(8), .FracBits(7), .ExpInW(10)) u_round_b (
    .sign_i (a_i[31]),
    .exp_i  (e32),
    .mant_i (m_zero ? 11'd0 : mant_b),
    .res_o  (res_b),
    .flags_o(flags_b)
  );

  always_comb begin
    flags_d = '0;
    if (a_nan) begin
      res_d = (fmt_i == ts_pkg::FmtBf16) ? ts_pkg::Bf16QNan : ts_pkg::Fp16QNan;
      flags_d[ts_pkg::FlagNv] = a_snan;
    end else if (a_inf) begin
      res_d = (fmt_i == ts_pkg::FmtBf16) ? {a_i[31], 8'hff, 7'd0} : {a_i[31], 5'h1f, 10'd0};
    end else if (fmt_i == ts_pkg::FmtBf16) begin
      res_d   = res_b;
      flags_d = flags_b;
    end else begin
      res_d   = res_h;
      flags_d = flags_h;
    end
  end

  // A zero needs no special case: its all-zero significand rounds to a signed zero.
  logic unused_zero;
  assign unused_zero = a_zero;

  ts_pipe #(.Width(16 + ts_pkg::FlagW), .Depth(Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
