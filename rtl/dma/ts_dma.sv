// SPDX-License-Identifier: Apache-2.0
// AXI4 master DMA: 2-D strided descriptors between host memory and one on-chip SRAM row port.
//
// One descriptor at a time: check (windows, sizes) -> run -> completion record.
// A DRAM row of bpr bytes at dram_addr + r*stride maps to no = ceil(bpr / RowBytes)
// consecutive SRAM rows starting at sram_addr + r*no; SRAM row byte k holds DRAM row byte
// i*RowBytes + k. The last SRAM row of a DRAM row is zero-padded on DRAM->SRAM; on
// SRAM->DRAM only the bpr bytes are written (WSTRB). Rows are DataW bits wide (one SRAM
// row per bus beat). See docs/dma.md for the protocols, status codes and timing.
//
// Address path: one walker splits each DRAM row into INCR bursts of at most 256 beats that
// never cross a 4 KiB boundary and loads them into the AR (or AW) output register while
// fewer than MaxReads (MaxWrites) bursts are outstanding. Data paths re-walk the same rows
// (AXI returns same-ID reads in order), realign bytes with a two-beat shifter and count
// beats per burst for WLAST from a FIFO of accepted AW lengths.
//
// CheckStages = 2 spends two cycles in the descriptor check: the spans (a multiply and
// adds) are registered in the first, compared with the windows and the SRAM size in the
// second. With 1 (one cycle, the simulated ASIC configurations) that check drove the
// walker's start in the same cycle: the slowest path of the DMA on an FPGA.
`include "ts_assert.svh"

module ts_dma #(
  parameter int unsigned DataW     = 64,
  parameter int unsigned AddrW     = 32,
  parameter int unsigned IdW       = 4,
  parameter int unsigned MaxReads  = 4,   // read bursts in flight
  parameter int unsigned MaxWrites = 4,   // write bursts awaiting B
  parameter int unsigned Windows   = 2,
  parameter int unsigned SramAw    = 8,
  parameter int unsigned SramRows  = 256, // rows of the attached SRAM (descriptor check)
  parameter int unsigned RowsW     = 16,
  parameter int unsigned BprW      = 16,
  parameter int unsigned RowFifo   = 4,   // SRAM rows buffered on SRAM->DRAM
  parameter int unsigned CheckStages = 1, // cycles of the descriptor check: 1 or 2
  localparam int unsigned B        = DataW / 8,
  localparam int unsigned LgB      = $clog2(B),
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // Address-window configuration: base..last inclusive, perm[0] read, perm[1] write.
  input  logic              cfg_win_we_i,
  input  logic [WinW-1:0]   cfg_win_idx_i,
  input  logic [AddrW-1:0]  cfg_win_base_i,
  input  logic [AddrW-1:0]  cfg_win_last_i,
  input  logic [1:0]        cfg_win_perm_i,
  // Descriptor stream. dir 0: DRAM -> SRAM, 1: SRAM -> DRAM.
  input  logic              desc_valid_i,
  output logic              desc_ready_o,
  input  logic              desc_dir_i,
  input  logic              desc_target_i,
  input  logic [AddrW-1:0]  desc_dram_addr_i,
  input  logic [RowsW-1:0]  desc_rows_i,
  input  logic [BprW-1:0]   desc_bpr_i,
  input  logic [AddrW-1:0]  desc_stride_i,
  input  logic [SramAw-1:0] desc_sram_addr_i,
  // Abort (level): the descriptor in progress ends without another SRAM or host write; bursts
  // already requested drain, and it completes with StatAbort (unless a bus error came first).
  input  logic              abort_i,
  // Completion stream: one record per descriptor.
  output logic              cpl_valid_o,
  input  logic              cpl_ready_i,
  output logic [3:0]        cpl_status_o,
  output logic [AddrW-1:0]  cpl_addr_o,
  output logic              busy_o,
  output logic              req_idle_o,   // every request of the descriptor issued (or none):
                                          // all AR bursts; on writes all AW bursts and W beats
  // SRAM row port (target selects scratchpad / accumulator at the integration level).
  output logic              sram_target_o,
  output logic              sram_req_valid_o,
  input  logic              sram_req_ready_i,
  output logic              sram_req_we_o,
  output logic [SramAw-1:0] sram_req_addr_o,
  output logic [DataW-1:0]  sram_req_wdata_o,
  input  logic              sram_rsp_valid_i,
  input  logic [DataW-1:0]  sram_rsp_rdata_i,
  // AXI4 master.
  output logic              m_axi_ar_valid_o,
  input  logic              m_axi_ar_ready_i,
  output logic [IdW-1:0]    m_axi_ar_id_o,
  output logic [AddrW-1:0]  m_axi_ar_addr_o,
  output logic [7:0]        m_axi_ar_len_o,
  output logic [2:0]        m_axi_ar_size_o,
  output logic [1:0]        m_axi_ar_burst_o,
  input  logic              m_axi_r_valid_i,
  output logic              m_axi_r_ready_o,
  input  logic [IdW-1:0]    m_axi_r_id_i,
  input  logic [DataW-1:0]  m_axi_r_data_i,
  input  logic [1:0]        m_axi_r_resp_i,
  input  logic              m_axi_r_last_i,
  output logic              m_axi_aw_valid_o,
  input  logic              m_axi_aw_ready_i,
  output logic [IdW-1:0]    m_axi_aw_id_o,
  output logic [AddrW-1:0]  m_axi_aw_addr_o,
  output logic [7:0]        m_axi_aw_len_o,
  output logic [2:0]        m_axi_aw_size_o,
  output logic [1:0]        m_axi_aw_burst_o,
  output logic              m_axi_w_valid_o,
  input  logic              m_axi_w_ready_i,
  output logic [DataW-1:0]  m_axi_w_data_o,
  output logic [B-1:0]      m_axi_w_strb_o,
  output logic              m_axi_w_last_o,
  input  logic              m_axi_b_valid_i,
  output logic              m_axi_b_ready_o,
  input  logic [IdW-1:0]    m_axi_b_id_i,
  input  logic [1:0]        m_axi_b_resp_i
);

  // Completion status codes (docs/dma.md).
  localparam logic [3:0] StatOk      = 4'd0;
  localparam logic [3:0] StatWindow  = 4'd1;  // range leaves the programmed windows
  localparam logic [3:0] StatDesc    = 4'd2;  // zero size, address wrap, SRAM overflow
  localparam logic [3:0] StatRSlverr = 4'd3;
  localparam logic [3:0] StatRDecerr = 4'd4;
  localparam logic [3:0] StatBSlverr = 4'd5;
  localparam logic [3:0] StatBDecerr = 4'd6;
  localparam logic [3:0] StatAbort   = 4'd7;  // abort_i

  localparam int unsigned BeatW = BprW + 1;          // beats (or bytes) counts
  localparam int unsigned SpanW = AddrW + RowsW + 2; // exact descriptor span arithmetic
  localparam int unsigned SLeftW = SramAw + 1;
  localparam int unsigned RdCntW = $clog2(MaxReads + 1);
  localparam int unsigned WrCntW = $clog2(MaxWrites + 1);
  localparam int unsigned RfCntW = $clog2(RowFifo + 1);

  typedef enum logic [1:0] {StIdle, StCheck, StRun, StDone} state_e;
  state_e state_q, state_d;

  // ---------------------------------------------------------------- registers
  logic              dir_q, target_q;
  logic [AddrW-1:0]  base_q, stride_q;
  logic [RowsW-1:0]  rows_q;
  logic [BprW-1:0]   bpr_q;
  logic [SramAw-1:0] sram_q;
  logic [BeatW-1:0]  no_q;                      // SRAM rows per DRAM row
  logic [3:0]        status_q, status_d;
  logic [AddrW-1:0]  err_addr_q, err_addr_d;
  logic              err_q;                     // a bus error ended this transfer

  logic [Windows*AddrW-1:0] win_base_q, win_last_q;
  logic [Windows*2-1:0]     win_perm_q;

  // Address walker (AR in dir 0, AW in dir 1).
  logic             a_done_q;
  logic [AddrW-1:0] a_rowbase_q, a_cur_q;
  logic [BprW-1:0]  a_rem_q;
  logic [RowsW-1:0] a_rows_q;
  logic             ax_valid_q;
  logic [AddrW-1:0] ax_addr_q;
  logic [7:0]       ax_len_q;
  logic [RdCntW-1:0] rd_out_q;
  logic [WrCntW-1:0] wr_out_q;

  // Read data path (dir 0).
  logic [AddrW-1:0]  r_rowaddr_q;
  logic [RowsW-1:0]  r_rows_q;
  logic [BeatW-1:0]  r_j_q;
  logic [DataW-1:0]  r_prev_q;
  logic              r_flush_q;
  logic [LgB-1:0]    r_flush_off_q;
  logic [SramAw-1:0] r_sram_q;

  // SRAM read requests (dir 1).
  logic              s_valid_q;
  logic [SramAw-1:0] s_addr_q, s_req_addr_q;
  logic [SLeftW-1:0] s_left_q;
  logic [RfCntW-1:0] s_inflight_q;

  // Write data path (dir 1).
  logic [AddrW-1:0]  w_rowaddr_q;
  logic [RowsW-1:0]  w_rows_q;
  logic [BeatW-1:0]  w_j_q;
  logic [DataW-1:0]  w_prev_q;
  logic [7:0]        w_beat_q;
  logic              w_valid_q, w_last_q;
  logic [DataW-1:0]  w_data_q;
  logic [B-1:0]      w_strb_q;

  // ---------------------------------------------------------------- descriptor check
  logic [SpanW-1:0] span_end_c, span_end;   // one past the last byte touched
  logic [SpanW-1:0] sram_end_c, sram_end;   // one past the last SRAM row touched
  logic [SpanW-1:0] rows_x_no;
  logic [SLeftW-1:0] rows_no_c, rows_no;    // SRAM rows of the whole descriptor (if it fits)
  logic [BeatW-1:0] no_calc;
  logic             win_ok, desc_bad, chk_go;

  always_comb begin
    no_calc    = BeatW'((BeatW'(bpr_q) + BeatW'(B - 1)) >> LgB);
    span_end_c = SpanW'(base_q) + SpanW'(bpr_q) +
                 SpanW'((SpanW'(rows_q) - 1'b1) * SpanW'(stride_q));
    rows_x_no  = SpanW'(SpanW'(rows_q) * SpanW'(no_calc));
    rows_no_c  = SLeftW'(rows_x_no);
    sram_end_c = SpanW'(sram_q) + rows_x_no;
  end

  if (CheckStages == 1) begin : g_chk1
    assign span_end = span_end_c;
    assign sram_end = sram_end_c;
    assign rows_no  = rows_no_c;
    assign chk_go   = 1'b1;
  end else begin : g_chk2
    // First check cycle: the sums registered (chk_q low); second: compared (chk_q high).
    logic             chk_q;
    logic [SpanW-1:0] span_end_q, sram_end_q;
    logic [SLeftW-1:0] rows_no_q;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        chk_q <= 1'b0;
      end else begin
        chk_q <= (state_q == StCheck) && !chk_q;
      end
    end
    always_ff @(posedge clk_i) begin
      if ((state_q == StCheck) && !chk_q) begin
        span_end_q <= span_end_c;
        sram_end_q <= sram_end_c;
        rows_no_q  <= rows_no_c;
      end
    end
    assign span_end = span_end_q;
    assign sram_end = sram_end_q;
    assign rows_no  = rows_no_q;
    assign chk_go   = chk_q;
  end

  always_comb begin
    desc_bad = (rows_q == '0) || (bpr_q == '0) || (span_end > (SpanW'(1) << AddrW)) ||
               (sram_end > SpanW'(SramRows));
    win_ok = 1'b0;
    for (int unsigned w = 0; w < Windows; w++) begin
      if (win_perm_q[w*2 + (dir_q ? 1 : 0)] &&
          (base_q >= win_base_q[w*AddrW +: AddrW]) &&
          ((span_end - 1'b1) <= SpanW'(win_last_q[w*AddrW +: AddrW]))) begin
        win_ok = 1'b1;
      end
    end
  end

  // ---------------------------------------------------------------- burst splitting
  logic [BeatW:0]   beats_row;
  logic [12:0]      beats_4k;
  logic [8:0]       len_beats;
  logic [AddrW:0]   burst_end;
  logic             burst_row_done;
  logic [AddrW-1:0] a_cur_aligned;
  logic             ax_load, ax_can, ax_fire;
  logic             out_room;

  always_comb begin
    a_cur_aligned  = {a_cur_q[AddrW-1:LgB], {LgB{1'b0}}};
    beats_row      = (BeatW'(a_cur_q[LgB-1:0]) + (BeatW+1)'(a_rem_q) + (BeatW+1)'(B - 1)) >> LgB;
    beats_4k       = 13'(4096 >> LgB) - 13'(a_cur_q[11:LgB]);
    len_beats      = 9'd256;
    if ((BeatW+1)'(len_beats) > beats_row) len_beats = 9'(beats_row);
    if (13'(len_beats) > beats_4k) len_beats = 9'(beats_4k);
    burst_end      = (AddrW+1)'(a_cur_aligned) + ((AddrW+1)'(len_beats) << LgB);
    burst_row_done = ((BeatW+1)'(len_beats) == beats_row);
  end

  assign out_room = dir_q ? (int'(wr_out_q) < MaxWrites) : (int'(rd_out_q) < MaxReads);
  assign ax_can   = (state_q == StRun) && !a_done_q && !err_q && out_room;
  assign ax_fire  = ax_valid_q && (dir_q ? m_axi_aw_ready_i : m_axi_ar_ready_i);
  assign ax_load  = ax_can && (!ax_valid_q || ax_fire);

  // ---------------------------------------------------------------- read data path
  logic [LgB-1:0]    r_off;
  logic [BeatW-1:0]  r_nb, r_row_idx;
  logic              r_emits, r_last_beat, r_fire, r_sram_valid, r_sram_fire, r_run;
  logic [DataW-1:0]  r_row;
  logic [2*DataW-1:0] r_cat;
  logic [B-1:0]      last_mask;
  logic [BprW-1:0]   bpr_m1;
  logic [LgB:0]      last_cnt;
  logic              r_err;

  always_comb begin
    // Bytes of the last SRAM row of a DRAM row that carry data: ((bpr - 1) mod B) + 1.
    bpr_m1   = bpr_q - 1'b1;
    last_cnt = {1'b0, bpr_m1[LgB-1:0]} + 1'b1;
    for (int unsigned k = 0; k < B; k++) begin
      last_mask[k] = (k < int'(last_cnt));
    end
  end

  always_comb begin
    r_run       = (state_q == StRun) && !dir_q;
    // In a flush cycle the walker already points at the next row: use the saved offset.
    r_off       = r_flush_q ? r_flush_off_q : r_rowaddr_q[LgB-1:0];
    r_nb        = BeatW'((BeatW'(r_off) + BeatW'(bpr_q) + BeatW'(B - 1)) >> LgB);
    r_emits     = (r_off == '0) || (r_j_q != '0);
    r_last_beat = (r_j_q == r_nb - 1'b1);
    r_row_idx   = r_flush_q ? (no_q - 1'b1) : ((r_off == '0) ? r_j_q : (r_j_q - 1'b1));
    r_cat       = r_flush_q ? {{DataW{1'b0}}, r_prev_q} : {m_axi_r_data_i, r_prev_q};
    r_row       = (r_off == '0) ? m_axi_r_data_i : DataW'(r_cat >> {r_off, 3'b000});
    for (int unsigned k = 0; k < B; k++) begin
      if ((r_row_idx == no_q - 1'b1) && !last_mask[k]) r_row[k*8 +: 8] = 8'h00;
    end
  end

  // Handshakes in their own block: the row data above must not depend on SRAM ready.
  assign r_sram_valid = r_run && !err_q && !abort_i &&
                        (r_flush_q || (m_axi_r_valid_i && r_emits));

  always_comb begin
    r_sram_fire  = r_sram_valid && sram_req_ready_i;
    m_axi_r_ready_o = r_run && (err_q || (!r_flush_q && (!r_emits || sram_req_ready_i)));
    r_fire      = m_axi_r_valid_i && m_axi_r_ready_o;
    r_err       = r_fire && (m_axi_r_resp_i[1] == 1'b1);
  end

  // ---------------------------------------------------------------- SRAM read path + rows
  logic unused_rf_full, unused_wl_full, unused_bq_full;
  logic [WrCntW-1:0] unused_wl_count, unused_bq_count;
  logic              rf_push, rf_pop, rf_empty, rf_flush;
  logic [DataW-1:0]  rf_data;
  logic [RfCntW-1:0] rf_count;
  logic              s_load, s_fire;

  assign s_fire = s_valid_q && sram_req_ready_i;
  assign s_load = (state_q == StRun) && dir_q && !err_q && (s_left_q != '0) &&
                  (!s_valid_q || s_fire) &&
                  ((int'(rf_count) + int'(s_inflight_q) + (s_valid_q ? 1 : 0)) < RowFifo);
  assign rf_push = sram_rsp_valid_i && dir_q && (state_q == StRun);

  ts_fifo #(.Width(DataW), .Depth(RowFifo)) u_row_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(rf_flush),
    .push_i (rf_push),
    .data_i (sram_rsp_rdata_i),
    .pop_i  (rf_pop),
    .data_o (rf_data),
    .empty_o(rf_empty),
    .full_o (unused_rf_full),
    .count_o(rf_count)
  );

  // ---------------------------------------------------------------- write data path
  logic [7:0]        wl_len;
  logic              wl_empty, wl_pop, wl_push;
  logic [AddrW-1:0]  bq_addr;
  logic              bq_empty;
  logic [LgB-1:0]    w_off;
  logic [BeatW-1:0]  w_nb;
  logic              w_need_row, w_can, w_load, w_fire, w_row_last;
  logic [DataW-1:0]  w_row, w_data_d;
  logic [2*DataW-1:0] w_cat;
  logic [B-1:0]      w_strb_d;
  logic [LgB:0]      w_lo, w_hi;
  logic [BeatW-1:0]  w_end;
  logic              b_fire, b_err;

  always_comb begin
    w_off      = w_rowaddr_q[LgB-1:0];
    w_nb       = BeatW'((BeatW'(w_off) + BeatW'(bpr_q) + BeatW'(B - 1)) >> LgB);
    w_need_row = (w_j_q < no_q);
    w_row_last = (w_j_q == w_nb - 1'b1);
    w_can      = (state_q == StRun) && dir_q && !wl_empty && (err_q || !w_need_row || !rf_empty);
    w_fire     = w_valid_q && m_axi_w_ready_i;
    w_load     = w_can && (!w_valid_q || w_fire);
    w_row      = w_need_row ? rf_data : '0;
    w_cat      = {w_row, w_prev_q} << {w_off, 3'b000};
    w_data_d   = (w_off == '0) ? w_row : w_cat[2*DataW-1:DataW];
    // Valid bytes of beat j: bus offsets [lo, hi) of the row's [off, off + bpr).
    w_lo       = (w_j_q == '0) ? (LgB+1)'(w_off) : '0;
    w_end      = BeatW'(w_off) + BeatW'(bpr_q) - 1'b1;
    w_hi       = w_row_last ? ({1'b0, w_end[LgB-1:0]} + 1'b1) : (LgB+1)'(B);
    for (int unsigned k = 0; k < B; k++) begin
      w_strb_d[k] = !err_q && !abort_i && (k >= int'(w_lo)) && (k < int'(w_hi));
    end
    if (err_q) w_data_d = '0;
    rf_pop  = w_load && w_need_row && !err_q;
    wl_pop  = w_load && (w_beat_q == wl_len);
    wl_push = dir_q && ax_fire;
    b_fire  = m_axi_b_valid_i && m_axi_b_ready_o;
    b_err   = b_fire && (m_axi_b_resp_i[1] == 1'b1);
  end

  ts_fifo #(.Width(8), .Depth(MaxWrites)) u_wlen_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (wl_push),
    .data_i (ax_len_q),
    .pop_i  (wl_pop),
    .data_o (wl_len),
    .empty_o(wl_empty),
    .full_o (unused_wl_full),
    .count_o(unused_wl_count)
  );

  ts_fifo #(.Width(AddrW), .Depth(MaxWrites)) u_baddr_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (wl_push),
    .data_i (ax_addr_q),
    .pop_i  (b_fire),
    .data_o (bq_addr),
    .empty_o(bq_empty),
    .full_o (unused_bq_full),
    .count_o(unused_bq_count)
  );

  // ---------------------------------------------------------------- control
  logic rd_quiet, wr_quiet, w_sent, desc_fire, cpl_fire;

  assign desc_ready_o = (state_q == StIdle);
  assign desc_fire    = desc_valid_i && desc_ready_o;
  assign cpl_fire     = cpl_valid_o && cpl_ready_i;
  assign rd_quiet = !ax_valid_q && (rd_out_q == '0) && (a_done_q || err_q) &&
                    (!r_flush_q || err_q);
  // w_sent: every W beat out and no SRAM read pending; only B responses may remain.
  assign w_sent   = wl_empty && !w_valid_q && !s_valid_q && (s_inflight_q == '0);
  assign wr_quiet = !ax_valid_q && (wr_out_q == '0) && (a_done_q || err_q) && w_sent;
  assign rf_flush = (state_q == StDone);

  always_comb begin
    state_d    = state_q;
    status_d   = status_q;
    err_addr_d = err_addr_q;
    unique case (state_q)
      StIdle: begin
        if (desc_fire) state_d = StCheck;
      end
      StCheck: begin
        status_d   = StatOk;
        err_addr_d = '0;
        if (abort_i) begin
          status_d = StatAbort;
          state_d  = StDone;
        end else if (!chk_go) begin
          state_d = StCheck;
        end else if (desc_bad) begin
          status_d   = StatDesc;
          err_addr_d = base_q;
          state_d    = StDone;
        end else if (!win_ok) begin
          status_d   = StatWindow;
          err_addr_d = base_q;
          state_d    = StDone;
        end else begin
          state_d = StRun;
        end
      end
      StRun: begin
        if (!err_q && r_err) begin
          status_d   = m_axi_r_resp_i[0] ? StatRDecerr : StatRSlverr;
          err_addr_d = {r_rowaddr_q[AddrW-1:LgB], {LgB{1'b0}}} + (AddrW'(r_j_q) << LgB);
        end else if (!err_q && b_err) begin
          status_d   = m_axi_b_resp_i[0] ? StatBDecerr : StatBSlverr;
          err_addr_d = bq_addr;
        end else if (!err_q && abort_i) begin
          status_d = StatAbort;
        end
        if (dir_q ? wr_quiet : rd_quiet) state_d = StDone;
      end
      StDone: begin
        if (cpl_fire) state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  assign cpl_valid_o  = (state_q == StDone);
  assign cpl_status_o = status_q;
  assign cpl_addr_o   = err_addr_q;
  assign busy_o       = (state_q != StIdle);
  assign req_idle_o   = (state_q == StIdle) || (state_q == StDone) ||
                        ((state_q == StRun) && (a_done_q || err_q) && !ax_valid_q &&
                         (!dir_q || w_sent));

  // Outputs.
  assign m_axi_ar_valid_o = ax_valid_q && !dir_q;
  assign m_axi_ar_id_o    = '0;
  assign m_axi_ar_addr_o  = ax_addr_q;
  assign m_axi_ar_len_o   = ax_len_q;
  assign m_axi_ar_size_o  = 3'(LgB);
  assign m_axi_ar_burst_o = 2'b01;
  assign m_axi_aw_valid_o = ax_valid_q && dir_q;
  assign m_axi_aw_id_o    = '0;
  assign m_axi_aw_addr_o  = ax_addr_q;
  assign m_axi_aw_len_o   = ax_len_q;
  assign m_axi_aw_size_o  = 3'(LgB);
  assign m_axi_aw_burst_o = 2'b01;
  assign m_axi_w_valid_o  = w_valid_q;
  assign m_axi_w_data_o   = w_data_q;
  assign m_axi_w_strb_o   = w_strb_q;
  assign m_axi_w_last_o   = w_last_q;
  assign m_axi_b_ready_o  = (state_q == StRun) && dir_q;

  assign sram_target_o    = target_q;
  assign sram_req_valid_o = dir_q ? s_valid_q : r_sram_valid;
  assign sram_req_we_o    = !dir_q;
  assign sram_req_addr_o  = dir_q ? s_req_addr_q : r_sram_q;
  assign sram_req_wdata_o = r_row;

  // ---------------------------------------------------------------- state registers
  logic start;
  assign start = (state_q == StCheck) && chk_go && !abort_i && !desc_bad && win_ok;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q      <= StIdle;
      dir_q        <= 1'b0;
      status_q     <= StatOk;
      err_q        <= 1'b0;
      win_perm_q   <= '0;
      a_done_q     <= 1'b1;
      ax_valid_q   <= 1'b0;
      rd_out_q     <= '0;
      wr_out_q     <= '0;
      r_flush_q    <= 1'b0;
      s_valid_q    <= 1'b0;
      s_left_q     <= '0;
      s_inflight_q <= '0;
      w_valid_q    <= 1'b0;
      w_beat_q     <= '0;
    end else begin
      state_q  <= state_d;
      status_q <= status_d;
      if (desc_fire) dir_q <= desc_dir_i;
      if (cfg_win_we_i) win_perm_q[int'(cfg_win_idx_i)*2 +: 2] <= cfg_win_perm_i;

      // Error latch: the first bus error of a transfer.
      if (start) begin
        err_q <= 1'b0;
      end else if ((state_q == StRun) && (r_err || b_err || abort_i)) begin
        err_q <= 1'b1;
      end

      // Address walker.
      if (start) begin
        a_done_q <= 1'b0;
      end else if (ax_load && burst_row_done && (a_rows_q == RowsW'(1))) begin
        a_done_q <= 1'b1;
      end
      if (ax_load) begin
        ax_valid_q <= 1'b1;
      end else if (ax_fire) begin
        ax_valid_q <= 1'b0;
      end
      rd_out_q <= rd_out_q + RdCntW'(ax_load && !dir_q) -
                  RdCntW'(r_fire && m_axi_r_last_i);
      wr_out_q <= wr_out_q + WrCntW'(ax_load && dir_q) - WrCntW'(b_fire);

      // Read data path flush (the last SRAM row of a DRAM row from the held beat alone).
      if (start) begin
        r_flush_q <= 1'b0;
      end else if (r_flush_q) begin
        if (r_sram_fire || err_q) r_flush_q <= 1'b0;
      end else if (r_fire && !err_q && !r_err && r_last_beat && (r_off != '0) &&
                   (r_nb == no_q)) begin
        r_flush_q <= 1'b1;
      end

      // SRAM read requests.
      if (s_load) begin
        s_valid_q <= 1'b1;
      end else if (s_fire) begin
        s_valid_q <= 1'b0;
      end
      if (start) begin
        s_left_q <= dir_q ? rows_no : '0;
      end else if (s_load) begin
        s_left_q <= s_left_q - 1'b1;
      end
      s_inflight_q <= s_inflight_q + RfCntW'(s_fire) - RfCntW'(rf_push);

      // W output register.
      if (w_load) begin
        w_valid_q <= 1'b1;
        w_beat_q  <= (w_beat_q == wl_len) ? '0 : w_beat_q + 1'b1;
      end else if (w_fire) begin
        w_valid_q <= 1'b0;
      end
    end
  end

  // Datapath and walker registers: loaded under their enables, not reset.
  always_ff @(posedge clk_i) begin
    if (desc_fire) begin
      target_q <= desc_target_i;
      base_q   <= desc_dram_addr_i;
      rows_q   <= desc_rows_i;
      bpr_q    <= desc_bpr_i;
      stride_q <= desc_stride_i;
      sram_q   <= desc_sram_addr_i;
    end
    if (state_q == StCheck) begin
      no_q <= no_calc;
    end
    if (state_d != state_q || state_q == StRun) begin
      err_addr_q <= err_addr_d;
    end
    if (cfg_win_we_i) begin
      win_base_q[int'(cfg_win_idx_i)*AddrW +: AddrW] <= cfg_win_base_i;
      win_last_q[int'(cfg_win_idx_i)*AddrW +: AddrW] <= cfg_win_last_i;
    end

    // Address walker.
    if (start) begin
      a_rowbase_q <= base_q;
      a_cur_q     <= base_q;
      a_rem_q     <= bpr_q;
      a_rows_q    <= rows_q;
    end else if (ax_load) begin
      if (burst_row_done) begin
        a_rowbase_q <= a_rowbase_q + stride_q;
        a_cur_q     <= a_rowbase_q + stride_q;
        a_rem_q     <= bpr_q;
        a_rows_q    <= a_rows_q - 1'b1;
      end else begin
        a_cur_q <= burst_end[AddrW-1:0];
        a_rem_q <= a_rem_q - BprW'(burst_end[AddrW-1:0] - a_cur_q);
      end
    end
    if (ax_load) begin
      ax_addr_q <= a_cur_aligned;
      ax_len_q  <= 8'(len_beats - 1'b1);
    end

    // Read data path walker.
    if (start) begin
      r_rowaddr_q <= base_q;
      r_rows_q    <= rows_q;
      r_j_q       <= '0;
      r_sram_q    <= sram_q;
    end else begin
      if (r_fire && !err_q) begin
        r_prev_q      <= m_axi_r_data_i;
        r_flush_off_q <= r_off;
        if (r_last_beat) begin
          r_rowaddr_q <= r_rowaddr_q + stride_q;
          r_rows_q    <= r_rows_q - 1'b1;
          r_j_q       <= '0;
        end else begin
          r_j_q <= r_j_q + 1'b1;
        end
      end
      if (r_sram_fire) begin
        r_sram_q <= r_sram_q + 1'b1;
      end
    end

    // SRAM read address: next row to ask for, and the row of the request on the port.
    if (start) begin
      s_addr_q <= sram_q;
    end else if (s_load) begin
      s_addr_q <= s_addr_q + 1'b1;
    end
    if (s_load) begin
      s_req_addr_q <= s_addr_q;
    end

    // Write data path walker and W payload.
    if (start) begin
      w_rowaddr_q <= base_q;
      w_rows_q    <= rows_q;
      w_j_q       <= '0;
    end else if (w_load) begin
      if (!err_q) begin
        if (w_need_row) w_prev_q <= w_row;
        if (w_row_last) begin
          w_rowaddr_q <= w_rowaddr_q + stride_q;
          w_rows_q    <= w_rows_q - 1'b1;
          w_j_q       <= '0;
        end else begin
          w_j_q <= w_j_q + 1'b1;
        end
      end
    end
    if (w_load) begin
      w_data_q <= w_data_d;
      w_strb_q <= w_strb_d;
      w_last_q <= (w_beat_q == wl_len);
    end
  end

  logic unused;
  assign unused = ^{m_axi_r_id_i, m_axi_b_id_i, bq_empty, r_rows_q, w_rows_q, burst_end[AddrW],
                    w_cat[DataW-1:0], unused_rf_full, unused_wl_full, unused_bq_full,
                    unused_wl_count, unused_bq_count, bpr_m1[BprW-1:LgB], w_end[BeatW-1:LgB]};

  // Assertions
  `TS_ASSERT_INIT(a_data_w, DataW == 64 || DataW == 128 || DataW == 256 || DataW == 512,
                  "DataW must be 64, 128, 256 or 512")
  `TS_ASSERT_INIT(a_out, MaxReads >= 1 && MaxWrites >= 2, "MaxReads >= 1, MaxWrites >= 2")
  `TS_ASSERT_INIT(a_sram_rows, SramRows <= (1 << SramAw), "SramRows exceeds the SRAM address")
  `TS_ASSERT_INIT(a_check_stages, CheckStages == 1 || CheckStages == 2, "CheckStages must be 1 or 2")
  `TS_ASSERT(a_desc_stable, (desc_valid_i && !desc_ready_o) |=> desc_valid_i, clk_i, rst_ni,
             "descriptor withdrawn before it was accepted")
  `TS_ASSERT(a_ar_stable, (m_axi_ar_valid_o && !m_axi_ar_ready_i) |=> (m_axi_ar_valid_o &&
             $stable(m_axi_ar_addr_o) && $stable(m_axi_ar_len_o)), clk_i, rst_ni,
             "AR changed before it was accepted")
  `TS_ASSERT(a_aw_stable, (m_axi_aw_valid_o && !m_axi_aw_ready_i) |=> (m_axi_aw_valid_o &&
             $stable(m_axi_aw_addr_o) && $stable(m_axi_aw_len_o)), clk_i, rst_ni,
             "AW changed before it was accepted")
  `TS_ASSERT(a_w_stable, (m_axi_w_valid_o && !m_axi_w_ready_i) |=> (m_axi_w_valid_o &&
             $stable(m_axi_w_data_o) && $stable(m_axi_w_strb_o) && $stable(m_axi_w_last_o)),
             clk_i, rst_ni, "W changed before it was accepted")
  // (An abort withdraws a refused SRAM write: the SRAM side must allow it; ts_load does.)
  `TS_ASSERT(a_sram_stable, (sram_req_valid_o && !sram_req_ready_i) |=> ((sram_req_valid_o &&
             $stable(sram_req_addr_o)) || abort_i), clk_i, rst_ni,
             "SRAM request changed before it was accepted")
  `TS_ASSERT(a_r_expected, m_axi_r_valid_i && m_axi_r_ready_o |-> (rd_out_q != '0), clk_i, rst_ni,
             "R beat with no read burst outstanding")
  `TS_ASSERT(a_b_expected, b_fire |-> (wr_out_q != '0), clk_i, rst_ni,
             "B response with no write burst outstanding")
  `TS_ASSERT(a_cpl_stable, (cpl_valid_o && !cpl_ready_i) |=> (cpl_valid_o &&
             $stable(cpl_status_o) && $stable(cpl_addr_o)), clk_i, rst_ni,
             "completion changed before it was accepted")

endmodule
