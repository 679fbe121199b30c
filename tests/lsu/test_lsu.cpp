// SPDX-License-Identifier: Apache-2.0
// ts_load / ts_store (in ts_lsu_tb_top) against the tb/ AXI memory model and C++ models
// of docs/isa.md's LOAD and STORE layouts (conversions from sw/golden).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

#include "Vlsu4big.h"
#include "Vlsu4pipe.h"
#include "Vlsu8.h"
#include "Vts_lsu_tb_top.h"
#include "lsu_driver.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using L4 = LsuDriver<Vts_lsu_tb_top, 4, 64, 32>;
using L4big = LsuDriver<Vlsu4big, 4, 4096, 1024>;
using L8 = LsuDriver<Vlsu8, 8, 128, 64>;
using L4p = LsuDriver<Vlsu4pipe, 4, 64, 32>;

constexpr uint64_t kSrcLo = 0x10000, kSrcHi = 0x40000;  // window 0: read only
constexpr uint64_t kDstLo = 0x40000, kDstHi = 0x80000;  // window 1: read and write

tb::AxiMemConfig mem_cfg(unsigned nb, double stall, unsigned latency, uint64_t seed,
                         bool ooo = true) {
  tb::AxiMemConfig c;
  c.data_bytes = nb;
  c.ar_stall = c.aw_stall = c.w_stall = c.r_stall = c.b_stall = stall;
  c.read_latency = c.write_latency = latency;
  c.out_of_order = ooo;
  c.seed = seed;
  return c;
}

// A random memory for the random tests: stall 0-0.8 on every channel, latency 1-80, a
// bandwidth cap of half the bus in one case of three; printed for the log.
tb::AxiMemConfig random_mem_cfg(unsigned nb, std::mt19937_64& rng, uint64_t seed) {
  const double stall = (rng() % 5) * 0.2;
  const unsigned lat = 1 + unsigned(rng() % 80);
  tb::AxiMemConfig cfg = mem_cfg(nb, stall, lat, seed);
  if (rng() % 3 == 0) cfg.bytes_per_cycle = nb * 0.5;
  std::cout << "[ config   ] stall " << stall << " latency " << lat << " bw cap "
            << cfg.bytes_per_cycle << std::endl;
  return cfg;
}

// A test bench: model, driver, windows, random source data, random SRAM contents.
template <class L, class Top>
struct Bench {
  Bench(const tb::AxiMemConfig& cfg, uint64_t seed)
      : sim(test_name(), uint32_t(seed)), d(sim, cfg, seed), rng(seed ^ 0x5eed) {
    sim.reset();
    d.set_window(0, kSrcLo, kSrcHi - 1, true, false);
    d.set_window(1, kDstLo, kDstHi - 1, true, true);
    std::vector<uint8_t> src(kSrcHi - kSrcLo);
    for (auto& b : src) b = uint8_t(rng());
    d.mem().write(kSrcLo, src);
    d.fill_random();
  }

  LoadCmd random_load(int kind = -1) {
    LoadCmd c;
    if (kind < 0) kind = int(rng() % 3);
    c.acc = kind == 2;
    c.expand8 = kind == 1;
    const uint32_t cap = c.acc ? L::kAccRows - 1 : L::kSpRows;  // kScratchAcc excluded
    const uint32_t max_n = std::min<uint32_t>(cap, rng() % 4 ? 4 : 12);
    const uint32_t ne = 1 + uint32_t(rng() % (max_n * L::kDim));
    c.bytes = ne * c.elem();
    const uint32_t n = c.n(L::kDim);
    c.rows = 1 + uint32_t(rng() % std::min<uint32_t>(cap / n, 6));
    switch (rng() % 3) {
      case 0: c.stride = c.bytes; break;
      case 1: c.stride = c.bytes + rng() % 100; break;
      default: c.stride = c.bytes + rng() % 5000; break;
    }
    c.sram = uint32_t(rng() % (cap - c.rows * n + 1));
    const uint64_t span = (c.rows - 1) * c.stride + c.bytes;
    c.dram = kSrcLo + rng() % (kSrcHi - kSrcLo - span);
    return c;
  }

  StoreCmd random_store(int fmt = -1) {
    StoreCmd c;
    c.fmt = fmt < 0 ? uint32_t(rng() % 4) : uint32_t(fmt);
    const uint32_t cap = L::kAccRows - 1;
    const uint32_t max_na = std::min<uint32_t>(cap, rng() % 4 ? 4 : 12);
    c.cols = 1 + uint32_t(rng() % (max_na * L::kDim));
    const uint32_t na = c.na(L::kDim);
    c.rows = 1 + uint32_t(rng() % std::min<uint32_t>(cap / na, 6));
    switch (rng() % 3) {
      case 0: c.stride = c.bytes(); break;
      case 1: c.stride = c.bytes() + rng() % 100; break;
      default: c.stride = c.bytes() + rng() % 3000; break;
    }
    c.acc = uint32_t(rng() % (cap - c.rows * na + 1));
    const uint64_t span = (c.rows - 1) * c.stride + c.bytes();
    c.dram = kDstLo + 64 + rng() % (kDstHi - kDstLo - span - 128);
    c.mult = rng() % 4 ? int32_t((1u << 30) + uint32_t(rng() % (1u << 30)))
                       : int32_t(uint32_t(rng()));
    c.shift = rng() % 2 ? -int(rng() % 16) : int(rng() % 62) - 31;
    c.zp = int8_t(rng());
    return c;
  }

