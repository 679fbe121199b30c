// SPDX-License-Identifier: Apache-2.0
// On-chip host memory for FPGA builds: an AXI4 slave (the chip's master) and a byte port
// (the UART bridge) over one single-port RAM of RamBytes, one byte-wide ts_sram per bus
// lane (so write strobes map to the lanes' write enables and FPGA flows infer block RAM).
//
// One read burst and one write burst are served at a time (ar_ready / aw_ready are low
// while one is open); IDs are echoed. Each cycle the RAM does one access, in priority
// order: a byte-port request (a byte-port read only while no read burst is open, because
// the open burst's R data is the RAM output, held until R is taken), a W beat, the next R
// beat (a new beat is read only when the previous one is taken or being taken, so reads
// stream one beat per cycle). Beats outside [RamBase, RamBase + RamBytes) answer DECERR
// (reads give 0, writes are dropped); WRAP and reserved bursts and transfers wider than
// the bus answer SLVERR. A write burst ends at w_last (its B carries the OR of the beats'
// responses). RamBase must be a multiple of RamBytes.
`include "ts_assert.svh"

module ts_axi_ram #(
  parameter int unsigned DataBytes = 8,
  parameter int unsigned RamBytes  = 16384,
  parameter logic [31:0] RamBase   = 32'h1000_0000,
  parameter int unsigned IdW       = 4,
  localparam int unsigned DW       = DataBytes * 8,
  localparam int unsigned RamAw    = $clog2(RamBytes),
  localparam int unsigned LaneW    = $clog2(DataBytes),
  localparam int unsigned Words    = RamBytes / DataBytes,
  localparam int unsigned WordAw   = (Words > 1) ? $clog2(Words) : 1
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  // AXI4 slave
  input  logic                 s_axi_ar_valid_i,
  output logic                 s_axi_ar_ready_o,
  input  logic [IdW-1:0]       s_axi_ar_id_i,
  input  logic [31:0]          s_axi_ar_addr_i,
  input  logic [7:0]           s_axi_ar_len_i,
  input  logic [2:0]           s_axi_ar_size_i,
  input  logic [1:0]           s_axi_ar_burst_i,
  output logic                 s_axi_r_valid_o,
  input  logic                 s_axi_r_ready_i,
  output logic [IdW-1:0]       s_axi_r_id_o,
  output logic [DW-1:0]        s_axi_r_data_o,
  output logic [1:0]           s_axi_r_resp_o,
  output logic                 s_axi_r_last_o,
  input  logic                 s_axi_aw_valid_i,
  output logic                 s_axi_aw_ready_o,
  input  logic [IdW-1:0]       s_axi_aw_id_i,
  input  logic [31:0]          s_axi_aw_addr_i,
  input  logic [7:0]           s_axi_aw_len_i,
  input  logic [2:0]           s_axi_aw_size_i,
  input  logic [1:0]           s_axi_aw_burst_i,
  input  logic                 s_axi_w_valid_i,
  output logic                 s_axi_w_ready_o,
  input  logic [DW-1:0]        s_axi_w_data_i,
  input  logic [DataBytes-1:0] s_axi_w_strb_i,
  input  logic                 s_axi_w_last_i,
  output logic                 s_axi_b_valid_o,
  input  logic                 s_axi_b_ready_i,
  output logic [IdW-1:0]       s_axi_b_id_o,
  output logic [1:0]           s_axi_b_resp_o,
  // Byte port: req until gnt; a read's byte is on rdata the cycle after gnt (rvalid).
  input  logic                 bp_req_i,
  input  logic                 bp_we_i,
  input  logic [RamAw-1:0]     bp_addr_i,
  input  logic [7:0]           bp_wdata_i,
  output logic                 bp_gnt_o,
  output logic                 bp_rvalid_o,
  output logic [7:0]           bp_rdata_o
);

  localparam logic [1:0] RespOkay   = 2'b00;
  localparam logic [1:0] RespSlverr = 2'b10;
  localparam logic [1:0] RespDecerr = 2'b11;
  localparam logic [1:0] BurstFixed = 2'b00;
  localparam logic [1:0] BurstIncr  = 2'b01;

  // Next beat address of a burst (AXI: INCR beats after the first are size-aligned).
  function automatic logic [31:0] next_addr(input logic [31:0] a, input logic [2:0] size,
                                            input logic [1:0] burst);
    logic [31:0] step;
    step = 32'd1 << size;
    if (burst == BurstIncr) begin
      next_addr = (a & ~(step - 32'd1)) + step;
    end else begin
      next_addr = a;
    end
  endfunction

  // Response of one beat: in range and a supported burst.
  function automatic logic [1:0] beat_resp(input logic in_range, input logic [2:0] size,
                                           input logic [1:0] burst);
    if (burst != BurstIncr && burst != BurstFixed) begin
      beat_resp = RespSlverr;
    end else if (32'(size) > LaneW) begin
      beat_resp = RespSlverr;
    end else if (!in_range) begin
      beat_resp = RespDecerr;
    end else begin
      beat_resp = RespOkay;
    end
  endfunction

  // ------------------------------------------------------------------ read burst
  logic           rd_open_q, rd_open_d;      // AR taken, last beat not yet taken
  logic [8:0]     rd_left_q, rd_left_d;      // beats still to read from the RAM
  logic [31:0]    rd_addr_q, rd_addr_d;
  logic [2:0]     rd_size_q, rd_size_d;
  logic [1:0]     rd_burst_q, rd_burst_d;
  logic [IdW-1:0] rd_id_q, rd_id_d;
  logic           r_valid_q, r_valid_d, r_last_q, r_last_d;
  logic [1:0]     r_resp_q, r_resp_d;

  // ------------------------------------------------------------------ write burst
  logic           wr_open_q, wr_open_d;
  logic [31:0]    wr_addr_q, wr_addr_d;
  logic [2:0]     wr_size_q, wr_size_d;
  logic [1:0]     wr_burst_q, wr_burst_d;
  logic [IdW-1:0] wr_id_q, wr_id_d;
  logic [1:0]     wr_resp_q, wr_resp_d;
  logic           b_valid_q, b_valid_d;

  // ------------------------------------------------------------------ RAM port
  logic                 bp_go, w_go, r_go;
  logic [1:0]           w_beat_resp, r_beat_resp;
  logic [DataBytes-1:0] ram_we;
  logic                 ram_re;
  logic [WordAw-1:0]    ram_addr;
  logic [DW-1:0]        ram_wdata, ram_rdata;
  logic                 bp_rvalid_q;
  logic [LaneW-1:0]     bp_lane_q;

  assign bp_go = bp_req_i && (bp_we_i || !rd_open_q);
  assign w_go  = !bp_go && wr_open_q && s_axi_w_valid_i;
  assign r_go  = !bp_go && !w_go && rd_open_q && rd_left_q != '0 &&
                 (!r_valid_q || s_axi_r_ready_i);
  assign w_beat_resp = beat_resp(wr_addr_q[31:RamAw] == RamBase[31:RamAw], wr_size_q, wr_burst_q);
  assign r_beat_resp = beat_resp(rd_addr_q[31:RamAw] == RamBase[31:RamAw], rd_size_q, rd_burst_q);

  assign s_axi_ar_ready_o = !rd_open_q;
  assign s_axi_aw_ready_o = !wr_open_q && !b_valid_q;
  assign s_axi_w_ready_o  = wr_open_q && !bp_go;
  assign bp_gnt_o         = bp_go;

  always_comb begin
    ram_we    = '0;
    ram_re    = 1'b0;
    ram_addr  = rd_addr_q[LaneW +: WordAw];
    ram_wdata = s_axi_w_data_i;
    if (bp_go) begin
      ram_addr  = bp_addr_i[RamAw-1:LaneW];
      ram_wdata = {DataBytes{bp_wdata_i}};
      if (bp_we_i) begin
        ram_we = DataBytes'(1) << bp_addr_i[LaneW-1:0];
      end else begin
        ram_re = 1'b1;
      end
    end else if (w_go) begin
      ram_addr = wr_addr_q[LaneW +: WordAw];
      if (w_beat_resp == RespOkay) ram_we = s_axi_w_strb_i;
    end else if (r_go) begin
      ram_re = r_beat_resp == RespOkay;
    end
  end

  for (genvar l = 0; l < DataBytes; l++) begin : g_lane
    ts_sram #(
      .Width  (8),
      .Depth  (Words),
      .TwoPort(1'b0)
    ) u_ram (
      .clk_i  (clk_i),
      .we_i   (ram_we[l]),
      .waddr_i(ram_addr),
      .wdata_i(ram_wdata[8*l +: 8]),
      .re_i   (ram_re),
      .raddr_i(ram_addr),
      .rdata_o(ram_rdata[8*l +: 8])
    );
  end

  always_comb begin
    rd_open_d  = rd_open_q;
    rd_left_d  = rd_left_q;
    rd_addr_d  = rd_addr_q;
    rd_size_d  = rd_size_q;
    rd_burst_d = rd_burst_q;
    rd_id_d    = rd_id_q;
    r_valid_d  = r_valid_q && !s_axi_r_ready_i;
    r_last_d   = r_last_q;
    r_resp_d   = r_resp_q;
    if (!rd_open_q && s_axi_ar_valid_i) begin
      rd_open_d  = 1'b1;
      rd_left_d  = 9'(s_axi_ar_len_i) + 9'd1;
      rd_addr_d  = s_axi_ar_addr_i;
      rd_size_d  = s_axi_ar_size_i;
      rd_burst_d = s_axi_ar_burst_i;
      rd_id_d    = s_axi_ar_id_i;
    end
    if (r_valid_q && s_axi_r_ready_i && r_last_q) rd_open_d = 1'b0;
    if (r_go) begin
      r_valid_d = 1'b1;
      r_last_d  = rd_left_q == 9'd1;
      r_resp_d  = r_beat_resp;
      rd_left_d = rd_left_q - 9'd1;
      rd_addr_d = next_addr(rd_addr_q, rd_size_q, rd_burst_q);
    end
  end

  always_comb begin
    wr_open_d  = wr_open_q;
    wr_addr_d  = wr_addr_q;
    wr_size_d  = wr_size_q;
    wr_burst_d = wr_burst_q;
    wr_id_d    = wr_id_q;
    wr_resp_d  = wr_resp_q;
    b_valid_d  = b_valid_q && !s_axi_b_ready_i;
    if (!wr_open_q && !b_valid_q && s_axi_aw_valid_i) begin
      wr_open_d  = 1'b1;
      wr_addr_d  = s_axi_aw_addr_i;
      wr_size_d  = s_axi_aw_size_i;
      wr_burst_d = s_axi_aw_burst_i;
      wr_id_d    = s_axi_aw_id_i;
      wr_resp_d  = RespOkay;
    end
    if (w_go) begin
      wr_resp_d = wr_resp_q | w_beat_resp;
      wr_addr_d = next_addr(wr_addr_q, wr_size_q, wr_burst_q);
      if (s_axi_w_last_i) begin
        wr_open_d = 1'b0;
        b_valid_d = 1'b1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rd_open_q   <= 1'b0;
      rd_left_q   <= '0;
      r_valid_q   <= 1'b0;
      r_last_q    <= 1'b0;
      wr_open_q   <= 1'b0;
      b_valid_q   <= 1'b0;
      bp_rvalid_q <= 1'b0;
    end else begin
      rd_open_q   <= rd_open_d;
      rd_left_q   <= rd_left_d;
      r_valid_q   <= r_valid_d;
      r_last_q    <= r_last_d;
      wr_open_q   <= wr_open_d;
      b_valid_q   <= b_valid_d;
      bp_rvalid_q <= bp_go && !bp_we_i;
    end
  end

  // Burst context (qualified by rd_open / wr_open / valid bits): no reset.
  always_ff @(posedge clk_i) begin
    rd_addr_q  <= rd_addr_d;
    rd_size_q  <= rd_size_d;
    rd_burst_q <= rd_burst_d;
    rd_id_q    <= rd_id_d;
    r_resp_q   <= r_resp_d;
    wr_addr_q  <= wr_addr_d;
    wr_size_q  <= wr_size_d;
    wr_burst_q <= wr_burst_d;
    wr_id_q    <= wr_id_d;
    wr_resp_q  <= wr_resp_d;
    bp_lane_q  <= bp_addr_i[LaneW-1:0];
  end

  assign s_axi_r_valid_o = r_valid_q;
  assign s_axi_r_id_o    = rd_id_q;
  assign s_axi_r_data_o  = (r_resp_q == RespOkay) ? ram_rdata : '0;
  assign s_axi_r_resp_o  = r_resp_q;
  assign s_axi_r_last_o  = r_last_q;
  assign s_axi_b_valid_o = b_valid_q;
  assign s_axi_b_id_o    = wr_id_q;
  assign s_axi_b_resp_o  = wr_resp_q;
  assign bp_rvalid_o     = bp_rvalid_q;
  assign bp_rdata_o      = ram_rdata[8*bp_lane_q +: 8];

  // A write burst ends at w_last; its length is not needed.
  logic unused_aw_len;
  assign unused_aw_len = ^s_axi_aw_len_i;

  // Assertions
  `TS_ASSERT_INIT(a_pow2, (RamBytes & (RamBytes - 1)) == 0 && (DataBytes & (DataBytes - 1)) == 0,
                  "RamBytes and DataBytes must be powers of two")
  `TS_ASSERT_INIT(a_size, DataBytes >= 2 && RamBytes >= 2 * DataBytes,
                  "DataBytes must be at least 2 and RamBytes hold two bus words")
  `TS_ASSERT_INIT(a_base, (RamBase & 32'(RamBytes - 1)) == 0,
                  "RamBase must be a multiple of RamBytes")
  `TS_ASSERT(a_r_hold, s_axi_r_valid_o && !s_axi_r_ready_i |=>
             s_axi_r_valid_o && $stable(s_axi_r_data_o) && $stable(s_axi_r_last_o),
             clk_i, rst_ni, "R changed before it was taken")
  `TS_ASSERT(a_b_hold, s_axi_b_valid_o && !s_axi_b_ready_i |=> s_axi_b_valid_o, clk_i, rst_ni,
             "B dropped before it was taken")

endmodule
