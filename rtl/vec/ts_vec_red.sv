// SPDX-License-Identifier: Apache-2.0
// Row reductions of the vector engine: per-block lane tree, fold over blocks, racc.
//
// R1 (in_*): SUMSQ squares each lane (RNE), lanes outside the matrix give the identity
// (-0 for SUM/SUMSQ, -Inf for MAX), and a balanced tree combines lanes (0,1), (2,3), ...,
// then pairs of those (a heap of Dim-1 nodes, left operand = lower lanes); registered.
// R2 (r2_*, the R1 inputs one cycle later): the fold s = tree (first block) or s + tree
// (fp32_add or max) in a one-cycle loop register; the last block stores s into lane
// r mod Dim of the group's s vector. A token (the group's old s row, after its rows)
// gives the row to write: lanes with r < rows take s, or old + s with racc; the others
// keep old. Flags of every combination are reported in the cycle it is made.
`include "ts_assert.svh"

module ts_vec_red #(
  parameter int unsigned Dim = 4,
  localparam int unsigned LgDim = $clog2(Dim),
  localparam int unsigned RowW  = Dim * 32
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic [1:0]               red_i,     // 1 MAX, 2 SUM, 3 SUMSQ (constant per command)
  input  logic                     racc_i,
  // R1: lane results of a data row
  input  logic                     in_valid_i,
  input  logic [Dim-1:0]           in_vmask_i,
  input  logic [RowW-1:0]          in_u_i,
  // R2: the same slot one cycle later
  input  logic                     r2_valid_i,
  input  logic                     r2_token_i,
  input  logic                     r2_first_i,
  input  logic                     r2_last_i,
  input  logic [LgDim-1:0]         r2_lidx_i,
  input  logic [Dim-1:0]           r2_gmask_i,  // token: lanes r < rows
  input  logic [RowW-1:0]          r2_old_i,    // token: the old s row
  output logic [RowW-1:0]          s_row_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned FlagW = ts_pkg::FlagW;
  localparam logic [1:0] RedMax = 2'd1, RedSumsq = 2'd3;
  localparam int unsigned Nodes = 2 * Dim - 1;

  logic is_max;
  assign is_max = (red_i == RedMax);

  // ---------------------------------------------------------------- R1: leaves and tree
  logic [Nodes*32-1:0]    node /* verilator split_var */;
  logic [Nodes*FlagW-1:0] node_fl;
  logic [FlagW-1:0]       r1_fl;

  for (genvar l = 0; l < Dim; l++) begin : g_leaf
    logic [31:0]      sq, v;
    logic [FlagW-1:0] sq_fl;
    logic             unused_sq_v;

    ts_fp32_mul #(.Stages(0)) u_sq (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (in_valid_i),
      .a_i        (in_u_i[l*32 +: 32]),
      .b_i        (in_u_i[l*32 +: 32]),
      .out_valid_o(unused_sq_v),
      .res_o      (sq),
      .flags_o    (sq_fl)
    );

    always_comb begin
      if (!in_vmask_i[l]) begin
        v = is_max ? 32'hff800000 : 32'h80000000;
      end else if (red_i == RedSumsq) begin
        v = sq;
      end else begin
        v = in_u_i[l*32 +: 32];
      end
    end
    assign node[(Dim-1+l)*32 +: 32]       = v;
    assign node_fl[(Dim-1+l)*FlagW +: FlagW] =
      (in_vmask_i[l] && (red_i == RedSumsq)) ? sq_fl : '0;
  end

  for (genvar k = 0; k < Dim - 1; k++) begin : g_node
    logic [31:0]      sum, mx;
    logic [FlagW-1:0] sum_fl, mx_fl;
    logic             unused_sum_v;

    ts_fp32_add #(.Stages(0)) u_add (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (in_valid_i),
      .a_i        (node[(2*k+1)*32 +: 32]),
      .b_i        (node[(2*k+2)*32 +: 32]),
      .sub_i      (1'b0),
      .out_valid_o(unused_sum_v),
      .res_o      (sum),
      .flags_o    (sum_fl)
    );

    ts_vec_minmax u_max (
      .min_i  (1'b0),
      .a_i    (node[(2*k+1)*32 +: 32]),
      .b_i    (node[(2*k+2)*32 +: 32]),
      .res_o  (mx),
      .flags_o(mx_fl)
    );

    assign node[k*32 +: 32]          = is_max ? mx : sum;
    assign node_fl[k*FlagW +: FlagW] = is_max ? mx_fl : sum_fl;
  end

  always_comb begin
    r1_fl = '0;
    for (int unsigned n = 0; n < Nodes; n++) r1_fl |= node_fl[n*FlagW +: FlagW];
  end

  logic [31:0] tree_q;

  always_ff @(posedge clk_i) begin
    if (in_valid_i) begin
      tree_q <= node[31:0];
    end
  end

  // ---------------------------------------------------------------- R2: fold
  logic [31:0]      fold_q, fold_d, f_sum, f_max, fold_c;
  logic [FlagW-1:0] f_sum_fl, f_max_fl, fold_fl;
  logic             unused_f_v;
  logic [RowW-1:0]  sacc_q, sacc_d;
  logic             data2;

  ts_fp32_add #(.Stages(0)) u_fold_add (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (r2_valid_i),
    .a_i        (fold_q),
    .b_i        (tree_q),
    .sub_i      (1'b0),
    .out_valid_o(unused_f_v),
    .res_o      (f_sum),
    .flags_o    (f_sum_fl)
  );

  ts_vec_minmax u_fold_max (
    .min_i  (1'b0),
    .a_i    (fold_q),
    .b_i    (tree_q),
    .res_o  (f_max),
    .flags_o(f_max_fl)
  );

  always_comb begin
    data2   = r2_valid_i && !r2_token_i;
    fold_c  = is_max ? f_max : f_sum;
    fold_d  = r2_first_i ? tree_q : fold_c;
    fold_fl = (data2 && !r2_first_i) ? (is_max ? f_max_fl : f_sum_fl) : '0;
    sacc_d  = sacc_q;
    for (int unsigned l = 0; l < Dim; l++) begin
      if (data2 && r2_last_i && (r2_lidx_i == LgDim'(l))) sacc_d[l*32 +: 32] = fold_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (data2) begin
      fold_q <= fold_d;
      sacc_q <= sacc_d;
    end
  end

  // ---------------------------------------------------------------- R2: racc and merge
  logic [Dim*FlagW-1:0] racc_fl;

  for (genvar l = 0; l < Dim; l++) begin : g_racc
    logic [31:0]      old, s, sum, mx, comb;
    logic [FlagW-1:0] sum_fl, mx_fl;
    logic             unused_v;

    assign old = r2_old_i[l*32 +: 32];
    assign s   = sacc_q[l*32 +: 32];

    ts_fp32_add #(.Stages(0)) u_add (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (r2_valid_i),
      .a_i        (old),
      .b_i        (s),
      .sub_i      (1'b0),
      .out_valid_o(unused_v),
      .res_o      (sum),
      .flags_o    (sum_fl)
    );

    ts_vec_minmax u_max (
      .min_i  (1'b0),
      .a_i    (old),
      .b_i    (s),
      .res_o  (mx),
      .flags_o(mx_fl)
    );

    assign comb = is_max ? mx : sum;
    assign s_row_o[l*32 +: 32] = !r2_gmask_i[l] ? old : (racc_i ? comb : s);
    assign racc_fl[l*FlagW +: FlagW] =
      (r2_valid_i && r2_token_i && r2_gmask_i[l] && racc_i) ? (is_max ? mx_fl : sum_fl) : '0;
  end

  always_comb begin
    flags_o = fold_fl;
    if (in_valid_i) flags_o |= r1_fl;
    for (int unsigned l = 0; l < Dim; l++) flags_o |= racc_fl[l*FlagW +: FlagW];
  end

  // Assertions
  `TS_ASSERT_INIT(a_dim, Dim >= 2 && (Dim & (Dim - 1)) == 0, "Dim must be a power of two >= 2")

endmodule
