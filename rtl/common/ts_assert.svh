// SPDX-License-Identifier: Apache-2.0
// Assertion macros: active in simulation (Verilator --assert), empty for synthesis.
`ifndef TS_ASSERT_SVH
`define TS_ASSERT_SVH

`ifndef SYNTHESIS
// Concurrent assertion checked at every rising clock edge outside reset.
`define TS_ASSERT(name, prop, clk, rst_n, msg) \
  name: assert property (@(posedge clk) disable iff (!(rst_n)) (prop)) \
    else $error("[%m] %s", msg);

// Elaboration-time check on parameters; stops the simulation at time 0.
`define TS_ASSERT_INIT(name, cond, msg) \
  initial begin : name \
    if (!(cond)) $fatal(1, "[%m] %s", msg); \
  end
`else
`define TS_ASSERT(name, prop, clk, rst_n, msg)
`define TS_ASSERT_INIT(name, cond, msg)
`endif

`endif  // TS_ASSERT_SVH
