// SPDX-License-Identifier: Apache-2.0
// Gradient scan of one element per cycle, the same operations as ts_adamw_lane's scan
// outputs (golden::adamw_scan): g = grad * inv_loss_scale (grad FP32, or FP16/BF16 widened
// exactly), g*g, and whether g is Inf or NaN. Latency 2. flags_o is the OR of the flags of
// the multiplications completing this cycle (the caller keeps them sticky).
module ts_adamw_scan #(
  localparam int unsigned FW = ts_pkg::FlagW
) (
  input  logic          clk_i,
  input  logic          rst_ni,
  input  logic [1:0]    gfmt_i,       // 0 FP32, 1 FP16, 2 BF16 (in grad_i[15:0])
  input  logic [31:0]   inv_ls_i,
  input  logic          in_valid_i,
  input  logic [31:0]   grad_i,
  output logic          out_valid_o,
  output logic [31:0]   gsq_o,
  output logic          nonfinite_o,
  output logic [FW-1:0] flags_o
);

  logic [31:0]   g_raw, g16_w, g1;
  logic [FW-1:0] unused_wflags, f_g1, f_sq2;
  logic          unused_wvalid, v1, nf1, v2_nf;

  ts_fp_widen #(.Stages(0)) u_widen (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i), .fmt_i(gfmt_i == 2'd2),
    .a_i(grad_i[15:0]), .out_valid_o(unused_wvalid), .res_o(g16_w), .flags_o(unused_wflags)
  );
  assign g_raw = (gfmt_i == 2'd0) ? grad_i : g16_w;

  ts_fp32_mul u_g (
    .clk_i, .rst_ni, .in_valid_i(in_valid_i), .a_i(g_raw), .b_i(inv_ls_i),
    .out_valid_o(v1), .res_o(g1), .flags_o(f_g1)
  );
  ts_fp32_mul u_gsq (
    .clk_i, .rst_ni, .in_valid_i(v1), .a_i(g1), .b_i(g1),
    .out_valid_o(out_valid_o), .res_o(gsq_o), .flags_o(f_sq2)
  );
  assign nf1 = (g1[30:23] == 8'hff);
  ts_pipe #(.Width(1), .Depth(1)) u_nf (
    .clk_i, .rst_ni, .valid_i(v1), .data_i(nf1), .valid_o(v2_nf), .data_o(nonfinite_o)
  );

  always_comb begin
    flags_o = '0;
    if (v1)          flags_o = flags_o | f_g1;
    if (out_valid_o) flags_o = flags_o | f_sq2;
  end

  logic unused;
  assign unused = ^{unused_wflags, unused_wvalid, v2_nf};

endmodule
