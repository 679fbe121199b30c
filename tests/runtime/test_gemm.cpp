// SPDX-License-Identifier: Apache-2.0
// Runtime::gemm on the functional device: bit-exact against golden::gemm (results and
// FLAGS) and within the OpenBLAS gamma_K bound (INT8: exact integers), for many shapes,
// dtypes, transposes, output formats, accumulation and tilings; nothing written outside D.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <sstream>

#include "rt_util.hpp"
#include "tessera/func_device.hpp"
#include "tessera/golden/gemm.hpp"
#include "tessera/reference/arith.hpp"
#include "tessera/reference/gemm.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

using isa::Dtype;
using isa::StoreFormat;

struct Case {
  const char* config = "default";
  Dtype dt = Dtype::kFp16;
  uint32_t m = 1, n = 1, k = 1;
  bool at = false, bt = false, acc = false, in_place = false;
  StoreFormat out = StoreFormat::kRaw;
  bool specials = false;
  std::optional<GemmPlan> plan;
};

std::string str(const Case& c) {
  std::ostringstream os;
  os << c.config << " " << isa::dtype_name(c.dt) << " " << c.m << "x" << c.n << "x" << c.k
     << (c.at ? " a_trans" : "") << (c.bt ? " b_trans" : "") << (c.acc ? " +C" : "")
     << (c.in_place ? " in-place" : "") << " out=" << isa::format_name(c.out)
     << (c.specials ? " specials" : "") << (c.plan ? " plan=" + c.plan->describe() : "");
  return os.str();
}

constexpr uint32_t kGuard = 256;

