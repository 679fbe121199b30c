# SPDX-License-Identifier: Apache-2.0
# Yosys netlists of the arithmetic units (tests/arith/test_netlist.cpp).
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
foreach(unit ${TS_ARITH_UNITS})
  ts_add_netlist_model(tessera_arith_netlists TOP ${unit})
endforeach()
ts_add_netlist_model(tessera_arith_netlists TOP ts_fp32_add NAME ts_fp32_add_s4 PARAMS Stages=4)
ts_add_netlist_model(tessera_arith_netlists TOP ts_fp_mul16 NAME ts_fp_mul16_s2 PARAMS Stages=2)
ts_add_netlist_model(tessera_arith_netlists TOP ts_int_requant NAME ts_int_requant_s4 PARAMS Stages=4)
