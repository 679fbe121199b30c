// SPDX-License-Identifier: Apache-2.0
// ts_dma (in ts_dma_spad) against the tb/ AXI memory model and a C++ copy model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <sstream>
#include <vector>

#include "Vdma128.h"
#include "Vdma64.h"
#include "Vdma64c2.h"
#include "axi_mem.hpp"
#include "dma_driver.hpp"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using tb::AxiMemConfig;
using tb::DmaDesc;
using tb::DmaDriver;
using tb::DmaResult;

template <class Top>
struct Cfg;
// kCheck: cycles of the descriptor check (ts_dma CheckStages).
template <>
struct Cfg<Vdma64> {
  static constexpr unsigned kBytes = 8, kRows = 512, kCheck = 1;
};
template <>
struct Cfg<Vdma64c2> {
  static constexpr unsigned kBytes = 8, kRows = 512, kCheck = 2;
};
template <>
struct Cfg<Vdma128> {
  static constexpr unsigned kBytes = 16, kRows = 256, kCheck = 1;
};

constexpr uint64_t kSrcLo = 0x10000, kSrcHi = 0x40000;  // source region
constexpr uint64_t kDstLo = 0x40000, kDstHi = 0x80000;  // destination region

std::string show(const DmaDesc& d) {
  std::ostringstream os;
  os << (d.to_dram ? "SRAM->DRAM" : "DRAM->SRAM") << std::hex << " dram=0x" << d.dram
     << std::dec << " rows=" << d.rows << " bpr=" << d.bpr << " stride=" << d.stride
     << " sram=" << d.sram;
  return os.str();
}

// C++ copy model: the scratchpad contents and the expected DRAM bytes.
struct CopyModel {
  unsigned nb;
  std::vector<std::vector<uint8_t>> sram;
  CopyModel(unsigned bytes, unsigned rows) : nb(bytes), sram(rows, std::vector<uint8_t>(bytes)) {}
  uint32_t rows_per_line(const DmaDesc& d) const { return (d.bpr + nb - 1) / nb; }
  void to_sram(const tb::AxiMem& mem, const DmaDesc& d) {
    const uint32_t no = rows_per_line(d);
    for (uint32_t r = 0; r < d.rows; ++r)
      for (uint32_t i = 0; i < no; ++i)
        for (uint32_t k = 0; k < nb; ++k) {
          const uint32_t j = i * nb + k;
          sram[d.sram + r * no + i][k] = j < d.bpr ? mem.byte(d.dram + r * d.stride + j) : 0;
        }
  }
  void to_dram(std::map<uint64_t, uint8_t>& dram, const DmaDesc& d) const {
    const uint32_t no = rows_per_line(d);
    for (uint32_t r = 0; r < d.rows; ++r)
      for (uint32_t j = 0; j < d.bpr; ++j)
        dram[d.dram + r * d.stride + j] = sram[d.sram + r * no + j / nb][j % nb];
  }
};

// A descriptor of random shape inside [lo, hi) that fits the scratchpad.
DmaDesc random_desc(std::mt19937_64& rng, unsigned nb, unsigned sram_rows, uint64_t lo,
                    uint64_t hi, bool to_dram) {
  DmaDesc d;
  d.to_dram = to_dram;
  switch (rng() % 5) {
    case 0: d.bpr = 1 + uint32_t(rng() % (3 * nb)); break;        // sub-row, odd counts
    case 1: d.bpr = 1 + uint32_t(rng() % 300); break;
    case 2: d.bpr = nb * (1 + uint32_t(rng() % 64)); break;        // whole rows
    default: d.bpr = 1 + uint32_t(rng() % std::min(4600u, sram_rows * nb)); break;  // >256 beats
  }
  const uint32_t no = (d.bpr + nb - 1) / nb;
  const uint32_t max_rows = std::max(1u, std::min(6u, sram_rows / no));
  d.rows = 1 + uint32_t(rng() % max_rows);
  switch (rng() % 3) {
    case 0: d.stride = d.bpr; break;                                // dense
    case 1: d.stride = d.bpr + rng() % 200; break;                  // gaps, odd strides
    default: d.stride = ((d.bpr + 4095) & ~4095ull) + rng() % 16; break;  // page hops
  }
  d.sram = uint32_t(rng() % (sram_rows - d.rows * no + 1));
  const uint64_t span = (d.rows - 1) * d.stride + d.bpr;
  d.dram = lo + rng() % (hi - lo - span);
  return d;
}

