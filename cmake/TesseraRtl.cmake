# SPDX-License-Identifier: Apache-2.0
# RTL source lists and helpers: Verilated models of RTL and of Yosys netlists.

set(TS_RTL_DIR "${CMAKE_SOURCE_DIR}/rtl")

# Named configurations: config/configs.toml -> ts_cfg_pkg.sv, ts_top_<name>.sv and
# tessera/configs.hpp, and the ISA constants: config/isa.toml -> ts_isa_pkg.sv and
# tessera/isa_gen.hpp, under build/generated (regenerated when the inputs change).
find_package(Python3 3.11 REQUIRED COMPONENTS Interpreter)
set(TS_GEN_DIR "${CMAKE_BINARY_DIR}/generated")
set(TS_GEN_RTL_DIR "${TS_GEN_DIR}/rtl")
set(TS_GEN_INCLUDE_DIR "${TS_GEN_DIR}/include")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${CMAKE_SOURCE_DIR}/config/configs.toml" "${CMAKE_SOURCE_DIR}/scripts/gen_config.py"
  "${CMAKE_SOURCE_DIR}/config/isa.toml" "${CMAKE_SOURCE_DIR}/scripts/gen_isa.py"
  "${CMAKE_SOURCE_DIR}/scripts/gen_vec_tables.py"
  "${CMAKE_SOURCE_DIR}/rtl/top/ts_top.sv")  # the wrappers repeat ts_top's port list
execute_process(
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/gen_config.py
          --sv-dir ${TS_GEN_RTL_DIR} --cpp-dir ${TS_GEN_INCLUDE_DIR} --list
  OUTPUT_VARIABLE TS_CONFIG_NAMES OUTPUT_STRIP_TRAILING_WHITESPACE
  RESULT_VARIABLE gen_rc)
