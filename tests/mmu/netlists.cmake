# SPDX-License-Identifier: Apache-2.0
# Yosys netlists of ts_mmu (DIM 4; the default PEs and the FPGA configurations').
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
ts_add_netlist_model(tessera_mmu_netlists TOP ts_mmu)
ts_add_netlist_model(tessera_mmu_netlists TOP ts_mmu NAME ts_mmu_m2a3 PARAMS MulStages=2 AddStages=3)