template <class Top>
class DmaTest {
 public:
  using C = Cfg<Top>;
  DmaTest(const AxiMemConfig& cfg, uint64_t seed)
      : sim(test_name(), uint32_t(seed)), drv(sim, cfg, seed), model(C::kBytes, C::kRows),
        rng(seed) {
    sim.reset();
    drv.set_window(0, kSrcLo, kSrcHi - 1, true, false);
    drv.set_window(1, kDstLo, kDstHi - 1, true, true);
    // Known scratchpad contents (the RAM starts random).
    for (uint32_t r = 0; r < C::kRows; ++r) {
      for (auto& b : model.sram[r]) b = uint8_t(rng());
      drv.sram_write(r, model.sram[r]);
    }
    // Random source data.
    std::vector<uint8_t> src(kSrcHi - kSrcLo);
    for (auto& b : src) b = uint8_t(rng());
    drv.mem().write(kSrcLo, src);
  }

  // Every scratchpad row equals the model.
  void check_sram(const std::string& what) {
    drv.set_port1_traffic(0, C::kRows);
    int bad = 0;
    for (uint32_t r = 0; r < C::kRows && bad < 5; ++r) {
      const auto got = drv.sram_read(r);
      if (got != model.sram[r]) {
        ++bad;
        ADD_FAILURE() << what << ": scratchpad row " << r << " differs from the copy model";
      }
    }
  }

  // Rows outside d's destination equal the model; destination rows are adopted as read
  // (a failed transfer leaves them partially written).
  void check_sram_outside(const DmaDesc& d) {
    drv.set_port1_traffic(0, C::kRows);
    const uint32_t lo = d.sram, hi = d.sram + d.rows * model.rows_per_line(d);
    for (uint32_t r = 0; r < C::kRows; ++r) {
      const auto got = drv.sram_read(r);
      if (r >= lo && r < hi) {
        model.sram[r] = got;
      } else {
        EXPECT_EQ(got, model.sram[r]) << "scratchpad row " << r << " outside the destination";
      }
    }
  }

  // DRAM->SRAM then SRAM->DRAM into the destination region, checked byte for byte.
  void round_trip(const DmaDesc& rd, double port1) {
    drv.set_port1_traffic(port1, C::kRows);
    const DmaResult r1 = drv.run(rd);
    ASSERT_EQ(r1.status, tb::kDmaOk) << show(rd);
    model.to_sram(drv.mem(), rd);
    check_sram(show(rd));
    ASSERT_TRUE(drv.mem().idle());

    DmaDesc wr = rd;
    wr.to_dram = true;
    std::mt19937_64 r2(rng());
    const DmaDesc shape = random_desc(r2, C::kBytes, C::kRows, kDstLo, kDstHi, true);
    wr.stride = std::max<uint64_t>(wr.bpr, shape.stride);
    const uint64_t span = (wr.rows - 1) * wr.stride + wr.bpr;
    wr.dram = kDstLo + 64 + r2() % (kDstHi - kDstLo - span - 128);
    // Expected destination: background plus the copied rows; 64 bytes either side too.
    const uint64_t lo = wr.dram - 64, hi = wr.dram + span + 64;
    std::map<uint64_t, uint8_t> expect;
    for (uint64_t a = lo; a < hi; ++a) expect[a] = drv.mem().byte(a);
    model.to_dram(expect, wr);
    drv.set_port1_traffic(port1, C::kRows);
    const DmaResult r3 = drv.run(wr);
    ASSERT_EQ(r3.status, tb::kDmaOk) << show(wr);
    drv.settle();
    uint64_t bad = 0;
    for (const auto& [a, v] : expect) {
      if (drv.mem().byte(a) != v && bad++ < 5)
        ADD_FAILURE() << show(wr) << ": DRAM byte 0x" << std::hex << a << " is 0x"
                      << int(drv.mem().byte(a)) << ", expected 0x" << int(v);
    }
    ASSERT_EQ(bad, 0u);
    drv.mem().check_idle();
    ++transfers;
  }

