// SPDX-License-Identifier: Apache-2.0
// FP32 adder/subtractor: IEEE-754 RNE, subnormals in and out, canonical NaN, IEEE flags.
//
// The result is computed combinationally and then passes Stages valid-qualified
// registers (ts_pipe), so latency = Stages cycles; a retiming flow may move them in.
module ts_fp32_add #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  input  logic                     sub_i,     // 1: a - b
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  // Operand decode (b with its sign flipped for subtraction).
  logic       sb;
  logic       a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [7:0] ea_eff, eb_eff;
  logic [23:0] ma, mb;
  // Larger magnitude x, smaller y.
  logic       swap, sx, sy;
  logic [7:0] ex_eff, ey_eff, d;
  logic [23:0] mx, my;
  logic        eff_sub;
  logic [26:0] x27, y27_full, y27_sh, y_lost_mask, y27;
  logic        y_lost;
  logic [27:0] sum;
  logic [4:0]  lz;
  logic        sum_zero;
  logic [26:0] norm_mant;
  logic signed [11:0] norm_exp;
  logic        rnd_sign;
  logic [31:0] rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;
  logic [31:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea_eff), .mant_o(ma)
  );
  ts_fp32_unpack u_unpack_b (
    .mag_i(b_i[30:0]), .nan_o(b_nan), .snan_o(b_snan), .inf_o(b_inf), .zero_o(b_zero),
    .exp_eff_o(eb_eff), .mant_o(mb)
  );

  always_comb begin
    sb     = b_i[31] ^ sub_i;
    swap   = (b_i[30:0] > a_i[30:0]);
    sx     = swap ? sb : a_i[31];
    sy     = swap ? a_i[31] : sb;
    ex_eff = swap ? eb_eff : ea_eff;
    ey_eff = swap ? ea_eff : eb_eff;
    mx     = swap ? mb : ma;
    my     = swap ? ma : mb;
    d      = ex_eff - ey_eff;
    eff_sub = sx ^ sy;

    // Three extra bits (guard, round, sticky); bit 0 collects every bit shifted past it.
    x27      = {mx, 3'b000};
    y27_full = {my, 3'b000};
    if (d >= 8'd27) begin
      y27_sh      = '0;
      y_lost_mask = '1;
    end else begin
      y27_sh      = y27_full >> d;
      y_lost_mask = ~(27'h7ff_ffff << d);
    end
    y_lost = |(y27_full & y_lost_mask);
    y27    = {y27_sh[26:1], y27_sh[0] | y_lost};

    sum = eff_sub ? ({1'b0, x27} - {1'b0, y27}) : ({1'b0, x27} + {1'b0, y27});
  end

  ts_lzc #(.Width(27)) u_lzc (
    .in_i  (sum[26:0]),
    .cnt_o (lz),
    .zero_o(sum_zero)
  );

  always_comb begin
    if (sum[27]) begin
      norm_mant = {sum[27:2], sum[1] | sum[0]};
      norm_exp  = $signed({4'b0, ex_eff}) + 12'sd1;
    end else begin
      norm_mant = sum[26:0] << lz;
      norm_exp  = $signed({4'b0, ex_eff}) - $signed({7'b0, lz});
    end
    // An exact zero sum is +0 under round-to-nearest, except (-0) + (-0).
    rnd_sign = (sum_zero && !sum[27]) ? (sx & sy) : sx;
  end

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (rnd_sign),
    .exp_i  (norm_exp),
    .mant_i (norm_mant),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  always_comb begin
    res_d   = rnd_res;
    flags_d = rnd_flags;
    if (a_nan || b_nan) begin
      res_d   = ts_pkg::Fp32QNan;
      flags_d = '0;
      flags_d[ts_pkg::FlagNv] = a_snan | b_snan;
    end else if (a_inf && b_inf && (a_i[31] != sb)) begin
      res_d   = ts_pkg::Fp32QNan;
      flags_d = '0;
      flags_d[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf || b_inf) begin
      res_d   = {sx, 8'hff, 23'd0};
      flags_d = '0;
    end
  end

  // Zeros need no special case: an exact zero sum takes the rounding-mode sign rule.
  logic unused_zero;
  assign unused_zero = a_zero ^ b_zero;

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth(Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
