// SPDX-License-Identifier: Apache-2.0
// ts_fpga_top: the board-independent FPGA top: a UART host bridge, on-chip host memory and
// the accelerator, with clk / reset / UART / LED ports (a board top adds PLL and pins).
//
//   uart_rx_i -> ts_uart_rx -> ts_uart_bridge -> ts_uart_tx -> uart_tx_o
//                                |   AXI4-Lite      | byte port
//                                v                  v
//                              ts_top --AXI4--> ts_axi_ram (RamBytes at RamBase)
//                                '-- irq -> led_o[0], INFO
//
// The chip parameters default to the 'tiny' configuration (ts_cfg_pkg); a board top sets
// them from another configuration's ts_cfg_pkg values. ClkDiv = clock / baud rate.
// LEDs: [0] irq, [1] heartbeat (clock / 2^24), [2] bridge busy, [3] last response an error.
`include "ts_assert.svh"

module ts_fpga_top #(
  parameter int unsigned Dim         = ts_cfg_pkg::TinyDim,
  parameter int unsigned SpadRows    = ts_cfg_pkg::TinySpadRows,
  parameter int unsigned SpadBanks   = ts_cfg_pkg::TinySpadBanks,
  parameter int unsigned AccRows     = ts_cfg_pkg::TinyAccRows,
  parameter int unsigned Windows     = ts_cfg_pkg::TinyWindows,
  parameter int unsigned MaxReads    = ts_cfg_pkg::TinyMaxReads,
  parameter int unsigned MaxWrites   = ts_cfg_pkg::TinyMaxWrites,
  parameter int unsigned LoadDmas    = ts_cfg_pkg::TinyLoadDmas,
  parameter int unsigned StoreDmas   = ts_cfg_pkg::TinyStoreDmas,
  parameter int unsigned QueueDepth  = ts_cfg_pkg::TinyQueueDepth,
  parameter bit          ClockGating = ts_cfg_pkg::TinyClockGating != 0,
  parameter int unsigned AdamwLanes  = ts_cfg_pkg::TinyAdamwLanes,
  parameter bit          Vec         = ts_cfg_pkg::TinyVec != 0,
  parameter bit          VecDivSqrt  = ts_cfg_pkg::TinyVecDivSqrt != 0,
  parameter int unsigned PeMulStages = ts_cfg_pkg::TinyPeMulStages,
  parameter int unsigned PeAddStages = ts_cfg_pkg::TinyPeAddStages,
  parameter int unsigned StoreStages = ts_cfg_pkg::TinyStoreStages,
  parameter int unsigned AccAddStages = ts_cfg_pkg::TinyAccAddStages,
  parameter int unsigned DmaCheckStages = ts_cfg_pkg::TinyDmaCheckStages,
  parameter int unsigned RamBytes    = 16384,
  parameter logic [31:0] RamBase     = 32'h1000_0000,
  parameter int unsigned ClkDiv      = 104,
  // A request whose bytes stop for 1024 byte times is abandoned.
  parameter int unsigned TimeoutCycles = ClkDiv * 10 * 1024,
  localparam int unsigned BusBytes   = 2 * Dim,
  localparam int unsigned DW         = BusBytes * 8,
  localparam int unsigned RamAw      = $clog2(RamBytes)
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       uart_rx_i,
  output logic       uart_tx_o,
  output logic [3:0] led_o
);

  // Reset for the bridge, UART and memory; ts_top synchronises the raw pin itself (its own
  // ts_reset_sync), so it gets rst_ni directly.
  logic rst_n;

  ts_reset_sync u_rst (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .rst_no(rst_n)
  );

  // ------------------------------------------------------------------ UART
  logic       rx_valid, rx_ready, tx_valid, tx_ready;
  logic [7:0] rx_data, tx_data;
  logic       rx_overrun, rx_frame_err;

  ts_uart_rx #(
    .ClkDiv(ClkDiv)
  ) u_rx (
    .clk_i      (clk_i),
    .rst_ni     (rst_n),
    .rx_i       (uart_rx_i),
    .valid_o    (rx_valid),
    .ready_i    (rx_ready),
    .data_o     (rx_data),
    .overrun_o  (rx_overrun),
    .frame_err_o(rx_frame_err)
  );

  ts_uart_tx #(
    .ClkDiv(ClkDiv)
  ) u_tx (
    .clk_i  (clk_i),
    .rst_ni (rst_n),
    .valid_i(tx_valid),
    .ready_o(tx_ready),
    .data_i (tx_data),
    .tx_o   (uart_tx_o)
  );

  // ------------------------------------------------------------------ bridge
  logic              axil_aw_valid, axil_aw_ready, axil_w_valid, axil_w_ready;
  logic              axil_b_valid, axil_b_ready, axil_ar_valid, axil_ar_ready;
  logic              axil_r_valid, axil_r_ready;
  logic [11:0]       axil_aw_addr, axil_ar_addr;
  logic [31:0]       axil_w_data, axil_r_data;
  logic [3:0]        axil_w_strb;
  logic [1:0]        axil_b_resp, axil_r_resp;
  logic              bp_req, bp_we, bp_gnt, bp_rvalid;
  logic [RamAw-1:0]  bp_addr;
  logic [7:0]        bp_wdata, bp_rdata;
  logic              irq, bridge_busy, bridge_err;

  ts_uart_bridge #(
    .RamBase      (RamBase),
    .RamBytes     (RamBytes),
    .TimeoutCycles(TimeoutCycles)
  ) u_bridge (
    .clk_i            (clk_i),
    .rst_ni           (rst_n),
    .irq_i            (irq),
    .rx_valid_i       (rx_valid),
    .rx_ready_o       (rx_ready),
    .rx_data_i        (rx_data),
    .tx_valid_o       (tx_valid),
    .tx_ready_i       (tx_ready),
    .tx_data_o        (tx_data),
    .m_axil_aw_valid_o(axil_aw_valid),
    .m_axil_aw_ready_i(axil_aw_ready),
    .m_axil_aw_addr_o (axil_aw_addr),
    .m_axil_w_valid_o (axil_w_valid),
    .m_axil_w_ready_i (axil_w_ready),
    .m_axil_w_data_o  (axil_w_data),
    .m_axil_w_strb_o  (axil_w_strb),
    .m_axil_b_valid_i (axil_b_valid),
    .m_axil_b_ready_o (axil_b_ready),
    .m_axil_b_resp_i  (axil_b_resp),
    .m_axil_ar_valid_o(axil_ar_valid),
    .m_axil_ar_ready_i(axil_ar_ready),
    .m_axil_ar_addr_o (axil_ar_addr),
    .m_axil_r_valid_i (axil_r_valid),
    .m_axil_r_ready_o (axil_r_ready),
    .m_axil_r_data_i  (axil_r_data),
    .m_axil_r_resp_i  (axil_r_resp),
    .mem_req_o        (bp_req),
    .mem_we_o         (bp_we),
    .mem_addr_o       (bp_addr),
    .mem_wdata_o      (bp_wdata),
    .mem_gnt_i        (bp_gnt),
    .mem_rvalid_i     (bp_rvalid),
    .mem_rdata_i      (bp_rdata),
    .busy_o           (bridge_busy),
    .err_o            (bridge_err)
  );

  // ------------------------------------------------------------------ accelerator
  logic              ar_valid, ar_ready, r_valid, r_ready, r_last;
  logic              aw_valid, aw_ready, w_valid, w_ready, w_last, b_valid, b_ready;
  logic [3:0]        ar_id, r_id, aw_id, b_id;
  logic [31:0]       ar_addr, aw_addr;
  logic [7:0]        ar_len, aw_len;
  logic [2:0]        ar_size, aw_size;
  logic [1:0]        ar_burst, aw_burst, r_resp, b_resp;
  logic [DW-1:0]     r_data, w_data;
  logic [BusBytes-1:0] w_strb;

  ts_top #(
    .Dim        (Dim),
    .SpadRows   (SpadRows),
    .SpadBanks  (SpadBanks),
    .AccRows    (AccRows),
    .Windows    (Windows),
    .MaxReads   (MaxReads),
    .MaxWrites  (MaxWrites),
    .LoadDmas   (LoadDmas),
    .StoreDmas  (StoreDmas),
    .QueueDepth (QueueDepth),
    .ClockGating(ClockGating),
    .AdamwLanes (AdamwLanes),
    .Vec        (Vec),
    .VecDivSqrt (VecDivSqrt),
    .PeMulStages(PeMulStages),
    .PeAddStages(PeAddStages),
    .StoreStages(StoreStages),
    .AccAddStages(AccAddStages),
    .DmaCheckStages(DmaCheckStages)
  ) u_top (
    .clk_i            (clk_i),
    .rst_ni           (rst_ni),
    .s_axil_aw_valid_i(axil_aw_valid),
    .s_axil_aw_ready_o(axil_aw_ready),
    .s_axil_aw_addr_i (axil_aw_addr),
    .s_axil_w_valid_i (axil_w_valid),
    .s_axil_w_ready_o (axil_w_ready),
    .s_axil_w_data_i  (axil_w_data),
    .s_axil_w_strb_i  (axil_w_strb),
    .s_axil_b_valid_o (axil_b_valid),
    .s_axil_b_ready_i (axil_b_ready),
    .s_axil_b_resp_o  (axil_b_resp),
    .s_axil_ar_valid_i(axil_ar_valid),
    .s_axil_ar_ready_o(axil_ar_ready),
    .s_axil_ar_addr_i (axil_ar_addr),
    .s_axil_r_valid_o (axil_r_valid),
    .s_axil_r_ready_i (axil_r_ready),
    .s_axil_r_data_o  (axil_r_data),
    .s_axil_r_resp_o  (axil_r_resp),
    .m_axi_ar_valid_o (ar_valid),
    .m_axi_ar_ready_i (ar_ready),
    .m_axi_ar_id_o    (ar_id),
    .m_axi_ar_addr_o  (ar_addr),
    .m_axi_ar_len_o   (ar_len),
    .m_axi_ar_size_o  (ar_size),
    .m_axi_ar_burst_o (ar_burst),
    .m_axi_r_valid_i  (r_valid),
    .m_axi_r_ready_o  (r_ready),
    .m_axi_r_id_i     (r_id),
    .m_axi_r_data_i   (r_data),
    .m_axi_r_resp_i   (r_resp),
    .m_axi_r_last_i   (r_last),
    .m_axi_aw_valid_o (aw_valid),
    .m_axi_aw_ready_i (aw_ready),
    .m_axi_aw_id_o    (aw_id),
    .m_axi_aw_addr_o  (aw_addr),
    .m_axi_aw_len_o   (aw_len),
    .m_axi_aw_size_o  (aw_size),
    .m_axi_aw_burst_o (aw_burst),
    .m_axi_w_valid_o  (w_valid),
    .m_axi_w_ready_i  (w_ready),
    .m_axi_w_data_o   (w_data),
    .m_axi_w_strb_o   (w_strb),
    .m_axi_w_last_o   (w_last),
    .m_axi_b_valid_i  (b_valid),
    .m_axi_b_ready_o  (b_ready),
    .m_axi_b_id_i     (b_id),
    .m_axi_b_resp_i   (b_resp),
    .irq_o            (irq)
  );

  // ------------------------------------------------------------------ host memory
  ts_axi_ram #(
    .DataBytes(BusBytes),
    .RamBytes (RamBytes),
    .RamBase  (RamBase),
    .IdW      (4)
  ) u_ram (
    .clk_i           (clk_i),
    .rst_ni          (rst_n),
    .s_axi_ar_valid_i(ar_valid),
    .s_axi_ar_ready_o(ar_ready),
    .s_axi_ar_id_i   (ar_id),
    .s_axi_ar_addr_i (ar_addr),
    .s_axi_ar_len_i  (ar_len),
    .s_axi_ar_size_i (ar_size),
    .s_axi_ar_burst_i(ar_burst),
    .s_axi_r_valid_o (r_valid),
    .s_axi_r_ready_i (r_ready),
    .s_axi_r_id_o    (r_id),
    .s_axi_r_data_o  (r_data),
    .s_axi_r_resp_o  (r_resp),
    .s_axi_r_last_o  (r_last),
    .s_axi_aw_valid_i(aw_valid),
    .s_axi_aw_ready_o(aw_ready),
    .s_axi_aw_id_i   (aw_id),
    .s_axi_aw_addr_i (aw_addr),
    .s_axi_aw_len_i  (aw_len),
    .s_axi_aw_size_i (aw_size),
    .s_axi_aw_burst_i(aw_burst),
    .s_axi_w_valid_i (w_valid),
    .s_axi_w_ready_o (w_ready),
    .s_axi_w_data_i  (w_data),
    .s_axi_w_strb_i  (w_strb),
    .s_axi_w_last_i  (w_last),
    .s_axi_b_valid_o (b_valid),
    .s_axi_b_ready_i (b_ready),
    .s_axi_b_id_o    (b_id),
    .s_axi_b_resp_o  (b_resp),
    .bp_req_i        (bp_req),
    .bp_we_i         (bp_we),
    .bp_addr_i       (bp_addr),
    .bp_wdata_i      (bp_wdata),
    .bp_gnt_o        (bp_gnt),
    .bp_rvalid_o     (bp_rvalid),
    .bp_rdata_o      (bp_rdata)
  );

  // ------------------------------------------------------------------ LEDs
  logic [23:0] beat_q;
  always_ff @(posedge clk_i or negedge rst_n) begin
    if (!rst_n) begin
      beat_q <= '0;
    end else begin
      beat_q <= beat_q + 24'd1;
    end
  end

  assign led_o = {bridge_err, bridge_busy, beat_q[23], irq};

  // Receive errors (overrun, framing) surface as a bad crc or a request timeout.
  logic unused_rx;
  assign unused_rx = rx_overrun ^ rx_frame_err;

  // Assertions
  `TS_ASSERT_INIT(a_ram, RamBytes >= 256, "RamBytes must be at least 256")

endmodule
