// SPDX-License-Identifier: Apache-2.0
// ADAMW (docs/isa.md "ADAMW"): encoding and fetch checks, the functional model's SCAN /
// STEP against independent loops over the golden element model, every error with no
// writes, soft reset, and Runtime::adamw_step (loss scaling, skipping, clipping, refusals).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tessera/adamw.hpp"
#include "tessera/func_device.hpp"
#include "tessera/golden/adamw.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

namespace c = isa::csr;
using golden::Fmt16;
using golden::GradFmt;
using isa::AdamwCmd;
using isa::ErrCode;

uint32_t f2u(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float u2f(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

ChipConfig with_lanes(const ChipConfig& base, uint32_t lanes) {
  ChipConfig cfg = base;
  cfg.adamw_lanes = lanes;
  return cfg;
}

// ---------------------------------------------------------------------------------------
// Encoding and fetch checks

// Word 0 built from the bit positions of the docs/isa.md table, not from the encoder.
uint32_t word0(bool step, uint32_t gfmt, bool clear, bool skip, bool p16, bool bf16, bool decay) {
  return 0x04u | (uint32_t(step) << 12) | (gfmt << 13) | (uint32_t(clear) << 15) |
         (uint32_t(skip) << 16) | (uint32_t(p16) << 17) | (uint32_t(bf16) << 18) |
         (uint32_t(decay) << 19);
}

TEST(AdamwIsa, EncodingFollowsTheTable) {
  std::mt19937_64 r(test::seed());
  for (int it = 0; it < 500; ++it) {
    AdamwCmd a;
    a.step = r() & 1;
    a.gfmt = GradFmt(r() % 3);
    a.clear = r() & 1;
    a.skip = r() & 1;
    a.p16 = r() & 1;
    a.p16fmt = Fmt16(r() & 1);
    a.decay = r() & 1;
    a.n = uint32_t(r());
    a.g_addr = uint32_t(r());
    a.p_addr = uint32_t(r());
    a.m_addr = uint32_t(r());
    a.v_addr = uint32_t(r());
    a.p16_addr = uint32_t(r());
    a.scalars_addr = uint32_t(r());
    a.tok = isa::Tokens::from_bits(uint32_t(r()) & isa::kTokenMask);
    const isa::Words w = a.encode();
    const uint32_t w0 =
        word0(a.step, uint32_t(a.gfmt), a.clear, a.skip, a.p16, a.p16fmt == Fmt16::kBf16, a.decay) |
        a.tok.bits();
    ASSERT_EQ(w[0], w0);
    const isa::Words want{w0,       a.n,      a.g_addr,   a.p_addr,
                          a.m_addr, a.v_addr, a.p16_addr, a.scalars_addr};
    ASSERT_EQ(w, want);
    ASSERT_TRUE(AdamwCmd::decode(w) == a);
    ASSERT_EQ(isa::queue_of(isa::Opcode::kAdamw), isa::Queue::kExec);
  }
  EXPECT_NE(isa::describe(AdamwCmd{}.encode()).find("ADAMW SCAN"), std::string::npos);
}

AdamwCmd good_cmd() {
  AdamwCmd a;
  a.step = true;
  a.n = 100;
  a.g_addr = 0x1000;
  a.p_addr = 0x2000;
  a.m_addr = 0x3000;
  a.v_addr = 0x4000;
  a.p16_addr = 0x5000;
  a.scalars_addr = 0x6000;
  return a;
}

TEST(AdamwIsa, FetchChecksAndTheirPriority) {
  const ChipConfig& cfg = find_config("default");
  const ChipConfig none = with_lanes(cfg, 0);
  auto chk = [&](const isa::Words& w, const ChipConfig& k = find_config("default")) {
    return isa::check_command(w, k);
  };
  AdamwCmd a = good_cmd();
  EXPECT_EQ(chk(a.encode()), ErrCode::kNone);
  a.tok = isa::Tokens::from_bits(isa::kTokenMask);  // the execute queue has all four
  EXPECT_EQ(chk(a.encode()), ErrCode::kNone);
  a.tok = {};
  a.step = false;  // SCAN: same checks
  EXPECT_EQ(chk(a.encode()), ErrCode::kNone);
  a.step = true;

  // Each failure alone.
  AdamwCmd dims = good_cmd();
  dims.n = 0;
  EXPECT_EQ(chk(dims.encode()), ErrCode::kDims);
  AdamwCmd dt = good_cmd();
  dt.gfmt = GradFmt(3);
  EXPECT_EQ(chk(dt.encode()), ErrCode::kDtype);
  for (int which = 0; which < 6; ++which) {
    for (bool step : {false, true}) {
      AdamwCmd al = good_cmd();
      al.step = step;  // words a mode ignores are still checked for alignment
      uint32_t* f[6] = {&al.g_addr, &al.p_addr,   &al.m_addr,
                        &al.v_addr, &al.p16_addr, &al.scalars_addr};
      for (uint32_t off : {1u, 32u, 63u}) {
        *f[which] = 0x7000 + off;
        EXPECT_EQ(chk(al.encode()), ErrCode::kAlign) << which << " " << off;
      }
    }
  }
  isa::Words res = good_cmd().encode();
  for (int bit = 20; bit < 32; ++bit) {
    isa::Words w = res;
    w[0] |= 1u << bit;
    EXPECT_EQ(chk(w), ErrCode::kReserved) << bit;
  }
  EXPECT_EQ(chk(good_cmd().encode(), none), ErrCode::kOpcode);

  // Priorities: Opcode > Reserved > Dims > Dtype > Align.
  AdamwCmd all = good_cmd();
  all.n = 0;
  all.gfmt = GradFmt(3);
  all.g_addr = 0x1001;
  isa::Words w = all.encode();
  w[0] |= 1u << 25;
  EXPECT_EQ(chk(w, none), ErrCode::kOpcode);
  EXPECT_EQ(chk(w), ErrCode::kReserved);
  w[0] &= ~(1u << 25);
  EXPECT_EQ(chk(w), ErrCode::kDims);
  all.n = 1;
  EXPECT_EQ(chk(all.encode()), ErrCode::kDtype);
  all.gfmt = GradFmt::kBf16;
  EXPECT_EQ(chk(all.encode()), ErrCode::kAlign);
  AdamwCmd dims_align = good_cmd();
  dims_align.n = 0;
  dims_align.v_addr = 0x4020;
  EXPECT_EQ(chk(dims_align.encode()), ErrCode::kDims);
}

TEST(AdamwIsa, CommandStreamOrdersAdamwAfterAStoreOfItsGradient) {
  const ChipConfig& cfg = find_config("fpga");
  CommandStream s(cfg);
  isa::StoreCmd st;
  st.dram_addr = 0x10000;
  st.stride = 64;
  st.rows = 1;
  st.cols = 16;  // 64 bytes of FP32
  st.acc_addr = 0;
  s.store(st);
  AdamwCmd scan;
  scan.n = 16;
  scan.g_addr = 0x10000;
  scan.scalars_addr = 0x20000;
  const size_t i = s.adamw(scan);
  EXPECT_TRUE(s.words()[i][0] & isa::kPopNext);  // waits for the store (S->E)
  EXPECT_TRUE(s.words()[0][0] & isa::kPushPrev);
  // A STEP writing p, which a later LOAD reads: the load waits for it.
  AdamwCmd stp = good_cmd();
  stp.p_addr = 0x30000;
  stp.g_addr = 0x10000;
  stp.m_addr = 0x31000;
  stp.v_addr = 0x32000;
  stp.p16_addr = 0x33000;
  stp.scalars_addr = 0x20000;
  stp.n = 16;
  const size_t j = s.adamw(stp);
  isa::LoadCmd ld;
  ld.dram_addr = 0x30000;
  ld.stride = 16;
  ld.rows = 1;
  ld.bytes = 16;
  const size_t k = s.load(ld);
  EXPECT_TRUE(s.words()[j][0] & isa::kPushPrev);
  EXPECT_TRUE(s.words()[k][0] & isa::kPopNext);
  EXPECT_NO_THROW(s.validate());
  EXPECT_THROW(CommandStream(with_lanes(cfg, 0)).adamw(good_cmd()), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// FuncDevice

struct Rig {
  explicit Rig(const ChipConfig& cfg) : dev(cfg), rt(dev, opts()) {}
  static RuntimeOptions opts() {
    RuntimeOptions o;
    o.reset_on_error = false;
    return o;
  }
  uint32_t L() const { return dev.config().adamw_lanes; }
  RunStats run1(const AdamwCmd& a) {
    CommandStream s(dev.config());
    s.adamw(a);
    return rt.run(s);
  }
  void put_scalars(const Buffer& b, const golden::AdamWScalarBits& s) {
    // docs/isa.md table order.
    const uint32_t w[8] = {s.inv_loss_scale, s.decay,    s.one_minus_b1, s.b2,
                           s.one_minus_b2,   s.bc2_sqrt, s.eps,          s.neg_step};
    rt.write(b, w, 32);
  }
  std::vector<uint8_t> bytes(const Buffer& b) { return rt.read(b); }
  FuncDevice dev;
  Runtime rt;
};

golden::AdamWScalarBits random_scalars(std::mt19937_64& r, GradFmt gf, Fmt16 pf, bool decay) {
  AdamWHyper h;
  h.lr = std::ldexp(1.0 + double(r() % 1000) / 1000, -int(r() % 12) - 4);
  h.beta1 = 0.8 + double(r() % 190) / 1000;
  h.beta2 = 0.99 + double(r() % 99) / 10000;
  h.eps = std::ldexp(1.0, -int(r() % 20) - 10);
  h.weight_decay = decay ? 0.01 * double(1 + r() % 10) : 0.0;
  const uint64_t step = 1 + r() % 5000;
  const double ls = std::ldexp(1.0, int(r() % 20));
  return scalar_bits(adamw_scalars(h, step, ls), gf, pf);
}

// Gradient codes: mostly moderate values, some zeros, subnormals and random patterns.
uint32_t random_grad(std::mt19937_64& r, GradFmt gf, bool specials) {
  const uint32_t pick = uint32_t(r() % 64);
  if (specials && pick == 0) return uint32_t(r()) & (gf == GradFmt::kFp32 ? ~0u : 0xffffu);
  // Scaled gradients below 2^19 (FP16: below 2^15, finite).
  const int binades = gf == GradFmt::kFp16 ? 16 : 20;
  const float x =
      float(std::ldexp(double(int64_t(r() % 2000001) - 1000000) / 1e6, int(r() % binades)));
  const uint32_t b = f2u(x);
  if (gf == GradFmt::kFp32) return b;
  return golden::fp_narrow(gf == GradFmt::kBf16 ? Fmt16::kBf16 : Fmt16::kFp16, b).bits;
}

struct StateBufs {
  Buffer g, p, m, v, p16;
  uint32_t n;
};

StateBufs alloc_state(Rig& rig, uint32_t n, GradFmt gf) {
  // One extra 64-byte line after each range to see writes past the end.
  StateBufs s;
  s.n = n;
  s.g = rig.rt.alloc(n * isa::grad_bytes(gf) + 64);
  s.p = rig.rt.alloc(4 * n + 64);
  s.m = rig.rt.alloc(4 * n + 64);
  s.v = rig.rt.alloc(4 * n + 64);
  s.p16 = rig.rt.alloc(2 * n + 64);
  return s;
}

uint32_t lanes_not_multiple(std::mt19937_64& r, uint32_t L, uint32_t max) {
  for (;;) {
    const uint32_t n = 1 + uint32_t(r() % max);
    if (L <= 1 || n % L != 0) return n;
  }
}

struct StepCase {
  const char* config;
  GradFmt gf;
  int p16;  // -1 none, 0 fp16, 1 bf16
  bool decay;
};

void PrintTo(const StepCase& k, std::ostream* os) {
  *os << k.config << " " << isa::grad_fmt_name(k.gf) << " p16 " << k.p16 << " decay " << k.decay;
}

class AdamwStep : public ::testing::TestWithParam<StepCase> {};

TEST_P(AdamwStep, MatchesPerElementGoldenLoop) {
  const StepCase k = GetParam();
  std::mt19937_64 r(test::seed());
  Rig rig(find_config(k.config));
  const uint32_t L = rig.L(), B = rig.dev.config().bus_bytes;
  const Fmt16 pf = k.p16 == 1 ? Fmt16::kBf16 : Fmt16::kFp16;
  for (int it = 0; it < 4; ++it) {
    const uint32_t n = lanes_not_multiple(r, L, 700);
    const golden::AdamWScalarBits sb = random_scalars(r, k.gf, pf, k.decay);
    StateBufs b = alloc_state(rig, n, k.gf);
    const Buffer sc = rig.rt.alloc(64);
    rig.put_scalars(sc, sb);
    std::vector<uint32_t> grad(n), p(n), m(n), v(n);
    std::vector<uint8_t> gbytes(n * isa::grad_bytes(k.gf));
    for (uint32_t i = 0; i < n; ++i) {
      grad[i] = random_grad(r, k.gf, true);
      p[i] = f2u(float(int64_t(r() % 2001) - 1000) / 1000.0f);
      m[i] = f2u(float(int64_t(r() % 2001) - 1000) / 1e5f);
      v[i] = f2u(float(r() % 1000) / 1e7f);
      std::memcpy(&gbytes[i * isa::grad_bytes(k.gf)], &grad[i], isa::grad_bytes(k.gf));
    }
    rig.rt.write(b.g, gbytes.data(), gbytes.size());
    rig.rt.write(b.p, p.data(), 4 * n);
    rig.rt.write(b.m, m.data(), 4 * n);
    rig.rt.write(b.v, v.data(), 4 * n);
    const auto tail16 = rig.bytes(b.p16);
    const auto tailp = rig.bytes(b.p);

    AdamwCmd a;
    a.step = true;
    a.gfmt = k.gf;
    a.p16 = k.p16 >= 0;
    a.p16fmt = pf;
    a.decay = k.decay;
    a.n = n;
    a.g_addr = b.g.addr;
    a.p_addr = b.p.addr;
    a.m_addr = b.m.addr;
    a.v_addr = b.v.addr;
    a.p16_addr = k.p16 >= 0 ? b.p16.addr : 0;
    a.scalars_addr = sc.addr;
    const RunStats st = rig.run1(a);

    golden::AdamWScalarBits s2 = sb;
    s2.decay_enabled = k.decay;
    uint8_t flags = 0;
    std::vector<uint32_t> dp(n), dm(n), dv(n);
    std::vector<uint16_t> d16(n);
    rig.rt.read(b.p, dp.data(), 4 * n);
    rig.rt.read(b.m, dm.data(), 4 * n);
    rig.rt.read(b.v, dv.data(), 4 * n);
    rig.rt.read(b.p16, d16.data(), 2 * n);
    for (uint32_t i = 0; i < n; ++i) {
      const golden::AdamWElement e = golden::adamw_element(s2, grad[i], p[i], m[i], v[i]);
      flags |= e.flags;
      ASSERT_EQ(dp[i], e.p) << "element " << i << " of " << n;
      ASSERT_EQ(dm[i], e.m) << i;
      ASSERT_EQ(dv[i], e.v) << i;
      if (k.p16 >= 0) {
        ASSERT_EQ(d16[i], e.p16) << i;
      } else {
        uint16_t before;
        std::memcpy(&before, &tail16[2 * i], 2);
        ASSERT_EQ(d16[i], before) << "p16 written without the p16 flag";
      }
    }
    EXPECT_EQ(st.flags, flags);
    // Nothing past the ranges.
    const auto after16 = rig.bytes(b.p16), afterp = rig.bytes(b.p);
    EXPECT_TRUE(std::equal(after16.begin() + 2 * n, after16.end(), tail16.begin() + 2 * n));
    EXPECT_TRUE(std::equal(afterp.begin() + 4 * n, afterp.end(), tailp.begin() + 4 * n));
    // PERF: whole beats per range (+ the fetched command), exact bytes written.
    auto beats = [&](uint64_t bytes) { return (bytes + B - 1) / B * B; };
    EXPECT_EQ(st.perf[isa::kPerfBytesRead],
              32 + beats(32) + beats(uint64_t(n) * isa::grad_bytes(k.gf)) + 3 * beats(4ull * n));
    EXPECT_EQ(st.perf[isa::kPerfBytesWritten], 12ull * n + (k.p16 >= 0 ? 2ull * n : 0));
    EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus) & c::kAdamwStatusSkipped, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Formats, AdamwStep,
                         ::testing::Values(StepCase{"tiny", GradFmt::kFp32, -1, false},
                                           StepCase{"tiny", GradFmt::kFp16, 0, true},
                                           StepCase{"default", GradFmt::kFp32, 1, true},
                                           StepCase{"default", GradFmt::kFp16, 1, false},
                                           StepCase{"default", GradFmt::kBf16, 0, true},
                                           StepCase{"default", GradFmt::kBf16, -1, false},
                                           StepCase{"large", GradFmt::kFp32, 0, false},
                                           StepCase{"large", GradFmt::kBf16, 1, true},
                                           StepCase{"fpga", GradFmt::kFp16, -1, true}),
                         [](const ::testing::TestParamInfo<StepCase>& i) {
                           const StepCase& k = i.param;
                           return std::string(k.config) + "_" + isa::grad_fmt_name(k.gf) + "_p16" +
                                  (k.p16 < 0 ? "none"
                                   : k.p16   ? "bf16"
                                             : "fp16") +
                                  (k.decay ? "_decay" : "");
                         });

// The sum of squares, in the documented order: per command, element i into acc[i mod L]
// (L = isa::adamw_scan_lanes: bus bytes / 4);
// the accumulators persist until a clearing SCAN; the fold is left to right.
TEST(AdamwScan, SumOfSquaresOrderAndStatus) {
  std::mt19937_64 r(test::seed());
  bool order_matters = false;
  for (const char* name : {"tiny", "default", "large"}) {
    Rig rig(find_config(name));
    const uint32_t L = isa::adamw_scan_lanes(rig.dev.config()), B = rig.dev.config().bus_bytes;
    for (GradFmt gf : {GradFmt::kFp32, GradFmt::kFp16, GradFmt::kBf16}) {
      golden::AdamWScalarBits sb = random_scalars(r, gf, Fmt16::kFp16, false);
      const Buffer sc = rig.rt.alloc(64);
      rig.put_scalars(sc, sb);
      std::vector<uint32_t> acc(L, 0);
      bool nonfinite = false;
      for (int t = 0; t < 3; ++t) {
        const uint32_t n = lanes_not_multiple(r, L, 300);
        const Buffer g = rig.rt.alloc(n * isa::grad_bytes(gf));
        std::vector<uint32_t> grad(n);
        std::vector<uint8_t> gb(n * isa::grad_bytes(gf));
        for (uint32_t i = 0; i < n; ++i) {
          // Magnitudes spread over many binades so that the order of the adds matters.
          grad[i] = random_grad(r, gf, false);
          std::memcpy(&gb[i * isa::grad_bytes(gf)], &grad[i], isa::grad_bytes(gf));
        }
        rig.rt.write(g, gb.data(), gb.size());
        AdamwCmd a;
        a.gfmt = gf;
        a.clear = t == 0;
        a.n = n;
        a.g_addr = g.addr;
        a.scalars_addr = sc.addr;
        a.p_addr = 0x40;  // ignored by SCAN (outside every window)
        const RunStats st = rig.run1(a);
        if (a.clear) {
          std::fill(acc.begin(), acc.end(), 0u);
          nonfinite = false;
        }
        uint32_t seq = 0;
        uint8_t flags = 0;  // of this SCAN (Runtime::run clears FLAGS first)
        for (uint32_t i = 0; i < n; ++i) {
          const golden::AdamWScan s = golden::adamw_scan(sb, grad[i]);
          acc[i % L] = golden::fp32_add(acc[i % L], s.gsq).bits;
          seq = golden::fp32_add(seq, s.gsq).bits;
          nonfinite = nonfinite || s.nonfinite;
          flags |= s.flags;
        }
        uint32_t want = acc[0];
        for (uint32_t l = 1; l < L; ++l) want = golden::fp32_add(want, acc[l]).bits;
        if (t == 0 && L > 1 && want != seq) order_matters = true;
        EXPECT_EQ(rig.dev.csr_read(c::kAdamwSumsq), want) << name << " scan " << t;
        EXPECT_EQ(bool(rig.dev.csr_read(c::kAdamwStatus) & c::kAdamwStatusNonfinite), nonfinite);
        EXPECT_EQ(st.flags, flags);
        EXPECT_EQ(st.perf[isa::kPerfBytesWritten], 0u);
        const uint64_t gbytes = uint64_t(n) * isa::grad_bytes(gf);
        EXPECT_EQ(st.perf[isa::kPerfBytesRead],
                  32 + (32 + B - 1) / B * B + (gbytes + B - 1) / B * B);
      }
    }
  }
  EXPECT_TRUE(order_matters) << "the data never told the lane order from a sequential sum";
}

TEST(AdamwScan, NonfiniteIsStickyUntilClear) {
  Rig rig(find_config("default"));
  golden::AdamWScalarBits sb;
  const Buffer sc = rig.rt.alloc(64);
  rig.put_scalars(sc, sb);  // inv_loss_scale 1
  const Buffer g = rig.rt.alloc(64);
  const float bad[4] = {1.0f, INFINITY, 2.0f, 3.0f};
  const float good[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  AdamwCmd a;
  a.n = 4;
  a.g_addr = g.addr;
  a.scalars_addr = sc.addr;
  a.clear = true;
  rig.rt.write(g, bad, 16);
  rig.run1(a);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), c::kAdamwStatusNonfinite);
  a.clear = false;
  rig.rt.write(g, good, 16);
  rig.run1(a);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), c::kAdamwStatusNonfinite);
  a.clear = true;
  rig.run1(a);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), 0u);
  // 1 + 9 (acc 0) and 4 + 16 (acc 1): 10 + 20.
  EXPECT_EQ(u2f(rig.dev.csr_read(c::kAdamwSumsq)), 30.0f);
  // A finite gradient that overflows once unscaled is non-finite too.
  sb.inv_loss_scale = f2u(1e38f);
  rig.put_scalars(sc, sb);
  rig.run1(a);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), c::kAdamwStatusNonfinite);
  EXPECT_TRUE(rig.dev.csr_read(c::kFlags) & golden::kFlagOf);
}