  tb::Sim<Top> sim;
  DmaDriver<Top> drv;
  CopyModel model;
  std::mt19937_64 rng;
  int transfers = 0;
};

AxiMemConfig mem_cfg(unsigned nb, double stall, unsigned latency, uint64_t seed, bool ooo = true) {
  AxiMemConfig c;
  c.data_bytes = nb;
  c.ar_stall = c.aw_stall = c.w_stall = c.r_stall = c.b_stall = stall;
  c.read_latency = c.write_latency = latency;
  c.out_of_order = ooo;
  c.seed = seed;
  return c;
}

template <class Top>
void random_round_trips(int n) {
  const uint64_t s = seed();
  std::mt19937_64 rng(s);
  const double stall = (rng() % 4) * 0.2;
  const unsigned lat = 1 + unsigned(rng() % 60);
  AxiMemConfig cfg = mem_cfg(Cfg<Top>::kBytes, stall, lat, s);
  if (rng() % 2) cfg.bytes_per_cycle = Cfg<Top>::kBytes * 0.4;  // bandwidth-capped memory
  DmaTest<Top> t(cfg, s);
  for (int i = 0; i < n && !::testing::Test::HasFailure(); ++i) {
    const DmaDesc d = random_desc(rng, Cfg<Top>::kBytes, Cfg<Top>::kRows, kSrcLo, kSrcHi, false);
    t.round_trip(d, 0.3);
  }
  EXPECT_EQ(t.transfers, n);
  EXPECT_GT(t.drv.conflicts(), 0u) << "port-1 traffic never met the DMA in a bank";
  ::testing::Test::RecordProperty("cycles", std::to_string(t.sim.cycles()));
}

TEST(Dma64, RandomRoundTrips) { random_round_trips<Vdma64>(int(vectors(150))); }
TEST(Dma128, RandomRoundTrips) { random_round_trips<Vdma128>(int(vectors(100))); }
TEST(Dma64Check2, RandomRoundTrips) { random_round_trips<Vdma64c2>(int(vectors(100))); }
// Soak (label slow): many more descriptors per seed.
TEST(Dma64Slow, RandomRoundTripsSoak) { random_round_trips<Vdma64>(int(vectors(5000))); }
TEST(Dma128Slow, RandomRoundTripsSoak) { random_round_trips<Vdma128>(int(vectors(5000))); }

// Stall and latency sweep: the same descriptors at every point; nothing lost or doubled.
void sweep(const std::vector<double>& stalls, const std::vector<unsigned>& lats, int n) {
  const uint64_t s = seed();
  for (double st : stalls) {
    for (unsigned lat : lats) {
      SCOPED_TRACE("stall " + std::to_string(st) + " latency " + std::to_string(lat));
      DmaTest<Vdma64> t(mem_cfg(8, st, lat, s), s);
      std::mt19937_64 rng(s);
      for (int i = 0; i < n && !::testing::Test::HasFailure(); ++i)
        t.round_trip(random_desc(rng, 8, 512, kSrcLo, kSrcHi, false), 0.2);
      ASSERT_FALSE(::testing::Test::HasFailure());
    }
  }
}

TEST(Dma64, StallLatencySweepPoints) { sweep({0.0, 0.9}, {1, 500}, 6); }
TEST(Dma64Slow, StallLatencySweepFull) {
  sweep({0.0, 0.1, 0.3, 0.5, 0.7, 0.9}, {1, 2, 10, 100, 250, 500}, 20);
}

