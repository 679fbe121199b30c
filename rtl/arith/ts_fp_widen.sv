// SPDX-License-Identifier: Apache-2.0
// FP16 or BF16 to FP32 widening (always exact); NaNs become the canonical quiet NaN.
//
// A signalling NaN input raises invalid, as IEEE-754 requires for a format conversion.
// Combinational core followed by Stages valid-qualified registers (latency = Stages).
module ts_fp_widen #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic                     fmt_i,     // ts_pkg::FmtFp16 / FmtBf16
  input  logic [15:0]              a_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic [3:0]  lz;          // leading zeros of an FP16 subnormal fraction
  logic        frac_zero;
  logic [9:0]  sub_frac;
  logic [31:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  ts_lzc #(.Width(10)) u_lzc (
    .in_i  (a_i[9:0]),
    .cnt_o (lz),
    .zero_o(frac_zero)
  );

  always_comb begin
    // Drop the leading one of the subnormal fraction; what follows is the FP32 fraction.
    sub_frac = a_i[9:0] << (lz + 4'd1);
    flags_d  = '0;
    if (fmt_i == ts_pkg::FmtBf16) begin
      if ((a_i[14:7] == 8'hff) && (a_i[6:0] != '0)) begin
        res_d = ts_pkg::Fp32QNan;
        flags_d[ts_pkg::FlagNv] = !a_i[6];
      end else begin
        res_d = {a_i, 16'h0000};
      end
    end else begin
      if (a_i[14:10] == 5'h1f) begin
        if (frac_zero) begin
          res_d = {a_i[15], 8'hff, 23'd0};
        end else begin
          res_d = ts_pkg::Fp32QNan;
          flags_d[ts_pkg::FlagNv] = !a_i[9];
        end
      end else if (a_i[14:10] != '0) begin
        res_d = {a_i[15], {3'b000, a_i[14:10]} + 8'd112, a_i[9:0], 13'd0};
      end else if (frac_zero) begin
        res_d = {a_i[15], 31'd0};
      end else begin
        // value = 2^(-15 - lz) * 1.frac
        res_d = {a_i[15], 8'd112 - {4'b0, lz}, sub_frac, 13'd0};
      end
    end
  end

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth(Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
