// SPDX-License-Identifier: Apache-2.0
// Accumulator SRAM: rows of Dim 32-bit elements with accumulate-on-write (FP32 or INT32).
//
// AddStages = 1 (one write per cycle, every cycle, whatever the addresses):
//   S0  write accepted; an accumulating write reads its row from the 1R1W ts_sram.
//   S1  old row = RAM data, or the younger in-flight result of the same row (forwarded
//       from S2, then S3); Dim ts_fp32_add (RNE) or Dim INT32 adds (two's complement,
//       wrapping) or the new row itself (overwrite) -> S2 registers.
//   S2  result written back to the RAM; S3 keeps it one more cycle for forwarding
//       (a row read in S2's cycle gets the RAM's old contents).
//   The RAM's read data goes through the forwarding mux and a whole FP32 add in one cycle:
//   the chip's slowest path on an FPGA (docs/synthesis.md).
// AddStages = 2..4 (for FPGA clock rates; no forwarding):
//   S0  write accepted, RAM read issued;  S1  RAM data registered (P1);
//   S2 .. S1+AddStages  ts_fp32_add cut into AddStages stages (the INT32 sum and the
//   overwrite row ride alongside);  S2+AddStages  result written back.
//   A row is "in flight" from the cycle after its write is accepted until its write-back
//   cycle (2 + AddStages writes). An accumulating write, or a read, of a row in flight
//   waits (w_ready_o / r_ready_o low) until the row is written back; overwrites do not
//   wait (they take the same path, so writes to a row land in order). A single row takes
//   one accumulating write every 3 + AddStages cycles; 3 + AddStages or more rows in turn
//   take one per cycle.
// The read port shares the RAM read port: it is stalled (r_ready_o low) in a cycle with an
// accumulating write (and, AddStages >= 2, while its row is in flight). A read stalled
// once wins the next cycle: then an accumulating write waits (w_ready_o low; overwrites
// wait too if the read's row is in flight), so a reader is never starved by a stream of
// writes. A read returns the row one cycle later, including every write accepted in an
// earlier cycle. FP flags of the accumulating adds are sticky.
`include "ts_assert.svh"

module ts_acc #(
  parameter int unsigned Dim       = 4,
  parameter int unsigned Depth     = 16,
  parameter int unsigned AddStages = 1,  // 1 to 4, see above
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

  logic             w_acc, w_fire, r_fire, re, r_prio_q, w_haz, r_haz;
  logic [AddrW-1:0] raddr;
  logic [RowW-1:0]  ram_rdata;
  // RAM write port and the flags of the row written back (from the datapath variant).
  logic             ram_we;
  logic [AddrW-1:0] ram_waddr;
  logic [RowW-1:0]  ram_wdata;
  logic [ts_pkg::FlagW-1:0] flags_set, flags_d, flags_q;

  // Accepted-write registers (S1): valid/control reset, rows not.
  logic             s1_wv_q, s1_rv_q;
  logic [1:0]       s1_mode_q;
  logic [AddrW-1:0] s1_waddr_q;
  logic [RowW-1:0]  s1_wdata_q;

  assign w_ready_o = !(((w_mode_i != ModeOverwrite) && ((r_prio_q && r_valid_i) || w_haz)) ||
                       (r_prio_q && r_valid_i && r_haz));
  assign w_fire    = w_valid_i && w_ready_o;
  assign w_acc     = w_fire && (w_mode_i != ModeOverwrite);
  assign r_ready_o = !w_acc && !r_haz;
  assign r_fire    = r_valid_i && r_ready_o;
  assign re        = w_acc || r_fire;
  assign raddr     = w_acc ? w_addr_i : r_addr_i;

  // The adders, shared by both variants: each variant drives their operands (add_*); the
  // FP32 results and flags come AddStages cycles later, the INT32 sum or the new row
  // (other_d) at once.
  logic                         add_v;
  logic [1:0]                   add_mode;
  logic [RowW-1:0]              add_old, add_new, int_sum, other_d, fp_res;
  logic [Dim*ts_pkg::FlagW-1:0] fp_flags;
  logic [ts_pkg::FlagW-1:0]     fp_flags_or;

  always_comb begin
    for (int unsigned l = 0; l < Dim; l++) begin
      int_sum[l*32 +: 32] = add_old[l*32 +: 32] + add_new[l*32 +: 32];
    end
    other_d     = (add_mode == ModeInt32) ? int_sum : add_new;
    fp_flags_or = '0;
    for (int unsigned l = 0; l < Dim; l++) begin
      fp_flags_or = fp_flags_or | fp_flags[l*ts_pkg::FlagW +: ts_pkg::FlagW];
    end
  end

  for (genvar l = 0; l < Dim; l++) begin : g_lane
    logic unused_valid;
    ts_fp32_add #(.Stages(AddStages)) u_add (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (add_v && (add_mode == ModeFp32)),
      .a_i        (add_old[l*32 +: 32]),
      .b_i        (add_new[l*32 +: 32]),
      .sub_i      (1'b0),
      .out_valid_o(unused_valid),
      .res_o      (fp_res[l*32 +: 32]),
      .flags_o    (fp_flags[l*ts_pkg::FlagW +: ts_pkg::FlagW])
    );
  end

  ts_sram #(.Width(RowW), .Depth(Depth), .TwoPort(1'b1)) u_sram (
    .clk_i  (clk_i),
    .we_i   (ram_we),
    .waddr_i(ram_waddr),
    .wdata_i(ram_wdata),
    .re_i   (re),
    .raddr_i(raddr),
    .rdata_o(ram_rdata)
  );

  if (AddStages == 1) begin : g_fwd
    // ---------------------------------------------------------------- forwarding variant
    logic             s2_wv_q, s3_wv_q, s2_fp_q;
    logic [AddrW-1:0] s1_raddr_q, s2_addr_q, s3_addr_q;
    logic [RowW-1:0]  old_row, s2_other_q, s3_res_q, s2_res;

    // S1: forwarding, then the adds.
    always_comb begin
      old_row = ram_rdata;
      if (s2_wv_q && (s2_addr_q == s1_raddr_q)) begin
        old_row = s2_res;
      end else if (s3_wv_q && (s3_addr_q == s1_raddr_q)) begin
        old_row = s3_res_q;
      end
    end
    assign add_v    = s1_wv_q;
    assign add_mode = s1_mode_q;
    assign add_old  = old_row;
    assign add_new  = s1_wdata_q;

    // S2: result selection, write-back, flags.
    assign s2_res    = s2_fp_q ? fp_res : s2_other_q;
    assign flags_set = (s2_wv_q && s2_fp_q) ? fp_flags_or : '0;
    assign ram_we     = s2_wv_q;
    assign ram_waddr  = s2_addr_q;
    assign ram_wdata  = s2_res;
    assign rsp_data_o = old_row;
    assign w_haz      = 1'b0;
    assign r_haz      = 1'b0;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        s2_wv_q <= 1'b0;
        s2_fp_q <= 1'b0;
        s3_wv_q <= 1'b0;
      end else begin
        s2_wv_q <= s1_wv_q;
        s2_fp_q <= s1_wv_q && (s1_mode_q == ModeFp32);
        s3_wv_q <= s2_wv_q;
      end
    end

    always_ff @(posedge clk_i) begin
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
  end else begin : g_pipe
    // ---------------------------------------------------------------- pipelined variant
    // In-flight rows: entry 0 = S1 (accepted last cycle), 1 = P1, 2 .. 1+AddStages = the
    // adder's stages, the last of them the write-back cycle.
    localparam int unsigned InFlight = 2 + AddStages;
    logic [InFlight-1:0]       inf_v;
    logic [InFlight*AddrW-1:0] inf_a;
    logic                      p1_wv_q, p1_fp_q, wb_fp;
    logic [1:0]                p1_mode_q;
    logic [RowW-1:0]           p1_old_q, p1_wdata_q, wb_other;
    logic [AddStages-1:0]      chain_v_q;
    logic [AddStages*AddrW-1:0] chain_a_q;
    logic [AddrW-1:0]          p1_addr_q;

    assign inf_v = {chain_v_q, p1_wv_q, s1_wv_q};
    assign inf_a = {chain_a_q, p1_addr_q, s1_waddr_q};

    always_comb begin
      w_haz = 1'b0;
      r_haz = 1'b0;
      for (int unsigned e = 0; e < InFlight; e++) begin
        w_haz = w_haz || (inf_v[e] && (inf_a[e*AddrW +: AddrW] == w_addr_i));
        r_haz = r_haz || (inf_v[e] && (inf_a[e*AddrW +: AddrW] == r_addr_i));
      end
    end
    assign add_v    = p1_wv_q;
    assign add_mode = p1_mode_q;
    assign add_old  = p1_old_q;
    assign add_new  = p1_wdata_q;

    // The INT32 sum or the overwrite row, and which result is written, beside the adder.
    logic unused_wb_valid;
    ts_pipe #(.Width(1 + RowW), .Depth(AddStages)) u_other (
      .clk_i  (clk_i),
      .rst_ni (rst_ni),
      .valid_i(p1_wv_q),
      .data_i ({p1_fp_q, other_d}),
      .valid_o(unused_wb_valid),
      .data_o ({wb_fp, wb_other})
    );

    assign flags_set  = (chain_v_q[AddStages-1] && wb_fp) ? fp_flags_or : '0;
    assign ram_we     = chain_v_q[AddStages-1];
    assign ram_waddr  = chain_a_q[(AddStages-1)*AddrW +: AddrW];
    assign ram_wdata  = wb_fp ? fp_res : wb_other;
    assign rsp_data_o = ram_rdata;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        p1_wv_q   <= 1'b0;
        p1_fp_q   <= 1'b0;
        p1_mode_q <= ModeOverwrite;
        chain_v_q <= '0;
      end else begin
        p1_wv_q   <= s1_wv_q;
        p1_fp_q   <= s1_wv_q && (s1_mode_q == ModeFp32);
        p1_mode_q <= s1_mode_q;
        chain_v_q <= {chain_v_q[AddStages-2:0], p1_wv_q};
      end
    end

    // Addresses and rows: datapath, loaded with their valid. P1 takes the RAM data of
    // every write (an overwrite's is unused).
    always_ff @(posedge clk_i) begin
      if (s1_wv_q) begin
        p1_addr_q  <= s1_waddr_q;
        p1_wdata_q <= s1_wdata_q;
        p1_old_q   <= ram_rdata;
      end
      chain_a_q <= {chain_a_q[(AddStages-1)*AddrW-1:0], p1_addr_q};
    end
  end

  always_comb begin
    flags_d = flags_clr_i ? '0 : flags_q;
    flags_d = flags_d | flags_set;
  end
  assign flags_o     = flags_q;
  assign rsp_valid_o = s1_rv_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_wv_q   <= 1'b0;
      s1_rv_q   <= 1'b0;
      r_prio_q  <= 1'b0;
      s1_mode_q <= ModeOverwrite;
      flags_q   <= '0;
    end else begin
      s1_wv_q   <= w_fire;
      s1_rv_q   <= r_fire;
      r_prio_q  <= r_valid_i && !r_ready_o;
      s1_mode_q <= w_mode_i;
      flags_q   <= flags_d;
    end
  end

  // Addresses and rows are datapath: not reset, loaded with their valid.
  always_ff @(posedge clk_i) begin
    if (w_fire) begin
      s1_waddr_q <= w_addr_i;
      s1_wdata_q <= w_data_i;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_depth_pow2, (Depth & (Depth - 1)) == 0 && Depth >= 2,
                  "Depth must be a power of two >= 2")
  `TS_ASSERT_INIT(a_add_stages, AddStages >= 1 && AddStages <= 4,
                  "AddStages must be in [1, 4]")
  `TS_ASSERT(a_mode_legal, w_valid_i |-> (w_mode_i != 2'd3), clk_i, rst_ni,
             "write mode 3 is reserved")
  `TS_ASSERT(a_read_stable, (r_valid_i && !r_ready_o) |=> (r_valid_i && $stable(r_addr_i)),
             clk_i, rst_ni, "read request dropped or changed before it was accepted")

endmodule