  // Expected host memory after a store: before-image of the span +-64 bytes, overwritten.
  std::map<uint64_t, uint8_t> expect_store(const StoreCmd& c, uint8_t* flags) {
    const uint64_t span = (c.rows - 1) * c.stride + c.bytes();
    std::map<uint64_t, uint8_t> exp;
    for (uint64_t a = c.dram - 64; a < c.dram + span + 64; ++a) exp[a] = d.mem().byte(a);
    std::vector<std::pair<uint64_t, uint8_t>> w;
    d.model_store(c, w, flags);
    for (const auto& [a, v] : w) exp[a] = v;
    return exp;
  }
  // The same for STOREs run in order (where destinations overlap, the later one's bytes).
  std::map<uint64_t, uint8_t> expect_stores(const std::vector<StoreCmd>& cmds, uint8_t* flags) {
    std::map<uint64_t, uint8_t> exp;
    for (const auto& c : cmds) {
      const uint64_t span = (c.rows - 1) * c.stride + c.bytes();
      for (uint64_t a = c.dram - 64; a < c.dram + span + 64; ++a) exp.emplace(a, d.mem().byte(a));
    }
    for (const auto& c : cmds) {
      std::vector<std::pair<uint64_t, uint8_t>> w;
      d.model_store(c, w, flags);
      for (const auto& [a, v] : w) exp[a] = v;
    }
    return exp;
  }
  void check_mem(const std::map<uint64_t, uint8_t>& exp, const std::string& what) {
    uint64_t bad = 0;
    for (const auto& [a, v] : exp) {
      if (d.mem().byte(a) != v && bad++ < 5)
        ADD_FAILURE() << what << ": host byte 0x" << std::hex << a << " is 0x"
                      << int(d.mem().byte(a)) << ", expected 0x" << int(v);
    }
    EXPECT_EQ(bad, 0u) << what;
  }

  void do_load(const LoadCmd& c) {
    const Done r = d.load(c);
    ASSERT_EQ(r.status, kOk) << c.show();
    d.model_load(c);
    d.settle();
    d.mem().check_idle();
    ASSERT_EQ(d.check_srams(c.show()), 0);
  }
  void do_store(const StoreCmd& c) {
    uint8_t fl = 0;
    const auto exp = expect_store(c, &fl);
    d.flags = 0;
    const Done r = d.store(c);
    ASSERT_EQ(r.status, kOk) << c.show();
    d.settle();
    d.mem().check_idle();
    check_mem(exp, c.show());
    EXPECT_EQ(int(d.flags), int(fl)) << c.show() << ": FP flags";
  }
  // A load into the scratchpad and a store, at the same time on one AXI port.
  void do_pair(const LoadCmd& lc, const StoreCmd& sc) {
    uint8_t fl = 0;
    const auto exp = expect_store(sc, &fl);
    d.flags = 0;
    Done rl, rs;
    d.run(&lc, &sc, &rl, &rs);
    ASSERT_EQ(rl.status, kOk) << lc.show();
    ASSERT_EQ(rs.status, kOk) << sc.show();
    d.model_load(lc);
    d.settle();
    d.mem().check_idle();
    check_mem(exp, sc.show());
    EXPECT_EQ(int(d.flags), int(fl)) << sc.show() << ": FP flags";
    ASSERT_EQ(d.check_srams(lc.show() + " with " + sc.show()), 0);
  }

  tb::Sim<Top> sim;
  L d;
  std::mt19937_64 rng;
};

// Random loads (all layouts), stores (all formats) and concurrent pairs; random stalls,
// latency, bank conflicts and accumulator traffic; every SRAM row and host byte checked.
template <class L, class Top>
void random_mixed(int n) {
  const uint64_t s = seed();
  std::mt19937_64 rng(s);
  Bench<L, Top> b(random_mem_cfg(L::kNb, rng, s), s);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < n && !::testing::Test::HasFailure(); ++i) {
    b.d.set_traffic(0.3, 0.2);
    const unsigned k = unsigned(rng() % 8);
    if (k < 4) {
      b.do_load(b.random_load());
      ++counts[0];
    } else if (k < 7) {
      b.do_store(b.random_store());
      ++counts[1];
    } else {
      const LoadCmd lc = b.random_load(int(rng() % 2));
      b.d.set_traffic(0.3, 0.2);
      b.do_pair(lc, b.random_store());
      ++counts[2];
    }
  }
  EXPECT_EQ(counts[0] + counts[1] + counts[2], n);
  EXPECT_GT(b.d.bg_sp_grants, 0u);
  ::testing::Test::RecordProperty("cycles", std::to_string(b.sim.cycles()));
}

