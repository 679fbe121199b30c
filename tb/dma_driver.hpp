// SPDX-License-Identifier: Apache-2.0
// Driver for ts_dma_spad tops: window programming, descriptors, completion records,
// scratchpad backdoor through port 1, background port-1 traffic, and the AXI memory.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "axi_mem.hpp"
#include "axi_port.hpp"
#include "sim.hpp"

namespace tessera::tb {

// ts_dma completion status codes (docs/dma.md).
enum DmaStatus : uint32_t {
  kDmaOk = 0,
  kDmaWindow = 1,
  kDmaDesc = 2,
  kDmaRSlvErr = 3,
  kDmaRDecErr = 4,
  kDmaBSlvErr = 5,
  kDmaBDecErr = 6,
};

struct DmaDesc {
  bool to_dram = false;  // false: DRAM -> SRAM, true: SRAM -> DRAM
  uint64_t dram = 0;
  uint32_t rows = 1, bpr = 1;
  uint64_t stride = 0;
  uint32_t sram = 0;
};

struct DmaResult {
  uint32_t status = 0;
  uint64_t addr = 0;
  uint64_t cycles = 0;  // descriptor accepted -> completion valid
};

template <class Top>
class DmaDriver {
 public:
  DmaDriver(Sim<Top>& sim, const AxiMemConfig& cfg, uint64_t seed)
      : sim_(sim), mem_(cfg), rng_(seed), nb_(cfg.data_bytes) {
    Top& t = sim_.top();
    t.cfg_win_we_i = 0;
    t.desc_valid_i = 0;
    t.cpl_ready_i = 0;
    t.ext_req_valid_i = 0;
    t.ext_req_we_i = 0;
  }

  AxiMem& mem() { return mem_; }
  Sim<Top>& sim() { return sim_; }
  unsigned bus_bytes() const { return nb_; }
  // Probability per cycle that port 1 reads a random scratchpad row during transfers.
  // p = 0 waits until a pending port-1 request has been granted.
  void set_port1_traffic(double p, uint32_t rows) {
    ext_p_ = p;
    ext_rows_ = rows;
    for (int n = 0; p == 0 && ext_busy_; ++n) {
      cycle();
      if (n > 1000) throw Timeout("scratchpad port 1 never granted");
    }
  }
  uint64_t port1_reads() const { return ext_reads_; }
  uint64_t conflicts() const { return conflicts_; }

  // One clock cycle with the memory model and the background traffic.
  void cycle() {
    Top& t = sim_.top();
    if (!ext_busy_) {
      ext_busy_ = ext_p_ > 0 && std::bernoulli_distribution(ext_p_)(rng_);
      t.ext_req_valid_i = ext_busy_;
      t.ext_req_we_i = 0;
      t.ext_req_addr_i = uint32_t(rng_() % ext_rows_);
    }
    raw_cycle();
    t.ext_req_valid_i = ext_busy_;
  }

  // One clock cycle; port 1 inputs as they are.
  void raw_cycle() {
    Top& t = sim_.top();
    mem_.drive(bus_);
    axi_drive(t, bus_);
    sim_.eval();
    axi_sample(t, bus_, nb_);
    if (ext_busy_ && t.ext_req_valid_i && t.ext_req_ready_o) {
      ext_busy_ = false;
      ++ext_reads_;
    }
    conflicts_ += t.conflict_o & 1;
    if (log_) log_beats();
    mem_.edge(bus_);
    sim_.tick();
  }

  void set_window(uint32_t idx, uint64_t base, uint64_t last, bool rd, bool wr) {
    Top& t = sim_.top();
    t.cfg_win_we_i = 1;
    t.cfg_win_idx_i = idx;
    t.cfg_win_base_i = uint32_t(base);
    t.cfg_win_last_i = uint32_t(last);
    t.cfg_win_perm_i = (rd ? 1 : 0) | (wr ? 2 : 0);
    cycle();
    t.cfg_win_we_i = 0;
  }

