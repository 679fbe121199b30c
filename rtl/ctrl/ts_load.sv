// SPDX-License-Identifier: Apache-2.0
// LOAD command unit: one ts_dma (DRAM -> SRAM) plus a row adapter to the scratchpad or accumulator.
//
// The DMA moves host rows of `bytes` bytes into DataW-bit rows (one bus beat each) of a
// virtual SRAM that starts at row 0: host row r occupies DMA rows r*no .. r*no+no-1 with
// no = ceil(bytes / RowBytes), the last one zero-padded. The adapter walks the same rows
// with counters (no division) and writes the real rows of docs/isa.md's LOAD layout:
//   scratchpad, 2-byte elements: one DMA row -> one scratchpad row;
//   expand8, 1-byte elements:   one DMA row -> two scratchpad rows (low half first); the
//                               last DMA row of a host row gives only one when its
//                               second half lies past the host row;
//   accumulator, 4-byte elements: two DMA rows -> one accumulator row (low half first);
//                               an odd last DMA row of a host row writes the accumulator
//                               row with a zero upper half.
// Real rows of one command are consecutive (host row r starts at sram_addr + r*n), so the
// output address is one running counter. The DMA's zero padding makes every unused lane
// zero (a zero byte sign-extends to zero). The completion is the DMA's: it comes after the
// last R beat, which the adapter acknowledges only once its last SRAM write is accepted.
//
// Dmas = 2 (docs/lsu.md "Two LOADs in flight"): two DMA + adapter pairs take commands in
// turn, so the next LOAD's read bursts go out while the current one's data returns. Order is
// kept throughout: the newer DMA requests its first burst only after the older one has
// requested its last (one AXI ID: the data return in the same order); R beats go to the
// older DMA while it has bursts outstanding; only the older one writes the SRAMs; the
// completions come in command order. abort_i (the LOAD queue has stopped on an error) ends
// every LOAD in flight without another SRAM write: its bursts drain, it completes with
// status 7 (aborted), and the controller drops that completion.
`include "ts_assert.svh"

module ts_load #(
  parameter int unsigned Dim      = 4,
  parameter int unsigned AddrW    = 32,
  parameter int unsigned IdW      = 4,
  parameter int unsigned ArId     = 0,
  parameter int unsigned MaxReads = 4,
  parameter int unsigned Windows  = 2,
  parameter int unsigned SpadRows = 256,
  parameter int unsigned AccRows  = 64,
  parameter int unsigned Dmas     = 1,    // LOADs in flight: 1 or 2
  parameter int unsigned CheckStages = 1, // cycles of ts_dma's descriptor check: 1 or 2
  localparam int unsigned DataW   = Dim * 16,
  localparam int unsigned AccW    = Dim * 32,
  localparam int unsigned SpAw    = $clog2(SpadRows),
  localparam int unsigned AccAw   = $clog2(AccRows),
  localparam int unsigned WinW    = (Windows > 1) ? $clog2(Windows) : 1
) (
  input  logic              clk_i,
  input  logic              rst_ni,
  // Address windows (passed to the DMA).
  input  logic              cfg_win_we_i,
  input  logic [WinW-1:0]   cfg_win_idx_i,
  input  logic [AddrW-1:0]  cfg_win_base_i,
  input  logic [AddrW-1:0]  cfg_win_last_i,
  input  logic [1:0]        cfg_win_perm_i,
  // LOAD command, already checked by the decoder (dims, SRAM range).
  input  logic              cmd_valid_i,
  output logic              cmd_ready_o,
  input  logic              cmd_target_i,   // 0 scratchpad, 1 accumulator
  input  logic              cmd_expand8_i,
  input  logic [31:0]       cmd_dram_addr_i,
  input  logic [31:0]       cmd_stride_i,
  input  logic [15:0]       cmd_rows_i,
  input  logic [15:0]       cmd_bytes_i,
  input  logic [31:0]       cmd_sram_addr_i,
  input  logic              abort_i,
  // Completion: ts_dma status codes.
  output logic              done_valid_o,
  input  logic              done_ready_i,
  output logic [3:0]        done_status_o,
  output logic [31:0]       done_addr_o,
  // Scratchpad write port (write only).
  output logic              sp_valid_o,
  input  logic              sp_ready_i,
  output logic [SpAw-1:0]   sp_addr_o,
  output logic [DataW-1:0]  sp_data_o,
  // Accumulator write port (overwrite mode).
  output logic              acc_valid_o,
  input  logic              acc_ready_i,
  output logic [AccAw-1:0]  acc_addr_o,
  output logic [AccW-1:0]   acc_data_o,
  // AXI4 read channels.
  output logic              m_axi_ar_valid_o,
  input  logic              m_axi_ar_ready_i,
  output logic [IdW-1:0]    m_axi_ar_id_o,
  output logic [AddrW-1:0]  m_axi_ar_addr_o,
  output logic [7:0]        m_axi_ar_len_o,
  output logic [2:0]        m_axi_ar_size_o,
  output logic [1:0]        m_axi_ar_burst_o,
  input  logic              m_axi_r_valid_i,
  output logic              m_axi_r_ready_o,
  input  logic [IdW-1:0]    m_axi_r_id_i,
  input  logic [DataW-1:0]  m_axi_r_data_i,
  input  logic [1:0]        m_axi_r_resp_i,
  input  logic              m_axi_r_last_i,
  output logic              busy_o
);

  localparam int unsigned B     = DataW / 8;             // bytes per DMA row (bus beat)
  localparam int unsigned LgB   = $clog2(B);
  localparam int unsigned LgDim = $clog2(Dim);
  localparam int unsigned Half  = DataW / 2;             // Dim bytes: one expand8 row
  // Virtual DMA rows of one command: <= SpadRows (scratchpad, expand8), <= 2*AccRows (acc).
  localparam int unsigned VRows = (SpadRows > 2 * AccRows) ? SpadRows : 2 * AccRows;
  localparam int unsigned VAw   = $clog2(VRows);
  localparam int unsigned OutAw = (SpAw > AccAw) ? SpAw : AccAw;

  // ---------------------------------------------------------------- DMAs and row adapters
  localparam int unsigned OutW = $clog2(MaxReads + 1);  // bursts outstanding per DMA

  logic             cmd_fire, done_fire, ar_fire, r_fire;
  logic             nx_q, cp_q;         // DMA taking the next command; DMA completing next
  logic             ar_sel, r_sel;      // DMA on the AR channel; owner of the R beat
  logic [Dmas-1:0]  d_desc_ready, d_cpl_valid, d_busy, d_req_idle, d_ar_valid, d_r_ready;
  logic [Dmas-1:0]  ar_ok, wr_ok, a_sp_valid, a_acc_valid;
  logic [Dmas*4-1:0]     d_status;
  logic [Dmas*AddrW-1:0] d_cpl_addr, d_ar_addr;
  logic [Dmas*8-1:0]     d_ar_len;
  logic [Dmas*OutAw-1:0] a_out_addr;
  logic [Dmas*DataW-1:0] a_sp_data;
  logic [Dmas*AccW-1:0]  a_acc_data;
  logic [Dmas*OutW-1:0]  out_q;         // bursts requested and not yet fully returned
  logic [16:0]      no_calc, n8_calc;

  assign cmd_fire  = cmd_valid_i && cmd_ready_o;
  assign done_fire = done_valid_o && done_ready_i;

  always_comb begin
    no_calc = (17'(cmd_bytes_i) + 17'(B - 1)) >> LgB;
    n8_calc = (17'(cmd_bytes_i) + 17'(Dim - 1)) >> LgDim;  // expand8 rows per host row
  end

  for (genvar i = 0; i < Dmas; i++) begin : g_dma
    logic             dma_valid, dma_ready, dma_we, dma_target, dma_desc_valid;
    logic             dma_ar_ready, dma_r_valid;
    logic [VAw-1:0]   dma_addr;
    logic [DataW-1:0] dma_data;
    logic [IdW-1:0]   unused_ar_id, unused_aw_id;
    logic             unused_aw_valid, unused_w_valid, unused_w_last, unused_b_ready;
    logic [AddrW-1:0] unused_aw_addr;
    logic [7:0]       unused_aw_len;
    logic [2:0]       unused_ar_size, unused_aw_size;
    logic [1:0]       unused_ar_burst, unused_aw_burst;
    logic [DataW-1:0] unused_w_data;
    logic [B-1:0]     unused_w_strb;
    logic             mine;   // this DMA's turn for the command

    assign mine           = (Dmas == 1) || (nx_q == 1'(i));
    assign dma_desc_valid = cmd_valid_i && mine;
    assign dma_ar_ready   = m_axi_ar_ready_i && ar_ok[i];
    assign dma_r_valid    = m_axi_r_valid_i && (r_sel == 1'(i));

    ts_dma #(
      .DataW    (DataW),
      .AddrW    (AddrW),
      .IdW      (IdW),
      .MaxReads (MaxReads),
      .MaxWrites(2),
      .Windows  (Windows),
      .SramAw   (VAw),
      .SramRows (VRows),
      .RowsW    (16),
      .BprW     (16),
      .CheckStages(CheckStages)
    ) u_dma (
      .clk_i           (clk_i),
      .rst_ni          (rst_ni),
      .cfg_win_we_i    (cfg_win_we_i),
      .cfg_win_idx_i   (cfg_win_idx_i),
      .cfg_win_base_i  (cfg_win_base_i),
      .cfg_win_last_i  (cfg_win_last_i),
      .cfg_win_perm_i  (cfg_win_perm_i),
      .desc_valid_i    (dma_desc_valid),
      .desc_ready_o    (d_desc_ready[i]),
      .desc_dir_i      (1'b0),
      .desc_target_i   (cmd_target_i),
      .desc_dram_addr_i(AddrW'(cmd_dram_addr_i)),
      .desc_rows_i     (cmd_rows_i),
      .desc_bpr_i      (cmd_bytes_i),
      .desc_stride_i   (AddrW'(cmd_stride_i)),
      .desc_sram_addr_i('0),
      .abort_i         (abort_i),
      .cpl_valid_o     (d_cpl_valid[i]),
      .cpl_ready_i     (done_ready_i && (Dmas == 1 || cp_q == 1'(i))),
      .cpl_status_o    (d_status[i*4 +: 4]),
      .cpl_addr_o      (d_cpl_addr[i*AddrW +: AddrW]),
      .busy_o          (d_busy[i]),
      .req_idle_o      (d_req_idle[i]),
      .sram_target_o   (dma_target),
      .sram_req_valid_o(dma_valid),
      .sram_req_ready_i(dma_ready),
      .sram_req_we_o   (dma_we),
      .sram_req_addr_o (dma_addr),
      .sram_req_wdata_o(dma_data),
      .sram_rsp_valid_i(1'b0),
      .sram_rsp_rdata_i('0),
      .m_axi_ar_valid_o(d_ar_valid[i]),
      .m_axi_ar_ready_i(dma_ar_ready),
      .m_axi_ar_id_o   (unused_ar_id),
      .m_axi_ar_addr_o (d_ar_addr[i*AddrW +: AddrW]),
      .m_axi_ar_len_o  (d_ar_len[i*8 +: 8]),
      .m_axi_ar_size_o (unused_ar_size),
      .m_axi_ar_burst_o(unused_ar_burst),
      .m_axi_r_valid_i (dma_r_valid),
      .m_axi_r_ready_o (d_r_ready[i]),
      .m_axi_r_id_i    (m_axi_r_id_i),
      .m_axi_r_data_i  (m_axi_r_data_i),
      .m_axi_r_resp_i  (m_axi_r_resp_i),
      .m_axi_r_last_i  (m_axi_r_last_i),
      .m_axi_aw_valid_o(unused_aw_valid),
      .m_axi_aw_ready_i(1'b0),
      .m_axi_aw_id_o   (unused_aw_id),
      .m_axi_aw_addr_o (unused_aw_addr),
      .m_axi_aw_len_o  (unused_aw_len),
      .m_axi_aw_size_o (unused_aw_size),
      .m_axi_aw_burst_o(unused_aw_burst),
      .m_axi_w_valid_o (unused_w_valid),
      .m_axi_w_ready_i (1'b0),
      .m_axi_w_data_o  (unused_w_data),
      .m_axi_w_strb_o  (unused_w_strb),
      .m_axi_w_last_o  (unused_w_last),
      .m_axi_b_valid_i (1'b0),
      .m_axi_b_ready_o (unused_b_ready),
      .m_axi_b_id_i    ('0),
      .m_axi_b_resp_i  (2'b00)
    );

    // ------------------------------------------------------------ row adapter
    // Command registers (loaded at this DMA's command handshake, held while it runs).
    logic             my_fire;
    logic             acc_q, x8_q, two_last_q;
    logic [15:0]      no_q, j_q;
    logic             h_q;
    logic [DataW-1:0] lo_q;
    logic [OutAw-1:0] out_addr_q;
    logic [VAw-1:0]   vaddr_q;
    logic             last, second, odd, sp_fire, acc_fire, dma_fire;
    logic [Half-1:0]  half;
    logic [DataW-1:0] sp_data;

    assign my_fire = cmd_fire && mine;

    always_comb begin
      last   = (j_q == no_q - 1'b1);
      odd    = j_q[0];
      // expand8: this DMA row also gives a second scratchpad row.
      second = !last || two_last_q;
      half   = h_q ? dma_data[DataW-1:Half] : dma_data[Half-1:0];

      sp_data = dma_data;
      if (x8_q) begin
        for (int unsigned l = 0; l < Dim; l++) begin
          sp_data[l*16 +: 16] = {{8{half[l*8 + 7]}}, half[l*8 +: 8]};
        end
      end
    end
    assign a_sp_data[i*DataW +: DataW] = sp_data;
    assign a_acc_data[i*AccW +: AccW]  = odd ? {dma_data, lo_q} : {{DataW{1'b0}}, dma_data};
    assign a_out_addr[i*OutAw +: OutAw] = out_addr_q;

    // Valids apart from the readies (one block would be a false combinational loop through
    // the scratchpad arbiter). Only the DMA holding the oldest command writes (wr_ok).
    assign a_sp_valid[i]  = dma_valid && wr_ok[i] && !acc_q;
    assign a_acc_valid[i] = dma_valid && wr_ok[i] && acc_q && (odd || last);

    always_comb begin
      if (!wr_ok[i]) begin
        dma_ready = 1'b0;
      end else if (acc_q) begin
        dma_ready = (odd || last) ? acc_ready_i : 1'b1;
      end else if (x8_q) begin
        dma_ready = sp_ready_i && (h_q || !second);
      end else begin
        dma_ready = sp_ready_i;
      end

      sp_fire  = a_sp_valid[i] && sp_ready_i;
      acc_fire = a_acc_valid[i] && acc_ready_i;
      dma_fire = dma_valid && dma_ready;
    end

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        h_q <= 1'b0;
      end else if (my_fire) begin
        h_q <= 1'b0;
      end else if (sp_fire && x8_q) begin
        h_q <= !h_q && second;
      end
    end

    // Command fields and walk counters: loaded at the handshake, not reset.
    always_ff @(posedge clk_i) begin
      if (my_fire) begin
        acc_q      <= cmd_target_i;
        x8_q       <= cmd_expand8_i && !cmd_target_i;
        no_q       <= no_calc[15:0];
        two_last_q <= !n8_calc[0];
      end
      if (my_fire) begin
        j_q     <= '0;
        vaddr_q <= '0;
      end else if (dma_fire) begin
        j_q     <= last ? '0 : j_q + 1'b1;
        vaddr_q <= vaddr_q + 1'b1;
      end
      if (my_fire) begin
        out_addr_q <= OutAw'(cmd_sram_addr_i);
      end else if (sp_fire || acc_fire) begin
        out_addr_q <= out_addr_q + 1'b1;
      end
      if (dma_fire && acc_q && !odd) begin
        lo_q <= dma_data;
      end
    end

    // Bursts outstanding (requested on AR, last beat not yet returned).
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        out_q[i*OutW +: OutW] <= '0;
      end else begin
        out_q[i*OutW +: OutW] <= out_q[i*OutW +: OutW] +
                                 OutW'(ar_fire && (ar_sel == 1'(i))) -
                                 OutW'(r_fire && m_axi_r_last_i && (r_sel == 1'(i)));
      end
    end

    logic unused;
    assign unused = ^{unused_ar_id, unused_aw_id, unused_aw_valid, unused_w_valid,
                      unused_w_last, unused_b_ready, unused_aw_addr, unused_aw_len,
                      unused_ar_size, unused_ar_burst, unused_aw_size, unused_aw_burst,
                      unused_w_data, unused_w_strb, dma_target, dma_we, dma_addr};

    `TS_ASSERT(a_dma_write, dma_valid |-> dma_we, clk_i, rst_ni, "DMA read request on a load")
    `TS_ASSERT(a_dma_row, dma_valid |-> (dma_addr == vaddr_q), clk_i, rst_ni,
               "DMA row out of sequence with the adapter's counters")
    `TS_ASSERT(a_h_expand8, h_q |-> (x8_q && dma_valid), clk_i, rst_ni,
               "second expand8 half pending without its DMA row")
  end

  // ---------------------------------------------------------------- ordering
  // ar_ok: the older DMA requests freely; the newer one once the older has requested all.
  // wr_ok: only the DMA completing next writes, and none after an abort.
  if (Dmas == 1) begin : g_one
    assign ar_ok  = 1'b1;
    assign wr_ok  = !abort_i;
    assign ar_sel = 1'b0;
    assign r_sel  = 1'b0;
    assign nx_q   = 1'b0;
    assign cp_q   = 1'b0;
  end else begin : g_two
    logic nx_r, cp_r;
    for (genvar i = 0; i < 2; i++) begin : g_ok
      assign ar_ok[i] = (cp_r == 1'(i)) || d_req_idle[cp_r];
      assign wr_ok[i] = (cp_r == 1'(i)) && !abort_i;
    end
    assign ar_sel = d_ar_valid[1] && ar_ok[1];
    // R beats belong to the older DMA while it has bursts outstanding (all of its bursts
    // were requested before any of the newer one's).
    assign r_sel  = (out_q[cp_r*OutW +: OutW] != '0) ? cp_r : !cp_r;
    assign nx_q   = nx_r;
    assign cp_q   = cp_r;
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        nx_r <= 1'b0;
        cp_r <= 1'b0;
      end else begin
        if (cmd_fire) nx_r <= !nx_r;
        if (done_fire) cp_r <= !cp_r;
      end
    end
  end

  assign cmd_ready_o   = d_desc_ready[nx_q];
  assign done_valid_o  = d_cpl_valid[cp_q];
  assign done_status_o = d_status[cp_q*4 +: 4];
  assign done_addr_o   = d_cpl_addr[cp_q*AddrW +: AddrW];
  assign busy_o        = (d_busy != '0);

  assign m_axi_ar_valid_o = (d_ar_valid & ar_ok) != '0;
  assign m_axi_ar_id_o    = IdW'(ArId);
  assign m_axi_ar_addr_o  = d_ar_addr[ar_sel*AddrW +: AddrW];
  assign m_axi_ar_len_o   = d_ar_len[ar_sel*8 +: 8];
  assign m_axi_ar_size_o  = 3'(LgB);
  assign m_axi_ar_burst_o = 2'b01;
  assign m_axi_r_ready_o  = d_r_ready[r_sel];
  assign ar_fire = m_axi_ar_valid_o && m_axi_ar_ready_i;
  assign r_fire  = m_axi_r_valid_i && m_axi_r_ready_o;

  // SRAM ports: the writing DMA's adapter (wr_ok is one-hot or zero).
  always_comb begin
    sp_valid_o  = 1'b0;
    acc_valid_o = 1'b0;
    sp_addr_o   = '0;
    acc_addr_o  = '0;
    sp_data_o   = '0;
    acc_data_o  = '0;
    for (int unsigned i = 0; i < Dmas; i++) begin
      if (wr_ok[i]) begin
        sp_valid_o  = a_sp_valid[i];
        acc_valid_o = a_acc_valid[i];
        sp_addr_o   = a_out_addr[i*OutAw +: SpAw];
        acc_addr_o  = a_out_addr[i*OutAw +: AccAw];
        sp_data_o   = a_sp_data[i*DataW +: DataW];
        acc_data_o  = a_acc_data[i*AccW +: AccW];
      end
    end
  end

  // ---------------------------------------------------------------- command legality
  // The decoder refuses these (docs/isa.md: Dims, Sram); here they are only asserted.
  logic [16:0] n_calc;
  logic [33:0] sram_end;
  logic        cmd_legal;

  always_comb begin
    if (cmd_target_i) begin
      n_calc = (17'(cmd_bytes_i) + 17'(4 * Dim - 1)) >> (LgDim + 2);
    end else if (cmd_expand8_i) begin
      n_calc = n8_calc;
    end else begin
      n_calc = no_calc;
    end
    sram_end  = 34'(cmd_sram_addr_i) + 34'(cmd_rows_i) * 34'(n_calc);
    cmd_legal = (cmd_rows_i != '0) && (cmd_bytes_i != '0) &&
                !(cmd_target_i && cmd_expand8_i) &&
                (cmd_target_i ? (cmd_bytes_i[1:0] == 2'b00) :
                                (cmd_expand8_i || !cmd_bytes_i[0])) &&
                (sram_end <= (cmd_target_i ? 34'(AccRows) : 34'(SpadRows)));
  end

  logic unused;
  assign unused = ^{cmd_sram_addr_i[31:OutAw], no_calc[16], n8_calc[16:1], cmd_legal,
                    sram_end, n_calc, m_axi_r_id_i, done_fire, d_req_idle};

  // Assertions
  `TS_ASSERT_INIT(a_dim, Dim == 4 || Dim == 8 || Dim == 16 || Dim == 32,
                  "Dim must be 4, 8, 16 or 32 (bus of 64..512 bits)")
  `TS_ASSERT_INIT(a_rows_pow2, (SpadRows & (SpadRows - 1)) == 0 && SpadRows >= 2 &&
                  (AccRows & (AccRows - 1)) == 0 && AccRows >= 2,
                  "SpadRows and AccRows must be powers of two >= 2")
  `TS_ASSERT_INIT(a_ar_id, IdW >= 32 || ArId < (1 << IdW), "ArId does not fit IdW")
  `TS_ASSERT(a_cmd_legal, cmd_valid_i |-> cmd_legal, clk_i, rst_ni,
             "LOAD command with illegal dims or SRAM range (the decoder refuses these)")
  `TS_ASSERT(a_cmd_stable, (cmd_valid_i && !cmd_ready_o) |=> cmd_valid_i, clk_i, rst_ni,
             "LOAD command withdrawn before it was accepted")
  `TS_ASSERT_INIT(a_dmas, Dmas == 1 || Dmas == 2, "Dmas must be 1 or 2")
  `TS_ASSERT(a_ar_one, $onehot0(d_ar_valid & ar_ok), clk_i, rst_ni,
             "both DMAs on the AR channel")
  // The DMAs withdraw a refused SRAM write on abort; ts_load never presents one then: abort_i
  // rises at a completion handshake (the controller's stop), when the DMA completing next
  // changes and the new one has not yet presented a write.
  `TS_ASSERT(a_abort_clean, ((sp_valid_o && !sp_ready_i) || (acc_valid_o && !acc_ready_i)) |=>
             !abort_i, clk_i, rst_ni, "abort while an SRAM write waits")
  `TS_ASSERT(a_r_owner, m_axi_r_valid_i |-> (out_q[r_sel*OutW +: OutW] != '0), clk_i, rst_ni,
             "R beat with no burst outstanding")

endmodule