TEST(Lsu4, RandomMixed) { random_mixed<L4, Vts_lsu_tb_top>(int(vectors(400))); }
TEST(Lsu8, RandomMixed) { random_mixed<L8, Vlsu8>(int(vectors(200))); }
TEST(Lsu4Slow, RandomMixedSoak) { random_mixed<L4, Vts_lsu_tb_top>(int(vectors(3000))); }

// Every layout and format on its own, with edge shapes: one element, one byte past a row,
// odd byte counts, unaligned addresses, gaps between rows.
TEST(Lsu4, LoadLayouts) {
  const uint64_t s = seed();
  Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.3, 7, s), s);
  const uint64_t a = kSrcLo + 0x1235;  // unaligned
  for (int kind = 0; kind < 3 && !::testing::Test::HasFailure(); ++kind) {
    const unsigned es = kind == 2 ? 4 : kind == 1 ? 1 : 2;
    for (uint32_t ne : {1u, 3u, 4u, 5u, 7u, 8u, 9u, 12u, 13u, 16u, 17u}) {
      LoadCmd c;
      c.acc = kind == 2;
      c.expand8 = kind == 1;
      c.bytes = ne * es;
      c.rows = 3;
      c.stride = c.bytes + 13;
      c.sram = 1;
      c.dram = a + ne;
      b.do_load(c);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

template <class L, class Top>
void store_formats() {
  const uint64_t s = seed();
  Bench<L, Top> b(mem_cfg(L::kNb, 0.3, 7, s), s);
  for (uint32_t fmt = 0; fmt < 4 && !::testing::Test::HasFailure(); ++fmt) {
    for (uint32_t cols : {1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 11u, 12u, 13u, 16u, 17u}) {
      StoreCmd c = b.random_store(int(fmt));
      c.cols = cols;
      c.rows = 3;
      c.acc = 2;
      c.stride = c.bytes() + 5;
      c.dram = kDstLo + 0x2001 + cols;  // unaligned
      b.do_store(c);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(Lsu4, StoreFormats) { store_formats<L4, Vts_lsu_tb_top>(); }
// Dim 8 with the converters in 4 stages (ts_store ConvStages, as in the fpga configuration).
TEST(Lsu8, StoreFormats) { store_formats<L8, Vlsu8>(); }

// LOAD into the accumulator then STORE raw: host bytes come back unchanged.
TEST(Lsu4, RawRoundTrip) {
  const uint64_t s = seed();
  Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.5, 20, s), s);
  for (int i = 0; i < 20 && !::testing::Test::HasFailure(); ++i) {
    const LoadCmd lc = b.random_load(2);
    b.d.set_traffic(0.3, 0.3);
    b.do_load(lc);
    StoreCmd sc;
    sc.fmt = kRaw;
    sc.cols = lc.bytes / 4;
    sc.rows = lc.rows;
    sc.acc = lc.sram;
    sc.stride = sc.bytes() + b.rng() % 50;
    sc.dram = kDstLo + 64 + b.rng() % 0x30000;
    b.d.set_traffic(0.3, 0.3);
    b.do_store(sc);
    for (uint32_t r = 0; r < lc.rows; ++r)
      ASSERT_EQ(b.d.mem().read(sc.dram + r * sc.stride, lc.bytes),
                b.d.mem().read(lc.dram + r * lc.stride, lc.bytes))
          << lc.show() << " -> " << sc.show() << " row " << r;
  }
}

// Stall and latency extremes: the same commands at each point.
TEST(Lsu4, StallLatencySweep) {
  const uint64_t s = seed();
  for (double st : {0.0, 0.5, 0.9}) {
    for (unsigned lat : {1u, 100u}) {
      SCOPED_TRACE("stall " + std::to_string(st) + " latency " + std::to_string(lat));
      Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, st, lat, s), s);
      for (int i = 0; i < 6 && !::testing::Test::HasFailure(); ++i) {
        b.d.set_traffic(0.2, 0.2);
        b.do_load(b.random_load(i % 3));
        b.d.set_traffic(0.2, 0.2);
        b.do_store(b.random_store(i % 4));
      }
      ASSERT_FALSE(::testing::Test::HasFailure());
    }
  }
}

// Window refusals: status Window with the host address, no AXI beat, nothing written.
TEST(Lsu4, WindowRefusal) {
  const uint64_t s = seed();
  Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.3, 5, s), s);
  auto ld = [](uint64_t dram, uint32_t rows, uint32_t bytes, uint64_t stride, bool acc) {
    LoadCmd c;
    c.dram = dram;
    c.rows = rows;
    c.bytes = bytes;
    c.stride = stride;
    c.acc = acc;
    return c;
  };
  auto st = [](uint64_t dram, uint32_t rows, uint32_t cols, uint64_t stride, uint32_t fmt) {
    StoreCmd c;
    c.dram = dram;
    c.rows = rows;
    c.cols = cols;
    c.stride = stride;
    c.fmt = fmt;
    return c;
  };
  const std::vector<LoadCmd> loads = {
      ld(0x100, 1, 16, 16, false),              // no window
      ld(kSrcLo - 2, 1, 16, 16, false),         // starts before window 0
      ld(kDstHi - 32, 2, 32, 32, true),         // second row past window 1
  };
  const std::vector<StoreCmd> stores = {
      st(kSrcLo + 0x100, 1, 4, 16, kRaw),       // read-only window
      st(kDstHi - 7, 1, 4, 8, kFp16),           // 1 byte past window 1
      st(kDstLo - 1, 2, 3, 64, kInt8),          // 1 byte before window 1
  };
  const auto before = b.d.mem().read(kSrcLo - 4096, kDstHi - kSrcLo + 8192);
  for (const auto& c : loads) {
    const auto st0 = b.d.mem().stats();
    const Done r = b.d.load(c);
    b.d.settle();
    EXPECT_EQ(r.status, kWindow) << c.show();
    EXPECT_EQ(r.addr, c.dram) << c.show();
    EXPECT_EQ(b.d.mem().stats().ar, st0.ar) << c.show() << ": AR issued";
    EXPECT_LE(r.cycles, 4u) << c.show();
  }
  for (const auto& c : stores) {
    const auto st0 = b.d.mem().stats();
    const Done r = b.d.store(c);
    b.d.settle();
    EXPECT_EQ(r.status, kWindow) << c.show();
    EXPECT_EQ(r.addr, c.dram) << c.show();
    EXPECT_EQ(b.d.mem().stats().aw, st0.aw) << c.show() << ": AW issued";
    EXPECT_EQ(b.d.mem().stats().w_beats, st0.w_beats) << c.show() << ": W issued";
    EXPECT_EQ(b.d.flags, 0) << c.show();
  }
  EXPECT_EQ(b.d.mem().read(kSrcLo - 4096, kDstHi - kSrcLo + 8192), before);
  EXPECT_EQ(b.d.check_srams("after refusals"), 0);
  // Both units still work.
  b.do_load(b.random_load(2));
  b.do_store(b.random_store(1));
}

