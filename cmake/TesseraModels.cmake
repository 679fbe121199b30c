# SPDX-License-Identifier: Apache-2.0
# Verilated RTL models shared by tests, benchmarks and the CLI (each built once).

set(TS_ARITH_UNITS ts_fp_widen ts_fp_narrow ts_fp_mul16 ts_fp32_add ts_fp32_mul ts_fp32_div
  ts_fp32_sqrt ts_int8_mac ts_int_requant)

add_library(tessera_arith_models STATIC)
foreach(unit ${TS_ARITH_UNITS})
  ts_add_model(tessera_arith_models TOP ${unit})
endforeach()
ts_add_model(tessera_arith_models TOP ts_fp32_add PREFIX Vts_fp32_add_s3 PARAMS -GStages=3)
ts_models_as_system(tessera_arith_models)

