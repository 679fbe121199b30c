# SPDX-License-Identifier: Apache-2.0
# Verilated ts_mmu models shared by tests/mmu and bench/mmu (included by whichever comes
# first). DIM=16 and 32 take long to build (DIM 16: 3.8 CPU minutes, the largest block
# model), so they are built only with -DTESSERA_SLOW_MODELS=ON; the default run covers
# DIM 16 through the whole `default` chip (tests/system).
option(TESSERA_SLOW_MODELS "Also build the slow-labelled models (ts_mmu DIM=16, 32)" OFF)
set(TS_MMU_DIMS 2 3 4 8)

add_library(tessera_mmu_models STATIC)
foreach(d ${TS_MMU_DIMS})
  ts_add_model(tessera_mmu_models TOP ts_mmu PREFIX Vts_mmu_d${d} PARAMS -GDim=${d})
endforeach()
# DIM 4 with the processing elements of the FPGA configurations: the multiplier cut in two
# and the FP32 adder in three (MulStages 2, AddStages 3).
ts_add_model(tessera_mmu_models TOP ts_mmu PREFIX Vts_mmu_d4_m2a3
  PARAMS -GDim=4 -GMulStages=2 -GAddStages=3)
ts_models_as_system(tessera_mmu_models)

if(TESSERA_SLOW_MODELS)
  add_library(tessera_mmu_models_slow STATIC)
  foreach(d 16 32)
    ts_add_model(tessera_mmu_models_slow TOP ts_mmu PREFIX Vts_mmu_d${d} PARAMS -GDim=${d})
  endforeach()
  ts_models_as_system(tessera_mmu_models_slow)
endif()
