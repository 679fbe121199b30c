// SPDX-License-Identifier: Apache-2.0
// Valid-qualified pipeline registers: Depth stages, valid reset, data enabled by valid.
module ts_pipe #(
  parameter int unsigned Width = 32,
  parameter int unsigned Depth = 1
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             valid_i,
  input  logic [Width-1:0] data_i,
  output logic             valid_o,
  output logic [Width-1:0] data_o
);

  logic [Depth:0]           valid;
  logic [Width*(Depth+1)-1:0] data;

  assign valid[0]         = valid_i;
  assign data[Width-1:0]  = data_i;

  for (genvar s = 0; s < Depth; s++) begin : g_stage
    logic             valid_q;
    logic [Width-1:0] data_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        valid_q <= 1'b0;
      end else begin
        valid_q <= valid[s];
      end
    end

    // Wide datapath registers are not reset (STYLE rule 7); they only load with valid.
    always_ff @(posedge clk_i) begin
      if (valid[s]) begin
        data_q <= data[s*Width +: Width];
      end
    end

    assign valid[s+1]                 = valid_q;
    assign data[(s+1)*Width +: Width] = data_q;
  end

  if (Depth == 0) begin : g_wire
    logic unused_clk;  // Depth 0: a wire (combinational users of pipelined units)
    assign unused_clk = clk_i ^ rst_ni;
  end

  assign valid_o = valid[Depth];
  assign data_o  = data[Depth*Width +: Width];

endmodule
