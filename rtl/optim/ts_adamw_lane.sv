// SPDX-License-Identifier: Apache-2.0
// AdamW update of one element per cycle: FP32 state, IEEE RNE, PyTorch torch.optim.AdamW
// (single-tensor form) operation by operation:
//
//   g  = grad * inv_loss_scale                 grad FP32, or FP16/BF16 widened exactly
//   p  = p * decay                             decay = 1 - lr*wd; skipped if !decay_en_i
//   m  = m + omb1 * (g - m)                    omb1 = 1 - b1
//   v  = v * b2 + (omb2 * g) * g               omb2 = 1 - b2
//   d  = sqrt(v) / bc2s + eps                  bc2s = sqrt(1 - b2^t)
//   p  = p + nstep * (m / d)                   nstep = -(lr / (1 - b1^t))
//   p16 = p rounded to FP16 or BF16 (RNE)
//
// The scalars come from the host (docs/optim.md) and are held stable while elements flow.
// Fully pipelined: an element can enter every cycle; constant latency Latency from
// in_valid_i to out_valid_o. The scan outputs (g, g*g, g not finite) appear ScanLatency
// cycles after the input, for the gradient-scan pass (non-finite check and the sum of
// squares for global-norm clipping). flags_o is the OR of the IEEE flags of the update's
// operations completing this cycle (not aligned with any one element: the caller keeps
// them sticky); scan_flags_o likewise for g and g*g.
module ts_adamw_lane #(
  parameter int unsigned DivBits = 3,  // digits per stage of the divider / square root
  localparam int unsigned FW     = ts_pkg::FlagW,
  localparam int unsigned DsLat  = (27 + DivBits - 1) / DivBits + 2,
  localparam int unsigned Latency = 4 + DsLat + DsLat + 1 + DsLat + 3  // ScanLatency is 2
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  // Scalars (FP32 bits) and modes, stable while elements are in flight.
  input  logic [1:0]    gfmt_i,       // 0 FP32, 1 FP16, 2 BF16 (in grad_i[15:0])
  input  logic          p16fmt_i,     // ts_pkg::FmtFp16 / FmtBf16 for p16_o
  input  logic          decay_en_i,
  input  logic [31:0]   inv_ls_i,
  input  logic [31:0]   decay_i,
  input  logic [31:0]   omb1_i,
  input  logic [31:0]   b2_i,
  input  logic [31:0]   omb2_i,
  input  logic [31:0]   bc2s_i,
  input  logic [31:0]   eps_i,
  input  logic [31:0]   nstep_i,
  // Element in.
  input  logic          in_valid_i,
  input  logic [31:0]   grad_i,
  input  logic [31:0]   p_i,
  input  logic [31:0]   m_i,
  input  logic [31:0]   v_i,
  // Updated element out.
  output logic          out_valid_o,
  output logic [31:0]   p_o,
  output logic [31:0]   m_o,
  output logic [31:0]   v_o,
  output logic [15:0]   p16_o,
  output logic [FW-1:0] flags_o,
  // Scan outputs.
  output logic          scan_valid_o,
  output logic [31:0]   scan_g_o,
  output logic [31:0]   scan_gsq_o,
  output logic          scan_nonfinite_o,
  output logic [FW-1:0] scan_flags_o
);

  // ---------------------------------------------------------------- cycle 0 -> 1
  logic [31:0]   g_raw, g16_w;
  logic [FW-1:0] unused_wflags;
  logic          unused_wvalid;

  ts_fp_widen #(.Stages(0)) u_widen (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i), .fmt_i(gfmt_i == 2'd2),
    .a_i(grad_i[15:0]), .out_valid_o(unused_wvalid), .res_o(g16_w), .flags_o(unused_wflags)
  );
  assign g_raw = (gfmt_i == 2'd0) ? grad_i : g16_w;

  logic          v1, v1_pd, v1_t3, v1_m, v1_p;
  logic [31:0]   g1, pd_mul1, t3_1, m1, p1;
  logic [FW-1:0] f_g1, f_pd1, f_t3_1;

  ts_fp32_mul u_g (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i), .a_i(g_raw), .b_i(inv_ls_i),
    .out_valid_o(v1), .res_o(g1), .flags_o(f_g1)
  );
  ts_fp32_mul u_decay (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i && decay_en_i), .a_i(p_i), .b_i(decay_i),
    .out_valid_o(v1_pd), .res_o(pd_mul1), .flags_o(f_pd1)
  );
  ts_fp32_mul u_vb2 (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i), .a_i(v_i), .b_i(b2_i),
    .out_valid_o(v1_t3), .res_o(t3_1), .flags_o(f_t3_1)
  );
  ts_pipe #(.Width(32), .Depth(1)) u_m1 (
    .clk_i, .rst_ni, .valid_i(in_valid_i), .data_i(m_i), .valid_o(v1_m), .data_o(m1)
  );
  ts_pipe #(.Width(32), .Depth(1)) u_p1 (
    .clk_i, .rst_ni, .valid_i(in_valid_i), .data_i(p_i), .valid_o(v1_p), .data_o(p1)
  );

  logic [31:0] pd1;
  assign pd1 = decay_en_i ? pd_mul1 : p1;

  // ---------------------------------------------------------------- cycle 1 -> 2
  logic          v2, v2_t4, v2_sq, v2_g, v2_m, v2_t3;
  logic [31:0]   t1_2, t4_2, gsq2, g2, m2, t3_2;
  logic [FW-1:0] f_t1_2, f_t4_2, f_sq2;
  logic          nf1, nf2;

  ts_fp32_add u_gm (
    .clk_i, .rst_ni, .in_valid_i(v1), .a_i(g1), .b_i(m1), .sub_i(1'b1),
    .out_valid_o(v2), .res_o(t1_2), .flags_o(f_t1_2)
  );
  ts_fp32_mul u_omb2g (
    .clk_i, .rst_ni, .in_valid_i(v1), .a_i(omb2_i), .b_i(g1),
    .out_valid_o(v2_t4), .res_o(t4_2), .flags_o(f_t4_2)
  );
  ts_fp32_mul u_gsq (
    .clk_i, .rst_ni, .in_valid_i(v1), .a_i(g1), .b_i(g1),
    .out_valid_o(v2_sq), .res_o(gsq2), .flags_o(f_sq2)
  );
  assign nf1 = (g1[30:23] == 8'hff);
  ts_pipe #(.Width(33), .Depth(1)) u_g2 (
    .clk_i, .rst_ni, .valid_i(v1), .data_i({nf1, g1}), .valid_o(v2_g), .data_o({nf2, g2})
  );
  ts_pipe #(.Width(64), .Depth(1)) u_mt3_2 (
    .clk_i, .rst_ni, .valid_i(v1), .data_i({m1, t3_1}), .valid_o(v2_m), .data_o({m2, t3_2})
  );
  assign v2_t3 = v2_m;

  assign scan_valid_o     = v2_sq;
  assign scan_g_o         = g2;
  assign scan_gsq_o       = gsq2;
  assign scan_nonfinite_o = nf2;

  // ---------------------------------------------------------------- cycle 2 -> 3
  logic          v3, v3_t5, v3_mt;
  logic [31:0]   t2_3, t5_3, m3, t3_3;
  logic [FW-1:0] f_t2_3, f_t5_3;

  ts_fp32_mul u_omb1 (
    .clk_i, .rst_ni, .in_valid_i(v2), .a_i(omb1_i), .b_i(t1_2),
    .out_valid_o(v3), .res_o(t2_3), .flags_o(f_t2_3)
  );
  ts_fp32_mul u_t5 (
    .clk_i, .rst_ni, .in_valid_i(v2_t4), .a_i(t4_2), .b_i(g2),
    .out_valid_o(v3_t5), .res_o(t5_3), .flags_o(f_t5_3)
  );
  ts_pipe #(.Width(64), .Depth(1)) u_mt3_3 (
    .clk_i, .rst_ni, .valid_i(v2_t3), .data_i({m2, t3_2}), .valid_o(v3_mt), .data_o({m3, t3_3})
  );

  // ---------------------------------------------------------------- cycle 3 -> 4
  logic          v4_m, v4_v;
  logic [31:0]   mn4, vn4;
  logic [FW-1:0] f_m4, f_v4;

  ts_fp32_add u_mnew (
    .clk_i, .rst_ni, .in_valid_i(v3), .a_i(m3), .b_i(t2_3), .sub_i(1'b0),
    .out_valid_o(v4_m), .res_o(mn4), .flags_o(f_m4)
  );
  ts_fp32_add u_vnew (
    .clk_i, .rst_ni, .in_valid_i(v3_t5), .a_i(t3_3), .b_i(t5_3), .sub_i(1'b0),
    .out_valid_o(v4_v), .res_o(vn4), .flags_o(f_v4)
  );

  // ---------------------------------------------------------------- d = sqrt(v)/bc2s + eps
  logic          v_s, v_q, v_d;
  logic [31:0]   s_res, q_res, d_res;
  logic [FW-1:0] f_s, f_q, f_d;

  ts_fp32_sqrt_pipe #(.BitsPerStage(DivBits)) u_sqrt (
    .clk_i, .rst_ni, .in_valid_i(v4_v), .a_i(vn4),
    .out_valid_o(v_s), .res_o(s_res), .flags_o(f_s)
  );
  ts_fp32_div_pipe #(.BitsPerStage(DivBits)) u_div_bc2 (
    .clk_i, .rst_ni, .in_valid_i(v_s), .a_i(s_res), .b_i(bc2s_i),
    .out_valid_o(v_q), .res_o(q_res), .flags_o(f_q)
  );
  ts_fp32_add u_eps (
    .clk_i, .rst_ni, .in_valid_i(v_q), .a_i(q_res), .b_i(eps_i), .sub_i(1'b0),
    .out_valid_o(v_d), .res_o(d_res), .flags_o(f_d)
  );

  // m (new) waits for d: cycle 4 -> 4 + 2 DsLat + 1.
  logic        v_md;
  logic [31:0] m_d;
  ts_pipe #(.Width(32), .Depth(2 * DsLat + 1)) u_m_wait (
    .clk_i, .rst_ni, .valid_i(v4_m), .data_i(mn4), .valid_o(v_md), .data_o(m_d)
  );

  // ---------------------------------------------------------------- p = pd + nstep*(m/d)
  logic          v_r, v_u, v_p;
  logic [31:0]   r_res, u_res, p_res;
  logic [FW-1:0] f_r, f_u, f_p;

  ts_fp32_div_pipe #(.BitsPerStage(DivBits)) u_div_md (
    .clk_i, .rst_ni, .in_valid_i(v_d), .a_i(m_d), .b_i(d_res),
    .out_valid_o(v_r), .res_o(r_res), .flags_o(f_r)
  );
  ts_fp32_mul u_step (
    .clk_i, .rst_ni, .in_valid_i(v_r), .a_i(nstep_i), .b_i(r_res),
    .out_valid_o(v_u), .res_o(u_res), .flags_o(f_u)
  );

  // pd waits from cycle 1 to the final add's input (cycle Latency - 2); m and v (new)
  // from cycle 4 (m again from its use at the divider) to the output register's input.
  localparam int unsigned PdWait = Latency - 3;
  localparam int unsigned MvWait = Latency - 5;
  logic        v_pdw, v_mvw;
  logic [31:0] pd_w, m_w, v_w;
  ts_pipe #(.Width(32), .Depth(PdWait)) u_pd_wait (
    .clk_i, .rst_ni, .valid_i(v1_p), .data_i(pd1), .valid_o(v_pdw), .data_o(pd_w)
  );
  ts_pipe #(.Width(64), .Depth(MvWait)) u_mv_wait (
    .clk_i, .rst_ni, .valid_i(v4_m), .data_i({mn4, vn4}), .valid_o(v_mvw), .data_o({m_w, v_w})
  );

  ts_fp32_add u_pnew (
    .clk_i, .rst_ni, .in_valid_i(v_u), .a_i(pd_w), .b_i(u_res), .sub_i(1'b0),
    .out_valid_o(v_p), .res_o(p_res), .flags_o(f_p)
  );

  // ---------------------------------------------------------------- output register
  logic [15:0]   p16;
  logic [FW-1:0] f_n;
  logic          unused_nvalid;
  ts_fp_narrow #(.Stages(0)) u_narrow (
    .clk_i, .rst_ni, .in_valid_i(v_p), .fmt_i(p16fmt_i), .a_i(p_res),
    .out_valid_o(unused_nvalid), .res_o(p16), .flags_o(f_n)
  );

  logic        m_w2_valid;
  logic [63:0] mv_w2;
  ts_pipe #(.Width(64), .Depth(1)) u_mv_last (
    .clk_i, .rst_ni, .valid_i(v_mvw), .data_i({m_w, v_w}), .valid_o(m_w2_valid), .data_o(mv_w2)
  );
  ts_pipe #(.Width(48), .Depth(1)) u_out (
    .clk_i, .rst_ni, .valid_i(v_p), .data_i({p_res, p16}), .valid_o(out_valid_o),
    .data_o({p_o, p16_o})
  );
  assign {m_o, v_o} = mv_w2;

  // ---------------------------------------------------------------- flags
  // Each operation's flags count when its result is valid; the p16 rounding's flags are
  // not IEEE flags of the update (the FP32 p is the state) and are left out.
  always_comb begin
    flags_o = '0;
    if (v1_pd) flags_o = flags_o | f_pd1;
    if (v1_t3) flags_o = flags_o | f_t3_1;
    if (v1)    flags_o = flags_o | f_g1;
    if (v2)    flags_o = flags_o | f_t1_2;
    if (v2_t4) flags_o = flags_o | f_t4_2;
    if (v3)    flags_o = flags_o | f_t2_3;
    if (v3_t5) flags_o = flags_o | f_t5_3;
    if (v4_m)  flags_o = flags_o | f_m4;
    if (v4_v)  flags_o = flags_o | f_v4;
    if (v_s)   flags_o = flags_o | f_s;
    if (v_q)   flags_o = flags_o | f_q;
    if (v_d)   flags_o = flags_o | f_d;
    if (v_r)   flags_o = flags_o | f_r;
    if (v_u)   flags_o = flags_o | f_u;
    if (v_p)   flags_o = flags_o | f_p;
    scan_flags_o = '0;
    if (v1)    scan_flags_o = scan_flags_o | f_g1;
    if (v2_sq) scan_flags_o = scan_flags_o | f_sq2;
  end

  logic unused;
  assign unused = ^{v1_m, v2_g, v3_mt, v_md, v_pdw, m_w2_valid, f_n};

endmodule