if(NOT gen_rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen_config.py failed")
endif()
# ISA constants: config/isa.toml -> ts_isa_pkg.sv and tessera/isa_gen.hpp (docs/isa.md).
execute_process(
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/gen_isa.py
          --sv-dir ${TS_GEN_RTL_DIR} --cpp-dir ${TS_GEN_INCLUDE_DIR}
  RESULT_VARIABLE gen_rc)
if(NOT gen_rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen_isa.py failed")
endif()
# Constant tables of the vector unit's exp -> ts_vec_tab_pkg.sv and tessera/vec_tables_gen.hpp.
execute_process(
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/gen_vec_tables.py
          --sv-dir ${TS_GEN_RTL_DIR} --cpp-dir ${TS_GEN_INCLUDE_DIR}
  RESULT_VARIABLE gen_rc)
if(NOT gen_rc EQUAL 0)
  message(FATAL_ERROR "scripts/gen_vec_tables.py failed")
endif()
separate_arguments(TS_CONFIG_NAMES)
# Every .sv under rtl/, packages first (other files refer to ts_*_pkg::). A new file is
# picked up by the next build (CONFIGURE_DEPENDS); scripts/rtl_files.sh lists the same.
file(GLOB_RECURSE TS_RTL_PKGS CONFIGURE_DEPENDS "${TS_RTL_DIR}/*_pkg.sv"
  "${TS_GEN_RTL_DIR}/*_pkg.sv")
file(GLOB_RECURSE TS_RTL_SV CONFIGURE_DEPENDS "${TS_RTL_DIR}/*.sv" "${TS_GEN_RTL_DIR}/*.sv")
list(SORT TS_RTL_PKGS)
list(SORT TS_RTL_SV)
list(REMOVE_ITEM TS_RTL_SV ${TS_RTL_PKGS})
set(TS_RTL_ALL ${TS_RTL_PKGS} ${TS_RTL_SV})
# Block folders: a model reads the packages and its top file, and the tools find every
# other module by file name in these folders (one module per file, named after it), so
# a model only depends on what it instantiates.
set(TS_RTL_LIBDIRS)
foreach(f ${TS_RTL_SV})
  get_filename_component(d ${f} DIRECTORY)
  list(APPEND TS_RTL_LIBDIRS ${d})
endforeach()
list(REMOVE_DUPLICATES TS_RTL_LIBDIRS)
set(TS_VERILATOR_LIBARGS)
foreach(d ${TS_RTL_LIBDIRS})
  list(APPEND TS_VERILATOR_LIBARGS -y ${d})
endforeach()

# ts_rtl_file(<var> <module>): the file that defines <module>.
function(ts_rtl_file var module)
  foreach(f ${TS_RTL_SV})
    get_filename_component(n ${f} NAME_WE)
    if(n STREQUAL module)
      set(${var} ${f} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no rtl/**/${module}.sv")
endfunction()

set(TS_VERILATOR_ARGS
  --assert --x-assign unique --x-initial unique
  -Wall -Wno-fatal -I${TS_RTL_DIR}/common ${TS_VERILATOR_LIBARGS} ${TS_RTL_DIR}/lint.vlt)

# C++ optimisation of Verilated models. Verilator splits a model into per-cycle ("fast")
# code and code that runs once or only with tracing on ("slow": constructors, initial
# values, the trace declarations, the symbol table). Without OPT_SLOW the slow half gets
# the build type's -O3 and took half of all compile time (30 of 62 CPU minutes of a
# clean build); at -O0 it took 14 (docs/tools.md §6) and the simulation speed did not
# change.
set(TS_MODEL_OPT_FAST -O2)
set(TS_MODEL_OPT_SLOW -O0)
# Block netlist models run short lockstep tests (about a second each at -O2) but are large
# gate-level C++: one of ts_mmu's files compiles in 12.7 s at -O2, 6.4 s at -O1 and 1.5 s
# at -O0 (docs/tools.md section 6). The chip's netlist, whose tests run longer, sets its own.
set(TS_NETLIST_OPT_FAST -O0)

# ts_add_model(<target> TOP <module> [PREFIX <class>] [PARAMS -GName=V ...])
# Verilates <module> from the RTL into <target> (an existing executable or library).
function(ts_add_model target)
  cmake_parse_arguments(M "" "TOP;PREFIX" "PARAMS" ${ARGN})
  if(NOT M_PREFIX)
    set(M_PREFIX V${M_TOP})
  endif()
  ts_rtl_file(top_file ${M_TOP})
  verilate(${target}
    SOURCES ${TS_RTL_PKGS} ${top_file}
    PREFIX ${M_PREFIX}
    TOP_MODULE ${M_TOP}
    TRACE_FST
    DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${M_PREFIX}
    VERILATOR_ARGS ${TS_VERILATOR_ARGS} ${M_PARAMS}
    OPT_FAST ${TS_MODEL_OPT_FAST} OPT_SLOW ${TS_MODEL_OPT_SLOW})
  ts__trace_opt(${CMAKE_CURRENT_BINARY_DIR}/${M_PREFIX} ${M_PREFIX})
endfunction()

# The per-cycle trace code (<prefix>__Trace__<n>.cpp) runs only while a waveform is being
# written, whose FST compression costs more than it; -O1 instead of -O2 for it (the last
# -O on the command line wins). The file list is the one Verilator wrote at configure time;
# a different split re-runs CMake (verilate()'s _copy.cmake), which globs again.
set(TS_MODEL_OPT_TRACE -O1)
function(ts__trace_opt dir prefix)
  file(GLOB trace_files ${dir}/${prefix}__Trace__*.cpp)
  list(FILTER trace_files EXCLUDE REGEX "__Slow\\.cpp$")
  if(trace_files)
    set_property(SOURCE ${trace_files} APPEND_STRING PROPERTY COMPILE_FLAGS " ${TS_MODEL_OPT_TRACE}")
  endif()
endfunction()

# ts_synth_netlist(<out_var> TOP <module> [KEEP <module>...] [NAME <name>] [PARAMS <p>=<v>...])
# "check -assert" after proc refuses the designs Yosys would otherwise turn silently
# into wrong netlists (arrays of structs, member writes on array elements).
# Yosys generic synthesis of <module> at configure time (verilate() needs the file then);
# sets <out_var> to the flattened gate netlist. Re-runs when any RTL changes. The run is
# started in the background, so that the netlists of a configure run are synthesized
# while CMake goes on (they took 6.5 of its 8.3 minutes one after the other);
# ts_wait_netlist(<module>) waits for it and fails the configuration if Yosys failed.
# KEEP: modules read as black boxes, left in the netlist as parameterised instances and
# simulated from their RTL (the SRAM template, which an ASIC flow replaces by macros).
# PARAMS: top-level parameter values; the netlist's module is then called NAME (default:
# the module's own name), and so are its files.
function(ts_synth_netlist out_var)
  cmake_parse_arguments(S "" "TOP;NAME" "KEEP;PARAMS" ${ARGN})
  if(NOT S_NAME)
    set(S_NAME ${S_TOP})
  endif()
  # With PARAMS every RTL file is read and the top re-derived with chparam (hierarchy's
  # -chparam trips an assertion in Yosys 0.70 when the top's submodules come from -libdir).
  set(chparams "")
  foreach(pv ${S_PARAMS})
    string(REPLACE "=" " " pv "${pv}")
    string(APPEND chparams " -set ${pv}")
  endforeach()
  set(dir "${CMAKE_BINARY_DIR}/netlist")
  set(out "${dir}/${S_NAME}.v")
  set(log "${dir}/${S_NAME}.log")
  file(MAKE_DIRECTORY ${dir})
  ts_rtl_file(top_file ${S_TOP})
  # Paths relative to the build directory: YoWASP's sandbox hides the real /tmp behind
  # a private one, so absolute paths fail for a checkout under /tmp; relative ones work.
  set(files)
  set(sources ${TS_RTL_PKGS} ${top_file})
  if(S_PARAMS)
    # Every file but the kept ones (read below as black boxes; a second definition of a
    # module is an error).
    set(sources ${TS_RTL_ALL})
    foreach(m ${S_KEEP})
      ts_rtl_file(f ${m})
      list(REMOVE_ITEM sources ${f})
    endforeach()
  endif()
  foreach(f ${sources})
    file(RELATIVE_PATH r ${CMAKE_BINARY_DIR} ${f})
    string(APPEND files " ${r}")
  endforeach()
  set(libdirs)
  foreach(d ${TS_RTL_LIBDIRS})
    file(RELATIVE_PATH r ${CMAKE_BINARY_DIR} ${d})
    string(APPEND libdirs " -libdir ${r}")
  endforeach()
  set(keep "")
  foreach(m ${S_KEEP})
    ts_rtl_file(f ${m})
    file(RELATIVE_PATH r ${CMAKE_BINARY_DIR} ${f})
    string(APPEND keep " read_verilog -lib ${r};")
  endforeach()
  file(RELATIVE_PATH rel_inc ${CMAKE_BINARY_DIR} ${TS_RTL_DIR}/common)
  file(RELATIVE_PATH rel_out ${CMAKE_BINARY_DIR} ${out})
  file(RELATIVE_PATH rel_log ${CMAKE_BINARY_DIR} ${log})
  set(elab "hierarchy -check -top ${S_TOP}${libdirs};")
  set(top ${S_TOP})
  if(S_PARAMS)
    set(elab "chparam${chparams} ${S_TOP}; hierarchy -check -top ${S_TOP}; rename -top ${S_NAME};")
    set(top ${S_NAME})
  endif()
  set(script "verilog_defaults -add -sv -DSYNTHESIS -I${rel_inc}; read_verilog${files};${keep} ${elab} proc; check -assert; synth -flatten -top ${top}; splitnets; opt_clean -purge; write_verilog -noattr ${rel_out}")
  set(hash_input "${TESSERA_YOSYS};${script}")
  foreach(f ${TS_RTL_ALL})
    file(SHA256 ${f} h)
    string(APPEND hash_input ";${h}")
  endforeach()
  string(SHA256 hash "${hash_input}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${TS_RTL_ALL})
  if(EXISTS "${out}.hash")
    file(READ "${out}.hash" old_hash)
  endif()
  get_property(pending GLOBAL PROPERTY TS_NETLIST_PENDING_${S_NAME})
  if(pending STREQUAL hash)
    # Already started by this configure run (TS_NETLIST_LAUNCH_ONLY).
  elseif(NOT EXISTS "${out}" OR NOT old_hash STREQUAL hash)
    message(STATUS "Yosys: synthesizing ${S_NAME} gate netlist (in the background)")
    # The script goes to a file; the exit code to <out>.rc once Yosys has finished. All
    # output is redirected, so execute_process returns at once. (A configure run that is
    # interrupted leaves its Yosys runs going; let them end before configuring again.)
    file(WRITE "${dir}/${S_NAME}.ys" "${script}\n")
    file(REMOVE "${out}.hash" "${out}.rc")
    execute_process(
      COMMAND sh -c "(\"$0\" -q -l ${rel_log} -s netlist/${S_NAME}.ys; echo $? > ${rel_out}.rc) </dev/null >/dev/null 2>&1 &"
        ${TESSERA_YOSYS}
      WORKING_DIRECTORY ${CMAKE_BINARY_DIR} RESULT_VARIABLE rc)
    if(rc)
      message(FATAL_ERROR "could not start Yosys for ${S_NAME}")
    endif()
    set_property(GLOBAL PROPERTY TS_NETLIST_PENDING_${S_NAME} "${hash}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# ts_wait_netlist(<module>): returns once ts_synth_netlist's Yosys run for <module> (if
# one was started) has finished; a failed run is a configuration error.
function(ts_wait_netlist top)
  get_property(hash GLOBAL PROPERTY TS_NETLIST_PENDING_${top})
  if(NOT hash)
    return()
  endif()
  set(out "${CMAKE_BINARY_DIR}/netlist/${top}.v")
  while(NOT EXISTS "${out}.rc")
    execute_process(COMMAND sleep 1)
  endwhile()
  file(STRINGS "${out}.rc" rc LIMIT_COUNT 1)
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "Yosys failed on ${top} (exit ${rc}); see ${CMAKE_BINARY_DIR}/netlist/${top}.log")
  endif()
  file(WRITE "${out}.hash" "${hash}")
  set_property(GLOBAL PROPERTY TS_NETLIST_PENDING_${top} "")
endfunction()

# ts_add_netlist_model(<target> TOP <module> [KEEP <module>...] [OPT <flag>]
#                      [NAME <name> PARAMS <p>=<v>...])
# With TS_NETLIST_LAUNCH_ONLY set it only starts the Yosys run (<target> may not exist yet).
# Verilated model Vnl_<name> of the netlist (NAME, PARAMS: as for ts_synth_netlist; name
# defaults to the module's) (KEEP: as for ts_synth_netlist, their RTL is
# compiled in). With FST tracing only if TESSERA_NETLIST_TRACE is ON (a lockstep test
# traces the RTL side either way); OPT: C++ optimisation of the per-cycle code
# (default TS_NETLIST_OPT_FAST; the run-once code always gets TS_MODEL_OPT_SLOW). Both for
# large netlists, whose trace code and per-cycle code take most of the compile time.
function(ts_add_netlist_model target)
  cmake_parse_arguments(M "" "TOP;OPT;NAME" "KEEP;PARAMS" ${ARGN})
  if(NOT M_NAME)
    set(M_NAME ${M_TOP})
  endif()
  if(TS_NETLIST_LAUNCH_ONLY)
    # Only start the Yosys run (tests/CMakeLists.txt); the folder declares the model later.
    ts_synth_netlist(netlist TOP ${M_TOP} KEEP ${M_KEEP} NAME ${M_NAME} PARAMS ${M_PARAMS})
    return()
  endif()
  set(trace)
  if(TESSERA_NETLIST_TRACE)
    set(trace TRACE_FST)
  endif()
  set(opt OPT_FAST ${TS_NETLIST_OPT_FAST} OPT_SLOW ${TS_MODEL_OPT_SLOW})
  if(M_OPT)
    set(opt OPT_FAST ${M_OPT} OPT_SLOW ${TS_MODEL_OPT_SLOW})
  endif()
  ts_synth_netlist(netlist TOP ${M_TOP} KEEP ${M_KEEP} NAME ${M_NAME} PARAMS ${M_PARAMS})
  # The kept modules come from the RTL: the packages, their files and, through the block
  # folders, whatever they instantiate.
  set(kept)
  set(kept_args)
  if(M_KEEP)
    set(kept ${TS_RTL_PKGS})
    set(kept_args ${TS_VERILATOR_LIBARGS})
  endif()
  foreach(m ${M_KEEP})
    ts_rtl_file(f ${m})
    list(APPEND kept ${f})
  endforeach()
  # Verilated at the end of the calling directory, after Yosys has run beside the rest of
  # it (bracket arguments carry each list as one argument).
  cmake_language(EVAL CODE "cmake_language(DEFER CALL ts__verilate_netlist [==[${target}]==] \
    [==[${M_NAME}]==] [==[${netlist}]==] [==[${kept}]==] [==[${kept_args}]==] [==[${trace}]==] \
    [==[${opt}]==])")
endfunction()

function(ts__verilate_netlist target top netlist kept kept_args trace opt)
  ts_wait_netlist(${top})
  # Verilator 5.006 mis-simulates Yosys netlists in which bits of one vector feed
  # other bits of the same vector (UNOPTFLAT), so ts_synth_netlist splits nets into
  # single bits and UNOPTFLAT is an error here; -fno-expand and -fno-const-bit-op-tree
  # avoid two further known netlist mis-simulations (docs/tools.md). Style warnings of machine-written
  # netlists are not ours.
  verilate(${target}
    SOURCES ${netlist} ${kept}
    PREFIX Vnl_${top}
    TOP_MODULE ${top}
    ${trace}
    DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/Vnl_${top}
    VERILATOR_ARGS --x-assign unique --x-initial unique -Wno-fatal -Wno-lint -Wno-style
      -I${TS_RTL_DIR}/common ${kept_args} -Werror-UNOPTFLAT -fno-expand -fno-const-bit-op-tree
    ${opt})
  ts__trace_opt(${CMAKE_CURRENT_BINARY_DIR}/Vnl_${top} Vnl_${top})
endfunction()

# Consumers see Verilator's and the generated headers as system headers, so our
# warnings-as-errors apply to our code only.
function(ts_models_as_system target)
  set_target_properties(${target} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES
    "$<TARGET_PROPERTY:${target},INTERFACE_INCLUDE_DIRECTORIES>")
endfunction()

# ts_discover_tests(<target> LABELS <l1> <l2>... [FILTER <gtest filter>]
#                   [PREFIX <test name prefix>] [ENV <NAME=value>])
# gtest_discover_tests with several CTest labels. The label list crosses three
# unquoted list expansions inside GoogleTest's discovery script, so each ';' needs
# eight backslashes in the value (sixteen in CMake source) to arrive as one list.
# PREFIX and ENV discover the same tests again under other names, run with an environment
# variable set (the system tests on the netlist backend).
function(ts_discover_tests target)
  cmake_parse_arguments(D "" "FILTER;PREFIX;ENV" "LABELS" ${ARGN})
  list(JOIN D_LABELS "\\\\\\\\\\\\\\\\;" labels)
  set(extra_args)
  if(D_FILTER)
    list(APPEND extra_args TEST_FILTER "${D_FILTER}")
  endif()
  if(D_PREFIX)
    list(APPEND extra_args TEST_PREFIX "${D_PREFIX}")
  endif()
  set(env_args)
  if(D_ENV)
    set(env_args ENVIRONMENT "${D_ENV}")
  endif()
  gtest_discover_tests(${target} ${extra_args}
    PROPERTIES LABELS "${labels}" TIMEOUT 1800 ${env_args} DISCOVERY_TIMEOUT 60)
endfunction()
