// SPDX-License-Identifier: Apache-2.0
// GEMM planner, host-region overlap, and CommandStream token assignment.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tessera/command_stream.hpp"
#include "tessera/device.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

TEST(Plan, FitsEveryConfigAndShape) {
  const uint32_t sizes[] = {1, 3, 17, 31, 33, 100, 257, 512, 1000, 4096};
  for (const ChipConfig& cfg : kChipConfigs) {
    const uint32_t D = cfg.dim;
    for (uint32_t m : sizes) {
      for (uint32_t n : sizes) {
        for (uint32_t k : sizes) {
          for (int flags = 0; flags < 8; ++flags) {
            GemmShape s{
                m, n, k, isa::Dtype::kFp16, bool(flags & 1), bool(flags & 2), bool(flags & 4)};
            const GemmPlan p = plan_gemm(cfg, s);
            ASSERT_GE(p.spad_slots, 2u) << cfg.name;
            ASSERT_GE(p.acc_slots, 2u) << cfg.name;
            ASSERT_LE(uint64_t(p.panels) * p.panel_rows +
                          uint64_t(p.spad_slots) * p.spad_slot_rows,
                      cfg.spad_rows);
            ASSERT_LE(p.m_tail_min, p.bm);
            ASSERT_EQ(p.last_rows % D, 0u);
            ASSERT_EQ(p.n_tail % D, 0u);
            if (p.n_tail) {
              ASSERT_EQ(p.panels, 2u);
            }
            if (p.panels) {
              uint32_t cols = 0;
              for (uint32_t b : p.n_blocks(n)) {
                ASSERT_GE(b, 1u);
                ASSERT_LE(b, p.bn);
                cols += b;
              }
              ASSERT_EQ(cols, n);
            }
            for (bool last : {false, true}) {
              uint32_t rows = 0;
              for (uint32_t b : p.m_blocks(m, last)) {
                ASSERT_GE(b, 1u);
                ASSERT_LE(b, p.bm);
                rows += b;
              }
              ASSERT_EQ(rows, m);
            }
            ASSERT_LE(uint64_t(p.acc_slots) * p.acc_slot_rows, cfg.acc_rows);
            ASSERT_EQ(p.bn % D, 0u);
            ASSERT_EQ(p.kb % D, 0u);
            ASSERT_EQ(p.kb_first % D, 0u);
            ASSERT_LE(p.bm, m);
            uint32_t sum = 0;
            for (size_t blk : {size_t(0), size_t(1)}) {
              const auto g = p.k_groups(k, blk);
              sum = 0;
              for (size_t i = 0; i < g.size(); ++i) {
                ASSERT_LE(g[i], p.kb);
                if (i + 1 < g.size()) {
                  ASSERT_EQ(g[i] % D, 0u);
                }
                sum += g[i];
              }
              ASSERT_EQ(sum, k);
            }
          }
        }
      }
    }
  }
}

TEST(Plan, DefaultUsesLargeBlocks) {
  const GemmPlan p = plan_gemm(find_config("default"), {512, 512, 512, isa::Dtype::kFp16});
  EXPECT_EQ(p.bm, 128u);
  EXPECT_EQ(p.bn, 128u);
  EXPECT_EQ(p.kb, 128u);
  EXPECT_EQ(p.spad_slots, 8u);
  EXPECT_EQ(p.acc_slots, 2u);
  // Two LOADs in flight: the ramp starts at Dim and grows as fast as the loads keep ahead
  // of the array (docs/runtime.md): 128 x 128 blocks need a quarter of the array's time.
  EXPECT_EQ(p.kb_first, 16u);
  EXPECT_EQ(p.ramp, (std::vector<uint32_t>{16, 48, 128}));
  const auto g0 = p.k_groups(512, 0);
  EXPECT_EQ(g0, (std::vector<uint32_t>{16, 48, 128, 128, 128, 64}));
  EXPECT_EQ(p.k_groups(512, 1), (std::vector<uint32_t>{128, 128, 128, 128}));
  // 64 x 64 blocks load twice as many bytes per MAC: the ramp grows more slowly.
  const GemmPlan q = plan_gemm(find_config("default"), {64, 64, 512, isa::Dtype::kFp16});
  EXPECT_EQ(q.k_groups(512, 0),
            (std::vector<uint32_t>{16, 16, 16, 32, 48, 80, 128, 128, 48}));
  // 32-row blocks (64 x 64 x 256, the M tail halved): a Dim group's two LOADs take longer
  // than its GEMM (the memory latency is paid per LOAD, and A's 32-byte rows are one burst
  // each), so the ramp doubles to 2 Dim at once and stays there (docs/runtime.md; the
  // values follow the model, recomputed outside the planner).
  const GemmPlan l = plan_gemm(find_config("default"), {64, 64, 256, isa::Dtype::kFp16});
  EXPECT_EQ(l.m_blocks(64, true), (std::vector<uint32_t>{32, 32}));
  EXPECT_EQ(l.k_groups(256, 0), (std::vector<uint32_t>{16, 32, 32, 32, 32, 32, 32, 32, 16}));
  // One LOAD at a time (fpga): the doubling ramp from 2 Dim.
  const GemmPlan f = plan_gemm(find_config("fpga"), {512, 512, 512, isa::Dtype::kFp16});
  EXPECT_TRUE(f.ramp.empty());
  EXPECT_EQ(f.kb_first, 16u);
  EXPECT_EQ(f.k_groups(512, 0)[1], 32u);
}

