// SPDX-License-Identifier: Apache-2.0
// DMA + banked scratchpad subsystem: the DMA owns spad port 0, port 1 is brought out.
//
// Used by the DMA tests, the netlist check and the benchmark, and a template for the chip
// top. Scratchpad rows are DataW bits (Dim = DataW / 16 elements). Port 1 lets a test (or
// the matrix unit) use the scratchpad during a transfer and so create bank conflicts.
`include "ts_assert.svh"

module ts_dma_spad #(
  parameter int unsigned DataW     = 64,
  parameter int unsigned AddrW     = 32,
  parameter int unsigned IdW       = 4,
  parameter int unsigned MaxReads  = 4,
  parameter int unsigned MaxWrites = 4,
  parameter int unsigned Windows   = 2,
  parameter int unsigned Banks     = 2,
  parameter int unsigned Depth     = 16,  // rows per bank
  parameter int unsigned CheckStages = 1, // cycles of the DMA's descriptor check (1 or 2)
  localparam int unsigned B        = DataW / 8,
  localparam int unsigned Rows     = Banks * Depth,
  localparam int unsigned SramAw   = $clog2(Rows),
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  input  logic              cfg_win_we_i,
  input  logic [WinW-1:0]   cfg_win_idx_i,
  input  logic [AddrW-1:0]  cfg_win_base_i,
  input  logic [AddrW-1:0]  cfg_win_last_i,
  input  logic [1:0]        cfg_win_perm_i,
  input  logic              desc_valid_i,
  output logic              desc_ready_o,
  input  logic              desc_dir_i,
  input  logic [AddrW-1:0]  desc_dram_addr_i,
  input  logic [15:0]       desc_rows_i,
  input  logic [15:0]       desc_bpr_i,
  input  logic [AddrW-1:0]  desc_stride_i,
  input  logic [SramAw-1:0] desc_sram_addr_i,
  output logic              cpl_valid_o,
  input  logic              cpl_ready_i,
  output logic [3:0]        cpl_status_o,
  output logic [AddrW-1:0]  cpl_addr_o,
  output logic              busy_o,
  // Scratchpad port 1.
  input  logic              ext_req_valid_i,
  output logic              ext_req_ready_o,
  input  logic              ext_req_we_i,
  input  logic [SramAw-1:0] ext_req_addr_i,
  input  logic [DataW-1:0]  ext_req_wdata_i,
  output logic              ext_rsp_valid_o,
  output logic [DataW-1:0]  ext_rsp_rdata_o,
  output logic [1:0]        conflict_o,
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

  logic              sram_valid, sram_ready, sram_we, sram_rsp_valid, unused_target;
  logic              unused_req_idle;
  logic [SramAw-1:0] sram_addr;
  logic [DataW-1:0]  sram_wdata, sram_rdata;
  logic [1:0]        rsp_valid, req_ready;
  logic [2*DataW-1:0] rsp_rdata;

  ts_dma #(
    .DataW    (DataW),
    .AddrW    (AddrW),
    .IdW      (IdW),
    .MaxReads (MaxReads),
    .MaxWrites(MaxWrites),
    .Windows  (Windows),
    .SramAw   (SramAw),
    .SramRows (Rows),
    .RowsW    (16),
    .BprW     (16),
    .CheckStages(CheckStages)
  ) u_dma (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .cfg_win_we_i    (cfg_win_we_i),
    .cfg_win_idx_i   (cfg_win_idx_i),
    .cfg_win_base_i  (cfg_win_base_i),
    .cfg_win_last_i  (cfg_win_last_i),
    .cfg_win_perm_i  (cfg_win_perm_i),
    .desc_valid_i    (desc_valid_i),
    .desc_ready_o    (desc_ready_o),
    .desc_dir_i      (desc_dir_i),
    .desc_target_i   (1'b0),
    .desc_dram_addr_i(desc_dram_addr_i),
    .desc_rows_i     (desc_rows_i),
    .desc_bpr_i      (desc_bpr_i),
    .desc_stride_i   (desc_stride_i),
    .desc_sram_addr_i(desc_sram_addr_i),
    .cpl_valid_o     (cpl_valid_o),
    .cpl_ready_i     (cpl_ready_i),
    .cpl_status_o    (cpl_status_o),
    .cpl_addr_o      (cpl_addr_o),
    .abort_i         (1'b0),
    .busy_o          (busy_o),
    .req_idle_o      (unused_req_idle),
    .sram_target_o   (unused_target),
    .sram_req_valid_o(sram_valid),
    .sram_req_ready_i(sram_ready),
    .sram_req_we_o   (sram_we),
    .sram_req_addr_o (sram_addr),
    .sram_req_wdata_o(sram_wdata),
    .sram_rsp_valid_i(sram_rsp_valid),
    .sram_rsp_rdata_i(sram_rdata),
    .m_axi_ar_valid_o(m_axi_ar_valid_o),
    .m_axi_ar_ready_i(m_axi_ar_ready_i),
    .m_axi_ar_id_o   (m_axi_ar_id_o),
    .m_axi_ar_addr_o (m_axi_ar_addr_o),
    .m_axi_ar_len_o  (m_axi_ar_len_o),
    .m_axi_ar_size_o (m_axi_ar_size_o),
    .m_axi_ar_burst_o(m_axi_ar_burst_o),
    .m_axi_r_valid_i (m_axi_r_valid_i),
    .m_axi_r_ready_o (m_axi_r_ready_o),
    .m_axi_r_id_i    (m_axi_r_id_i),
    .m_axi_r_data_i  (m_axi_r_data_i),
    .m_axi_r_resp_i  (m_axi_r_resp_i),
    .m_axi_r_last_i  (m_axi_r_last_i),
    .m_axi_aw_valid_o(m_axi_aw_valid_o),
    .m_axi_aw_ready_i(m_axi_aw_ready_i),
    .m_axi_aw_id_o   (m_axi_aw_id_o),
    .m_axi_aw_addr_o (m_axi_aw_addr_o),
    .m_axi_aw_len_o  (m_axi_aw_len_o),
    .m_axi_aw_size_o (m_axi_aw_size_o),
    .m_axi_aw_burst_o(m_axi_aw_burst_o),
    .m_axi_w_valid_o (m_axi_w_valid_o),
    .m_axi_w_ready_i (m_axi_w_ready_i),
    .m_axi_w_data_o  (m_axi_w_data_o),
    .m_axi_w_strb_o  (m_axi_w_strb_o),
    .m_axi_w_last_o  (m_axi_w_last_o),
    .m_axi_b_valid_i (m_axi_b_valid_i),
    .m_axi_b_ready_o (m_axi_b_ready_o),
    .m_axi_b_id_i    (m_axi_b_id_i),
    .m_axi_b_resp_i  (m_axi_b_resp_i)
  );

  ts_spad #(.Dim(DataW / 16), .Banks(Banks), .Depth(Depth), .Ports(2)) u_spad (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .req_valid_i({ext_req_valid_i, sram_valid}),
    .req_ready_o(req_ready),
    .req_we_i   ({ext_req_we_i, sram_we}),
    .req_addr_i ({ext_req_addr_i, sram_addr}),
    .req_wdata_i({ext_req_wdata_i, sram_wdata}),
    .rsp_valid_o(rsp_valid),
    .rsp_rdata_o(rsp_rdata),
    .conflict_o (conflict_o)
  );

  assign sram_ready      = req_ready[0];
  assign ext_req_ready_o = req_ready[1];
  assign sram_rsp_valid  = rsp_valid[0];
  assign sram_rdata      = rsp_rdata[DataW-1:0];
  assign ext_rsp_valid_o = rsp_valid[1];
  assign ext_rsp_rdata_o = rsp_rdata[2*DataW-1:DataW];

  logic unused;
  assign unused = unused_target ^ unused_req_idle;

endmodule
