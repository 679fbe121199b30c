// SPDX-License-Identifier: Apache-2.0
// STORE command unit: ts_dma (SRAM -> DRAM) reading its rows from the accumulator through
// a converting row adapter; with Dmas = 2 two DMAs share the adapter, so that the next
// STORE's writes go out while the previous one waits for its B responses.
//
// The DMA writes host rows of bpr = cols * {4, 2, 2, 1} bytes (raw, FP16, BF16, INT8) and
// reads them, in order, as DataW-bit rows of a virtual SRAM starting at row 0 (host row r
// = DMA rows r*no .. r*no+no-1, no = ceil(bpr / RowBytes); bytes past bpr get WSTRB 0).
// The adapter serves each DMA row from the accumulator rows of docs/isa.md's STORE layout,
// which are consecutive for a whole command (row r starts at acc_addr + r*ceil(cols/Dim)),
// so one running read address suffices; a counter over the DMA rows of a host row tells
// which case applies (no division):
//   raw:       one accumulator row -> two DMA rows (low half, then high half from a
//              register); a last DMA row with even index reads a fresh row and uses its
//              low half only;
//   FP16/BF16: one accumulator row -> one DMA row through Dim ts_fp_narrow (RNE);
//   INT8:      two accumulator rows -> one DMA row through Dim ts_int_requant lanes used
//              twice (the accumulator gives one row per cycle, so Dim lanes keep up);
//              the last DMA row of a host row with an odd number of accumulator rows
//              reads only one.
// Pipeline: DMA request accepted (and accumulator read issued) in cycle t, accumulator
// row in t+1 (converted), DMA response registered in t+1+ConvStages (the converters'
// latency: ConvStages > 1 cuts ts_int_requant inside its datapath, docs/arith.md). The
// response has no back-pressure: the DMA asks only for rows its row FIFO can take (RowFifo
// covers the pipeline's latency at one row per cycle). Completion is the DMA's, after
// every B.
`include "ts_assert.svh"

module ts_store #(
  parameter int unsigned Dim       = 4,
  parameter int unsigned AddrW     = 32,
  parameter int unsigned IdW       = 4,
  parameter int unsigned AwId      = 0,
  parameter int unsigned MaxWrites = 4,
  parameter int unsigned Windows   = 2,
  parameter int unsigned AccRows   = 64,
  parameter int unsigned Dmas      = 1,    // STOREs in flight: 1 or 2
  parameter int unsigned ConvStages = 1,   // converters' latency (ts_fp_narrow, ts_int_requant)
  parameter int unsigned CheckStages = 1,  // cycles of ts_dma's descriptor check: 1 or 2
  localparam int unsigned DataW    = Dim * 16,
  localparam int unsigned AccW     = Dim * 32,
  localparam int unsigned AccAw    = $clog2(AccRows),
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  // Address windows (passed to the DMA).
  input  logic                     cfg_win_we_i,
  input  logic [WinW-1:0]          cfg_win_idx_i,
  input  logic [AddrW-1:0]         cfg_win_base_i,
  input  logic [AddrW-1:0]         cfg_win_last_i,
  input  logic [1:0]               cfg_win_perm_i,
  // STORE command, already checked by the decoder (dims, accumulator range).
  input  logic                     cmd_valid_i,
  output logic                     cmd_ready_o,
  input  logic [1:0]               cmd_format_i,   // 0 raw, 1 FP16, 2 BF16, 3 INT8
  input  logic [31:0]              cmd_dram_addr_i,
  input  logic [31:0]              cmd_stride_i,
  input  logic [15:0]              cmd_rows_i,
  input  logic [15:0]              cmd_cols_i,
  input  logic [31:0]              cmd_acc_addr_i,
  input  logic [31:0]              cmd_mult_i,
  input  logic [5:0]               cmd_shift_i,
  input  logic [7:0]               cmd_zp_i,
  // Abort (level; the controller's stopped store queue): the STOREs taken end without
  // another host write (ts_dma abort_i) and complete with status 7.
  input  logic                     abort_i,
  // Completion: ts_dma status codes, after every B response.
  output logic                     done_valid_o,
  input  logic                     done_ready_i,
  output logic [3:0]               done_status_o,
  output logic [31:0]              done_addr_o,
  // Accumulator read port; the response comes exactly one cycle after an accepted read.
  output logic                     acc_r_valid_o,
  input  logic                     acc_r_ready_i,
  output logic [AccAw-1:0]         acc_r_addr_o,
  input  logic                     acc_rsp_valid_i,
  input  logic [AccW-1:0]          acc_rsp_data_i,
  // IEEE flags of the FP16/BF16 narrowings of the elements written, OR-ed per row.
  output logic                     flags_valid_o,
  output logic [ts_pkg::FlagW-1:0] flags_o,
  // AXI4 write channels.
  output logic                     m_axi_aw_valid_o,
  input  logic                     m_axi_aw_ready_i,
  output logic [IdW-1:0]           m_axi_aw_id_o,
  output logic [AddrW-1:0]         m_axi_aw_addr_o,
  output logic [7:0]               m_axi_aw_len_o,
  output logic [2:0]               m_axi_aw_size_o,
  output logic [1:0]               m_axi_aw_burst_o,
  output logic                     m_axi_w_valid_o,
  input  logic                     m_axi_w_ready_i,
  output logic [DataW-1:0]         m_axi_w_data_o,
  output logic [DataW/8-1:0]       m_axi_w_strb_o,
  output logic                     m_axi_w_last_o,
  input  logic                     m_axi_b_valid_i,
  output logic                     m_axi_b_ready_o,
  input  logic [IdW-1:0]           m_axi_b_id_i,
  input  logic [1:0]               m_axi_b_resp_i,
  output logic                     busy_o
);

  localparam int unsigned B     = DataW / 8;
  localparam int unsigned LgB   = $clog2(B);
  localparam int unsigned LgDim = $clog2(Dim);
  localparam int unsigned Half  = DataW / 2;
  localparam int unsigned BprW  = 18;                 // cols * 4 < 2^18
  localparam int unsigned NoW   = BprW + 1 - LgB;     // DMA rows per host row
  // Virtual DMA rows of one command: at most two per accumulator row (raw).
  localparam int unsigned VRows = 2 * AccRows;
  localparam int unsigned VAw   = $clog2(VRows);
  localparam int unsigned FlagW = ts_pkg::FlagW;

  // STORE format codes (config/isa.toml).
  localparam logic [1:0] FmtRaw  = ts_isa_pkg::FmtRaw;
  localparam logic [1:0] FmtBf16 = ts_isa_pkg::FmtBf16;
  localparam logic [1:0] FmtInt8 = ts_isa_pkg::FmtInt8;

  // ---------------------------------------------------------------- DMAs
  // Dmas = 2 (docs/lsu.md "Two STOREs in flight"): two DMAs take commands in turn and share
  // the adapter. The next DMA takes a command only once the other has issued every request
  // (all AW bursts and W beats out, no row read pending: req_idle), so the adapter, the AW
  // and the W channel serve one DMA at a time, in command order; what overlaps is the wait
  // for the older one's B responses. B responses (one AXI ID, so in AW order) belong to the
  // older DMA while it has bursts outstanding.
  localparam int unsigned OutW = $clog2(MaxWrites + 1);  // write bursts awaiting B per DMA

  logic             req_valid, req_ready, req_we, rsp_valid;
  logic [VAw-1:0]   req_addr;
  logic [DataW-1:0] rsp_data;
  logic [BprW-1:0]  bpr;
  logic             cmd_fire, done_fire, aw_fire, b_fire;
  logic             nx_q, cp_q;   // DMA taking the next command; DMA completing next
  logic             act, b_sel;   // DMA on the adapter, AW and W; owner of the B response
  logic [Dmas-1:0]  d_desc_ready, d_cpl_valid, d_busy, d_req_idle, d_req_valid, d_req_we;
  logic [Dmas-1:0]  d_aw_valid, d_w_valid, d_w_last, d_b_ready;
  logic [Dmas*4-1:0]     d_status;
  logic [Dmas*AddrW-1:0] d_cpl_addr, d_aw_addr;
  logic [Dmas*VAw-1:0]   d_req_addr;
  logic [Dmas*8-1:0]     d_aw_len;
  logic [Dmas*DataW-1:0] d_w_data;
  logic [Dmas*B-1:0]     d_w_strb;
  logic [Dmas*OutW-1:0]  out_q;   // bursts whose AW went out and whose B has not come

  always_comb begin
    unique case (cmd_format_i)
      FmtRaw:  bpr = BprW'(cmd_cols_i) << 2;
      FmtInt8: bpr = BprW'(cmd_cols_i);
      default: bpr = BprW'(cmd_cols_i) << 1;
    endcase
  end

  assign done_fire = done_valid_o && done_ready_i;

  for (genvar i = 0; i < Dmas; i++) begin : g_dma
    logic             mine, free, dma_desc_valid, unused_target;
    logic [DataW-1:0] unused_wdata;
    logic [IdW-1:0]   unused_ar_id, unused_aw_id;
    logic             unused_ar_valid, unused_r_ready;
    logic [AddrW-1:0] unused_ar_addr;
    logic [7:0]       unused_ar_len;
    logic [2:0]       unused_ar_size, unused_aw_size;
    logic [1:0]       unused_ar_burst, unused_aw_burst;

    // This DMA's turn for the command, once the other has issued every request.
    assign mine           = (Dmas == 1) || (nx_q == 1'(i));
    assign free           = (Dmas == 1) || d_req_idle[(i + 1) % Dmas];
    assign dma_desc_valid = cmd_valid_i && mine && free;

    ts_dma #(
      .DataW    (DataW),
      .AddrW    (AddrW),
      .IdW      (IdW),
      .MaxReads (1),
      .MaxWrites(MaxWrites),
      .Windows  (Windows),
      .SramAw   (VAw),
      .SramRows (VRows),
      .RowsW    (16),
      .BprW     (BprW),
      .RowFifo  (5 + ConvStages),
      .CheckStages(CheckStages)
    ) u_dma (
      .clk_i           (clk_i),
      .rst_ni          (rst_ni),
      .cfg_win_we_i    (cfg_win_we_i),
      .cfg_win_idx_i   (cfg_win_idx_i),
      .cfg_win_base_i  (cfg_win_base_i),
      .cfg_win_last_i  (cfg_win_last_i),
      .cfg_win_perm_i  (cfg_win_perm_i),
      .desc_valid_i    (dma_desc_valid),
      .desc_ready_o    (d_desc_ready[i]),
      .desc_dir_i      (1'b1),
      .desc_target_i   (1'b1),
      .desc_dram_addr_i(AddrW'(cmd_dram_addr_i)),
      .desc_rows_i     (cmd_rows_i),
      .desc_bpr_i      (bpr),
      .desc_stride_i   (AddrW'(cmd_stride_i)),
      .desc_sram_addr_i('0),
      .cpl_valid_o     (d_cpl_valid[i]),
      .cpl_ready_i     (done_ready_i && (cp_q == 1'(i))),
      .cpl_status_o    (d_status[i*4 +: 4]),
      .cpl_addr_o      (d_cpl_addr[i*AddrW +: AddrW]),
      .abort_i         (abort_i),
      .busy_o          (d_busy[i]),
      .req_idle_o      (d_req_idle[i]),
      .sram_target_o   (unused_target),
      .sram_req_valid_o(d_req_valid[i]),
      .sram_req_ready_i(req_ready && (act == 1'(i))),
      .sram_req_we_o   (d_req_we[i]),
      .sram_req_addr_o (d_req_addr[i*VAw +: VAw]),
      .sram_req_wdata_o(unused_wdata),
      .sram_rsp_valid_i(rsp_valid && (act == 1'(i))),
      .sram_rsp_rdata_i(rsp_data),
      .m_axi_ar_valid_o(unused_ar_valid),
      .m_axi_ar_ready_i(1'b0),
      .m_axi_ar_id_o   (unused_ar_id),
      .m_axi_ar_addr_o (unused_ar_addr),
      .m_axi_ar_len_o  (unused_ar_len),
      .m_axi_ar_size_o (unused_ar_size),
      .m_axi_ar_burst_o(unused_ar_burst),
      .m_axi_r_valid_i (1'b0),
      .m_axi_r_ready_o (unused_r_ready),
      .m_axi_r_id_i    ('0),
      .m_axi_r_data_i  ('0),
      .m_axi_r_resp_i  (2'b00),
      .m_axi_r_last_i  (1'b0),
      .m_axi_aw_valid_o(d_aw_valid[i]),
      .m_axi_aw_ready_i(m_axi_aw_ready_i && (act == 1'(i))),
      .m_axi_aw_id_o   (unused_aw_id),
      .m_axi_aw_addr_o (d_aw_addr[i*AddrW +: AddrW]),
      .m_axi_aw_len_o  (d_aw_len[i*8 +: 8]),
      .m_axi_aw_size_o (unused_aw_size),
      .m_axi_aw_burst_o(unused_aw_burst),
      .m_axi_w_valid_o (d_w_valid[i]),
      .m_axi_w_ready_i (m_axi_w_ready_i && (act == 1'(i))),
      .m_axi_w_data_o  (d_w_data[i*DataW +: DataW]),
      .m_axi_w_strb_o  (d_w_strb[i*B +: B]),
      .m_axi_w_last_o  (d_w_last[i]),
      .m_axi_b_valid_i (m_axi_b_valid_i && (b_sel == 1'(i))),
      .m_axi_b_ready_o (d_b_ready[i]),
      .m_axi_b_id_i    (m_axi_b_id_i),
      .m_axi_b_resp_i  (m_axi_b_resp_i)
    );

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        out_q[i*OutW +: OutW] <= '0;
      end else begin
        out_q[i*OutW +: OutW] <= out_q[i*OutW +: OutW] + OutW'(aw_fire && (act == 1'(i))) -
                                 OutW'(b_fire && (b_sel == 1'(i)));
      end
    end

    logic unused;
    assign unused = ^{unused_target, unused_wdata, unused_ar_id, unused_aw_id, unused_ar_valid,
                      unused_r_ready, unused_ar_addr, unused_ar_len, unused_ar_size,
                      unused_ar_burst, unused_aw_size, unused_aw_burst};
  end

  if (Dmas == 1) begin : g_one
    assign nx_q  = 1'b0;
    assign cp_q  = 1'b0;
    assign act   = 1'b0;
    assign b_sel = 1'b0;
  end else begin : g_two
    logic nx_r, cp_r;
    assign nx_q  = nx_r;
    assign cp_q  = cp_r;
    assign act   = !nx_r;   // the DMA that took the last command
    assign b_sel = (out_q[cp_r*OutW +: OutW] != '0) ? cp_r : !cp_r;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        nx_r <= 1'b0;
        cp_r <= 1'b0;
      end else begin
        if (cmd_fire) nx_r <= !nx_r;
        if (done_fire) cp_r <= !cp_r;
      end
    end
  end

  assign cmd_ready_o   = d_desc_ready[nx_q] && ((Dmas == 1) || d_req_idle[act]);
  assign done_valid_o  = d_cpl_valid[cp_q];
  assign done_status_o = d_status[cp_q*4 +: 4];
  assign done_addr_o   = d_cpl_addr[cp_q*AddrW +: AddrW];
  assign busy_o        = (d_busy != '0);
  assign req_valid     = d_req_valid[act];
  assign req_we        = d_req_we[act];
  assign req_addr      = d_req_addr[act*VAw +: VAw];

  assign m_axi_aw_valid_o = d_aw_valid[act];
  assign m_axi_aw_id_o    = IdW'(AwId);
  assign m_axi_aw_addr_o  = d_aw_addr[act*AddrW +: AddrW];
  assign m_axi_aw_len_o   = d_aw_len[act*8 +: 8];
  assign m_axi_aw_size_o  = 3'(LgB);
  assign m_axi_aw_burst_o = 2'b01;
  assign m_axi_w_valid_o  = d_w_valid[act];
  assign m_axi_w_data_o   = d_w_data[act*DataW +: DataW];
  assign m_axi_w_strb_o   = d_w_strb[act*B +: B];
  assign m_axi_w_last_o   = d_w_last[act];
  assign m_axi_b_ready_o  = d_b_ready[b_sel];
  assign aw_fire = m_axi_aw_valid_o && m_axi_aw_ready_i;
  assign b_fire  = m_axi_b_valid_i && m_axi_b_ready_o;

  // ---------------------------------------------------------------- request side (t)
  logic [1:0]       fmt_q;
  logic [NoW-1:0]   no_q, j_q;
  logic             na_odd_q, ph_q;
  logic [LgDim-1:0] rem_q;
  logic [AccAw-1:0] rd_addr_q;
  logic [VAw-1:0]   vaddr_q;
  logic [31:0]      mult_q;
  logic [5:0]       shift_q;
  logic [7:0]       zp_q;
  logic [16:0]      na_calc;
  logic [BprW:0]    no_calc;

  assign cmd_fire = cmd_valid_i && cmd_ready_o;

  always_comb begin
    no_calc = ((BprW+1)'(bpr) + (BprW+1)'(B - 1)) >> LgB;
    na_calc = (17'(cmd_cols_i) + 17'(Dim - 1)) >> LgDim;  // accumulator rows per host row
  end

  logic           last, need_read, single, rd_fire, req_fire;
  logic [Dim-1:0] lane_mask;

  // The read request apart from the readies (one block would be a false combinational
  // loop through the accumulator, whose write ready depends on a waiting read).
  assign need_read     = (fmt_q != FmtRaw) || !j_q[0];
  assign acc_r_valid_o = req_valid && need_read;

  always_comb begin
    last      = (j_q == no_q - 1'b1);
    single    = last && na_odd_q;
    rd_fire   = acc_r_valid_o && acc_r_ready_i;
    req_ready = !need_read ||
                (acc_r_ready_i && ((fmt_q != FmtInt8) || ph_q || single));
    req_fire  = req_valid && req_ready;
    // Lanes written of this row (flags): all but in the last row of a partial host row.
    for (int unsigned l = 0; l < Dim; l++) begin
      lane_mask[l] = !last || (rem_q == '0) || (l < int'(rem_q));
    end
  end

  assign acc_r_addr_o = rd_addr_q;

  // ---------------------------------------------------------------- stage 1 (t+1)
  // One slot per accumulator read, or per raw high half (no read).
  logic           s1_v_q, s1_rd_q, s1_emit_q, s1_first_q, s1_single_q;
  logic [Dim-1:0] s1_mask_q;
  logic [DataW-1:0] hi_q, raw_d;
  logic           fp_in, int_in;

  always_comb begin
    raw_d  = s1_rd_q ? acc_rsp_data_i[DataW-1:0] : hi_q;
    fp_in  = s1_v_q && s1_rd_q && (fmt_q != FmtRaw) && (fmt_q != FmtInt8);
    int_in = s1_v_q && s1_rd_q && (fmt_q == FmtInt8);
  end

  logic [DataW-1:0]     fp_res;
  logic [Dim*FlagW-1:0] fp_flags;
  logic [Half-1:0]      q_res;
  logic [Dim-1:0]       unused_fp_valid, unused_q_valid, unused_q_err;

  for (genvar l = 0; l < Dim; l++) begin : g_lane
    ts_fp_narrow #(.Stages(ConvStages)) u_narrow (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (fp_in),
      .fmt_i      (fmt_q == FmtBf16),
      .a_i        (acc_rsp_data_i[l*32 +: 32]),
      .out_valid_o(unused_fp_valid[l]),
      .res_o      (fp_res[l*16 +: 16]),
      .flags_o    (fp_flags[l*FlagW +: FlagW])
    );
    // Kept as its own module through synth -flatten: Yosys/ABC then maps the 32x32
    // multiplier once instead of Dim times inside one flat netlist (minutes, not an hour).
    (* keep_hierarchy *)
    ts_int_requant #(.Stages(ConvStages)) u_requant (
      .clk_i       (clk_i),
      .rst_ni      (rst_ni),
      .in_valid_i  (int_in),
      .x_i         (acc_rsp_data_i[l*32 +: 32]),
      .mult_i      (mult_q),
      .shift_i     (shift_q),
      .zero_point_i({{24{zp_q[7]}}, zp_q}),
      .act_min_i   (8'h80),
      .act_max_i   (8'h7f),
      .out_valid_o (unused_q_valid[l]),
      .q_o         (q_res[l*8 +: 8]),
      .err_o       (unused_q_err[l])
    );
  end

  // ---------------------------------------------------------------- stage 2 (t+1+ConvStages)
  // The slot's control and the raw row, delayed as long as the converters.
  logic             s2_v_q, s2_emit_q, s2_first_q, s2_single_q;
  logic [Dim-1:0]   s2_mask_q;
  logic [DataW-1:0] raw_q;
  ts_pipe #(.Width(3 + Dim + DataW), .Depth(ConvStages)) u_s2 (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(s1_v_q),
    .data_i ({s1_emit_q, s1_first_q, s1_single_q, s1_mask_q, raw_d}),
    .valid_o(s2_v_q),
    .data_o ({s2_emit_q, s2_first_q, s2_single_q, s2_mask_q, raw_q})
  );
  logic [Half-1:0]  lo_q;
  logic [FlagW-1:0] flags_or;

  always_comb begin
    rsp_valid = s2_v_q && s2_emit_q;
    unique case (fmt_q)
      FmtRaw:  rsp_data = raw_q;
      FmtInt8: rsp_data = s2_single_q ? {{Half{1'b0}}, q_res} : {q_res, lo_q};
      default: rsp_data = fp_res;
    endcase
    flags_or = '0;
    for (int unsigned l = 0; l < Dim; l++) begin
      if (s2_mask_q[l]) flags_or = flags_or | fp_flags[l*FlagW +: FlagW];
    end
  end

  assign flags_valid_o = rsp_valid && (fmt_q != FmtRaw) && (fmt_q != FmtInt8);
  assign flags_o       = flags_or;

  // ---------------------------------------------------------------- registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ph_q        <= 1'b0;
      s1_v_q      <= 1'b0;
      s1_rd_q     <= 1'b0;
      s1_emit_q   <= 1'b0;
      s1_first_q  <= 1'b0;
      s1_single_q <= 1'b0;
    end else begin
      if (cmd_fire || req_fire) begin
        ph_q <= 1'b0;
      end else if (rd_fire && (fmt_q == FmtInt8)) begin
        ph_q <= 1'b1;
      end
      s1_v_q      <= rd_fire || req_fire;
      s1_rd_q     <= rd_fire;
      s1_emit_q   <= req_fire;
      s1_first_q  <= rd_fire && !req_fire;
      s1_single_q <= single;
    end
  end

  // Command fields, walk counters and row data: loaded under enables, not reset.
  always_ff @(posedge clk_i) begin
    if (cmd_fire) begin
      fmt_q    <= cmd_format_i;
      no_q     <= NoW'(no_calc);
      na_odd_q <= na_calc[0];
      rem_q    <= cmd_cols_i[LgDim-1:0];
      mult_q   <= cmd_mult_i;
      shift_q  <= cmd_shift_i;
      zp_q     <= cmd_zp_i;
    end
    if (cmd_fire) begin
      j_q     <= '0;
      vaddr_q <= '0;
    end else if (req_fire) begin
      j_q     <= last ? '0 : j_q + 1'b1;
      vaddr_q <= vaddr_q + 1'b1;
    end
    if (cmd_fire) begin
      rd_addr_q <= AccAw'(cmd_acc_addr_i);
    end else if (rd_fire) begin
      rd_addr_q <= rd_addr_q + 1'b1;
    end
    if (rd_fire || req_fire) begin
      s1_mask_q <= lane_mask;
    end
    if (s1_v_q && s1_rd_q) begin
      hi_q <= acc_rsp_data_i[AccW-1:DataW];
    end
    if (s2_v_q && s2_first_q) begin
      lo_q <= q_res;
    end
  end

  // ---------------------------------------------------------------- command legality
  logic [33:0] acc_end;
  logic        cmd_legal;

  always_comb begin
    acc_end   = 34'(cmd_acc_addr_i) + 34'(cmd_rows_i) * 34'(na_calc);
    cmd_legal = (cmd_rows_i != '0) && (cmd_cols_i != '0) && (acc_end <= 34'(AccRows));
  end

  logic unused;
  assign unused = ^{unused_fp_valid, unused_q_valid,
                    unused_q_err, req_we, req_addr, no_calc, na_calc[16:1],
                    cmd_acc_addr_i[31:AccAw], acc_end, cmd_legal, acc_rsp_valid_i, done_fire,
                    out_q};

  // Assertions
  `TS_ASSERT_INIT(a_dim, Dim == 4 || Dim == 8 || Dim == 16 || Dim == 32,
                  "Dim must be 4, 8, 16 or 32 (bus of 64..512 bits)")
  `TS_ASSERT_INIT(a_rows_pow2, (AccRows & (AccRows - 1)) == 0 && AccRows >= 2,
                  "AccRows must be a power of two >= 2")
  `TS_ASSERT_INIT(a_aw_id, IdW >= 32 || AwId < (1 << IdW), "AwId does not fit IdW")
  `TS_ASSERT(a_cmd_legal, cmd_valid_i |-> cmd_legal, clk_i, rst_ni,
             "STORE command with illegal dims or accumulator range (the decoder refuses these)")
  `TS_ASSERT(a_cmd_stable, (cmd_valid_i && !cmd_ready_o) |=> cmd_valid_i, clk_i, rst_ni,
             "STORE command withdrawn before it was accepted")
  `TS_ASSERT_INIT(a_dmas, Dmas == 1 || Dmas == 2, "Dmas must be 1 or 2")
  `TS_ASSERT_INIT(a_conv, ConvStages >= 1 && ConvStages <= 4, "ConvStages must be in [1, 4]")
  `TS_ASSERT(a_one_issuer, ((d_aw_valid | d_w_valid | d_req_valid) & ~(Dmas'(1) << act)) == '0,
             clk_i, rst_ni, "a DMA other than the adapter's presents AW, W or a row read")
  `TS_ASSERT(a_b_owner, m_axi_b_valid_i |-> (out_q[b_sel*OutW +: OutW] != '0), clk_i, rst_ni,
             "B response with no write burst outstanding")
  `TS_ASSERT(a_dma_read, req_valid |-> !req_we, clk_i, rst_ni, "DMA write request on a store")
  `TS_ASSERT(a_dma_row, req_valid |-> (req_addr == vaddr_q), clk_i, rst_ni,
             "DMA row out of sequence with the adapter's counters")
  `TS_ASSERT(a_acc_rsp, acc_rsp_valid_i == (s1_v_q && s1_rd_q), clk_i, rst_ni,
             "accumulator response without a read, or a read without its response")
  `TS_ASSERT(a_acc_read_stable, (acc_r_valid_o && !acc_r_ready_i) |=> (acc_r_valid_o &&
             $stable(acc_r_addr_o)), clk_i, rst_ni,
             "accumulator read withdrawn or changed before it was accepted")

endmodule
