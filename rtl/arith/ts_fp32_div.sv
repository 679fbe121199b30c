// SPDX-License-Identifier: Apache-2.0
// FP32 divider: IEEE-754 RNE, subnormals, canonical NaN, IEEE flags; radix-2 iterative.
//
// One operation at a time: in_ready_o is high when idle. A quotient takes Latency =
// 28 cycles from the accepting edge to out_valid_o (27 quotient bits, one per cycle,
// then one cycle in which the registered quotient is rounded). out_valid_o is a
// one-cycle pulse; the unit accepts the next operation on the cycle after it.
`include "ts_assert.svh"

module ts_fp32_div (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned QBits = 27;  // 1 integer + 23 fraction + guard + 2 spare

  // ---- Operand decode (combinational, used on the accepting cycle) ----
  logic        a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [23:0] ma, mb, ma_n, mb_n;
  logic [7:0]  ea_eff, eb_eff;
  logic [4:0]  lza, lzb;
  logic        unused_za, unused_zb;
  logic signed [11:0] ea_n, eb_n;
  logic        spec;
  logic [31:0] spec_res;
  logic [ts_pkg::FlagW-1:0] spec_flags;
  logic        pre_shift;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea_eff), .mant_o(ma)
  );
  ts_fp32_unpack u_unpack_b (
    .mag_i(b_i[30:0]), .nan_o(b_nan), .snan_o(b_snan), .inf_o(b_inf), .zero_o(b_zero),
    .exp_eff_o(eb_eff), .mant_o(mb)
  );

  ts_lzc #(.Width(24)) u_lzc_a (.in_i(ma), .cnt_o(lza), .zero_o(unused_za));
  ts_lzc #(.Width(24)) u_lzc_b (.in_i(mb), .cnt_o(lzb), .zero_o(unused_zb));

  always_comb begin
    ma_n   = ma << lza;
    mb_n   = mb << lzb;
    ea_n   = $signed({4'b0, ea_eff}) - $signed({7'b0, lza});
    eb_n   = $signed({4'b0, eb_eff}) - $signed({7'b0, lzb});
    pre_shift = (ma_n < mb_n);

    spec       = 1'b1;
    spec_res   = {a_i[31] ^ b_i[31], 31'd0};
    spec_flags = '0;
    if (a_nan || b_nan) begin
      spec_res = ts_pkg::Fp32QNan;
      spec_flags[ts_pkg::FlagNv] = a_snan | b_snan;
    end else if ((a_inf && b_inf) || (a_zero && b_zero)) begin
      spec_res = ts_pkg::Fp32QNan;
      spec_flags[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf) begin
      spec_res = {a_i[31] ^ b_i[31], 8'hff, 23'd0};
    end else if (b_zero) begin
      spec_res = {a_i[31] ^ b_i[31], 8'hff, 23'd0};
      spec_flags[ts_pkg::FlagDz] = 1'b1;
    end else if (a_zero || b_inf) begin
      spec_res = {a_i[31] ^ b_i[31], 31'd0};
    end else begin
      spec = 1'b0;
    end
  end

  // ---- Iteration state ----
  logic        busy_q, busy_d, done_q, done_d;
  logic [4:0]  cnt_q, cnt_d;
  logic [24:0] rem_q, rem_d;          // partial remainder, < 2 * divisor
  logic [23:0] dvs_q, dvs_d;          // normalised divisor
  logic [QBits-1:0] quo_q, quo_d;
  logic        sign_q, sign_d, spec_q, spec_d;
  logic signed [11:0] exp_q, exp_d;
  logic [31:0] spec_res_q, spec_res_d;
  logic [ts_pkg::FlagW-1:0] spec_flags_q, spec_flags_d;
  logic        accept;
  logic [24:0] rem_sub;
  logic        q_bit;

  assign in_ready_o = !busy_q && !done_q;
  assign accept     = in_valid_i && in_ready_o;

  always_comb begin
    busy_d       = busy_q;
    done_d       = 1'b0;
    cnt_d        = cnt_q;
    rem_d        = rem_q;
    dvs_d        = dvs_q;
    quo_d        = quo_q;
    sign_d       = sign_q;
    spec_d       = spec_q;
    exp_d        = exp_q;
    spec_res_d   = spec_res_q;
    spec_flags_d = spec_flags_q;
    q_bit        = (rem_q >= {1'b0, dvs_q});
    rem_sub      = q_bit ? (rem_q - {1'b0, dvs_q}) : rem_q;

    if (accept) begin
      busy_d       = 1'b1;
      cnt_d        = 5'(QBits - 1);
      // Dividend scaled into [divisor, 2 * divisor) so the quotient lies in [1, 2).
      rem_d        = pre_shift ? {ma_n, 1'b0} : {1'b0, ma_n};
      dvs_d        = mb_n;
      quo_d        = '0;
      sign_d       = a_i[31] ^ b_i[31];
      spec_d       = spec;
      exp_d        = ea_n - eb_n + 12'sd127 - (pre_shift ? 12'sd1 : 12'sd0);
      spec_res_d   = spec_res;
      spec_flags_d = spec_flags;
    end else if (busy_q) begin
      quo_d = {quo_q[QBits-2:0], q_bit};
      rem_d = {rem_sub[23:0], 1'b0};
      cnt_d = cnt_q - 5'd1;
      if (cnt_q == '0) begin
        busy_d = 1'b0;
        done_d = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      busy_q <= 1'b0;
      done_q <= 1'b0;
    end else begin
      busy_q <= busy_d;
      done_q <= done_d;
    end
  end

  always_ff @(posedge clk_i) begin
    cnt_q        <= cnt_d;
    rem_q        <= rem_d;
    dvs_q        <= dvs_d;
    quo_q        <= quo_d;
    sign_q       <= sign_d;
    spec_q       <= spec_d;
    exp_q        <= exp_d;
    spec_res_q   <= spec_res_d;
    spec_flags_q <= spec_flags_d;
  end

  // ---- Rounding of the registered quotient ----
  logic [31:0] rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign_q),
    .exp_i  (exp_q),
    .mant_i ({quo_q[QBits-1:1], quo_q[0] | (rem_q != '0)}),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  // rem_sub < divisor < 2^24, so its top bit is always clear.
  logic unused_rem_top;
  assign unused_rem_top = rem_sub[24];

  assign out_valid_o = done_q;
  assign res_o       = spec_q ? spec_res_q : rnd_res;
  assign flags_o     = spec_q ? spec_flags_q : rnd_flags;

  // Assertions
  // Once offered, an operation holds until accepted (ready/valid rule, STYLE 8).
  `TS_ASSERT(a_in_stable, (in_valid_i && !in_ready_o) |=> (in_valid_i && $stable(a_i) && $stable(b_i)),
             clk_i, rst_ni, "in_valid_i dropped or operands changed before acceptance")
  `TS_ASSERT(a_busy_done_excl, !(busy_q && done_q), clk_i, rst_ni, "busy and done together")

endmodule