// Refused descriptors: no AXI beat, memory and scratchpad untouched, DMA usable after.
template <class Top>
void window_violations() {
  const uint64_t s = seed();
  DmaTest<Top> t(mem_cfg(8, 0.3, 5, s), s);
  struct Case { DmaDesc d; uint32_t status; const char* what; };
  auto mk = [](bool to_dram, uint64_t dram, uint32_t rows, uint32_t bpr, uint64_t stride,
               uint32_t sram = 0) {
    DmaDesc d;
    d.to_dram = to_dram;
    d.dram = dram;
    d.rows = rows;
    d.bpr = bpr;
    d.stride = stride;
    d.sram = sram;
    return d;
  };
  const std::vector<Case> cases = {
      {mk(false, kSrcHi - 100, 1, 101, 0), tb::kDmaWindow, "read runs 1 byte past window 0"},
      {mk(false, kSrcLo - 1, 1, 16, 0), tb::kDmaWindow, "read starts 1 byte before window 0"},
      {mk(false, kSrcLo, 3, 16, 0x20000), tb::kDmaWindow, "last row outside (stride)"},
      {mk(true, kSrcLo, 1, 16, 0), tb::kDmaWindow, "write into the read-only window"},
      {mk(true, kDstHi - 8, 2, 8, 8), tb::kDmaWindow, "write second row past window 1"},
      {mk(false, 0x0, 1, 64, 0), tb::kDmaWindow, "address 0, no window"},
      {mk(false, 0xffffff00, 2, 64, 0x100), tb::kDmaDesc, "range wraps past 2^32"},
      {mk(false, kSrcLo, 0, 64, 64), tb::kDmaDesc, "zero rows"},
      {mk(false, kSrcLo, 2, 0, 64), tb::kDmaDesc, "zero bytes per row"},
      {mk(false, kSrcLo, 2, 64, 64, 505), tb::kDmaDesc, "scratchpad rows 505..520 of 512"},
  };
  // Snapshot of both regions and of the scratchpad.
  const auto src_before = t.drv.mem().read(kSrcLo - 4096, kDstHi - kSrcLo + 8192);
  for (const auto& c : cases) {
    const auto st0 = t.drv.mem().stats();
    const DmaResult r = t.drv.run(c.d);
    t.drv.settle();
    const auto st1 = t.drv.mem().stats();
    EXPECT_EQ(r.status, c.status) << c.what;
    EXPECT_EQ(r.addr, c.d.dram & 0xffffffffu) << c.what;
    EXPECT_EQ(st1.ar, st0.ar) << c.what << ": AR issued";
    EXPECT_EQ(st1.aw, st0.aw) << c.what << ": AW issued";
    EXPECT_EQ(st1.w_beats, st0.w_beats) << c.what << ": W beat issued";
    EXPECT_LE(r.cycles, 3u + Cfg<Top>::kCheck) << c.what << ": refusal should take a few cycles";
  }
  EXPECT_EQ(t.drv.mem().read(kSrcLo - 4096, kDstHi - kSrcLo + 8192), src_before);
  t.check_sram("after refused descriptors");
  // Still usable.
  std::mt19937_64 rng(s);
  t.round_trip(random_desc(rng, 8, 512, kSrcLo, kSrcHi, false), 0.0);
  // A window reprogrammed to cover the range makes the same descriptor legal.
  t.drv.set_window(0, kSrcLo - 4096, kSrcHi - 1, true, false);
  EXPECT_EQ(t.drv.run(cases[1].d).status, tb::kDmaOk);
}

TEST(Dma64, WindowViolationsIssueNoBeat) { window_violations<Vdma64>(); }
TEST(Dma64Check2, WindowViolationsIssueNoBeat) { window_violations<Vdma64c2>(); }

