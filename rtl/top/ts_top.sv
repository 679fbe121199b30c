// SPDX-License-Identifier: Apache-2.0
// ts_top: the Tessera accelerator. AXI4-Lite CSR slave, AXI4 master, level IRQ.
//
//   ts_csr_if -> ts_ctrl (CSRs, ring fetch on AXI ID 1, decode, queues, tokens)
//                  |-> ts_load  (DMA, AXI ID 0 reads)  -> scratchpad port 2 / accumulator
//                  |-> ts_exec  (matrix unit)          <- scratchpad ports 0, 1 -> accumulator
//                  |-> ts_vec   (vector unit)          <-> accumulator -> scratchpad port 1
//                  |-> ts_adamw (AdamW, AXI IDs 4-7, alone on the bus)
//                  '-> ts_store (DMA, AXI ID 0 writes) <- accumulator
// The scratchpad gives fixed priority to the execute unit's activation stream (port 0),
// then its weights or the vector unit's writes (1), then the load DMA (2). The accumulator
// is two independent halves (ts_acc each; the top address bit selects), so a store can
// drain one half while the matrix unit accumulates into the other; in each half the
// execute (or vector) unit's writes come before the load's, and the store's reads before
// the vector unit's. A soft reset (CTRL.soft_reset) waits until no command or fetch is in
// flight (no AXI transaction is cut), then resets everything but the AXI4-Lite front end
// and the configuration CSRs (windows, ring base/size, IRQ enables). Parameters come from
// the named configurations (ts_top_<name>, generated).
`include "ts_assert.svh"

module ts_top #(
  parameter int unsigned Dim        = 4,
  parameter int unsigned SpadRows   = 1024,
  parameter int unsigned SpadBanks  = 4,
  parameter int unsigned AccRows    = 256,
  parameter int unsigned Windows    = 2,
  parameter int unsigned MaxReads   = 2,
  parameter int unsigned MaxWrites  = 2,
  // LOADs in flight: 2 lets the next LOAD's read bursts go out while the current one's data
  // returns (a second DMA in the load unit, docs/lsu.md).
  parameter int unsigned LoadDmas   = 1,
  // STOREs in flight: 2 lets the next STORE's writes go out while the current one waits for
  // its B responses (a second DMA in the store unit, docs/lsu.md).
  parameter int unsigned StoreDmas  = 1,
  parameter int unsigned QueueDepth = 2,
  // 1: each unit (load, execute, store) runs on its own gated clock, on only while it has
  // work; 0: one free-running clock (FPGA flows).
  parameter bit          ClockGating = 1'b1,
  // AdamW elements per cycle of rtl/optim/ts_adamw. 0: no AdamW unit, ADAMW is refused.
  parameter int unsigned AdamwLanes = 1,
  // Vector unit (rtl/vec/ts_vec, docs/vec.md); VecDivSqrt: with RECIP/RSQRT (a divider and a
  // square root per lane). Vec = 0: VEC is an unknown opcode.
  parameter bit          Vec        = 1'b1,
  parameter bit          VecDivSqrt = 1'b1,
  // Pipeline stages of each processing element's multiplier and FP32 adder (ts_mmu
  // MulStages, AddStages): 1 for the simulated ASIC configurations, more where an FPGA needs
  // the clock rate (docs/mmu.md).
  parameter int unsigned PeMulStages = 1,
  parameter int unsigned PeAddStages = 1,
  // Pipeline stages of the store unit's converters (ts_store ConvStages; docs/lsu.md).
  parameter int unsigned StoreStages = 1,
  // Pipeline stages of the accumulator's FP32 adders (ts_acc AddStages; docs/memory.md).
  parameter int unsigned AccAddStages = 1,
  // Cycles of the load and store DMAs' descriptor check (ts_dma CheckStages; docs/dma.md).
  parameter int unsigned DmaCheckStages = 1,
  localparam int unsigned BusBytes  = 2 * Dim,
  localparam int unsigned DW        = BusBytes * 8
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  input  logic                   s_axil_aw_valid_i,
  output logic                   s_axil_aw_ready_o,
  input  logic [11:0]            s_axil_aw_addr_i,
  input  logic                   s_axil_w_valid_i,
  output logic                   s_axil_w_ready_o,
  input  logic [31:0]            s_axil_w_data_i,
  input  logic [3:0]             s_axil_w_strb_i,
  output logic                   s_axil_b_valid_o,
  input  logic                   s_axil_b_ready_i,
  output logic [1:0]             s_axil_b_resp_o,
  input  logic                   s_axil_ar_valid_i,
  output logic                   s_axil_ar_ready_o,
  input  logic [11:0]            s_axil_ar_addr_i,
  output logic                   s_axil_r_valid_o,
  input  logic                   s_axil_r_ready_i,
  output logic [31:0]            s_axil_r_data_o,
  output logic [1:0]             s_axil_r_resp_o,
  output logic                   m_axi_ar_valid_o,
  input  logic                   m_axi_ar_ready_i,
  output logic [3:0]             m_axi_ar_id_o,
  output logic [31:0]            m_axi_ar_addr_o,
  output logic [7:0]             m_axi_ar_len_o,
  output logic [2:0]             m_axi_ar_size_o,
  output logic [1:0]             m_axi_ar_burst_o,
  input  logic                   m_axi_r_valid_i,
  output logic                   m_axi_r_ready_o,
  input  logic [3:0]             m_axi_r_id_i,
  input  logic [DW-1:0]          m_axi_r_data_i,
  input  logic [1:0]             m_axi_r_resp_i,
  input  logic                   m_axi_r_last_i,
  output logic                   m_axi_aw_valid_o,
  input  logic                   m_axi_aw_ready_i,
  output logic [3:0]             m_axi_aw_id_o,
  output logic [31:0]            m_axi_aw_addr_o,
  output logic [7:0]             m_axi_aw_len_o,
  output logic [2:0]             m_axi_aw_size_o,
  output logic [1:0]             m_axi_aw_burst_o,
  output logic                   m_axi_w_valid_o,
  input  logic                   m_axi_w_ready_i,
  output logic [DW-1:0]          m_axi_w_data_o,
  output logic [BusBytes-1:0]        m_axi_w_strb_o,
  output logic                   m_axi_w_last_o,
  input  logic                   m_axi_b_valid_i,
  output logic                   m_axi_b_ready_o,
  input  logic [3:0]             m_axi_b_id_i,
  input  logic [1:0]             m_axi_b_resp_i,
  output logic                   irq_o
);

  localparam int unsigned SpAw     = $clog2(SpadRows);
  localparam int unsigned AccAw    = $clog2(AccRows);
  localparam int unsigned HalfRows = AccRows / 2;
  localparam int unsigned HalfAw   = AccAw - 1;
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1;
  localparam int unsigned FW       = ts_pkg::FlagW;
  localparam int unsigned LgDim    = $clog2(Dim);
  localparam int unsigned SpW      = Dim * 16;
  localparam int unsigned AccW     = Dim * 32;

  // ------------------------------------------------------------------ resets
  // The core reset is asserted as soon as its request is (also combinationally, so that no
  // clock edge can see a stale synchronizer output after a power-on reset) and released
  // through the synchronizer.
  logic rst_sync_n, soft_rst, rst_core_req_n, rst_core_sync_n, rst_n, quiesce, quiet;

  ts_reset_sync u_rst_por (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .rst_no(rst_sync_n)
  );
  assign rst_core_req_n = rst_sync_n && !soft_rst;
  ts_reset_sync u_rst_core (
    .clk_i (clk_i),
    .rst_ni(rst_core_req_n),
    .rst_no(rst_core_sync_n)
  );
  assign rst_n = rst_core_sync_n && rst_core_req_n;

  // ------------------------------------------------------------------ CSR front end
  logic        csr_we, csr_re;
  logic [11:0] csr_addr;
  logic [31:0] csr_wdata, csr_rdata;

  ts_csr_if u_csr_if (
    .clk_i            (clk_i),
    .rst_ni           (rst_sync_n),
    .s_axil_aw_valid_i(s_axil_aw_valid_i),
    .s_axil_aw_ready_o(s_axil_aw_ready_o),
    .s_axil_aw_addr_i (s_axil_aw_addr_i),
    .s_axil_w_valid_i (s_axil_w_valid_i),
    .s_axil_w_ready_o (s_axil_w_ready_o),
    .s_axil_w_data_i  (s_axil_w_data_i),
    .s_axil_w_strb_i  (s_axil_w_strb_i),
    .s_axil_b_valid_o (s_axil_b_valid_o),
    .s_axil_b_ready_i (s_axil_b_ready_i),
    .s_axil_b_resp_o  (s_axil_b_resp_o),
    .s_axil_ar_valid_i(s_axil_ar_valid_i),
    .s_axil_ar_ready_o(s_axil_ar_ready_o),
    .s_axil_ar_addr_i (s_axil_ar_addr_i),
    .s_axil_r_valid_o (s_axil_r_valid_o),
    .s_axil_r_ready_i (s_axil_r_ready_i),
    .s_axil_r_data_o  (s_axil_r_data_o),
    .s_axil_r_resp_o  (s_axil_r_resp_o),
    .csr_we_o         (csr_we),
    .csr_re_o         (csr_re),
    .csr_addr_o       (csr_addr),
    .csr_wdata_o      (csr_wdata),
    .csr_rdata_i      (csr_rdata),
    .quiet_i          (quiet),
    .quiesce_o        (quiesce),
    .soft_rst_o       (soft_rst)
  );

  // ------------------------------------------------------------------ command processor
  logic             win_we;
  logic [WinW-1:0]  win_idx;
  logic [31:0]      win_base, win_last;
  logic [1:0]       win_perm;
  // Fetch AXI read channels.
  logic             f_ar_valid, f_ar_ready, f_r_valid, f_r_ready;
  logic [3:0]       f_ar_id;
  logic [31:0]      f_ar_addr;
  logic [7:0]       f_ar_len;
  logic [2:0]       f_ar_size;
  logic [1:0]       f_ar_burst;
  // Unit commands.
  logic             ld_valid, ld_ready, ld_target, ld_expand8;
  logic [31:0]      ld_dram_addr, ld_stride, ld_sram_addr;
  logic [15:0]      ld_rows, ld_bytes;
  logic             ld_done_valid, ld_done_ready, ld_busy, ld_abort;
  logic [3:0]       ld_done_status;
  logic [31:0]      ld_done_addr;
  logic             ex_valid, ex_ready, ex_a_trans, ex_b_trans, ex_accumulate;
  logic [1:0]       ex_dtype;
  logic [15:0]      ex_m, ex_n, ex_k;
  logic [SpAw-1:0]  ex_a_addr, ex_b_addr, ex_a_stride, ex_b_stride;
  logic [AccAw-1:0] ex_c_addr, ex_c_stride;
  logic             ex_done_valid, ex_done_ready, ex_done_err, ex_busy, ex_row;
  logic             st_valid, st_ready;
  logic [1:0]       st_format;
  logic [31:0]      st_dram_addr, st_stride, st_acc_addr, st_mult;
  logic [15:0]      st_rows, st_cols;
  logic [5:0]       st_shift;
  logic [7:0]       st_zp;
  logic             st_done_valid, st_done_ready, st_busy, st_abort;
  logic [3:0]       st_done_status;
  logic [31:0]      st_done_addr;
  // Flags and counters.
  logic             ex_flags_valid, st_flags_valid, flags_clr;
  logic [FW-1:0]    ex_flags, st_flags;
  logic [2*FW-1:0]  acc_flags;
  logic [2*LgDim+1:0] ex_macs;
  logic [7:0]       rd_bytes, wr_bytes;
  // AdamW unit.
  logic             aw_valid, aw_ready, aw_done_valid, aw_done_ready, aw_busy;
  logic [255:0]     aw_cmd;
  logic [3:0]       aw_done_status;
  logic [31:0]      aw_done_addr, aw_sumsq;
  logic [1:0]       aw_status;
  logic [FW-1:0]    aw_flags;
  // Vector unit.
  logic             vec_valid, vec_ready, vec_done_valid, vec_done_ready, vec_busy;
  logic [255:0]     vec_cmd;
  logic [FW-1:0]    vec_done_flags;

  ts_ctrl #(
    .Dim       (Dim),
    .BusBytes  (BusBytes),
    .SpadRows  (SpadRows),
    .AccRows   (AccRows),
    .Windows   (Windows),
    .QueueDepth(QueueDepth),
    .AdamwLanes(AdamwLanes),
    .Vec       (Vec),
    .VecDivSqrt(VecDivSqrt)
  ) u_ctrl (
    .clk_i          (clk_i),
    .rst_ni         (rst_n),
    .rst_cfg_ni     (rst_sync_n),
    .quiesce_i      (quiesce),
    .quiet_o        (quiet),
    .csr_we_i       (csr_we),
    .csr_re_i       (csr_re),
    .csr_addr_i     (csr_addr),
    .csr_wdata_i    (csr_wdata),
    .csr_rdata_o    (csr_rdata),
    .irq_o          (irq_o),
    .win_we_o       (win_we),
    .win_idx_o      (win_idx),
    .win_base_o     (win_base),
    .win_last_o     (win_last),
    .win_perm_o     (win_perm),
    .ar_valid_o     (f_ar_valid),
    .ar_ready_i     (f_ar_ready),
    .ar_id_o        (f_ar_id),
    .ar_addr_o      (f_ar_addr),
    .ar_len_o       (f_ar_len),
    .ar_size_o      (f_ar_size),
    .ar_burst_o     (f_ar_burst),
    .r_valid_i      (f_r_valid),
    .r_ready_o      (f_r_ready),
    .r_data_i       (m_axi_r_data_i),
    .r_resp_i       (m_axi_r_resp_i),
    .r_last_i       (m_axi_r_last_i),
    .ld_valid_o     (ld_valid),
    .ld_ready_i     (ld_ready),
    .ld_target_o    (ld_target),
    .ld_expand8_o   (ld_expand8),
    .ld_dram_addr_o (ld_dram_addr),
    .ld_stride_o    (ld_stride),
    .ld_rows_o      (ld_rows),
    .ld_bytes_o     (ld_bytes),
    .ld_sram_addr_o (ld_sram_addr),
    .ld_done_valid_i(ld_done_valid),
    .ld_done_ready_o(ld_done_ready),
    .ld_abort_o     (ld_abort),
    .st_abort_o     (st_abort),
    .ld_done_status_i(ld_done_status),
    .ld_done_addr_i (ld_done_addr),
    .ex_valid_o     (ex_valid),
    .ex_ready_i     (ex_ready),
    .ex_dtype_o     (ex_dtype),
    .ex_a_trans_o   (ex_a_trans),
    .ex_b_trans_o   (ex_b_trans),
    .ex_accumulate_o(ex_accumulate),
    .ex_m_o         (ex_m),
    .ex_n_o         (ex_n),
    .ex_k_o         (ex_k),
    .ex_a_addr_o    (ex_a_addr),
    .ex_b_addr_o    (ex_b_addr),
    .ex_c_addr_o    (ex_c_addr),
    .ex_a_stride_o  (ex_a_stride),
    .ex_b_stride_o  (ex_b_stride),
    .ex_c_stride_o  (ex_c_stride),
    .ex_done_valid_i(ex_done_valid),
    .ex_done_ready_o(ex_done_ready),
    .ex_done_err_i  (ex_done_err),
    .aw_valid_o     (aw_valid),
    .aw_ready_i     (aw_ready),
    .aw_cmd_o       (aw_cmd),
    .aw_done_valid_i(aw_done_valid),
    .aw_done_ready_o(aw_done_ready),
    .aw_done_status_i(aw_done_status),
    .aw_done_addr_i (aw_done_addr),
    .aw_sumsq_i     (aw_sumsq),
    .aw_status_i    (aw_status),
    .vec_valid_o    (vec_valid),
    .vec_ready_i    (vec_ready),
    .vec_cmd_o      (vec_cmd),
    .vec_done_valid_i(vec_done_valid),
    .vec_done_ready_o(vec_done_ready),
    .st_valid_o     (st_valid),
    .st_ready_i     (st_ready),
    .st_format_o    (st_format),
    .st_dram_addr_o (st_dram_addr),
    .st_stride_o    (st_stride),
    .st_rows_o      (st_rows),
    .st_cols_o      (st_cols),
    .st_acc_addr_o  (st_acc_addr),
    .st_mult_o      (st_mult),
    .st_shift_o     (st_shift),
    .st_zp_o        (st_zp),
    .st_done_valid_i(st_done_valid),
    .st_done_ready_o(st_done_ready),
    .st_done_status_i(st_done_status),
    .st_done_addr_i (st_done_addr),
    .flags_i        ((ex_flags_valid ? ex_flags : '0) | (st_flags_valid ? st_flags : '0) |
                     aw_flags | ((vec_done_valid && vec_done_ready) ? vec_done_flags : '0)),
    .acc_flags_i    (acc_flags[0 +: FW] | acc_flags[FW +: FW]),
    .flags_clr_o    (flags_clr),
    .mmu_row_i      (ex_row),
    .macs_i         (ex_flags_valid ? ex_macs : '0),
    .rd_bytes_i     (rd_bytes),
    .wr_bytes_i     (wr_bytes),
    .units_busy_i   ({st_busy, ex_busy || aw_busy || vec_busy, ld_busy})
  );

  // ------------------------------------------------------------------ AXI read arbitration
  // Fetch (ID 1) before load (ID 0) or the AdamW unit (IDs 4-7; it runs only while no LOAD
  // or STORE does, so it takes the load's place); the owner is held while AR waits (AXI
  // stability). R and B beats go by ID.
  logic             l_ar_valid, l_ar_ready, l_r_valid, l_r_ready;
  logic [3:0]       l_ar_id;
  logic [31:0]      l_ar_addr;
  logic [7:0]       l_ar_len;
  logic [2:0]       l_ar_size;
  logic [1:0]       l_ar_burst;
  logic             ar_lock_q, ar_own_q, ar_sel, r_to_fetch;

  assign ar_sel           = ar_lock_q ? ar_own_q : f_ar_valid;
  assign m_axi_ar_valid_o = ar_sel ? f_ar_valid : l_ar_valid;
  assign m_axi_ar_id_o    = ar_sel ? f_ar_id    : l_ar_id;
  assign m_axi_ar_addr_o  = ar_sel ? f_ar_addr  : l_ar_addr;
  assign m_axi_ar_len_o   = ar_sel ? f_ar_len   : l_ar_len;
  assign m_axi_ar_size_o  = ar_sel ? f_ar_size  : l_ar_size;
  assign m_axi_ar_burst_o = ar_sel ? f_ar_burst : l_ar_burst;
  assign f_ar_ready       = ar_sel && m_axi_ar_ready_i;
  assign l_ar_ready       = !ar_sel && m_axi_ar_ready_i;

  logic             ld_ar_valid, ld_ar_ready, ld_r_valid, ld_r_ready, r_to_aw;
  logic [3:0]       ld_ar_id;
  logic [31:0]      ld_ar_addr;
  logic [7:0]       ld_ar_len;
  logic [2:0]       ld_ar_size;
  logic [1:0]       ld_ar_burst;
  logic             a_ar_valid, a_ar_ready, a_r_valid, a_r_ready;
  logic [3:0]       a_ar_id;
  logic [31:0]      a_ar_addr;
  logic [7:0]       a_ar_len;
  logic [2:0]       a_ar_size;
  logic [1:0]       a_ar_burst;

  assign l_ar_valid  = aw_busy ? a_ar_valid : ld_ar_valid;
  assign l_ar_id     = aw_busy ? a_ar_id    : ld_ar_id;
  assign l_ar_addr   = aw_busy ? a_ar_addr  : ld_ar_addr;
  assign l_ar_len    = aw_busy ? a_ar_len   : ld_ar_len;
  assign l_ar_size   = aw_busy ? a_ar_size  : ld_ar_size;
  assign l_ar_burst  = aw_busy ? a_ar_burst : ld_ar_burst;
  assign a_ar_ready  = aw_busy && l_ar_ready;
  assign ld_ar_ready = !aw_busy && l_ar_ready;

  assign r_to_fetch      = (m_axi_r_id_i == 4'd1);
  assign r_to_aw         = m_axi_r_id_i[2];
  assign f_r_valid       = m_axi_r_valid_i && r_to_fetch;
  assign a_r_valid       = m_axi_r_valid_i && r_to_aw;
  assign ld_r_valid      = m_axi_r_valid_i && !r_to_fetch && !r_to_aw;
  assign l_r_valid       = ld_r_valid || a_r_valid;
  assign l_r_ready       = r_to_aw ? a_r_ready : ld_r_ready;
  assign m_axi_r_ready_o = r_to_fetch ? f_r_ready : l_r_ready;

  always_ff @(posedge clk_i or negedge rst_n) begin
    if (!rst_n) begin
      ar_lock_q <= 1'b0;
      ar_own_q  <= 1'b0;
    end else begin
      ar_lock_q <= m_axi_ar_valid_o && !m_axi_ar_ready_i;
      ar_own_q  <= ar_sel;
    end
  end

  // Bytes moved (perf counters): load R beats, and W bytes with their strobes.
  always_comb begin
    rd_bytes = (l_r_valid && l_r_ready) ? 8'(BusBytes) : 8'd0;
    wr_bytes = '0;
    if (m_axi_w_valid_o && m_axi_w_ready_i) begin
      for (int unsigned b = 0; b < BusBytes; b++) wr_bytes = wr_bytes + 8'(m_axi_w_strb_o[b]);
    end
  end

  // ------------------------------------------------------------------ scratchpad
  logic [2:0]       sp_req_valid, sp_req_ready, sp_rsp_valid, sp_conflict;
  logic [3*SpAw-1:0] sp_req_addr;
  logic [3*SpW-1:0] sp_req_wdata, sp_rsp_rdata;
  logic             ex_ar_valid, ex_wr_valid, ld_sp_valid, vs_valid;
  logic [SpAw-1:0]  ex_ar_addr, ex_wr_addr, ld_sp_addr, vs_addr;
  logic [SpW-1:0]   ld_sp_data, vs_data;
  logic [2:0]       unused_sp;

  // Port 1 carries the execute unit's weight reads and the vector unit's writes, which may
  // run at once (a VEC beside a GEMM in flight, docs/isa.md): the weight reads win, but a
  // request the scratchpad has not granted yet keeps the port until it is (ts_spad wants
  // it stable).
  logic vs_go, p1_lock_q, p1_vec_q;
  assign vs_go        = p1_lock_q ? p1_vec_q : (vs_valid && !ex_wr_valid);

  always_ff @(posedge clk_i or negedge rst_n) begin
    if (!rst_n) begin
      p1_lock_q <= 1'b0;
      p1_vec_q  <= 1'b0;
    end else begin
      p1_lock_q <= sp_req_valid[1] && !sp_req_ready[1];
      p1_vec_q  <= vs_go;
    end
  end
  assign sp_req_valid = {ld_sp_valid, vs_go ? vs_valid : ex_wr_valid, ex_ar_valid};
  assign sp_req_addr  = {ld_sp_addr, vs_go ? vs_addr : ex_wr_addr, ex_ar_addr};
  assign sp_req_wdata = {ld_sp_data, vs_data, {SpW{1'b0}}};
  assign unused_sp    = sp_rsp_valid ^ sp_conflict ^ {2'b00, ^sp_rsp_rdata[2*SpW +: SpW]};

  ts_spad #(
    .Dim          (Dim),
    .Banks        (SpadBanks),
    .Depth        (SpadRows / SpadBanks),
    .Ports        (3),
    .FixedPriority(1'b1),
    .XorBanks     (1'b1)
  ) u_spad (
    .clk_i      (clk_i),
    .rst_ni     (rst_n),
    .req_valid_i(sp_req_valid),
    .req_ready_o(sp_req_ready),
    .req_we_i   ({1'b1, vs_go, 1'b0}),
    .req_addr_i (sp_req_addr),
    .req_wdata_i(sp_req_wdata),
    .rsp_valid_o(sp_rsp_valid),
    .rsp_rdata_o(sp_rsp_rdata),
    .conflict_o (sp_conflict)
  );

  // ------------------------------------------------------------------ accumulator halves
  logic             ex_acc_valid, ex_acc_ready, ld_acc_valid, ld_acc_ready, st_r_valid;
  logic             st_r_ready;
  logic [1:0]       ex_acc_mode;
  logic [AccAw-1:0] ex_acc_addr, ld_acc_addr, st_r_addr;
  logic [AccW-1:0]  ex_acc_data, ld_acc_data, st_rsp_data;
  logic             st_rsp_valid;
  logic [1:0]       h_w_valid, h_w_ready, h_r_valid, h_r_ready, h_rsp_valid;
  logic [3:0]       h_w_mode;
  logic [2*HalfAw-1:0] h_w_addr, h_r_addr;
  logic [2*AccW-1:0] h_w_data, h_rsp_data;
  logic             ex_half, ld_half, st_half, vr_half, vw_half;
  // Vector unit ports: reads share each half's read port with the store (which wins, except
  // over a vector read that already waited there: ts_acc needs a waiting read to hold);
  // writes share each half's write port with the matrix unit's results and the load. A VEC
  // may run beside a GEMM in flight (on other rows, docs/isa.md): its few writes win and
  // hold the matrix unit back through its output credits; the load waits for both.
  logic             vr_valid, vr_ready, vr_rsp_valid, vw_valid, vw_ready;
  logic [AccAw-1:0] vr_addr, vw_addr;
  logic [AccW-1:0]  vr_rsp_data, vw_data;
  logic [1:0]       h_rsp_vec_q;  // the read answered next cycle in half h is the vector unit's
  logic [1:0]       h_vr_hold_q;  // the vector unit's read waited in half h: it keeps the port

  assign ex_half = ex_acc_addr[AccAw-1];
  assign vw_half = vw_addr[AccAw-1];
  assign ld_half = ld_acc_addr[AccAw-1];
  assign st_half = st_r_addr[AccAw-1];
  assign vr_half = vr_addr[AccAw-1];
  assign vw_ready     = h_w_ready[vw_half];
  assign ex_acc_ready = h_w_ready[ex_half] && !(vw_valid && vw_half == ex_half);
  assign ld_acc_ready = h_w_ready[ld_half] && !(ex_acc_valid && ex_half == ld_half) &&
                        !(vw_valid && vw_half == ld_half);

  for (genvar h = 0; h < 2; h++) begin : g_acc
    logic ex_here, vw_here, st_here, vr_here;
    assign vw_here = vw_valid && (vw_half == 1'(h));
    assign ex_here = ex_acc_valid && (ex_half == 1'(h)) && !vw_here;
    assign st_here = st_r_valid && (st_half == 1'(h)) && !h_vr_hold_q[h];
    assign vr_here = vr_valid && (vr_half == 1'(h));
    assign h_w_valid[h] = ex_here || vw_here || (ld_acc_valid && ld_half == 1'(h));
    assign h_w_mode[2*h +: 2]       = ex_here ? ex_acc_mode : 2'd0;
    assign h_w_addr[h*HalfAw +: HalfAw] = ex_here ? ex_acc_addr[HalfAw-1:0]
                                        : vw_here ? vw_addr[HalfAw-1:0]
                                                  : ld_acc_addr[HalfAw-1:0];
    assign h_w_data[h*AccW +: AccW] = ex_here ? ex_acc_data : vw_here ? vw_data : ld_acc_data;
    assign h_r_valid[h] = st_here || vr_here;
    assign h_r_addr[h*HalfAw +: HalfAw] = st_here ? st_r_addr[HalfAw-1:0] : vr_addr[HalfAw-1:0];

    always_ff @(posedge clk_i or negedge rst_n) begin
      if (!rst_n) begin
        h_rsp_vec_q[h] <= 1'b0;
        h_vr_hold_q[h] <= 1'b0;
      end else begin
        h_rsp_vec_q[h] <= !st_here;
        h_vr_hold_q[h] <= vr_here && !st_here && !h_r_ready[h];
      end
    end

    ts_acc #(.Dim(Dim), .Depth(HalfRows), .AddStages(AccAddStages)) u_acc (
      .clk_i      (clk_i),
      .rst_ni     (rst_n),
      .flags_clr_i(flags_clr),
      .flags_o    (acc_flags[h*FW +: FW]),
      .w_valid_i  (h_w_valid[h]),
      .w_ready_o  (h_w_ready[h]),
      .w_mode_i   (h_w_mode[2*h +: 2]),
      .w_addr_i   (h_w_addr[h*HalfAw +: HalfAw]),
      .w_data_i   (h_w_data[h*AccW +: AccW]),
      .r_valid_i  (h_r_valid[h]),
      .r_ready_o  (h_r_ready[h]),
      .r_addr_i   (h_r_addr[h*HalfAw +: HalfAw]),
      .rsp_valid_o(h_rsp_valid[h]),
      .rsp_data_o (h_rsp_data[h*AccW +: AccW])
    );
  end

  assign st_r_ready   = h_r_ready[st_half] && !h_vr_hold_q[st_half];
  assign vr_ready     = h_r_ready[vr_half] &&
                        !(st_r_valid && st_half == vr_half && !h_vr_hold_q[vr_half]);
  assign st_rsp_valid = |(h_rsp_valid & ~h_rsp_vec_q);
  assign st_rsp_data  = (h_rsp_valid[1] && !h_rsp_vec_q[1]) ? h_rsp_data[AccW +: AccW]
                                                            : h_rsp_data[0 +: AccW];
  assign vr_rsp_valid = |(h_rsp_valid & h_rsp_vec_q);
  assign vr_rsp_data  = (h_rsp_valid[1] && h_rsp_vec_q[1]) ? h_rsp_data[AccW +: AccW]
                                                           : h_rsp_data[0 +: AccW];

  // ------------------------------------------------------------------ clock gates
  // A unit's clock runs while it is busy, is offered a command, holds a completion, while
  // the DMA windows are written (they live in the load and store DMAs), and during reset
  // (so that every register, assertion history included, sees the reset).
  logic clk_ld, clk_ex, clk_st;

  ts_clock_gate #(.Bypass(!ClockGating)) u_cg_load (
    .clk_i    (clk_i),
    .en_i     (ld_busy || ld_valid || ld_done_valid || win_we || !rst_n),
    .test_en_i(1'b0),
    .clk_o    (clk_ld)
  );
  ts_clock_gate #(.Bypass(!ClockGating)) u_cg_exec (
    .clk_i    (clk_i),
    .en_i     (ex_busy || ex_valid || !rst_n),
    .test_en_i(1'b0),
    .clk_o    (clk_ex)
  );
  ts_clock_gate #(.Bypass(!ClockGating)) u_cg_store (
    .clk_i    (clk_i),
    .en_i     (st_busy || st_valid || st_done_valid || win_we || !rst_n),
    .test_en_i(1'b0),
    .clk_o    (clk_st)
  );

  // ------------------------------------------------------------------ units
  ts_load #(
    .Dim     (Dim),
    .ArId    (0),
    .Dmas    (LoadDmas),
    .MaxReads(MaxReads),
    .Windows (Windows),
    .SpadRows(SpadRows),
    .AccRows (AccRows),
    .CheckStages(DmaCheckStages)
  ) u_load (
    .clk_i           (clk_ld),
    .rst_ni          (rst_n),
    .cfg_win_we_i    (win_we),
    .cfg_win_idx_i   (win_idx),
    .cfg_win_base_i  (win_base),
    .cfg_win_last_i  (win_last),
    .cfg_win_perm_i  (win_perm),
    .cmd_valid_i     (ld_valid),
    .cmd_ready_o     (ld_ready),
    .cmd_target_i    (ld_target),
    .cmd_expand8_i   (ld_expand8),
    .cmd_dram_addr_i (ld_dram_addr),
    .cmd_stride_i    (ld_stride),
    .cmd_rows_i      (ld_rows),
    .cmd_bytes_i     (ld_bytes),
    .cmd_sram_addr_i (ld_sram_addr),
    .abort_i         (ld_abort),
    .done_valid_o    (ld_done_valid),
    .done_ready_i    (ld_done_ready),
    .done_status_o   (ld_done_status),
    .done_addr_o     (ld_done_addr),
    .sp_valid_o      (ld_sp_valid),
    .sp_ready_i      (sp_req_ready[2]),
    .sp_addr_o       (ld_sp_addr),
    .sp_data_o       (ld_sp_data),
    .acc_valid_o     (ld_acc_valid),
    .acc_ready_i     (ld_acc_ready),
    .acc_addr_o      (ld_acc_addr),
    .acc_data_o      (ld_acc_data),
    .m_axi_ar_valid_o(ld_ar_valid),
    .m_axi_ar_ready_i(ld_ar_ready),
    .m_axi_ar_id_o   (ld_ar_id),
    .m_axi_ar_addr_o (ld_ar_addr),
    .m_axi_ar_len_o  (ld_ar_len),
    .m_axi_ar_size_o (ld_ar_size),
    .m_axi_ar_burst_o(ld_ar_burst),
    .m_axi_r_valid_i (ld_r_valid),
    .m_axi_r_ready_o (ld_r_ready),
    .m_axi_r_id_i    (m_axi_r_id_i),
    .m_axi_r_data_i  (m_axi_r_data_i),
    .m_axi_r_resp_i  (m_axi_r_resp_i),
    .m_axi_r_last_i  (m_axi_r_last_i),
    .busy_o          (ld_busy)
  );

  ts_exec #(.Dim(Dim), .SpadRows(SpadRows), .AccRows(AccRows), .PeMulStages(PeMulStages),
    .PeAddStages(PeAddStages)) u_exec (
    .clk_i           (clk_ex),
    .rst_ni          (rst_n),
    .cmd_valid_i     (ex_valid),
    .cmd_ready_o     (ex_ready),
    .cmd_dtype_i     (ex_dtype),
    .cmd_a_trans_i   (ex_a_trans),
    .cmd_b_trans_i   (ex_b_trans),
    .cmd_accumulate_i(ex_accumulate),
    .cmd_m_i         (ex_m),
    .cmd_n_i         (ex_n),
    .cmd_k_i         (ex_k),
    .cmd_a_addr_i    (ex_a_addr),
    .cmd_b_addr_i    (ex_b_addr),
    .cmd_c_addr_i    (ex_c_addr),
    .cmd_a_stride_i  (ex_a_stride),
    .cmd_b_stride_i  (ex_b_stride),
    .cmd_c_stride_i  (ex_c_stride),
    .done_valid_o    (ex_done_valid),
    .done_ready_i    (ex_done_ready),
    .done_err_o      (ex_done_err),
    .ar_valid_o      (ex_ar_valid),
    .ar_ready_i      (sp_req_ready[0]),
    .ar_addr_o       (ex_ar_addr),
    .ar_rdata_i      (sp_rsp_rdata[0 +: SpW]),
    .wr_valid_o      (ex_wr_valid),
    .wr_ready_i      (sp_req_ready[1] && !vs_go),
    .wr_addr_o       (ex_wr_addr),
    .wr_rdata_i      (sp_rsp_rdata[SpW +: SpW]),
    .acc_valid_o     (ex_acc_valid),
    .acc_ready_i     (ex_acc_ready),
    .acc_mode_o      (ex_acc_mode),
    .acc_addr_o      (ex_acc_addr),
    .acc_data_o      (ex_acc_data),
    .flags_valid_o   (ex_flags_valid),
    .flags_o         (ex_flags),
    .macs_o          (ex_macs),
    .busy_o          (ex_busy),
    .row_fire_o      (ex_row)
  );

  ts_store #(
    .Dim      (Dim),
    .AwId     (0),
    .MaxWrites(MaxWrites),
    .Windows  (Windows),
    .AccRows  (AccRows),
    .Dmas     (StoreDmas),
    .ConvStages(StoreStages),
    .CheckStages(DmaCheckStages)
  ) u_store (
    .clk_i           (clk_st),
    .rst_ni          (rst_n),
    .cfg_win_we_i    (win_we),
    .cfg_win_idx_i   (win_idx),
    .cfg_win_base_i  (win_base),
    .cfg_win_last_i  (win_last),
    .cfg_win_perm_i  (win_perm),
    .cmd_valid_i     (st_valid),
    .cmd_ready_o     (st_ready),
    .cmd_format_i    (st_format),
    .cmd_dram_addr_i (st_dram_addr),
    .cmd_stride_i    (st_stride),
    .cmd_rows_i      (st_rows),
    .cmd_cols_i      (st_cols),
    .cmd_acc_addr_i  (st_acc_addr),
    .cmd_mult_i      (st_mult),
    .cmd_shift_i     (st_shift),
    .cmd_zp_i        (st_zp),
    .abort_i         (st_abort),
    .done_valid_o    (st_done_valid),
    .done_ready_i    (st_done_ready),
    .done_status_o   (st_done_status),
    .done_addr_o     (st_done_addr),
    .acc_r_valid_o   (st_r_valid),
    .acc_r_ready_i   (st_r_ready),
    .acc_r_addr_o    (st_r_addr),
    .acc_rsp_valid_i (st_rsp_valid),
    .acc_rsp_data_i  (st_rsp_data),
    .flags_valid_o   (st_flags_valid),
    .flags_o         (st_flags),
    .m_axi_aw_valid_o(st_aw_valid),
    .m_axi_aw_ready_i(st_aw_ready),
    .m_axi_aw_id_o   (st_aw_id),
    .m_axi_aw_addr_o (st_aw_addr),
    .m_axi_aw_len_o  (st_aw_len),
    .m_axi_aw_size_o (st_aw_size),
    .m_axi_aw_burst_o(st_aw_burst),
    .m_axi_w_valid_o (st_w_valid),
    .m_axi_w_ready_i (st_w_ready),
    .m_axi_w_data_o  (st_w_data),
    .m_axi_w_strb_o  (st_w_strb),
    .m_axi_w_last_o  (st_w_last),
    .m_axi_b_valid_i (st_b_valid),
    .m_axi_b_ready_o (st_b_ready),
    .m_axi_b_id_i    (m_axi_b_id_i),
    .m_axi_b_resp_i  (m_axi_b_resp_i),
    .busy_o          (st_busy)
  );

  // ------------------------------------------------------------------ AdamW unit
  // The write channels: the store's, or the AdamW unit's while it is busy (it runs only
  // when no STORE does). B goes by ID (AdamW: 4-7).
  logic             st_aw_valid, st_aw_ready, st_w_valid, st_w_ready, st_w_last;
  logic             st_b_valid, st_b_ready;
  logic [3:0]       st_aw_id;
  logic [31:0]      st_aw_addr;
  logic [7:0]       st_aw_len;
  logic [2:0]       st_aw_size;
  logic [1:0]       st_aw_burst;
  logic [DW-1:0]    st_w_data;
  logic [BusBytes-1:0] st_w_strb;
  logic             a_aw_valid, a_aw_ready, a_w_valid, a_w_ready, a_w_last;
  logic             a_b_valid, a_b_ready;
  logic [3:0]       a_aw_id;
  logic [31:0]      a_aw_addr;
  logic [7:0]       a_aw_len;
  logic [2:0]       a_aw_size;
  logic [1:0]       a_aw_burst;
  logic [DW-1:0]    a_w_data;
  logic [BusBytes-1:0] a_w_strb;

  assign m_axi_aw_valid_o = aw_busy ? a_aw_valid : st_aw_valid;
  assign m_axi_aw_id_o    = aw_busy ? a_aw_id    : st_aw_id;
  assign m_axi_aw_addr_o  = aw_busy ? a_aw_addr  : st_aw_addr;
  assign m_axi_aw_len_o   = aw_busy ? a_aw_len   : st_aw_len;
  assign m_axi_aw_size_o  = aw_busy ? a_aw_size  : st_aw_size;
  assign m_axi_aw_burst_o = aw_busy ? a_aw_burst : st_aw_burst;
  assign m_axi_w_valid_o  = aw_busy ? a_w_valid  : st_w_valid;
  assign m_axi_w_data_o   = aw_busy ? a_w_data   : st_w_data;
  assign m_axi_w_strb_o   = aw_busy ? a_w_strb   : st_w_strb;
  assign m_axi_w_last_o   = aw_busy ? a_w_last   : st_w_last;
  assign a_aw_ready       = aw_busy && m_axi_aw_ready_i;
  assign st_aw_ready      = !aw_busy && m_axi_aw_ready_i;
  assign a_w_ready        = aw_busy && m_axi_w_ready_i;
  assign st_w_ready       = !aw_busy && m_axi_w_ready_i;
  assign a_b_valid        = m_axi_b_valid_i && m_axi_b_id_i[2];
  assign st_b_valid       = m_axi_b_valid_i && !m_axi_b_id_i[2];
  assign m_axi_b_ready_o  = m_axi_b_id_i[2] ? a_b_ready : st_b_ready;

  if (AdamwLanes > 0) begin : g_adamw
    logic clk_aw;
    logic nonfinite, skipped;
    ts_clock_gate #(.Bypass(!ClockGating)) u_cg_adamw (
      .clk_i    (clk_i),
      .en_i     (aw_busy || aw_valid || win_we || !rst_n),
      .test_en_i(1'b0),
      .clk_o    (clk_aw)
    );
    ts_adamw #(
      .Lanes   (AdamwLanes),
      .BusBytes(BusBytes),
      .Windows (Windows)
    ) u_adamw (
      .clk_i        (clk_aw),
      .rst_ni       (rst_n),
      .win_we_i     (win_we),
      .win_idx_i    (win_idx),
      .win_base_i   (win_base),
      .win_last_i   (win_last),
      .win_perm_i   (win_perm),
      .cmd_valid_i  (aw_valid),
      .cmd_ready_o  (aw_ready),
      .step_i       (aw_cmd[ts_isa_pkg::AdamwStepPos]),
      .gfmt_i       (aw_cmd[ts_isa_pkg::AdamwGfmtPos +: 2]),
      .clear_i      (aw_cmd[ts_isa_pkg::AdamwClearPos]),
      .skip_i       (aw_cmd[ts_isa_pkg::AdamwSkipPos]),
      .p16_i        (aw_cmd[ts_isa_pkg::AdamwP16Pos]),
      .p16fmt_i     (aw_cmd[ts_isa_pkg::AdamwP16fmtPos]),
      .decay_i      (aw_cmd[ts_isa_pkg::AdamwDecayPos]),
      .n_i          (aw_cmd[ts_isa_pkg::AdamwNPos +: 32]),
      .addr_i       ({aw_cmd[ts_isa_pkg::AdamwP16AddrPos +: 32],
                      aw_cmd[ts_isa_pkg::AdamwVAddrPos +: 32],
                      aw_cmd[ts_isa_pkg::AdamwMAddrPos +: 32],
                      aw_cmd[ts_isa_pkg::AdamwPAddrPos +: 32],
                      aw_cmd[ts_isa_pkg::AdamwGAddrPos +: 32],
                      aw_cmd[ts_isa_pkg::AdamwScalarsAddrPos +: 32]}),
      .done_valid_o (aw_done_valid),
      .done_ready_i (aw_done_ready),
      .done_status_o(aw_done_status),
      .done_addr_o  (aw_done_addr),
      .busy_o       (aw_busy),
      .flags_o      (aw_flags),
      .sumsq_o      (aw_sumsq),
      .nonfinite_o  (nonfinite),
      .skipped_o    (skipped),
      .ar_valid_o   (a_ar_valid),
      .ar_ready_i   (a_ar_ready),
      .ar_id_o      (a_ar_id),
      .ar_addr_o    (a_ar_addr),
      .ar_len_o     (a_ar_len),
      .ar_size_o    (a_ar_size),
      .ar_burst_o   (a_ar_burst),
      .r_valid_i    (a_r_valid),
      .r_ready_o    (a_r_ready),
      .r_id_i       (m_axi_r_id_i),
      .r_data_i     (m_axi_r_data_i),
      .r_resp_i     (m_axi_r_resp_i),
      .r_last_i     (m_axi_r_last_i),
      .aw_valid_o   (a_aw_valid),
      .aw_ready_i   (a_aw_ready),
      .aw_id_o      (a_aw_id),
      .aw_addr_o    (a_aw_addr),
      .aw_len_o     (a_aw_len),
      .aw_size_o    (a_aw_size),
      .aw_burst_o   (a_aw_burst),
      .w_valid_o    (a_w_valid),
      .w_ready_i    (a_w_ready),
      .w_data_o     (a_w_data),
      .w_strb_o     (a_w_strb),
      .w_last_o     (a_w_last),
      .b_valid_i    (a_b_valid),
      .b_ready_o    (a_b_ready),
      .b_id_i       (m_axi_b_id_i),
      .b_resp_i     (m_axi_b_resp_i)
    );
    assign aw_status = {skipped, nonfinite};
  end else begin : g_no_adamw
    // ADAMW is refused at fetch (Opcode): nothing can reach these.
    logic unused_aw;
    assign unused_aw     = ^{aw_valid, aw_cmd, aw_done_ready, a_ar_ready, a_r_valid, a_aw_ready,
                             a_w_ready, a_b_valid};
    assign aw_ready      = 1'b0;
    assign aw_done_valid = 1'b0;
    assign aw_done_status = '0;
    assign aw_done_addr  = '0;
    assign aw_busy       = 1'b0;
    assign aw_flags      = '0;
    assign aw_sumsq      = '0;
    assign aw_status     = '0;
    assign a_ar_valid    = 1'b0;
    assign a_ar_id       = '0;
    assign a_ar_addr     = '0;
    assign a_ar_len      = '0;
    assign a_ar_size     = '0;
    assign a_ar_burst    = '0;
    assign a_r_ready     = 1'b0;
    assign a_aw_valid    = 1'b0;
    assign a_aw_id       = '0;
    assign a_aw_addr     = '0;
    assign a_aw_len      = '0;
    assign a_aw_size     = '0;
    assign a_aw_burst    = '0;
    assign a_w_valid     = 1'b0;
    assign a_w_data      = '0;
    assign a_w_strb      = '0;
    assign a_w_last      = 1'b0;
    assign a_b_ready     = 1'b0;
  end

  // ------------------------------------------------------------------ vector unit
  if (Vec) begin : g_vec
    logic clk_vec;
    ts_clock_gate #(.Bypass(!ClockGating)) u_cg_vec (
      .clk_i    (clk_i),
      .en_i     (vec_busy || vec_valid || vec_done_valid || !rst_n),
      .test_en_i(1'b0),
      .clk_o    (clk_vec)
    );
    ts_vec #(
      .Dim     (Dim),
      .AccRows (AccRows),
      .SpadRows(SpadRows),
      .DivSqrt (VecDivSqrt)
    ) u_vec (
      .clk_i          (clk_vec),
      .rst_ni         (rst_n),
      .cmd_valid_i    (vec_valid),
      .cmd_ready_o    (vec_ready),
      .cmd_op1_i      (vec_cmd[ts_isa_pkg::VecOp1Pos +: 3]),
      .cmd_bsrc_i     (vec_cmd[ts_isa_pkg::VecBsrcPos +: 2]),
      .cmd_fn_i       (vec_cmd[ts_isa_pkg::VecFnPos +: 3]),
      .cmd_red_i      (vec_cmd[ts_isa_pkg::VecRedPos +: 2]),
      .cmd_racc_i     (vec_cmd[ts_isa_pkg::VecRaccPos]),
      .cmd_sat_i      (vec_cmd[ts_isa_pkg::VecSatPos]),
      .cmd_mask_i     (vec_cmd[ts_isa_pkg::VecMaskPos +: 2]),
      .cmd_dst_i      (vec_cmd[ts_isa_pkg::VecDstPos +: 2]),
      .cmd_rows_i     (vec_cmd[ts_isa_pkg::VecRowsPos +: 16]),
      .cmd_cols_i     (vec_cmd[ts_isa_pkg::VecColsPos +: 16]),
      .cmd_a_addr_i   (vec_cmd[ts_isa_pkg::VecAAddrPos +: 32]),
      .cmd_b_addr_i   (vec_cmd[ts_isa_pkg::VecBAddrPos +: 32]),
      .cmd_d_addr_i   (vec_cmd[ts_isa_pkg::VecDAddrPos +: 32]),
      .cmd_r_addr_i   (vec_cmd[ts_isa_pkg::VecRAddrPos +: 32]),
      .cmd_stride_i   (vec_cmd[ts_isa_pkg::VecStridePos +: 16]),
      .cmd_moff_i     (vec_cmd[ts_isa_pkg::VecMoffPos +: 16]),
      .cmd_imm_i      (vec_cmd[ts_isa_pkg::VecImmPos +: 32]),
      .done_valid_o   (vec_done_valid),
      .done_ready_i   (vec_done_ready),
      .done_flags_o   (vec_done_flags),
      .busy_o         (vec_busy),
      .acc_r_valid_o  (vr_valid),
      .acc_r_ready_i  (vr_ready),
      .acc_r_addr_o   (vr_addr),
      .acc_rsp_valid_i(vr_rsp_valid),
      .acc_rsp_data_i (vr_rsp_data),
      .acc_w_valid_o  (vw_valid),
      .acc_w_ready_i  (vw_ready),
      .acc_w_addr_o   (vw_addr),
      .acc_w_data_o   (vw_data),
      .sp_w_valid_o   (vs_valid),
      .sp_w_ready_i   (sp_req_ready[1] && vs_go),
      .sp_w_addr_o    (vs_addr),
      .sp_w_data_o    (vs_data)
    );
  end else begin : g_no_vec
    // VEC is refused at fetch (Opcode): nothing can reach these.
    logic unused_vec;
    assign unused_vec     = ^{vec_valid, vec_cmd, vec_done_ready, vr_ready, vr_rsp_valid,
                              vr_rsp_data, vw_ready};
    assign vec_ready      = 1'b0;
    assign vec_done_valid = 1'b0;
    assign vec_done_flags = '0;
    assign vec_busy       = 1'b0;
    assign vr_valid       = 1'b0;
    assign vr_addr        = '0;
    assign vw_valid       = 1'b0;
    assign vw_addr        = '0;
    assign vw_data        = '0;
    assign vs_valid       = 1'b0;
    assign vs_addr        = '0;
    assign vs_data        = '0;
  end

  // Assertions
  `TS_ASSERT_INIT(a_acc_rows, AccRows >= 4 && (1 << AccAw) == AccRows,
                  "AccRows must be a power of two >= 4")
  `TS_ASSERT_INIT(a_spad, SpadRows % SpadBanks == 0, "SpadRows must be a multiple of SpadBanks")
  // A half refuses a matrix-unit result only to let a read through that already waited
  // (AccAddStages = 1; a pipelined half also makes an accumulation of a row in flight wait).
  `TS_ASSERT(a_acc_refuses_for_read, !ex_acc_valid || h_w_ready[ex_half] || h_r_valid[ex_half] ||
             (AccAddStages > 1), clk_i, rst_n,
             "the accumulator refused a matrix-unit result with no read waiting")

endmodule
