// SPDX-License-Identifier: Apache-2.0
// Round-to-nearest-even and pack of a normalised significand into an IEEE binary format.
//
// Input value = mant_i * 2^(exp_i - Bias - (FracBits + 3)), with mant_i either zero or
// normalised (mant_i[MW-1] set). mant_i[2] is the guard bit and mant_i[1:0] must hold
// the OR of every lower bit (sticky). exp_i is the biased exponent of mant_i[MW-1]; it
// may be below 1 (the value is then denormalised here) or above the format's range
// (overflow to Inf). Tininess is detected after rounding, as on x86 and RISC-V, and
// underflow is flagged only when the result is also inexact (IEEE default handling).
module ts_fp_round #(
  parameter int unsigned ExpBits  = 8,
  parameter int unsigned FracBits = 23,
  parameter int unsigned ExpInW   = 12,
  localparam int unsigned MW      = FracBits + 4,
  localparam int unsigned ResW    = 1 + ExpBits + FracBits
) (
  input  logic                     sign_i,
  input  logic signed [ExpInW-1:0] exp_i,
  input  logic [MW-1:0]            mant_i,
  output logic [ResW-1:0]          res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned ShW = $clog2(MW + 1);
  localparam logic [ExpBits-1:0] MaxExp = '1;

  logic              denorm;     // exp_i < 1: result is subnormal (or rounds up to min normal)
  logic [ExpInW-1:0] sh_full;    // 1 - exp_i
  logic [ShW-1:0]    shamt;
  logic [MW-1:0]     lost_mask;
  logic [MW-1:0]     mant_sh;
  logic              lost;
  logic              guard, sticky, lsb, round_up, inexact;
  logic [ExpBits-1:0] exp_field;
  logic [ExpBits+FracBits-1:0] mag;
  logic              ovf_pre, ovf_post, tiny;

  always_comb begin
    denorm  = exp_i[ExpInW-1] || (exp_i == '0);
    sh_full = ExpInW'(1) - exp_i;
    if (!denorm) begin
      shamt = '0;
    end else if (sh_full >= ExpInW'(MW)) begin
      shamt = ShW'(MW);
    end else begin
      shamt = sh_full[ShW-1:0];
    end
    lost_mask = ~({MW{1'b1}} << shamt);
    lost      = |(mant_i & lost_mask);
    mant_sh   = mant_i >> shamt;

    guard    = mant_sh[2];
    sticky   = (|mant_sh[1:0]) | lost;
    lsb      = mant_sh[3];
    round_up = guard & (sticky | lsb);
    inexact  = guard | sticky;

    exp_field = denorm ? '0 : exp_i[ExpBits-1:0];
    // A carry out of the fraction moves into the exponent field: mantissa overflow and
    // subnormal-to-normal promotion both fall out of this one addition.
    mag = {exp_field, mant_sh[MW-2:3]} + {{(ExpBits+FracBits-1){1'b0}}, round_up};

    ovf_pre  = !denorm && (exp_i >= $signed({{(ExpInW-ExpBits){1'b0}}, MaxExp}));
    ovf_post = (mag[ExpBits+FracBits-1:FracBits] == MaxExp);
    // Tiny after rounding: below 2^emin even when rounded with an unbounded exponent.
    tiny = exp_i[ExpInW-1] ||
           ((exp_i == '0) && !((&mant_i[MW-1:3]) && mant_i[2]));

    flags_o = '0;
    if (mant_i == '0) begin
      res_o = {sign_i, {(ExpBits+FracBits){1'b0}}};
    end else if (ovf_pre || ovf_post) begin
      res_o = {sign_i, MaxExp, {FracBits{1'b0}}};
      flags_o[ts_pkg::FlagOf] = 1'b1;
      flags_o[ts_pkg::FlagNx] = 1'b1;
    end else begin
      res_o = {sign_i, mag};
      flags_o[ts_pkg::FlagNx] = inexact;
      flags_o[ts_pkg::FlagUf] = inexact & tiny;
    end
  end

  // The top significand bit is only needed to define normalisation; it is implied.
  logic unused_top;
  assign unused_top = mant_sh[MW-1];

endmodule
