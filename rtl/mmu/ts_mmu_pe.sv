// SPDX-License-Identifier: Apache-2.0
// One weight-stationary PE: two weight banks, FP16/BF16 exact product + FP32 RNE add, or INT8 MAC.
//
// Timing (cycle U = the cycle the activation is at a_*_i; M = MulStages, A = AddStages):
//   U   : product formed from a_data_i and the weight of bank a_bank_i, in M pipeline
//         stages (M = 2: cut after the significand product; the INT8 bytes are delayed
//         to match);
//   U+M : partial sum from the PE above (ps_*_i) + product, in A pipeline stages (the FP32
//         adder cut inside its datapath, docs/arith.md; the INT8 sum is delayed to match);
//   U+M+A : ps_*_o valid for the PE below. The activation is passed right, registered.
// So the PE below must see the same activation A cycles later (ts_mmu skews the rows).
// A weight write (w_we_i) takes effect at the next cycle; the loader's skew guarantees
// that no activation still needing the old value of that bank arrives afterwards.
// FirstRow PEs ignore ps_*_i and start from -0.0 (FP) or 0 (INT8).
`include "ts_assert.svh"

module ts_mmu_pe #(
  parameter bit          FirstRow  = 1'b0,
  parameter int unsigned MulStages = 1,  // 1 or 2
  parameter int unsigned AddStages = 1   // >= 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // Weight shadow-bank write.
  input  logic                     w_we_i,
  input  logic                     w_bank_i,
  input  logic [15:0]              w_data_i,
  // Activation from the left, and passed to the right.
  input  logic                     a_valid_i,
  input  logic                     a_bank_i,
  input  logic [1:0]               a_dtype_i,
  input  logic [15:0]              a_data_i,
  output logic                     a_valid_o,
  output logic                     a_bank_o,
  output logic [1:0]               a_dtype_o,
  output logic [15:0]              a_data_o,
  // Partial sum from above, and to below.
  input  logic                     ps_valid_i,
  input  logic [31:0]              ps_data_i,
  input  logic [ts_pkg::FlagW-1:0] ps_flags_i,
  output logic                     ps_valid_o,
  output logic [31:0]              ps_data_o,
  output logic [ts_pkg::FlagW-1:0] ps_flags_o
);

  // Weight banks: datapath registers, not reset (STYLE rule 7).
  logic [15:0] w0_q, w1_q;
  always_ff @(posedge clk_i) begin
    if (w_we_i && !w_bank_i) begin
      w0_q <= w_data_i;
    end
  end
  always_ff @(posedge clk_i) begin
    if (w_we_i && w_bank_i) begin
      w1_q <= w_data_i;
    end
  end

  // Activation pass-through to the right.
  ts_pipe #(.Width(19), .Depth(1)) u_a_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(a_valid_i),
    .data_i ({a_bank_i, a_dtype_i, a_data_i}),
    .valid_o(a_valid_o),
    .data_o ({a_bank_o, a_dtype_o, a_data_o})
  );

  logic [15:0] w_sel;
  logic        is_int;
  assign w_sel  = a_bank_i ? w1_q : w0_q;
  assign is_int = (a_dtype_i == ts_mmu_pkg::DtInt8);

  // Stage 1, FP: exact product (rounded only where a BF16 product leaves FP32's range).
  logic                     p_valid;
  logic [31:0]              p_res;
  logic [ts_pkg::FlagW-1:0] p_flags;
  ts_fp_mul16 #(.Stages(MulStages)) u_mul (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (a_valid_i && !is_int),
    .fmt_i      (a_dtype_i[0]),
    .a_i        (a_data_i),
    .b_i        (w_sel),
    .out_valid_o(p_valid),
    .res_o      (p_res),
    .flags_o    (p_flags)
  );

  // Stage 1, INT8: the operand bytes are registered (M times); the MAC is stage 2.
  logic       i_valid;
  logic [7:0] i_a, i_w;
  ts_pipe #(.Width(16), .Depth(MulStages)) u_i_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(a_valid_i && is_int),
    .data_i ({a_data_i[7:0], w_sel[7:0]}),
    .valid_o(i_valid),
    .data_o ({i_a, i_w})
  );

  // Stage 2, FP: partial sum + product, RNE; flags of the column so far ride along.
  logic [31:0]              s_in;
  logic [ts_pkg::FlagW-1:0] f_in, f_q;
  logic                     s_valid, f_valid;
  logic [31:0]              s_res;
  logic [ts_pkg::FlagW-1:0] s_flags;
  assign s_in = FirstRow ? ts_mmu_pkg::Fp32NegZero : ps_data_i;
  assign f_in = FirstRow ? p_flags : (p_flags | ps_flags_i);

  ts_fp32_add #(.Stages(AddStages)) u_add (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (p_valid),
    .a_i        (s_in),
    .b_i        (p_res),
    .sub_i      (1'b0),
    .out_valid_o(s_valid),
    .res_o      (s_res),
    .flags_o    (s_flags)
  );

  ts_pipe #(.Width(ts_pkg::FlagW), .Depth(AddStages)) u_f_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(p_valid),
    .data_i (f_in),
    .valid_o(f_valid),
    .data_o (f_q)
  );

  // Stage 2, INT8: INT32 wrapping accumulate, then delayed to the FP sum's latency.
  logic        mac_valid, m_valid;
  logic [31:0] mac_acc, m_acc;
  ts_int8_mac #(.Stages(1)) u_mac (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (i_valid),
    .a_i        (i_a),
    .b_i        (i_w),
    .acc_i      (FirstRow ? 32'd0 : ps_data_i),
    .out_valid_o(mac_valid),
    .acc_o      (mac_acc)
  );

  ts_pipe #(.Width(32), .Depth(AddStages - 1)) u_m_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(mac_valid),
    .data_i (mac_acc),
    .valid_o(m_valid),
    .data_o (m_acc)
  );

  assign ps_valid_o = s_valid | m_valid;
  assign ps_data_o  = m_valid ? m_acc : s_res;
  assign ps_flags_o = s_valid ? (s_flags | f_q) : '0;

  // The first row has no partial sum input; its valid is only checked in other rows.
  logic unused_first;
  assign unused_first = FirstRow & ps_valid_i & f_valid;

  // Assertions
  `TS_ASSERT(a_ps_aligned, (p_valid || i_valid) |-> (FirstRow || ps_valid_i), clk_i, rst_ni,
             "partial sum from above missing when the product is ready")
  `TS_ASSERT(a_ps_no_extra, (!FirstRow && ps_valid_i) |-> (p_valid || i_valid), clk_i, rst_ni,
             "partial sum from above arrived without a product")
  `TS_ASSERT(a_one_path, !(s_valid && m_valid), clk_i, rst_ni, "FP and INT8 results at once")

endmodule
