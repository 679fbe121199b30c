# SPDX-License-Identifier: Apache-2.0
# Yosys netlists of ts_load (one and two DMAs) and ts_store (two DMAs; its converters
# kept as RTL instances, see CMakeLists.txt).
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
ts_add_netlist_model(tessera_lsu_netlists TOP ts_load)
ts_add_netlist_model(tessera_lsu_netlists TOP ts_load NAME ts_load_d2 PARAMS Dmas=2)
ts_add_netlist_model(tessera_lsu_netlists TOP ts_store NAME ts_store_d2 PARAMS Dmas=2
  KEEP ts_fp_narrow ts_int_requant)
