// SPDX-License-Identifier: Apache-2.0
// Test top for the LOAD/STORE units: ts_load and ts_store on one scratchpad and accumulator.
//
// Used by tests/lsu (RTL and Yosys netlist). ts_load writes scratchpad port 0 and the
// accumulator's write port; ts_store reads the accumulator. Backdoor ports let a test
// read and write both memories and make traffic: scratchpad port 1 (bank conflicts for
// the load), accumulator writes (priority over the load; accumulating ones also stall
// the accumulator read port) and accumulator reads (priority over the store). The two
// units share one AXI4 master port: the load uses AR/R, the store AW/W/B.
`include "ts_assert.svh"

module ts_lsu_tb_top #(
  parameter int unsigned Dim       = 4,
  parameter int unsigned SpadBanks = 2,
  parameter int unsigned SpadRows  = 64,
  parameter int unsigned AccRows   = 32,
  parameter int unsigned MaxReads  = 2,
  parameter int unsigned MaxWrites = 2,
  parameter int unsigned Windows   = 2,
  parameter int unsigned LoadDmas  = 1,
  parameter int unsigned StoreDmas = 1,
  parameter int unsigned ConvStages = 1,  // ts_store's converter stages
  parameter int unsigned CheckStages = 1, // both DMAs' descriptor check cycles
  localparam int unsigned DataW    = Dim * 16,
  localparam int unsigned AccW     = Dim * 32,
  localparam int unsigned SpAw     = $clog2(SpadRows),
  localparam int unsigned AccAw    = $clog2(AccRows),
  localparam int unsigned WinW     = (Windows > 1) ? $clog2(Windows) : 1,
  localparam int unsigned IdW      = 4
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     cfg_win_we_i,
  input  logic [WinW-1:0]          cfg_win_idx_i,
  input  logic [31:0]              cfg_win_base_i,
  input  logic [31:0]              cfg_win_last_i,
  input  logic [1:0]               cfg_win_perm_i,
  // LOAD.
  input  logic                     ld_cmd_valid_i,
  output logic                     ld_cmd_ready_o,
  input  logic                     ld_cmd_target_i,
  input  logic                     ld_cmd_expand8_i,
  input  logic [31:0]              ld_cmd_dram_addr_i,
  input  logic [31:0]              ld_cmd_stride_i,
  input  logic [15:0]              ld_cmd_rows_i,
  input  logic [15:0]              ld_cmd_bytes_i,
  input  logic [31:0]              ld_cmd_sram_addr_i,
  input  logic                     ld_abort_i,
  output logic                     ld_done_valid_o,
  input  logic                     ld_done_ready_i,
  output logic [3:0]               ld_done_status_o,
  output logic [31:0]              ld_done_addr_o,
  output logic                     ld_busy_o,
  // STORE.
  input  logic                     st_cmd_valid_i,
  output logic                     st_cmd_ready_o,
  input  logic [1:0]               st_cmd_format_i,
  input  logic [31:0]              st_cmd_dram_addr_i,
  input  logic [31:0]              st_cmd_stride_i,
  input  logic [15:0]              st_cmd_rows_i,
  input  logic [15:0]              st_cmd_cols_i,
  input  logic [31:0]              st_cmd_acc_addr_i,
  input  logic [31:0]              st_cmd_mult_i,
  input  logic [5:0]               st_cmd_shift_i,
  input  logic [7:0]               st_cmd_zp_i,
  input  logic                     st_abort_i,
  output logic                     st_done_valid_o,
  input  logic                     st_done_ready_i,
  output logic [3:0]               st_done_status_o,
  output logic [31:0]              st_done_addr_o,
  output logic                     st_flags_valid_o,
  output logic [ts_pkg::FlagW-1:0] st_flags_o,
  output logic                     st_busy_o,
  // Scratchpad backdoor (port 1).
  input  logic                     bd_sp_valid_i,
  output logic                     bd_sp_ready_o,
  input  logic                     bd_sp_we_i,
  input  logic [SpAw-1:0]          bd_sp_addr_i,
  input  logic [DataW-1:0]         bd_sp_wdata_i,
  output logic                     bd_sp_rsp_valid_o,
  output logic [DataW-1:0]         bd_sp_rsp_data_o,
  // Accumulator backdoor: writes (always accepted) and reads.
  input  logic                     bd_acc_w_valid_i,
  input  logic [1:0]               bd_acc_w_mode_i,
  input  logic [AccAw-1:0]         bd_acc_w_addr_i,
  input  logic [AccW-1:0]          bd_acc_w_data_i,
  input  logic                     bd_acc_r_valid_i,
  output logic                     bd_acc_r_ready_o,
  input  logic [AccAw-1:0]         bd_acc_r_addr_i,
  output logic                     bd_acc_rsp_valid_o,
  output logic [AccW-1:0]          bd_acc_rsp_data_o,
  // AXI4 master (AR/R from the load, AW/W/B from the store).
  output logic                     m_axi_ar_valid_o,
  input  logic                     m_axi_ar_ready_i,
  output logic [IdW-1:0]           m_axi_ar_id_o,
  output logic [31:0]              m_axi_ar_addr_o,
  output logic [7:0]               m_axi_ar_len_o,
  output logic [2:0]               m_axi_ar_size_o,
  output logic [1:0]               m_axi_ar_burst_o,
  input  logic                     m_axi_r_valid_i,
  output logic                     m_axi_r_ready_o,
  input  logic [IdW-1:0]           m_axi_r_id_i,
  input  logic [DataW-1:0]         m_axi_r_data_i,
  input  logic [1:0]               m_axi_r_resp_i,
  input  logic                     m_axi_r_last_i,
  output logic                     m_axi_aw_valid_o,
  input  logic                     m_axi_aw_ready_i,
  output logic [IdW-1:0]           m_axi_aw_id_o,
  output logic [31:0]              m_axi_aw_addr_o,
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
  input  logic [1:0]               m_axi_b_resp_i
);

  logic             sp_valid, sp_ready, ld_acc_valid, ld_acc_ready;
  logic [SpAw-1:0]  sp_addr;
  logic [DataW-1:0] sp_data;
  logic [AccAw-1:0] ld_acc_addr;
  logic [AccW-1:0]  ld_acc_data;

  ts_load #(
    .Dim     (Dim),
    .AddrW   (32),
    .IdW     (IdW),
    .ArId    (1),
    .Dmas    (LoadDmas),
    .MaxReads(MaxReads),
    .Windows (Windows),
    .SpadRows(SpadRows),
    .AccRows (AccRows),
    .CheckStages(CheckStages)
  ) u_load (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .cfg_win_we_i    (cfg_win_we_i),
    .cfg_win_idx_i   (cfg_win_idx_i),
    .cfg_win_base_i  (cfg_win_base_i),
    .cfg_win_last_i  (cfg_win_last_i),
    .cfg_win_perm_i  (cfg_win_perm_i),
    .cmd_valid_i     (ld_cmd_valid_i),
    .cmd_ready_o     (ld_cmd_ready_o),
    .cmd_target_i    (ld_cmd_target_i),
    .cmd_expand8_i   (ld_cmd_expand8_i),
    .cmd_dram_addr_i (ld_cmd_dram_addr_i),
    .cmd_stride_i    (ld_cmd_stride_i),
    .cmd_rows_i      (ld_cmd_rows_i),
    .cmd_bytes_i     (ld_cmd_bytes_i),
    .cmd_sram_addr_i (ld_cmd_sram_addr_i),
    .abort_i         (ld_abort_i),
    .done_valid_o    (ld_done_valid_o),
    .done_ready_i    (ld_done_ready_i),
    .done_status_o   (ld_done_status_o),
    .done_addr_o     (ld_done_addr_o),
    .sp_valid_o      (sp_valid),
    .sp_ready_i      (sp_ready),
    .sp_addr_o       (sp_addr),
    .sp_data_o       (sp_data),
    .acc_valid_o     (ld_acc_valid),
    .acc_ready_i     (ld_acc_ready),
    .acc_addr_o      (ld_acc_addr),
    .acc_data_o      (ld_acc_data),
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
    .busy_o          (ld_busy_o)
  );

  logic             st_r_valid, st_r_ready, st_rsp_valid;
  logic [AccAw-1:0] st_r_addr;

  ts_store #(
    .Dim      (Dim),
    .AddrW    (32),
    .IdW      (IdW),
    .AwId     (2),
    .MaxWrites(MaxWrites),
    .Windows  (Windows),
    .AccRows  (AccRows),
    .Dmas     (StoreDmas),
    .ConvStages(ConvStages),
    .CheckStages(CheckStages)
  ) u_store (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .cfg_win_we_i    (cfg_win_we_i),
    .cfg_win_idx_i   (cfg_win_idx_i),
    .cfg_win_base_i  (cfg_win_base_i),
    .cfg_win_last_i  (cfg_win_last_i),
    .cfg_win_perm_i  (cfg_win_perm_i),
    .cmd_valid_i     (st_cmd_valid_i),
    .cmd_ready_o     (st_cmd_ready_o),
    .cmd_format_i    (st_cmd_format_i),
    .cmd_dram_addr_i (st_cmd_dram_addr_i),
    .cmd_stride_i    (st_cmd_stride_i),
    .cmd_rows_i      (st_cmd_rows_i),
    .cmd_cols_i      (st_cmd_cols_i),
    .cmd_acc_addr_i  (st_cmd_acc_addr_i),
    .cmd_mult_i      (st_cmd_mult_i),
    .cmd_shift_i     (st_cmd_shift_i),
    .cmd_zp_i        (st_cmd_zp_i),
    .abort_i         (st_abort_i),
    .done_valid_o    (st_done_valid_o),
    .done_ready_i    (st_done_ready_i),
    .done_status_o   (st_done_status_o),
    .done_addr_o     (st_done_addr_o),
    .acc_r_valid_o   (st_r_valid),
    .acc_r_ready_i   (st_r_ready),
    .acc_r_addr_o    (st_r_addr),
    .acc_rsp_valid_i (st_rsp_valid),
    .acc_rsp_data_i  (bd_acc_rsp_data_o),
    .flags_valid_o   (st_flags_valid_o),
    .flags_o         (st_flags_o),
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
    .m_axi_b_resp_i  (m_axi_b_resp_i),
    .busy_o          (st_busy_o)
  );

  // Scratchpad: port 0 the load (write only), port 1 the backdoor.
  logic [1:0]         sp_req_ready, sp_rsp_valid, unused_conflict;
  logic [2*DataW-1:0] sp_rsp_data;

  ts_spad #(
    .Dim  (Dim),
    .Banks(SpadBanks),
    .Depth(SpadRows / SpadBanks),
    .Ports(2)
  ) u_spad (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .req_valid_i({bd_sp_valid_i, sp_valid}),
    .req_ready_o(sp_req_ready),
    .req_we_i   ({bd_sp_we_i, 1'b1}),
    .req_addr_i ({bd_sp_addr_i, sp_addr}),
    .req_wdata_i({bd_sp_wdata_i, sp_data}),
    .rsp_valid_o(sp_rsp_valid),
    .rsp_rdata_o(sp_rsp_data),
    .conflict_o (unused_conflict)
  );

  assign sp_ready          = sp_req_ready[0];
  assign bd_sp_ready_o     = sp_req_ready[1];
  assign bd_sp_rsp_valid_o = sp_rsp_valid[1];
  assign bd_sp_rsp_data_o  = sp_rsp_data[2*DataW-1:DataW];

  // Accumulator: backdoor writes and reads take priority over the units, except that a
  // store read already waiting keeps the port (ts_acc requires a waiting read to hold).
  logic             acc_w_valid, acc_r_valid, acc_r_ready, acc_rsp_valid, bd_rd_q;
  logic             st_sel, st_hold_q;
  logic [1:0]       acc_w_mode;
  logic [AccAw-1:0] acc_w_addr, acc_r_addr;
  logic [AccW-1:0]  acc_w_data;
  logic             unused_w_ready;
  logic [ts_pkg::FlagW-1:0] unused_acc_flags;

  always_comb begin
    acc_w_valid  = bd_acc_w_valid_i || ld_acc_valid;
    acc_w_mode   = bd_acc_w_valid_i ? bd_acc_w_mode_i : 2'd0;
    acc_w_addr   = bd_acc_w_valid_i ? bd_acc_w_addr_i : ld_acc_addr;
    acc_w_data   = bd_acc_w_valid_i ? bd_acc_w_data_i : ld_acc_data;
    ld_acc_ready = !bd_acc_w_valid_i;
    st_sel       = st_hold_q || !bd_acc_r_valid_i;
    acc_r_valid  = bd_acc_r_valid_i || st_r_valid;
    acc_r_addr   = st_sel ? st_r_addr : bd_acc_r_addr_i;
    st_r_ready   = acc_r_ready && st_sel;
  end

  ts_acc #(.Dim(Dim), .Depth(AccRows)) u_acc (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .flags_clr_i(1'b0),
    .flags_o    (unused_acc_flags),
    .w_valid_i  (acc_w_valid),
    .w_ready_o  (unused_w_ready),
    .w_mode_i   (acc_w_mode),
    .w_addr_i   (acc_w_addr),
    .w_data_i   (acc_w_data),
    .r_valid_i  (acc_r_valid),
    .r_ready_o  (acc_r_ready),
    .r_addr_i   (acc_r_addr),
    .rsp_valid_o(acc_rsp_valid),
    .rsp_data_o (bd_acc_rsp_data_o)
  );

  assign bd_acc_r_ready_o   = acc_r_ready && !st_sel;
  assign bd_acc_rsp_valid_o = acc_rsp_valid && bd_rd_q;
  assign st_rsp_valid       = acc_rsp_valid && !bd_rd_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bd_rd_q   <= 1'b0;
      st_hold_q <= 1'b0;
    end else begin
      bd_rd_q   <= bd_acc_r_valid_i && bd_acc_r_ready_o;
      st_hold_q <= st_r_valid && st_sel && !acc_r_ready;
    end
  end

  logic unused;
  assign unused = ^{unused_conflict, sp_rsp_valid[0], sp_rsp_data[DataW-1:0], unused_w_ready,
                    unused_acc_flags};

  // Assertions
  `TS_ASSERT_INIT(a_banks, SpadRows % SpadBanks == 0, "SpadRows must be a multiple of SpadBanks")

endmodule
