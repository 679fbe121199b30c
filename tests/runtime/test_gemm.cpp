// SPDX-License-Identifier: Apache-2.0
// Runtime::gemm on the functional device: bit-exact against golden::gemm (results and
// FLAGS) and within the OpenBLAS gamma_K bound (INT8: exact integers), for many shapes,
// dtypes, transposes, output formats, accumulation and tilings; nothing written outside D.
#include <gtest/gtest.h>

#include <random>

#include "gemm_case.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

using isa::Dtype;
using isa::StoreFormat;
using test::Case;
using test::formats;

void run_case(const Case& c, uint64_t seed) {
  FuncDevice dev(find_config(c.config), test::func_options(seed));
  test::run_gemm_case(dev, c, seed);
}

// Every dtype x transpose x output x accumulate combination on one odd shape that spans
// several column tiles and K steps (and is not a multiple of Dim anywhere).
TEST(RuntimeGemm, EveryOptionCombination) {
  const uint64_t seed = test::seed();
  for (Dtype dt : {Dtype::kFp16, Dtype::kBf16, Dtype::kInt8}) {
    for (int t = 0; t < 4; ++t) {
      for (StoreFormat f : formats(dt)) {
        for (int acc = 0; acc < 2; ++acc) {
          Case c;
          c.dt = dt;
          c.m = 19;
          c.n = 37;
          c.k = 45;
          c.at = t & 1;
          c.bt = t & 2;
          c.out = f;
          c.acc = acc;
          run_case(c, seed + uint64_t(t));
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

// Edge shapes around Dim for each configuration's Dim, random options.
TEST(RuntimeGemm, EdgeShapes) {
  std::mt19937_64 r(test::seed());
  for (const char* name : {"tiny", "fpga", "default"}) {
    const uint32_t D = find_config(name).dim;
    const std::vector<uint32_t> sizes{1, 2, 3, D - 1, D, D + 1, 2 * D + 1, 17, 31, 33};
    for (int rep = 0; rep < 24; ++rep) {
      Case c;
      c.config = name;
      c.dt = Dtype(r() % 3);
      c.m = sizes[r() % sizes.size()];
      c.n = sizes[r() % sizes.size()];
      c.k = sizes[r() % sizes.size()];
      c.at = r() & 1;
      c.bt = r() & 1;
      c.acc = r() % 3 == 0;
      const auto fs = formats(c.dt);
      c.out = fs[r() % fs.size()];
      run_case(c, r());
      if (HasFatalFailure()) return;
    }
  }
}

// Shapes with several C blocks and K groups (ramp included) on the small configurations,
// and one 257-sized GEMM on default.
TEST(RuntimeGemm, ManyBlocks) {
  std::mt19937_64 r(test::seed());
  auto mk = [](const char* cfg, Dtype dt, uint32_t m, uint32_t n, uint32_t k, bool at, bool bt,
               bool acc, bool in_place, StoreFormat out) {
    Case c;
    c.config = cfg;
    c.dt = dt;
    c.m = m;
    c.n = n;
    c.k = k;
    c.at = at;
    c.bt = bt;
    c.acc = acc;
    c.in_place = in_place;
    c.out = out;
    return c;
  };
  const StoreFormat raw = StoreFormat::kRaw;
  const Case cases[] = {
      mk("tiny", Dtype::kFp16, 70, 45, 150, false, false, false, false, StoreFormat::kFp16),
      mk("tiny", Dtype::kInt8, 33, 65, 257, true, false, true, false, raw),
      mk("tiny", Dtype::kBf16, 64, 64, 64, false, true, true, true, raw),
      mk("fpga", Dtype::kFp16, 130, 70, 300, true, true, false, false, raw),
      mk("fpga", Dtype::kInt8, 129, 17, 200, false, false, false, false, StoreFormat::kInt8),
      mk("default", Dtype::kBf16, 257, 31, 257, false, false, true, false, StoreFormat::kBf16),
  };
  for (const Case& c : cases) {
    run_case(c, r());
    if (HasFatalFailure()) return;
  }
}

// The result does not depend on the tiling: forced small plans on default, with and
// without B panels (and halved M tails, cut last column blocks), the last K group whole or
// in row parts.
TEST(RuntimeGemm, TilingDoesNotChangeBits) {
  std::mt19937_64 r(test::seed());
  for (int rep = 0; rep < 8; ++rep) {
    Case c;
    c.dt = rep == 3 ? Dtype::kInt8 : Dtype(rep % 2);
    c.m = 40;
    c.n = 50;
    c.k = 90;
    c.at = rep & 1;
    c.bt = rep & 2;
    c.acc = rep >= 2;
    GemmPlan p = plan_gemm(find_config("default"), {c.m, c.n, c.k, c.dt, c.at, c.bt, c.acc});
    p.bm = 1 + uint32_t(r() % 24);
    p.bn = 16 * (1 + uint32_t(r() % 2));
    p.kb = 16 * (1 + uint32_t(r() % 3));
    p.kb_first = 16;
    p.ramp.clear();  // plan_gemm's ramp was made for its own kb
    for (uint32_t i = 0, n = uint32_t(r() % 4); i < n; ++i) {
      p.ramp.push_back(16 * (1 + uint32_t(r() % (p.kb / 16))));
    }
    const uint32_t D = 16;
    const uint32_t a_rows = c.at ? p.kb * ((p.bm + D - 1) / D) : p.bm * (p.kb / D);
    const uint32_t b_rows = c.bt ? p.bn * (p.kb / D) : p.kb * (p.bn / D);
    p.a_slot_rows = a_rows;
    p.spad_slot_rows = a_rows + b_rows;
    p.acc_slot_rows = p.bm * (p.bn / D);
    p.spad_slots = 2 + uint32_t(r() % 3);
    p.acc_slots = 2 + uint32_t(r() % 2);
    p.panels = p.panel_rows = p.m_tail_min = p.n_tail = 0;
    p.last_rows = 16 * uint32_t(r() % 3);
    if (rep >= 4) {  // B panel mode: slots hold A only
      p.panels = c.n > p.bn ? 2 : 1;
      p.panel_rows = 0;
      if (!c.bt) {
        p.panel_rows = c.k * (p.bn / D);
      } else {
        for (uint32_t kg : p.k_groups(c.k, 0)) p.panel_rows += p.bn * ((kg + D - 1) / D);
      }
      p.spad_slot_rows = a_rows;
      p.m_tail_min = uint32_t(r() % (p.bm + 1));
      if (p.panels == 2 && r() % 2) p.n_tail = 16;
    }
    c.plan = p;
    run_case(c, r());
    if (HasFatalFailure()) return;
  }
}

// NaN, Inf, subnormal and signed-zero codes everywhere: bit-exact with golden, FLAGS too.
TEST(RuntimeGemm, SpecialValuesBitExact) {
  std::mt19937_64 r(test::seed());
  for (Dtype dt : {Dtype::kFp16, Dtype::kBf16}) {
    for (StoreFormat f : formats(dt)) {
      Case c;
      c.config = "fpga";
      c.dt = dt;
      c.m = 9;
      c.n = 13;
      c.k = 21;
      c.acc = r() & 1;
      c.out = f;
      c.specials = true;
      run_case(c, r());
      if (HasFatalFailure()) return;
    }
  }
}

TEST(RuntimeGemm, RejectsBadArguments) {
  FuncDevice dev(find_config("default"));
  Runtime rt(dev);
  GemmArgs g;
  g.m = g.n = g.k = 4;
  g.a = rt.alloc(32);
  g.b = rt.alloc(32);
  g.d = rt.alloc(64);
  EXPECT_NO_THROW(rt.build_gemm(g));
  GemmArgs x = g;
  x.k = 0;
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x = g;
  x.out = StoreFormat::kInt8;  // needs an int8 GEMM
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x = g;
  x.d = g.a;  // D overlapping A
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x = g;
  x.m = 5;  // A too small
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x = g;
  x.dtype = Dtype::kInt8;
  x.out = StoreFormat::kInt8;
  x.rq.shift = 31;
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  // A plan whose first K groups do not fit its slots (larger than kb, or not Dim groups).
  x = g;
  x.plan = plan_gemm(find_config("default"), {g.m, g.n, g.k, g.dtype});
  EXPECT_NO_THROW(rt.build_gemm(x));
  const uint32_t kb = x.plan->kb;
  x.plan->ramp = {kb + 16};
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x.plan->ramp = {8};
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  x.plan->ramp.clear();
  x.plan->kb_first = kb + 16;
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  // Row parts of the last K group that are not whole Dim groups.
  x.plan = plan_gemm(find_config("default"), {g.m, g.n, g.k, g.dtype});
  x.plan->last_rows = 8;
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
  // A cut last column block with one B panel buffer: the next column's loads, issued a
  // group ahead, would overwrite the panel still in use (it computed wrong results).
  x.plan = plan_gemm(find_config("default"), {g.m, g.n, g.k, g.dtype});
  ASSERT_EQ(x.plan->panels, 1u);
  x.plan->n_tail = 16;
  EXPECT_THROW(rt.build_gemm(x), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
