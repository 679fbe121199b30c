// SPDX-License-Identifier: Apache-2.0
// Accumulator SRAM: rows of Dim 32-bit elements with accumulate-on-write (FP32 or INT32).
//
// Pipeline (one write per cycle, every cycle, whatever the addresses):
//   S0  write accepted; an accumulating write reads its row from the 1R1W ts_sram.
//   S1  old row = RAM data, or the younger in-flight result of the same row (forwarded
//       from S2, then S3); Dim ts_fp32_add (RNE) or Dim INT32 adds (two's complement,
//       wrapping) or the new row itself (overwrite) -> S2 registers.
//   S2  result written back to the RAM; S3 keeps it one more cycle for forwarding
//       (a row read in S2's cycle gets the RAM's old contents).
// The read port shares the RAM read port: it is stalled (r_ready_o low) only in a cycle
// with an accumulating write. A read stalled once wins the next cycle: then an
// accumulating write waits (w_ready_o low; overwrites never wait), so a reader is never
// starved by a stream of accumulating writes to the same half. A read returns the row one
// cycle later, including every write accepted in an earlier cycle. FP flags of the accumulating adds are sticky.
`include "ts_assert.svh"

module ts_acc #(
  parameter int unsigned Dim   = 4,
  parameter int unsigned Depth = 16,
  localparam int unsigned RowW  = Dim * 32,
  localparam int unsigned AddrW = $clog2(Depth)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     flags_clr_i,
  output logic [ts_pkg::FlagW-1:0] flags_o,
  // Write stream: mode 0 overwrite, 1 FP32 accumulate, 2 INT32 accumulate.
  input  logic                     w_valid_i,
  output logic                     w_ready_o,
  input  logic [1:0]               w_mode_i,
  input  logic [AddrW-1:0]         w_addr_i,
  input  logic [RowW-1:0]          w_data_i,
  // Read requests and their responses (no back-pressure on the response).
  input  logic                     r_valid_i,
  output logic                     r_ready_o,
  input  logic [AddrW-1:0]         r_addr_i,
  output logic                     rsp_valid_o,
  output logic [RowW-1:0]          rsp_data_o
);

  localparam logic [1:0] ModeOverwrite = 2'd0;
  localparam logic [1:0] ModeFp32      = 2'd1;
  localparam logic [1:0] ModeInt32     = 2'd2;

  logic             w_acc, w_fire, r_fire, re, r_prio_q;
  logic [AddrW-1:0] raddr;
  logic [RowW-1:0]  ram_rdata, old_row, int_sum, other_d, s2_res;
  logic [Dim-1:0]   fp_valid;
  logic [RowW-1:0]  fp_res;
  logic [Dim*ts_pkg::FlagW-1:0] fp_flags;
  logic [ts_pkg::FlagW-1:0]     flags_or, flags_d, flags_q;

  // Pipeline registers: valid/control reset, rows not.
  logic             s1_wv_q, s1_rv_q, s2_wv_q, s3_wv_q, s2_fp_q;
  logic [1:0]       s1_mode_q;
  logic [AddrW-1:0] s1_waddr_q, s1_raddr_q, s2_addr_q, s3_addr_q;
  logic [RowW-1:0]  s1_wdata_q, s2_other_q, s3_res_q;

  assign w_ready_o = !(r_prio_q && r_valid_i && (w_mode_i != ModeOverwrite));
  assign w_fire    = w_valid_i && w_ready_o;
  assign w_acc     = w_fire && (w_mode_i != ModeOverwrite);
  assign r_ready_o = !w_acc;
  assign r_fire    = r_valid_i && r_ready_o;
  assign re        = w_acc || r_fire;
  assign raddr     = w_acc ? w_addr_i : r_addr_i;

  ts_sram #(.Width(RowW), .Depth(Depth), .TwoPort(1'b1)) u_sram (
    .clk_i  (clk_i),
    .we_i   (s2_wv_q),
    .waddr_i(s2_addr_q),
    .wdata_i(s2_res),
    .re_i   (re),
    .raddr_i(raddr),
    .rdata_o(ram_rdata)
  );

  // S1: forwarding, then the adds.
  always_comb begin
    old_row = ram_rdata;
    if (s2_wv_q && (s2_addr_q == s1_raddr_q)) begin
      old_row = s2_res;
    end else if (s3_wv_q && (s3_addr_q == s1_raddr_q)) begin
      old_row = s3_res_q;
    end
    for (int unsigned l = 0; l < Dim; l++) begin
      int_sum[l*32 +: 32] = old_row[l*32 +: 32] + s1_wdata_q[l*32 +: 32];
    end
    other_d  = (s1_mode_q == ModeInt32) ? int_sum : s1_wdata_q;
    fp_valid = {Dim{s1_wv_q && (s1_mode_q == ModeFp32)}};
  end

  for (genvar l = 0; l < Dim; l++) begin : g_lane
    logic unused_valid;
    ts_fp32_add #(.Stages(1)) u_add (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (fp_valid[l]),
      .a_i        (old_row[l*32 +: 32]),
      .b_i        (s1_wdata_q[l*32 +: 32]),
      .sub_i      (1'b0),
      .out_valid_o(unused_valid),
      .res_o      (fp_res[l*32 +: 32]),
      .flags_o    (fp_flags[l*ts_pkg::FlagW +: ts_pkg::FlagW])
    );
  end

  // S2: result selection and sticky flags.
  always_comb begin
    s2_res   = s2_fp_q ? fp_res : s2_other_q;
    flags_or = '0;
    for (int unsigned l = 0; l < Dim; l++) begin
      flags_or = flags_or | fp_flags[l*ts_pkg::FlagW +: ts_pkg::FlagW];
    end
    flags_d = flags_clr_i ? '0 : flags_q;
    if (s2_wv_q && s2_fp_q) begin
      flags_d = flags_d | flags_or;
    end
  end
  assign flags_o     = flags_q;
  assign rsp_valid_o = s1_rv_q;
  assign rsp_data_o  = old_row;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_wv_q   <= 1'b0;
      s1_rv_q   <= 1'b0;
      r_prio_q  <= 1'b0;
      s1_mode_q <= ModeOverwrite;
      s2_wv_q   <= 1'b0;
      s2_fp_q   <= 1'b0;
      s3_wv_q   <= 1'b0;
      flags_q   <= '0;
    end else begin
      s1_wv_q   <= w_fire;
      s1_rv_q   <= r_fire;
      r_prio_q  <= r_valid_i && !r_ready_o;
      s1_mode_q <= w_mode_i;
      s2_wv_q   <= s1_wv_q;
      s2_fp_q   <= s1_wv_q && (s1_mode_q == ModeFp32);
      s3_wv_q   <= s2_wv_q;
      flags_q   <= flags_d;
    end
  end

  // Addresses and rows are datapath: not reset, loaded with their valid.
  always_ff @(posedge clk_i) begin
    if (w_fire) begin
      s1_waddr_q <= w_addr_i;
      s1_wdata_q <= w_data_i;
    end
    if (re) begin
      s1_raddr_q <= raddr;
    end
    if (s1_wv_q) begin
      s2_addr_q  <= s1_waddr_q;
      s2_other_q <= other_d;
    end
    if (s2_wv_q) begin
      s3_addr_q <= s2_addr_q;
      s3_res_q  <= s2_res;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_depth_pow2, (Depth & (Depth - 1)) == 0 && Depth >= 2,
                  "Depth must be a power of two >= 2")
  `TS_ASSERT(a_mode_legal, w_valid_i |-> (w_mode_i != 2'd3), clk_i, rst_ni,
             "write mode 3 is reserved")
  `TS_ASSERT(a_read_stable, (r_valid_i && !r_ready_o) |=> (r_valid_i && $stable(r_addr_i)),
             clk_i, rst_ni, "read request dropped or changed before it was accepted")

endmodule
