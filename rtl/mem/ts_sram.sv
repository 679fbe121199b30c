// SPDX-License-Identifier: Apache-2.0
// Inferable RAM template (single-port 1RW or simple dual-port 1R1W), registered read.
//
// Every memory of Tessera is an instance of this module (STYLE rule 12): Yosys maps the
// array to block RAM on iCE40 / ECP5, and an ASIC flow replaces this one file by a
// macro wrapper. Read data is not reset (RAM output) and holds until the next read.
// TwoPort = 0: one address, a write and a read cannot share a cycle (write wins, the
//              read data then holds its previous value).
// TwoPort = 1: independent read and write ports; a read of the row written in the same
//              cycle returns the old contents (read-first) -- callers must not rely on it.
`include "ts_assert.svh"

module ts_sram #(
  parameter int unsigned Width   = 64,
  parameter int unsigned Depth   = 16,
  parameter bit          TwoPort = 1'b0,
  localparam int unsigned AddrW  = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic             clk_i,
  // Write port (also the only address when TwoPort = 0).
  input  logic             we_i,
  input  logic [AddrW-1:0] waddr_i,
  input  logic [Width-1:0] wdata_i,
  // Read port (TwoPort = 0: uses waddr_i, raddr_i is unused).
  input  logic             re_i,
  input  logic [AddrW-1:0] raddr_i,
  output logic [Width-1:0] rdata_o
);

  logic [Width-1:0] mem [Depth];
  logic [AddrW-1:0] raddr;
  logic             re;

  if (TwoPort) begin : g_two_port
    assign raddr = raddr_i;
    assign re    = re_i;
  end else begin : g_one_port
    assign raddr = waddr_i;
    assign re    = re_i && !we_i;
    logic unused_raddr;
    assign unused_raddr = ^raddr_i;
  end

  always_ff @(posedge clk_i) begin
    if (we_i) begin
      mem[waddr_i] <= wdata_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (re) begin
      rdata_o <= mem[raddr];
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_depth, Depth >= 2, "Depth must be at least 2")
  `TS_ASSERT_INIT(a_width, Width >= 1, "Width must be at least 1")

endmodule