// Bus errors: status and address reported, bus left idle, nothing outside the
// destination written, the next command works.
TEST(Lsu4, LoadBusErrors) {
  const uint64_t s = seed();
  for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
    for (int kind = 0; kind < 3; ++kind) {
      Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.2, 15, s), s);
      LoadCmd c;
      c.acc = kind == 2;
      c.expand8 = kind == 1;
      c.dram = kSrcLo + 0x1003;
      c.rows = 3;
      c.bytes = kind == 1 ? 30 : 40;
      c.stride = 300;
      c.sram = 2;
      const uint64_t err = c.dram + c.stride + 20;  // in the second row
      b.d.mem().inject_error(err, err + 1, resp);
      b.d.set_traffic(0.3, 0.3);
      const Done r = b.d.load(c);
      EXPECT_EQ(r.status, resp == tb::kSlvErr ? kRSlvErr : kRDecErr) << c.show();
      EXPECT_LE(r.addr, err) << c.show();
      EXPECT_GE(r.addr, (c.dram + c.stride) & ~7ull) << c.show();
      b.d.settle();
      b.d.mem().check_idle();
      b.d.adopt_rows(c.acc, c.sram, c.sram + c.rows * c.n(4));
      EXPECT_EQ(b.d.check_srams("outside the failed load"), 0) << c.show();
      b.d.mem().clear_errors();
      b.do_load(b.random_load(kind));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(Lsu4, StoreBusErrors) {
  const uint64_t s = seed();
  for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
    for (uint32_t fmt = 0; fmt < 4; ++fmt) {
      Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.2, 15, s), s);
      StoreCmd c = b.random_store(int(fmt));
      c.dram = kDstLo + 0x805;
      c.rows = 4;
      c.cols = 7;
      c.acc = 1;
      c.stride = 512;
      const uint64_t err = c.dram + 2 * c.stride + 3;  // third row
      b.d.mem().inject_error(err, err + 1, resp);
      const auto near = b.d.mem().read(err - 8, 16);
      b.d.set_traffic(0.3, 0.3);
      const Done r = b.d.store(c);
      EXPECT_EQ(r.status, resp == tb::kSlvErr ? kBSlvErr : kBDecErr) << c.show();
      EXPECT_LE(r.addr, err) << c.show();
      EXPECT_GE(r.addr, (c.dram + 2 * c.stride) & ~7ull) << c.show();
      b.d.settle();
      b.d.mem().check_idle();
      EXPECT_EQ(b.d.mem().read(err - 8, 16), near) << "failed burst must not write";
      b.d.mem().clear_errors();
      b.do_store(b.random_store(int(fmt)));
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// Throughput: one large command of each kind on the big Dim-4 model (latency 100, no
// stalls, 4 bursts in flight). Bus beats per cycle from command handshake to completion.
TEST(Lsu4, Throughput) {
  const uint64_t s = seed();
  Bench<L4big, Vlsu4big> b(mem_cfg(8, 0.0, 100, s, false), s);
  // beats, cycles from handshake to completion, cycles from the first to the last beat.
  struct Row { const char* what; uint64_t beats, cycles, data_cycles, bound; };
  std::vector<Row> rows;
  auto load = [&](int kind, uint32_t bytes, const char* what, uint64_t per_beat) {
    LoadCmd c;
    c.acc = kind == 2;
    c.expand8 = kind == 1;
    c.dram = kSrcLo;
    c.rows = 1;
    c.bytes = bytes;
    c.stride = bytes;
    const uint64_t r0 = b.d.r_beats;
    b.d.mark_beats();
    const Done r = b.d.load(c);
    ASSERT_EQ(r.status, kOk);
    const uint64_t beats = b.d.r_beats - r0;
    rows.push_back({what, beats, r.cycles, b.d.r_last - b.d.r_first + 1,
                    per_beat * beats + 100 + 16});
    b.d.model_load(c);
  };
  auto store = [&](uint32_t fmt, const char* what, uint64_t per_beat) {
    StoreCmd c;
    c.fmt = fmt;
    c.cols = 4 * 1023;
    c.rows = 1;
    c.acc = 0;
    c.stride = c.bytes();
    c.dram = kDstLo;
    c.mult = 0x50000000;
    c.shift = -3;
    uint8_t fl = 0;
    const auto exp = b.expect_store(c, &fl);
    const uint64_t w0 = b.d.w_beats;
    b.d.mark_beats();
    const Done r = b.d.store(c);
    ASSERT_EQ(r.status, kOk);
    const uint64_t beats = b.d.w_beats - w0;
    rows.push_back({what, beats, r.cycles, b.d.w_last - b.d.w_first + 1,
                    per_beat * beats + 100 + 24});
    b.check_mem(exp, what);
  };
  load(0, 32768, "load scratchpad 32 KiB", 1);
  load(1, 16384, "load expand8 16 KiB", 2);  // two scratchpad rows per beat
  load(2, 16368, "load accumulator 16 KiB", 1);
  store(kRaw, "store raw 1023 acc rows", 1);
  store(kFp16, "store fp16 1023 acc rows", 1);
  store(kInt8, "store int8 1023 acc rows", 2);  // two accumulator reads per beat
  EXPECT_EQ(b.d.check_srams("after the large loads"), 0);
  for (const auto& r : rows) {
    std::printf("[ thruput  ] %-26s %6llu beats %6llu cycles %.3f beats/cycle; data phase "
                "%6llu cycles %.3f beats/cycle\n", r.what, (unsigned long long)r.beats,
                (unsigned long long)r.cycles, double(r.beats) / double(r.cycles),
                (unsigned long long)r.data_cycles, double(r.beats) / double(r.data_cycles));
    ::testing::Test::RecordProperty(r.what, std::to_string(double(r.beats) / double(r.cycles)));
    EXPECT_LE(r.cycles, r.bound) << r.what;
    EXPECT_LE(r.data_cycles, r.bound - 100) << r.what << ": data phase";
  }
}

