// SPDX-License-Identifier: Apache-2.0
// Yosys netlist of ts_dma_spad (DMA + scratchpad, default parameters) in lockstep with
// the RTL: each drives its own AXI memory model (same seed), every output compared.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "Vnl_ts_dma_spad.h"
#include "Vts_dma_spad.h"
#include "axi_port.hpp"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

struct Inputs {
  bool win_we = false, desc_valid = false, dir = false, cpl_ready = false;
  uint32_t win_idx = 0, win_base = 0, win_last = 0, win_perm = 0;
  uint32_t dram = 0, rows = 0, bpr = 0, stride = 0, sram = 0;
  bool ext_valid = false;
  uint32_t ext_addr = 0;
};

template <class Top>
void apply(Top& t, const Inputs& in) {
  t.cfg_win_we_i = in.win_we;
  t.cfg_win_idx_i = in.win_idx;
  t.cfg_win_base_i = in.win_base;
  t.cfg_win_last_i = in.win_last;
  t.cfg_win_perm_i = in.win_perm;
  t.desc_valid_i = in.desc_valid;
  t.desc_dir_i = in.dir;
  t.desc_dram_addr_i = in.dram;
  t.desc_rows_i = in.rows;
  t.desc_bpr_i = in.bpr;
  t.desc_stride_i = in.stride;
  t.desc_sram_addr_i = in.sram;
  t.cpl_ready_i = in.cpl_ready;
  t.ext_req_valid_i = in.ext_valid;
  t.ext_req_we_i = 0;
  t.ext_req_addr_i = in.ext_addr;
  t.ext_req_wdata_i = 0;
}

constexpr const char* kOutNames[] = {
    "ar_valid", "ar_addr", "ar_len", "aw_valid", "aw_addr", "aw_len", "w_valid", "w_data",
    "w_strb", "w_last", "r_ready", "b_ready", "desc_ready", "cpl_valid", "cpl_status",
    "cpl_addr", "ext_req_ready", "ext_rsp_valid", "ext_rsp_rdata", "conflict"};

// Every output, payloads only where their valid is set.
template <class Top>
std::vector<uint64_t> outputs(const Top& t, const tb::AxiBus& b) {
  uint64_t wd = 0, xd = 0;
  // Byte lanes with WSTRB = 0 carry no data (they come from unreset registers).
  for (size_t k = 0; k < b.w_data.size() && k < 8; ++k)
    if ((b.w_strb >> k) & 1) wd |= uint64_t(b.w_data[k]) << (8 * k);
  std::vector<uint8_t> x;
  tb::sig_to_bytes(t.ext_rsp_rdata_o, x, 8);
  for (size_t k = 0; k < 8; ++k) xd |= uint64_t(x[k]) << (8 * k);
  return {b.ar_valid, b.ar_valid ? b.ar_addr : 0, b.ar_valid ? b.ar_len : 0,
          b.aw_valid, b.aw_valid ? b.aw_addr : 0, b.aw_valid ? b.aw_len : 0,
          b.w_valid, b.w_valid ? wd : 0, b.w_valid ? b.w_strb : 0, b.w_valid && b.w_last,
          b.r_ready, b.b_ready, t.desc_ready_o, t.cpl_valid_o,
          t.cpl_valid_o ? uint64_t(t.cpl_status_o) : 0, t.cpl_valid_o ? uint64_t(t.cpl_addr_o) : 0,
          t.ext_req_ready_o, t.ext_rsp_valid_o, t.ext_rsp_valid_o ? xd : 0, t.conflict_o};
}