void run_case(const Case& c, uint64_t seed) {
  SCOPED_TRACE(str(c));
  std::mt19937_64 r(seed);
  FuncDevice dev(find_config(c.config), DeviceOptions{"", seed});
  Runtime rt(dev);
  const uint64_t M = c.m, N = c.n, K = c.k;
  const auto a = test::random_codes(r, c.dt, M * K, c.specials);
  const auto b = test::random_codes(r, c.dt, K * N, c.specials);
  std::vector<uint32_t> cin(M * N);
  for (auto& x : cin) {
    if (c.dt == Dtype::kInt8) {
      x = uint32_t(int32_t(r() % 2000001) - 1000000);
    } else if (c.specials) {
      x = uint32_t(r());
    } else {
      float f = float(int(r() % 2001) - 1000) / 64.0f;
      std::memcpy(&x, &f, 4);
    }
  }
  GemmArgs g;
  g.dtype = c.dt;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.a_trans = c.at;
  g.b_trans = c.bt;
  g.out = c.out;
  g.plan = c.plan;
  if (c.out == StoreFormat::kInt8) {
    g.rq.mult = int32_t((1u << 30) + (r() % (1u << 30)));
    g.rq.shift = -int(6 + r() % 6);
    g.rq.zero_point = int32_t(r() % 41) - 20;
  }
  g.a = rt.alloc(a.size() * elem_bytes(c.dt));
  g.b = rt.alloc(b.size() * elem_bytes(c.dt));
  rt.write(g.a, test::to_host(c.dt, a).data(), g.a.size);
  rt.write(g.b, test::to_host(c.dt, b).data(), g.b.size);
  const uint32_t dn = uint32_t(M * N * isa::format_bytes(c.out));
  const Buffer dg = rt.alloc(dn + 2 * kGuard);  // D with untouched guards around it
  g.d = {dg.addr + kGuard, dn};
  if (c.acc) {
    g.c = c.in_place ? g.d : rt.alloc(M * N * 4);
    rt.write(*g.c, test::words_to_bytes(cin).data(), M * N * 4);
  }
  const std::vector<uint8_t> before = rt.read(dg);
  const std::vector<uint8_t> a_before = rt.read(g.a), b_before = rt.read(g.b);

  GemmPlan plan;
  const RunStats st = rt.gemm(g, &plan);
  const std::vector<uint8_t> after = rt.read(dg);
  const std::vector<uint8_t> out(after.begin() + kGuard, after.begin() + kGuard + dn);

  // Golden: the whole GEMM, then the STORE conversion.
  golden::GemmSpec s;
  s.dim = int(dev.config().dim);
  s.dtype = golden::MmuDtype(uint8_t(c.dt));
  s.m = c.m;
  s.n = c.n;
  s.k = c.k;
  s.a_trans = c.at;
  s.b_trans = c.bt;
  s.a = a.data();
  s.b = b.data();
  s.c = c.acc ? cin.data() : nullptr;
  const golden::GemmResult gr = golden::gemm(s);
  uint8_t flags = gr.flags;
  const std::vector<uint8_t> expect = golden::gemm_output(
      gr.acc, golden::OutFormat(uint8_t(c.out)), {g.rq.mult, g.rq.shift, g.rq.zero_point}, &flags);
  ASSERT_EQ(out.size(), expect.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != expect[i] && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0u) << "first differing byte " << first << " (plan " << plan.describe() << ")";
  EXPECT_EQ(st.flags, flags) << "FLAGS";
  EXPECT_EQ(st.perf[isa::kPerfMacs], M * N * K);

  // Guards, A and B untouched; C untouched unless it is D.
  EXPECT_TRUE(std::equal(before.begin(), before.begin() + kGuard, after.begin()));
  EXPECT_TRUE(std::equal(before.end() - kGuard, before.end(), after.end() - kGuard));
  EXPECT_EQ(rt.read(g.a), a_before);
  EXPECT_EQ(rt.read(g.b), b_before);
  if (c.acc && !c.in_place) {
    EXPECT_EQ(rt.read(*g.c), test::words_to_bytes(cin));
  }

  // Independent references.
  if (c.dt == Dtype::kInt8) {
    std::vector<int8_t> ai(a.size()), bi(b.size());
    for (size_t i = 0; i < a.size(); ++i) ai[i] = int8_t(a[i]);
    for (size_t i = 0; i < b.size(); ++i) bi[i] = int8_t(b[i]);
    std::vector<int32_t> ci(cin.begin(), cin.end());
    const auto ref = ref::int_gemm(c.m, c.n, c.k, c.at, c.bt, ai, bi, c.acc ? &ci : nullptr);
    for (size_t i = 0; i < ref.size(); ++i) {
      const int32_t exact = int32_t(ref[i]);  // |sums| stay far below 2^31 here
      if (c.out == StoreFormat::kRaw) {
        int32_t got;
        std::memcpy(&got, &out[4 * i], 4);
        ASSERT_EQ(got, exact) << "element " << i;
      } else {
        const ref::Out q =
            ref::int_requant(exact, g.rq.mult, g.rq.shift, g.rq.zero_point, -128, 127);
        ASSERT_EQ(int8_t(out[i]), int8_t(q.bits)) << "element " << i;
      }
    }
  } else if (!c.specials) {
    ref::GemmInputs in;
    in.m = c.m;
    in.n = c.n;
    in.k = c.k;
    in.a_trans = c.at;
    in.b_trans = c.bt;
    const auto e = c.dt == Dtype::kFp16 ? ref::Elem::kFp16 : ref::Elem::kBf16;
    in.a = ref::widen(e, a);
    in.b = ref::widen(e, b);
    if (c.acc) {
      in.c.resize(cin.size());
      for (size_t i = 0; i < cin.size(); ++i) {
        float f;
        std::memcpy(&f, &cin[i], 4);
        in.c[i] = f;
      }
    }
    const ref::BoundCheck chk = ref::check_bound(ref::blas_gemm(in), int(c.out), out);
    EXPECT_EQ(chk.violations, 0u) << chk.first;
  }
}

std::vector<StoreFormat> formats(Dtype dt) {
  if (dt == Dtype::kInt8) return {StoreFormat::kRaw, StoreFormat::kInt8};
  return {StoreFormat::kRaw, StoreFormat::kFp16, StoreFormat::kBf16};
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

// The result does not depend on the tiling: forced small plans on default.
TEST(RuntimeGemm, TilingDoesNotChangeBits) {
  std::mt19937_64 r(test::seed());
  for (int rep = 0; rep < 4; ++rep) {
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
    const uint32_t D = 16;
    const uint32_t a_rows = c.at ? p.kb * ((p.bm + D - 1) / D) : p.bm * (p.kb / D);
    const uint32_t b_rows = c.bt ? p.bn * (p.kb / D) : p.kb * (p.bn / D);
    p.a_slot_rows = a_rows;
    p.spad_slot_rows = a_rows + b_rows;
    p.acc_slot_rows = p.bm * (p.bn / D);
    p.spad_slots = 2 + uint32_t(r() % 3);
    p.acc_slots = 2 + uint32_t(r() % 2);
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
}

}  // namespace
}  // namespace tessera
