// SPDX-License-Identifier: Apache-2.0
// FP32 square root: IEEE-754 RNE, subnormal inputs, canonical NaN, IEEE flags; iterative.
//
// Restoring digit recurrence, one root bit per cycle. One operation at a time:
// in_ready_o is high when idle. Latency = 28 cycles from the accepting edge to the
// one-cycle out_valid_o pulse (27 root bits, then one rounding cycle).
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
  localparam int unsigned RadW  = 2 * QBits;  // radicand bits consumed two per cycle
  localparam int unsigned RemW  = QBits + 3;

  logic        a_nan, a_snan, a_inf, a_zero;
  logic [23:0] ma, ma_n;
  logic [7:0]  ea_eff;
  logic [4:0]  lza;
  logic        unused_za;
  logic signed [11:0] e_true;       // unbiased exponent of ma_n[23]
  logic signed [11:0] e_even;
  logic        odd;
  logic        spec;
  logic [31:0] spec_res;
  logic [ts_pkg::FlagW-1:0] spec_flags;

  ts_fp32_unpack u_unpack_a (
    .mag_i(a_i[30:0]), .nan_o(a_nan), .snan_o(a_snan), .inf_o(a_inf), .zero_o(a_zero),
    .exp_eff_o(ea_eff), .mant_o(ma)
  );
  ts_lzc #(.Width(24)) u_lzc_a (.in_i(ma), .cnt_o(lza), .zero_o(unused_za));

  always_comb begin
    ma_n   = ma << lza;
    e_true = $signed({4'b0, ea_eff}) - $signed({7'b0, lza})
             - 12'sd127;
    odd    = e_true[0];
    e_even = e_true - (odd ? 12'sd1 : 12'sd0);

    spec       = 1'b1;
    spec_res   = a_i;
    spec_flags = '0;
    if (a_nan) begin
      spec_res = ts_pkg::Fp32QNan;
      spec_flags[ts_pkg::FlagNv] = a_snan;
    end else if (a_zero) begin
      spec_res = a_i;                       // sqrt(-0) = -0
    end else if (a_i[31]) begin
      spec_res = ts_pkg::Fp32QNan;
      spec_flags[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf) begin
      spec_res = a_i;
    end else begin
      spec = 1'b0;
    end
  end

  logic        busy_q, busy_d, done_q, done_d;
  logic [4:0]  cnt_q, cnt_d;
  logic [RadW-1:0] rad_q, rad_d;    // remaining radicand, consumed from the top
  logic [RemW-1:0] rem_q, rem_d;
  logic [QBits-1:0] root_q, root_d;
  logic        spec_q, spec_d;
  logic signed [11:0] exp_q, exp_d;
  logic [31:0] spec_res_q, spec_res_d;
  logic [ts_pkg::FlagW-1:0] spec_flags_q, spec_flags_d;
  logic        accept;
  logic [RemW-1:0] rem_sh, trial;
  logic        r_bit;

  assign in_ready_o = !busy_q && !done_q;
  assign accept     = in_valid_i && in_ready_o;

  always_comb begin
    busy_d       = busy_q;
    done_d       = 1'b0;
    cnt_d        = cnt_q;
    rad_d        = rad_q;
    rem_d        = rem_q;
    root_d       = root_q;
    spec_d       = spec_q;
    exp_d        = exp_q;
    spec_res_d   = spec_res_q;
    spec_flags_d = spec_flags_q;
    rem_sh       = {rem_q[RemW-3:0], rad_q[RadW-1 -: 2]};
    trial        = {1'b0, root_q, 2'b01};
    r_bit        = (rem_sh >= trial);

    if (accept) begin
      busy_d       = 1'b1;
      cnt_d        = 5'(QBits - 1);
      // Significand scaled to [1, 4) so the exponent is even; radicand = m * 2^29.
      rad_d        = odd ? {ma_n, 1'b0, 29'd0} : {1'b0, ma_n, 29'd0};
      rem_d        = '0;
      root_d       = '0;
      spec_d       = spec;
      exp_d        = (e_even >>> 1) + 12'sd127;
      spec_res_d   = spec_res;
      spec_flags_d = spec_flags;
    end else if (busy_q) begin
      rad_d  = {rad_q[RadW-3:0], 2'b00};
      rem_d  = r_bit ? (rem_sh - trial) : rem_sh;
      root_d = {root_q[QBits-2:0], r_bit};
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
    spec_q       <= spec_d;
    exp_q        <= exp_d;
    spec_res_q   <= spec_res_d;
    spec_flags_q <= spec_flags_d;
  end

  logic [31:0] rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (1'b0),
    .exp_i  (exp_q),
    .mant_i ({root_q[QBits-1:1], root_q[0] | (rem_q != '0)}),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  assign out_valid_o = done_q;
  assign res_o       = spec_q ? spec_res_q : rnd_res;
  assign flags_o     = spec_q ? spec_flags_q : rnd_flags;

  // Assertions
  `TS_ASSERT(a_in_stable, (in_valid_i && !in_ready_o) |=> (in_valid_i && $stable(a_i)),
             clk_i, rst_ni, "in_valid_i dropped or operand changed before acceptance")
  `TS_ASSERT(a_busy_done_excl, !(busy_q && done_q), clk_i, rst_ni, "busy and done together")

endmodule