TEST(AdamwStep, SkipWritesNothingAndSetsSkipped) {
  std::mt19937_64 r(test::seed());
  Rig rig(find_config("default"));
  const uint32_t n = 77;
  StateBufs b = alloc_state(rig, n, GradFmt::kFp16);
  const golden::AdamWScalarBits sb = random_scalars(r, GradFmt::kFp16, Fmt16::kBf16, true);
  const Buffer sc = rig.rt.alloc(64);
  rig.put_scalars(sc, sb);
  std::vector<uint16_t> g(n);
  for (auto& x : g) x = uint16_t(random_grad(r, GradFmt::kFp16, false));
  g[40] = 0xfc00;  // -Inf
  rig.rt.write(b.g, g.data(), 2 * n);
  std::vector<uint32_t> p(n);
  for (auto& x : p) x = f2u(float(r() % 100) / 7.0f);
  rig.rt.write(b.p, p.data(), 4 * n);
  const auto before_p = rig.bytes(b.p), before_m = rig.bytes(b.m), before_v = rig.bytes(b.v),
             before_16 = rig.bytes(b.p16);

  AdamwCmd scan;
  scan.gfmt = GradFmt::kFp16;
  scan.clear = true;
  scan.n = n;
  scan.g_addr = b.g.addr;
  scan.scalars_addr = sc.addr;
  AdamwCmd step = scan;
  step.step = true;
  step.clear = false;
  step.skip = true;
  step.p16 = true;
  step.p16fmt = Fmt16::kBf16;
  step.decay = true;
  step.p_addr = b.p.addr;
  step.m_addr = b.m.addr;
  step.v_addr = b.v.addr;
  step.p16_addr = b.p16.addr;
  CommandStream s(rig.dev.config());
  s.adamw(scan);
  rig.rt.run(s);
  rig.dev.csr_write(c::kFlags, 0x1f);
  const RunStats st = rig.run1(step);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), c::kAdamwStatusNonfinite | c::kAdamwStatusSkipped);
  EXPECT_EQ(rig.bytes(b.p), before_p);
  EXPECT_EQ(rig.bytes(b.m), before_m);
  EXPECT_EQ(rig.bytes(b.v), before_v);
  EXPECT_EQ(rig.bytes(b.p16), before_16);
  EXPECT_EQ(st.perf[isa::kPerfBytesRead], 32u);  // the command fetch only
  EXPECT_EQ(st.perf[isa::kPerfBytesWritten], 0u);
  EXPECT_EQ(st.flags, 0u);
  // Without skip the same STEP runs (and clears skipped); the Inf reaches the state.
  step.skip = false;
  rig.run1(step);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), c::kAdamwStatusNonfinite);
  EXPECT_NE(rig.bytes(b.p), before_p);
  // A clean SCAN: skip no longer skips.
  g[40] = 0x3c00;
  rig.rt.write(b.g, g.data(), 2 * n);
  rig.run1(scan);
  step.skip = true;
  const auto mid = rig.bytes(b.m);
  rig.run1(step);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), 0u);
  EXPECT_NE(rig.bytes(b.m), mid);
}

