// SPDX-License-Identifier: Apache-2.0
// FP32 multiplier: IEEE-754 RNE, subnormals in and out, canonical NaN, IEEE flags.
//
// Combinational core followed by Stages valid-qualified registers (latency = Stages).
module ts_fp32_mul #(
  parameter int unsigned Stages = 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  logic        sign;
  logic        a_nan, b_nan, a_snan, b_snan, a_inf, b_inf, a_zero, b_zero;
  logic [7:0]  ea_eff, eb_eff;
  logic [23:0] ma, mb;
  logic [47:0] prod, prod_n;
  logic [5:0]  lz;
  logic        prod_zero;
  logic [26:0] norm_mant;
  logic signed [11:0] norm_exp;
  logic [31:0] rnd_res;
  logic [ts_pkg::FlagW-1:0] rnd_flags;
  logic [31:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  always_comb begin
    sign   = a_i[31] ^ b_i[31];
    a_nan  = (a_i[30:23] == 8'hff) && (a_i[22:0] != '0);
    b_nan  = (b_i[30:23] == 8'hff) && (b_i[22:0] != '0);
    a_snan = a_nan && !a_i[22];
    b_snan = b_nan && !b_i[22];
    a_inf  = (a_i[30:23] == 8'hff) && (a_i[22:0] == '0);
    b_inf  = (b_i[30:23] == 8'hff) && (b_i[22:0] == '0);
    a_zero = (a_i[30:0] == '0);
    b_zero = (b_i[30:0] == '0);
    ea_eff = (a_i[30:23] == '0) ? 8'd1 : a_i[30:23];
    eb_eff = (b_i[30:23] == '0) ? 8'd1 : b_i[30:23];
    ma     = {a_i[30:23] != '0, a_i[22:0]};
    mb     = {b_i[30:23] != '0, b_i[22:0]};
    prod   = ma * mb;
  end

  ts_lzc #(.Width(48)) u_lzc (
    .in_i  (prod),
    .cnt_o (lz),
    .zero_o(prod_zero)
  );

  always_comb begin
    prod_n    = prod << lz;
    norm_mant = {prod_n[47:22], |prod_n[21:0]};
    // value = prod * 2^(ea+eb-254-46); normalised to the rounder's 2^(exp-153) scale.
    norm_exp  = $signed({4'b0, ea_eff}) + $signed({4'b0, eb_eff}) - 12'sd126
                - $signed({6'b0, lz});
  end

  ts_fp_round #(.ExpBits(8), .FracBits(23), .ExpInW(12)) u_round (
    .sign_i (sign),
    .exp_i  (norm_exp),
    .mant_i (prod_zero ? 27'd0 : norm_mant),
    .res_o  (rnd_res),
    .flags_o(rnd_flags)
  );

  always_comb begin
    res_d   = rnd_res;
    flags_d = rnd_flags;
    if (a_nan || b_nan) begin
      res_d   = ts_pkg::Fp32QNan;
      flags_d = '0;
      flags_d[ts_pkg::FlagNv] = a_snan | b_snan;
    end else if ((a_inf && b_zero) || (b_inf && a_zero)) begin
      res_d   = ts_pkg::Fp32QNan;
      flags_d = '0;
      flags_d[ts_pkg::FlagNv] = 1'b1;
    end else if (a_inf || b_inf) begin
      res_d   = {sign, 8'hff, 23'd0};
      flags_d = '0;
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
