// SPDX-License-Identifier: Apache-2.0
// Host bridge over a byte stream (docs/fpga.md "Protocol"): CSR reads/writes as an
// AXI4-Lite master and byte reads/writes of the on-chip memory (ts_axi_ram's byte port),
// with a response and a status byte for every request.
//
// Request:  0x5A, op, addr[7:0], addr[15:8], addr[23:16], addr[31:24], len, payload, crc
// Response: 0xA5, status, payload (only with status 0), crc
// crc is CRC-8 (polynomial 0x07, initial 0) over every byte after the sync byte. A
// MEM_WRITE payload is buffered and written to the memory only after its crc checked, so
// a corrupted request changes nothing. Bytes that arrive while a request executes or its
// response is sent are dropped (one request at a time); a request whose bytes stop for
// TimeoutCycles is abandoned without a response, which is how the host resynchronises.
`include "ts_assert.svh"

module ts_uart_bridge #(
  parameter logic [31:0] RamBase       = 32'h1000_0000,
  parameter int unsigned RamBytes      = 16384,
  parameter int unsigned TimeoutCycles = 1 << 20,
  localparam int unsigned RamAw        = $clog2(RamBytes),
  localparam int unsigned TmoW         = $clog2(TimeoutCycles + 1)
) (
  input  logic             clk_i,
  input  logic             rst_ni,
  input  logic             irq_i,
  // Byte streams from / to the UART
  input  logic             rx_valid_i,
  output logic             rx_ready_o,
  input  logic [7:0]       rx_data_i,
  output logic             tx_valid_o,
  input  logic             tx_ready_i,
  output logic [7:0]       tx_data_o,
  // AXI4-Lite master (the chip's CSRs)
  output logic             m_axil_aw_valid_o,
  input  logic             m_axil_aw_ready_i,
  output logic [11:0]      m_axil_aw_addr_o,
  output logic             m_axil_w_valid_o,
  input  logic             m_axil_w_ready_i,
  output logic [31:0]      m_axil_w_data_o,
  output logic [3:0]       m_axil_w_strb_o,
  input  logic             m_axil_b_valid_i,
  output logic             m_axil_b_ready_o,
  input  logic [1:0]       m_axil_b_resp_i,
  output logic             m_axil_ar_valid_o,
  input  logic             m_axil_ar_ready_i,
  output logic [11:0]      m_axil_ar_addr_o,
  input  logic             m_axil_r_valid_i,
  output logic             m_axil_r_ready_o,
  input  logic [31:0]      m_axil_r_data_i,
  input  logic [1:0]       m_axil_r_resp_i,
  // Memory byte port (ts_axi_ram)
  output logic             mem_req_o,
  output logic             mem_we_o,
  output logic [RamAw-1:0] mem_addr_o,
  output logic [7:0]       mem_wdata_o,
  input  logic             mem_gnt_i,
  input  logic             mem_rvalid_i,
  input  logic [7:0]       mem_rdata_i,
  // Status for LEDs: a request is being received or served; the last response was an error.
  output logic             busy_o,
  output logic             err_o
);

  localparam logic [7:0] ReqSync  = 8'h5A;
  localparam logic [7:0] RespSync = 8'hA5;
  localparam logic [7:0] Version  = 8'h01;
  // Opcodes
  localparam logic [7:0] OpInfo   = 8'h01;
  localparam logic [7:0] OpCsrRd  = 8'h02;
  localparam logic [7:0] OpCsrWr  = 8'h03;
  localparam logic [7:0] OpMemRd  = 8'h04;
  localparam logic [7:0] OpMemWr  = 8'h05;
  // Status codes
  localparam logic [7:0] StatOk      = 8'h00;
  localparam logic [7:0] StatBadCrc  = 8'h01;
  localparam logic [7:0] StatBadOp   = 8'h02;
  localparam logic [7:0] StatBadAddr = 8'h03;
  localparam logic [7:0] StatBusErr  = 8'h04;
  localparam logic [TmoW-1:0] TmoMax = TmoW'(TimeoutCycles);

  typedef enum logic [3:0] {
    StSync,      // wait for 0x5A
    StHdr,       // op, addr x4, len
    StPay,       // payload
    StCrc,       // request crc
    StExec,      // check and dispatch
    StCsrRd,     // AXI4-Lite read
    StCsrWr,     // AXI4-Lite write
    StMemWrRd,   // MEM_WRITE: read the buffered byte
    StMemWrReq,  // MEM_WRITE: write it to the memory
    StRespSync,  // send 0xA5
    StRespStat,  // send status
    StRespPay,   // send CSR data / INFO
    StMemRdReq,  // MEM_READ: read a byte from the memory
    StMemRdWait, // MEM_READ: send it
    StRespCrc    // send crc
  } state_e;

  function automatic logic [7:0] crc8(input logic [7:0] crc, input logic [7:0] data);
    logic [7:0] c;
    c = crc ^ data;
    for (int i = 0; i < 8; i++) begin
      c = c[7] ? ((c << 1) ^ 8'h07) : (c << 1);
    end
    crc8 = c;
  endfunction

  state_e          state_q, state_d;
  logic [7:0]      op_q, op_d, len_q, len_d, crc_q, crc_d, stat_q, stat_d;
  logic [31:0]     addr_q, addr_d, data_q, data_d;
  logic [8:0]      cnt_q, cnt_d;        // byte index in the current field / transfer
  logic [8:0]      pay_n;               // request payload bytes
  logic [8:0]      resp_n;              // response payload bytes (CSR_READ, INFO)
  logic [TmoW-1:0] tmo_q, tmo_d;
  logic            tx_valid_q, tx_valid_d;
  logic [7:0]      tx_data_q, tx_data_d;
  logic            aw_done_q, aw_done_d, w_done_q, w_done_d, ar_done_q, ar_done_d;
  logic            err_q, err_d;
  logic            rx_take;
  logic [8:0]      n_bytes;             // memory transfer bytes: len + 1
  logic [RamAw:0]  mem_end;             // offset + n_bytes
  logic            mem_ok, csr_ok;
  logic [79:0]     info;
  logic            buf_we, buf_re;
  logic [7:0]      buf_rdata;

  assign rx_ready_o = 1'b1;  // bytes outside a request are dropped
  assign rx_take    = rx_valid_i;
  assign n_bytes    = 9'(len_q) + 9'd1;
  assign mem_end    = (RamAw + 1)'(addr_q[RamAw-1:0]) + (RamAw + 1)'(n_bytes);
  assign mem_ok     = addr_q[31:RamAw] == RamBase[31:RamAw] && mem_end <= (RamAw + 1)'(RamBytes);
  assign csr_ok     = addr_q[31:12] == '0 && addr_q[1:0] == 2'b00;
  assign info       = {32'(RamBytes), RamBase, 7'd0, irq_i, Version};

  always_comb begin
    unique case (op_q)
      OpCsrWr: pay_n = 9'd4;
      OpMemWr: pay_n = n_bytes;
      default: pay_n = 9'd0;
    endcase
    unique case (op_q)
      OpCsrRd: resp_n = 9'd4;
      OpInfo:  resp_n = 9'd10;
      default: resp_n = 9'd0;
    endcase
  end

  // MEM_WRITE payload buffer (one frame, at most 256 bytes).
  ts_sram #(
    .Width  (8),
    .Depth  (256),
    .TwoPort(1'b1)
  ) u_buf (
    .clk_i  (clk_i),
    .we_i   (buf_we),
    .waddr_i(cnt_q[7:0]),
    .wdata_i(rx_data_i),
    .re_i   (buf_re),
    .raddr_i(cnt_q[7:0]),
    .rdata_o(buf_rdata)
  );

  always_comb begin
    state_d    = state_q;
    op_d       = op_q;
    len_d      = len_q;
    crc_d      = crc_q;
    stat_d     = stat_q;
    addr_d     = addr_q;
    data_d     = data_q;
    cnt_d      = cnt_q;
    tmo_d      = '0;
    tx_valid_d = tx_valid_q && !tx_ready_i;
    tx_data_d  = tx_data_q;
    aw_done_d  = aw_done_q;
    w_done_d   = w_done_q;
    ar_done_d  = ar_done_q;
    err_d      = err_q;
    buf_we     = 1'b0;
    buf_re     = 1'b0;
    unique case (state_q)
      StSync: begin
        if (rx_take && rx_data_i == ReqSync) begin
          state_d = StHdr;
          cnt_d   = '0;
          crc_d   = '0;
        end
      end
      StHdr: begin
        if (rx_take) begin
          crc_d = crc8(crc_q, rx_data_i);
          cnt_d = cnt_q + 9'd1;
          if (cnt_q == 9'd0) begin
            op_d = rx_data_i;
          end else if (cnt_q <= 9'd4) begin
            addr_d = {rx_data_i, addr_q[31:8]};
          end else begin
            len_d = rx_data_i;
            cnt_d = '0;
            state_d = StPay;
          end
        end
      end
      StPay: begin
        if (cnt_q == pay_n) begin
          state_d = StCrc;
        end else if (rx_take) begin
          crc_d  = crc8(crc_q, rx_data_i);
          cnt_d  = cnt_q + 9'd1;
          data_d = {rx_data_i, data_q[31:8]};
          buf_we = op_q == OpMemWr;
        end
      end
      StCrc: begin
        if (rx_take) begin
          state_d = StExec;
          stat_d  = (crc_q == rx_data_i) ? StatOk : StatBadCrc;
        end
      end
      StExec: begin
        cnt_d   = '0;
        state_d = StRespSync;
        if (stat_q == StatOk) begin
          unique case (op_q)
            OpInfo: stat_d = StatOk;
            OpCsrRd, OpCsrWr: begin
              if (!csr_ok) begin
                stat_d = StatBadAddr;
              end else begin
                state_d   = (op_q == OpCsrRd) ? StCsrRd : StCsrWr;
                aw_done_d = 1'b0;
                w_done_d  = 1'b0;
                ar_done_d = 1'b0;
              end
            end
            OpMemRd, OpMemWr: begin
              if (!mem_ok) begin
                stat_d = StatBadAddr;
              end else if (op_q == OpMemWr) begin
                state_d = StMemWrRd;
              end
            end
            default: stat_d = StatBadOp;
          endcase
        end
      end
      StCsrRd: begin
        if (m_axil_ar_valid_o && m_axil_ar_ready_i) ar_done_d = 1'b1;
        if (m_axil_r_valid_i) begin
          data_d  = m_axil_r_data_i;
          stat_d  = (m_axil_r_resp_i == 2'b00) ? StatOk : StatBusErr;
          state_d = StRespSync;
        end
      end
      StCsrWr: begin
        if (m_axil_aw_valid_o && m_axil_aw_ready_i) aw_done_d = 1'b1;
        if (m_axil_w_valid_o && m_axil_w_ready_i) w_done_d = 1'b1;
        if (m_axil_b_valid_i) begin
          stat_d  = (m_axil_b_resp_i == 2'b00) ? StatOk : StatBusErr;
          state_d = StRespSync;
        end
      end
      StMemWrRd: begin
        buf_re  = 1'b1;
        state_d = StMemWrReq;
      end
      StMemWrReq: begin
        if (mem_gnt_i) begin
          cnt_d   = cnt_q + 9'd1;
          state_d = (cnt_q + 9'd1 == n_bytes) ? StRespSync : StMemWrRd;
        end
      end
      StRespSync: begin
        if (!tx_valid_q) begin
          tx_valid_d = 1'b1;
          tx_data_d  = RespSync;
          crc_d      = '0;
          cnt_d      = '0;
          state_d    = StRespStat;
        end
      end
      StRespStat: begin
        if (!tx_valid_q) begin
          tx_valid_d = 1'b1;
          tx_data_d  = stat_q;
          crc_d      = crc8(crc_q, stat_q);
          err_d      = stat_q != StatOk;
          if (stat_q != StatOk) begin
            state_d = StRespCrc;
          end else if (op_q == OpMemRd) begin
            state_d = StMemRdReq;
          end else if (resp_n != '0) begin
            state_d = StRespPay;
          end else begin
            state_d = StRespCrc;
          end
        end
      end
      StRespPay: begin
        if (!tx_valid_q) begin
          tx_valid_d = 1'b1;
          tx_data_d  = (op_q == OpCsrRd) ? data_q[8*cnt_q[1:0] +: 8] : info[8*cnt_q[3:0] +: 8];
          crc_d      = crc8(crc_q, tx_data_d);
          cnt_d      = cnt_q + 9'd1;
          if (cnt_q + 9'd1 == resp_n) state_d = StRespCrc;
        end
      end
      StMemRdReq: begin
        if (mem_req_o && mem_gnt_i) state_d = StMemRdWait;
      end
      StMemRdWait: begin
        if (mem_rvalid_i) begin
          tx_valid_d = 1'b1;
          tx_data_d  = mem_rdata_i;
          crc_d      = crc8(crc_q, mem_rdata_i);
          cnt_d      = cnt_q + 9'd1;
          state_d    = (cnt_q + 9'd1 == n_bytes) ? StRespCrc : StMemRdReq;
        end
      end
      StRespCrc: begin
        if (!tx_valid_q) begin
          tx_valid_d = 1'b1;
          tx_data_d  = crc_q;
          state_d    = StSync;
        end
      end
      default: state_d = StSync;
    endcase
    // A request whose bytes stop is abandoned.
    if ((state_q == StHdr || state_q == StPay || state_q == StCrc) && !rx_take) begin
      if (tmo_q == TmoMax) begin
        state_d = StSync;
      end else begin
        tmo_d = tmo_q + 1'b1;
      end
    end
  end

  // Handshake outputs depend on registers only (the inputs they meet are decoded above).
  assign m_axil_ar_valid_o = state_q == StCsrRd && !ar_done_q;
  assign m_axil_r_ready_o  = state_q == StCsrRd;
  assign m_axil_aw_valid_o = state_q == StCsrWr && !aw_done_q;
  assign m_axil_w_valid_o  = state_q == StCsrWr && !w_done_q;
  assign m_axil_b_ready_o  = state_q == StCsrWr;
  assign mem_req_o         = state_q == StMemWrReq || (state_q == StMemRdReq && !tx_valid_q);
  assign mem_we_o          = state_q == StMemWrReq;
  assign mem_addr_o        = addr_q[RamAw-1:0] + RamAw'(cnt_q);
  assign mem_wdata_o      = buf_rdata;
  assign m_axil_aw_addr_o = addr_q[11:0];
  assign m_axil_ar_addr_o = addr_q[11:0];
  assign m_axil_w_data_o  = data_q;
  assign m_axil_w_strb_o  = 4'hf;
  assign tx_valid_o       = tx_valid_q;
  assign tx_data_o        = tx_data_q;
  assign busy_o           = state_q != StSync;
  assign err_o            = err_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StSync;
      cnt_q      <= '0;
      tmo_q      <= '0;
      tx_valid_q <= 1'b0;
      aw_done_q  <= 1'b0;
      w_done_q   <= 1'b0;
      ar_done_q  <= 1'b0;
      err_q      <= 1'b0;
    end else begin
      state_q    <= state_d;
      cnt_q      <= cnt_d;
      tmo_q      <= tmo_d;
      tx_valid_q <= tx_valid_d;
      aw_done_q  <= aw_done_d;
      w_done_q   <= w_done_d;
      ar_done_q  <= ar_done_d;
      err_q      <= err_d;
    end
  end

  // Request fields and data (qualified by the state): no reset.
  always_ff @(posedge clk_i) begin
    op_q      <= op_d;
    len_q     <= len_d;
    crc_q     <= crc_d;
    stat_q    <= stat_d;
    addr_q    <= addr_d;
    data_q    <= data_d;
    tx_data_q <= tx_data_d;
  end

  // Assertions
  `TS_ASSERT_INIT(a_ram, (RamBytes & (RamBytes - 1)) == 0 && RamBytes >= 256 &&
                  (RamBase & 32'(RamBytes - 1)) == 0,
                  "RamBytes must be a power of two >= 256 and RamBase a multiple of it")
  `TS_ASSERT_INIT(a_tmo, TimeoutCycles >= 16, "TimeoutCycles must be at least 16")
  `TS_ASSERT(a_tx_hold, tx_valid_o && !tx_ready_i |=> tx_valid_o && $stable(tx_data_o),
             clk_i, rst_ni, "tx byte changed before it was taken")
  `TS_ASSERT(a_ar_hold, m_axil_ar_valid_o && !m_axil_ar_ready_i |=> m_axil_ar_valid_o,
             clk_i, rst_ni, "AR dropped before it was taken")

endmodule