// Every ADAMW error: the command does nothing (no host byte, no ADAMW state changes).
TEST(AdamwErrors, EveryErrorWritesNothing) {
  const ChipConfig& cfg = find_config("fpga");
  const uint32_t n = 50;
  struct Case {
    std::string name;
    ErrCode code;
    isa::Unit unit;
    int field;  // window cases: which address is moved out (0 scalars, 1 g, 2 p, 3 m, 4 v, 5 p16)
  };
  const std::vector<Case> cases = {
      {"align", ErrCode::kAlign, isa::Unit::kFetch, -1},
      {"dtype", ErrCode::kDtype, isa::Unit::kFetch, -1},
      {"dims", ErrCode::kDims, isa::Unit::kFetch, -1},
      {"opcode", ErrCode::kOpcode, isa::Unit::kFetch, -1},
      {"window_scalars", ErrCode::kWindow, isa::Unit::kExec, 0},
      {"window_g", ErrCode::kWindow, isa::Unit::kExec, 1},
      {"window_p", ErrCode::kWindow, isa::Unit::kExec, 2},
      {"window_m", ErrCode::kWindow, isa::Unit::kExec, 3},
      {"window_v", ErrCode::kWindow, isa::Unit::kExec, 4},
      {"window_p16", ErrCode::kWindow, isa::Unit::kExec, 5},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Rig rig(k.code == ErrCode::kOpcode ? with_lanes(cfg, 0) : cfg);
    StateBufs b = alloc_state(rig, n, GradFmt::kFp32);
    const Buffer sc = rig.rt.alloc(64);
    rig.put_scalars(sc, golden::AdamWScalarBits{});
    std::vector<float> g(n, 1.0f);
    rig.rt.write(b.g, g.data(), 4 * n);
    // A clearing SCAN first: ADAMW_SUMSQ = n, which the failing commands must keep.
    AdamwCmd scan;
    scan.clear = true;
    scan.n = n;
    scan.g_addr = b.g.addr;
    scan.scalars_addr = sc.addr;
    if (k.code != ErrCode::kOpcode) rig.run1(scan);
    const uint32_t sumsq = rig.dev.csr_read(c::kAdamwSumsq);
    const std::vector<Buffer> all{b.g, b.p, b.m, b.v, b.p16, sc};
    std::vector<std::vector<uint8_t>> before;
    for (const Buffer& x : all) before.push_back(rig.bytes(x));

    AdamwCmd a;
    a.step = true;
    a.p16 = true;
    a.decay = true;
    a.n = n;
    a.g_addr = b.g.addr;
    a.p_addr = b.p.addr;
    a.m_addr = b.m.addr;
    a.v_addr = b.v.addr;
    a.p16_addr = b.p16.addr;
    a.scalars_addr = sc.addr;
    if (k.code == ErrCode::kAlign) a.m_addr += 4;
    if (k.code == ErrCode::kDtype) a.gfmt = GradFmt(3);
    if (k.code == ErrCode::kDims) a.n = 0;
    uint32_t* addr[6] = {&a.scalars_addr, &a.g_addr, &a.p_addr, &a.m_addr, &a.v_addr, &a.p16_addr};
    uint32_t base = 0;
    if (k.field >= 0) {
      // Below the runtime's window (the others have no permission). Every earlier range
      // stays inside, so the first failure is this one.
      *addr[k.field] = 0x40;
      base = 0x40;
    }
    CommandStream s(rig.dev.config());
    s.raw(a.encode());
    // A SCAN after it: never runs (the queue or the fetcher stops).
    s.raw(scan.encode());
    try {
      rig.rt.run(s);
      ADD_FAILURE() << "no error";
    } catch (const DeviceError& e) {
      EXPECT_EQ(e.code, k.code) << e.what();
      EXPECT_EQ(e.unit, k.unit) << e.what();
      EXPECT_EQ(e.command, 0) << e.what();
      if (k.code == ErrCode::kWindow) {
        EXPECT_EQ(e.addr, base) << e.what();
      }
    }
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(rig.bytes(all[i]), before[i]) << i;
    EXPECT_EQ(rig.dev.csr_read(c::kAdamwSumsq), sumsq);
    EXPECT_EQ(rig.dev.csr_read(c::kFlags), 0u);
    EXPECT_EQ(rig.dev.csr_read(c::perf_lo(isa::kPerfBytesWritten)), 0u);
  }
}

