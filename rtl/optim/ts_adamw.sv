// SPDX-License-Identifier: Apache-2.0
// ts_adamw: the streaming AdamW unit (docs/isa.md "ADAMW", docs/optim.md). One ADAMW
// command at a time, host memory to host memory through its own AXI4 master ports:
//
//   check the six ranges against the windows -> read the 32-byte scalar block ->
//   stream: read g (and p, m, v) -> Lanes x ts_adamw_lane -> write p, m, v (and p16)
//
// Reads: four input streams (0 g, 1 p, 2 m, 3 v), each with a FIFO of FifoBeats bus
// beats (g: GFifoBeats, as a SCAN reads only g and needs a whole memory latency of beats
// in flight to run at the bus rate); a burst (at most MaxBurst beats, never across a
// 4 KiB boundary) is issued, round-robin, for a stream whose FIFO has room for it (space
// is reserved at AR, so R is always accepted). AXI IDs 4 + stream route the R beats.
// Lanes elements (a "group") enter the lanes per cycle when every input has data and
// every output FIFO has room.
// Writes: four output streams (0 p, 1 m, 2 v, 3 p16), packed back into beats; a burst is
// issued, round-robin, for a stream whose FIFO holds all of its beats (AW ID 4 + stream),
// so W never waits for data; the next burst starts in the cycle the previous one ends.
// The last beat of a range carries only its bytes' strobes.
// SCAN reads g only, at the bus rate for FP32 gradients: ScanLanes = BusBytes/4
// ts_adamw_scan units take one beat (FP32) or half a beat (FP16/BF16) per cycle and add
// g*g into ScanLanes FP32 accumulators (element i into i mod ScanLanes, in order), folded
// left to right into sumsq_o at the end of the command.
// Errors: a range outside the windows (status 1, nothing accessed), an AXI error
// response (status 3: the unit stops issuing, drains what is in flight, and reports the
// beat's address for reads, the range's base for writes).
module ts_adamw #(
  parameter int unsigned Lanes     = 1,
  parameter int unsigned BusBytes  = 8,
  parameter int unsigned Windows   = 2,
  parameter int unsigned FifoBeats = 64,  // per stream; >= 2 * MaxBurst
  parameter int unsigned GFifoBeats = 2 * FifoBeats,  // the gradient stream's FIFO
  parameter int unsigned MaxBurst  = 16,
  parameter int unsigned DivBits   = 3,
  localparam int unsigned DW       = BusBytes * 8,
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1,
  localparam int unsigned FW       = ts_pkg::FlagW
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // Window configuration (as the DMAs).
  input  logic              win_we_i,
  input  logic [WinW-1:0]   win_idx_i,
  input  logic [31:0]       win_base_i,
  input  logic [31:0]       win_last_i,
  input  logic [1:0]        win_perm_i,
  // Command.
  input  logic              cmd_valid_i,
  output logic              cmd_ready_o,
  input  logic              step_i,
  input  logic [1:0]        gfmt_i,
  input  logic              clear_i,
  input  logic              skip_i,
  input  logic              p16_i,
  input  logic              p16fmt_i,
  input  logic              decay_i,
  input  logic [31:0]       n_i,
  input  logic [6*32-1:0]   addr_i,       // {p16, v, m, p, g, scalars}
  output logic              done_valid_o,
  input  logic              done_ready_i,
  output logic [3:0]        done_status_o,  // 0 ok, 1 window, 3 bus
  output logic [31:0]       done_addr_o,
  output logic              busy_o,
  // Results.
  output logic [FW-1:0]     flags_o,      // pulses, the caller keeps them sticky
  output logic [31:0]       sumsq_o,
  output logic              nonfinite_o,
  output logic              skipped_o,
  // AXI4 read.
  output logic              ar_valid_o,
  input  logic              ar_ready_i,
  output logic [3:0]        ar_id_o,
  output logic [31:0]       ar_addr_o,
  output logic [7:0]        ar_len_o,
  output logic [2:0]        ar_size_o,
  output logic [1:0]        ar_burst_o,
  input  logic              r_valid_i,
  output logic              r_ready_o,
  input  logic [3:0]        r_id_i,
  input  logic [DW-1:0]     r_data_i,
  input  logic [1:0]        r_resp_i,
  input  logic              r_last_i,
  // AXI4 write.
  output logic              aw_valid_o,
  input  logic              aw_ready_i,
  output logic [3:0]        aw_id_o,
  output logic [31:0]       aw_addr_o,
  output logic [7:0]        aw_len_o,
  output logic [2:0]        aw_size_o,
  output logic [1:0]        aw_burst_o,
  output logic              w_valid_o,
  input  logic              w_ready_i,
  output logic [DW-1:0]     w_data_o,
  output logic [BusBytes-1:0] w_strb_o,
  output logic              w_last_o,
  input  logic              b_valid_i,
  output logic              b_ready_o,
  input  logic [3:0]        b_id_i,
  input  logic [1:0]        b_resp_i
);

  localparam int unsigned LgB  = $clog2(BusBytes);
  localparam int unsigned EP   = BusBytes / 4;              // FP32 elements per beat
  localparam int unsigned G32  = EP / Lanes;                // groups per FP32 beat
  localparam int unsigned G16  = 2 * EP / Lanes;            // groups per 16-bit beat
  localparam int unsigned SB   = (BusBytes >= 32) ? 1 : 32 / BusBytes;  // scalar beats
  localparam int unsigned CntW = $clog2(GFifoBeats + 1);
  localparam int unsigned G32W = (G32 > 1) ? $clog2(G32) : 1;
  localparam int unsigned G16W = $clog2(G16);
  localparam int unsigned LnW  = (Lanes > 1) ? $clog2(Lanes) : 1;
  localparam int unsigned SL   = EP;                        // scan lanes
  localparam int unsigned SlW  = (SL > 1) ? $clog2(SL) : 1;
  localparam int unsigned LenW = $clog2(MaxBurst + 1);

  if (Lanes == 0 || EP % Lanes != 0 || G16 < 2) begin : g_bad_lanes
    $error("ts_adamw: Lanes must divide BusBytes/4");
  end
  if (FifoBeats < 2 * MaxBurst || GFifoBeats < FifoBeats || MaxBurst > 256 ||
      (BusBytes * MaxBurst) > 4096) begin : g_bad_fifo
    $error("ts_adamw: GFifoBeats >= FifoBeats >= 2*MaxBurst, MaxBurst <= 256, burst <= 4 KiB");
  end

  // ---------------------------------------------------------------- windows
  logic [Windows*32-1:0] win_base_q, win_last_q;
  logic [Windows*2-1:0]  win_perm_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      win_base_q <= '0;
      win_last_q <= '0;
      win_perm_q <= '0;
    end else if (win_we_i) begin
      win_base_q[32*int'(win_idx_i) +: 32] <= win_base_i;
      win_last_q[32*int'(win_idx_i) +: 32] <= win_last_i;
      win_perm_q[2*int'(win_idx_i) +: 2]   <= win_perm_i;
    end
  end

  // ---------------------------------------------------------------- command registers
  typedef enum logic [2:0] {SIdle, SCheck, SScal, SRun, SFold, SDrain, SDone} st_e;
  st_e          st_q, st_d;
  logic         c_step, c_clear, c_skip, c_p16, c_p16fmt, c_decay;
  logic [1:0]   c_gfmt;
  logic [31:0]  c_n;
  logic [6*32-1:0] c_addr;
  logic [32:0]  ngroups;            // ceil(n / Lanes)
  logic [LnW:0] tail_lanes;         // valid lanes of the last group
  logic [32:0]  nsgroups;           // ceil(n / ScanLanes)
  logic [SlW:0] s_tail;             // valid scan lanes of the last scan group

  always_ff @(posedge clk_i) begin
    if (st_q == SIdle && cmd_valid_i) begin
      c_step   <= step_i;
      c_gfmt   <= gfmt_i;
      c_clear  <= clear_i;
      c_skip   <= skip_i;
      c_p16    <= p16_i;
      c_p16fmt <= p16fmt_i;
      c_decay  <= decay_i;
      c_n      <= n_i;
      c_addr   <= addr_i;
      ngroups  <= (33'(n_i) + 33'(Lanes - 1)) / 33'(Lanes);
      tail_lanes <= ((n_i % 32'(Lanes)) == 0) ? (LnW + 1)'(Lanes) : (LnW + 1)'(n_i % 32'(Lanes));
      nsgroups <= (33'(n_i) + 33'(SL - 1)) / 33'(SL);
      s_tail   <= ((n_i % 32'(SL)) == 0) ? (SlW + 1)'(SL) : (SlW + 1)'(n_i % 32'(SL));
    end
  end

  // Range r (0 scalars, 1 g, 2 p, 3 m, 4 v, 5 p16): bytes, permission, enabled.
  logic [6*36-1:0] rng_bytes;
  logic [6*2-1:0]  rng_perm;
  logic [5:0]  rng_en;
  always_comb begin
    rng_bytes[0*36 +: 36] = 36'd32;
    rng_bytes[1*36 +: 36] = (c_gfmt == 2'd0) ? 36'({c_n, 2'b00}) : 36'({c_n, 1'b0});
    rng_bytes[2*36 +: 36] = 36'({c_n, 2'b00});
    rng_bytes[3*36 +: 36] = 36'({c_n, 2'b00});
    rng_bytes[4*36 +: 36] = 36'({c_n, 2'b00});
    rng_bytes[5*36 +: 36] = 36'({c_n, 1'b0});
    rng_perm[0*2 +: 2]  = 2'b01;
    rng_perm[1*2 +: 2]  = 2'b01;
    rng_perm[2*2 +: 2]  = 2'b11;
    rng_perm[3*2 +: 2]  = 2'b11;
    rng_perm[4*2 +: 2]  = 2'b11;
    rng_perm[5*2 +: 2]  = 2'b10;
    rng_en       = {c_step && c_p16, c_step, c_step, c_step, 2'b11};
  end

  // Beats of each range (each starts on a beat boundary) and bytes of its last beat.
  logic [6*32-1:0]  rng_beats;
  logic [6*LgB-1:0] rng_tail;
  always_comb begin
    for (int unsigned r = 0; r < 6; r++) begin
      rng_beats[32*r +: 32] = 32'((rng_bytes[36*r +: 36] + 36'(BusBytes) - 36'd1) >> LgB);
      rng_tail[LgB*r +: LgB] = rng_bytes[36*r +: LgB];
    end
  end

  // Window check of the range chk_q (one per cycle).
  logic [2:0]  chk_q;
  logic [35:0] chk_last;
  logic [31:0] chk_base;
  logic        chk_ok;
  always_comb begin
    chk_base = c_addr[32*int'(chk_q) +: 32];
    // Whole beats: every beat the unit reads or writes lies in the window.
    chk_last = 36'(chk_base) + (36'(rng_beats[32*int'(chk_q) +: 32]) << LgB) - 36'd1;
    chk_ok   = 1'b0;
    for (int unsigned w = 0; w < Windows; w++) begin
      if (((win_perm_q[2*w +: 2] & rng_perm[2*int'(chk_q) +: 2]) == rng_perm[2*int'(chk_q) +: 2]) &&
          chk_base >= win_base_q[32*w +: 32] && chk_last <= 36'(win_last_q[32*w +: 32])) begin
        chk_ok = 1'b1;
      end
    end
    if (!rng_en[chk_q]) chk_ok = 1'b1;
  end

  // ---------------------------------------------------------------- scalars
  logic [SB*DW-1:0] sc_raw_q;          // the scalar block's beats (>= 256 bits)
  logic [255:0] sc_q;
  assign sc_q = sc_raw_q[255:0];
  if (SB * DW > 256) begin : g_sc_wide
    logic unused_sc;
    assign unused_sc = ^sc_raw_q[SB*DW-1:256];
  end
  logic [$clog2(SB+1)-1:0] sc_cnt_q;
  logic         sc_ar_q;             // scalar AR not yet accepted

  // ---------------------------------------------------------------- error state
  logic         err_q;
  logic [3:0]   err_stat_q;
  logic [31:0]  err_addr_q;

  // ---------------------------------------------------------------- input streams
  logic [3:0]        in_act;         // streams this command reads
  logic [4*32-1:0]   rd_addr_q, rcv_addr_q;
  logic [4*32-1:0]   rd_left_q;      // beats still to request
  logic [4*CntW-1:0] infl_q;         // beats requested, not yet received
  logic [3:0]        if_push, if_pop, if_empty;
  logic [4*CntW-1:0] if_cnt;
  logic [4*DW-1:0]   if_data;

  assign in_act = c_step ? 4'b1111 : 4'b0001;

  for (genvar s = 0; s < 4; s++) begin : g_in_fifo
    localparam int unsigned Depth = (s == 0) ? GFifoBeats : FifoBeats;
    logic unused_full;
    logic [$clog2(Depth + 1)-1:0] cnt;
    ts_fifo #(.Width(DW), .Depth(Depth)) u_fifo (
      .clk_i, .rst_ni, .flush_i(st_q == SIdle), .push_i(if_push[s]), .data_i(r_data_i),
      .pop_i(if_pop[s]), .data_o(if_data[s*DW +: DW]), .empty_o(if_empty[s]),
      .full_o(unused_full), .count_o(cnt)
    );
    assign if_cnt[s*CntW +: CntW] = CntW'(cnt);
  end

  // Burst length for a stream at `addr` with `left` beats to go.
  function automatic logic [LenW-1:0] burst_len(input logic [31:0] addr, input logic [31:0] left);
    logic [12:0] to4k;
    logic [31:0] l;
    logic [19:0] unused_hi;
    unused_hi = addr[31:12];
    to4k = (13'h1000 - 13'(addr[11:0])) >> LgB;
    l    = (left < 32'(MaxBurst)) ? left : 32'(MaxBurst);
    if (32'(to4k) < l) l = 32'(to4k);
    burst_len = LenW'(l);
  endfunction

  // AR: the scalar read, then round-robin over the input streams.
  logic          ar_valid_q;
  logic [3:0]    ar_id_q;
  logic [31:0]   ar_addr_q;
  logic [7:0]    ar_len_q;
  logic [1:0]    ar_rr_q;
  logic          ar_fire;
  logic [1:0]    ar_pick;
  logic [LenW-1:0] ar_plen;

  always_comb begin
    logic [1:0]      s;
    logic [LenW-1:0] len;
    ar_fire = 1'b0;
    ar_pick = ar_rr_q;
    ar_plen = '0;
    s       = '0;
    len     = '0;
    if (st_q == SRun && !err_q && (!ar_valid_q || ar_ready_i)) begin
      for (int unsigned k = 0; k < 4; k++) begin
        s   = 2'(32'(ar_rr_q) + k);
        len = burst_len(rd_addr_q[32*s +: 32], rd_left_q[32*s +: 32]);
        if (!ar_fire && in_act[s] && rd_left_q[32*s +: 32] != 0 &&
            (32'(if_cnt[CntW*s +: CntW]) + 32'(infl_q[CntW*s +: CntW]) + 32'(len)) <=
            ((s == 0) ? 32'(GFifoBeats) : 32'(FifoBeats))) begin
          ar_fire = 1'b1;
          ar_pick = s;
          ar_plen = len;
        end
      end
    end
  end

  assign ar_valid_o = ar_valid_q;
  assign ar_id_o    = ar_id_q;
  assign ar_addr_o  = ar_addr_q;
  assign ar_len_o   = ar_len_q;
  assign ar_size_o  = 3'(LgB);
  assign ar_burst_o = 2'b01;
  assign r_ready_o  = 1'b1;

  logic       r_hs, r_scal;
  logic [1:0] r_s;
  assign r_hs   = r_valid_i;
  assign r_s    = r_id_i[1:0];
  assign r_scal = (st_q == SScal);
  always_comb begin
    for (int unsigned s = 0; s < 4; s++) if_push[s] = r_hs && !r_scal && (r_s == 2'(s));
  end

  // ---------------------------------------------------------------- lanes
  logic [32:0]    fire_j_q, out_j_q, scan_j_q;   // groups fired, updated out, scanned out
  logic [G32W-1:0] fsub32_q, osub32_q;
  logic [G16W-1:0] fsub16_q, osub16_q;
  logic           fire, f_last, o_last;
  logic [4*CntW-1:0] rsv_q;                       // output beats reserved (per output stream)
  logic [3:0]     out_act;
  logic [Lanes-1:0] l_in_valid, l_out_valid;
  logic [Lanes*32-1:0] l_g, l_p, l_m, l_v, l_po, l_mo, l_vo;
  logic [Lanes*16-1:0] l_p16;
  logic [Lanes*FW-1:0] l_flags;

  assign out_act = c_step ? {c_p16, 3'b111} : 4'b0000;
  assign f_last  = (fire_j_q == ngroups - 33'd1);
  assign o_last  = (out_j_q == ngroups - 33'd1);

  always_comb begin
    logic ok;
    ok = (st_q == SRun) && !err_q && c_step && (fire_j_q != ngroups);
    for (int unsigned s = 0; s < 4; s++) begin
      if (in_act[s] && if_empty[s]) ok = 1'b0;
      if (out_act[s] && rsv_q[CntW*s +: CntW] == CntW'(FifoBeats)) ok = 1'b0;
    end
    fire = ok;
  end

  // Pops: an FP32 beat after its last group (or the command's last group); a 16-bit
  // gradient beat likewise after G16 groups.
  logic pop32, pop16;
  logic [3:0] rsv_inc;  // an output beat is complete with this group
  assign rsv_inc = out_act & {pop16, pop32, pop32, pop32};
  assign pop32 = fire && (fsub32_q == G32W'(G32 - 1) || f_last);
  assign pop16 = fire && (fsub16_q == G16W'(G16 - 1) || f_last);
  assign if_pop[0] = !c_step ? spop : (c_gfmt == 2'd0) ? pop32 : pop16;
  assign if_pop[1] = c_step && pop32;
  assign if_pop[2] = c_step && pop32;
  assign if_pop[3] = c_step && pop32;

  for (genvar l = 0; l < Lanes; l++) begin : g_lane
    logic [31:0] g32;
    logic [15:0] g16;
    assign g32 = if_data[0 * DW + (int'(fsub32_q) * Lanes + l) * 32 +: 32];
    assign g16 = if_data[0 * DW + (int'(fsub16_q) * Lanes + l) * 16 +: 16];
    assign l_g[l*32 +: 32] = (c_gfmt == 2'd0) ? g32 : {16'd0, g16};
    assign l_p[l*32 +: 32] = if_data[1 * DW + (int'(fsub32_q) * Lanes + l) * 32 +: 32];
    assign l_m[l*32 +: 32] = if_data[2 * DW + (int'(fsub32_q) * Lanes + l) * 32 +: 32];
    assign l_v[l*32 +: 32] = if_data[3 * DW + (int'(fsub32_q) * Lanes + l) * 32 +: 32];
    assign l_in_valid[l] = fire && (!f_last || (LnW + 1)'(l) < tail_lanes);

    logic [31:0] unused_sg, unused_sq;
    logic        unused_sv, unused_snf;
    logic [FW-1:0] unused_sf;
    ts_adamw_lane #(.DivBits(DivBits)) u_lane (
      .clk_i, .rst_ni,
      .gfmt_i(c_gfmt), .p16fmt_i(c_p16fmt), .decay_en_i(c_decay),
      .inv_ls_i(sc_q[0*32 +: 32]), .decay_i(sc_q[1*32 +: 32]), .omb1_i(sc_q[2*32 +: 32]),
      .b2_i(sc_q[3*32 +: 32]), .omb2_i(sc_q[4*32 +: 32]), .bc2s_i(sc_q[5*32 +: 32]),
      .eps_i(sc_q[6*32 +: 32]), .nstep_i(sc_q[7*32 +: 32]),
      .in_valid_i(l_in_valid[l]), .grad_i(l_g[l*32 +: 32]), .p_i(l_p[l*32 +: 32]),
      .m_i(l_m[l*32 +: 32]), .v_i(l_v[l*32 +: 32]),
      .out_valid_o(l_out_valid[l]), .p_o(l_po[l*32 +: 32]), .m_o(l_mo[l*32 +: 32]),
      .v_o(l_vo[l*32 +: 32]), .p16_o(l_p16[l*16 +: 16]), .flags_o(l_flags[l*FW +: FW]),
      .scan_valid_o(unused_sv), .scan_g_o(unused_sg), .scan_gsq_o(unused_sq),
      .scan_nonfinite_o(unused_snf), .scan_flags_o(unused_sf)
    );
  end

  // ---------------------------------------------------------------- scan lanes
  // A scan group is ScanLanes gradients: a whole FP32 beat, or half of a 16-bit one.
  logic [32:0]     sfire_j_q;
  logic            ssub_q, sfire, s_last, spop;
  logic [SL-1:0]   s_in_valid, s_valid, s_nonfinite;
  logic [SL*32-1:0] s_gsq;
  logic [SL*FW-1:0] s_flags;

  assign s_last = (sfire_j_q == nsgroups - 33'd1);
  assign sfire  = (st_q == SRun) && !err_q && !c_step && (sfire_j_q != nsgroups) && !if_empty[0];
  assign spop   = sfire && (c_gfmt == 2'd0 || ssub_q || s_last);

  for (genvar l = 0; l < SL; l++) begin : g_scan
    logic [31:0] g;
    assign g = (c_gfmt == 2'd0) ? if_data[l*32 +: 32]
                                : {16'd0, if_data[(int'(ssub_q) * SL + l) * 16 +: 16]};
    assign s_in_valid[l] = sfire && (!s_last || (SlW + 1)'(l) < s_tail);
    ts_adamw_scan u_scan (
      .clk_i, .rst_ni, .gfmt_i(c_gfmt), .inv_ls_i(sc_q[0 +: 32]), .in_valid_i(s_in_valid[l]),
      .grad_i(g), .out_valid_o(s_valid[l]), .gsq_o(s_gsq[l*32 +: 32]),
      .nonfinite_o(s_nonfinite[l]), .flags_o(s_flags[l*FW +: FW])
    );
  end

  // Flags of real elements only (padding lanes are not fed).
  always_comb begin
    flags_o = '0;
    for (int unsigned l = 0; l < Lanes; l++) begin
      flags_o = flags_o | l_flags[l*FW +: FW];
    end
    for (int unsigned l = 0; l < SL; l++) flags_o = flags_o | s_flags[l*FW +: FW];
  end

  // ---------------------------------------------------------------- scan accumulators
  logic [SL*32-1:0]    acc_q, acc_sum;
  logic                nonfinite_q, skipped_q;
  logic [31:0]         sumsq_q;
  logic                scan_out;

  assign scan_out = s_valid[0] && !c_step && st_q != SIdle;

  for (genvar l = 0; l < SL; l++) begin : g_acc
    logic          unused_v;
    logic [FW-1:0] unused_f;
    ts_fp32_add #(.Stages(0)) u_add (
      .clk_i, .rst_ni, .in_valid_i(1'b1), .a_i(acc_q[l*32 +: 32]), .b_i(s_gsq[l*32 +: 32]),
      .sub_i(1'b0), .out_valid_o(unused_v), .res_o(acc_sum[l*32 +: 32]), .flags_o(unused_f)
    );
  end

  // Fold: sumsq = ((acc[0] + acc[1]) + ...) + acc[ScanLanes-1], one add per cycle.
  logic [SlW:0]  fold_q;
  logic [31:0]   fold_sum;
  if (SL > 1) begin : g_fold
    logic          unused_v;
    logic [FW-1:0] unused_f;
    ts_fp32_add #(.Stages(0)) u_fold (
      .clk_i, .rst_ni, .in_valid_i(1'b1), .a_i(sumsq_q), .b_i(acc_q[32*int'(fold_q) +: 32]),
      .sub_i(1'b0), .out_valid_o(unused_v), .res_o(fold_sum), .flags_o(unused_f)
    );
  end else begin : g_nofold
    assign fold_sum = sumsq_q;
  end

  // ---------------------------------------------------------------- output packing
  logic [4*DW-1:0]   pk_q;            // beats being packed: {p16, v, m, p}
  logic [4*DW-1:0]   of_din;
  logic [3:0]        of_push, of_pop, of_empty;
  logic [4*CntW-1:0] of_cnt;
  logic [4*DW-1:0]   of_data;
  logic              upd_out, push32, push16;

  // Only a STEP feeds the lanes (a SCAN uses the scanners), and a STEP ends only when they
  // are empty, so every result belongs to the command in progress.
  assign upd_out = l_out_valid[0] && c_step && st_q != SIdle;
  assign push32  = upd_out && (osub32_q == G32W'(G32 - 1) || o_last);
  assign push16  = upd_out && (osub16_q == G16W'(G16 - 1) || o_last);
  assign of_push = {push16 && c_p16, push32, push32, push32};

  always_comb begin
    of_din = pk_q;
    for (int unsigned l = 0; l < Lanes; l++) begin
      of_din[0 * DW + (int'(osub32_q) * Lanes + l) * 32 +: 32] = l_po[l*32 +: 32];
      of_din[1 * DW + (int'(osub32_q) * Lanes + l) * 32 +: 32] = l_mo[l*32 +: 32];
      of_din[2 * DW + (int'(osub32_q) * Lanes + l) * 32 +: 32] = l_vo[l*32 +: 32];
      of_din[3 * DW + (int'(osub16_q) * Lanes + l) * 16 +: 16] = l_p16[l*16 +: 16];
    end
  end

  for (genvar o = 0; o < 4; o++) begin : g_out_fifo
    logic unused_full;
    logic [$clog2(FifoBeats + 1)-1:0] cnt;
    ts_fifo #(.Width(DW), .Depth(FifoBeats)) u_fifo (
      .clk_i, .rst_ni, .flush_i(st_q == SIdle), .push_i(of_push[o]),
      .data_i(of_din[o*DW +: DW]), .pop_i(of_pop[o]), .data_o(of_data[o*DW +: DW]),
      .empty_o(of_empty[o]), .full_o(unused_full), .count_o(cnt)
    );
    assign of_cnt[o*CntW +: CntW] = CntW'(cnt);
  end

  // ---------------------------------------------------------------- write engine
  logic [4*32-1:0] wr_addr_q, wr_left_q;
  logic            wb_q;               // a burst is being written
  logic [1:0]      wo_q, wr_rr_q;      // its stream; round-robin pointer
  logic [LenW-1:0] wbeat_q, wlen_q;
  logic            aw_pend_q;
  logic [15:0]     bout_q;             // bursts awaiting B
  logic            w_fire, w_start;
  logic [1:0]      w_pick;
  logic [LenW-1:0] w_plen;
  logic [4*LgB-1:0] tail_q;            // bytes of each output range's last beat (0: full)

  // The burst in progress ends this cycle (its last W beat and its AW are through); the
  // next one may start in the same cycle, so W carries a beat every cycle across bursts.
  // Its choice sees the ending burst's stream as it will be after this cycle.
  logic w_end;
  assign w_end = wb_q && (!aw_pend_q || aw_ready_i) &&
                 (wbeat_q == wlen_q || (w_fire && w_last_o));

  always_comb begin
    logic [1:0]      o;
    logic [LenW-1:0] len;
    logic [31:0]     addr, left, cnt;
    w_start = 1'b0;
    w_pick  = wr_rr_q;
    w_plen  = '0;
    o       = '0;
    len     = '0;
    addr    = '0;
    left    = '0;
    cnt     = '0;
    if (st_q == SRun && !err_q && (!wb_q || w_end)) begin
      for (int unsigned k = 0; k < 4; k++) begin
        o    = 2'(32'(wr_rr_q) + k);
        addr = wr_addr_q[32*o +: 32];
        left = wr_left_q[32*o +: 32];
        cnt  = 32'(of_cnt[CntW*o +: CntW]);
        if (wb_q && o == wo_q) begin
          addr = addr + (32'(wlen_q) << LgB);
          left = left - 32'(wlen_q);
          cnt  = cnt - 32'(w_fire);
        end
        len = burst_len(addr, left);
        if (!w_start && out_act[o] && left != 0 && cnt >= 32'(len)) begin
          w_start = 1'b1;
          w_pick  = o;
          w_plen  = len;
        end
      end
    end
  end

  assign aw_valid_o = aw_pend_q;
  assign aw_id_o    = 4'(4 + 32'(wo_q));
  assign aw_addr_o  = wr_addr_q[32*wo_q +: 32];
  assign aw_len_o   = 8'(wlen_q) - 8'd1;
  assign aw_size_o  = 3'(LgB);
  assign aw_burst_o = 2'b01;
  assign w_valid_o  = wb_q && wbeat_q != wlen_q;
  assign w_data_o   = of_data[DW*wo_q +: DW];
  assign w_last_o   = (wbeat_q == wlen_q - LenW'(1));
  assign w_fire     = w_valid_o && w_ready_i;
  assign b_ready_o  = 1'b1;

  always_comb begin
    logic [LgB-1:0] tb;
    tb = tail_q[LgB*wo_q +: LgB];
    w_strb_o = '1;
    // The range's last beat: only its bytes.
    if (wr_left_q[32*wo_q +: 32] == 32'(wlen_q) && w_last_o && tb != 0) begin
      for (int unsigned b = 0; b < BusBytes; b++) w_strb_o[b] = (b < 32'(tb));
    end
  end

  always_comb begin
    of_pop = '0;
    if (w_fire) of_pop[wo_q] = 1'b1;
  end

  // ---------------------------------------------------------------- control
  logic all_in_done, all_out_done, rd_quiet;
  always_comb begin
    rd_quiet = !ar_valid_q && !sc_ar_q;
    for (int unsigned s = 0; s < 4; s++) begin
      if (infl_q[CntW*s +: CntW] != 0) rd_quiet = 1'b0;
    end
    all_out_done = !wb_q && bout_q == 0;
    for (int unsigned o = 0; o < 4; o++) begin
      if (out_act[o] && wr_left_q[32*o +: 32] != 0) all_out_done = 1'b0;
    end
    all_in_done = (fire_j_q == ngroups);
  end

  logic pipe_empty;
  assign pipe_empty = c_step ? (out_j_q == fire_j_q) : (scan_j_q == sfire_j_q);

  always_comb begin
    st_d = st_q;
    unique case (st_q)
      SIdle:  if (cmd_valid_i) st_d = SCheck;
      SCheck: if (!chk_ok) st_d = SDone;
              else if (chk_q == 3'd5) st_d = (c_step && c_skip && nonfinite_q) ? SDone : SScal;
      SScal:  if (sc_cnt_q == ($clog2(SB+1))'(SB)) st_d = err_q ? SDone : SRun;
      SRun: begin
        if (err_q) st_d = SDrain;
        else if (c_step && all_in_done && all_out_done && out_j_q == ngroups) st_d = SDone;
        else if (!c_step && sfire_j_q == nsgroups && scan_j_q == nsgroups) st_d = SFold;
      end
      SFold:  if (32'(fold_q) >= 32'(SL)) st_d = SDone;
      SDrain: if (rd_quiet && !wb_q && !aw_pend_q && bout_q == 0 && pipe_empty) st_d = SDone;
      SDone:  if (done_ready_i) st_d = SIdle;
      default: st_d = SIdle;
    endcase
  end

  assign cmd_ready_o   = (st_q == SIdle);
  assign done_valid_o  = (st_q == SDone);
  assign done_status_o = err_q ? err_stat_q : 4'd0;
  assign done_addr_o   = err_addr_q;
  assign busy_o        = (st_q != SIdle);
  assign sumsq_o       = sumsq_q;
  assign nonfinite_o   = nonfinite_q;
  assign skipped_o     = skipped_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q        <= SIdle;
      chk_q       <= '0;
      err_q       <= 1'b0;
      err_stat_q  <= '0;
      err_addr_q  <= '0;
      sc_raw_q    <= '0;
      sc_cnt_q    <= '0;
      sc_ar_q     <= 1'b0;
      ar_valid_q  <= 1'b0;
      ar_id_q     <= '0;
      ar_addr_q   <= '0;
      ar_len_q    <= '0;
      ar_rr_q     <= '0;
      rd_addr_q   <= '0;
      rcv_addr_q  <= '0;
      rd_left_q   <= '0;
      infl_q      <= '0;
      fire_j_q    <= '0;
      sfire_j_q   <= '0;
      ssub_q      <= 1'b0;
      out_j_q     <= '0;
      scan_j_q    <= '0;
      fsub32_q    <= '0;
      fsub16_q    <= '0;
      osub32_q    <= '0;
      osub16_q    <= '0;
      rsv_q       <= '0;
      pk_q        <= '0;
      acc_q       <= '0;
      nonfinite_q <= 1'b0;
      skipped_q   <= 1'b0;
      sumsq_q     <= '0;
      fold_q      <= '0;
      wr_addr_q   <= '0;
      wr_left_q   <= '0;
      tail_q      <= '0;
      wb_q        <= 1'b0;
      wo_q        <= '0;
      wr_rr_q     <= '0;
      wbeat_q     <= '0;
      wlen_q      <= '0;
      aw_pend_q   <= 1'b0;
      bout_q      <= '0;
    end else begin
      st_q <= st_d;

      // ---- start, checks
      if (st_q == SIdle && cmd_valid_i) begin
        chk_q <= '0;
        err_q <= 1'b0;
      end
      if (st_q == SCheck) begin
        chk_q <= chk_q + 3'd1;
        if (!chk_ok) begin
          err_q      <= 1'b1;
          err_stat_q <= 4'd1;
          err_addr_q <= chk_base;
        end else if (chk_q == 3'd5) begin
          if (c_step) skipped_q <= c_skip && nonfinite_q;
          if (!c_step && c_clear) begin
            acc_q       <= '0;
            sumsq_q     <= '0;
            nonfinite_q <= 1'b0;
          end
          sc_ar_q  <= !(c_step && c_skip && nonfinite_q);
          sc_cnt_q <= '0;
          // Stream set-up.
          rd_addr_q  <= c_addr[32 +: 128];
          rcv_addr_q <= c_addr[32 +: 128];
          wr_addr_q  <= c_addr[64 +: 128];
          rd_left_q  <= rng_beats[32 +: 128];
          wr_left_q  <= rng_beats[64 +: 128];
          tail_q     <= rng_tail[LgB*2 +: 4*LgB];
          infl_q   <= '0;
          fire_j_q <= '0;
          out_j_q  <= '0;
          scan_j_q <= '0;
          fsub32_q <= '0;
          fsub16_q <= '0;
          osub32_q <= '0;
          osub16_q <= '0;
          rsv_q    <= '0;
          ar_rr_q  <= '0;
          wr_rr_q  <= '0;
          fold_q   <= (SlW + 1)'(1);
          sfire_j_q <= '0;
          ssub_q   <= 1'b0;
        end
      end

      // ---- scalar read (AR carried by the AR register below)
      if (st_q == SScal && r_hs) begin
        if (sc_cnt_q < ($clog2(SB+1))'(SB)) begin
          sc_raw_q[int'(sc_cnt_q) * DW +: DW] <= r_data_i;
        end
        sc_cnt_q <= sc_cnt_q + 1'b1;
        if (r_resp_i != 2'b00 && !err_q) begin
          err_q      <= 1'b1;
          err_stat_q <= 4'd3;
          err_addr_q <= c_addr[31:0] + 32'(sc_cnt_q) * 32'(BusBytes);
        end
      end

      // ---- AR register
      if (ar_valid_q && ar_ready_i) ar_valid_q <= 1'b0;
      if (sc_ar_q && st_q == SScal && !ar_valid_q) begin
        sc_ar_q    <= 1'b0;
        ar_valid_q <= 1'b1;
        ar_id_q    <= 4'd4;
        ar_addr_q  <= c_addr[31:0];
        ar_len_q   <= 8'(SB - 1);
      end else if (ar_fire) begin
        ar_valid_q <= 1'b1;
        ar_id_q    <= 4'(4 + 32'(ar_pick));
        ar_addr_q  <= rd_addr_q[32*ar_pick +: 32];
        ar_len_q   <= 8'(ar_plen) - 8'd1;
        ar_rr_q    <= ar_pick + 2'd1;
        rd_addr_q[32*ar_pick +: 32] <= rd_addr_q[32*ar_pick +: 32] + (32'(ar_plen) << LgB);
        rd_left_q[32*ar_pick +: 32] <= rd_left_q[32*ar_pick +: 32] - 32'(ar_plen);
      end

      // ---- R of the streams, in-flight counts
      for (int unsigned s = 0; s < 4; s++) begin
        infl_q[CntW*s +: CntW] <= infl_q[CntW*s +: CntW]
                                  + ((ar_fire && ar_pick == 2'(s)) ? CntW'(ar_plen) : '0)
                                  - CntW'(if_push[s]);
        if (if_push[s]) rcv_addr_q[32*s +: 32] <= rcv_addr_q[32*s +: 32] + 32'(BusBytes);
      end
      if (r_hs && !r_scal && r_resp_i != 2'b00 && !err_q) begin
        err_q      <= 1'b1;
        err_stat_q <= 4'd3;
        err_addr_q <= rcv_addr_q[32*r_s +: 32];
      end

      // ---- scan fire
      if (sfire) begin
        sfire_j_q <= sfire_j_q + 33'd1;
        ssub_q    <= !ssub_q && c_gfmt != 2'd0;
      end

      // ---- fire
      if (fire) begin
        fire_j_q <= fire_j_q + 33'd1;
        fsub32_q <= (fsub32_q == G32W'(G32 - 1)) ? '0 : fsub32_q + 1'b1;
        fsub16_q <= (fsub16_q == G16W'(G16 - 1)) ? '0 : fsub16_q + 1'b1;
      end
      for (int unsigned o = 0; o < 4; o++) begin
        rsv_q[CntW*o +: CntW] <= rsv_q[CntW*o +: CntW] + CntW'(rsv_inc[o]) - CntW'(of_pop[o]);
      end

      // ---- update outputs
      if (upd_out) begin
        out_j_q  <= out_j_q + 33'd1;
        osub32_q <= (osub32_q == G32W'(G32 - 1)) ? '0 : osub32_q + 1'b1;
        osub16_q <= (osub16_q == G16W'(G16 - 1)) ? '0 : osub16_q + 1'b1;
        pk_q     <= of_din;
      end

      // ---- scan outputs
      if (scan_out) begin
        scan_j_q <= scan_j_q + 33'd1;
        for (int unsigned l = 0; l < SL; l++) begin
          if (s_valid[l]) begin
            acc_q[l*32 +: 32] <= acc_sum[l*32 +: 32];
            if (s_nonfinite[l]) nonfinite_q <= 1'b1;
          end
        end
      end
      if (st_q == SRun && st_d == SFold) sumsq_q <= acc_q[31:0];
      if (st_q == SFold) begin
        if (32'(fold_q) < 32'(SL)) sumsq_q <= fold_sum;
        fold_q <= fold_q + 1'b1;
      end

      // ---- write bursts (an ending burst and the next one's start may share a cycle)
      if (aw_pend_q && aw_ready_i) aw_pend_q <= 1'b0;
      if (w_fire) wbeat_q <= wbeat_q + 1'b1;
      if (w_end) begin
        wb_q <= 1'b0;
        wr_addr_q[32*wo_q +: 32] <= wr_addr_q[32*wo_q +: 32] + (32'(wlen_q) << LgB);
        wr_left_q[32*wo_q +: 32] <= wr_left_q[32*wo_q +: 32] - 32'(wlen_q);
      end
      if (w_start) begin
        wb_q      <= 1'b1;
        wo_q      <= w_pick;
        wlen_q    <= w_plen;
        wbeat_q   <= '0;
        aw_pend_q <= 1'b1;
        wr_rr_q   <= w_pick + 2'd1;
      end
      bout_q <= bout_q + 16'(aw_valid_o && aw_ready_i) - 16'(b_valid_i);
      if (b_valid_i && b_resp_i != 2'b00 && !err_q) begin
        err_q      <= 1'b1;
        err_stat_q <= 4'd3;
        err_addr_q <= c_addr[32*(2 + int'(b_id_i[1:0])) +: 32];
      end
    end
  end

  logic unused;
  assign unused = ^{r_last_i, l_out_valid, of_empty, r_id_i[3:2], b_id_i[3:2],
                    rng_tail[2*LgB-1:0]};

endmodule
