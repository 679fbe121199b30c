// SPDX-License-Identifier: Apache-2.0
// Command fetcher: reads 32-byte commands from the host ring through the AXI4 read channels.
//
// After a doorbell (go_i, with the ring checked by ts_ctrl) it fetches slots head..tail-1
// in bursts of up to FetchMax commands that neither wrap the ring nor cross 4 KiB, one
// burst at a time, only when its buffer has room for the whole burst (so R is never
// back-pressured by the decoder). Beats are min(bus, 32) bytes (narrow INCR bursts on a
// bus wider than a command). A new doorbell while fetching moves the tail. An R error
// stops fetching after the burst's last beat and is reported once with its address.
`include "ts_assert.svh"

module ts_fetch #(
  parameter int unsigned BusBytes = 32,
  parameter int unsigned IdW      = 4,
  parameter logic [3:0]  ArId     = 4'd1,
  parameter int unsigned FetchMax = 4,
  localparam int unsigned DW      = BusBytes * 8,
  localparam int unsigned BeatB   = (BusBytes < ts_isa_pkg::CmdBytes) ? BusBytes
                                                                     : ts_isa_pkg::CmdBytes,
  localparam int unsigned Beats   = ts_isa_pkg::CmdBytes / BeatB,  // beats per command
  localparam int unsigned LgBus   = $clog2(BusBytes)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  // Ring (checked by the caller): base is 32-byte aligned, 1 <= size <= 65536, tail < size.
  input  logic [31:0]      ring_base_i,
  input  logic [16:0]      ring_size_i,
  input  logic             go_i,        // doorbell: fetch up to tail_i
  input  logic [15:0]      tail_i,
  input  logic             stop_i,      // fetching stops (decode error)
  output logic [15:0]      head_o,      // next slot whose command has not arrived yet
  output logic             busy_o,      // slots left to fetch or a burst in flight
  output logic             err_o,       // one-cycle pulse: R error
  output logic [31:0]      err_addr_o,
  output logic             beat_o,      // an R beat arrived (perf counter: bytes read)
  // Commands in ring order.
  output logic             cmd_valid_o,
  input  logic             cmd_ready_i,
  output logic [255:0]     cmd_data_o,
  output logic [15:0]      cmd_idx_o,
  // AXI4 read channels.
  output logic             ar_valid_o,
  input  logic             ar_ready_i,
  output logic [IdW-1:0]   ar_id_o,
  output logic [31:0]      ar_addr_o,
  output logic [7:0]       ar_len_o,
  output logic [2:0]       ar_size_o,
  output logic [1:0]       ar_burst_o,
  input  logic             r_valid_i,
  output logic             r_ready_o,
  input  logic [DW-1:0]    r_data_i,
  input  logic [1:0]       r_resp_i,
  input  logic             r_last_i
);

  localparam int unsigned CntW = $clog2(FetchMax + 1);
  localparam int unsigned BeatIdxW = (Beats > 1) ? $clog2(Beats) : 1;

  logic [15:0]     req_q, req_d;      // next slot to request
  logic [15:0]     head_q, head_d;    // next slot to arrive
  logic [15:0]     tail_q, tail_d;
  logic            run_q, run_d;      // doorbell seen and not stopped
  logic            infl_q, infl_d;    // a burst is outstanding
  logic            errs_q, errs_d;    // an R error ended fetching
  logic            err_d;
  logic [31:0]     err_addr_q, err_addr_d;
  logic            ar_valid_q, ar_valid_d;
  logic [31:0]     ar_addr_q, ar_addr_d;
  logic [7:0]      ar_len_q, ar_len_d;
  logic [31:0]     r_addr_q, r_addr_d;   // address of the next R beat
  logic [BeatIdxW-1:0] bi_q, bi_d;
  logic [255:0]    asm_q, asm_d;
  logic [CntW-1:0] burst_cmds;
  logic [16:0]     to_tail, to_end, to_4k, n;
  logic            r_fire, asm_done;
  logic [BeatB*8-1:0] beat;
  logic            fifo_full, fifo_empty;
  logic [CntW-1:0] fifo_cnt;
  logic [31:0]     cand_addr;
  logic            err_q;
  logic            unused_resp;

  assign unused_resp = r_resp_i[0];  // OKAY / EXOKAY alike; bit 1 flags SLVERR / DECERR

  // Burst size: up to the buffer's free room, not past the tail, the ring end or 4 KiB.
  // Bursts are requested only when none is in flight, so the count is exact.
  assign cand_addr = ring_base_i + {11'd0, req_q, 5'd0};

  always_comb begin
    to_tail = (tail_q >= req_q) ? 17'(tail_q - req_q) : 17'(ring_size_i) - 17'(req_q);
    to_end  = 17'(ring_size_i) - 17'(req_q);
    to_4k   = 17'd128 - 17'(cand_addr[11:5]);
    n       = 17'(FetchMax) - 17'(fifo_cnt);
    if (to_tail < n) n = to_tail;
    if (to_end < n) n = to_end;
    if (to_4k < n) n = to_4k;
    burst_cmds = CntW'(n);
  end

  assign r_fire    = r_valid_i && r_ready_o;
  assign r_ready_o = 1'b1;   // room was reserved before the burst was requested
  assign asm_done  = r_fire && (int'(bi_q) == Beats - 1);

  // The beat's bytes sit at lane offset (address mod bus) when the bus is wider than 32.
  if (BusBytes > 32) begin : g_wide
    logic [LgBus-1:0] lane;
    assign lane = r_addr_q[LgBus-1:0];
    assign beat = r_data_i[{lane, 3'b000} +: 256];
  end else begin : g_narrow
    assign beat = r_data_i;
  end

  always_comb begin
    req_d      = req_q;
    head_d     = head_q;
    tail_d     = tail_q;
    run_d      = run_q;
    infl_d     = infl_q;
    errs_d     = errs_q;
    err_d      = 1'b0;
    err_addr_d = err_addr_q;
    ar_valid_d = ar_valid_q;
    ar_addr_d  = ar_addr_q;
    ar_len_d   = ar_len_q;
    r_addr_d   = r_addr_q;
    bi_d       = bi_q;
    asm_d      = asm_q;
    if (go_i) begin
      tail_d = tail_i;
      run_d  = !errs_q;
    end
    if (stop_i) run_d = 1'b0;
    // Request a burst.
    if (run_q && !stop_i && !infl_q && !ar_valid_q && (req_q != tail_q) &&
        (burst_cmds != '0)) begin
      ar_valid_d = 1'b1;
      ar_addr_d  = cand_addr;
      ar_len_d   = 8'(32'(burst_cmds) * Beats - 1);
      infl_d     = 1'b1;
      r_addr_d   = cand_addr;
      req_d      = (17'(req_q) + 17'(burst_cmds) == 17'(ring_size_i)) ? '0
                 : req_q + 16'(burst_cmds);
    end
    if (ar_valid_q && ar_ready_i) ar_valid_d = 1'b0;
    // Receive beats.
    if (r_fire) begin
      asm_d[int'(bi_q) * BeatB * 8 +: BeatB * 8] = beat;
      bi_d     = (int'(bi_q) == Beats - 1) ? '0 : bi_q + 1'b1;
      r_addr_d = r_addr_q + BeatB;
      if (r_resp_i[1] && !errs_q) begin
        errs_d     = 1'b1;
        err_d      = 1'b1;
        err_addr_d = r_addr_q;
        run_d      = 1'b0;
      end
      if (asm_done) begin
        head_d     = (17'(head_q) + 17'd1 == 17'(ring_size_i)) ? '0 : head_q + 16'd1;
      end
      if (r_last_i) infl_d = 1'b0;
    end
    // After an error, slots requested but not delivered are fetched again on the next
    // doorbell after a soft reset; head stays at the first undelivered slot.
    if (errs_d) req_d = head_d;
  end

  // Buffer: a command enters only if no R error was seen in its burst so far.
  logic push;
  assign push = asm_done && !errs_q && !r_resp_i[1];

  ts_fifo #(.Width(256 + 16), .Depth(FetchMax)) u_buf (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (push),
    .data_i ({head_q, asm_d}),
    .pop_i  (cmd_valid_o && cmd_ready_i),
    .data_o ({cmd_idx_o, cmd_data_o}),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(fifo_cnt)
  );

  assign cmd_valid_o = !fifo_empty;
  assign head_o      = head_q;
  assign busy_o      = (run_q && req_q != tail_q) || infl_q || ar_valid_q;
  assign err_o       = err_q;
  assign err_addr_o  = err_addr_q;
  assign beat_o      = r_fire;
  assign ar_valid_o  = ar_valid_q;
  assign ar_id_o     = IdW'(ArId);
  assign ar_addr_o   = ar_addr_q;
  assign ar_len_o    = ar_len_q;
  assign ar_size_o   = 3'($clog2(BeatB));
  assign ar_burst_o  = 2'b01;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      req_q      <= '0;
      head_q     <= '0;
      tail_q     <= '0;
      run_q      <= 1'b0;
      infl_q     <= 1'b0;
      errs_q     <= 1'b0;
      err_q      <= 1'b0;
      ar_valid_q <= 1'b0;
      bi_q       <= '0;
    end else begin
      req_q      <= req_d;
      head_q     <= head_d;
      tail_q     <= tail_d;
      run_q      <= run_d;
      infl_q     <= infl_d;
      errs_q     <= errs_d;
      err_q      <= err_d;
      ar_valid_q <= ar_valid_d;
      bi_q       <= bi_d;
    end
  end

  always_ff @(posedge clk_i) begin
    err_addr_q <= err_addr_d;
    ar_addr_q  <= ar_addr_d;
    ar_len_q   <= ar_len_d;
    r_addr_q   <= r_addr_d;
    asm_q      <= asm_d;
  end

  // Assertions
  `TS_ASSERT_INIT(a_bus, BusBytes >= 8 && (1 << LgBus) == BusBytes && BusBytes <= 64,
                  "BusBytes must be a power of two in [8, 64]")
  `TS_ASSERT_INIT(a_fetch_max, FetchMax >= 1 && FetchMax * Beats <= 256,
                  "FetchMax commands must fit one burst")
  `TS_ASSERT(a_buf_ovf, !(push && fifo_full), clk_i, rst_ni, "command buffer overflow")
  `TS_ASSERT(a_r_expected, !r_fire || infl_q, clk_i, rst_ni, "R beat without a burst")
  `TS_ASSERT(a_ar_stable, !(ar_valid_q && !ar_ready_i) || (ar_valid_d && ar_addr_d == ar_addr_q),
             clk_i, rst_ni, "AR changed before it was accepted")

endmodule