// Window checks come in the documented order, and ranges past 2^32 never fit.
TEST(AdamwErrors, WindowOrderAndWrapAround) {
  Rig rig(find_config("default"));
  namespace cs = isa::csr;
  // Window 1: the top 64 KiB of the address space, read and write.
  rig.dev.csr_write(cs::win_base(1), 0xffff0000u);
  rig.dev.csr_write(cs::win_last(1), 0xffffffffu);
  rig.dev.csr_write(cs::win_perm(1), cs::kPermRead | cs::kPermWrite);
  // Window 2: read only.
  const uint32_t ro = 0x00100000u;
  rig.dev.csr_write(cs::win_base(2), ro);
  rig.dev.csr_write(cs::win_last(2), ro + 0xffff);
  rig.dev.csr_write(cs::win_perm(2), cs::kPermRead);
  StateBufs b = alloc_state(rig, 64, GradFmt::kFp32);
  const Buffer sc = rig.rt.alloc(64);
  AdamwCmd a;
  a.step = true;
  a.n = 64;
  a.g_addr = b.g.addr;
  a.p_addr = b.p.addr;
  a.m_addr = b.m.addr;
  a.v_addr = b.v.addr;
  a.p16_addr = b.p16.addr;
  a.scalars_addr = sc.addr;
  auto expect_window = [&](const AdamwCmd& cmd, uint32_t addr) {
    CommandStream s(rig.dev.config());
    s.raw(cmd.encode());
    try {
      rig.rt.run(s);
      ADD_FAILURE() << "no error for " << isa::describe(cmd.encode());
    } catch (const DeviceError& e) {
      EXPECT_EQ(e.code, ErrCode::kWindow) << e.what();
      EXPECT_EQ(e.addr, addr) << e.what();
    }
    rig.rt.recover();
  };
  // 256 bytes from 0xffffffc0 wrap past 2^32.
  AdamwCmd w = a;
  w.v_addr = 0xffffffc0u;
  expect_window(w, 0xffffffc0u);
  w.v_addr = 0xffffff00u;  // exactly up to 2^32 - 1: fits
  CommandStream ok(rig.dev.config());
  ok.raw(w.encode());
  EXPECT_NO_THROW(rig.rt.run(ok));
  // p16 in a read-only window fails (needs write); g there is fine (needs read).
  w = a;
  w.p16 = true;
  w.p16_addr = ro;
  expect_window(w, ro);
  w.p16 = false;  // without the flag, p16_addr is not accessed
  ok = CommandStream(rig.dev.config());
  ok.raw(w.encode());
  EXPECT_NO_THROW(rig.rt.run(ok));
  w = a;
  w.g_addr = ro;
  ok = CommandStream(rig.dev.config());
  ok.raw(w.encode());
  EXPECT_NO_THROW(rig.rt.run(ok));
  w.p_addr = ro + 0x1000;  // p needs read and write
  expect_window(w, ro + 0x1000);
  // Order: with g, m and p16 all outside, g is reported; with m and p16, m.
  w = a;
  w.p16 = true;
  w.g_addr = 0x40;
  w.m_addr = 0x80;
  w.p16_addr = 0xc0;
  expect_window(w, 0x40);
  w.g_addr = a.g_addr;
  expect_window(w, 0x80);
  w.scalars_addr = 0x100;
  expect_window(w, 0x100);
  // SCAN checks only scalars and g.
  AdamwCmd scan = a;
  scan.step = false;
  scan.p_addr = scan.m_addr = scan.v_addr = scan.p16_addr = 0x40;
  ok = CommandStream(rig.dev.config());
  ok.raw(scan.encode());
  EXPECT_NO_THROW(rig.rt.run(ok));
}

