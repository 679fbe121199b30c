// SPDX-License-Identifier: Apache-2.0
// ts_tangnano20k_top: Sipeed Tang Nano 20K (Gowin GW2AR-LV18QN88C8/I7) board top: 27 MHz
// oscillator -> rPLL, reset from button S1 and PLL lock, ts_fpga_top (UART bridge, host
// memory, accelerator) on the on-board USB-UART (BL616), its status on LEDs 0..3.
//
// The PLL runs the chip at 27 MHz * (PllFbdiv + 1) / (PllIdiv + 1) (values from
// gowin_pll; the VCO, output * PllOdiv, must stay within 500..1250 MHz). The chip parameters
// default to the 'tiny' configuration; the flow (scripts/fpga_flow.py) sets them from
// fpga/tangnano20k/board.toml.
module ts_tangnano20k_top #(
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
  // 27 MHz in, 27 MHz out, VCO 864 MHz.
  parameter int unsigned PllIdiv     = 0,
  parameter int unsigned PllFbdiv    = 0,
  parameter int unsigned PllOdiv     = 32,
  localparam int unsigned ClkHz      = 27_000_000 * (PllFbdiv + 1) / (PllIdiv + 1)
) (
  input  logic       clk,       // 27 MHz
  input  logic       btn_s1,    // high when pressed
  input  logic       uart_rx,   // USB-UART -> FPGA
  output logic       uart_tx,   // FPGA -> USB-UART
  output logic [5:0] led_n      // low: on
);

  logic clk_pll, pll_locked;

  rPLL #(
    .FCLKIN   ("27.0"),
    .IDIV_SEL (PllIdiv),
    .FBDIV_SEL(PllFbdiv),
    .ODIV_SEL (PllOdiv)
  ) u_pll (
    .CLKIN   (clk),
    .CLKOUT  (clk_pll),
    .CLKOUTP (),
    .CLKOUTD (),
    .CLKOUTD3(),
    .LOCK    (pll_locked),
    .RESET   (1'b0),
    .RESET_P (1'b0),
    .CLKFB   (1'b0),
    .FBDSEL  (6'b0),
    .IDSEL   (6'b0),
    .ODSEL   (6'b0),
    .PSDA    (4'b0),
    .DUTYDA  (4'b0),
    .FDLY    (4'b0)
  );

  // ts_fpga_top synchronises the release of this reset to clk_pll.
  logic       rst_n;
  logic [3:0] status;
  assign rst_n = ~btn_s1 & pll_locked;

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
    .clk_i    (clk_pll),
    .rst_ni   (rst_n),
    .uart_rx_i(uart_rx),
    .uart_tx_o(uart_tx),
    .led_o    (status)
  );

  assign led_n = ~{1'b0, pll_locked, status};

endmodule