TEST(DmaNetlist, LockstepRandomDescriptors) {
  const uint64_t s = seed();
  tb::Sim<Vts_dma_spad> rtl(test_name() + ".rtl", uint32_t(s));
  tb::Sim<Vnl_ts_dma_spad> net(test_name() + ".net", uint32_t(s) + 1);
  tb::AxiMemConfig cfg;
  cfg.data_bytes = 8;
  cfg.read_latency = cfg.write_latency = 7;
  cfg.ar_stall = cfg.aw_stall = cfg.w_stall = cfg.r_stall = cfg.b_stall = 0.3;
  cfg.seed = s;
  tb::AxiMem mem_r(cfg), mem_n(cfg);
  for (uint64_t e : {0x3100ull, 0x5200ull}) {  // a read and a write error region
    mem_r.inject_error(e, e + 1, tb::kSlvErr);
    mem_n.inject_error(e, e + 1, tb::kSlvErr);
  }
  tb::AxiBus bus_r, bus_n;
  rtl.reset();
  net.reset();
  std::mt19937_64 rng(s);
  Inputs in;
  uint64_t done = 0, c = 0, beats = 0;
  int phase = 0;  // 0, 1: windows; 2: fill the scratchpad; 3+: random descriptors
  std::vector<uint32_t> statuses;
  while (done < 120 && c < 1000000) {
    // Next inputs from the previous cycle's outputs (RTL side; both are compared equal).
    in.win_we = phase < 2;
    if (phase < 2) {
      in.win_idx = phase;
      in.win_base = phase == 0 ? 0x1000 : 0x4000;
      in.win_last = phase == 0 ? 0x3fff : 0x7fff;
      in.win_perm = phase == 0 ? 1 : 3;
      ++phase;
    } else if (!in.desc_valid && rtl->desc_ready_o && !rtl->cpl_valid_o) {
      in.desc_valid = true;
      if (phase == 2) {  // all 32 rows of 8 bytes from 0x1000
        in.dir = false;
        in.dram = 0x1000;
        in.rows = 1;
        in.bpr = 256;
        in.stride = 0;
        in.sram = 0;
        phase = 3;
      } else {
        in.dir = rng() % 2;
        in.bpr = 1 + uint32_t(rng() % 60);
        const uint32_t no = (in.bpr + 7) / 8;
        in.rows = 1 + uint32_t(rng() % (32 / no < 4 ? 32 / no : 4));
        in.stride = in.bpr + uint32_t(rng() % 40);
        in.sram = uint32_t(rng() % (33 - in.rows * no));
        const uint32_t span = (in.rows - 1) * in.stride + in.bpr;
        in.dram = (in.dir ? 0x4000 : 0x1000) + uint32_t(rng() % (0x3000 - span + 0x200));
      }
    }
    in.cpl_ready = rtl->cpl_valid_o && rng() % 2;
    if (!in.ext_valid) {
      in.ext_valid = done > 0 && rng() % 4 == 0;  // after the fill: RAMs start random
      in.ext_addr = uint32_t(rng() % 32);
    }
    apply(rtl.top(), in);
    apply(net.top(), in);
    mem_r.drive(bus_r);
    mem_n.drive(bus_n);
    tb::axi_drive(rtl.top(), bus_r);
    tb::axi_drive(net.top(), bus_n);
    rtl.eval();
    net.eval();
    tb::axi_sample(rtl.top(), bus_r, 8);
    tb::axi_sample(net.top(), bus_n, 8);
    const auto o_r = outputs(rtl.top(), bus_r), o_n = outputs(net.top(), bus_n);
    for (size_t i = 0; i < o_r.size(); ++i) {
      ASSERT_EQ(o_r[i], o_n[i]) << "netlist differs from RTL at cycle " << c << " on "
                                << kOutNames[i];
    }
    if (in.desc_valid && rtl->desc_ready_o) in.desc_valid = false;
    if (rtl->cpl_valid_o && in.cpl_ready) {
      statuses.push_back(rtl->cpl_status_o);
      ++done;
    }
    if (in.ext_valid && rtl->ext_req_ready_o) in.ext_valid = false;
    beats += (bus_r.r_valid && bus_r.r_ready) + (bus_r.w_valid && bus_r.w_ready);
    mem_r.edge(bus_r);
    mem_n.edge(bus_n);
    rtl.tick();
    net.tick();
    ++c;
  }
  EXPECT_EQ(done, 120u);
  EXPECT_GT(beats, 1000u);
  EXPECT_EQ(mem_r.read(0x1000, 0x7000), mem_n.read(0x1000, 0x7000));
  int ok = 0;
  for (auto st : statuses) ok += st == 0;
  EXPECT_GT(ok, 60) << "most descriptors complete normally";
  ::testing::Test::RecordProperty("cycles", std::to_string(c));
}

}  // namespace
}  // namespace tessera::test