// Small shapes on default: B is read once (panel), and the last STORE is short.
TEST(Plan, SmallShapesUseBPanelsAndShortTail) {
  const ChipConfig& cfg = find_config("default");
  const GemmPlan p = plan_gemm(cfg, {128, 128, 128, isa::Dtype::kFp16});
  EXPECT_EQ(p.panel_rows, 128u * 128 / 16);
  EXPECT_EQ(p.m_blocks(128, true), (std::vector<uint32_t>{64, 32, 16, 16}));
  EXPECT_EQ(p.m_blocks(128, false), (std::vector<uint32_t>{128}));
  // One column block, cut in two (64 + 64 columns): a second panel buffer for it.
  EXPECT_EQ(p.panels, 2u);
  EXPECT_EQ(p.n_blocks(128), (std::vector<uint32_t>{64, 64}));
  // Long K: one block's STORE is cheap next to the extra GEMM commands of a split.
  const GemmPlan q = plan_gemm(cfg, {64, 64, 2048, isa::Dtype::kFp16});
  EXPECT_EQ(q.panels, 1u);
  EXPECT_EQ(q.m_tail_min, 0u);
  // The last K group in Dim-row parts, each with its STORE.
  EXPECT_EQ(q.last_rows, 16u);
  // Short K and several column blocks: the last column block is cut in two as well, so
  // that the last STORE is 16 x 64.
  const GemmPlan w = plan_gemm(cfg, {64, 512, 64, isa::Dtype::kFp16});
  EXPECT_EQ(w.panels, 2u);
  EXPECT_EQ(w.n_tail, 64u);
  EXPECT_EQ(w.n_blocks(512), (std::vector<uint32_t>{128, 128, 128, 64, 64}));
  EXPECT_EQ(w.m_blocks(64, true), (std::vector<uint32_t>{32, 16, 16}));
  // Longer K: the extra blocks would cost more than the shorter STORE saves.
  EXPECT_EQ(plan_gemm(cfg, {256, 256, 256, isa::Dtype::kFp16}).n_tail, 0u);
  // B too large for the scratchpad: the slot scheme (B re-read per M block).
  const GemmPlan big = plan_gemm(cfg, {512, 512, 4096, isa::Dtype::kFp16});
  EXPECT_EQ(big.panels, 0u);
}

TEST(HostRegion, OverlapMatchesBruteForce) {
  std::mt19937_64 r(test::seed());
  for (int i = 0; i < 20000; ++i) {
    HostRegion a{r() % 200, 1 + r() % 40, 1 + r() % 6, 1 + r() % 30};
    HostRegion b{r() % 200, r() % 3 == 0 ? a.stride : 1 + r() % 40, 1 + r() % 6, 1 + r() % 30};
    std::set<uint64_t> bytes;
    for (uint64_t x = 0; x < a.rows; ++x) {
      for (uint64_t y = 0; y < a.bytes; ++y) bytes.insert(a.addr + x * a.stride + y);
    }
    bool hit = false;
    for (uint64_t x = 0; x < b.rows && !hit; ++x) {
      for (uint64_t y = 0; y < b.bytes && !hit; ++y) hit = bytes.count(b.addr + x * b.stride + y);
    }
    const bool got = regions_overlap(a, b);
    if (hit) {
      ASSERT_TRUE(got) << i;  // never misses a conflict
    }
    if (a.stride == b.stride || a.rows == 1 || b.rows == 1) {
      ASSERT_EQ(got, hit) << i;  // exact
    }
    ASSERT_EQ(regions_overlap(b, a), got);
  }
}

