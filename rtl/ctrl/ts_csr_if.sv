// SPDX-License-Identifier: Apache-2.0
// AXI4-Lite slave -> CSR register bus, and the soft-reset request.
//
// One write (AW and W together) and one read at a time; a read waits in a cycle with a
// write. Only whole-word writes (WSTRB = 4'hf) reach the registers; others answer SLVERR
// and change nothing. Address bits [1:0] are ignored. Writing CTRL with soft_reset set
// requests a soft reset: quiesce_o asks the core to start nothing new, and once it reports
// quiet_i (no AXI transaction in flight) soft_rst_o is held for SoftCycles cycles. This
// module is reset only by rst_ni, so the transaction that asked for it completes normally.
`include "ts_assert.svh"

module ts_csr_if #(
  parameter int unsigned SoftCycles = 8
) (
  input  logic        clk_i,
  input  logic        rst_ni,
  input  logic        s_axil_aw_valid_i,
  output logic        s_axil_aw_ready_o,
  input  logic [11:0] s_axil_aw_addr_i,
  input  logic        s_axil_w_valid_i,
  output logic        s_axil_w_ready_o,
  input  logic [31:0] s_axil_w_data_i,
  input  logic [3:0]  s_axil_w_strb_i,
  output logic        s_axil_b_valid_o,
  input  logic        s_axil_b_ready_i,
  output logic [1:0]  s_axil_b_resp_o,
  input  logic        s_axil_ar_valid_i,
  output logic        s_axil_ar_ready_o,
  input  logic [11:0] s_axil_ar_addr_i,
  output logic        s_axil_r_valid_o,
  input  logic        s_axil_r_ready_i,
  output logic [31:0] s_axil_r_data_o,
  output logic [1:0]  s_axil_r_resp_o,
  output logic        csr_we_o,
  output logic        csr_re_o,
  output logic [11:0] csr_addr_o,
  output logic [31:0] csr_wdata_o,
  input  logic [31:0] csr_rdata_i,
  input  logic        quiet_i,
  output logic        quiesce_o,
  output logic        soft_rst_o
);

  localparam int unsigned CntW = $clog2(SoftCycles + 1);

  logic            b_valid_q, r_valid_q;
  logic [1:0]      b_resp_q;
  logic [31:0]     r_data_q;
  logic [CntW-1:0] srst_q, srst_d;
  logic            w_fire, r_fire, w_full;
  logic            soft_q, unused_addr;
  logic            pend_q, pend_d;

  assign unused_addr = ^{s_axil_aw_addr_i[1:0], s_axil_ar_addr_i[1:0]};

  assign w_fire = s_axil_aw_valid_i && s_axil_w_valid_i && !b_valid_q;
  assign w_full = (s_axil_w_strb_i == 4'hf);
  assign r_fire = s_axil_ar_valid_i && !r_valid_q && !w_fire;

  assign s_axil_aw_ready_o = w_fire;
  assign s_axil_w_ready_o  = w_fire;
  assign s_axil_ar_ready_o = r_fire;
  assign s_axil_b_valid_o  = b_valid_q;
  assign s_axil_b_resp_o   = b_resp_q;
  assign s_axil_r_valid_o  = r_valid_q;
  assign s_axil_r_data_o   = r_data_q;
  assign s_axil_r_resp_o   = 2'b00;

  assign csr_we_o    = w_fire && w_full;
  assign csr_re_o    = r_fire;
  assign csr_addr_o  = w_fire ? {s_axil_aw_addr_i[11:2], 2'b00} : {s_axil_ar_addr_i[11:2], 2'b00};
  assign csr_wdata_o = s_axil_w_data_i;
  assign soft_rst_o  = soft_q;  // a flop: it drives an asynchronous reset

  always_comb begin
    srst_d = srst_q;
    pend_d = pend_q;
    if (csr_we_o && csr_addr_o == ts_isa_pkg::CsrCtrl &&
        s_axil_w_data_i[ts_isa_pkg::CtrlSoftReset] && srst_q == '0) begin
      pend_d = 1'b1;
    end
    if (pend_q && quiet_i) begin
      pend_d = 1'b0;
      srst_d = CntW'(SoftCycles);
    end else if (srst_q != '0) begin
      srst_d = srst_q - 1'b1;
    end
  end

  assign quiesce_o = pend_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      b_valid_q <= 1'b0;
      b_resp_q  <= 2'b00;
      r_valid_q <= 1'b0;
      srst_q    <= '0;
      soft_q    <= 1'b0;
      pend_q    <= 1'b0;
    end else begin
      srst_q <= srst_d;
      pend_q <= pend_d;
      soft_q <= (srst_d != '0);
      if (w_fire) begin
        b_valid_q <= 1'b1;
        b_resp_q  <= w_full ? 2'b00 : 2'b10;
      end else if (s_axil_b_ready_i) begin
        b_valid_q <= 1'b0;
      end
      if (r_fire) begin
        r_valid_q <= 1'b1;
      end else if (s_axil_r_ready_i) begin
        r_valid_q <= 1'b0;
      end
    end
  end

  // CTRL[0] reads 1 while a soft reset is pending or running (the host polls it).
  always_ff @(posedge clk_i) begin
    if (r_fire) begin
      r_data_q <= (csr_addr_o == ts_isa_pkg::CsrCtrl)
                  ? {csr_rdata_i[31:1], pend_q || soft_q || srst_q != '0} : csr_rdata_i;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_soft_cycles, SoftCycles >= 2, "SoftCycles must be at least 2")
  `TS_ASSERT_INIT(a_isa_soft_reset_bit, ts_isa_pkg::CtrlSoftReset == 0,
                  "the CTRL read path above places soft_reset in bit 0")
  `TS_ASSERT(a_b_stable, !(b_valid_q && !s_axil_b_ready_i) || !w_fire, clk_i, rst_ni,
             "write accepted while a response is pending")

endmodule
