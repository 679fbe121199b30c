// SPDX-License-Identifier: Apache-2.0
// Signed INT8 x INT8 multiply-accumulate into INT32 (two's-complement wrap on overflow).
//
// Combinational core followed by Stages valid-qualified registers (latency = Stages).
module ts_int8_mac #(
  parameter int unsigned Stages = 1
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [7:0]  a_i,
  input  logic [7:0]  b_i,
  input  logic [31:0] acc_i,
  output logic        out_valid_o,
  output logic [31:0] acc_o
);

  logic signed [15:0] prod;
  logic [31:0]        acc_d;

  assign prod  = $signed(a_i) * $signed(b_i);
  assign acc_d = acc_i + {{16{prod[15]}}, prod};

  ts_pipe #(.Width(32), .Depth(Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i (acc_d),
    .valid_o(out_valid_o),
    .data_o (acc_o)
  );

endmodule
