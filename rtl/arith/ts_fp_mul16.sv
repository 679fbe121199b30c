// SPDX-License-Identifier: Apache-2.0
// FP16 x FP16 or BF16 x BF16 product into FP32 (format chosen per operation by fmt_i).
//
// The 11x11-bit significand product is exact; for FP16 it always fits FP32, so the
// result is exact. For BF16 the exponent range equals FP32's, so the product is
// rounded (RNE) only when it overflows or falls into FP32's subnormal range.
// Latency = Stages (0: combinational). With Stages >= 2 the first register is cut into the
// datapath after the significand product (ts_fp_mul_core Cut), the others are at the output.
module ts_fp_mul16 #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic                     fmt_i,     // ts_pkg::FmtFp16 / FmtBf16
  input  logic [15:0]              a_i,
  input  logic [15:0]              b_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  // Each operand unpacked to an 11-bit significand (hidden bit + 10 fraction bits) and
  // an effective exponent biased as FP32 (127).
  logic        a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [10:0] ma, mb;
  logic [8:0]  ea, eb;
  logic [31:0] res_d;
  logic        core_valid;
  logic [ts_pkg::FlagW-1:0] flags_d;

  always_comb begin
    if (fmt_i == ts_pkg::FmtBf16) begin
      a_nan  = (a_i[14:7] == 8'hff) && (a_i[6:0] != '0);
      b_nan  = (b_i[14:7] == 8'hff) && (b_i[6:0] != '0);
      a_snan = a_nan && !a_i[6];
      b_snan = b_nan && !b_i[6];
      a_inf  = (a_i[14:7] == 8'hff) && (a_i[6:0] == '0);
      b_inf  = (b_i[14:7] == 8'hff) && (b_i[6:0] == '0);
      ma     = {a_i[14:7] != '0, a_i[6:0], 3'b000};
      mb     = {b_i[14:7] != '0, b_i[6:0], 3'b000};
      ea     = (a_i[14:7] == '0) ? 9'd1 : {1'b0, a_i[14:7]};
      eb     = (b_i[14:7] == '0) ? 9'd1 : {1'b0, b_i[14:7]};
    end else begin
      a_nan  = (a_i[14:10] == 5'h1f) && (a_i[9:0] != '0);
      b_nan  = (b_i[14:10] == 5'h1f) && (b_i[9:0] != '0);
      a_snan = a_nan && !a_i[9];
      b_snan = b_nan && !b_i[9];
      a_inf  = (a_i[14:10] == 5'h1f) && (a_i[9:0] == '0);
      b_inf  = (b_i[14:10] == 5'h1f) && (b_i[9:0] == '0);
      ma     = {a_i[14:10] != '0, a_i[9:0]};
      mb     = {b_i[14:10] != '0, b_i[9:0]};
      // Rebias 15 -> 127.
      ea     = ((a_i[14:10] == '0) ? 9'd1 : {4'b0, a_i[14:10]}) + 9'd112;
      eb     = ((b_i[14:10] == '0) ? 9'd1 : {4'b0, b_i[14:10]}) + 9'd112;
    end
    a_zero = (a_i[14:0] == '0);
    b_zero = (b_i[14:0] == '0);
  end

  ts_fp_mul_core #(.MantW(11), .Cut(Stages >= 2)) u_core (
    .clk_i   (clk_i),
    .rst_ni  (rst_ni),
    .valid_i (in_valid_i),
    .sign_i  (a_i[15] ^ b_i[15]),
    .ea_i    (ea),
    .eb_i    (eb),
    .ma_i    (ma),
    .mb_i    (mb),
    .a_nan_i (a_nan),
    .a_snan_i(a_snan),
    .a_inf_i (a_inf),
    .a_zero_i(a_zero),
    .b_nan_i (b_nan),
    .b_snan_i(b_snan),
    .b_inf_i (b_inf),
    .b_zero_i(b_zero),
    .valid_o (core_valid),
    .res_o   (res_d),
    .flags_o (flags_d)
  );

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth((Stages >= 2) ? Stages - 1 : Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(core_valid),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

endmodule