isa::LoadCmd load(uint32_t dram, uint32_t sram, bool acc = false) {
  isa::LoadCmd l;
  l.to_acc = acc;
  l.dram_addr = dram;
  l.rows = 16;
  l.bytes = acc ? 64 : 32;
  l.stride = l.bytes;
  l.sram_addr = sram;
  return l;
}
isa::GemmCmd gemm(uint32_t a, uint32_t b, uint32_t c) {
  isa::GemmCmd g;
  g.m = g.n = g.k = 16;
  g.a_addr = a;
  g.b_addr = b;
  g.c_addr = c;
  g.a_stride = g.b_stride = g.c_stride = 1;
  return g;
}
isa::StoreCmd store(uint32_t dram, uint32_t acc) {
  isa::StoreCmd s;
  s.dram_addr = dram;
  s.stride = 64;
  s.rows = 16;
  s.cols = 16;
  s.acc_addr = acc;
  return s;
}

TEST(CommandStream, TokensFromHazards) {
  const ChipConfig& cfg = find_config("default");
  CommandStream s(cfg);
  const size_t l0 = s.load(load(0x1000, 0));
  const size_t l1 = s.load(load(0x2000, 16));
  const size_t g0 = s.gemm(gemm(0, 16, 0));      // RAW on both loads: one pop (the later)
  const size_t st0 = s.store(store(0x9000, 0));  // RAW on the GEMM's accumulator rows
  const size_t l2 = s.load(load(0x3000, 0));     // WAR: overwrites A while GEMM 0 reads it
  const size_t g1 = s.gemm(gemm(0, 16, 0));      // RAW on l2, WAR on the store's acc rows
  const size_t st1 = s.store(store(0xa000, 0));
  auto tok = [&](size_t i) { return isa::Tokens::from_bits(s.words()[i][0]); };
  EXPECT_FALSE(tok(l0).any());
  EXPECT_TRUE(tok(l1).push_next);
  EXPECT_FALSE(tok(l1).pop_next);
  EXPECT_TRUE(tok(g0).pop_prev);
  EXPECT_TRUE(tok(g0).push_next);
  EXPECT_TRUE(tok(g0).push_prev);  // l2 waits for it
  EXPECT_TRUE(tok(st0).pop_prev);
  EXPECT_TRUE(tok(st0).push_prev);  // g1 waits for it
  EXPECT_TRUE(tok(l2).pop_next);
  EXPECT_TRUE(tok(l2).push_next);
  EXPECT_TRUE(tok(g1).pop_prev);
  EXPECT_TRUE(tok(g1).pop_next);
  EXPECT_TRUE(tok(g1).push_next);
  EXPECT_TRUE(tok(st1).pop_prev);
  EXPECT_FALSE(tok(st1).push_prev);
  EXPECT_NO_THROW(s.validate());
}

TEST(CommandStream, LoadStoreDependenciesGoThroughAGemm) {
  const ChipConfig& cfg = find_config("default");
  {
    CommandStream s(cfg);
    s.load(load(0x1000, 0, true));
    // The store reads accumulator rows the LOAD wrote and no GEMM lies between them.
    EXPECT_THROW(s.store(store(0x9000, 0)), std::logic_error);
  }
  CommandStream s(cfg);
  const size_t l = s.load(load(0x1000, 100, true));  // accumulator rows 100..115
  const size_t g = s.gemm(gemm(0, 16, 0));           // unrelated rows: carries the token
  const size_t st = s.store(store(0x9000, 100));
  const size_t g2 = s.gemm(gemm(0, 16, 200));
  const size_t l2 = s.load(load(0x9000, 300));  // reads host bytes the STORE wrote
  auto tok = [&](size_t i) { return isa::Tokens::from_bits(s.words()[i][0]); };
  EXPECT_TRUE(tok(l).push_next);
  EXPECT_TRUE(tok(g).pop_prev);
  EXPECT_TRUE(tok(g).push_next);
  EXPECT_TRUE(tok(st).pop_prev);
  EXPECT_TRUE(tok(st).push_prev);
  EXPECT_TRUE(tok(g2).pop_next);
  EXPECT_TRUE(tok(g2).push_prev);
  EXPECT_TRUE(tok(l2).pop_next);
  EXPECT_NO_THROW(s.validate());
}