// ---------------------------------------------------------------------------------------
// Two LOADs in flight (ts_load Dmas = 2, docs/lsu.md).

// Random streams of back-to-back LOADs (every layout, destinations that may overlap: the
// later LOAD's rows win) under random stalls, latency, bank conflicts and accumulator
// traffic; every SRAM row checked after each stream.
TEST(Lsu4Pipe, RandomLoadStreams) {
  const uint64_t s = seed();
  std::mt19937_64 rng(s);
  Bench<L4p, Vlsu4pipe> b(random_mem_cfg(L4p::kNb, rng, s), s);
  const int n = int(vectors(120));
  uint64_t loads = 0;
  for (int i = 0; i < n && !::testing::Test::HasFailure(); ++i) {
    b.d.set_traffic(0.3, 0.2);
    std::vector<LoadCmd> cmds(2 + rng() % 5);
    std::string what;
    for (auto& c : cmds) {
      c = b.random_load();
      what += c.show() + "; ";
    }
    const auto done = b.d.load_stream(cmds);
    ASSERT_EQ(done.size(), cmds.size()) << what;
    for (size_t k = 0; k < cmds.size(); ++k) {
      ASSERT_EQ(done[k].status, kOk) << "command " << k << " of " << what;
      b.d.model_load(cmds[k]);
    }
    b.d.settle();
    b.d.mem().check_idle();
    ASSERT_EQ(b.d.check_srams(what), 0);
    loads += cmds.size();
  }
  EXPECT_GE(loads, uint64_t(2 * n));
  EXPECT_EQ(b.d.max_loads_in_flight, 2u) << "no second LOAD was ever taken beside a first";
  ::testing::Test::RecordProperty("cycles", std::to_string(b.sim.cycles()));
}

