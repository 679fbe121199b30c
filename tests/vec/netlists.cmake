# SPDX-License-Identifier: Apache-2.0
# Yosys netlist of ts_vec_exp.
# Read twice: by tests/CMakeLists.txt, which starts the Yosys runs early, and by this folder.
ts_add_netlist_model(tessera_vec_netlists TOP ts_vec_exp)
