// SPDX-License-Identifier: Apache-2.0
// FP32 divider: IEEE-754 RNE, subnormals, canonical NaN, IEEE flags; radix-2 iterative.
//
// One operation at a time: in_ready_o is high when idle. A quotient takes Latency =
// 28 cycles from the accepting edge to out_valid_o (27 quotient bits, one per cycle,
// then one cycle in which the registered quotient is rounded). out_valid_o is a
// one-cycle pulse; the unit accepts the next operation on the cycle after it.
// Decode, recurrence step and rounding are shared with ts_fp32_div_pipe.
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
  logic        pre_sign, pre_spec, pre_spec_nan, pre_spec_inf;
  logic [ts_pkg::FlagW-1:0] pre_spec_flags;
  logic signed [11:0] pre_exp;
  logic [24:0] pre_rem;
  logic [23:0] pre_dvs;

  ts_fp32_div_pre u_pre (
    .a_i         (a_i),
    .b_i         (b_i),
    .sign_o      (pre_sign),
    .spec_o      (pre_spec),
    .spec_nan_o  (pre_spec_nan),
    .spec_inf_o  (pre_spec_inf),
    .spec_flags_o(pre_spec_flags),
    .exp_o       (pre_exp),
    .rem_o       (pre_rem),
    .dvs_o       (pre_dvs)
  );

  // ---- Iteration state ----
  logic        busy_q, busy_d, done_q, done_d;
  logic [4:0]  cnt_q, cnt_d;
  logic [24:0] rem_q, rem_d;          // partial remainder, < 2 * divisor
  logic [23:0] dvs_q, dvs_d;          // normalised divisor
  logic [QBits-1:0] quo_q, quo_d;
  logic        sign_q, sign_d, spec_q, spec_d, spec_nan_q, spec_nan_d, spec_inf_q, spec_inf_d;
  logic signed [11:0] exp_q, exp_d;
  logic [ts_pkg::FlagW-1:0] spec_flags_q, spec_flags_d;
  logic        accept;
  logic [24:0] rem_step;
  logic [QBits-1:0] quo_step;

  ts_fp32_div_step #(.Digits(1)) u_step (
    .rem_i(rem_q),
    .dvs_i(dvs_q),
    .quo_i(quo_q),
    .rem_o(rem_step),
    .quo_o(quo_step)
  );

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
    spec_nan_d   = spec_nan_q;
    spec_inf_d   = spec_inf_q;
    exp_d        = exp_q;
    spec_flags_d = spec_flags_q;

    if (accept) begin
      busy_d       = 1'b1;
      cnt_d        = 5'(QBits - 1);
      rem_d        = pre_rem;
      dvs_d        = pre_dvs;
      quo_d        = '0;
      sign_d       = pre_sign;
      spec_d       = pre_spec;
      spec_nan_d   = pre_spec_nan;
      spec_inf_d   = pre_spec_inf;
      exp_d        = pre_exp;
      spec_flags_d = pre_spec_flags;
    end else if (busy_q) begin
      quo_d = quo_step;
      rem_d = rem_step;
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
    spec_nan_q   <= spec_nan_d;
    spec_inf_q   <= spec_inf_d;
    exp_q        <= exp_d;
    spec_flags_q <= spec_flags_d;
  end

  // ---- Rounding of the registered quotient (final remainder as sticky) ----
  ts_fp32_divsqrt_post u_post (
    .sign_i      (sign_q),
    .spec_i      (spec_q),
    .spec_nan_i  (spec_nan_q),
    .spec_inf_i  (spec_inf_q),
    .spec_flags_i(spec_flags_q),
    .exp_i       (exp_q),
    .mant_i      ({quo_q[QBits-1:1], quo_q[0] | (rem_q != '0)}),
    .res_o       (res_o),
    .flags_o     (flags_o)
  );

  assign out_valid_o = done_q;

  // Assertions
  // Once offered, an operation holds until accepted (ready/valid rule, STYLE 8).
  `TS_ASSERT(a_in_stable, (in_valid_i && !in_ready_o) |=> (in_valid_i && $stable(a_i) && $stable(b_i)),
             clk_i, rst_ni, "in_valid_i dropped or operands changed before acceptance")
  `TS_ASSERT(a_busy_done_excl, !(busy_q && done_q), clk_i, rst_ni, "busy and done together")

endmodule