// Errors in a stream of two: the failing LOAD reports its status and address, the other
// one is whole or untouched, the bus ends idle, and the unit works afterwards.
TEST(Lsu4Pipe, ErrorsBesideASecondLoad) {
  const uint64_t s = seed();
  auto make = [](uint64_t dram, uint32_t sram, int kind) {
    LoadCmd c;
    c.acc = kind == 2;
    c.expand8 = kind == 1;
    c.dram = dram;
    c.rows = 3;
    c.bytes = kind == 1 ? 30 : 40;
    c.stride = 300;
    c.sram = sram;
    return c;
  };
  for (int kind = 0; kind < 3; ++kind) {
    const uint32_t n = make(0, 0, kind).n(4);
    // (a) The second LOAD leaves the windows: the first is written, the second refused
    // before any burst.
    {
      Bench<L4p, Vlsu4pipe> b(mem_cfg(8, 0.2, 15, s), s);
      const LoadCmd first = make(kSrcLo + 0x1003, 1, kind);
      LoadCmd second = make(kSrcLo + 0x2000, 1 + 3 * n, kind);
      second.dram = 0x100;  // in no window
      const auto st0 = b.d.mem().stats();
      const auto done = b.d.load_stream({first, second});
      ASSERT_EQ(done.size(), 2u);
      EXPECT_EQ(done[0].status, kOk);
      EXPECT_EQ(done[1].status, kWindow);
      EXPECT_EQ(done[1].addr, 0x100u);
      b.d.model_load(first);
      b.d.settle();
      b.d.mem().check_idle();
      EXPECT_LE(b.d.mem().stats().ar - st0.ar, 3u) << "bursts of the refused LOAD";
      EXPECT_EQ(b.d.check_srams("refused second LOAD"), 0) << "kind " << kind;
      b.do_load(b.random_load(kind));
    }
    // (b) A bus error in the first LOAD: the second, already taken, is aborted and writes
    // nothing; (c) a bus error in the second: the first is whole.
    for (int bad = 0; bad < 2; ++bad) {
      for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
        Bench<L4p, Vlsu4pipe> b(mem_cfg(8, 0.2, 15, s), s);
        const LoadCmd c[2] = {make(kSrcLo + 0x1003, 1, kind),
                              make(kSrcLo + 0x3005, 1 + 3 * n, kind)};
        const uint64_t err = c[bad].dram + c[bad].stride + 20;  // in its second row
        b.d.mem().inject_error(err, err + 1, resp);
        b.d.set_traffic(0.3, 0.3);
        const auto done = b.d.load_stream({c[0], c[1]});
        const std::string what = "bad " + std::to_string(bad) + " " + c[bad].show();
        ASSERT_EQ(done.size(), 2u) << what;
        EXPECT_EQ(done[bad].status, resp == tb::kSlvErr ? kRSlvErr : kRDecErr) << what;
        EXPECT_LE(done[bad].addr, err) << what;
        EXPECT_GE(done[bad].addr, (c[bad].dram + c[bad].stride) & ~7ull) << what;
        EXPECT_EQ(done[1 - bad].status, bad == 0 ? kAborted : kOk) << what;
        b.d.settle();
        b.d.mem().check_idle();
        if (bad == 1) b.d.model_load(c[0]);
        // The failed LOAD's rows may be partly written; the aborted one's must be untouched.
        b.d.adopt_rows(c[bad].acc, c[bad].sram, c[bad].sram + c[bad].rows * n);
        EXPECT_EQ(b.d.check_srams(what), 0) << what;
        b.d.mem().clear_errors();
        b.do_load(b.random_load(kind));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// Two LOADs back to back overlap: the second one's bursts go out while the first one's data
// return, so the pair takes one memory latency, not two (Dim 4 with large memories, 100-cycle
// latency, no stalls).
TEST(Lsu4, BackToBackLoadsOverlap) {
  const uint64_t s = seed();
  Bench<L4big, Vlsu4big> b(mem_cfg(8, 0.0, 100, s, false), s);
  std::vector<LoadCmd> cmds(2);
  for (size_t k = 0; k < cmds.size(); ++k) {
    cmds[k].dram = kSrcLo + 4096 * k;
    cmds[k].bytes = cmds[k].stride = 4096;  // 512 beats
    cmds[k].sram = uint32_t(512 * k);
  }
  const auto done = b.d.load_stream(cmds);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].status, kOk);
  EXPECT_EQ(done[1].status, kOk);
  for (const auto& c : cmds) b.d.model_load(c);
  EXPECT_EQ(b.d.check_srams("two 4 KiB loads"), 0);
  // The second command's handshake -> completion includes the first one's data phase.
  std::printf("[ overlap  ] first %llu cycles, second %llu cycles after its handshake\n",
              (unsigned long long)done[0].cycles, (unsigned long long)done[1].cycles);
  ::testing::Test::RecordProperty("first", std::to_string(done[0].cycles));
  ::testing::Test::RecordProperty("second", std::to_string(done[1].cycles));
  EXPECT_LE(done[0].cycles, 512u + 100u + 16u);
  // One latency for both: the second (taken one cycle after the first) completes at most its
  // 512 beats and a few cycles after the first; one after the other it would take at least
  // another 100-cycle latency on top.
  EXPECT_LE(done[1].cycles, done[0].cycles + 512u + 16u);
}

// ---------------------------------------------------------------------------------------
// Two STOREs in flight (ts_store Dmas = 2, docs/lsu.md).

// Random streams of back-to-back STOREs (every format; one in three starts inside the
// previous one's destination, so the later one's bytes must win) under random stalls,
// latency and accumulator traffic; every byte of every destination (+-64) checked.
TEST(Lsu4Pipe, RandomStoreStreams) {
  const uint64_t s = seed();
  std::mt19937_64 rng(s);
  Bench<L4p, Vlsu4pipe> b(random_mem_cfg(L4p::kNb, rng, s), s);
  const int n = int(vectors(120));
  uint64_t stores = 0, overlapping = 0;
  for (int i = 0; i < n && !::testing::Test::HasFailure(); ++i) {
    b.d.set_traffic(0.3, 0.2);
    std::vector<StoreCmd> cmds(2 + rng() % 5);
    std::string what;
    for (size_t k = 0; k < cmds.size(); ++k) {
      cmds[k] = b.random_store();
      if (k > 0 && rng() % 3 == 0) {
        const uint64_t span = (cmds[k].rows - 1) * cmds[k].stride + cmds[k].bytes();
        const uint64_t at = cmds[k - 1].dram + rng() % (cmds[k - 1].bytes() + 1);
        if (at + span + 128 < kDstHi) {
          cmds[k].dram = at;
          ++overlapping;
        }
      }
      what += cmds[k].show() + "; ";
    }
    uint8_t fl = 0;
    const auto exp = b.expect_stores(cmds, &fl);
    b.d.flags = 0;
    const auto done = b.d.store_stream(cmds);
    ASSERT_EQ(done.size(), cmds.size()) << what;
    for (size_t k = 0; k < cmds.size(); ++k)
      ASSERT_EQ(done[k].status, kOk) << "command " << k << " of " << what;
    b.d.settle();
    b.d.mem().check_idle();
    b.check_mem(exp, what);
    EXPECT_EQ(int(b.d.flags), int(fl)) << what << ": FP flags";
    stores += cmds.size();
  }
  EXPECT_GE(stores, uint64_t(2 * n));
  EXPECT_GT(overlapping, 0u);
  EXPECT_EQ(b.d.max_stores_in_flight, 2u) << "no second STORE was ever taken beside a first";
  ::testing::Test::RecordProperty("cycles", std::to_string(b.sim.cycles()));
}

// Errors in a stream of two STOREs: the failing one reports its status and address, the
// failing burst writes nothing, every byte outside the two destinations is untouched, the
// bus ends idle and the unit works afterwards. A STORE behind a failing one may already
// have written (its writes go out while the older one waits for B): it completes whole or
// aborted (7), and its destination holds old or new bytes only.
TEST(Lsu4Pipe, ErrorsBesideASecondStore) {
  const uint64_t s = seed();
  for (uint32_t fmt = 0; fmt < 4; ++fmt) {
    auto make = [fmt](uint64_t dram, uint32_t acc) {
      StoreCmd c;
      c.fmt = fmt;
      c.dram = dram;
      c.rows = 4;
      c.cols = 7;
      c.acc = acc;
      c.stride = 512;
      return c;
    };
    // (a) The second STORE leaves the windows: the first is whole, the second refused
    // before any burst.
    {
      Bench<L4p, Vlsu4pipe> b(mem_cfg(8, 0.2, 15, s), s);
      const StoreCmd first = make(kDstLo + 0x805, 1);
      StoreCmd second = make(kDstLo + 0x2000, 9);
      second.dram = 0x100;  // in no window
      uint8_t fl = 0;
      const auto exp = b.expect_store(first, &fl);
      const auto st0 = b.d.mem().stats();
      const auto done = b.d.store_stream({first, second});
      ASSERT_EQ(done.size(), 2u);
      EXPECT_EQ(done[0].status, kOk);
      EXPECT_EQ(done[1].status, kWindow);
      EXPECT_EQ(done[1].addr, 0x100u);
      b.d.settle();
      b.d.mem().check_idle();
      EXPECT_EQ(b.d.mem().stats().aw - st0.aw, 4u) << "bursts of the refused STORE";
      EXPECT_EQ(b.d.max_stores_in_flight, 2u) << "the second was not taken beside the first";
      b.check_mem(exp, "refused second STORE, fmt " + std::to_string(fmt));
      b.do_store(b.random_store(int(fmt)));
    }
    // (b) A bus error in the first STORE; (c) a bus error in the second.
    for (int bad = 0; bad < 2; ++bad) {
      for (auto resp : {tb::kSlvErr, tb::kDecErr}) {
        Bench<L4p, Vlsu4pipe> b(mem_cfg(8, 0.2, 15, s), s);
        const StoreCmd c[2] = {make(kDstLo + 0x805, 1), make(kDstLo + 0x3003, 9)};
        const uint64_t err = c[bad].dram + 2 * c[bad].stride + 3;  // third row
        b.d.mem().inject_error(err, err + 1, resp);
        const auto near = b.d.mem().read(err - 8, 16);
        uint8_t fl = 0;
        std::map<uint64_t, uint8_t> old_b, new_b;  // per command: span bytes before / after
        for (int k = 0; k < 2; ++k) {
          const auto e = b.expect_store(c[k], &fl);
          for (const auto& [a, v] : e) {
            old_b.emplace(a, b.d.mem().byte(a));
            new_b[a] = v;
          }
        }
        b.d.set_traffic(0.3, 0.3);
        const auto done = b.d.store_stream({c[0], c[1]});
        const std::string what = "fmt " + std::to_string(fmt) + " bad " + std::to_string(bad);
        ASSERT_EQ(done.size(), 2u) << what;
        EXPECT_EQ(done[bad].status, resp == tb::kSlvErr ? kBSlvErr : kBDecErr) << what;
        EXPECT_LE(done[bad].addr, err) << what;
        EXPECT_GE(done[bad].addr, (c[bad].dram + 2 * c[bad].stride) & ~7ull) << what;
        EXPECT_EQ(b.d.max_stores_in_flight, 2u) << what << ": not taken beside the first";
        if (bad == 0) {
          EXPECT_TRUE(done[1].status == kOk || done[1].status == kAborted) << what;
        } else {
          EXPECT_EQ(done[0].status, kOk) << what;
        }
        b.d.settle();
        b.d.mem().check_idle();
        EXPECT_EQ(b.d.mem().read(err - 8, 16), near) << what << ": failed burst must not write";
        // First STORE whole when the second failed; otherwise every byte old or new.
        uint64_t odd = 0;
        const uint64_t end0 = c[0].dram + (c[0].rows - 1) * c[0].stride + c[0].bytes() + 64;
        for (const auto& [a, v] : new_b) {
          const uint8_t got = b.d.mem().byte(a);
          const bool first_span = a >= c[0].dram - 64 && a < end0;
          if (bad == 1 && first_span ? got != v : (got != v && got != old_b[a])) {
            if (odd++ < 5)
              ADD_FAILURE() << what << ": host byte 0x" << std::hex << a << " is 0x" << int(got);
          }
        }
        EXPECT_EQ(odd, 0u) << what;
        b.d.mem().clear_errors();
        b.do_store(b.random_store(int(fmt)));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// Two STOREs back to back overlap: the second one's writes go out while the first one waits
// for its B responses, so the pair pays the write latency once (Dim 4 with large memories,
// 100-cycle latency, no stalls).
TEST(Lsu4, BackToBackStoresOverlap) {
  const uint64_t s = seed();
  Bench<L4big, Vlsu4big> b(mem_cfg(8, 0.0, 100, s, false), s);
  std::vector<StoreCmd> cmds(2);
  for (size_t k = 0; k < cmds.size(); ++k) {
    cmds[k].fmt = kRaw;
    cmds[k].cols = 1024;  // 4 KiB: 512 beats
    cmds[k].dram = kDstLo + 4096 * k;
    cmds[k].stride = cmds[k].bytes();
    cmds[k].acc = uint32_t(256 * k);
  }
  uint8_t fl = 0;
  const auto exp = b.expect_stores(cmds, &fl);
  const auto done = b.d.store_stream(cmds);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].status, kOk);
  EXPECT_EQ(done[1].status, kOk);
  b.d.settle();
  b.check_mem(exp, "two 4 KiB stores");
  EXPECT_EQ(b.d.max_stores_in_flight, 2u);
  std::printf("[ overlap  ] first %llu cycles, second %llu cycles after its handshake\n",
              (unsigned long long)done[0].cycles, (unsigned long long)done[1].cycles);
  // The second is taken only once the first has sent its last W beat: count from the first
  // handshake.
  const uint64_t pair = done[1].start + done[1].cycles - done[0].start;
  std::printf("[ overlap  ] both %llu cycles after the first handshake\n",
              (unsigned long long)pair);
  ::testing::Test::RecordProperty("first", std::to_string(done[0].cycles));
  ::testing::Test::RecordProperty("second", std::to_string(done[1].cycles));
  ::testing::Test::RecordProperty("pair", std::to_string(pair));
  EXPECT_LE(done[0].cycles, 512u + 100u + 24u);
  // One write latency for both: the second completes at most its 512 beats and a few cycles
  // after the first; one after the other (about 1,250 cycles) it would take another
  // 100-cycle latency on top.
  EXPECT_LE(pair, done[0].cycles + 512u + 24u);
}

// An RTL assertion fires when a command is withdrawn before it was accepted.
TEST(Lsu4, AssertionFiresOnWithdrawnCommand) {
  const uint64_t s = seed();
  Bench<L4, Vts_lsu_tb_top> b(mem_cfg(8, 0.0, 50, s), s);
  const LoadCmd c = b.random_load(0);
  b.d.offer_load(c);
  b.d.cycle();  // accepted
  b.sim.top().ld_cmd_valid_i = 1;  // a second command offered while busy ...
  b.d.cycle();
  b.sim.top().ld_cmd_valid_i = 0;  // ... and withdrawn
  EXPECT_THROW(b.d.cycle(), tb::AssertionFailure);
}

}  // namespace
}  // namespace tessera::test
