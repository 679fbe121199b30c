// SPDX-License-Identifier: Apache-2.0
// One Runtime::gemm case on any Device, checked bit-exact against golden::gemm (results and
// FLAGS) and within the OpenBLAS gamma_K bound (INT8: exact), with guards around D; shared
// by the functional-model tests (tests/runtime) and the system tests on the chip.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "rt_util.hpp"
#include "tessera/device.hpp"
#include "tessera/golden/gemm.hpp"
#include "tessera/reference/arith.hpp"
#include "tessera/reference/gemm.hpp"
#include "tessera/runtime.hpp"

namespace tessera::test {

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

inline std::string str(const Case& c) {
  std::ostringstream os;
  os << c.config << " " << isa::dtype_name(c.dt) << " " << c.m << "x" << c.n << "x" << c.k
     << (c.at ? " a_trans" : "") << (c.bt ? " b_trans" : "") << (c.acc ? " +C" : "")
     << (c.in_place ? " in-place" : "") << " out=" << isa::format_name(c.out)
     << (c.specials ? " specials" : "") << (c.plan ? " plan=" + c.plan->describe() : "");
  return os.str();
}

inline constexpr uint32_t kGuard = 256;

// What a case left behind, for comparisons between devices: D with its guards, FLAGS
// and the run's counters.
struct CaseResult {
  std::vector<uint8_t> d_with_guards;
  uint32_t flags = 0;
  RunStats stats;
};

// Runs `c` on `dev` (data from `seed`) through a fresh Runtime, checks it, returns it.
inline CaseResult run_gemm_case(Device& dev, const Case& c, uint64_t seed,
                                const RuntimeOptions& ro = {}) {
  SCOPED_TRACE(str(c));
  std::mt19937_64 r(seed);
  Runtime rt(dev, ro);
  const uint64_t M = c.m, N = c.n, K = c.k;
  const auto a = random_codes(r, c.dt, M * K, c.specials);
  const auto b = random_codes(r, c.dt, K * N, c.specials);
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
  rt.write(g.a, to_host(c.dt, a).data(), g.a.size);
  rt.write(g.b, to_host(c.dt, b).data(), g.b.size);
  const uint32_t dn = uint32_t(M * N * isa::format_bytes(c.out));
  const Buffer dg = rt.alloc(dn + 2 * kGuard);  // D with untouched guards around it
  g.d = {dg.addr + kGuard, dn};
  if (c.acc) {
    g.c = c.in_place ? g.d : rt.alloc(M * N * 4);
    rt.write(*g.c, words_to_bytes(cin).data(), M * N * 4);
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
  CaseResult res{after, st.flags, st};
  if (out.size() != expect.size()) {
    ADD_FAILURE() << "D has " << out.size() << " bytes, golden " << expect.size();
    return res;
  }
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
    EXPECT_EQ(rt.read(*g.c), words_to_bytes(cin));
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
      int32_t got, want = exact;
      if (c.out == StoreFormat::kRaw) {
        std::memcpy(&got, &out[4 * i], 4);
      } else {
        got = int8_t(out[i]);
        want =
            int8_t(ref::int_requant(exact, g.rq.mult, g.rq.shift, g.rq.zero_point, -128, 127).bits);
      }
      if (got != want) {
        ADD_FAILURE() << "element " << i << ": " << got << ", exact " << want;
        break;
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
  return res;
}

inline std::vector<StoreFormat> formats(Dtype dt) {
  if (dt == Dtype::kInt8) return {StoreFormat::kRaw, StoreFormat::kInt8};
  return {StoreFormat::kRaw, StoreFormat::kFp16, StoreFormat::kBf16};
}

}  // namespace tessera::test