TEST(AdamwDevice, SoftResetClearsStateAndCfgDimReportsLanes) {
  for (const ChipConfig& cfg : kChipConfigs) {
    FuncDevice d(cfg);
    EXPECT_EQ((d.csr_read(c::kCfgDim) >> 20) & 0xfu, cfg.adamw_lanes) << cfg.name;
  }
  Rig rig(find_config("large"));
  const Buffer sc = rig.rt.alloc(64);
  rig.put_scalars(sc, golden::AdamWScalarBits{});
  const Buffer g = rig.rt.alloc(64);
  const float x[3] = {2.0f, NAN, 3.0f};
  rig.rt.write(g, x, 12);
  AdamwCmd a;
  a.clear = true;
  a.n = 3;
  a.g_addr = g.addr;
  a.scalars_addr = sc.addr;
  rig.run1(a);
  ASSERT_NE(rig.dev.csr_read(c::kAdamwStatus), 0u);
  rig.rt.recover();  // soft reset
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwStatus), 0u);
  EXPECT_EQ(rig.dev.csr_read(c::kAdamwSumsq), 0u);
  // The accumulators were cleared too: a SCAN without clear sums only its own gradients.
  const float y[2] = {3.0f, 4.0f};
  rig.rt.write(g, y, 8);
  a.clear = false;
  a.n = 2;
  rig.run1(a);
  EXPECT_EQ(u2f(rig.dev.csr_read(c::kAdamwSumsq)), 25.0f);
}

