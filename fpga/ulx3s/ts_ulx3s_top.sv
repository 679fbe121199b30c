// SPDX-License-Identifier: Apache-2.0
// ts_ulx3s_top: ULX3S (ECP5 LFE5U-85F) board top: 25 MHz oscillator -> EHXPLLL, reset from
// the PWR button and PLL lock, ts_fpga_top (UART bridge, host memory, accelerator) on the
// FTDI UART, its four status LEDs on led[3:0].
//
// The PLL runs the chip at 25 MHz * PllClkfbDiv / PllClkiDiv; the VCO (output *
// PllClkopDiv) must stay within 400..800 MHz. The chip parameters default to the 'tiny'
// configuration; the flow (scripts/fpga_flow.py) sets them from fpga/ulx3s/board.toml.
module ts_ulx3s_top #(
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
  parameter int unsigned RamBytes    = 16384,
  parameter int unsigned Baud        = 115200,
  // 25 MHz in, 12.5 MHz out, VCO 600 MHz (values from ecppll). The first 25 MHz build
  // reached only 15.81 MHz in nextpnr; the December 2026 flow at this setting reached
  // 27.42 MHz (docs/fpga.md), not yet re-run with the PLL at 25 MHz.
  parameter int unsigned PllClkiDiv  = 2,
  parameter int unsigned PllClkfbDiv = 1,
  parameter int unsigned PllClkopDiv = 48,
  localparam int unsigned ClkHz      = 25_000_000 / PllClkiDiv * PllClkfbDiv
) (
  input  logic       clk_25mhz,
  input  logic [0:0] btn,         // PWR button, low when pressed
  input  logic       ftdi_txd,    // FTDI -> FPGA
  output logic       ftdi_rxd,    // FPGA -> FTDI
  output logic [7:0] led,
  output logic       wifi_gpio0   // high: keeps the ESP32 from resetting the board
);

  logic clk, pll_locked;

  (* FREQUENCY_PIN_CLKI = "25" *)
  EHXPLLL #(
    .PLLRST_ENA      ("DISABLED"),
    .INTFB_WAKE      ("DISABLED"),
    .STDBY_ENABLE    ("DISABLED"),
    .DPHASE_SOURCE   ("DISABLED"),
    .OUTDIVIDER_MUXA ("DIVA"),
    .OUTDIVIDER_MUXB ("DIVB"),
    .OUTDIVIDER_MUXC ("DIVC"),
    .OUTDIVIDER_MUXD ("DIVD"),
    .CLKI_DIV        (PllClkiDiv),
    .CLKOP_ENABLE    ("ENABLED"),
    .CLKOP_DIV       (PllClkopDiv),
    .CLKOP_CPHASE    (PllClkopDiv / 2 - 1),
    .CLKOP_FPHASE    (0),
    .FEEDBK_PATH     ("CLKOP"),
    .CLKFB_DIV       (PllClkfbDiv)
  ) u_pll (
    .RST         (1'b0),
    .STDBY       (1'b0),
    .CLKI        (clk_25mhz),
    .CLKOP       (clk),
    .CLKFB       (clk),
    .CLKINTFB    (),
    .PHASESEL0   (1'b0),
    .PHASESEL1   (1'b0),
    .PHASEDIR    (1'b1),
    .PHASESTEP   (1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC (1'b0),
    .ENCLKOP     (1'b0),
    .LOCK        (pll_locked)
  );

  // ts_fpga_top synchronises the release of this reset to clk.
  logic       rst_n;
  logic [3:0] status;
  assign rst_n = btn[0] & pll_locked;

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
    .uart_rx_i(ftdi_txd),
    .uart_tx_o(ftdi_rxd),
    .led_o    (status)
  );

  assign led        = {3'b000, pll_locked, status};
  assign wifi_gpio0 = 1'b1;

endmodule