TEST(CommandStream, RefusesWhatTheFetcherWould) {
  CommandStream s(find_config("default"));
  isa::LoadCmd l = load(0x1000, 0);
  l.rows = 0;
  EXPECT_THROW(s.load(l), std::invalid_argument);
  l = load(0x1000, 0);
  l.tok.push_next = true;
  EXPECT_THROW(s.load(l), std::invalid_argument);
}

TEST(CommandStream, ValidateCatchesBadTokens) {
  CommandStream s(find_config("default"));
  isa::GemmCmd g = gemm(0, 16, 0);
  g.tok.pop_prev = true;  // nothing pushed before it
  s.raw(g.encode());
  EXPECT_THROW(s.validate(), std::logic_error);
  CommandStream t(find_config("default"));
  isa::LoadCmd l = load(0x1000, 0);
  l.tok.push_next = true;  // never popped
  t.raw(l.encode());
  EXPECT_THROW(t.validate(), std::logic_error);
}

// Every GEMM stream the runtime builds is token-balanced and deadlock-free in ring order.
TEST(CommandStream, GemmStreamsValidate) {
  std::mt19937_64 r(test::seed());
  const uint32_t sizes[] = {1, 3, 17, 31, 33, 129, 257, 300};
  for (const char* name : {"tiny", "fpga", "default"}) {
    FuncDevice dev(find_config(name));
    Runtime rt(dev);
    for (int rep = 0; rep < 40; ++rep) {
      GemmArgs g;
      g.dtype = isa::Dtype(r() % 3);
      g.m = sizes[r() % 8];
      g.n = sizes[r() % 8];
      g.k = sizes[r() % 8];
      g.a_trans = r() & 1;
      g.b_trans = r() & 1;
      const uint32_t es = elem_bytes(g.dtype);
      g.a = {0x10000000u, g.m * g.k * es};
      g.b = {0x11000000u, g.k * g.n * es};
      g.d = {0x12000000u, g.m * g.n * 4};
      if (r() & 1) g.c = Buffer{r() & 1 ? 0x12000000u : 0x13000000u, g.m * g.n * 4};
      GemmPlan p;
      const CommandStream s = rt.build_gemm(g, &p);  // validate() runs inside
      size_t gemms = 0;
      for (size_t i = 0; i < s.size(); ++i) gemms += s.queue(i) == isa::Queue::kExec;
      EXPECT_GE(gemms, 1u);
    }
  }
}

TEST(Plan, ShortKMakesBlocksEven) {
  const ChipConfig& cfg = find_config("default");
  // K = 64: a block's raw STORE is half its GEMM, so 192 columns are two blocks of 96 and
  // 192 rows two blocks of 96 (not 128 + 64).
  const GemmPlan p = plan_gemm(cfg, {192, 192, 64, isa::Dtype::kFp16});
  EXPECT_EQ(p.bn, 96u);
  EXPECT_EQ(p.bm, 96u);
  // K = 512: the STOREs hide behind the GEMMs; the target sizes stay.
  const GemmPlan q = plan_gemm(cfg, {192, 192, 512, isa::Dtype::kFp16});
  EXPECT_EQ(q.bn, 128u);
  EXPECT_EQ(q.bm, 128u);
  // Sizes that already divide evenly do not change.
  const GemmPlan r = plan_gemm(cfg, {256, 256, 64, isa::Dtype::kFp16});
  EXPECT_EQ(r.bn, 128u);
  EXPECT_EQ(r.bm, 128u);
}

}  // namespace
}  // namespace tessera
