// SPDX-License-Identifier: Apache-2.0
// INT32 -> INT8 requantisation following TFLite's MultiplyByQuantizedMultiplier.
//
// out = clamp(RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x << ls, mult), rs)
//             + zero_point, act_min, act_max), ls = max(shift, 0), rs = max(-shift, 0).
// The left shift wraps in 32 bits like TFLite's int32 arithmetic; the zero-point add is
// exact. Per-tensor or per-channel quantisation is a matter of which mult/shift the
// producer streams in with each value. shift outside [-31, 30] is refused: err_o is set
// and the output is 0.
//
// Latency = Stages cycles (0: combinational). With Stages >= 2 the datapath itself is cut
// (Yosys does not retime registers into logic): 2 cuts it after four 16x16-bit partial
// products of the 32x32 product (each fits an 18x18 DSP multiplier), 3 also after the
// doubling high multiply (their sum, the nudge and the division), 4 also after the rounding
// divide by a power of two; the zero-point add and the clamp come last. Registers beyond
// those cuts are placed at the output. Stages 0 and 1 keep the one 32x32 product (the
// partial-product form, uncut, takes ABC many times longer to map in Yosys' generic flow).
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

  // Internal cuts: after the partial products (C1), after the high multiply (C2), after
  // the rounding divide (C3).
  localparam int unsigned Cuts = (Stages > 1) ? ((Stages - 1 > 3) ? 3 : Stages - 1) : 0;
  localparam bit          C1   = (Cuts >= 1);
  localparam bit          C2   = (Cuts >= 2);
  localparam bit          C3   = (Cuts >= 3);
  // What every stage carries on: shift refused, right shift, zero point, clamp bounds.
  localparam int unsigned TailW = 1 + 5 + 32 + 8 + 8;

  // ------------------------------------------------------------------ partial products
  logic        shift_bad;
  logic [4:0]  ls, rs;
  logic [31:0] xs;
  logic        ovf_a;
  logic [TailW-1:0] tail_a;

  always_comb begin
    shift_bad = (shift_i == 6'h20) || (shift_i == 6'h1f);   // -32 and 31
    ls = (!shift_i[5]) ? shift_i[4:0] : 5'd0;
    rs = shift_i[5] ? 5'(-shift_i) : 5'd0;
    xs = x_i << ls;
    ovf_a  = (xs == 32'h8000_0000) && (mult_i == 32'h8000_0000);
    tail_a = {shift_bad, rs, zero_point_i, act_min_i, act_max_i};
  end

  // SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, truncating toward zero; only
  // the low 32 bits of the quotient are kept (TFLite casts to int32).
  logic             v_b;
  logic [TailW-1:0] tail_b;
  logic [31:0]      hi;

  if (C1) begin : g_cut
    // xs * mult = p_hh 2^32 + (p_lh + p_hl) 2^16 + p_ll (x = xh 2^16 + xl, xl unsigned).
    logic [31:0]        p_ll, p_ll_b;     // xl * ml, both unsigned
    logic signed [32:0] p_lh, p_hl;       // unsigned low half * signed high half
    logic signed [32:0] p_lh_b, p_hl_b;
    logic signed [31:0] p_hh, p_hh_b;     // xh * mh, both signed
    logic               ovf_b;
    logic signed [63:0] ab, ab_nudged;

    always_comb begin
      p_ll = 32'(xs[15:0]) * 32'(mult_i[15:0]);
      p_lh = 33'($signed({1'b0, xs[15:0]})) * 33'($signed(mult_i[31:16]));
      p_hl = 33'($signed(xs[31:16])) * 33'($signed({1'b0, mult_i[15:0]}));
      p_hh = 32'($signed(xs[31:16])) * 32'($signed(mult_i[31:16]));
    end

    // C1: the partial products.
    ts_pipe #(.Width(TailW + 1 + 32 + 33 + 33 + 32), .Depth(1)) u_c1 (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(in_valid_i),
      .data_i ({tail_a, ovf_a, p_ll, p_lh, p_hl, p_hh}),
      .valid_o(v_b),
      .data_o ({tail_b, ovf_b, p_ll_b, p_lh_b, p_hl_b, p_hh_b})
    );

    always_comb begin
      ab = ($signed({p_hh_b, 32'd0})) + ($signed({{15{p_lh_b[32]}}, p_lh_b, 16'd0})) +
           ($signed({{15{p_hl_b[32]}}, p_hl_b, 16'd0})) + $signed({32'd0, p_ll_b});
      ab_nudged = ab + (ab[63] ? (64'sd1 - 64'sd1073741824) : 64'sd1073741824);
      // Toward zero: a negative quotient with a remainder is one above the floor.
      hi = ab_nudged[62:31] + {31'd0, ab_nudged[63] && (ab_nudged[30:0] != '0)};
      if (ovf_b) hi = 32'h7fff_ffff;
    end
  end else begin : g_flat
    logic signed [63:0] ab, ab_nudged, ab_div;

    assign v_b    = in_valid_i;
    assign tail_b = tail_a;
    always_comb begin
      ab        = $signed(xs) * $signed(mult_i);
      ab_nudged = ab + (ab[63] ? (64'sd1 - 64'sd1073741824) : 64'sd1073741824);
      ab_div    = ab_nudged[63] ? ((ab_nudged + 64'sd2147483647) >>> 31) : (ab_nudged >>> 31);
      hi        = ovf_a ? 32'h7fff_ffff : ab_div[31:0];
    end

    logic unused_div;
    assign unused_div = ^ab_div[63:32];
  end

  // ------------------------------------------------------------------ C2, rounding divide
  logic             v_c;
  logic [TailW-1:0] tail_c;
  logic [31:0]      hi_c;
  ts_pipe #(.Width(TailW + 32), .Depth(C2 ? 1 : 0)) u_c2 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_b),
    .data_i ({tail_b, hi}),
    .valid_o(v_c),
    .data_o ({tail_c, hi_c})
  );

  // RoundingDivideByPOT: round half away from zero.
  logic [4:0]         rs_c;
  logic [31:0]        mask, remainder, threshold;
  logic signed [31:0] hi_sh;
  logic [31:0]        rdbp;

  always_comb begin
    rs_c      = tail_c[TailW-2 -: 5];
    mask      = ~(32'hffff_ffff << rs_c);
    remainder = hi_c & mask;
    threshold = (mask >> 1) + {31'd0, hi_c[31]};
    // Kept apart: in a mixed signed/unsigned expression >>> would shift logically.
    hi_sh     = $signed(hi_c) >>> rs_c;
    rdbp      = hi_sh + {31'd0, (remainder > threshold)};
  end

  // ------------------------------------------------------------------ C3, zero point, clamp
  logic             v_d;
  logic [TailW-1:0] tail_d;
  logic [31:0]      rdbp_d, zp_d;
  logic [7:0]       min_d, max_d;
  logic             bad_d;
  logic [4:0]       unused_rs_d;
  ts_pipe #(.Width(TailW + 32), .Depth(C3 ? 1 : 0)) u_c3 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_c),
    .data_i ({tail_c, rdbp}),
    .valid_o(v_d),
    .data_o ({tail_d, rdbp_d})
  );
  assign {bad_d, unused_rs_d, zp_d, min_d, max_d} = tail_d;

  logic signed [33:0] with_zp, clamped;
  logic [7:0]         q_d;
  logic               err_d;

  always_comb begin
    with_zp = $signed({{2{rdbp_d[31]}}, rdbp_d}) + $signed({{2{zp_d[31]}}, zp_d});
    clamped = with_zp;
    if (clamped < $signed({{26{min_d[7]}}, min_d})) begin
      clamped = $signed({{26{min_d[7]}}, min_d});
    end
    if (clamped > $signed({{26{max_d[7]}}, max_d})) begin
      clamped = $signed({{26{max_d[7]}}, max_d});
    end
    err_d = bad_d;
    q_d   = bad_d ? 8'd0 : clamped[7:0];
  end

  ts_pipe #(.Width(9), .Depth(Stages - Cuts)) u_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(v_d),
    .data_i ({q_d, err_d}),
    .valid_o(out_valid_o),
    .data_o ({q_o, err_o})
  );

  // The clamp guarantees the kept int8 is in range; the right shift is used before C3.
  logic unused_bits;
  assign unused_bits = ^{clamped[33:8], unused_rs_d};

endmodule