  // Runs one descriptor to its completion record; throws Timeout if none comes.
  DmaResult run(const DmaDesc& d, uint64_t timeout = 2000000) {
    Top& t = sim_.top();
    t.desc_valid_i = 1;
    t.desc_dir_i = d.to_dram;
    t.desc_dram_addr_i = uint32_t(d.dram);
    t.desc_rows_i = d.rows;
    t.desc_bpr_i = d.bpr;
    t.desc_stride_i = uint32_t(d.stride);
    t.desc_sram_addr_i = d.sram;
    uint64_t n = 0;
    while (!t.desc_ready_o) {
      cycle();
      if (++n > timeout) throw Timeout("DMA never accepted the descriptor");
    }
    cycle();  // accepted at this edge
    t.desc_valid_i = 0;
    const uint64_t c0 = sim_.cycles();
    while (!t.cpl_valid_o) {
      cycle();
      if (sim_.cycles() - c0 > timeout) throw Timeout("DMA descriptor did not complete");
    }
    DmaResult r;
    r.cycles = sim_.cycles() - c0;
    r.status = t.cpl_status_o;
    r.addr = t.cpl_addr_o;
    t.cpl_ready_i = 1;
    cycle();
    t.cpl_ready_i = 0;
    return r;
  }

  // Lets the memory model finish anything left (it should be idle already).
  void settle(int n = 8) {
    for (int i = 0; i < n; ++i) cycle();
  }

  // Scratchpad backdoor over port 1 (background traffic must be off).
  std::vector<uint8_t> sram_read(uint32_t row) {
    Top& t = sim_.top();
    t.ext_req_we_i = 0;
    port1_request(row);
    sim_.eval();
    std::vector<uint8_t> v;
    sig_to_bytes(t.ext_rsp_rdata_o, v, nb_);
    return v;
  }
  void sram_write(uint32_t row, const std::vector<uint8_t>& bytes) {
    Top& t = sim_.top();
    t.ext_req_we_i = 1;
    bytes_to_sig(bytes, t.ext_req_wdata_i);
    port1_request(row);
    t.ext_req_we_i = 0;
  }

 private:
  // Holds a request on scratchpad port 1 until it is granted, for one accepted cycle.
  void port1_request(uint32_t row) {
    Top& t = sim_.top();
    t.ext_req_valid_i = 1;
    t.ext_req_addr_i = row;
    for (int n = 0;; ++n) {
      sim_.eval();
      if (t.ext_req_ready_o) break;
      if (n > 1000) throw Timeout("scratchpad port 1 never granted");
      raw_cycle();
    }
    raw_cycle();
    t.ext_req_valid_i = 0;
  }

  Sim<Top>& sim_;
  AxiMem mem_;
  AxiBus bus_;
  std::mt19937_64 rng_;
  unsigned nb_;
  double ext_p_ = 0.0;
  uint32_t ext_rows_ = 1;
  bool ext_busy_ = false;
  uint64_t ext_reads_ = 0, conflicts_ = 0;
  bool log_ = std::getenv("TESSERA_AXI_LOG") != nullptr;

  // TESSERA_AXI_LOG=1: every AXI handshake on stderr (debugging aid).
  void log_beats() {
    const auto c = sim_.cycles();
    if (bus_.ar_valid && bus_.ar_ready)
      std::fprintf(stderr, "%8llu AR 0x%llx len %u\n", (unsigned long long)c,
                   (unsigned long long)bus_.ar_addr, bus_.ar_len);
    if (bus_.aw_valid && bus_.aw_ready)
      std::fprintf(stderr, "%8llu AW 0x%llx len %u\n", (unsigned long long)c,
                   (unsigned long long)bus_.aw_addr, bus_.aw_len);
    if (bus_.w_valid && bus_.w_ready) {
      std::fprintf(stderr, "%8llu W strb %llx last %d data", (unsigned long long)c,
                   (unsigned long long)bus_.w_strb, int(bus_.w_last));
      for (auto b : bus_.w_data) std::fprintf(stderr, " %02x", b);
      std::fprintf(stderr, "\n");
    }
    if (bus_.r_valid && bus_.r_ready)
      std::fprintf(stderr, "%8llu R resp %u last %d\n", (unsigned long long)c, bus_.r_resp,
                   int(bus_.r_last));
    if (bus_.b_valid && bus_.b_ready)
      std::fprintf(stderr, "%8llu B resp %u\n", (unsigned long long)c, bus_.b_resp);
  }
};

}  // namespace tessera::tb
