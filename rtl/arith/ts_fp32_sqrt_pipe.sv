// SPDX-License-Identifier: Apache-2.0
// FP32 square root, fully pipelined: one operation per cycle, bit-exact with ts_fp32_sqrt.
// Latency = ceil(27 / BitsPerStage) + 2 cycles for every input (ts_fp32_divsqrt_pipe).
module ts_fp32_sqrt_pipe #(
  parameter int unsigned BitsPerStage = 3
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  ts_fp32_divsqrt_pipe #(.Sqrt(1'b1), .BitsPerStage(BitsPerStage)) u_pipe (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (in_valid_i),
    .a_i        (a_i),
    .b_i        ('0),
    .out_valid_o(out_valid_o),
    .res_o      (res_o),
    .flags_o    (flags_o)
  );

endmodule
