# SPDX-License-Identifier: Apache-2.0
# Yosys netlist of ts_dma_spad.
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
ts_add_netlist_model(tessera_dma_netlists TOP ts_dma_spad)
