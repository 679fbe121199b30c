// SPDX-License-Identifier: Apache-2.0
// FP32 divider (Sqrt = 0: a / b) or square root (Sqrt = 1: sqrt(a)), fully pipelined:
// one operation per cycle, bit-exact with ts_fp32_div / ts_fp32_sqrt. Used through the
// wrappers ts_fp32_div_pipe and ts_fp32_sqrt_pipe.
//
// The same decode (ts_fp32_div_pre / ts_fp32_sqrt_pre), restoring recurrence
// (ts_fp32_div_step / ts_fp32_sqrt_step) and rounding (ts_fp32_divsqrt_post) as the
// iterative units, unrolled: a register after the decode, then NumStages =
// ceil(27 / BitsPerStage) stages of BitsPerStage result bits each (the last stage takes
// the rest), then the rounding and a result register. Latency = NumStages + 2 cycles for
// every input (specials included), e.g. 11 for BitsPerStage = 3 and 29 for 1. Every stage
// is a ts_pipe: valid bits are reset, data registers load only when their valid is set.
// There is no back-pressure.
//
// The recurrence state passed from stage to stage is {rem, aux}: the partial remainder
// and, for the divider, the normalised divisor (constant), for the square root the
// radicand bits not consumed yet.
`include "ts_assert.svh"

module ts_fp32_divsqrt_pipe #(
  parameter bit          Sqrt         = 1'b0,
  parameter int unsigned BitsPerStage = 3
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     in_valid_i,
  input  logic [31:0]              a_i,
  input  logic [31:0]              b_i,       // divisor; unused when Sqrt
  output logic                     out_valid_o,
  output logic [31:0]              res_o,
  output logic [ts_pkg::FlagW-1:0] flags_o
);

  localparam int unsigned QBits     = 27;
  localparam int unsigned NumStages = (QBits + BitsPerStage - 1) / BitsPerStage;
  localparam int unsigned LastBits  = QBits - (NumStages - 1) * BitsPerStage;
  localparam int unsigned RemW      = Sqrt ? QBits + 3 : 25;
  localparam int unsigned AuxW      = Sqrt ? 26 : 24;
  // The result's biased exponent lies in [-150, 404] (quotient) or [52, 191] (root), so
  // 10 bits carry it down the pipeline; it is sign-extended back to 12 for the rounding.
  localparam int unsigned ExpW      = 10;
  // Per-operation fields that pass every stage unchanged: sign, spec, spec_nan,
  // spec_inf, spec_flags, exp.
  localparam int unsigned MetaW     = 4 + ts_pkg::FlagW + ExpW;

  // ---- Decode ----
  logic        pre_sign, pre_spec, pre_spec_nan, pre_spec_inf;
  logic [ts_pkg::FlagW-1:0] pre_spec_flags;
  logic signed [11:0] pre_exp;
  logic [RemW-1:0] pre_rem;
  logic [AuxW-1:0] pre_aux;

  if (Sqrt) begin : g_pre_sqrt
    ts_fp32_sqrt_pre u_pre (
      .a_i         (a_i),
      .sign_o      (pre_sign),
      .spec_o      (pre_spec),
      .spec_nan_o  (pre_spec_nan),
      .spec_inf_o  (pre_spec_inf),
      .spec_flags_o(pre_spec_flags),
      .exp_o       (pre_exp),
      .rad_o       (pre_aux)
    );
    assign pre_rem = '0;
    logic unused_b;
    assign unused_b = ^b_i;
  end else begin : g_pre_div
    ts_fp32_div_pre u_pre (
      .a_i         (a_i),
      .b_i         (b_i),
      .sign_o      (pre_sign),
      .spec_o      (pre_spec),
      .spec_nan_o  (pre_spec_nan),
      .spec_inf_o  (pre_spec_inf),
      .spec_flags_o(pre_spec_flags),
      .exp_o       (pre_exp),
      .rem_o       (pre_rem),
      .dvs_o       (pre_aux)
    );
  end

  // ---- Pipeline: index 0 is the registered decode, index s + 1 the output of stage s ----
  logic [NumStages:0]             valid;
  logic [MetaW*(NumStages+1)-1:0] meta;
  logic [RemW*(NumStages+1)-1:0]  rem;
  logic [AuxW*(NumStages+1)-1:0]  aux;
  logic [QBits*(NumStages+1)-1:0] quo;

  ts_pipe #(.Width(MetaW + RemW + AuxW), .Depth(1)) u_pipe_pre (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(in_valid_i),
    .data_i ({pre_sign, pre_spec, pre_spec_nan, pre_spec_inf, pre_spec_flags,
              pre_exp[ExpW-1:0], pre_rem, pre_aux}),
    .valid_o(valid[0]),
    .data_o ({meta[0 +: MetaW], rem[0 +: RemW], aux[0 +: AuxW]})
  );
  assign quo[0 +: QBits] = '0;

  for (genvar s = 0; s < NumStages; s++) begin : g_stage
    localparam int unsigned Digits = (s == NumStages - 1) ? LastBits : BitsPerStage;
    logic [RemW-1:0]  rem_d;
    logic [AuxW-1:0]  aux_d;
    logic [QBits-1:0] quo_d;

    if (Sqrt) begin : g_sqrt
      ts_fp32_sqrt_step #(.Digits(Digits)) u_step (
        .rem_i (rem[s*RemW +: RemW]),
        .rad_i (aux[s*AuxW +: AuxW]),
        .root_i(quo[s*QBits +: QBits]),
        .rem_o (rem_d),
        .rad_o (aux_d),
        .root_o(quo_d)
      );
    end else begin : g_div
      ts_fp32_div_step #(.Digits(Digits)) u_step (
        .rem_i(rem[s*RemW +: RemW]),
        .dvs_i(aux[s*AuxW +: AuxW]),
        .quo_i(quo[s*QBits +: QBits]),
        .rem_o(rem_d),
        .quo_o(quo_d)
      );
      assign aux_d = aux[s*AuxW +: AuxW];
    end

    ts_pipe #(.Width(MetaW + RemW + AuxW + QBits), .Depth(1)) u_pipe (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(valid[s]),
      .data_i ({meta[s*MetaW +: MetaW], rem_d, aux_d, quo_d}),
      .valid_o(valid[s+1]),
      .data_o ({meta[(s+1)*MetaW +: MetaW], rem[(s+1)*RemW +: RemW],
                aux[(s+1)*AuxW +: AuxW], quo[(s+1)*QBits +: QBits]})
    );
  end

  // ---- Rounding of the last stage, then the result register ----
  logic        fin_sign, fin_spec, fin_spec_nan, fin_spec_inf;
  logic [ts_pkg::FlagW-1:0] fin_spec_flags;
  logic [ExpW-1:0]  fin_exp;
  logic [RemW-1:0]  fin_rem;
  logic [QBits-1:0] fin_quo;
  logic [31:0] res_d;
  logic [ts_pkg::FlagW-1:0] flags_d;

  assign {fin_sign, fin_spec, fin_spec_nan, fin_spec_inf, fin_spec_flags, fin_exp} =
      meta[NumStages*MetaW +: MetaW];
  assign fin_rem = rem[NumStages*RemW +: RemW];
  assign fin_quo = quo[NumStages*QBits +: QBits];

  ts_fp32_divsqrt_post u_post (
    .sign_i      (fin_sign),
    .spec_i      (fin_spec),
    .spec_nan_i  (fin_spec_nan),
    .spec_inf_i  (fin_spec_inf),
    .spec_flags_i(fin_spec_flags),
    .exp_i       ({{(12 - ExpW){fin_exp[ExpW-1]}}, fin_exp}),
    .mant_i      ({fin_quo[QBits-1:1], fin_quo[0] | (fin_rem != '0)}),
    .res_o       (res_d),
    .flags_o     (flags_d)
  );

  ts_pipe #(.Width(32 + ts_pkg::FlagW), .Depth(1)) u_pipe_out (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(valid[NumStages]),
    .data_i ({res_d, flags_d}),
    .valid_o(out_valid_o),
    .data_o ({res_o, flags_o})
  );

  // After the last step the divisor is not needed and the radicand is all zeros
  // (synthesis drops those registers); the exponent's top bits are sign copies (checked
  // below).
  logic unused_aux;
  assign unused_aux = ^{aux[NumStages*AuxW +: AuxW], pre_exp[11:ExpW]};

  // Assertions
  `TS_ASSERT_INIT(a_bits_per_stage, BitsPerStage >= 1 && BitsPerStage <= QBits,
                  "BitsPerStage must be 1..27")
  `TS_ASSERT(a_exp_range, in_valid_i |-> (pre_exp[11:ExpW-1] == '0 || pre_exp[11:ExpW-1] == '1),
             clk_i, rst_ni, "result exponent does not fit ExpW bits")

endmodule
