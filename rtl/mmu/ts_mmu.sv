// SPDX-License-Identifier: Apache-2.0
// Dim x Dim weight-stationary systolic matrix unit: FP16/BF16/INT8 per tile, double-buffered weights.
//
// Streams (see docs/mmu.md):
//   w_*: weight tile, Dim rows of Dim 16-bit lanes, configuration w_cfg_i taken from row 0.
//        Normal: row k lane n -> PE(k,n) = W[k][n]. Transposed: row r lane k -> PE(k,r).
//   a_*: activation rows, Dim 16-bit lanes (lane k meets PE row k); a_last_i ends the use
//        of the current weight tile, whose bank is then free for the next-but-one tile.
//        Transposed activations (cfg bit 3): groups of Dim rows, row i lane l = A[l][i];
//        each group is transposed in a double-buffered Dim x Dim buffer (latency Dim)
//        and injected as Dim normal rows m = 0..Dim-1.
//   o_*: one row of Dim FP32/INT32 sums (+ IEEE flags per element) per injected row.
// Each activation row carries its weight bank and data type through the array, so tiles
// follow each other without a bubble. Weight rows are written one cycle apart per PE row,
// activations AddStages cycles apart, so a bank can be reloaded from (AddStages - 1) *
// (Dim - 1) cycles after its last activation row was injected (the cycle after, with one
// adder stage). Back-pressure: a row is injected only when its result has a reserved entry in
// the output FIFO (credits); the array itself never stalls.
`include "ts_assert.svh"

module ts_mmu #(
  parameter int unsigned Dim       = 4,
  parameter int unsigned MulStages = 1,  // pipeline stages of each PE's multiplier (1, 2)
  parameter int unsigned AddStages = 1,  // pipeline stages of each PE's FP32 adder (>= 1)
  localparam int unsigned TagW  = (Dim > 1) ? $clog2(Dim) : 1,
  // accept -> result row in the FIFO
  localparam int unsigned Lat   = (AddStages + 1) * Dim + MulStages,
  // Cycles a released bank stays closed to the next tile's weights: the released tile's
  // last activation row still has to pass the lower PE rows, which its rows reach
  // (AddStages - 1) cycles per row later than weight rows do.
  localparam int unsigned Hold  = (AddStages - 1) * (Dim - 1),
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
  // Weight side: one staging row, then the bank being written
  // ---------------------------------------------------------------------------------
  // The staging row exposes the next tile's configuration (row 0) before its bank is
  // free. The activation side needs it to accept a transposed tile's first group while
  // the previous tile's last group still drains from the transpose buffer (that tile
  // holds its bank until its last row is injected), which keeps such streams bubble-free.
  logic [1:0]                  own_q, own_d, full_q, full_d, adone_q, adone_d;
  logic                        stg_v_q, stg_v_d;
  logic [Dim*16-1:0]           stg_data_q;
  logic [ts_mmu_pkg::CfgW-1:0] stg_cfg_q, stg_cfg_d;
  logic [TagW-1:0]             wrow_q, wrow_d;    // index of the staged (next) weight row
  logic                        wb_q, wb_d;        // bank the next weight row goes to
  logic                        w_fire, w_pop, w_load, w_row0, tile_done, in_row0;
  logic [1:0]                  stg_dt;
  logic                        stg_bad, stg_at;

  assign stg_dt    = stg_cfg_q[ts_mmu_pkg::CfgDtypeLsb +: 2];
  assign stg_bad   = (stg_dt == ts_mmu_pkg::DtBad);
  assign stg_at    = stg_cfg_q[ts_mmu_pkg::CfgATrans];
  // Row 0 waits until the tile that held the bank has released it (and its Hold cycles
  // have passed); rows 1.. follow.
  logic [1:0] hold_done;
  assign w_row0    = (wrow_q == '0);
  assign w_pop     = stg_v_q && (!w_row0 || (!own_q[wb_q] && hold_done[wb_q]));
  assign w_load    = w_pop && !stg_bad;
  assign tile_done = w_pop && (wrow_q == TagW'(Dim - 1));
  assign w_ready_o = !stg_v_q || w_pop;
  assign w_fire    = w_valid_i && w_ready_o;
  // Index of the row being accepted: the staged row + 1 if one leaves, else wrow_q.
  assign in_row0   = stg_v_q ? (wrow_q == TagW'(Dim - 1)) : w_row0;

  always_comb begin
    stg_v_d   = stg_v_q;
    stg_cfg_d = stg_cfg_q;
    wrow_d    = wrow_q;
    wb_d      = wb_q;
    if (w_pop) begin
      stg_v_d = 1'b0;
      wrow_d  = tile_done ? '0 : wrow_q + 1'b1;
      if (tile_done) begin
        wb_d = !wb_q;
      end
    end
    if (w_fire) begin
      stg_v_d = 1'b1;
      if (in_row0) begin
        stg_cfg_d = w_cfg_i;
      end
    end
  end

  // ---------------------------------------------------------------------------------
  // Banks: own (row 0 written, until released), full (all rows written), adone (all
  // activation rows of its transposed tile accepted, some not yet injected).
  // Normal and refused tiles release their bank when the a_last row is accepted,
  // transposed tiles when their last row leaves the transpose buffer.
  // ---------------------------------------------------------------------------------
  logic [1:0]      bad_q, bad_d, at_q, at_d;
  logic [1:0]      dt0_q, dt0_d, dt1_q, dt1_d;
  logic            ab_q, ab_d;                    // bank of the tile being accepted
  logic            bank_known, stg_known, acc_known, acc_bad, acc_at;
  logic            a_fire, a_direct, a_fill, group_end, group_err;
  logic            trans_empty, credit_ok;
  logic [CntW-1:0] infl_q, infl_d, fifo_cnt;

  // Transpose buffer control (two buffers: one fills while the other drains).
  logic            fb_q, fb_d, db_q, db_d;        // buffer being filled / drained
  logic [TagW-1:0] frow_q, frow_d, dcol_q, dcol_d;
  logic [1:0]      bfull_q, bfull_d, bbank_q, bbank_d, blast_q, blast_d;
  logic [2*Dim-1:0] bmask_q, bmask_d;             // rows of the group that arrived
  logic            drain, drain_last;

  // Injection into the array: a normal row at acceptance, or a transposed row.
  logic              inj_valid, inj_bank, inj_last;
  logic [1:0]        inj_dtype;
  logic [Dim*16-1:0] inj_data, drain_data;

  // Status
  logic [FW-1:0]     flags_q, flags_d;
  logic              err_q, err_d;
  logic [1:0]        err_code_q, err_code_d;
  logic              r_valid, r_last;   // result row entering the FIFO
  logic [Dim*32-1:0] r_data;
  logic [Dim*FW-1:0] r_flags;
  logic [FW-1:0]     r_flags_or;

  // Configuration of the tile being accepted: from its bank once row 0 is written there,
  // else from the staging row if that holds its row 0 (its bank is then free).
  assign bank_known = own_q[ab_q] && !adone_q[ab_q];
  assign stg_known  = !own_q[ab_q] && !adone_q[ab_q] && stg_v_q && w_row0 && (wb_q == ab_q);
  assign acc_known  = bank_known || stg_known;
  assign acc_bad    = bank_known ? bad_q[ab_q] : stg_bad;
  assign acc_at     = bank_known ? at_q[ab_q] : stg_at;

  assign trans_empty = (bfull_q == 2'b00);
  assign credit_ok   = ({1'b0, infl_q} + {1'b0, fifo_cnt}) < (CntW + 1)'(Depth);
  // Refused tiles: rows consumed once the tile is. Transposed: a free buffer. Normal:
  // weights loaded, nothing older waiting in the transpose buffer, a credit.
  assign a_ready_o = acc_known && (acc_bad ? full_q[ab_q]
                                 : acc_at  ? !bfull_q[fb_q]
                                 : (full_q[ab_q] && trans_empty && credit_ok));
  assign a_fire    = a_valid_i && a_ready_o;
  assign a_direct  = a_fire && !acc_bad && !acc_at;
  assign a_fill    = a_fire && !acc_bad && acc_at;
  assign group_end = a_fill && (a_last_i || (frow_q == TagW'(Dim - 1)));
  assign group_err = a_fill && a_last_i && (frow_q != TagW'(Dim - 1));

  // The oldest complete group drains one result row per cycle once its weights are in.
  assign drain      = bfull_q[db_q] && full_q[bbank_q[db_q]] && credit_ok;
  assign drain_last = drain && (dcol_q == TagW'(Dim - 1));

  assign inj_valid = a_direct || drain;
  assign inj_bank  = drain ? bbank_q[db_q] : ab_q;
  assign inj_dtype = inj_bank ? dt1_q : dt0_q;
  assign inj_last  = drain ? (drain_last && blast_q[db_q]) : a_last_i;
  assign inj_data  = drain ? drain_data : a_data_i;

  always_comb begin
    r_flags_or = '0;
    for (int unsigned n = 0; n < Dim; n++) begin
      r_flags_or = r_flags_or | r_flags[n*FW +: FW];
    end
  end

  always_comb begin
    own_d      = own_q;
    full_d     = full_q;
    adone_d    = adone_q;
    bad_d      = bad_q;
    at_d       = at_q;
    dt0_d      = dt0_q;
    dt1_d      = dt1_q;
    ab_d       = ab_q;
    fb_d       = fb_q;
    db_d       = db_q;
    frow_d     = frow_q;
    dcol_d     = dcol_q;
    bfull_d    = bfull_q;
    bbank_d    = bbank_q;
    blast_d    = blast_q;
    bmask_d    = bmask_q;
    infl_d     = infl_q;
    flags_d    = flags_q;
    err_d      = err_q;
    err_code_d = err_code_q;
    // Weight side.
    if (w_pop && w_row0) begin
      own_d[wb_q] = 1'b1;
      bad_d[wb_q] = stg_bad;
      at_d[wb_q]  = stg_at;
      if (wb_q) begin
        dt1_d = stg_dt;
      end else begin
        dt0_d = stg_dt;
      end
    end
    if (tile_done) begin
      full_d[wb_q] = 1'b1;
    end
    // Acceptance side.
    if (a_fill) begin
      frow_d = group_end ? '0 : frow_q + 1'b1;
    end
    if (group_end) begin
      bfull_d[fb_q] = 1'b1;
      bbank_d[fb_q] = ab_q;
      blast_d[fb_q] = a_last_i;
      fb_d          = !fb_q;
    end
    if (a_fire && a_last_i) begin
      ab_d = !ab_q;
      if (a_fill) begin
        adone_d[ab_q] = 1'b1;
      end else begin
        own_d[ab_q]  = 1'b0;
        full_d[ab_q] = 1'b0;
      end
    end
    for (int unsigned k = 0; k < Dim; k++) begin
      if (a_fill && (frow_q == TagW'(k))) begin
        if (fb_q) begin
          bmask_d[Dim + k] = 1'b1;
        end else begin
          bmask_d[k] = 1'b1;
        end
      end
      if (drain_last) begin
        if (db_q) begin
          bmask_d[Dim + k] = 1'b0;
        end else begin
          bmask_d[k] = 1'b0;
        end
      end
    end
    // Drain side.
    if (drain) begin
      dcol_d = drain_last ? '0 : dcol_q + 1'b1;
    end
    if (drain_last) begin
      bfull_d[db_q] = 1'b0;
      db_d          = !db_q;
      if (blast_q[db_q]) begin
        own_d[bbank_q[db_q]]   = 1'b0;
        full_d[bbank_q[db_q]]  = 1'b0;
        adone_d[bbank_q[db_q]] = 1'b0;
      end
    end
    // Credits: one per row injected, returned when its result enters the FIFO.
    if (inj_valid && !r_valid) begin
      infl_d = infl_q + 1'b1;
    end else if (r_valid && !inj_valid) begin
      infl_d = infl_q - 1'b1;
    end
    // Status.
    if (clear_i) begin
      flags_d    = '0;
      err_d      = 1'b0;
      err_code_d = ts_mmu_pkg::ErrNone;
    end
    if (r_valid) begin
      flags_d = flags_d | r_flags_or;
    end
    if (w_pop && w_row0 && stg_bad && !err_d) begin
      err_d      = 1'b1;
      err_code_d = ts_mmu_pkg::ErrDtype;
    end
    if (group_err && !err_d) begin
      err_d      = 1'b1;
      err_code_d = ts_mmu_pkg::ErrAGroup;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      stg_v_q    <= 1'b0;
      stg_cfg_q  <= '0;
      wrow_q     <= '0;
      wb_q       <= 1'b0;
      own_q      <= '0;
      full_q     <= '0;
      adone_q    <= '0;
      bad_q      <= '0;
      at_q       <= '0;
      dt0_q      <= '0;
      dt1_q      <= '0;
      ab_q       <= 1'b0;
      fb_q       <= 1'b0;
      db_q       <= 1'b0;
      frow_q     <= '0;
      dcol_q     <= '0;
      bfull_q    <= '0;
      bbank_q    <= '0;
      blast_q    <= '0;
      bmask_q    <= '0;
      infl_q     <= '0;
      flags_q    <= '0;
      err_q      <= 1'b0;
      err_code_q <= ts_mmu_pkg::ErrNone;
    end else begin
      stg_v_q    <= stg_v_d;
      stg_cfg_q  <= stg_cfg_d;
      wrow_q     <= wrow_d;
      wb_q       <= wb_d;
      own_q      <= own_d;
      full_q     <= full_d;
      adone_q    <= adone_d;
      bad_q      <= bad_d;
      at_q       <= at_d;
      dt0_q      <= dt0_d;
      dt1_q      <= dt1_d;
      ab_q       <= ab_d;
      fb_q       <= fb_d;
      db_q       <= db_d;
      frow_q     <= frow_d;
      dcol_q     <= dcol_d;
      bfull_q    <= bfull_d;
      bbank_q    <= bbank_d;
      blast_q    <= blast_d;
      bmask_q    <= bmask_d;
      infl_q     <= infl_d;
      flags_q    <= flags_d;
      err_q      <= err_d;
      err_code_q <= err_code_d;
    end
  end

  // Staged weight row: datapath, loaded on acceptance, not reset.
  always_ff @(posedge clk_i) begin
    if (w_fire) begin
      stg_data_q <= w_data_i;
    end
  end

  assign flags_o    = flags_q;
  assign err_o      = err_q;
  assign err_code_o = err_code_q;

  // ---------------------------------------------------------------------------------
  // Transpose buffers. Group row i (lanes m = 0..Dim-1 of A^T row k = i) is written
  // into row register i; draining shifts every row register down by one lane per
  // cycle, so drained row m carries lane k = A[m][k] from row register k. Rows after an
  // early a_last are masked to +0. The registers are datapath (not reset).
  // ---------------------------------------------------------------------------------
  logic [2*Dim*16-1:0] tb_col0;   // lane 0 of every row register, buffer-major
  for (genvar b = 0; b < 2; b++) begin : g_tbuf
    localparam bit Sel = (b == 1);
    for (genvar k = 0; k < Dim; k++) begin : g_row
      logic              load, shift;
      logic [Dim*16-1:0] row_q, row_d;
      assign load  = a_fill && (fb_q == Sel) && (frow_q == TagW'(k));
      assign shift = drain && (db_q == Sel);
      assign row_d = load ? a_data_i : {16'h0000, row_q[Dim*16-1:16]};
      always_ff @(posedge clk_i) begin
        if (load || shift) begin
          row_q <= row_d;
        end
      end
      assign tb_col0[(b*Dim + k)*16 +: 16] = row_q[15:0];
    end
  end

  always_comb begin
    for (int unsigned k = 0; k < Dim; k++) begin
      if (db_q) begin
        drain_data[k*16 +: 16] = bmask_q[Dim + k] ? tb_col0[(Dim + k)*16 +: 16] : 16'h0000;
      end else begin
        drain_data[k*16 +: 16] = bmask_q[k] ? tb_col0[k*16 +: 16] : 16'h0000;
      end
    end
  end

  // ---------------------------------------------------------------------------------
  // Bank hold (AddStages > 1): a per-bank down-counter started at each release
  // ---------------------------------------------------------------------------------
  logic [1:0] released;
  always_comb begin
    released = '0;
    if (a_fire && a_last_i && !a_fill) begin
      released[ab_q] = 1'b1;
    end
    if (drain_last && blast_q[db_q]) begin
      released[bbank_q[db_q]] = 1'b1;
    end
  end

  if (Hold > 0) begin : g_hold
    localparam int unsigned HW = $clog2(Hold + 1);
    for (genvar b = 0; b < 2; b++) begin : g_bank
      logic [HW-1:0] cnt_q;
      always_ff @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          cnt_q <= '0;
        end else if (released[b]) begin
          cnt_q <= HW'(Hold);
        end else if (cnt_q != '0) begin
          cnt_q <= cnt_q - 1'b1;
        end
      end
      assign hold_done[b] = (cnt_q == '0);
    end
  end else begin : g_no_hold
    logic unused_released;
    assign unused_released = ^released;
    assign hold_done       = 2'b11;
  end

  // ---------------------------------------------------------------------------------
  // Operand skew: weight lane i is delayed by i + 1 cycles, activation lane (PE row) i by
  // AddStages * i + 1: a row's partial sums reach the row below AddStages cycles later.
  // ---------------------------------------------------------------------------------
  logic [Dim-1:0]      wl_valid, wl_bank, wl_trans, al_valid, al_bank;
  logic [Dim*16-1:0]   wl_data, al_data;
  logic [Dim*TagW-1:0] wl_tag;
  logic [Dim*2-1:0]    al_dtype;

  for (genvar i = 0; i < Dim; i++) begin : g_skew
    ts_pipe #(.Width(16 + TagW + 2), .Depth(i + 1)) u_w_skew (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(w_load),
      .data_i ({stg_data_q[i*16 +: 16], wrow_q, wb_q, stg_cfg_q[ts_mmu_pkg::CfgWTrans]}),
      .valid_o(wl_valid[i]),
      .data_o ({wl_data[i*16 +: 16], wl_tag[i*TagW +: TagW], wl_bank[i], wl_trans[i]})
    );
    ts_pipe #(.Width(16 + 1 + 2), .Depth(AddStages * i + 1)) u_a_skew (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(inj_valid),
      .data_i ({inj_data[i*16 +: 16], inj_bank, inj_dtype}),
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
      // through lane k (row tag n). Both arrive k + n + 1 cycles after row 0 is taken.
      logic norm_hit, tr_hit;
      assign norm_hit = wl_valid[n] && !wl_trans[n] && (wl_tag[n*TagW +: TagW] == TagW'(k));
      assign tr_hit   = wl_valid[k] && wl_trans[k] && (wl_tag[k*TagW +: TagW] == TagW'(n));

      ts_mmu_pe #(.FirstRow(k == 0), .MulStages(MulStages), .AddStages(AddStages)) u_pe (
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
    .valid_i(inj_valid),
    .data_i (inj_last),
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
  `TS_ASSERT(a_one_inject, !(a_direct && drain), clk_i, rst_ni,
             "normal row and transposed row injected in the same cycle")
  `TS_ASSERT(a_buf_apart, !(a_fill && drain && (fb_q == db_q)), clk_i, rst_ni,
             "one transpose buffer filled and drained at once")
  `TS_ASSERT(a_release_done, (drain_last && blast_q[db_q]) |-> adone_q[bbank_q[db_q]],
             clk_i, rst_ni, "transposed tile released before all its rows were accepted")
  `TS_ASSERT(a_release_full, (a_fire && a_last_i && !a_fill) |-> full_q[ab_q], clk_i, rst_ni,
             "bank released before its tile was loaded")
  `TS_ASSERT(a_fifo_room, r_valid |-> (!fifo_full || o_ready_i), clk_i, rst_ni,
             "result row arrives at a full output FIFO")
  `TS_ASSERT(a_o_stable, (o_valid_o && !o_ready_i) |=> (o_valid_o && $stable(o_data_o)
             && $stable(o_flags_o) && $stable(o_last_o)), clk_i, rst_ni,
             "result valid/data changed before it was accepted")
  `TS_ASSERT(a_known_out, o_valid_o |-> !$isunknown({o_last_o, o_data_o, o_flags_o}), clk_i,
             rst_ni, "unknown value on a valid result")
  `TS_ASSERT_INIT(a_stages, (MulStages >= 1) && (MulStages <= 2) && (AddStages >= 1),
                  "MulStages must be 1 or 2 and AddStages at least 1")

endmodule
