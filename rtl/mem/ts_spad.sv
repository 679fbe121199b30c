// SPDX-License-Identifier: Apache-2.0
// Banked scratchpad: rows of Dim 16-bit elements, Banks single-port banks, Ports requesters.
//
// Rows are interleaved over the banks (bank = row address mod Banks, or an XOR hash, see
// XorBanks), so a unit streaming consecutive rows visits every bank in turn. Each bank
// serves one request per cycle; when several ports address the same bank in a cycle, one
// is granted (round-robin per bank, the pointer moves past the winner; or fixed priority,
// lowest port first) and the others see req_ready_o low and retry. A granted read
// returns its row exactly one cycle later on rsp_valid_o / rsp_rdata_o; the response has
// no back-pressure, so a requester only asks for rows it can take.
`include "ts_assert.svh"

module ts_spad #(
  parameter int unsigned Dim   = 4,
  parameter int unsigned Banks = 2,
  parameter int unsigned Depth = 8,   // rows per bank
  parameter int unsigned Ports = 2,
  // 1: port 0 always wins a bank, then port 1, ... (a streaming reader that must never
  // stall goes on port 0); 0: round-robin per bank.
  parameter bit          FixedPriority = 1'b0,
  // 1: bank = XOR of all BankW-bit slices of the address (row in bank = address / Banks
  // as before, so the map stays one-to-one), which spreads strided streams (a matrix row
  // every 2^j rows) over the banks; 0: bank = address mod Banks.
  parameter bit          XorBanks      = 1'b0,
  localparam int unsigned RowW  = Dim * 16,
  localparam int unsigned Rows  = Banks * Depth,
  localparam int unsigned AddrW = $clog2(Rows),
  localparam int unsigned BankW = (Banks > 1) ? $clog2(Banks) : 1,
  localparam int unsigned RowAw = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned PortW = (Ports > 1) ? $clog2(Ports) : 1
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // Requests, one per port (flat vectors, port p at [p*W +: W]).
  input  logic [Ports-1:0]      req_valid_i,
  output logic [Ports-1:0]      req_ready_o,
  input  logic [Ports-1:0]      req_we_i,
  input  logic [Ports*AddrW-1:0] req_addr_i,
  input  logic [Ports*RowW-1:0] req_wdata_i,
  // Read responses, one cycle after the read was granted.
  output logic [Ports-1:0]      rsp_valid_o,
  output logic [Ports*RowW-1:0] rsp_rdata_o,
  // Per port: request waited this cycle because another port held its bank (perf counter).
  output logic [Ports-1:0]      conflict_o
);

  logic [Ports*BankW-1:0] port_bank;
  logic [Ports*RowAw-1:0] port_row;
  logic [Ports-1:0]       grant;
  logic [Banks-1:0]       bank_we, bank_re, bank_hit;
  logic [Banks*PortW-1:0] bank_sel;
  logic [Banks*RowAw-1:0] bank_row;
  logic [Banks*RowW-1:0]  bank_wdata, bank_rdata;
  logic [Banks*PortW-1:0] rr_d, rr_q;
  logic [Ports-1:0]       rsp_valid_d, rsp_valid_q;
  logic [Ports*BankW-1:0] rsp_bank_d, rsp_bank_q;

  for (genvar p = 0; p < Ports; p++) begin : g_port_addr
    if (Banks > 1) begin : g_banked
      if (XorBanks) begin : g_xor
        always_comb begin
          logic [BankW-1:0] h;
          h = '0;
          for (int unsigned i = 0; i < AddrW; i += BankW) begin
            for (int unsigned j = 0; j < BankW; j++) begin
              if (i + j < AddrW) h[j] = h[j] ^ req_addr_i[p*AddrW + i + j];
            end
          end
          port_bank[p*BankW +: BankW] = h;
        end
      end else begin : g_mod
        assign port_bank[p*BankW +: BankW] = req_addr_i[p*AddrW +: BankW];
      end
      assign port_row[p*RowAw +: RowAw]  = req_addr_i[p*AddrW + BankW +: RowAw];
    end else begin : g_single
      assign port_bank[p*BankW +: BankW] = '0;
      assign port_row[p*RowAw +: RowAw]  = req_addr_i[p*AddrW +: RowAw];
    end
  end

  // Per-bank round-robin arbiter: scan the ports starting at the bank's pointer. The data
  // mux is a separate block so that grant never depends on write data.
  always_comb begin
    grant    = '0;
    bank_hit = '0;
    bank_sel = '0;
    rr_d     = rr_q;
    for (int unsigned b = 0; b < Banks; b++) begin
      for (int unsigned k = 0; k < Ports; k++) begin
        int unsigned p;
        p = FixedPriority ? k : int'(rr_q[b*PortW +: PortW]) + k;
        if (p >= Ports) p = p - Ports;
        if (!bank_hit[b] && req_valid_i[p] && (int'(port_bank[p*BankW +: BankW]) == b)) begin
          bank_hit[b]                = 1'b1;
          grant[p]                   = 1'b1;
          bank_sel[b*PortW +: PortW] = PortW'(p);
          rr_d[b*PortW +: PortW]     = (p + 1 >= Ports) ? '0 : PortW'(p + 1);
        end
      end
    end
  end

  always_comb begin
    for (int unsigned b = 0; b < Banks; b++) begin
      int unsigned p;
      p = int'(bank_sel[b*PortW +: PortW]);
      bank_we[b]                 = bank_hit[b] && req_we_i[p];
      bank_re[b]                 = bank_hit[b] && !req_we_i[p];
      bank_row[b*RowAw +: RowAw] = port_row[p*RowAw +: RowAw];
      bank_wdata[b*RowW +: RowW] = req_wdata_i[p*RowW +: RowW];
    end
  end

  assign req_ready_o = grant;
  assign conflict_o  = req_valid_i & ~grant;

  for (genvar b = 0; b < Banks; b++) begin : g_bank
    ts_sram #(.Width(RowW), .Depth(Depth), .TwoPort(1'b0)) u_sram (
      .clk_i  (clk_i),
      .we_i   (bank_we[b]),
      .waddr_i(bank_row[b*RowAw +: RowAw]),
      .wdata_i(bank_wdata[b*RowW +: RowW]),
      .re_i   (bank_re[b]),
      .raddr_i(bank_row[b*RowAw +: RowAw]),
      .rdata_o(bank_rdata[b*RowW +: RowW])
    );
  end

  always_comb begin
    rsp_valid_d = grant & ~req_we_i;
    rsp_bank_d  = port_bank;
    for (int unsigned p = 0; p < Ports; p++) begin
      rsp_rdata_o[p*RowW +: RowW] =
          bank_rdata[int'(rsp_bank_q[p*BankW +: BankW])*RowW +: RowW];
    end
  end
  assign rsp_valid_o = rsp_valid_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      rr_q        <= '0;
      rsp_valid_q <= '0;
    end else begin
      rr_q        <= rr_d;
      rsp_valid_q <= rsp_valid_d;
    end
  end

  always_ff @(posedge clk_i) begin
    rsp_bank_q <= rsp_bank_d;
  end

  // Assertions
  `TS_ASSERT_INIT(a_banks_pow2, (Banks & (Banks - 1)) == 0, "Banks must be a power of two")
  `TS_ASSERT_INIT(a_depth_pow2, (Depth & (Depth - 1)) == 0 && Depth >= 2,
                  "Depth must be a power of two >= 2")
  `TS_ASSERT_INIT(a_ports, Ports >= 1, "Ports must be at least 1")
  for (genvar p = 0; p < Ports; p++) begin : g_assert
    `TS_ASSERT(a_req_stable, (req_valid_i[p] && !req_ready_o[p]) |=> (req_valid_i[p] &&
               $stable(req_we_i[p]) && $stable(req_addr_i[p*AddrW +: AddrW]) &&
               (!req_we_i[p] || $stable(req_wdata_i[p*RowW +: RowW]))),
               clk_i, rst_ni, "request dropped or changed before it was granted")
  end
  for (genvar b = 0; b < Banks; b++) begin : g_assert_bank
    `TS_ASSERT(a_one_access, !(bank_we[b] && bank_re[b]), clk_i, rst_ni,
               "bank read and written in one cycle")
  end

endmodule
