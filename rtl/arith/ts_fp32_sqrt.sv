// SPDX-License-Identifier: Apache-2.0
// FP32 square root: IEEE-754 RNE, subnormal inputs, canonical NaN, IEEE flags; iterative.
//
// Restoring digit recurrence, one root bit per cycle. One operation at a time:
// in_ready_o is high when idle. Latency = 28 cycles from the accepting edge to the
// one-cycle out_valid_o pulse (27 root bits, then one rounding cycle).
// Decode, recurrence step and rounding are shared with ts_fp32_sqrt_pipe.
`include "ts_assert.svh"

module ts_fp32_sqrt (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  output logic                     in_ready_o,
  input  logic [31:0]              a_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned QBits = 27;
  localparam int unsigned RadW  = 26;         // non-zero part of the 54-bit radicand
  localparam int unsigned RemW  = QBits + 3;

  logic        pre_sign, pre_spec, pre_spec_nan, pre_spec_inf;
  logic [ts_pkg::FlagW-1:0] pre_spec_flags;
  logic signed [11:0] pre_exp;
  logic [RadW-1:0] pre_rad;

  ts_fp32_sqrt_pre u_pre (
    .a_i         (a_i),
    .sign_o      (pre_sign),
    .spec_o      (pre_spec),
    .spec_nan_o  (pre_spec_nan),
    .spec_inf_o  (pre_spec_inf),
    .spec_flags_o(pre_spec_flags),
    .exp_o       (pre_exp),
    .rad_o       (pre_rad)
  );

  logic        busy_q, busy_d, done_q, done_d;
  logic [4:0]  cnt_q, cnt_d;
  logic [RadW-1:0] rad_q, rad_d;    // remaining radicand, consumed from the top
  logic [RemW-1:0] rem_q, rem_d;
  logic [QBits-1:0] root_q, root_d;
  logic        sign_q, sign_d, spec_q, spec_d, spec_nan_q, spec_nan_d, spec_inf_q, spec_inf_d;
  logic signed [11:0] exp_q, exp_d;
  logic [ts_pkg::FlagW-1:0] spec_flags_q, spec_flags_d;
  logic        accept;
  logic [RadW-1:0] rad_step;
  logic [RemW-1:0] rem_step;
  logic [QBits-1:0] root_step;

  ts_fp32_sqrt_step #(.Digits(1)) u_step (
    .rem_i (rem_q),
    .rad_i (rad_q),
    .root_i(root_q),
    .rem_o (rem_step),
    .rad_o (rad_step),
    .root_o(root_step)
  );

  assign in_ready_o = !busy_q && !done_q;
  assign accept     = in_valid_i && in_ready_o;

  always_comb begin
    busy_d       = busy_q;
    done_d       = 1'b0;
    cnt_d        = cnt_q;
    rad_d        = rad_q;
    rem_d        = rem_q;
    root_d       = root_q;
    sign_d       = sign_q;
    spec_d       = spec_q;
    spec_nan_d   = spec_nan_q;
    spec_inf_d   = spec_inf_q;
    exp_d        = exp_q;
    spec_flags_d = spec_flags_q;

    if (accept) begin
      busy_d       = 1'b1;
      cnt_d        = 5'(QBits - 1);
      rad_d        = pre_rad;
      rem_d        = '0;
      root_d       = '0;
      sign_d       = pre_sign;
      spec_d       = pre_spec;
      spec_nan_d   = pre_spec_nan;
      spec_inf_d   = pre_spec_inf;
      exp_d        = pre_exp;
      spec_flags_d = pre_spec_flags;
    end else if (busy_q) begin
      rad_d  = rad_step;
      rem_d  = rem_step;
      root_d = root_step;
      cnt_d  = cnt_q - 5'd1;
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
    rad_q        <= rad_d;
    rem_q        <= rem_d;
    root_q       <= root_d;
    sign_q       <= sign_d;
    spec_q       <= spec_d;
    spec_nan_q   <= spec_nan_d;
    spec_inf_q   <= spec_inf_d;
    exp_q        <= exp_d;
    spec_flags_q <= spec_flags_d;
  end

  ts_fp32_divsqrt_post u_post (
    .sign_i      (sign_q),
    .spec_i      (spec_q),
    .spec_nan_i  (spec_nan_q),
    .spec_inf_i  (spec_inf_q),
    .spec_flags_i(spec_flags_q),
    .exp_i       (exp_q),
    .mant_i      ({root_q[QBits-1:1], root_q[0] | (rem_q != '0)}),
    .res_o       (res_o),
    .flags_o     (flags_o)
  );

  assign out_valid_o = done_q;

  // Assertions
  `TS_ASSERT(a_in_stable, (in_valid_i && !in_ready_o) |=> (in_valid_i && $stable(a_i)),
             clk_i, rst_ni, "in_valid_i dropped or operand changed before acceptance")
  `TS_ASSERT(a_busy_done_excl, !(busy_q && done_q), clk_i, rst_ni, "busy and done together")

endmodule
