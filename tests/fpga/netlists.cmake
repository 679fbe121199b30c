# SPDX-License-Identifier: Apache-2.0
# Yosys netlist of ts_fpga_top (the chip and the SRAM arrays kept as RTL), and the UART
# speed and frame timeout that its tests and the RTL model share.
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
set(ts_fpga_clk_div 4)
set(ts_fpga_timeout 8192)
# -O2, not the block netlists' -O0: the model is mostly the chip's RTL (kept), and its tests
# took 121 s at -O0 against 15 s at -O2 for 17 s less compile time.
ts_add_netlist_model(tessera_fpga_netlists TOP ts_fpga_top NAME ts_fpga_top_t KEEP ts_top ts_sram
  OPT -O2 PARAMS ClkDiv=${ts_fpga_clk_div} TimeoutCycles=${ts_fpga_timeout})
