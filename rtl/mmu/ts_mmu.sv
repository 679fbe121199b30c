// SPDX-License-Identifier: Apache-2.0
// Dim x Dim weight-stationary systolic matrix unit: FP16/BF16/INT8 per tile, double-buffered weights.
//
// Streams (see docs/mmu.md):
//   w_*: weight tile, Dim rows of Dim 16-bit lanes, configuration w_cfg_i taken from row 0.
//        Normal: row k lane n -> PE(k,n) = W[k][n]. Transposed: row r lane k -> PE(k,r).
//   a_*: activation rows, Dim 16-bit lanes (lane k meets PE row k); a_last_i ends the use
//        of the current weight tile, whose bank is then free for the next-but-one tile.
//   o_*: one row of Dim FP32/INT32 sums (+ IEEE flags per element) per activation row.
// Each activation row carries its weight bank and data type through the array, so tiles
// follow each other without a bubble. Weight rows are written with the same skew as the
// activations, so a bank can be reloaded from the cycle after its last activation row was
// accepted. Back-pressure: an activation row is admitted only when its result has a
// reserved entry in the output FIFO (credits); the array itself never stalls.
`include "ts_assert.svh"

module ts_mmu #(
  parameter int unsigned Dim = 4,
  localparam int unsigned TagW  = (Dim > 1) ? $clog2(Dim) : 1,
  localparam int unsigned Lat   = 2 * Dim + 1,  // accept -> result row in the FIFO
  localparam int unsigned Depth = Lat + 3,      // FIFO entries: full rate with o_ready_i = 1
  localparam int unsigned CntW  = $clog2(Depth + 1),
  localparam int unsigned FW    = ts_pkg::FlagW
) (
  input  logic                           clk_i,
  input  logic                           rst_ni,
  // Status: sticky IEEE flags of all results, first configuration error; clear_i clears.
  input  logic                           clear_i,
  output logic [FW-1:0]                  flags_o,
  output logic                           err_o,
  output logic [1:0]                     err_code_o,
  // Weight tile stream.
  input  logic                           w_valid_i,
  output logic                           w_ready_o,
  input  logic [ts_mmu_pkg::CfgW-1:0]    w_cfg_i,
  input  logic [Dim*16-1:0]              w_data_i,
  // Activation row stream.
  input  logic                           a_valid_i,
  output logic                           a_ready_o,
  input  logic                           a_last_i,
  input  logic [Dim*16-1:0]              a_data_i,
  // Result row stream.
  output logic                           o_valid_o,
  input  logic                           o_ready_i,
  output logic                           o_last_o,
  output logic [Dim*32-1:0]              o_data_o,
  output logic [Dim*FW-1:0]              o_flags_o
);

  // ---------------------------------------------------------------------------------
  // Bank control
  // ---------------------------------------------------------------------------------
  logic [1:0]                  full_q, full_d;    // bank holds a complete tile
  logic [1:0]                  bad_q, bad_d;      // that tile was refused
  logic [1:0]                  dt0_q, dt0_d, dt1_q, dt1_d;
  logic                        wb_q, wb_d, rb_q, rb_d;  // bank being written / read
  logic [TagW-1:0]             wrow_q, wrow_d;
  logic [ts_mmu_pkg::CfgW-1:0] wcfg_q, wcfg_d, cfg;
  logic [1:0]                  cfg_err;
  logic                        w_fire, w_load, tile_done;
  logic                        a_fire, a_inject;
  logic [CntW-1:0]             infl_q, infl_d, fifo_cnt;
  logic                        credit_ok;
  logic [FW-1:0]               flags_q, flags_d;
  logic                        err_q, err_d;
  logic [1:0]                  err_code_q, err_code_d;
  logic                        r_valid, r_last;   // result row entering the FIFO
  logic [Dim*32-1:0]           r_data;
  logic [Dim*FW-1:0]           r_flags;
  logic [FW-1:0]               r_flags_or;

  always_comb begin
    cfg     = (wrow_q == '0) ? w_cfg_i : wcfg_q;
    cfg_err = ts_mmu_pkg::ErrNone;
    if (cfg[ts_mmu_pkg::CfgDtypeLsb +: 2] == ts_mmu_pkg::DtBad) begin
      cfg_err = ts_mmu_pkg::ErrDtype;
    end else if (cfg[ts_mmu_pkg::CfgATrans]) begin
      cfg_err = ts_mmu_pkg::ErrATrans;
    end
  end

  assign w_ready_o = !full_q[wb_q];
  assign w_fire    = w_valid_i && w_ready_o;
  assign w_load    = w_fire && (cfg_err == ts_mmu_pkg::ErrNone);
  assign tile_done = w_fire && (wrow_q == TagW'(Dim - 1));

  assign credit_ok = ({1'b0, infl_q} + {1'b0, fifo_cnt}) < (CntW + 1)'(Depth);
  assign a_ready_o = full_q[rb_q] && (bad_q[rb_q] || credit_ok);
  assign a_fire    = a_valid_i && a_ready_o;
  assign a_inject  = a_fire && !bad_q[rb_q];

  always_comb begin
    r_flags_or = '0;
    for (int unsigned n = 0; n < Dim; n++) begin
      r_flags_or = r_flags_or | r_flags[n*FW +: FW];
    end
  end

  always_comb begin
    full_d     = full_q;
    bad_d      = bad_q;
    dt0_d      = dt0_q;
    dt1_d      = dt1_q;
    wb_d       = wb_q;
    rb_d       = rb_q;
    wrow_d     = wrow_q;
    wcfg_d     = wcfg_q;
    infl_d     = infl_q;
    flags_d    = flags_q;
    err_d      = err_q;
    err_code_d = err_code_q;
    if (w_fire) begin
      wcfg_d = cfg;
      wrow_d = tile_done ? '0 : wrow_q + 1'b1;
    end
    if (tile_done) begin
      full_d[wb_q] = 1'b1;
      bad_d[wb_q]  = (cfg_err != ts_mmu_pkg::ErrNone);
      if (wb_q) begin
        dt1_d = cfg[ts_mmu_pkg::CfgDtypeLsb +: 2];
      end else begin
        dt0_d = cfg[ts_mmu_pkg::CfgDtypeLsb +: 2];
      end
      wb_d = !wb_q;
    end
    if (a_fire && a_last_i) begin
      full_d[rb_q] = 1'b0;
      rb_d         = !rb_q;
    end
    if (a_inject && !r_valid) begin
      infl_d = infl_q + 1'b1;
    end else if (r_valid && !a_inject) begin
      infl_d = infl_q - 1'b1;
    end
    if (clear_i) begin
      flags_d    = '0;
      err_d      = 1'b0;
      err_code_d = ts_mmu_pkg::ErrNone;
    end
    if (r_valid) begin
      flags_d = flags_d | r_flags_or;
    end
    if (w_fire && (wrow_q == '0) && (cfg_err != ts_mmu_pkg::ErrNone) && !err_d) begin
      err_d      = 1'b1;
      err_code_d = cfg_err;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      full_q     <= '0;
      bad_q      <= '0;
      dt0_q      <= '0;
      dt1_q      <= '0;
      wb_q       <= 1'b0;
      rb_q       <= 1'b0;
      wrow_q     <= '0;
      wcfg_q     <= '0;
      infl_q     <= '0;
      flags_q    <= '0;
      err_q      <= 1'b0;
      err_code_q <= ts_mmu_pkg::ErrNone;
    end else begin
      full_q     <= full_d;
      bad_q      <= bad_d;
      dt0_q      <= dt0_d;
      dt1_q      <= dt1_d;
      wb_q       <= wb_d;
      rb_q       <= rb_d;
      wrow_q     <= wrow_d;
      wcfg_q     <= wcfg_d;
      infl_q     <= infl_d;
      flags_q    <= flags_d;
      err_q      <= err_d;
      err_code_q <= err_code_d;
    end
  end

  assign flags_o    = flags_q;
  assign err_o      = err_q;
  assign err_code_o = err_code_q;

  // ---------------------------------------------------------------------------------
  // Operand skew: lane i is delayed by i + 1 cycles (weights and activations alike)
  // ---------------------------------------------------------------------------------
  logic [1:0]  a_dtype;
  assign a_dtype = rb_q ? dt1_q : dt0_q;

  logic [Dim-1:0]      wl_valid, wl_bank, wl_trans, al_valid, al_bank;
  logic [Dim*16-1:0]   wl_data, al_data;
  logic [Dim*TagW-1:0] wl_tag;
  logic [Dim*2-1:0]    al_dtype;

  for (genvar i = 0; i < Dim; i++) begin : g_skew
    ts_pipe #(.Width(16 + TagW + 2), .Depth(i + 1)) u_w_skew (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(w_load),
      .data_i ({w_data_i[i*16 +: 16], wrow_q, wb_q, cfg[ts_mmu_pkg::CfgWTrans]}),
      .valid_o(wl_valid[i]),
      .data_o ({wl_data[i*16 +: 16], wl_tag[i*TagW +: TagW], wl_bank[i], wl_trans[i]})
    );
    ts_pipe #(.Width(16 + 1 + 2), .Depth(i + 1)) u_a_skew (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(a_inject),
      .data_i ({a_data_i[i*16 +: 16], rb_q, a_dtype}),
      .valid_o(al_valid[i]),
      .data_o ({al_data[i*16 +: 16], al_bank[i], al_dtype[i*2 +: 2]})
    );
  end

  // ---------------------------------------------------------------------------------
  // PE array. Horizontal (activation) bus index k*(Dim+1)+n, vertical (sum) bus k*Dim+n.
  // ---------------------------------------------------------------------------------
  logic [Dim*(Dim+1)-1:0]    ah_valid, ah_bank;
  logic [Dim*(Dim+1)*2-1:0]  ah_dtype;
  logic [Dim*(Dim+1)*16-1:0] ah_data;
  logic [(Dim+1)*Dim-1:0]    pv_valid;
  logic [(Dim+1)*Dim*32-1:0] pv_data;
  logic [(Dim+1)*Dim*FW-1:0] pv_flags;

  assign pv_valid[Dim-1:0]       = '0;
  assign pv_data[Dim*32-1:0]     = '0;
  assign pv_flags[Dim*FW-1:0]    = '0;

  for (genvar k = 0; k < Dim; k++) begin : g_row
    assign ah_valid[k*(Dim+1)]           = al_valid[k];
    assign ah_bank[k*(Dim+1)]            = al_bank[k];
    assign ah_dtype[k*(Dim+1)*2 +: 2]    = al_dtype[k*2 +: 2];
    assign ah_data[k*(Dim+1)*16 +: 16]   = al_data[k*16 +: 16];
    for (genvar n = 0; n < Dim; n++) begin : g_col
      localparam int unsigned H = k * (Dim + 1) + n;
      localparam int unsigned V = k * Dim + n;
      // Normal tiles reach PE(k,n) through skew lane n (row tag k); transposed tiles
      // through lane k (row tag n). Both arrive k + n + 1 cycles after acceptance.
      logic norm_hit, tr_hit;
      assign norm_hit = wl_valid[n] && !wl_trans[n] && (wl_tag[n*TagW +: TagW] == TagW'(k));
      assign tr_hit   = wl_valid[k] && wl_trans[k] && (wl_tag[k*TagW +: TagW] == TagW'(n));

      ts_mmu_pe #(.FirstRow(k == 0)) u_pe (
        .clk_i     (clk_i),
        .rst_ni    (rst_ni),
        .w_we_i    (norm_hit || tr_hit),
        .w_bank_i  (tr_hit ? wl_bank[k] : wl_bank[n]),
        .w_data_i  (tr_hit ? wl_data[k*16 +: 16] : wl_data[n*16 +: 16]),
        .a_valid_i (ah_valid[H]),
        .a_bank_i  (ah_bank[H]),
        .a_dtype_i (ah_dtype[H*2 +: 2]),
        .a_data_i  (ah_data[H*16 +: 16]),
        .a_valid_o (ah_valid[H+1]),
        .a_bank_o  (ah_bank[H+1]),
        .a_dtype_o (ah_dtype[(H+1)*2 +: 2]),
        .a_data_o  (ah_data[(H+1)*16 +: 16]),
        .ps_valid_i(pv_valid[V]),
        .ps_data_i (pv_data[V*32 +: 32]),
        .ps_flags_i(pv_flags[V*FW +: FW]),
        .ps_valid_o(pv_valid[V+Dim]),
        .ps_data_o (pv_data[(V+Dim)*32 +: 32]),
        .ps_flags_o(pv_flags[(V+Dim)*FW +: FW])
      );

`ifndef SYNTHESIS
      `TS_ASSERT(a_one_write, !(norm_hit && tr_hit), clk_i, rst_ni,
                 "two weight writes to one PE in a cycle")
`endif
    end
  end

  // ---------------------------------------------------------------------------------
  // Result de-skew: column n is delayed by Dim - 1 - n cycles.
  // ---------------------------------------------------------------------------------
  logic [Dim-1:0] col_valid;
  for (genvar n = 0; n < Dim; n++) begin : g_deskew
    if (n < Dim - 1) begin : g_delay
      ts_pipe #(.Width(32 + FW), .Depth(Dim - 1 - n)) u_deskew (
        .clk_i  (clk_i),
        .rst_ni (rst_ni),
        .valid_i(pv_valid[Dim*Dim + n]),
        .data_i ({pv_data[(Dim*Dim + n)*32 +: 32], pv_flags[(Dim*Dim + n)*FW +: FW]}),
        .valid_o(col_valid[n]),
        .data_o ({r_data[n*32 +: 32], r_flags[n*FW +: FW]})
      );
    end else begin : g_last
      assign col_valid[n]         = pv_valid[Dim*Dim + n];
      assign r_data[n*32 +: 32]   = pv_data[(Dim*Dim + n)*32 +: 32];
      assign r_flags[n*FW +: FW]  = pv_flags[(Dim*Dim + n)*FW +: FW];
    end
  end

  // Row control (valid, last) travels beside the array with the same latency.
  ts_pipe #(.Width(1), .Depth(Lat)) u_ctl (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(a_inject),
    .data_i (a_last_i),
    .valid_o(r_valid),
    .data_o (r_last)
  );

  logic fifo_empty, fifo_full;

  ts_fifo #(.Width(1 + Dim*FW + Dim*32), .Depth(Depth)) u_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (r_valid),
    .data_i ({r_last, r_flags, r_data}),
    .pop_i  (o_valid_o && o_ready_i),
    .data_o ({o_last_o, o_flags_o, o_data_o}),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_cnt)
  );
  assign o_valid_o = !fifo_empty;

  // The right-most activation outputs leave the array unused.
  logic unused_edge;
  always_comb begin
    unused_edge = 1'b0;
    for (int unsigned k = 0; k < Dim; k++) begin
      unused_edge = unused_edge ^ ah_valid[k*(Dim+1)+Dim] ^ ah_bank[k*(Dim+1)+Dim]
                  ^ (^ah_dtype[(k*(Dim+1)+Dim)*2 +: 2]) ^ (^ah_data[(k*(Dim+1)+Dim)*16 +: 16]);
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_params, (Dim >= 2) && (Dim <= 64), "Dim must be in [2, 64]")
  `TS_ASSERT(a_cols_aligned, col_valid == {Dim{r_valid}}, clk_i, rst_ni,
             "result columns out of step with the row control")
  `TS_ASSERT(a_w_stable, (w_valid_i && !w_ready_o) |=> (w_valid_i && $stable(w_data_i)
             && $stable(w_cfg_i)), clk_i, rst_ni, "weight valid/data dropped before accepted")
  `TS_ASSERT(a_a_stable, (a_valid_i && !a_ready_o) |=> (a_valid_i && $stable(a_data_i)
             && $stable(a_last_i)), clk_i, rst_ni, "activation valid/data dropped before accepted")
  `TS_ASSERT(a_credit, r_valid |-> (infl_q != '0), clk_i, rst_ni, "result without a credit")
  `TS_ASSERT(a_fifo_room, r_valid |-> (!fifo_full || o_ready_i), clk_i, rst_ni,
             "result row arrives at a full output FIFO")
  `TS_ASSERT(a_o_stable, (o_valid_o && !o_ready_i) |=> (o_valid_o && $stable(o_data_o)
             && $stable(o_flags_o) && $stable(o_last_o)), clk_i, rst_ni,
             "result valid/data changed before it was accepted")
  `TS_ASSERT(a_known_out, o_valid_o |-> !$isunknown({o_last_o, o_data_o, o_flags_o}), clk_i,
             rst_ni, "unknown value on a valid result")

endmodule
