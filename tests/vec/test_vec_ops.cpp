// SPDX-License-Identifier: Apache-2.0
// The VEC golden element functions against independent references: the host FPU (max,
// min, 1/x), MPFR (1/sqrt(x) at 256 bits) and the documented special cases.
#include <gtest/gtest.h>
#include <mpfr.h>

#include <cmath>
#include <cstring>
#include <random>

#include "tessera/golden/vec.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using golden::VecCmd;
using golden::VecFn;
using golden::VecOp1;

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

uint32_t as_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

bool is_nan(uint32_t x) { return (x & 0x7fffffffu) > 0x7f800000u; }
bool is_snan(uint32_t x) { return is_nan(x) && !(x & 0x00400000u); }

// Random operand with a fair share of specials and of equal magnitudes.
uint32_t operand(std::mt19937_64& g) {
  const uint32_t sign = uint32_t(g() & 1) << 31;
  switch (g() % 8) {
    case 0: return sign;
    case 1: return sign | 0x7f800000u;
    case 2: return sign | uint32_t(g() & 0x7fffff);
    case 3: return sign | 0x7f800000u | std::max<uint32_t>(1, uint32_t(g() & 0x7fffff));
    default: return uint32_t(g());
  }
}

TEST(VecOps, MaxMinAgainstHost) {
  std::mt19937_64 g(seed());
  const uint64_t n = vectors(200000);
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t a = operand(g);
    const uint32_t b = (g() % 4 == 0) ? (a ^ (uint32_t(g() & 1) << 31)) : operand(g);
    const auto mx = golden::vec_max(a, b);
    const auto mn = golden::vec_min(a, b);
    if (is_nan(a) || is_nan(b)) {
      EXPECT_EQ(mx.bits, 0x7fc00000u);
      EXPECT_EQ(mn.bits, 0x7fc00000u);
      const uint8_t nv = (is_snan(a) || is_snan(b)) ? golden::kFlagNv : 0;
      EXPECT_EQ(mx.flags, nv);
      EXPECT_EQ(mn.flags, nv);
      continue;
    }
    EXPECT_EQ(mx.flags, 0);
    EXPECT_EQ(mn.flags, 0);
    const float fa = as_float(a), fb = as_float(b);
    if (fa == fb && fa == 0.f) {  // +-0: max prefers +0, min -0
      EXPECT_EQ(mx.bits, (a & b));
      EXPECT_EQ(mn.bits, (a | b));
    } else {
      EXPECT_EQ(as_float(mx.bits), std::fmax(fa, fb)) << std::hex << a << " " << b;
      EXPECT_EQ(as_float(mn.bits), std::fmin(fa, fb)) << std::hex << a << " " << b;
    }
  }
}

TEST(VecOps, RecipAgainstHost) {
  std::mt19937_64 g(seed());
  const uint64_t n = vectors(200000);
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t x = operand(g);
    const auto r = golden::vec_fn(VecFn::kRecip, x);
    const float want = 1.0f / as_float(x);
    if (is_nan(x)) {
      EXPECT_EQ(r.bits, 0x7fc00000u);
    } else {
      EXPECT_EQ(r.bits, as_bits(want)) << std::hex << x;
    }
  }
}

// RSQRT = fp32_div(1, fp32_sqrt(x)): within 1.5 ulp of the exact 1/sqrt(x).
TEST(VecOps, RsqrtAgainstMpfr) {
  std::mt19937_64 g(seed());
  const uint64_t n = vectors(100000);
  mpfr_t a, r;
  mpfr_init2(a, 256);
  mpfr_init2(r, 256);
  double worst = 0;
  for (uint64_t i = 0; i < n; ++i) {
    // Positive finite x over the whole range (subnormals included).
    uint32_t x = uint32_t(g()) & 0x7fffffffu;
    if (x >= 0x7f800000u) x &= 0x3fffffffu;
    if (x == 0) x = 1;
    const auto res = golden::vec_fn(VecFn::kRsqrt, x);
    mpfr_set_flt(a, as_float(x), MPFR_RNDN);
    mpfr_rec_sqrt(r, a, MPFR_RNDN);
    const double exact = mpfr_get_d(r, MPFR_RNDN);
    int e;
    std::frexp(exact, &e);
    const double ulp = std::ldexp(1.0, e - 24);
    const double err = std::fabs(double(as_float(res.bits)) - exact) / ulp;
    worst = std::max(worst, err);
    ASSERT_LE(err, 1.5) << std::hex << x;
    EXPECT_TRUE(res.flags == 0 || res.flags == golden::kFlagNx) << std::hex << x;
  }
  mpfr_clear(a);
  mpfr_clear(r);
  std::cout << "[ info     ] RSQRT worst " << worst << " ulp" << std::endl;
  // Specials: 1/sqrt(+0) = +Inf (DZ), 1/sqrt(-0) = -Inf (DZ), 1/sqrt(+Inf) = +0,
  // 1/sqrt(x < 0) = qNaN (NV).
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, 0u).bits, 0x7f800000u);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, 0u).flags, golden::kFlagDz);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, 0x80000000u).bits, 0xff800000u);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, 0x7f800000u).bits, 0u);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, as_bits(-4.f)).bits, 0x7fc00000u);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, as_bits(-4.f)).flags, golden::kFlagNv);
  EXPECT_EQ(golden::vec_fn(VecFn::kRsqrt, as_bits(4.f)).bits, as_bits(0.5f));
}

