// SPDX-License-Identifier: Apache-2.0
// FP32 adder/subtractor: IEEE-754 RNE, subnormals in and out, canonical NaN, IEEE flags.
//
// Latency = Stages cycles (0: combinational). With Stages >= 2 the datapath itself is cut
// (Yosys does not retime registers into logic): 2 cuts it after the alignment shift, 3 also
// after the significand add and leading-zero count, 4 also after the normalising shift.
// Registers beyond those cuts are placed at the output.
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

  // Internal cuts: after the alignment shift (C1), after the add and count (C2), after the
  // normalising shift (C3).
  localparam int unsigned Cuts = (Stages > 1) ? ((Stages - 1 > 3) ? 3 : Stages - 1) : 0;
  localparam bit          C1   = (Cuts >= 1);
  localparam bit          C2   = (Cuts >= 2);
  localparam bit          C3   = (Cuts >= 3);
  localparam int unsigned SpW  = 1 + 32 + ts_pkg::FlagW;  // special result: hit, value, flags

  // ------------------------------------------------------------------ decode and swap
  logic       sb;
  logic       a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [7:0] ea_eff, eb_eff;
  logic [23:0] ma, mb;
  // Larger magnitude x, smaller y.
  logic       swap, sx_a, sy_a;
  logic [7:0] ex_a, ey_eff, d_a;
  logic [23:0] mx_a, my_a;
  logic [SpW-1:0] sp_a;

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
    sx_a   = swap ? sb : a_i[31];
    sy_a   = swap ? a_i[31] : sb;
    ex_a   = swap ? eb_eff : ea_eff;
    ey_eff = swap ? ea_eff : eb_eff;
    mx_a   = swap ? mb : ma;
    my_a   = swap ? ma : mb;
    d_a    = ex_a - ey_eff;

    // NaN and infinity operands decide the result here; it rides along to the end.
    sp_a = ts_pkg::fp32_special(a_nan || b_nan, a_snan || b_snan,
                                a_inf && b_inf && (a_i[31] != sb), a_inf || b_inf, sx_a);
  end

  // Zeros need no special case: an exact zero sum takes the rounding-mode sign rule.
  logic unused_zero;
  assign unused_zero = a_zero ^ b_zero;

  // ------------------------------------------------------------------ alignment shift
  logic           v_b, sx_b, sy_b;
  logic [7:0]     ex_b, d_b;
  logic [23:0]    mx_b, my_b;
  logic [SpW-1:0] sp_b;
  assign {v_b, sp_b, sx_b, sy_b, ex_b, d_b, mx_b, my_b} =
         {in_valid_i, sp_a, sx_a, sy_a, ex_a, d_a, mx_a, my_a};

  logic [26:0] x27_b, y27_full, y27_sh, y_lost_mask, y27_b;
  logic        y_lost;
  always_comb begin
    // Three extra bits (guard, round, sticky); bit 0 collects every bit shifted past it.
    x27_b    = {mx_b, 3'b000};
    y27_full = {my_b, 3'b000};
    if (d_b >= 8'd27) begin
      y27_sh      = '0;
      y_lost_mask = '1;
    end else begin
      y27_sh      = y27_full >> d_b;
      y_lost_mask = ~(27'h7ff_ffff << d_b);
    end
    y_lost = |(y27_full & y_lost_mask);
    y27_b  = {y27_sh[26:1], y27_sh[0] | y_lost};
  end

  // ------------------------------------------------------------------ C1, add and count
  logic           v_c, sx_c, sy_c;
  logic [7:0]     ex_c;
  logic [26:0]    x27_c, y27_c;
  logic [SpW-1:0] sp_c;
  ts_pipe #(.Width(SpW + 2 + 8 + 54), .Depth(C1 ? 1 : 0)) u_c1 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_b),
    .data_i ({sp_b, sx_b, sy_b, ex_b, x27_b, y27_b}),
    .valid_o(v_c),
    .data_o ({sp_c, sx_c, sy_c, ex_c, x27_c, y27_c})
  );

  logic [27:0] sum_c;
  logic [4:0]  lz_c;
  logic        zero_c;
  assign sum_c = (sx_c ^ sy_c) ? ({1'b0, x27_c} - {1'b0, y27_c})
                               : ({1'b0, x27_c} + {1'b0, y27_c});

  ts_lzc #(.Width(27)) u_lzc (
    .in_i  (sum_c[26:0]),
    .cnt_o (lz_c),
    .zero_o(zero_c)
  );

  // ------------------------------------------------------------------ C2, normalise, round
  logic           v_d, sx_d, sy_d, zero_d;
  logic [7:0]     ex_d;
  logic [27:0]    sum_d;
  logic [4:0]     lz_d;
  logic [SpW-1:0] sp_d;
  ts_pipe #(.Width(SpW + 3 + 8 + 28 + 5), .Depth(C2 ? 1 : 0)) u_c2 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_c),
    .data_i ({sp_c, sx_c, sy_c, zero_c, ex_c, sum_c, lz_c}),
    .valid_o(v_d),
    .data_o ({sp_d, sx_d, sy_d, zero_d, ex_d, sum_d, lz_d})
  );

  logic [26:0] norm_mant;
  logic signed [11:0] norm_exp;
  logic        rnd_sign;
  logic [31:0] rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;
  logic [31:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  always_comb begin
    if (sum_d[27]) begin
      norm_mant = {sum_d[27:2], sum_d[1] | sum_d[0]};
      norm_exp  = $signed({4'b0, ex_d}) + 12'sd1;
    end else begin
      norm_mant = sum_d[26:0] << lz_d;
      norm_exp  = $signed({4'b0, ex_d}) - $signed({7'b0, lz_d});
    end
    // An exact zero sum is +0 under round-to-nearest, except (-0) + (-0).
    rnd_sign = (zero_d && !sum_d[27]) ? (sx_d & sy_d) : sx_d;
  end

  // ------------------------------------------------------------------ C3, round
  logic           v_e, sign_e;
  logic signed [11:0] exp_e;
  logic [26:0]    mant_e;
  logic [SpW-1:0] sp_e;
  ts_pipe #(.Width(SpW + 1 + 12 + 27), .Depth(C3 ? 1 : 0)) u_c3 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_d),
    .data_i ({sp_d, rnd_sign, norm_exp, norm_mant}),
    .valid_o(v_e),
    .data_o ({sp_e, sign_e, exp_e, mant_e})
  );

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign_e),
    .exp_i  (exp_e),
    .mant_i (mant_e),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  assign {res_d, flags_d} = sp_e[SpW-1] ? sp_e[SpW-2:0] : {rnd_res, rnd_flags};

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth(Stages - Cuts)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_e),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