// ---------------------------------------------------------------------------------------
// Runtime::adamw_step

struct HostT {
  uint32_t n;
  AdamWTensor t;
  std::vector<uint32_t> p, m, v;
  std::vector<uint16_t> p16, grad;  // FP16 gradients
};

std::vector<HostT> make_tensors(Runtime& rt, std::mt19937_64& r, const std::vector<uint32_t>& ns,
                                bool with_p16) {
  std::vector<HostT> ts;
  for (uint32_t n : ns) {
    HostT h;
    h.n = n;
    h.p.resize(n);
    for (auto& x : h.p) x = f2u(float(int64_t(r() % 2001) - 1000) / 1000.0f);
    h.m.assign(n, 0);
    h.v.assign(n, 0);
    h.p16.assign(n, 0);
    h.grad.assign(n, 0);
    h.t.n = n;
    h.t.p = rt.alloc(4 * n);
    h.t.m = rt.alloc(4 * n);
    h.t.v = rt.alloc(4 * n);
    h.t.g = rt.alloc(2 * n);
    if (with_p16) h.t.p16 = rt.alloc(2 * n);
    rt.write(h.t.p, h.p.data(), 4 * n);
    rt.write(h.t.m, h.m.data(), 4 * n);
    rt.write(h.t.v, h.v.data(), 4 * n);
    ts.push_back(std::move(h));
  }
  return ts;
}

std::vector<AdamWTensor> dev_tensors(const std::vector<HostT>& ts) {
  std::vector<AdamWTensor> v;
  for (const HostT& h : ts) v.push_back(h.t);
  return v;
}

void expect_state(Runtime& rt, const std::vector<HostT>& ts, bool p16, const std::string& at) {
  for (size_t i = 0; i < ts.size(); ++i) {
    const HostT& h = ts[i];
    std::vector<uint32_t> p(h.n), m(h.n), v(h.n);
    std::vector<uint16_t> q(h.n);
    rt.read(h.t.p, p.data(), 4 * h.n);
    rt.read(h.t.m, m.data(), 4 * h.n);
    rt.read(h.t.v, v.data(), 4 * h.n);
    ASSERT_EQ(p, h.p) << at << " tensor " << i;
    ASSERT_EQ(m, h.m) << at << " tensor " << i;
    ASSERT_EQ(v, h.v) << at << " tensor " << i;
    if (p16) {
      rt.read(*h.t.p16, q.data(), 2 * h.n);
      ASSERT_EQ(q, h.p16) << at << " tensor " << i;
    }
  }
}

