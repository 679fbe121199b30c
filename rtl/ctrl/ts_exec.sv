// SPDX-License-Identifier: Apache-2.0
// Execute unit: runs GEMM commands on the matrix unit, scratchpad -> accumulator.
//
// Three sequencers walk the same loop nest, for column tile j (Dim columns of C), K step
// s (Dim values of k), row r (docs/isa.md "Order of work"):
//   weights      Dim rows of the tile B[sDim.., jDim..] (or of B^T) -> MMU w stream,
//   activations  the M rows of A at step s (or, with a_trans, groups of Dim rows of A^T)
//                -> MMU a stream, a_last on the tile's last row,
//   results      MMU result rows -> accumulator writes (overwrite on s = 0 unless
//                accumulate, else FP32 / INT32 accumulate).
// The weight sequencer runs up to one tile ahead (the MMU double-buffers weights), so
// tiles follow each other without a bubble. Rows beyond K (or beyond N for B^T) are fed
// as zeros without a scratchpad read. Each read port has a 4-entry FIFO filled by
// credit, because a scratchpad response (one cycle after the grant) cannot be refused.
// Addresses are kept incrementally (no multipliers); the decoder has checked every
// range, so they never leave the SRAMs.
// Two commands overlap: once the weight sequencer has requested every row of a command,
// the next command is taken and its first weight tile loads into the matrix unit's free
// bank while the previous command's last activation rows go in and drain. The activation
// and result sequencers each finish the older command, then take the newer one's fields;
// completions come in command order. Weight rows carry their tile configuration through the read
// FIFO, so a new command's configuration never reaches an older command's rows.
`include "ts_assert.svh"

module ts_exec #(
  parameter int unsigned Dim      = 4,
  parameter int unsigned SpadRows = 256,
  parameter int unsigned AccRows  = 64,
  parameter int unsigned PeMulStages = 1,  // ts_mmu MulStages
  parameter int unsigned PeAddStages = 1,  // ts_mmu AddStages
  localparam int unsigned SpAw    = $clog2(SpadRows),
  localparam int unsigned AccAw   = $clog2(AccRows),
  localparam int unsigned FW      = ts_pkg::FlagW,
  localparam int unsigned LgDim   = $clog2(Dim)
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // GEMM command (fields of docs/isa.md, already checked).
  input  logic                  cmd_valid_i,
  output logic                  cmd_ready_o,
  input  logic [1:0]            cmd_dtype_i,
  input  logic                  cmd_a_trans_i,
  input  logic                  cmd_b_trans_i,
  input  logic                  cmd_accumulate_i,
  input  logic [15:0]           cmd_m_i,
  input  logic [15:0]           cmd_n_i,
  input  logic [15:0]           cmd_k_i,
  input  logic [SpAw-1:0]       cmd_a_addr_i,
  input  logic [SpAw-1:0]       cmd_b_addr_i,
  input  logic [AccAw-1:0]      cmd_c_addr_i,
  input  logic [SpAw-1:0]       cmd_a_stride_i,
  input  logic [SpAw-1:0]       cmd_b_stride_i,
  input  logic [AccAw-1:0]      cmd_c_stride_i,
  // Completion: err = the matrix unit refused a tile configuration.
  output logic                  done_valid_o,
  input  logic                  done_ready_i,
  output logic                  done_err_o,
  // Scratchpad read port for activations (highest priority) and for weights.
  output logic                  ar_valid_o,
  input  logic                  ar_ready_i,
  output logic [SpAw-1:0]       ar_addr_o,
  input  logic [Dim*16-1:0]     ar_rdata_i,
  output logic                  wr_valid_o,
  input  logic                  wr_ready_i,
  output logic [SpAw-1:0]       wr_addr_o,
  input  logic [Dim*16-1:0]     wr_rdata_i,
  // Accumulator write port (mode 0 overwrite, 1 FP32 add, 2 INT32 add).
  output logic                  acc_valid_o,
  input  logic                  acc_ready_i,
  output logic [1:0]            acc_mode_o,
  output logic [AccAw-1:0]      acc_addr_o,
  output logic [Dim*32-1:0]     acc_data_o,
  // Per row written: IEEE flags of its sums (columns < N only) and its useful MACs
  // (k values of the step x columns of the tile that exist; they add up to M*N*K).
  output logic                  flags_valid_o,
  output logic [FW-1:0]         flags_o,
  output logic [2*LgDim+1:0]    macs_o,
  // Status for the performance counters.
  output logic                  busy_o,
  output logic                  row_fire_o
);

  localparam int unsigned FifoDepth = 4;

  // ------------------------------------------------------------------ command registers
  // The newest command's fields (the sequencers' and, until the result sequencer takes
  // them, the result side's).
  logic [1:0]       dtype_q;
  logic             at_q, bt_q, accum_q;
  logic [15:0]      m_q, n_q, k_q;
  logic [SpAw-1:0]  a_addr_q;
  logic [SpAw-1:0]  a_stride_q, b_stride_q;
  logic [AccAw-1:0] c_addr_q, c_stride_q;
  logic [15:0]      nb_q, ks_q;         // column tiles, K steps (minus one)
  logic [15:0]      rows_q;             // activation rows per tile minus one
  logic             start;
  logic             w_act_q, a_act_q;   // sequencers still requesting rows
  logic             a_pend_q;           // newest command not yet taken by the activations
  logic             res_pend_q;         // newest command not yet taken by the results
  logic [1:0]       fly_q;              // commands taken and not yet acknowledged
  logic             err_q, mmu_err;

  function automatic logic [15:0] tiles_m1(input logic [15:0] x);
    logic [16:0] t;
    t = ({1'b0, x} + 17'(Dim - 1)) >> LgDim;
    tiles_m1 = 16'(t - 17'd1);
  endfunction

  // An error of the matrix unit (sticky until a command starts and clears it) holds new
  // commands back until every command in flight has completed.
  assign cmd_ready_o = !w_act_q && !a_pend_q && !res_pend_q &&
                       ((fly_q == 2'd0) || ((fly_q == 2'd1) && !err_q && !mmu_err));
  assign start       = cmd_valid_i && cmd_ready_o;

  always_ff @(posedge clk_i) begin
    if (start) begin
      dtype_q    <= cmd_dtype_i;
      at_q       <= cmd_a_trans_i;
      bt_q       <= cmd_b_trans_i;
      accum_q    <= cmd_accumulate_i;
      m_q        <= cmd_m_i;
      n_q        <= cmd_n_i;
      k_q        <= cmd_k_i;
      a_addr_q   <= cmd_a_addr_i;
      a_stride_q <= cmd_a_stride_i;
      b_stride_q <= cmd_b_stride_i;
      c_addr_q   <= cmd_c_addr_i;
      c_stride_q <= cmd_c_stride_i;
      nb_q       <= tiles_m1(cmd_n_i);
      ks_q       <= tiles_m1(cmd_k_i);
      rows_q     <= cmd_a_trans_i ? 16'((32'(tiles_m1(cmd_m_i)) + 1) * Dim - 1)
                                  : 16'(cmd_m_i - 16'd1);
    end
  end

  // ------------------------------------------------------------------ weight sequencer
  // Tile (wj, ws), row wi. Normal: B row k = ws*Dim + wi at b_addr + k*b_stride + wj.
  // Transposed: B^T row n = wj*Dim + wi at b_addr + n*b_stride + ws.
  logic             w_act_d;
  logic [15:0]      wj_q, wj_d, ws_q, ws_d;
  logic [LgDim:0]   wi_q, wi_d;
  logic [SpAw-1:0]  w_jbase_q, w_jbase_d, w_tbase_q, w_tbase_d, w_row_q, w_row_d;
  logic [16:0]      w_lim_q, w_lim_d;   // rows of this tile that exist (K or N left)
  logic             w_zero, w_fire, w_credit;
  logic             w_p_q, w_pz_q;      // request in the one-cycle read pipeline
  logic [ts_mmu_pkg::CfgW-1:0] w_cfg, w_pc_q, wf_rcfg;
  logic [SpAw-1:0]  b_dimstride;

  assign b_dimstride = b_stride_q << LgDim;
  assign w_zero      = (17'(wi_q) >= w_lim_q);
  assign wr_valid_o  = w_act_q && w_credit && !w_zero;
  assign wr_addr_o   = w_row_q;
  assign w_fire      = w_act_q && w_credit && (w_zero || wr_ready_i);
  assign w_cfg       = {at_q, bt_q, dtype_q};

  always_comb begin
    w_act_d   = w_act_q;
    wj_d      = wj_q;
    ws_d      = ws_q;
    wi_d      = wi_q;
    w_jbase_d = w_jbase_q;
    w_tbase_d = w_tbase_q;
    w_row_d   = w_row_q;
    w_lim_d   = w_lim_q;
    if (start) begin
      w_act_d   = 1'b1;
      wj_d      = '0;
      ws_d      = '0;
      wi_d      = '0;
      w_jbase_d = cmd_b_addr_i;
      w_tbase_d = cmd_b_addr_i;
      w_row_d   = cmd_b_addr_i;
      w_lim_d   = cmd_b_trans_i ? 17'(cmd_n_i) : 17'(cmd_k_i);
    end else if (w_fire) begin
      wi_d    = wi_q + 1'b1;
      w_row_d = w_row_q + b_stride_q;
      if (wi_q == (LgDim + 1)'(Dim - 1)) begin
        wi_d = '0;
        if (ws_q == ks_q) begin
          ws_d = '0;
          if (wj_q == nb_q) begin
            w_act_d = 1'b0;
          end
          wj_d      = wj_q + 16'd1;
          w_jbase_d = w_jbase_q + (bt_q ? b_dimstride : SpAw'(1));
          w_tbase_d = w_jbase_d;
          w_row_d   = w_jbase_d;
          w_lim_d   = bt_q ? w_lim_q - 17'(Dim) : 17'(k_q);
        end else begin
          ws_d      = ws_q + 16'd1;
          w_tbase_d = w_tbase_q + (bt_q ? SpAw'(1) : b_dimstride);
          w_row_d   = w_tbase_d;
          w_lim_d   = bt_q ? w_lim_q : w_lim_q - 17'(Dim);
        end
      end
    end
  end

  // ------------------------------------------------------------------ activation sequencer
  // Tile (aj, as), row ar. Normal: A row m = ar at a_addr + m*a_stride + as. Transposed:
  // group q, row i (k = as*Dim + i) of A^T at a_addr + k*a_stride + q.
  // It has its own copy of the fields it walks: it takes the newest command once it has
  // requested the previous command's last row, while the weight sequencer is already on
  // the newest command's tiles.
  logic             x_at_q;
  logic [15:0]      x_k_q, x_nb_q, x_ks_q, x_rows_q;
  logic [SpAw-1:0]  x_addr_q, x_stride_q;
  logic             a_act_d, a_end, a_take;
  logic [15:0]      aj_q, aj_d, as_q, as_d, ar_q, ar_d;
  logic [LgDim:0]   ai_q, ai_d;
  logic [SpAw-1:0]  a_sbase_q, a_sbase_d, a_gbase_q, a_gbase_d, a_row_q, a_row_d;
  logic [16:0]      a_klim_q, a_klim_d; // K left at this step (A^T zero rows)
  logic             a_zero, a_fire, a_credit, a_last;
  logic             a_p_q, a_pz_q, a_pl_q;
  logic [SpAw-1:0]  a_dimstride;

  assign a_dimstride = x_stride_q << LgDim;
  assign a_zero      = x_at_q && (17'(ai_q) >= a_klim_q);
  assign ar_valid_o  = a_act_q && a_credit && !a_zero;
  assign ar_addr_o   = a_row_q;
  assign a_fire      = a_act_q && a_credit && (a_zero || ar_ready_i);
  assign a_last      = (ar_q == x_rows_q);
  assign a_end       = a_fire && a_last && (as_q == x_ks_q) && (aj_q == x_nb_q);
  assign a_take      = a_pend_q && (!a_act_q || a_end);

  always_comb begin
    a_act_d   = a_act_q;
    aj_d      = aj_q;
    as_d      = as_q;
    ar_d      = ar_q;
    ai_d      = ai_q;
    a_sbase_d = a_sbase_q;
    a_gbase_d = a_gbase_q;
    a_row_d   = a_row_q;
    a_klim_d  = a_klim_q;
    if (a_take) begin
      a_act_d   = 1'b1;
      aj_d      = '0;
      as_d      = '0;
      ar_d      = '0;
      ai_d      = '0;
      a_sbase_d = a_addr_q;
      a_gbase_d = a_addr_q;
      a_row_d   = a_addr_q;
      a_klim_d  = 17'(k_q);
    end else if (a_fire) begin
      ar_d    = ar_q + 16'd1;
      ai_d    = ai_q + 1'b1;
      a_row_d = a_row_q + x_stride_q;
      if (ai_q == (LgDim + 1)'(Dim - 1)) begin
        ai_d = '0;
        if (x_at_q) begin  // next group of A^T
          a_gbase_d = a_gbase_q + SpAw'(1);
          a_row_d   = a_gbase_d;
        end
      end
      if (a_last) begin
        ar_d = '0;
        ai_d = '0;
        if (as_q == x_ks_q) begin
          as_d      = '0;
          a_klim_d  = 17'(x_k_q);
          a_sbase_d = x_addr_q;
          if (aj_q == x_nb_q) begin
            a_act_d = 1'b0;
          end
          aj_d = aj_q + 16'd1;
        end else begin
          as_d      = as_q + 16'd1;
          a_klim_d  = a_klim_q - 17'(Dim);
          a_sbase_d = a_sbase_q + (x_at_q ? a_dimstride : SpAw'(1));
        end
        a_gbase_d = a_sbase_d;
        a_row_d   = a_sbase_d;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (a_take) begin
      x_at_q     <= at_q;
      x_k_q      <= k_q;
      x_nb_q     <= nb_q;
      x_ks_q     <= ks_q;
      x_rows_q   <= rows_q;
      x_addr_q   <= a_addr_q;
      x_stride_q <= a_stride_q;
    end
  end

  // ------------------------------------------------------------------ read pipelines + FIFOs
  logic                      wf_push, wf_pop, wf_empty, af_push, af_pop, af_empty;
  logic                      wf_full, af_full;
  logic [$clog2(FifoDepth+1)-1:0] wf_cnt, af_cnt;
  logic [Dim*16-1:0]         wf_wdata, af_wdata;
  logic [Dim*16-1:0]         wf_rdata, af_rdata;
  logic                      af_rlast, unused_full;
  logic                      mmu_w_ready, mmu_a_ready;

  assign w_credit = (32'(wf_cnt) + 32'(w_p_q)) < FifoDepth;
  assign a_credit = (32'(af_cnt) + 32'(a_p_q)) < FifoDepth;
  assign wf_push  = w_p_q;
  assign af_push  = a_p_q;
  assign wf_wdata = w_pz_q ? '0 : wr_rdata_i;
  assign af_wdata = a_pz_q ? '0 : ar_rdata_i;
  assign unused_full = wf_full ^ af_full;

  ts_fifo #(.Width(Dim * 16 + ts_mmu_pkg::CfgW), .Depth(FifoDepth)) u_wfifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (wf_push),
    .data_i ({w_pc_q, wf_wdata}),
    .pop_i  (wf_pop),
    .data_o ({wf_rcfg, wf_rdata}),
    .empty_o(wf_empty),
    .full_o (wf_full),
    .count_o(wf_cnt)
  );

  ts_fifo #(.Width(Dim * 16 + 1), .Depth(FifoDepth)) u_afifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (af_push),
    .data_i ({a_pl_q, af_wdata}),
    .pop_i  (af_pop),
    .data_o ({af_rlast, af_rdata}),
    .empty_o(af_empty),
    .full_o (af_full),
    .count_o(af_cnt)
  );

  assign wf_pop = !wf_empty && mmu_w_ready;
  assign af_pop = !af_empty && mmu_a_ready;

  // ------------------------------------------------------------------ matrix unit
  logic                mmu_o_valid, mmu_o_last;
  logic [Dim*32-1:0]   mmu_o_data;
  logic [Dim*FW-1:0]   mmu_o_flags;
  logic [FW-1:0]       unused_mmu_flags;
  logic [1:0]          unused_mmu_code;
  logic                o_fire;

  ts_mmu #(.Dim(Dim), .MulStages(PeMulStages), .AddStages(PeAddStages)) u_mmu (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .clear_i   (start),
    .flags_o   (unused_mmu_flags),
    .err_o     (mmu_err),
    .err_code_o(unused_mmu_code),
    .w_valid_i (!wf_empty),
    .w_ready_o (mmu_w_ready),
    .w_cfg_i   (wf_rcfg),
    .w_data_i  (wf_rdata),
    .a_valid_i (!af_empty),
    .a_ready_o (mmu_a_ready),
    .a_last_i  (af_rlast),
    .a_data_i  (af_rdata),
    .o_valid_o (mmu_o_valid),
    .o_ready_i (acc_ready_i || !o_rowok),
    .o_last_o  (mmu_o_last),
    .o_data_o  (mmu_o_data),
    .o_flags_o (mmu_o_flags)
  );

  // ------------------------------------------------------------------ result sequencer
  // Fields of the command whose results are being written (taken from the newest
  // command's registers when the previous command's last row is written).
  logic [1:0]       o_dtype_q;
  logic             o_accum_q;
  logic [15:0]      o_m_q, o_k_q, o_nb_q, o_ks_q, o_rows_q;
  logic [AccAw-1:0] o_cs_q;
  logic             o_act_q, o_act_d, res_take, o_cpl;
  logic [15:0]      oj_q, oj_d, os_q, os_d, or_q, or_d;
  logic [AccAw-1:0] o_jbase_q, o_jbase_d, o_row_q, o_row_d;
  logic [16:0]      o_nlim_q, o_nlim_d;  // columns left in this tile
  logic [16:0]      o_klim_q, o_klim_d;  // K left at this step
  logic [LgDim:0]   o_kv, o_nv;
  logic             o_rowok, o_end, drained;
  logic [FW-1:0]    o_flags_or;

  // Rows beyond M (A^T groups) are dropped without waiting for the accumulator.
  assign o_fire   = mmu_o_valid && (acc_ready_i || !o_rowok);
  assign o_rowok  = (or_q < o_m_q);
  assign o_end    = (or_q == o_rows_q) && (os_q == o_ks_q) && (oj_q == o_nb_q);
  assign o_cpl    = o_fire && o_end;
  assign res_take = res_pend_q && (!o_act_q || o_cpl) && !drained;

  always_comb begin
    o_act_d   = o_act_q;
    oj_d      = oj_q;
    os_d      = os_q;
    or_d      = or_q;
    o_jbase_d = o_jbase_q;
    o_row_d   = o_row_q;
    o_nlim_d  = o_nlim_q;
    o_klim_d  = o_klim_q;
    if (drained) begin
      o_act_d   = 1'b0;
    end else if (res_take) begin
      o_act_d   = 1'b1;
      oj_d      = '0;
      os_d      = '0;
      or_d      = '0;
      o_jbase_d = c_addr_q;
      o_row_d   = c_addr_q;
      o_nlim_d  = 17'(n_q);
      o_klim_d  = 17'(k_q);
    end else if (o_fire) begin
      or_d    = or_q + 16'd1;
      o_row_d = o_row_q + o_cs_q;
      if (or_q == o_rows_q) begin
        or_d    = '0;
        o_row_d = o_jbase_q;
        if (os_q == o_ks_q) begin
          os_d      = '0;
          o_klim_d  = 17'(o_k_q);
          oj_d      = oj_q + 16'd1;
          o_jbase_d = o_jbase_q + AccAw'(1);
          o_row_d   = o_jbase_d;
          o_nlim_d  = o_nlim_q - 17'(Dim);
          if (oj_q == o_nb_q) begin
            o_act_d = 1'b0;
          end
        end else begin
          os_d     = os_q + 16'd1;
          o_klim_d = o_klim_q - 17'(Dim);
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (res_take) begin
      o_dtype_q <= dtype_q;
      o_accum_q <= accum_q;
      o_m_q     <= m_q;
      o_k_q     <= k_q;
      o_nb_q    <= nb_q;
      o_ks_q    <= ks_q;
      o_rows_q  <= rows_q;
      o_cs_q    <= c_stride_q;
    end
  end

  always_comb begin
    o_flags_or = '0;
    for (int unsigned c = 0; c < Dim; c++) begin
      if (17'(c) < o_nlim_q) o_flags_or = o_flags_or | mmu_o_flags[c*FW +: FW];
    end
  end

  assign acc_valid_o   = mmu_o_valid && o_rowok;
  assign acc_addr_o    = o_row_q;
  assign acc_data_o    = mmu_o_data;
  assign acc_mode_o    = (os_q == '0 && !o_accum_q) ? 2'd0
                       : (o_dtype_q == ts_mmu_pkg::DtInt8) ? 2'd2 : 2'd1;
  assign flags_valid_o = o_fire && o_rowok;
  assign flags_o       = o_flags_or;
  assign o_kv          = (o_klim_q >= 17'(Dim)) ? (LgDim + 1)'(Dim) : (LgDim + 1)'(o_klim_q);
  assign o_nv          = (o_nlim_q >= 17'(Dim)) ? (LgDim + 1)'(Dim) : (LgDim + 1)'(o_nlim_q);
  assign macs_o        = (2 * LgDim + 2)'(o_kv) * (2 * LgDim + 2)'(o_nv);

  // ------------------------------------------------------------------ completions
  // Up to two commands are in flight (taken, completion not yet acknowledged); their
  // completions queue in command order, each with its error bit (entry 0 the oldest).
  // A tile the matrix unit refuses yields no result rows: after an error every command
  // still open completes, with the error, once every row went in and the array has been
  // quiet for longer than its latency. A command completing after an error reports it too.
  // (The array's latency is (PeAddStages + 1) * Dim + PeMulStages, docs/mmu.md; 4 * Dim + 16
  // with one stage each.)
  localparam int unsigned DrainCycles = (PeAddStages + 3) * Dim + PeMulStages + 15;
  logic       err_d, res_pend_d, ack, open_cmds;
  logic [1:0] fly_d, dn_q, dn_d, dn_err_q, dn_err_d, n_open;
  logic [$clog2(DrainCycles+1)-1:0] quiet_q, quiet_d;

  assign ack       = done_valid_o && done_ready_i;
  assign n_open    = fly_q - dn_q;               // taken, not yet completed
  assign open_cmds = (n_open != 2'd0);
  assign drained   = open_cmds && (32'(quiet_q) == DrainCycles);

  always_comb begin
    fly_d      = fly_q + 2'(start) - 2'(ack);
    res_pend_d = start || (res_pend_q && !res_take && !drained);
    err_d      = err_q;
    if (start || fly_q == 2'd0) begin
      err_d = 1'b0;
    end else if (mmu_err) begin
      err_d = 1'b1;
    end
    quiet_d = '0;
    if (err_q && open_cmds && !a_act_q && !a_pend_q && !w_act_q && af_empty && wf_empty &&
        !mmu_o_valid && !drained) begin
      quiet_d = quiet_q + 1'b1;
    end
    dn_d     = dn_q;
    dn_err_d = dn_err_q;
    if (ack) begin
      dn_d     = dn_q - 2'd1;
      dn_err_d = {1'b0, dn_err_q[1]};
    end
    if (drained) begin
      for (int unsigned i = 0; i < 2; i++) begin
        if (3'(i) >= 3'(dn_d) && 3'(i) < 3'(dn_d) + 3'(n_open)) dn_err_d[i] = 1'b1;
      end
      dn_d = dn_d + n_open;
    end else if (o_cpl) begin
      if (dn_d == 2'd0) begin
        dn_err_d[0] = err_q;
      end else begin
        dn_err_d[1] = err_q;
      end
      dn_d = dn_d + 2'd1;
    end
  end

  assign done_valid_o = (dn_q != 2'd0);
  assign done_err_o   = dn_err_q[0];
  assign busy_o       = (fly_q != 2'd0);
  assign row_fire_o   = af_pop;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      fly_q      <= '0;
      dn_q       <= '0;
      dn_err_q   <= '0;
      res_pend_q <= 1'b0;
      a_pend_q   <= 1'b0;
      err_q      <= 1'b0;
      quiet_q    <= '0;
      w_act_q    <= 1'b0;
      a_act_q    <= 1'b0;
      o_act_q    <= 1'b0;
      w_p_q      <= 1'b0;
      a_p_q      <= 1'b0;
    end else begin
      fly_q      <= fly_d;
      dn_q       <= dn_d;
      dn_err_q   <= dn_err_d;
      res_pend_q <= res_pend_d;
      a_pend_q   <= start || (a_pend_q && !a_take && !drained);
      err_q      <= err_d;
      quiet_q    <= quiet_d;
      w_act_q <= w_act_d;
      a_act_q <= a_act_d;
      o_act_q <= o_act_d;
      w_p_q   <= w_fire;
      a_p_q   <= a_fire;
    end
  end

  always_ff @(posedge clk_i) begin
    wj_q      <= wj_d;
    ws_q      <= ws_d;
    wi_q      <= wi_d;
    w_jbase_q <= w_jbase_d;
    w_tbase_q <= w_tbase_d;
    w_row_q   <= w_row_d;
    w_lim_q   <= w_lim_d;
    w_pz_q    <= w_zero;
    w_pc_q    <= w_cfg;
    aj_q      <= aj_d;
    as_q      <= as_d;
    ar_q      <= ar_d;
    ai_q      <= ai_d;
    a_sbase_q <= a_sbase_d;
    a_gbase_q <= a_gbase_d;
    a_row_q   <= a_row_d;
    a_klim_q  <= a_klim_d;
    a_pz_q    <= a_zero;
    a_pl_q    <= a_last;
    oj_q      <= oj_d;
    os_q      <= os_d;
    or_q      <= or_d;
    o_jbase_q <= o_jbase_d;
    o_row_q   <= o_row_d;
    o_nlim_q  <= o_nlim_d;
    o_klim_q  <= o_klim_d;
  end

  // Assertions
  `TS_ASSERT_INIT(a_dim_pow2, Dim >= 2 && (1 << LgDim) == Dim, "Dim must be a power of two >= 2")
  `TS_ASSERT(a_wfifo_ovf, !(wf_push && wf_full && !wf_pop), clk_i, rst_ni, "weight FIFO overflow")
  `TS_ASSERT(a_afifo_ovf, !(af_push && af_full && !af_pop), clk_i, rst_ni, "activation FIFO overflow")
  `TS_ASSERT(a_result_in_cmd, !mmu_o_valid || o_act_q, clk_i, rst_ni,
             "matrix unit result outside a command")
  `TS_ASSERT(a_last_matches, !(o_fire && (mmu_o_last != (or_q == o_rows_q))), clk_i, rst_ni,
             "result sequencer out of step with the matrix unit")
  `TS_ASSERT(a_start_idle, !start || (!w_act_q && !a_pend_q && !res_pend_q), clk_i, rst_ni,
             "command started while a sequencer is active")
  `TS_ASSERT(a_ack_in_flight, !ack || (fly_q != 2'd0), clk_i, rst_ni,
             "completion acknowledged with no command in flight")
  `TS_ASSERT(a_cpl_open, !o_cpl || open_cmds, clk_i, rst_ni,
             "result rows completed a command that is not open")

endmodule
