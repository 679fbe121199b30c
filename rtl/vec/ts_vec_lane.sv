// SPDX-License-Identifier: Apache-2.0
// One lane of the vector engine: t = op1(a, b), sat, mask, then u = fn(t) (docs/vec.md).
//
// Fixed latency FnLat + 2 (ts_vec's LaneLat) for every fn: a register after op1/sat/mask, FnLat
// cycles of fn (every fn path padded to the longest, RSQRT = ts_fp32_sqrt_pipe then
// ts_fp32_div_pipe; RECIP bypasses the square root through a delay so that one divider
// serves both), and an output register. One element per cycle, no stall. fn_i must be
// constant while elements are in flight (the engine runs one command at a time).
// byp_i passes a unchanged (u = a) with no flags (the engine's old-s rows ride along).
// Flags: op1's for vld_i && !hid_i, fn's for vld_i; none for a bypassed element.
`include "ts_assert.svh"

module ts_vec_lane #(
  parameter bit          DivSqrt      = 1'b1,
  parameter int unsigned BitsPerStage = 3,
  localparam int unsigned DivLat = (27 + BitsPerStage - 1) / BitsPerStage + 2,
  localparam int unsigned ExpLat = 4,
  localparam int unsigned FnLat  = DivSqrt ? 2 * DivLat : ExpLat
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic [2:0]               op1_i,
  input  logic                     sat_i,
  input  logic [2:0]               fn_i,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  input  logic                     vld_i,     // element inside the matrix (c < cols)
  input  logic                     hid_i,     // hidden by the mask: t = -Inf
  input  logic                     byp_i,     // u = a, no flags
  output logic                     out_valid_o,
  output logic [31:0]              u_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned FlagW = ts_pkg::FlagW;
  localparam logic [2:0] Op1Pass = 3'd0, Op1Add = 3'd1, Op1Sub = 3'd2, Op1Mul = 3'd3;
  localparam logic [2:0] Op1Max = 3'd4;
  localparam logic [2:0] FnNone = 3'd0, FnExp = 3'd1, FnRecip = 3'd2, FnRsqrt = 3'd3;
  localparam logic [2:0] FnRfp16 = 3'd4, FnRbf16 = 3'd5;

  // ---------------------------------------------------------------- op1, sat, mask
  logic [31:0]      add_res, mul_res, mm_res, t_d, t_q;
  logic [FlagW-1:0] add_fl, mul_fl, mm_fl, op_fl, fl1_d, fl1_q;
  logic             unused_add_v, unused_mul_v;
  logic             v_q, vld_q, byp_q;

  ts_fp32_add #(.Stages(0)) u_add (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid_i),
    .a_i        (a_i),
    .b_i        (b_i),
    .sub_i      (op1_i == Op1Sub),
    .out_valid_o(unused_add_v),
    .res_o      (add_res),
    .flags_o    (add_fl)
  );

  ts_fp32_mul #(.Stages(0)) u_mul (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid_i),
    .a_i        (a_i),
    .b_i        (b_i),
    .out_valid_o(unused_mul_v),
    .res_o      (mul_res),
    .flags_o    (mul_fl)
  );

  ts_vec_minmax u_mm (
    .min_i  (op1_i != Op1Max),
    .a_i    (a_i),
    .b_i    (b_i),
    .res_o  (mm_res),
    .flags_o(mm_fl)
  );

  always_comb begin
    unique case (op1_i)
      Op1Pass: begin
        t_d   = a_i;
        op_fl = '0;
      end
      Op1Add, Op1Sub: begin
        t_d   = add_res;
        op_fl = add_fl;
      end
      Op1Mul: begin
        t_d   = mul_res;
        op_fl = mul_fl;
      end
      default: begin  // MAX, MIN
        t_d   = mm_res;
        op_fl = mm_fl;
      end
    endcase
    if (sat_i && (t_d[30:0] == 31'h7f800000)) t_d = {t_d[31], 31'h7f7fffff};
    fl1_d = (vld_i && !hid_i && !byp_i) ? op_fl : '0;
    if (hid_i) t_d = 32'hff800000;
    if (byp_i) t_d = a_i;
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v_q <= 1'b0;
    end else begin
      v_q <= in_valid_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (in_valid_i) begin
      t_q   <= t_d;
      fl1_q <= fl1_d;
      vld_q <= vld_i && !byp_i;
      byp_q <= byp_i;
    end
  end

  // ---------------------------------------------------------------- fn
  // NONE / bypass path: t with its control bits, delayed FnLat.
  logic             pass_v;
  logic [31:0]      pass_t;
  logic [FlagW-1:0] pass_fl1;
  logic             pass_vld, pass_byp;

  ts_pipe #(.Width(32 + FlagW + 2), .Depth(FnLat)) u_pass (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_q),
    .data_i ({t_q, fl1_q, vld_q, byp_q}),
    .valid_o(pass_v),
    .data_o ({pass_t, pass_fl1, pass_vld, pass_byp})
  );

  // EXP: ts_vec_exp (latency ExpLat), padded.
  logic             exp_v, exp_dv, unused_exp_dv;
  logic [31:0]      exp_res, exp_d;
  logic [FlagW-1:0] exp_fl, exp_dfl;

  ts_vec_exp u_exp (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (v_q),
    .x_i        (t_q),
    .out_valid_o(exp_v),
    .res_o      (exp_res),
    .flags_o    (exp_fl)
  );

  ts_pipe #(.Width(32 + FlagW), .Depth(FnLat - ExpLat)) u_exp_pad (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(exp_v),
    .data_i ({exp_res, exp_fl}),
    .valid_o(exp_dv),
    .data_o ({exp_d, exp_dfl})
  );
  assign unused_exp_dv = exp_dv;

  // RFP16 / RBF16: narrow then widen (combinational), padded.
  logic [15:0]      nar_res;
  logic [31:0]      wid_res, rfp_d;
  logic [FlagW-1:0] nar_fl, wid_fl, rfp_dfl;
  logic             unused_nar_v, unused_wid_v, unused_rfp_v;

  ts_fp_narrow #(.Stages(0)) u_narrow (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (v_q),
    .fmt_i      (fn_i == FnRbf16),
    .a_i        (t_q),
    .out_valid_o(unused_nar_v),
    .res_o      (nar_res),
    .flags_o    (nar_fl)
  );

  ts_fp_widen #(.Stages(0)) u_widen (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (v_q),
    .fmt_i      (fn_i == FnRbf16),
    .a_i        (nar_res),
    .out_valid_o(unused_wid_v),
    .res_o      (wid_res),
    .flags_o    (wid_fl)
  );

  ts_pipe #(.Width(32 + FlagW), .Depth(FnLat)) u_rfp_pad (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_q),
    .data_i ({wid_res, nar_fl | wid_fl}),
    .valid_o(unused_rfp_v),
    .data_o ({rfp_d, rfp_dfl})
  );

  // RECIP / RSQRT: 1 / t or 1 / sqrt(t) through one divider.
  logic [31:0]      div_res;
  logic [FlagW-1:0] div_fl_all;

  if (DivSqrt) begin : g_div
    logic             sq_v, dl_v, dv_v, unused_sq_v2, unused_dl_v;
    logic [31:0]      sq_res, dl_t;
    logic [FlagW-1:0] sq_fl, sq_fl2, div_fl;

    ts_fp32_sqrt_pipe #(.BitsPerStage(BitsPerStage)) u_sqrt (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (v_q),
      .a_i        (t_q),
      .out_valid_o(sq_v),
      .res_o      (sq_res),
      .flags_o    (sq_fl)
    );

    ts_pipe #(.Width(32), .Depth(DivLat)) u_t_dly (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(v_q),
      .data_i (t_q),
      .valid_o(dl_v),
      .data_o (dl_t)
    );
    assign unused_dl_v = dl_v;

    ts_fp32_div_pipe #(.BitsPerStage(BitsPerStage)) u_div (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (sq_v),
      .a_i        (32'h3f800000),
      .b_i        ((fn_i == FnRsqrt) ? sq_res : dl_t),
      .out_valid_o(dv_v),
      .res_o      (div_res),
      .flags_o    (div_fl)
    );

    ts_pipe #(.Width(FlagW), .Depth(DivLat)) u_sqfl_dly (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(sq_v),
      .data_i ((fn_i == FnRsqrt) ? sq_fl : '0),
      .valid_o(unused_sq_v2),
      .data_o (sq_fl2)
    );

    logic unused_dv;
    assign unused_dv = dv_v;
    assign div_fl_all = div_fl | sq_fl2;
  end else begin : g_no_div
    assign div_res    = '0;
    assign div_fl_all = '0;
  end

  // ---------------------------------------------------------------- output register
  logic [31:0]      u_d, u_q;
  logic [FlagW-1:0] fl_d, fl_q, fn_fl;
  logic             ov_q;

  always_comb begin
    unique case (fn_i)
      FnNone: begin
        u_d   = pass_t;
        fn_fl = '0;
      end
      FnExp: begin
        u_d   = exp_d;
        fn_fl = exp_dfl;
      end
      FnRecip, FnRsqrt: begin
        u_d   = div_res;
        fn_fl = div_fl_all;
      end
      FnRfp16, FnRbf16: begin
        u_d   = rfp_d;
        fn_fl = rfp_dfl;
      end
      default: begin
        u_d   = pass_t;
        fn_fl = '0;
      end
    endcase
    if (pass_byp) u_d = pass_t;
    fl_d = pass_fl1 | (pass_vld ? fn_fl : '0);
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ov_q <= 1'b0;
    end else begin
      ov_q <= pass_v;
    end
  end

  always_ff @(posedge clk_i) begin
    if (pass_v) begin
      u_q  <= u_d;
      fl_q <= fl_d;
    end
  end

  assign out_valid_o = ov_q;
  assign u_o         = u_q;
  assign flags_o     = fl_q;

  // Assertions
  `TS_ASSERT_INIT(a_bits, BitsPerStage >= 1 && BitsPerStage <= 27, "BitsPerStage in 1..27")
  `TS_ASSERT(a_no_div_fn, !(v_q && !DivSqrt && (fn_i == FnRecip || fn_i == FnRsqrt)), clk_i,
             rst_ni, "RECIP/RSQRT without dividers (the decoder refuses them)")

endmodule