// 60 steps over three FP16-gradient tensors with dynamic loss scaling; some steps carry an
// Inf or NaN. Expected state: an independent golden loop; expected scale: PyTorch's rule
// written out here (backoff 0.5 on overflow, x2 after `interval` clean steps).
TEST(AdamwRuntime, GradScalerSkipsAndBacksOffOverManySteps) {
  std::mt19937_64 r(test::seed());
  FuncDevice dev(find_config("default"));
  Runtime rt(dev);
  ASSERT_EQ(rt.adamw_lanes(), 2u);
  std::vector<HostT> ts = make_tensors(rt, r, {37, 129, 250}, true);
  AdamWHyper h;  // PyTorch defaults
  const uint32_t interval = 7;
  GradScaler scaler(1024.0, 2.0, 0.5, interval);
  double want_scale = 1024.0;
  uint32_t tracker = 0;
  AdamWStepOptions o;
  o.grad_fmt = GradFmt::kFp16;
  o.p16_fmt = Fmt16::kBf16;
  o.scaler = &scaler;
  uint64_t t = 1;
  int skipped = 0, grown = 0;
  for (int it = 0; it < 60; ++it) {
    const bool inject = it % 9 == 4 || it == 30 || it == 31;
    for (HostT& x : ts) {
      for (auto& g : x.grad) {
        // unscaled |g| in [2^-10, 1], times the scale, rounded to FP16 (finite: scale <= 2^12)
        const double mag = std::ldexp(1.0 + double(r() % 1024) / 1024, -int(r() % 11));
        const float f = float((r() & 1 ? -mag : mag) * want_scale);
        g = golden::fp_narrow(Fmt16::kFp16, f2u(f)).bits;
      }
    }
    if (inject) {
      HostT& x = ts[r() % ts.size()];
      x.grad[r() % x.n] = (it & 1) ? 0x7c00 : 0x7e01;  // +Inf or a NaN
    }
    for (HostT& x : ts) rt.write(x.t.g, x.grad.data(), 2 * x.n);
    const AdamWResult res = rt.adamw_step(dev_tensors(ts), h, t, o);
    const std::string at = "iteration " + std::to_string(it);
    EXPECT_EQ(res.skipped, inject) << at;
    EXPECT_EQ(res.loss_scale, want_scale) << at;
    EXPECT_EQ(res.step_stats.commands, 2 * ts.size()) << at << ": SCAN + STEP in one stream";
    if (!inject) {
      const golden::AdamWScalarBits sb =
          scalar_bits(adamw_scalars(h, t, want_scale), GradFmt::kFp16, Fmt16::kBf16);
      EXPECT_EQ(f2u(res.grad_scale), sb.inv_loss_scale);
      for (HostT& x : ts) {
        for (uint32_t i = 0; i < x.n; ++i) {
          const golden::AdamWElement e =
              golden::adamw_element(sb, x.grad[i], x.p[i], x.m[i], x.v[i]);
          x.p[i] = e.p;
          x.m[i] = e.m;
          x.v[i] = e.v;
          x.p16[i] = e.p16;
        }
      }
      ++t;
      if (++tracker == interval) {
        want_scale *= 2;
        tracker = 0;
        ++grown;
      }
    } else {
      want_scale *= 0.5;
      tracker = 0;
      ++skipped;
    }
    EXPECT_EQ(res.new_loss_scale, want_scale) << at;
    EXPECT_EQ(scaler.scale(), want_scale) << at;
    // Before the first update the p16 buffers hold whatever was there.
    expect_state(rt, ts, t > 1, at);
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GE(skipped, 8);
  EXPECT_GE(grown, 3);
}

TEST(AdamwRuntime, DefaultGradScalerGrowsAfter2000CleanSteps) {
  // PyTorch's defaults: 65536, x2 after 2000 clean steps, x0.5 on overflow.
  FuncDevice dev(find_config("tiny"));
  Runtime rt(dev);
  std::mt19937_64 r(test::seed());
  std::vector<HostT> ts = make_tensors(rt, r, {3}, false);
  GradScaler scaler;
  AdamWStepOptions o;
  o.grad_fmt = GradFmt::kFp16;
  o.scaler = &scaler;
  const uint16_t g[3] = {0x3c00, 0xbc00, 0x0000};
  rt.write(ts[0].t.g, g, 6);
  AdamWResult res;
  for (int i = 0; i < 2000; ++i) res = rt.adamw_step(dev_tensors(ts), AdamWHyper{}, 1 + i, o);
  EXPECT_EQ(res.loss_scale, 65536.0);
  EXPECT_EQ(res.new_loss_scale, 131072.0);
  const uint16_t inf[3] = {0x3c00, 0x7c00, 0};
  rt.write(ts[0].t.g, inf, 6);
  res = rt.adamw_step(dev_tensors(ts), AdamWHyper{}, 2001, o);
  EXPECT_TRUE(res.skipped);
  EXPECT_EQ(res.new_loss_scale, 65536.0);
}

// Clipping: the norm the chip computes (FP32 squares summed in L lanes) against the FP64
// global norm. Bound: each square is one rounding (|rel| <= u; g = grad * 2^-k is exact),
// each accumulator adds at most c = sum over tensors of ceil(n_t / L) terms and the fold
// L - 1 more, so (Higham, recursive summation of non-negative terms) the sum is within
// gamma_{c + L} = (c + L) u / (1 - (c + L) u) of the exact one, and its square root within
// half that plus one double rounding. The test checks |norm - norm64| <= gamma * norm64.
TEST(AdamwRuntime, ClippingMatchesFp64GlobalNorm) {
  std::mt19937_64 r(test::seed());
  for (const char* name : {"tiny", "default", "large"}) {
    SCOPED_TRACE(name);
    FuncDevice dev(find_config(name));
    Runtime rt(dev);
    const uint32_t L = isa::adamw_scan_lanes(rt.config());
    std::vector<HostT> ts = make_tensors(rt, r, {501, 77, 1003}, false);
    const double ls = 256.0;
    AdamWStepOptions o;
    o.grad_fmt = GradFmt::kFp16;
    o.loss_scale = ls;
    AdamWHyper h;
    h.weight_decay = 0;
    double sum64 = 0;
    uint64_t chain = 0;
    for (HostT& x : ts) {
      chain += (x.n + L - 1) / L;
      for (auto& g : x.grad) {
        g = uint16_t(random_grad(r, GradFmt::kFp16, false) & 0x4fff);  // |g| < 64 (FP16)
        const double u = double(u2f(golden::fp_widen(Fmt16::kFp16, g).bits)) / ls;
        sum64 += u * u;
      }
      rt.write(x.t.g, x.grad.data(), 2 * x.n);
    }
    const double norm64 = std::sqrt(sum64);
    const double k = double(chain + L), u = std::ldexp(1.0, -24);
    const double gamma = k * u / (1 - k * u);
    for (double max_norm : {norm64 / 3, norm64 * 2}) {
      o.max_grad_norm = max_norm;
      std::vector<std::vector<uint32_t>> before;
      for (HostT& x : ts) before.push_back(x.p);
      const AdamWResult res = rt.adamw_step(dev_tensors(ts), h, 1, o);
      ASSERT_TRUE(res.grad_norm.has_value());
      EXPECT_FALSE(res.skipped);
      EXPECT_LE(std::fabs(*res.grad_norm - norm64), gamma * norm64)
          << "norm " << *res.grad_norm << " fp64 " << norm64;
      const double coef64 = std::min(1.0, max_norm / (norm64 + 1e-6));
      ASSERT_TRUE(res.clip_coef.has_value());
      EXPECT_LE(std::fabs(*res.clip_coef - coef64), 2 * gamma * coef64);
      EXPECT_EQ(res.stats.commands, 2 * ts.size());  // two runs: SCAN, then STEP
      EXPECT_EQ(res.step_stats.commands, ts.size());
      // The STEP used inv_loss_scale * coef; the state follows golden with that scalar.
      golden::AdamWScalarBits sb =
          scalar_bits(adamw_scalars(h, 1, ls), GradFmt::kFp16, Fmt16::kBf16);
      const float comb = float((1.0 / ls) * *res.clip_coef);
      EXPECT_EQ(f2u(res.grad_scale), f2u(comb));
      sb.inv_loss_scale = f2u(comb);
      for (size_t j = 0; j < ts.size(); ++j) {
        HostT& x = ts[j];
        for (uint32_t i = 0; i < x.n; ++i) {
          const golden::AdamWElement e =
              golden::adamw_element(sb, x.grad[i], before[j][i], x.m[i], x.v[i]);
          x.p[i] = e.p;
          x.m[i] = e.m;
          x.v[i] = e.v;
        }
      }
      expect_state(rt, ts, false, "max_norm " + std::to_string(max_norm));
      if (max_norm > norm64) {
        EXPECT_EQ(*res.clip_coef, 1.0);
      }
    }
    // A non-finite gradient with clipping: skipped, nothing written.
    ts[1].grad[5] = 0x7c00;
    rt.write(ts[1].t.g, ts[1].grad.data(), 2 * ts[1].n);
    const AdamWResult res = rt.adamw_step(dev_tensors(ts), h, 2, o);
    EXPECT_TRUE(res.skipped);
    EXPECT_FALSE(std::isfinite(*res.grad_norm));
    expect_state(rt, ts, false, "non-finite");
  }
}

TEST(AdamwRuntime, StaticScaleSendsOnlySteps) {
  std::mt19937_64 r(test::seed());
  FuncDevice dev(find_config("default"));
  Runtime rt(dev);
  std::vector<HostT> ts = make_tensors(rt, r, {5, 6}, true);
  for (HostT& x : ts) rt.write(x.t.g, x.grad.data(), 2 * x.n);
  AdamWStepOptions o;
  o.grad_fmt = GradFmt::kFp16;
  const AdamWResult res = rt.adamw_step(dev_tensors(ts), AdamWHyper{}, 1, o);
  EXPECT_EQ(res.stats.commands, 2u);
  EXPECT_FALSE(res.skipped);
  EXPECT_FALSE(res.grad_norm.has_value());
  EXPECT_EQ(res.new_loss_scale, 1.0);
}

// Bad arguments: std::invalid_argument with a message naming the problem, and nothing
// reaches the chip (no ring slot is written, no command fetched, memory unchanged).
TEST(AdamwRuntime, BadArgumentsRefusedBeforeTheChip) {
  std::mt19937_64 r(test::seed());
  FuncDevice dev(find_config("default"));
  Runtime rt(dev);
  std::vector<HostT> ts = make_tensors(rt, r, {40, 41}, true);
  AdamWStepOptions o;
  o.grad_fmt = GradFmt::kFp16;
  // One good step first, so the scalar block exists and the ring has moved.
  rt.adamw_step(dev_tensors(ts), AdamWHyper{}, 1, o);
  const uint32_t tail = dev.csr_read(c::kRingTail);
  const uint32_t fetched = dev.csr_read(c::perf_lo(isa::kPerfFetched));
  std::vector<std::vector<uint8_t>> mem;
  for (const HostT& x : ts) {
    for (const Buffer& b : {x.t.p, x.t.m, x.t.v, *x.t.p16}) mem.push_back(rt.read(b));
  }
  auto refused = [&](const std::vector<AdamWTensor>& t, const AdamWHyper& h, uint64_t step,
                     const AdamWStepOptions& opt, const std::string& needle) {
    try {
      rt.adamw_step(t, h, step, opt);
      ADD_FAILURE() << "accepted; expected a refusal mentioning '" << needle << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const std::vector<AdamWTensor> good = dev_tensors(ts);
  AdamWHyper h;
  h.lr = -1e-3;
  refused(good, h, 2, o, "lr");
  h = {};
  h.beta1 = 1.0;
  refused(good, h, 2, o, "beta1");
  h.beta1 = -0.1;
  refused(good, h, 2, o, "beta1");
  h = {};
  h.beta2 = 1.0;
  refused(good, h, 2, o, "beta2");
  h.beta2 = 1.5;
  refused(good, h, 2, o, "beta2");
  h = {};
  h.eps = 0;
  refused(good, h, 2, o, "eps");
  h.eps = -1e-8;
  refused(good, h, 2, o, "eps");
  h = {};
  h.weight_decay = -0.1;
  refused(good, h, 2, o, "weight_decay");
  refused(good, AdamWHyper{}, 0, o, "step");
  AdamWStepOptions bad = o;
  bad.max_grad_norm = -1.0;
  refused(good, AdamWHyper{}, 2, bad, "max_norm");
  bad.max_grad_norm = NAN;
  refused(good, AdamWHyper{}, 2, bad, "max_norm");
  bad = o;
  bad.loss_scale = 0;
  refused(good, AdamWHyper{}, 2, bad, "loss_scale");
  bad = o;
  bad.grad_fmt = GradFmt(3);
  refused(good, AdamWHyper{}, 2, bad, "grad_fmt");
  refused({}, AdamWHyper{}, 2, o, "no tensors");
  std::vector<AdamWTensor> t = good;
  t[1].n = 0;
  refused(t, AdamWHyper{}, 2, o, "n = 0");
  t = good;
  t[0].n = 41;  // p holds 40 elements
  refused(t, AdamWHyper{}, 2, o, "tensor 0 p holds");
  t = good;
  t[1].m.addr += 4;
  refused(t, AdamWHyper{}, 2, o, "aligned");
  t = good;
  t[1].g = t[0].v;  // overlaps
  refused(t, AdamWHyper{}, 2, o, "overlap");
  t = good;
  t[0].p16 = t[0].g;  // p16 aliases g
  refused(t, AdamWHyper{}, 2, o, "overlap");
  t = good;
  t[0].p = Buffer{0x40, 4096};  // outside the runtime's window
  refused(t, AdamWHyper{}, 2, o, "DRAM window");
  EXPECT_EQ(dev.csr_read(c::kRingTail), tail);
  EXPECT_EQ(dev.csr_read(c::perf_lo(isa::kPerfFetched)), fetched);
  size_t k = 0;
  for (const HostT& x : ts) {
    for (const Buffer& b : {x.t.p, x.t.m, x.t.v, *x.t.p16}) EXPECT_EQ(rt.read(b), mem[k++]);
  }
}

TEST(AdamwRuntime, DeviceWithoutAdamwUnit) {
  std::mt19937_64 r(test::seed());
  FuncDevice dev(with_lanes(find_config("default"), 0));
  RuntimeOptions ro;
  ro.reset_on_error = false;
  Runtime rt(dev, ro);
  EXPECT_EQ(rt.adamw_lanes(), 0u);
  std::vector<HostT> ts = make_tensors(rt, r, {8}, false);
  try {
    rt.adamw_step(dev_tensors(ts), AdamWHyper{}, 1, {});
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("no AdamW unit"), std::string::npos) << e.what();
  }
  EXPECT_EQ(dev.csr_read(c::kRingTail), 0u);
  // Sent anyway (raw): the fetcher refuses an unknown opcode.
  CommandStream s(dev.config());
  AdamwCmd a = good_cmd();
  a.p_addr = ts[0].t.p.addr;
  s.raw(a.encode());
  try {
    rt.run(s);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_EQ(e.code, ErrCode::kOpcode);
    EXPECT_EQ(e.unit, isa::Unit::kFetch);
  }
}

}  // namespace
}  // namespace tessera
