// SPDX-License-Identifier: Apache-2.0
// FP32 e^x, one result per cycle, latency 4, bit-exact to golden::vec_exp (docs/vec.md).
//
// e^x = 2^k * 2^f. The argument is reduced in fixed point, not in FP32, so that no
// rounding of x*log2(e) costs accuracy (an FP32 product would err by up to 2^-17 in t,
// i.e. ~90 ulp of the result):
//   S1  X = |x| * 2^32 (truncated; |x| < 128 here), t = X * round(log2(e) * 2^39) >> 31:
//       |x| * log2(e) with 40 fraction bits.
//   S2  signed t -> k = floor(t), f = t - k in [0, 1); f = i1/64 + i2/4096 + i3/262144 + d,
//       r1 = T1[i1] * T2[i2] (tables of 2^(i/64^j) in 1.31, ts_vec_tab_pkg).
//   S3  r2 = r1 * T3[i3]; dl = 1 + d * ln(2) (d < 2^-18: the quadratic term is < 2^-37).
//   S4  r3 = r2 * dl in [1, 2), rounded once (RNE) into FP32 at exponent k by ts_fp_round
//       (subnormal results and overflow to Inf included) -> output registers.
// Error: < 2^-28.4 relative before the final rounding, so < 0.56 ulp of e^x. Special
// cases bypass the pipeline's arithmetic: NaN -> canonical qNaN (NV if signalling),
// +Inf -> +Inf, -Inf -> +0, 0 -> 1, |x| < 2^-32 -> 1 (NX), |x| >= 128 -> +Inf (OF, NX)
// or +0 (UF, NX). Every other result has NX, and UF when it is subnormal or zero.
module ts_vec_exp (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              x_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned FW = ts_pkg::FlagW;

  // ---- S1: classify, fixed-point |x|, multiply by log2(e) ----
  logic [7:0]  e_raw;
  logic [7:0]  e_eff;
  logic [23:0] mant;
  logic        is_nan, is_inf, is_zero, big;
  logic [38:0] xfix;
  logic [78:0] prod1;
  logic        spec1;
  logic [31:0] spec_res1;
  logic [FW-1:0] spec_flags1;

  always_comb begin
    e_raw   = x_i[30:23];
    e_eff   = (e_raw == 8'd0) ? 8'd1 : e_raw;
    mant    = {e_raw != 8'd0, x_i[22:0]};
    is_nan  = (e_raw == 8'hff) && (x_i[22:0] != '0);
    is_inf  = (e_raw == 8'hff) && (x_i[22:0] == '0);
    is_zero = (x_i[30:0] == '0);
    big     = e_eff >= 8'd134;  // |x| >= 128
    // X = m * 2^(e - 118): left by at most 15 (e <= 133), right otherwise.
    if (e_eff >= 8'd118) begin
      xfix = 39'(mant) << (e_eff - 8'd118);
    end else if (e_eff > 8'd94) begin
      xfix = 39'(mant) >> (8'd118 - e_eff);
    end else begin
      xfix = '0;
    end
    prod1 = 79'(xfix) * 79'(ts_vec_tab_pkg::Log2eQ39);

    spec1       = 1'b1;
    spec_flags1 = '0;
    spec_res1   = 32'h3f80_0000;
    if (is_nan) begin
      spec_res1 = ts_pkg::Fp32QNan;
      spec_flags1[ts_pkg::FlagNv] = !x_i[22];
    end else if (is_inf) begin
      spec_res1 = x_i[31] ? 32'h0 : 32'h7f80_0000;
    end else if (is_zero) begin
      spec_res1 = 32'h3f80_0000;
    end else if (big) begin
      spec_res1 = x_i[31] ? 32'h0 : 32'h7f80_0000;
      spec_flags1[ts_pkg::FlagNx] = 1'b1;
      spec_flags1[ts_pkg::FlagUf] = x_i[31];
      spec_flags1[ts_pkg::FlagOf] = !x_i[31];
    end else if (xfix == '0) begin
      spec_res1 = 32'h3f80_0000;
      spec_flags1[ts_pkg::FlagNx] = 1'b1;
    end else begin
      spec1 = 1'b0;
    end
  end

  logic          v1_q, neg1_q, spec1_q;
  logic [47:0]   t1_q;
  logic [31:0]   sres1_q;
  logic [FW-1:0] sfl1_q;

  // ---- S2: k, f; r1 = T1 * T2 ----
  logic [48:0] t_signed;
  logic [39:0] f2;
  logic [8:0]  k2;
  logic [63:0] prod2;

  always_comb begin
    t_signed = neg1_q ? (49'd0 - {1'b0, t1_q}) : {1'b0, t1_q};
    f2       = t_signed[39:0];
    k2       = t_signed[48:40];  // floor(t), two's complement, |k| <= 185
    prod2    = 64'(ts_vec_tab_pkg::exp_t1(f2[39:34])) * 64'(ts_vec_tab_pkg::exp_t2(f2[33:28]));
  end

  logic          v2_q, spec2_q;
  logic [31:0]   r1_q;
  logic [5:0]    i3_q;
  logic [21:0]   d_q;
  logic [8:0]    k2_q;
  logic [31:0]   sres2_q;
  logic [FW-1:0] sfl2_q;

  // ---- S3: r2 = r1 * T3; dl = 1 + d * ln(2) ----
  logic [63:0] prod3;
  logic [53:0] dln;
  logic [31:0] dl3;

  always_comb begin
    prod3 = 64'(r1_q) * 64'(ts_vec_tab_pkg::exp_t3(i3_q));
    dln   = 54'(d_q) * 54'(ts_vec_tab_pkg::Ln2Q32);
    dl3   = 32'h8000_0000 + 32'(dln[53:41]);
  end

  logic          v3_q, spec3_q;
  logic [31:0]   r2_q, dl_q;
  logic [8:0]    k3_q;
  logic [31:0]   sres3_q;
  logic [FW-1:0] sfl3_q;

  // ---- S4: r3 = r2 * dl, round ----
  logic [63:0]   prod4;
  logic [31:0]   r3;
  logic [26:0]   rmant;
  logic [11:0]   rexp;
  logic [31:0]   rres;
  logic [FW-1:0] rflags;
  logic [31:0]   res_d;
  logic [FW-1:0] flags_d;

  always_comb begin
    prod4 = 64'(r2_q) * 64'(dl_q);
    r3    = prod4[63] ? 32'hffff_ffff : prod4[62:31];  // 2^f + its error may reach 2.0
    rmant = {r3[31:6], |r3[5:0]};
    rexp  = {{3{k3_q[8]}}, k3_q} + 12'd127;
  end

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (1'b0),
    .exp_i  (rexp),
    .mant_i (rmant),
    .res_o  (rres),
    .flags_o(rflags)
  );

  always_comb begin
    if (spec3_q) begin
      res_d   = sres3_q;
      flags_d = sfl3_q;
    end else begin
      res_d   = rres;
      flags_d = rflags;
      flags_d[ts_pkg::FlagNx] = 1'b1;
      if (rres[30:23] == 8'd0) flags_d[ts_pkg::FlagUf] = 1'b1;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v1_q        <= 1'b0;
      v2_q        <= 1'b0;
      v3_q        <= 1'b0;
      out_valid_o <= 1'b0;
    end else begin
      v1_q        <= in_valid_i;
      v2_q        <= v1_q;
      v3_q        <= v2_q;
      out_valid_o <= v3_q;
    end
  end

  // Datapath registers (not reset): enabled by their stage's valid.
  always_ff @(posedge clk_i) begin
    if (in_valid_i) begin
      neg1_q  <= x_i[31];
      spec1_q <= spec1;
      t1_q    <= prod1[78:31];
      sres1_q <= spec_res1;
      sfl1_q  <= spec_flags1;
    end
    if (v1_q) begin
      spec2_q <= spec1_q;
      r1_q    <= prod2[62:31];
      i3_q    <= f2[27:22];
      d_q     <= f2[21:0];
      k2_q    <= k2;
      sres2_q <= sres1_q;
      sfl2_q  <= sfl1_q;
    end
    if (v2_q) begin
      spec3_q <= spec2_q;
      r2_q    <= prod3[62:31];
      dl_q    <= dl3;
      k3_q    <= k2_q;
      sres3_q <= sres2_q;
      sfl3_q  <= sfl2_q;
    end
    if (v3_q) begin
      res_o   <= res_d;
      flags_o <= flags_d;
    end
  end

  // Bits below each product's kept window are truncated by design; the top bits of r1
  // and r2 are zero (2^(f1 + f2) and 2^(f1 + f2 + f3) < 2 - 2^-12 even with table error).
  logic unused_bits;
  assign unused_bits = ^{prod1[30:0], prod2[63], prod2[30:0], prod3[63], prod3[30:0],
                         prod4[30:0], dln[40:0]};

endmodule
