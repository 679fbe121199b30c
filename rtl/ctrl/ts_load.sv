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

  // ---------------------------------------------------------------- DMA
  logic             dma_valid, dma_ready, dma_we, dma_target;
  logic [VAw-1:0]   dma_addr;
  logic [DataW-1:0] dma_data;
  logic [IdW-1:0]   unused_ar_id, unused_aw_id;
  logic             unused_aw_valid, unused_w_valid, unused_w_last, unused_b_ready;
  logic [AddrW-1:0] unused_aw_addr;
  logic [7:0]       unused_aw_len;
  logic [2:0]       unused_aw_size;
  logic [1:0]       unused_aw_burst;
  logic [DataW-1:0] unused_w_data;
  logic [B-1:0]     unused_w_strb;

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
    .BprW     (16)
  ) u_dma (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .cfg_win_we_i    (cfg_win_we_i),
    .cfg_win_idx_i   (cfg_win_idx_i),
    .cfg_win_base_i  (cfg_win_base_i),
    .cfg_win_last_i  (cfg_win_last_i),
    .cfg_win_perm_i  (cfg_win_perm_i),
    .desc_valid_i    (cmd_valid_i),
    .desc_ready_o    (cmd_ready_o),
    .desc_dir_i      (1'b0),
    .desc_target_i   (cmd_target_i),
    .desc_dram_addr_i(AddrW'(cmd_dram_addr_i)),
    .desc_rows_i     (cmd_rows_i),
    .desc_bpr_i      (cmd_bytes_i),
    .desc_stride_i   (AddrW'(cmd_stride_i)),
    .desc_sram_addr_i('0),
    .cpl_valid_o     (done_valid_o),
    .cpl_ready_i     (done_ready_i),
    .cpl_status_o    (done_status_o),
    .cpl_addr_o      (done_addr_o),
    .busy_o          (busy_o),
    .sram_target_o   (dma_target),
    .sram_req_valid_o(dma_valid),
    .sram_req_ready_i(dma_ready),
    .sram_req_we_o   (dma_we),
    .sram_req_addr_o (dma_addr),
    .sram_req_wdata_o(dma_data),
    .sram_rsp_valid_i(1'b0),
    .sram_rsp_rdata_i('0),
    .m_axi_ar_valid_o(m_axi_ar_valid_o),
    .m_axi_ar_ready_i(m_axi_ar_ready_i),
    .m_axi_ar_id_o   (unused_ar_id),
    .m_axi_ar_addr_o (m_axi_ar_addr_o),
    .m_axi_ar_len_o  (m_axi_ar_len_o),
    .m_axi_ar_size_o (m_axi_ar_size_o),
    .m_axi_ar_burst_o(m_axi_ar_burst_o),
    .m_axi_r_valid_i (m_axi_r_valid_i),
    .m_axi_r_ready_o (m_axi_r_ready_o),
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

  assign m_axi_ar_id_o = IdW'(ArId);

  // ---------------------------------------------------------------- row adapter
  // Command registers (loaded at the command handshake, held while the DMA runs).
  logic             cmd_fire;
  logic             acc_q, x8_q, two_last_q;
  logic [15:0]      no_q, j_q;
  logic             h_q;
  logic [DataW-1:0] lo_q;
  logic [OutAw-1:0] out_addr_q;
  logic [VAw-1:0]   vaddr_q;
  logic [16:0]      no_calc, n8_calc;

  assign cmd_fire = cmd_valid_i && cmd_ready_o;

  always_comb begin
    no_calc = (17'(cmd_bytes_i) + 17'(B - 1)) >> LgB;
    n8_calc = (17'(cmd_bytes_i) + 17'(Dim - 1)) >> LgDim;  // expand8 rows per host row
  end

  logic             last, second, odd, sp_fire, acc_fire, dma_fire;
  logic [Half-1:0]  half;

  always_comb begin
    last   = (j_q == no_q - 1'b1);
    odd    = j_q[0];
    // expand8: this DMA row also gives a second scratchpad row.
    second = !last || two_last_q;
    half   = h_q ? dma_data[DataW-1:Half] : dma_data[Half-1:0];

    sp_data_o = dma_data;
    if (x8_q) begin
      for (int unsigned l = 0; l < Dim; l++) begin
        sp_data_o[l*16 +: 16] = {{8{half[l*8 + 7]}}, half[l*8 +: 8]};
      end
    end
    acc_data_o = odd ? {dma_data, lo_q} : {{DataW{1'b0}}, dma_data};
  end

  // Valids apart from the readies (one block would be a false combinational loop through
  // the scratchpad arbiter).
  assign sp_valid_o  = dma_valid && !acc_q;
  assign acc_valid_o = dma_valid && acc_q && (odd || last);

  always_comb begin
    if (acc_q) begin
      dma_ready = (odd || last) ? acc_ready_i : 1'b1;
    end else if (x8_q) begin
      dma_ready = sp_ready_i && (h_q || !second);
    end else begin
      dma_ready = sp_ready_i;
    end

    sp_fire  = sp_valid_o && sp_ready_i;
    acc_fire = acc_valid_o && acc_ready_i;
    dma_fire = dma_valid && dma_ready;
  end

  assign sp_addr_o  = out_addr_q[SpAw-1:0];
  assign acc_addr_o = out_addr_q[AccAw-1:0];

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      h_q <= 1'b0;
    end else if (cmd_fire) begin
      h_q <= 1'b0;
    end else if (sp_fire && x8_q) begin
      h_q <= !h_q && second;
    end
  end

  // Command fields and walk counters: loaded at the handshake, not reset.
  always_ff @(posedge clk_i) begin
    if (cmd_fire) begin
      acc_q      <= cmd_target_i;
      x8_q       <= cmd_expand8_i && !cmd_target_i;
      no_q       <= no_calc[15:0];
      two_last_q <= !n8_calc[0];
    end
    if (cmd_fire) begin
      j_q     <= '0;
      vaddr_q <= '0;
    end else if (dma_fire) begin
      j_q     <= last ? '0 : j_q + 1'b1;
      vaddr_q <= vaddr_q + 1'b1;
    end
    if (cmd_fire) begin
      out_addr_q <= OutAw'(cmd_sram_addr_i);
    end else if (sp_fire || acc_fire) begin
      out_addr_q <= out_addr_q + 1'b1;
    end
    if (dma_fire && acc_q && !odd) begin
      lo_q <= dma_data;
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
  assign unused = ^{unused_ar_id, unused_aw_id, unused_aw_valid, unused_w_valid,
                    unused_w_last, unused_b_ready, unused_aw_addr, unused_aw_len,
                    unused_aw_size, unused_aw_burst, unused_w_data, unused_w_strb,
                    dma_target, dma_we, dma_addr, cmd_sram_addr_i[31:OutAw], no_calc[16],
                    n8_calc[16:1], cmd_legal, sram_end, n_calc};

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
  `TS_ASSERT(a_dma_write, dma_valid |-> dma_we, clk_i, rst_ni, "DMA read request on a load")
  `TS_ASSERT(a_dma_row, dma_valid |-> (dma_addr == vaddr_q), clk_i, rst_ni,
             "DMA row out of sequence with the adapter's counters")
  `TS_ASSERT(a_h_expand8, h_q |-> (x8_q && dma_valid), clk_i, rst_ni,
             "second expand8 half pending without its DMA row")

endmodule
