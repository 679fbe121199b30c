// SPDX-License-Identifier: Apache-2.0
// Command processor: CSRs, ring fetch, decode and checks, three queues with dependency
// tokens, error reporting, sticky FP flags, performance counters and the IRQ.
//
// docs/isa.md is the contract; of several failed checks the lowest error code is
// reported. Decode is sequential (one multiplier shared by the range
// checks of a command, a few cycles per command). A refused command is never queued; a
// failed one stops its queue. Each queue holds whole commands and starts its head
// command when the tokens it pops are all available, takes them at once, hands the
// fields to its unit and, on a successful completion, gives the tokens it pushes.
`include "ts_assert.svh"

module ts_ctrl #(
  parameter int unsigned Dim        = 4,
  parameter int unsigned BusBytes   = 8,
  parameter int unsigned SpadRows   = 256,
  parameter int unsigned AccRows    = 64,
  parameter int unsigned Windows    = 2,
  parameter int unsigned QueueDepth = 2,
  parameter int unsigned AdamwLanes = 0,  // 0: no AdamW unit (ADAMW is an unknown opcode)
  parameter bit          Vec        = 1'b0,  // vector unit present (else VEC is an unknown opcode)
  parameter bit          VecDivSqrt = 1'b0,  // it has RECIP/RSQRT (else they are refused: Vop)
  parameter int unsigned FetchMax   = 4,
  localparam int unsigned DW        = BusBytes * 8,
  localparam int unsigned SpAw      = $clog2(SpadRows),
  localparam int unsigned AccAw     = $clog2(AccRows),
  localparam int unsigned WinW      = (Windows > 1) ? $clog2(Windows) : 1,
  localparam int unsigned FW        = ts_pkg::FlagW,
  localparam int unsigned LgDim     = $clog2(Dim)
) (
  input  logic               clk_i,
  input  logic               rst_ni,      // core reset (power-on or soft reset)
  input  logic               rst_cfg_ni,  // power-on only: windows, ring base/size, IRQ enables
  // Soft reset handshake: while quiesce_i, nothing new starts; quiet_o when no command or
  // fetch is in flight, so the core can be reset without cutting an AXI transaction.
  input  logic               quiesce_i,
  output logic               quiet_o,
  // Register bus (ts_csr_if): a write or a read per cycle, read data combinational.
  input  logic               csr_we_i,
  input  logic               csr_re_i,
  input  logic [11:0]        csr_addr_i,
  input  logic [31:0]        csr_wdata_i,
  output logic [31:0]        csr_rdata_o,
  output logic               irq_o,
  // Window configuration for the DMAs.
  output logic               win_we_o,
  output logic [WinW-1:0]    win_idx_o,
  output logic [31:0]        win_base_o,
  output logic [31:0]        win_last_o,
  output logic [1:0]         win_perm_o,
  // Command fetch: AXI4 read channels (ID 1).
  output logic               ar_valid_o,
  input  logic               ar_ready_i,
  output logic [3:0]         ar_id_o,
  output logic [31:0]        ar_addr_o,
  output logic [7:0]         ar_len_o,
  output logic [2:0]         ar_size_o,
  output logic [1:0]         ar_burst_o,
  input  logic               r_valid_i,
  output logic               r_ready_o,
  input  logic [DW-1:0]      r_data_i,
  input  logic [1:0]         r_resp_i,
  input  logic               r_last_i,
  // Load unit.
  output logic               ld_valid_o,
  input  logic               ld_ready_i,
  output logic               ld_target_o,
  output logic               ld_expand8_o,
  output logic [31:0]        ld_dram_addr_o,
  output logic [31:0]        ld_stride_o,
  output logic [15:0]        ld_rows_o,
  output logic [15:0]        ld_bytes_o,
  output logic [31:0]        ld_sram_addr_o,
  input  logic               ld_done_valid_i,
  output logic               ld_done_ready_o,
  input  logic [3:0]         ld_done_status_i,
  input  logic [31:0]        ld_done_addr_i,
  output logic               ld_abort_o,      // the LOAD queue stopped: end the LOADs in flight
  output logic               st_abort_o,      // the STORE queue stopped: end the STOREs in flight
  // Execute unit.
  output logic               ex_valid_o,
  input  logic               ex_ready_i,
  output logic [1:0]         ex_dtype_o,
  output logic               ex_a_trans_o,
  output logic               ex_b_trans_o,
  output logic               ex_accumulate_o,
  output logic [15:0]        ex_m_o,
  output logic [15:0]        ex_n_o,
  output logic [15:0]        ex_k_o,
  output logic [SpAw-1:0]    ex_a_addr_o,
  output logic [SpAw-1:0]    ex_b_addr_o,
  output logic [AccAw-1:0]   ex_c_addr_o,
  output logic [SpAw-1:0]    ex_a_stride_o,
  output logic [SpAw-1:0]    ex_b_stride_o,
  output logic [AccAw-1:0]   ex_c_stride_o,
  input  logic               ex_done_valid_i,
  output logic               ex_done_ready_o,
  input  logic               ex_done_err_i,
  // AdamW unit (execute queue, alone on the bus).
  output logic               aw_valid_o,
  input  logic               aw_ready_i,
  output logic [255:0]       aw_cmd_o,        // the command words (fields: ts_isa_pkg Adamw*)
  input  logic               aw_done_valid_i,
  output logic               aw_done_ready_o,
  input  logic [3:0]         aw_done_status_i,
  input  logic [31:0]        aw_done_addr_i,
  input  logic [31:0]        aw_sumsq_i,
  input  logic [1:0]         aw_status_i,     // {skipped, nonfinite}
  // Vector unit (execute queue; all its checks are made here, so it cannot fail).
  output logic               vec_valid_o,
  input  logic               vec_ready_i,
  output logic [255:0]       vec_cmd_o,       // the command words (fields: ts_isa_pkg Vec*)
  input  logic               vec_done_valid_i,
  output logic               vec_done_ready_o,
  // Store unit.
  output logic               st_valid_o,
  input  logic               st_ready_i,
  output logic [1:0]         st_format_o,
  output logic [31:0]        st_dram_addr_o,
  output logic [31:0]        st_stride_o,
  output logic [15:0]        st_rows_o,
  output logic [15:0]        st_cols_o,
  output logic [31:0]        st_acc_addr_o,
  output logic [31:0]        st_mult_o,
  output logic [5:0]         st_shift_o,
  output logic [7:0]         st_zp_o,
  input  logic               st_done_valid_i,
  output logic               st_done_ready_o,
  input  logic [3:0]         st_done_status_i,
  input  logic [31:0]        st_done_addr_i,
  // Sticky flags: pulses from the units, the accumulators' own sticky flags, clear.
  input  logic [FW-1:0]      flags_i,
  input  logic [FW-1:0]      acc_flags_i,
  output logic               flags_clr_o,
  // Performance counter events.
  input  logic               mmu_row_i,
  input  logic [2*LgDim+1:0] macs_i,
  input  logic [7:0]         rd_bytes_i,
  input  logic [7:0]         wr_bytes_i,
  input  logic [2:0]         units_busy_i  // {store, execute, load}
);

  // ------------------------------------------------------------------ constants
  // Opcodes, error and unit codes, CSR addresses and bits: ts_isa_pkg (config/isa.toml).
  localparam int unsigned NPerf = ts_isa_pkg::NPerf;
  localparam int unsigned CmdW  = ts_isa_pkg::CmdW + 16;  // command + ring index
  localparam int unsigned RW    = ((SpAw > AccAw) ? SpAw : AccAw) + 1;  // an SRAM row bound
  localparam int unsigned FetchBeatB = (BusBytes < ts_isa_pkg::CmdBytes) ? BusBytes
                                                                          : ts_isa_pkg::CmdBytes;

  // ------------------------------------------------------------------ CSR registers
  logic             irq_done_en_q, irq_err_en_q;
  logic             done_q, pending_q;
  logic [7:0]       err_code_q;
  logic [3:0]       err_unit_q;
  logic [15:0]      err_cmd_q;
  logic [31:0]      err_addr_q;
  logic [31:0]      ring_base_q;
  logic [31:0]      ring_size_q;
  logic [15:0]      ring_tail_q;
  logic [FW-1:0]    flags_q;
  logic [Windows*32-1:0] win_base_q, win_last_q;
  logic [Windows*2-1:0]  win_perm_q;
  logic [31:0]      perf_hi_q;
  logic [NPerf*64-1:0] perf_q;

  // Error reporting: the first error wins; sources in priority order within a cycle.
  logic             e_valid;
  logic [7:0]       e_code;
  logic [3:0]       e_unit;
  logic [15:0]      e_cmd;
  logic [31:0]      e_addr;

  // ------------------------------------------------------------------ fetch
  logic        doorbell, ring_ok, fetch_go, dec_stopped_q, dec_stop;
  logic [15:0] head;
  logic        fetch_busy, fetch_err, fetch_beat;
  logic [31:0] fetch_err_addr;
  logic        f_valid, f_ready;
  logic [255:0] f_data;
  logic [15:0] f_idx;

  assign doorbell = csr_we_i && (csr_addr_i == ts_isa_pkg::CsrDoorbell);

  // Ring check at the doorbell: size in [1, 65536], tail < size, ring inside a read window.
  always_comb begin
    logic [32:0] last;
    logic        in_win;
    last   = {1'b0, ring_base_q} + {ring_size_q[27:0], 5'd0} - 33'd1;
    in_win = 1'b0;
    for (int unsigned w = 0; w < Windows; w++) begin
      if (win_perm_q[w*2] && ring_base_q >= win_base_q[w*32 +: 32] &&
          last <= {1'b0, win_last_q[w*32 +: 32]}) begin
        in_win = 1'b1;
      end
    end
    ring_ok = (ring_size_q != 0) && (ring_size_q <= 32'd65536) &&
              (32'(ring_tail_q) < ring_size_q) && (32'(head) < ring_size_q) && !last[32] &&
              in_win;
  end
  assign fetch_go = doorbell && ring_ok && !dec_stopped_q;

  ts_fetch #(.BusBytes(BusBytes), .IdW(4), .ArId(4'd1), .FetchMax(FetchMax)) u_fetch (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .ring_base_i(ring_base_q),
    .ring_size_i(ring_size_q[16:0]),
    .go_i       (fetch_go),
    .tail_i     (ring_tail_q),
    .stop_i     (dec_stop || quiesce_i),
    .head_o     (head),
    .busy_o     (fetch_busy),
    .err_o      (fetch_err),
    .err_addr_o (fetch_err_addr),
    .beat_o     (fetch_beat),
    .cmd_valid_o(f_valid),
    .cmd_ready_i(f_ready),
    .cmd_data_o (f_data),
    .cmd_idx_o  (f_idx),
    .ar_valid_o (ar_valid_o),
    .ar_ready_i (ar_ready_i),
    .ar_id_o    (ar_id_o),
    .ar_addr_o  (ar_addr_o),
    .ar_len_o   (ar_len_o),
    .ar_size_o  (ar_size_o),
    .ar_burst_o (ar_burst_o),
    .r_valid_i  (r_valid_i),
    .r_ready_o  (r_ready_o),
    .r_data_i   (r_data_i),
    .r_resp_i   (r_resp_i),
    .r_last_i   (r_last_i)
  );

  // ------------------------------------------------------------------ decode
  typedef enum logic [1:0] {DecIdle, DecCheck, DecPush} dec_e;
  dec_e        dec_q, dec_d;
  logic [255:0] dc_q;          // command being decoded
  logic [15:0] di_q;           // its ring index
  logic [1:0]  step_q, step_d;

  logic [31:0] w0, w1, w2, w3, w4, w5, w6, w7;
  logic [7:0]  op;
  logic [3:0]  tok;
  logic [7:0]  static_err;
  logic [1:0]  nsteps;         // range checks of this command minus one
  logic [1:0]  queue;          // 0 load, 1 execute, 2 store

  assign {w7, w6, w5, w4, w3, w2, w1, w0} = dc_q;
  assign op  = w0[ts_isa_pkg::OpcodeLsb +: 8];
  assign tok = w0[ts_isa_pkg::TokenLsb +: 4];

  function automatic logic [16:0] rows_for(input logic [16:0] elems, input int unsigned lg);
    // ceil(elems / 2^lg)
    logic [16:0] t;
    t = (elems + ((17'd1 << lg) - 17'd1)) >> lg;
    rows_for = t;
  endfunction

  // Structural checks (one cycle) in the order of precedence of docs/isa.md.
  always_comb begin
    static_err = '0;
    queue      = 2'd0;
    nsteps     = 2'd0;
    unique case (op)
      ts_isa_pkg::OpLoad: begin
        queue = 2'd0;
        if (w0[31:14] != 0 || w5 != 0 || w6 != 0 || w7 != 0 || tok[0] || tok[2]) begin
          static_err = ts_isa_pkg::ErrReserved;
        end else if (w3[15:0] == 0 || w3[31:16] == 0 || (w0[12] && w0[13]) ||
                     (!w0[12] && !w0[13] && w3[16]) || (w0[12] && w3[17:16] != 0)) begin
          static_err = ts_isa_pkg::ErrDims;
        end
      end
      ts_isa_pkg::OpStore: begin
        queue = 2'd2;
        if (w0[31:14] != 0 || w6[31:16] != 0 || w6[7:6] != 0 || w7 != 0 || tok[1] || tok[3]) begin
          static_err = ts_isa_pkg::ErrReserved;
        end else if (w3[15:0] == 0 || w3[31:16] == 0 ||
                     (w0[13:12] == ts_isa_pkg::FmtInt8 &&
                      (w6[5:0] == 6'h20 || w6[5:0] == 6'h1f))) begin
          static_err = ts_isa_pkg::ErrDims;
        end
      end
      ts_isa_pkg::OpGemm: begin
        queue  = 2'd1;
        nsteps = 2'd2;
        if (w0[31:17] != 0 || w2[31:16] != 0 || w7[31:16] != 0) begin
          static_err = ts_isa_pkg::ErrReserved;
        end else if (w1[15:0] == 0 || w1[31:16] == 0 || w2[15:0] == 0) begin
          static_err = ts_isa_pkg::ErrDims;
        end else if (17'(w6[15:0]) < rows_for(w0[14] ? 17'(w1[15:0]) : 17'(w2[15:0]), LgDim) ||
                     17'(w6[31:16]) < rows_for(w0[15] ? 17'(w2[15:0]) : 17'(w1[31:16]), LgDim) ||
                     17'(w7[15:0]) < rows_for(17'(w1[31:16]), LgDim)) begin
          static_err = ts_isa_pkg::ErrDims;
        end
      end
      ts_isa_pkg::OpAdamw: begin
        queue = 2'd1;
        if (AdamwLanes == 0) begin
          static_err = ts_isa_pkg::ErrOpcode;
        end else if (w0[31:20] != 0) begin
          static_err = ts_isa_pkg::ErrReserved;
        end else if (w1 == 0) begin
          static_err = ts_isa_pkg::ErrDims;
        end
      end
      ts_isa_pkg::OpVec: begin
        queue  = 2'd1;
        nsteps = 2'd3;
        if (!Vec) begin
          static_err = ts_isa_pkg::ErrOpcode;
        end else if (w0[31:28] != 0) begin
          static_err = ts_isa_pkg::ErrReserved;
        end else if (w1[15:0] == 0 || w1[31:16] == 0 ||
                     (w1[15:0] != 16'd1 && 17'(w6[15:0]) < rows_for(17'(w1[31:16]), LgDim))) begin
          static_err = ts_isa_pkg::ErrDims;
        end
      end
      default: static_err = ts_isa_pkg::ErrOpcode;
    endcase
  end

  // VEC fields (docs/vec.md).
  logic [2:0] v_op1, v_fn;
  logic [1:0] v_bsrc, v_red, v_mask, v_dst;
  assign v_op1  = w0[ts_isa_pkg::VecOp1Pos +: 3];
  assign v_bsrc = w0[ts_isa_pkg::VecBsrcPos +: 2];
  assign v_fn   = w0[ts_isa_pkg::VecFnPos +: 3];
  assign v_red  = w0[ts_isa_pkg::VecRedPos +: 2];
  assign v_mask = w0[ts_isa_pkg::VecMaskPos +: 2];
  assign v_dst  = w0[ts_isa_pkg::VecDstPos +: 2];

  // Checks that come after the range checks: Dtype, then Align (ADAMW).
  logic [7:0] late_err;
  always_comb begin
    late_err = '0;
    if (op == ts_isa_pkg::OpGemm && w0[13:12] == 2'd3) begin
      late_err = ts_isa_pkg::ErrDtype;
    end else if (op == ts_isa_pkg::OpAdamw) begin
      if (w0[ts_isa_pkg::AdamwGfmtPos +: 2] == 2'd3) begin
        late_err = ts_isa_pkg::ErrDtype;
      end else if ({w2[5:0], w3[5:0], w4[5:0], w5[5:0], w6[5:0], w7[5:0]} != 0) begin
        late_err = ts_isa_pkg::ErrAlign;
      end
    end else if (op == ts_isa_pkg::OpVec) begin
      if (v_op1 > 3'd5 || v_fn > 3'd5 || v_mask == 2'd3 || (v_dst == 2'd0 && v_red == 2'd0) ||
          (!VecDivSqrt && (v_fn == 3'd2 || v_fn == 3'd3))) begin
        late_err = ts_isa_pkg::ErrVop;
      end
    end
  end

  // Range check of step s: base + x*y + extra <= limit.
  logic [31:0] rc_base;
  logic [16:0] rc_x, rc_y, rc_extra;
  logic [31:0] rc_limit;
  logic [35:0] rc_end;
  logic        rc_fail;
  logic [8*RW-1:0] rng_q;  // steps 0..3: {end, base}

  always_comb begin
    logic [16:0] m, n, k;
    m        = 17'(w1[15:0]);
    n        = 17'(w1[31:16]);
    k        = 17'(w2[15:0]);
    rc_base  = w4;
    rc_x     = 17'(w3[15:0]);
    rc_y     = '0;
    rc_extra = '0;
    rc_limit = SpadRows;
    unique case (op)
      ts_isa_pkg::OpLoad: begin
        rc_y     = w0[12] ? rows_for(17'(w3[31:16]), LgDim + 2)
                 : w0[13] ? rows_for(17'(w3[31:16]), LgDim)
                          : rows_for(17'(w3[31:16]), LgDim + 1);
        rc_limit = w0[12] ? AccRows : SpadRows;
      end
      ts_isa_pkg::OpStore: begin
        rc_y     = rows_for(17'(w3[31:16]), LgDim);
        rc_limit = AccRows;
      end
      ts_isa_pkg::OpAdamw: begin  // no SRAM ranges
        rc_base = '0;
        rc_x    = '0;
      end
      ts_isa_pkg::OpVec: begin  // A, B, D, s (a check that does not apply is 0 + 0 <= limit)
        rc_base  = '0;
        rc_x     = '0;
        rc_limit = AccRows;
        unique case (step_q)
          2'd0: begin
            rc_base  = w2;
            rc_x     = m - 17'd1;
            rc_y     = 17'(w6[15:0]);
            rc_extra = rows_for(n, LgDim);
          end
          2'd1: begin
            if (v_op1 != 3'd0 && v_bsrc != 2'd3) begin
              rc_base  = w3;
              rc_x     = (v_bsrc == 2'd0) ? m - 17'd1 : 17'd0;
              rc_y     = 17'(w6[15:0]);
              rc_extra = rows_for((v_bsrc == 2'd1) ? m : n, LgDim);
            end
          end
          2'd2: begin
            if (v_dst != 2'd0) begin
              rc_base  = w4;
              rc_x     = m - 17'd1;
              rc_y     = 17'(w6[15:0]);
              rc_extra = rows_for(n, LgDim);
              rc_limit = (v_dst == 2'd1) ? AccRows : SpadRows;
            end
          end
          default: begin
            if (v_red != 2'd0) begin
              rc_base  = w5;
              rc_extra = rows_for(m, LgDim);
            end
          end
        endcase
      end
      ts_isa_pkg::OpGemm: begin
        unique case (step_q)
          2'd0: begin  // A: rows (k if a_trans else m), columns (m if a_trans else k)
            rc_base  = w3;
            rc_x     = (w0[14] ? k : m) - 17'd1;
            rc_y     = 17'(w6[15:0]);
            rc_extra = rows_for(w0[14] ? m : k, LgDim);
          end
          2'd1: begin  // B: rows (n if b_trans else k), columns (k if b_trans else n)
            rc_base  = w4;
            rc_x     = (w0[15] ? n : k) - 17'd1;
            rc_y     = 17'(w6[31:16]);
            rc_extra = rows_for(w0[15] ? k : n, LgDim);
          end
          default: begin  // C: m rows of ceil(n / Dim) accumulator rows
            rc_base  = w5;
            rc_x     = m - 17'd1;
            rc_y     = 17'(w7[15:0]);
            rc_extra = rows_for(n, LgDim);
            rc_limit = AccRows;
          end
        endcase
      end
      default: ;
    endcase
    rc_end  = 36'(rc_base) + 36'(rc_x) * 36'(rc_y) + 36'(rc_extra);
    rc_fail = rc_end > 36'(rc_limit);
  end

  // The SRAM rows each step covers, [base, end), kept for the execute queue's overlap check
  // (a step that does not apply is [0, 0)). Once checked, both fit RW bits.
  always_ff @(posedge clk_i) begin
    if (dec_q == DecCheck) begin
      rng_q[2*RW*int'(step_q) +: 2*RW] <= {RW'(rc_end), RW'(rc_base)};
    end
  end

  // Queue FIFOs.
  logic [2:0]      q_push, q_pop, q_empty, q_full;
  logic [3*CmdW-1:0] q_data;

  always_comb begin
    dec_d    = dec_q;
    step_d   = step_q;
    f_ready  = 1'b0;
    q_push   = '0;
    dec_stop = 1'b0;
    unique case (dec_q)
      DecIdle: begin
        f_ready = !dec_stopped_q;
        if (f_valid && !dec_stopped_q) begin
          dec_d  = DecCheck;
          step_d = '0;
        end
      end
      DecCheck: begin
        if (static_err != 0) begin
          dec_stop = 1'b1;
          dec_d    = DecIdle;
        end else if (rc_fail) begin
          dec_stop = 1'b1;
          dec_d    = DecIdle;
        end else if (step_q == nsteps) begin
          // Dtype and Align come last.
          if (late_err != 0) begin
            dec_stop = 1'b1;
            dec_d    = DecIdle;
          end else begin
            dec_d = DecPush;
          end
        end else begin
          step_d = step_q + 2'd1;
        end
      end
      DecPush: begin
        if (!q_full[queue]) begin
          q_push[queue] = 1'b1;
          dec_d         = DecIdle;
        end
      end
      default: dec_d = DecIdle;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (dec_q == DecIdle && f_valid && f_ready) begin
      dc_q <= f_data;
      di_q <= f_idx;
    end
  end

  for (genvar q = 0; q < 3; q++) begin : g_queue
    logic [$clog2(QueueDepth+1)-1:0] unused_cnt;
    ts_fifo #(.Width(CmdW), .Depth(QueueDepth)) u_fifo (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .flush_i(1'b0),
      .push_i (q_push[q]),
      .data_i ({di_q, dc_q}),
      .pop_i  (q_pop[q]),
      .data_o (q_data[q*CmdW +: CmdW]),
      .empty_o(q_empty[q]),
      .full_o (q_full[q]),
      .count_o(unused_cnt)
    );
  end

  // The execute queue's commands carry their SRAM ranges (rng_q at decode).
  logic [8*RW-1:0] x_rng;
  logic [$clog2(QueueDepth+1)-1:0] unused_rng_cnt;
  logic unused_rng_full, unused_rng_empty;
  ts_fifo #(.Width(8 * RW), .Depth(QueueDepth)) u_rng_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (q_push[1]),
    .data_i (rng_q),
    .pop_i  (q_pop[1]),
    .data_o (x_rng),
    .empty_o(unused_rng_empty),
    .full_o (unused_rng_full),
    .count_o(unused_rng_cnt)
  );

  // ------------------------------------------------------------------ queues and tokens
  // Token counters: 0 L->E, 1 E->L, 2 E->S, 3 S->E.
  // Queue states as plain codes (a packed array of an enum type is avoided for Yosys).
  localparam logic [1:0] QIdle = 2'd0, QIssue = 2'd1, QRun = 2'd2;
  logic [2:0][1:0] qs_q, qs_d;
  logic [2:0]   stopped_q, stopped_d;
  logic [31:0]  tokc_q, tokc_d;        // four 8-bit counters
  logic [3:0]   tok_pop, tok_push;
  logic [2:0]   q_wait, q_done, q_ok;
  logic [2:0][3:0]  q_tok;
  logic [2:0][15:0] q_idx;
  logic [2:0][3:0]  need;   // counters a queue's head command pops
  logic [2:0][3:0]  give;   // counters it pushes
  logic [3:0]   avail;
  logic [2:0]   issue_ready, done_valid;
  logic [2:0][3:0]  q_status;
  logic [2:0][31:0] q_addr;
  logic [2:0]   q_ovf;             // completion whose token push would overflow
  logic [3:0]   full_tok;          // counters at 255

  for (genvar t = 0; t < 4; t++) begin : g_full
    assign full_tok[t] = (tokc_q[t*8 +: 8] == 8'hff);
  end

  for (genvar t = 0; t < 4; t++) begin : g_avail
    assign avail[t] = (tokc_q[t*8 +: 8] != 8'd0);
  end

  for (genvar q = 0; q < 3; q++) begin : g_tok
    assign q_tok[q] = q_data[q*CmdW + 8 +: 4];
    assign q_idx[q] = q_data[q*CmdW + 256 +: 16];
  end
  // Load: pop_next <- E->L, push_next -> L->E. Execute: pop_prev <- L->E, pop_next <- S->E,
  // push_prev -> E->L, push_next -> E->S. Store: pop_prev <- E->S, push_prev -> S->E.
  assign need[0] = {2'b00, q_tok[0][1], 1'b0};
  assign give[0] = {3'b000, q_tok[0][3]};
  assign need[1] = {q_tok[1][1], 2'b00, q_tok[1][0]};
  assign give[1] = {1'b0, q_tok[1][3], q_tok[1][2], 1'b0};
  assign need[2] = {1'b0, q_tok[2][0], 2'b00};
  assign give[2] = {q_tok[2][2], 3'b000};

  // The execute queue's head is an ADAMW: it goes to the AdamW unit, which starts only when
  // neither LOAD nor STORE is running; while it is issued or running, they do not start.
  logic is_aw, aw_excl_ok, aw_hold, is_vec;
  assign is_aw      = (q_data[CmdW +: 8] == ts_isa_pkg::OpAdamw);
  assign is_vec     = (q_data[CmdW +: 8] == ts_isa_pkg::OpVec);
  assign aw_excl_ok = (qs_q[0] == QIdle) && !fl_any[0] && (qs_q[2] == QIdle) && !fl_any[2];
  assign aw_hold    = is_aw && (qs_q[1] != QIdle);

  // GEMMs in flight (docs/isa.md "Overlap in the execute queue"): a GEMM leaves the queue
  // once the execute unit has taken it, and gives its tokens when it completes. Up to two
  // are in flight (the execute unit takes the next GEMM while the previous one drains, and
  // completes them in order); the VEC commands behind them may start if they push no token
  // and touch no SRAM row a GEMM in flight reads or writes; any other command waits.
  // A GEMM completing after the queue stopped gives nothing.
  //
  // LOADs in flight (docs/isa.md "Overlap in the load queue"): likewise a LOAD leaves the
  // queue once the load unit has taken it and gives its token when it completes; up to two
  // (the load unit completes them in order). Once the queue has stopped, ld_abort_o ends the
  // LOADs in flight without further SRAM writes, and their completions give nothing.
  //
  // STOREs in flight (docs/isa.md "Overlap in the store queue"): the same, with st_abort_o.
  // In-flight slots per queue (0 LOAD, 1 GEMM, 2 STORE): started when the unit takes the
  // command, finished by the unit's completion; fl_done: a completion that reports (the
  // queue had not stopped), fl_ok: and pushes its tokens.
  logic [2:0]       fl_start, fl_fin, fl_done, fl_ok, fl_ovf, fl_any, fl_two;
  logic [2:0][3:0]  fl_give;     // the oldest command's token pushes
  logic [2:0][15:0] fl_idx;      // and its ring index
  logic [2:0][3:0]  fl_status;   // its unit's completion status (15: matrix unit error)
  logic [2:0][31:0] fl_addr;     // and the failing address
  logic [1:0][1:0]  unused_ls_valid;
  logic [1:0][2*20-1:0] unused_ls_data;

  assign fl_fin    = fl_any & {st_done_valid_i, ex_done_valid_i, ld_done_valid_i};
  assign fl_status = {st_done_status_i, ex_done_err_i ? 4'd15 : 4'd0, ld_done_status_i};
  assign fl_addr   = {st_done_addr_i, 32'd0, ld_done_addr_i};

  for (genvar q = 0; q < 3; q += 2) begin : g_ls_slots
    ts_inflight #(.W(20)) u_slots (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .start_i(fl_start[q]),
      .data_i ({q_idx[q], give[q]}),
      .done_i (fl_fin[q]),
      .valid_o(unused_ls_valid[q/2]),
      .data_o (unused_ls_data[q/2]),
      .head_o ({fl_idx[q], fl_give[q]}),
      .any_o  (fl_any[q]),
      .two_o  (fl_two[q])
    );
  end

  localparam int unsigned GW = 6 * RW + 20;
  logic [1:0]    g_v;
  // Per slot: {A, B (scratchpad), C (accumulator) as {end, base}, ring index, tokens given}.
  logic [2*GW-1:0] g_data;
  logic [6*RW-1:0] unused_g_rng_hd;
  logic          unused_g_slots;
  assign unused_g_slots = ^{g_data[0 +: 20], g_data[GW +: 20]};
  logic [1:0]    x_hz;
  logic          x_dst_acc, x_dst_sp, x_hazard, x_can, is_gemm;

  function automatic logic overlaps(input logic [2*RW-1:0] x, input logic [2*RW-1:0] y);
    // [base, end) ranges, each {end, base}; an empty range overlaps nothing.
    logic [RW-1:0] xb, xe, yb, ye;
    {xe, xb} = x;
    {ye, yb} = y;
    overlaps = (xb < xe) && (yb < ye) && (xb < ye) && (yb < xe);
  endfunction

  assign x_dst_acc = (q_data[CmdW + ts_isa_pkg::VecDstPos +: 2] == 2'd1);
  assign x_dst_sp  = (q_data[CmdW + ts_isa_pkg::VecDstPos +: 2] >= 2'd2);
  // VEC ranges: 0 A, 1 B (accumulator), 2 D (accumulator or scratchpad), 3 reduction row.
  for (genvar g = 0; g < 2; g++) begin : g_hz
    logic [6*RW-1:0] r;
    assign r       = g_data[g*GW + 20 +: 6*RW];
    assign x_hz[g] = g_v[g] &&
                     (overlaps(x_rng[0 +: 2*RW], r[4*RW +: 2*RW]) ||
                      overlaps(x_rng[2*RW +: 2*RW], r[4*RW +: 2*RW]) ||
                      overlaps(x_rng[6*RW +: 2*RW], r[4*RW +: 2*RW]) ||
                      (x_dst_acc && overlaps(x_rng[4*RW +: 2*RW], r[4*RW +: 2*RW])) ||
                      (x_dst_sp && (overlaps(x_rng[4*RW +: 2*RW], r[0 +: 2*RW]) ||
                                    overlaps(x_rng[4*RW +: 2*RW], r[2*RW +: 2*RW]))));
  end
  assign x_hazard  = (x_hz != 2'b00);
  assign is_gemm   = !is_aw && !is_vec;
  assign x_can     = !fl_any[1] || (is_gemm && !fl_two[1]) ||
                     (is_vec && give[1] == 4'd0 && !x_hazard);

  ts_inflight #(.W(GW)) u_g_slots (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .start_i(fl_start[1]),
    .data_i ({x_rng[0 +: 6*RW], q_idx[1], give[1]}),
    .done_i (fl_fin[1]),
    .valid_o(g_v),
    .data_o (g_data),
    .head_o ({unused_g_rng_hd, fl_idx[1], fl_give[1]}),
    .any_o  (fl_any[1]),
    .two_o  (fl_two[1])
  );

  assign issue_ready = {st_ready_i,
                        is_aw ? (aw_ready_i && aw_excl_ok) : is_vec ? vec_ready_i : ex_ready_i,
                        ld_ready_i};
  // A GEMM's completion is taken by the in-flight slot, never by the queue.
  // LOAD and STORE completions are taken by their in-flight slots too.
  assign done_valid  = {1'b0,
                        is_aw ? aw_done_valid_i : is_vec && vec_done_valid_i,
                        1'b0};
  assign q_status[0] = ld_done_status_i;
  assign q_status[1] = is_aw ? aw_done_status_i : 4'd0;
  assign q_status[2] = st_done_status_i;
  assign q_addr[0]   = ld_done_addr_i;
  assign q_addr[1]   = is_aw ? aw_done_addr_i : '0;
  assign q_addr[2]   = st_done_addr_i;

  // A completion with its unit's status: {ok, ovf}. ok: it pushes its tokens; otherwise the
  // queue stops, on an error status or (ovf) when a push would overflow a counter (then
  // none of its pushes happen).
  function automatic logic [1:0] completion(input logic [3:0] status, input logic [3:0] gives,
                                            input logic [3:0] full);
    completion = (status != 4'd0) ? 2'b00 : ((gives & full) != 4'd0) ? 2'b01 : 2'b10;
  endfunction

  always_comb begin
    logic [3:0] taken;
    qs_d      = qs_q;
    stopped_d = stopped_q;
    tok_pop   = '0;
    tok_push  = '0;
    q_pop     = '0;
    q_wait    = '0;
    q_done    = '0;
    q_ok      = '0;
    q_ovf     = '0;
    taken     = '0;
    fl_start  = '0;
    fl_done   = '0;
    fl_ok     = '0;
    fl_ovf    = '0;
    for (int unsigned q = 0; q < 3; q++) begin
      unique case (qs_q[q])
        QIdle: begin
          if (!q_empty[q] && !stopped_q[q] && !quiesce_i && !(q != 1 && aw_hold) &&
              (q == 1 ? x_can : !fl_two[q])) begin
            // Tokens are taken only if all are there and no other queue takes the same
            // counter this cycle (a counter has one popper, so this never conflicts).
            if ((need[q] & ~avail) == 0 && (need[q] & taken) == 0) begin
              tok_pop   = tok_pop | need[q];
              taken     = taken | need[q];
              qs_d[q]   = QIssue;
            end else begin
              q_wait[q] = 1'b1;
            end
          end
        end
        QIssue: begin
          if (issue_ready[q]) begin
            if (q != 1 || is_gemm) begin  // a LOAD, GEMM or STORE goes in flight
              fl_start[q] = 1'b1;
              q_pop[q]    = 1'b1;
              qs_d[q]     = QIdle;
            end else begin
              qs_d[q] = QRun;
            end
          end
        end
        QRun: begin
          if (done_valid[q]) begin
            q_done[q] = 1'b1;
            q_pop[q]  = 1'b1;
            qs_d[q]   = QIdle;
            {q_ok[q], q_ovf[q]} = completion(q_status[q], give[q], full_tok);
            stopped_d[q] = stopped_d[q] | !q_ok[q];
            tok_push     = tok_push | (q_ok[q] ? give[q] : 4'd0);
          end
        end
        default: qs_d[q] = QIdle;
      endcase
    end
    // The oldest command in flight completes (a VEC completing in the same cycle as a GEMM
    // pushes nothing). One completing after its queue stopped neither pushes nor reports.
    for (int unsigned q = 0; q < 3; q++) begin
      if (fl_fin[q] && !stopped_q[q]) begin
        fl_done[q] = 1'b1;
        {fl_ok[q], fl_ovf[q]} = completion(fl_status[q], fl_give[q], full_tok);
        stopped_d[q] = stopped_d[q] | !fl_ok[q];
        tok_push     = tok_push | (fl_ok[q] ? fl_give[q] : 4'd0);
      end
    end
    // Token counters (a counter has one pusher, so per-queue checks cover every push).
    tokc_d = tokc_q;
    for (int unsigned t = 0; t < 4; t++) begin
      tokc_d[t*8 +: 8] = tokc_q[t*8 +: 8] + 8'(tok_push[t]) - 8'(tok_pop[t]);
    end
  end

  // Unit command fields come straight from the queue heads.
  logic [255:0] lc, ec, sc;
  logic         unused_cmd;
  assign lc = q_data[0 +: 256];
  assign ec = q_data[CmdW +: 256];
  assign sc = q_data[2*CmdW +: 256];
  assign unused_cmd = ^{lc[255:160], lc[31:14], lc[11:0], ec[255:240], ec[191:160], ec[159:128],
                        ec[127:96], ec[95:80], ec[31:17], ec[11:0], sc[255:208], sc[199:198],
                        sc[31:14], sc[11:0]};

  assign ld_valid_o      = (qs_q[0] == QIssue);
  assign ld_target_o     = lc[12];
  assign ld_expand8_o    = lc[13];
  assign ld_dram_addr_o  = lc[63:32];
  assign ld_stride_o     = lc[95:64];
  assign ld_rows_o       = lc[111:96];
  assign ld_bytes_o      = lc[127:112];
  assign ld_sram_addr_o  = lc[159:128];
  assign ld_done_ready_o = fl_any[0];
  assign ld_abort_o      = stopped_q[0];

  assign ex_valid_o      = (qs_q[1] == QIssue) && !is_aw && !is_vec;
  assign vec_valid_o     = (qs_q[1] == QIssue) && is_vec;
  assign vec_cmd_o       = ec;
  assign vec_done_ready_o = (qs_q[1] == QRun) && is_vec;
  assign aw_valid_o      = (qs_q[1] == QIssue) && is_aw && aw_excl_ok;
  assign aw_cmd_o        = ec;
  assign aw_done_ready_o = (qs_q[1] == QRun) && is_aw;
  assign ex_dtype_o      = ec[13:12];
  assign ex_a_trans_o    = ec[14];
  assign ex_b_trans_o    = ec[15];
  assign ex_accumulate_o = ec[16];
  assign ex_m_o          = ec[47:32];
  assign ex_n_o          = ec[63:48];
  assign ex_k_o          = ec[79:64];
  assign ex_a_addr_o     = ec[96 +: SpAw];
  assign ex_b_addr_o     = ec[128 +: SpAw];
  assign ex_c_addr_o     = ec[160 +: AccAw];
  assign ex_a_stride_o   = SpAw'(ec[207:192]);
  assign ex_b_stride_o   = SpAw'(ec[223:208]);
  assign ex_c_stride_o   = AccAw'(ec[239:224]);
  assign ex_done_ready_o = fl_any[1];

  assign st_valid_o      = (qs_q[2] == QIssue);
  assign st_format_o     = sc[13:12];
  assign st_dram_addr_o  = sc[63:32];
  assign st_stride_o     = sc[95:64];
  assign st_rows_o       = sc[111:96];
  assign st_cols_o       = sc[127:112];
  assign st_acc_addr_o   = sc[159:128];
  assign st_mult_o       = sc[191:160];
  assign st_shift_o      = sc[197:192];
  assign st_zp_o         = sc[207:200];
  assign st_done_ready_o = fl_any[2];
  assign st_abort_o      = stopped_q[2];

  // ------------------------------------------------------------------ errors
  // A unit's completion status as an error code (ovf: a token push would have overflowed).
  function automatic logic [7:0] err_code(input logic ovf, input logic [3:0] status);
    if (ovf) begin
      err_code = ts_isa_pkg::ErrToken;
    end else begin
      unique case (status)
        4'd1, 4'd2: err_code = ts_isa_pkg::ErrWindow;
        4'd15:      err_code = ts_isa_pkg::ErrMmu;
        default:    err_code = ts_isa_pkg::ErrBus;
      endcase
    end
  endfunction

  always_comb begin
    e_valid = 1'b0;
    e_code  = '0;
    e_unit  = '0;
    e_cmd   = '0;
    e_addr  = '0;
    if (doorbell && !ring_ok) begin
      e_valid = 1'b1;
      e_code  = ts_isa_pkg::ErrRing;
      e_unit  = ts_isa_pkg::UnitFetch;
      e_cmd   = head;
      e_addr  = ring_base_q;
    end else if (fetch_err) begin
      e_valid = 1'b1;
      e_code  = ts_isa_pkg::ErrBus;
      e_unit  = ts_isa_pkg::UnitFetch;
      e_cmd   = head;
      e_addr  = fetch_err_addr;
    end else if (dec_stop) begin
      e_valid = 1'b1;
      e_code  = (static_err != 0) ? static_err : rc_fail ? ts_isa_pkg::ErrSram : late_err;
      e_unit  = ts_isa_pkg::UnitFetch;
      e_cmd   = di_q;
    end else if ((fl_done & ~fl_ok) != 3'b000) begin
      // A failing completion in flight: the GEMM's first, then the LOAD's, the STORE's.
      for (int unsigned k = 0; k < 3; k++) begin
        if (fl_done[(k + 2) % 3] && !fl_ok[(k + 2) % 3]) begin
          e_unit = ts_isa_pkg::UnitLoad + 4'((k + 2) % 3);
          e_cmd  = fl_idx[(k + 2) % 3];
          e_addr = fl_addr[(k + 2) % 3];
          e_code = err_code(fl_ovf[(k + 2) % 3], fl_status[(k + 2) % 3]);
        end
      end
      e_valid = 1'b1;
    end else begin
      for (int q = 2; q >= 0; q--) begin
        if (q_done[q] && !q_ok[q]) begin
          e_valid = 1'b1;
          e_unit  = ts_isa_pkg::UnitLoad + 4'(q);
          e_cmd   = q_idx[q];
          e_addr  = q_addr[q];
          e_code  = err_code(q_ovf[q], q_status[q]);
        end
      end
    end
  end

  // ------------------------------------------------------------------ status, IRQ
  logic busy;  // (qs_q: a stopped queue may still be issuing)
  assign busy = fetch_busy || (dec_q != DecIdle) || (f_valid && !dec_stopped_q) ||
                ((q_empty | stopped_q) != 3'b111) || (units_busy_i != 3'b000) ||
                fl_any[0] || fl_any[2] || (qs_q != {QIdle, QIdle, QIdle});
  assign quiet_o = (qs_q == {QIdle, QIdle, QIdle}) && !fetch_busy && (units_busy_i == 3'b000) &&
                   !fl_any[0] && !fl_any[2];
  assign irq_o = (done_q && irq_done_en_q) || ((err_code_q != 0) && irq_err_en_q);

  // ------------------------------------------------------------------ perf counters
  logic [NPerf*64-1:0] perf_inc;
  always_comb begin
    perf_inc = '0;
    perf_inc[ts_isa_pkg::PerfCycles*64 +: 64] = 64'd1;
    perf_inc[ts_isa_pkg::PerfBusy*64 +: 64] = 64'(busy);
    perf_inc[ts_isa_pkg::PerfFetched*64 +: 64] = 64'(q_push != 0);
    perf_inc[ts_isa_pkg::PerfLoadBusy*64 +: 64] = 64'(qs_q[0] != QIdle || fl_any[0]);
    perf_inc[ts_isa_pkg::PerfLoadWait*64 +: 64] = 64'(q_wait[0]);
    perf_inc[ts_isa_pkg::PerfExecBusy*64 +: 64] = 64'(qs_q[1] != QIdle || fl_any[1]);
    perf_inc[ts_isa_pkg::PerfExecWait*64 +: 64] = 64'(q_wait[1]);
    perf_inc[ts_isa_pkg::PerfStoreBusy*64 +: 64] = 64'(qs_q[2] != QIdle || fl_any[2]);
    perf_inc[ts_isa_pkg::PerfStoreWait*64 +: 64] = 64'(q_wait[2]);
    perf_inc[ts_isa_pkg::PerfMmuActive*64 +: 64] = 64'(mmu_row_i);
    perf_inc[ts_isa_pkg::PerfMacs*64 +: 64] = 64'(macs_i);
    perf_inc[ts_isa_pkg::PerfBytesRead*64 +: 64] = 64'(rd_bytes_i) +
                                                   (fetch_beat ? 64'(FetchBeatB) : 64'd0);
    perf_inc[ts_isa_pkg::PerfBytesWritten*64 +: 64] = 64'(wr_bytes_i);
  end

  // ------------------------------------------------------------------ CSR access
  logic        w_ctrl, w_status, w_err, w_flags, w_perm;
  logic [11:0] a;
  assign a        = csr_addr_i;
  assign w_ctrl   = csr_we_i && a == ts_isa_pkg::CsrCtrl;
  assign w_status = csr_we_i && a == ts_isa_pkg::CsrStatus;
  assign w_err    = csr_we_i && a == ts_isa_pkg::CsrErrCode;
  assign w_flags  = csr_we_i && a == ts_isa_pkg::CsrFlags;
  assign w_perm   = csr_we_i && a[11:7] == 5'b00001 && a[3:0] == 4'h8 &&
                    32'(a[6:4]) < Windows;

  // After a (soft) reset the DMAs' windows are rewritten from the kept registers, one per
  // cycle; a host write to WIN_PERM goes first.
  logic [WinW:0] replay_q, replay_d;  // windows still to rewrite
  logic          replay;
  assign replay   = (replay_q != '0) && !w_perm;
  assign replay_d = replay ? replay_q - 1'b1 : replay_q;

  assign flags_clr_o = w_flags;
  assign win_we_o    = w_perm || replay;
  assign win_idx_o   = w_perm ? WinW'(a[6:4]) : WinW'(replay_q - 1'b1);
  assign win_base_o  = win_base_q[32*int'(win_idx_o) +: 32];
  assign win_last_o  = win_last_q[32*int'(win_idx_o) +: 32];
  assign win_perm_o  = w_perm ? csr_wdata_i[1:0] : win_perm_q[2*int'(win_idx_o) +: 2];

  always_comb begin
    logic [3:0] wi;
    csr_rdata_o = '0;
    wi          = 4'(a[6:4]);
    unique casez (a)
      ts_isa_pkg::CsrId:          csr_rdata_o = ts_isa_pkg::IdValue;
      ts_isa_pkg::CsrVersion:     csr_rdata_o = ts_isa_pkg::VersionValue;
      ts_isa_pkg::CsrCfgDim:      csr_rdata_o = {6'd0, VecDivSqrt, Vec, 4'(AdamwLanes),
                                                 4'(Windows), 8'(BusBytes), 8'(Dim)};
      ts_isa_pkg::CsrAdamwSumsq:  csr_rdata_o = aw_sumsq_i;
      ts_isa_pkg::CsrAdamwStatus: csr_rdata_o = {30'd0, aw_status_i};
      ts_isa_pkg::CsrCfgSpadRows: csr_rdata_o = SpadRows;
      ts_isa_pkg::CsrCfgAccRows:  csr_rdata_o = AccRows;
      ts_isa_pkg::CsrCtrl:        csr_rdata_o = {29'd0, irq_err_en_q, irq_done_en_q, 1'b0};
      ts_isa_pkg::CsrStatus:      csr_rdata_o = {21'd0, units_busy_i, fetch_busy, dec_stopped_q,
                                                 q_wait[2], q_wait[1], q_wait[0], err_code_q != 0,
                                                 done_q, busy};
      ts_isa_pkg::CsrErrCode:     csr_rdata_o = {20'd0, err_unit_q, err_code_q};
      ts_isa_pkg::CsrErrCmd:      csr_rdata_o = {16'd0, err_cmd_q};
      ts_isa_pkg::CsrErrAddr:     csr_rdata_o = err_addr_q;
      ts_isa_pkg::CsrRingBase:    csr_rdata_o = ring_base_q;
      ts_isa_pkg::CsrRingSize:    csr_rdata_o = ring_size_q;
      ts_isa_pkg::CsrRingHead:    csr_rdata_o = {16'd0, head};
      ts_isa_pkg::CsrRingTail:    csr_rdata_o = {16'd0, ring_tail_q};
      ts_isa_pkg::CsrFlags:       csr_rdata_o = {27'd0, flags_q | acc_flags_i};
      12'b0000_1???_0000: if (32'(wi) < Windows) csr_rdata_o = win_base_q[32*int'(wi) +: 32];
      12'b0000_1???_0100: if (32'(wi) < Windows) csr_rdata_o = win_last_q[32*int'(wi) +: 32];
      12'b0000_1???_1000: if (32'(wi) < Windows) csr_rdata_o = {30'd0, win_perm_q[2*int'(wi) +: 2]};
      12'b0001_????_?000: if (int'(a[7:3]) < NPerf) csr_rdata_o = perf_q[64*int'(a[7:3]) +: 32];
      12'b0001_????_?100: csr_rdata_o = perf_hi_q;
      default: ;
    endcase
  end

  // ------------------------------------------------------------------ registers
  // Configuration (power-on reset only): kept across a soft reset.
  always_ff @(posedge clk_i or negedge rst_cfg_ni) begin
    if (!rst_cfg_ni) begin
      irq_done_en_q <= 1'b0;
      irq_err_en_q  <= 1'b0;
      ring_base_q   <= '0;
      ring_size_q   <= '0;
      win_base_q    <= '0;
      win_last_q    <= '0;
      win_perm_q    <= '0;
    end else begin
      if (w_ctrl) begin
        irq_done_en_q <= csr_wdata_i[ts_isa_pkg::CtrlIrqDoneEn];
        irq_err_en_q  <= csr_wdata_i[ts_isa_pkg::CtrlIrqErrorEn];
      end
      if (csr_we_i && a == ts_isa_pkg::CsrRingBase && !fetch_busy) begin
        ring_base_q <= {csr_wdata_i[31:5], 5'd0};
      end
      if (csr_we_i && a == ts_isa_pkg::CsrRingSize && !fetch_busy) ring_size_q <= csr_wdata_i;
      for (int unsigned w = 0; w < Windows; w++) begin
        if (csr_we_i &&
            a == 12'(32'(ts_isa_pkg::CsrWinBase) + ts_isa_pkg::CsrWinBaseStride * w)) begin
          win_base_q[32*w +: 32] <= csr_wdata_i;
        end
        if (csr_we_i &&
            a == 12'(32'(ts_isa_pkg::CsrWinLast) + ts_isa_pkg::CsrWinLastStride * w)) begin
          win_last_q[32*w +: 32] <= csr_wdata_i;
        end
        if (csr_we_i &&
            a == 12'(32'(ts_isa_pkg::CsrWinPerm) + ts_isa_pkg::CsrWinPermStride * w)) begin
          win_perm_q[2*w +: 2] <= csr_wdata_i[1:0];
        end
      end
    end
  end

  // State (core reset).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      done_q        <= 1'b0;
      pending_q     <= 1'b0;
      err_code_q    <= '0;
      err_unit_q    <= '0;
      err_cmd_q     <= '0;
      err_addr_q    <= '0;
      ring_tail_q   <= '0;
      flags_q       <= '0;
      perf_q        <= '0;
      perf_hi_q     <= '0;
      dec_q         <= DecIdle;
      step_q        <= '0;
      dec_stopped_q <= 1'b0;
      qs_q          <= {QIdle, QIdle, QIdle};
      stopped_q     <= '0;
      tokc_q        <= '0;
      replay_q      <= (WinW + 1)'(Windows);
    end else begin
      dec_q     <= dec_d;
      step_q    <= step_d;
      qs_q      <= qs_d;
      stopped_q <= stopped_d;
      tokc_q    <= tokc_d;
      replay_q  <= replay_d;
      if (dec_stop || fetch_err) dec_stopped_q <= 1'b1;
      // Done: set when the chip is idle after a doorbell; write 1 to clear.
      if (doorbell) pending_q <= 1'b1;
      if (pending_q && !busy && !doorbell) begin
        done_q    <= 1'b1;
        pending_q <= 1'b0;
      end else if (w_status && csr_wdata_i[ts_isa_pkg::StatusDone]) begin
        done_q <= 1'b0;
      end
      if (e_valid && err_code_q == 0) begin
        err_code_q <= e_code;
        err_unit_q <= e_unit;
        err_cmd_q  <= e_cmd;
        err_addr_q <= e_addr;
      end else if (w_err) begin
        err_code_q <= '0;
        err_unit_q <= '0;
      end
      if (csr_we_i && a == ts_isa_pkg::CsrRingTail) ring_tail_q <= csr_wdata_i[15:0];
      flags_q <= w_flags ? (flags_q & ~csr_wdata_i[FW-1:0]) : (flags_q | flags_i);
      if (w_ctrl && csr_wdata_i[ts_isa_pkg::CtrlPerfClear]) begin
        perf_q <= '0;
      end else begin
        for (int unsigned c = 0; c < NPerf; c++) begin
          perf_q[64*c +: 64] <= perf_q[64*c +: 64] + perf_inc[64*c +: 64];
        end
      end
      if (csr_re_i && a[11:8] == 4'h1 && a[2:0] == 3'b000 && int'(a[7:3]) < NPerf) begin
        perf_hi_q <= perf_q[64*int'(a[7:3]) + 32 +: 32];
      end
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_dim, Dim >= 2 && (1 << LgDim) == Dim, "Dim must be a power of two")
  `TS_ASSERT_INIT(a_windows, Windows >= 1 && Windows <= 8, "Windows must be in [1, 8]")
  `TS_ASSERT(a_one_access, !(csr_we_i && csr_re_i), clk_i, rst_ni, "CSR read and write at once")
  // The command slices (decode, unit fields), the CSR read words and the window and counter
  // address patterns above are written for this layout of config/isa.toml (ts_isa_pkg).
  `TS_ASSERT_INIT(a_isa_cmd_layout,
    ts_isa_pkg::CmdW == 256 && ts_isa_pkg::OpcodeW == 8 && ts_isa_pkg::TokenLsb == 8 &&
    ts_isa_pkg::TokPopPrev == 8 && ts_isa_pkg::TokPopNext == 9 &&
    ts_isa_pkg::TokPushPrev == 10 && ts_isa_pkg::TokPushNext == 11 &&
    ts_isa_pkg::LoadTargetPos == 12 && ts_isa_pkg::LoadExpand8Pos == 13 &&
    ts_isa_pkg::LoadDramAddrPos == 32 && ts_isa_pkg::LoadStridePos == 64 &&
    ts_isa_pkg::LoadRowsPos == 96 && ts_isa_pkg::LoadBytesPos == 112 &&
    ts_isa_pkg::LoadSramAddrPos == 128 && ts_isa_pkg::StoreFormatPos == 12 &&
    ts_isa_pkg::StoreDramAddrPos == 32 && ts_isa_pkg::StoreStridePos == 64 &&
    ts_isa_pkg::StoreRowsPos == 96 && ts_isa_pkg::StoreColsPos == 112 &&
    ts_isa_pkg::StoreAccAddrPos == 128 && ts_isa_pkg::StoreMultPos == 160 &&
    ts_isa_pkg::StoreShiftPos == 192 && ts_isa_pkg::StoreZeroPointPos == 200 &&
    ts_isa_pkg::GemmDtypePos == 12 && ts_isa_pkg::GemmATransPos == 14 &&
    ts_isa_pkg::GemmBTransPos == 15 && ts_isa_pkg::GemmAccumulatePos == 16 &&
    ts_isa_pkg::GemmMPos == 32 && ts_isa_pkg::GemmNPos == 48 && ts_isa_pkg::GemmKPos == 64 &&
    ts_isa_pkg::GemmAAddrPos == 96 && ts_isa_pkg::GemmBAddrPos == 128 &&
    ts_isa_pkg::GemmCAddrPos == 160 && ts_isa_pkg::GemmAStridePos == 192 &&
    ts_isa_pkg::GemmBStridePos == 208 && ts_isa_pkg::GemmCStridePos == 224,
    "ts_ctrl's command slices do not match config/isa.toml")
  `TS_ASSERT_INIT(a_isa_vec_layout,
    ts_isa_pkg::VecRowsPos == 32 && ts_isa_pkg::VecColsPos == 48 &&
    ts_isa_pkg::VecAAddrPos == 64 && ts_isa_pkg::VecBAddrPos == 96 &&
    ts_isa_pkg::VecDAddrPos == 128 && ts_isa_pkg::VecRAddrPos == 160 &&
    ts_isa_pkg::VecStridePos == 192 && ts_isa_pkg::CfgDimVec == 24 &&
    ts_isa_pkg::CfgDimVecDivsqrt == 25,
    "ts_ctrl's VEC slices or CFG_DIM bits do not match config/isa.toml")
  `TS_ASSERT_INIT(a_isa_csr_layout,
    ts_isa_pkg::CsrWinBase == 12'h080 && ts_isa_pkg::CsrWinLast == 12'h084 &&
    ts_isa_pkg::CsrWinPerm == 12'h088 && ts_isa_pkg::CsrWinBaseStride == 16 &&
    ts_isa_pkg::CsrWinLastStride == 16 && ts_isa_pkg::CsrWinPermStride == 16 &&
    ts_isa_pkg::CsrPerf == 12'h100 && ts_isa_pkg::CsrPerfStride == 8 &&
    ts_isa_pkg::WinPermRead == 0 && ts_isa_pkg::WinPermWrite == 1 &&
    ts_isa_pkg::CfgDimDimLsb == 0 && ts_isa_pkg::CfgDimBusBytesLsb == 8 &&
    ts_isa_pkg::CfgDimWindowsLsb == 16 && ts_isa_pkg::CtrlIrqDoneEn == 1 &&
    ts_isa_pkg::CtrlIrqErrorEn == 2 && ts_isa_pkg::ErrCodeCodeLsb == 0 &&
    ts_isa_pkg::ErrCodeUnitLsb == 8 && ts_isa_pkg::StatusBusy == 0 &&
    ts_isa_pkg::StatusDone == 1 && ts_isa_pkg::StatusError == 2 &&
    ts_isa_pkg::StatusWaitLoad == 3 && ts_isa_pkg::StatusWaitExec == 4 &&
    ts_isa_pkg::StatusWaitStore == 5 && ts_isa_pkg::StatusFetchStopped == 6 &&
    ts_isa_pkg::StatusFetchBusy == 7 && ts_isa_pkg::StatusLoadBusy == 8 &&
    ts_isa_pkg::StatusExecBusy == 9 && ts_isa_pkg::StatusStoreBusy == 10,
    "ts_ctrl's CSR read words or address patterns do not match config/isa.toml")
  `TS_ASSERT_INIT(a_isa_codes,
    ts_isa_pkg::UnitExec == ts_isa_pkg::UnitLoad + 4'd1 &&
    ts_isa_pkg::UnitStore == ts_isa_pkg::UnitLoad + 4'd2 &&
    ts_isa_pkg::DtypeFp16 == ts_mmu_pkg::DtFp16 && ts_isa_pkg::DtypeBf16 == ts_mmu_pkg::DtBf16 &&
    ts_isa_pkg::DtypeInt8 == ts_mmu_pkg::DtInt8,
    "units must be consecutive in queue order; GEMM dtypes go to the matrix unit unchanged")
  `TS_ASSERT(a_no_pop_underflow, (tok_pop & ~avail) == 0, clk_i, rst_ni, "token underflow")
  `TS_ASSERT(a_one_pusher, !(fl_done[1] && q_done[1] && (give[1] & fl_give[1]) != 0), clk_i, rst_ni,
             "two execute commands push one counter in one cycle")
  `TS_ASSERT(a_gemm_done_in_flight, !ex_done_valid_i || fl_any[1], clk_i, rst_ni,
             "a GEMM completion without a GEMM in flight")
  `TS_ASSERT(a_load_done_in_flight, !ld_done_valid_i || fl_any[0], clk_i, rst_ni,
             "a LOAD completion without a LOAD in flight")
  `TS_ASSERT(a_store_done_in_flight, !st_done_valid_i || fl_any[2], clk_i, rst_ni,
             "a STORE completion without a STORE in flight")

endmodule
