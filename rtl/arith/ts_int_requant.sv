// SPDX-License-Identifier: Apache-2.0
// INT32 -> INT8 requantisation following TFLite's MultiplyByQuantizedMultiplier.
//
// out = clamp(RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << ls, mult), rs)
//             + zero_point, act_min, act_max), ls = max(shift, 0), rs = max(-shift, 0).
// The left shift wraps in 32 bits like TFLite's int32 arithmetic; the zero-point add is
// exact. Per-tensor or per-channel quantisation is a matter of which mult/shift the
// producer streams in with each value. shift outside [-31, 30] is refused: err_o is set
// and the output is 0. Combinational core + Stages registers (latency = Stages).
module ts_int_requant #(
  parameter int unsigned Stages = 1
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        in_valid_i,
  input  logic [31:0] x_i,           // int32 accumulator
  input  logic [31:0] mult_i,        // int32 quantised multiplier (Q0.31)
  input  logic [5:0]  shift_i,       // signed: > 0 left, < 0 right
  input  logic [31:0] zero_point_i,  // int32 output zero point
  input  logic [7:0]  act_min_i,     // int8 clamp bounds
  input  logic [7:0]  act_max_i,
  output logic        out_valid_o,
  output logic [7:0]  q_o,
  output logic        err_o
);

  logic        shift_bad;
  logic [4:0]  ls, rs;
  logic [31:0] xs;
  logic signed [63:0] ab, ab_nudged, ab_div;
  logic        srdhm_ovf;
  logic [31:0] hi;
  logic [31:0] mask, remainder, threshold;
  logic signed [31:0] hi_sh;
  logic [31:0] rdbp;
  logic signed [33:0] with_zp, clamped;
  logic [7:0]  q_d;
  logic        err_d;

  always_comb begin
    shift_bad = (shift_i == 6'h20) || (shift_i == 6'h1f);   // -32 and 31
    ls = (!shift_i[5]) ? shift_i[4:0] : 5'd0;
    rs = shift_i[5] ? 5'(-shift_i) : 5'd0;
    xs = x_i << ls;

    // SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, truncating toward zero.
    ab        = $signed(xs) * $signed(mult_i);
    ab_nudged = ab + (ab[63] ? (64'sd1 - 64'sd1073741824) : 64'sd1073741824);
    ab_div    = ab_nudged[63] ? ((ab_nudged + 64'sd2147483647) >>> 31) : (ab_nudged >>> 31);
    srdhm_ovf = (xs == 32'h8000_0000) && (mult_i == 32'h8000_0000);
    hi        = srdhm_ovf ? 32'h7fff_ffff : ab_div[31:0];

    // RoundingDivideByPOT: round half away from zero.
    mask      = ~(32'hffff_ffff << rs);
    remainder = hi & mask;
    threshold = (mask >> 1) + {31'd0, hi[31]};
    // Kept apart: in a mixed signed/unsigned expression >>> would shift logically.
    hi_sh     = $signed(hi) >>> rs;
    rdbp      = hi_sh + {31'd0, (remainder > threshold)};

    with_zp = $signed({{2{rdbp[31]}}, rdbp}) + $signed({{2{zero_point_i[31]}}, zero_point_i});
    clamped = with_zp;
    if (clamped < $signed({{26{act_min_i[7]}}, act_min_i})) begin
      clamped = $signed({{26{act_min_i[7]}}, act_min_i});
    end
    if (clamped > $signed({{26{act_max_i[7]}}, act_max_i})) begin
      clamped = $signed({{26{act_max_i[7]}}, act_max_i});
    end
    err_d = shift_bad;
    q_d   = shift_bad ? 8'd0 : clamped[7:0];
  end

  ts_pipe #(.Width(9), .Depth(Stages)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i ({q_d, err_d}),
    .valid_o(out_valid_o),
    .data_o ({q_o, err_o})
  );

  // Only the low 32 bits of the quotient are kept (TFLite casts to int32); the
  // clamp guarantees the kept int8 is in range.
  logic unused_bits;
  assign unused_bits = ^{ab_div[63:32], clamped[33:8]};

endmodule
