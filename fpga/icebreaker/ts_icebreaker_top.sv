// SPDX-License-Identifier: Apache-2.0
// ts_icebreaker_top: iCEBreaker (iCE40 UP5K-SG48) board top: 12 MHz oscillator ->
// SB_PLL40_PAD, reset from the user button and PLL lock, ts_fpga_top (UART bridge, host
// memory, accelerator) on the FTDI UART, the red / green LEDs for error / heartbeat.
//
// The PLL runs the chip at 12 MHz * (PllDivf + 1) / 2^PllDivq (PllDivr = 0; values from
// icepll). The chip parameters default to the 'tiny' configuration; the flow
// (scripts/fpga_flow.py) sets them from fpga/icebreaker/board.toml.
module ts_icebreaker_top #(
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
  parameter int unsigned AdamwLanes  = ts_cfg_pkg::TinyAdamwLanes,
  parameter bit          Vec         = ts_cfg_pkg::TinyVec != 0,
  parameter bit          VecDivSqrt  = ts_cfg_pkg::TinyVecDivSqrt != 0,
  parameter int unsigned PeMulStages = ts_cfg_pkg::TinyPeMulStages,
  parameter int unsigned PeAddStages = ts_cfg_pkg::TinyPeAddStages,
  parameter int unsigned StoreStages = ts_cfg_pkg::TinyStoreStages,
  parameter int unsigned AccAddStages = ts_cfg_pkg::TinyAccAddStages,
  parameter int unsigned DmaCheckStages = ts_cfg_pkg::TinyDmaCheckStages,
  parameter int unsigned RamBytes    = 4096,
  parameter int unsigned Baud        = 115200,
  // 12 MHz * 64 / 32 = 24 MHz (VCO 768 MHz).
  parameter int unsigned PllDivf     = 63,
  parameter int unsigned PllDivq     = 5,
  localparam int unsigned ClkHz      = 12_000_000 * (PllDivf + 1) / (1 << PllDivq)
) (
  input  logic CLK,     // 12 MHz
  input  logic BTN_N,   // user button, low when pressed
  input  logic RX,      // FTDI -> FPGA
  output logic TX,      // FPGA -> FTDI
  output logic LEDR_N,  // red: the last response was an error
  output logic LEDG_N   // green: heartbeat
);

  logic clk, pll_locked;

  SB_PLL40_PAD #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR         (4'd0),
    .DIVF         (7'(PllDivf)),
    .DIVQ         (3'(PllDivq)),
    .FILTER_RANGE (3'd1)
  ) u_pll (
    .PACKAGEPIN  (CLK),
    .PLLOUTGLOBAL(clk),
    .PLLOUTCORE  (),
    .LOCK        (pll_locked),
    .RESETB      (1'b1),
    .BYPASS      (1'b0)
  );

  // ts_fpga_top synchronises the release of this reset to clk.
  logic       rst_n;
  logic [3:0] status;
  assign rst_n = BTN_N & pll_locked;

  ts_fpga_top #(
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
    .ClockGating(1'b0),
    .AdamwLanes (AdamwLanes),
    .Vec        (Vec),
    .VecDivSqrt (VecDivSqrt),
    .PeMulStages(PeMulStages),
    .PeAddStages(PeAddStages),
    .StoreStages(StoreStages),
    .AccAddStages(AccAddStages),
    .DmaCheckStages(DmaCheckStages),
    .RamBytes   (RamBytes),
    .ClkDiv     (ClkHz / Baud)
  ) u_chip (
    .clk_i    (clk),
    .rst_ni   (rst_n),
    .uart_rx_i(RX),
    .uart_tx_o(TX),
    .led_o    (status)
  );

  assign LEDR_N = ~status[3];
  assign LEDG_N = ~status[1];

endmodule