// RFP16 / RBF16 round to the 16-bit format and back: the host's _Float16 and BF16
// truncation with RNE done by integer arithmetic on normal values.
TEST(VecOps, RoundTo16) {
  std::mt19937_64 g(seed());
  for (int i = 0; i < 100000; ++i) {
    const float f = std::ldexp(std::uniform_real_distribution<float>(-1, 1)(g), int(g() % 20) - 10);
    const auto h = golden::vec_fn(VecFn::kRfp16, as_bits(f));
    EXPECT_EQ(as_float(h.bits), float(static_cast<_Float16>(f))) << f;
    const uint32_t x = as_bits(f);
    const uint32_t lsb = (x >> 16) & 1;
    const uint32_t bf = ((x + 0x7fffu + lsb) >> 16) << 16;  // RNE to the top 16 bits
    EXPECT_EQ(golden::vec_fn(VecFn::kRbf16, x).bits, bf) << f;
  }
}

// The lane: sat turns +-Inf into +-FLT_MAX (NaN unchanged), the mask gives -Inf and no
// op1 flags, fn follows.
TEST(VecOps, LaneSatAndMask) {
  VecCmd c;
  c.op1 = VecOp1::kMul;
  c.sat = true;
  const uint32_t big = 0x7f000000u;  // 2^127
  auto r = golden::vec_lane(c, big, big, false);
  EXPECT_EQ(r.bits, 0x7f7fffffu);
  EXPECT_EQ(r.flags, golden::kFlagOf | golden::kFlagNx);
  r = golden::vec_lane(c, big, big | 0x80000000u, false);
  EXPECT_EQ(r.bits, 0xff7fffffu);
  r = golden::vec_lane(c, 0x7f800000u, 0u, false);  // Inf * 0: NaN stays NaN
  EXPECT_EQ(r.bits, 0x7fc00000u);
  EXPECT_EQ(r.flags, golden::kFlagNv);
  r = golden::vec_lane(c, big, big, true);  // hidden: -Inf, no op1 flags
  EXPECT_EQ(r.bits, 0xff800000u);
  EXPECT_EQ(r.flags, 0);
  c.fn = VecFn::kExp;
  r = golden::vec_lane(c, big, big, true);
  EXPECT_EQ(r.bits, 0u);
  c.sat = false;
  c.fn = VecFn::kNone;
  r = golden::vec_lane(c, big, big, false);
  EXPECT_EQ(r.bits, 0x7f800000u);
  c.op1 = VecOp1::kPass;
  r = golden::vec_lane(c, 0x7f800001u, big, false);  // PASS keeps a signalling NaN's bits
  EXPECT_EQ(r.bits, 0x7f800001u);
  EXPECT_EQ(r.flags, 0);
  // Masks: CAUSAL hides c > r + moff, PAD hides c >= moff (moff signed).
  c.mask = golden::VecMask::kCausal;
  c.moff = -1;
  EXPECT_FALSE(golden::vec_hidden(c, 3, 2));
  EXPECT_TRUE(golden::vec_hidden(c, 3, 3));
  c.mask = golden::VecMask::kPad;
  c.moff = 5;
  EXPECT_FALSE(golden::vec_hidden(c, 0, 4));
  EXPECT_TRUE(golden::vec_hidden(c, 0, 5));
  c.moff = -2;
  EXPECT_TRUE(golden::vec_hidden(c, 0, 0));
}

}  // namespace
}  // namespace tessera::test