// Bus errors end the transfer with an error status; the bus is left clean.
TEST(Dma64, ReadErrorsReported) {
  const uint64_t s = seed();
  for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
    DmaTest<Vdma64> t(mem_cfg(8, 0.2, 20, s), s);
    DmaDesc d;
    d.dram = kSrcLo + 0x1003;
    d.rows = 3;
    d.bpr = 1000;
    d.stride = 1100;
    d.sram = 0;
    const uint64_t err_lo = d.dram + 1100 + 700;  // in the second row
    t.drv.mem().inject_error(err_lo, err_lo + 1, resp);
    const DmaResult r = t.drv.run(d);
    EXPECT_EQ(r.status, resp == tb::kSlvErr ? tb::kDmaRSlvErr : tb::kDmaRDecErr);
    // The model fails whole bursts: the address is the first failing beat's.
    EXPECT_LE(r.addr, err_lo);
    EXPECT_GE(r.addr, (d.dram + d.stride) & ~7ull) << "error address in the failing burst";
    t.drv.settle();
    t.drv.mem().check_idle();
    EXPECT_GT(t.drv.mem().stats().r_error_beats, 0u);
    // Only the destination rows may have changed (partially written).
    t.check_sram_outside(d);
    // The DMA keeps working.
    t.drv.mem().clear_errors();
    std::mt19937_64 rng(s);
    t.round_trip(random_desc(rng, 8, 512, kSrcLo, kSrcHi, false), 0.0);
  }
}

TEST(Dma64, WriteErrorsReported) {
  const uint64_t s = seed();
  for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
    DmaTest<Vdma64> t(mem_cfg(8, 0.2, 20, s), s);
    DmaDesc d;
    d.to_dram = true;
    d.dram = kDstLo + 0x805;
    d.rows = 4;
    d.bpr = 1000;
    d.stride = 1024;
    d.sram = 3;
    const uint64_t err_lo = d.dram + 1024 + 10;
    t.drv.mem().inject_error(err_lo, err_lo + 4, resp);
    const auto before = t.drv.mem().read(err_lo - 8, 16);
    const DmaResult r = t.drv.run(d);
    EXPECT_EQ(r.status, resp == tb::kSlvErr ? tb::kDmaBSlvErr : tb::kDmaBDecErr);
    EXPECT_LE(r.addr, err_lo);
    EXPECT_GT(r.addr + 256 * 8, err_lo) << "error address is the failing burst";
    t.drv.settle();
    t.drv.mem().check_idle();
    EXPECT_EQ(t.drv.mem().read(err_lo - 8, 16), before) << "failed burst must not write";
    EXPECT_EQ(t.drv.mem().stats().b_errors, 1u);
    t.drv.mem().clear_errors();
    std::mt19937_64 rng(s);
    t.round_trip(random_desc(rng, 8, 512, kSrcLo, kSrcHi, false), 0.0);
  }
}

// 64 KiB both ways at latency 100, no stalls: the bus stays busy (bench_dma measures it).
TEST(Dma64, LongTransferKeepsBusBusy) {
  const uint64_t s = seed();
  DmaTest<Vdma64> t(mem_cfg(8, 0.0, 100, s, false), s);
  DmaDesc d;
  d.dram = kSrcLo;
  d.rows = 1;
  d.bpr = 4096;
  d.stride = 4096;
  const DmaResult r = t.drv.run(d);
  ASSERT_EQ(r.status, tb::kDmaOk);
  // 512 beats + latency + a few cycles of start and completion.
  EXPECT_LE(r.cycles, 512u + 100u + 12u);
  t.model.to_sram(t.drv.mem(), d);
  t.check_sram("4 KiB read");
}

// An RTL assertion fires when the descriptor handshake is broken (STYLE rule 9).
TEST(Dma64, AssertionFiresOnWithdrawnDescriptor) {
  const uint64_t s = seed();
  DmaTest<Vdma64> t(mem_cfg(8, 0.0, 50, s), s);
  auto& top = t.sim.top();
  top.desc_valid_i = 1;
  top.desc_dir_i = 0;
  top.desc_dram_addr_i = kSrcLo;
  top.desc_rows_i = 4;
  top.desc_bpr_i = 1024;
  top.desc_stride_i = 1024;
  top.desc_sram_addr_i = 0;
  t.drv.cycle();  // accepted
  EXPECT_FALSE(top.desc_ready_o);
  t.drv.cycle();  // second descriptor offered while busy ...
  top.desc_valid_i = 0;  // ... and withdrawn
  EXPECT_THROW(t.drv.cycle(), tb::AssertionFailure);
}

}  // namespace
}  // namespace tessera::test
