// SPDX-License-Identifier: Apache-2.0
// ts_fp_mul16 (FP16/BF16 products into FP32) and ts_fp32_mul: special pairs and random.
#include "Vts_fp32_mul.h"
#include "Vts_fp_mul16.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using golden::Fmt16;

struct Mul16In {
  Fmt16 fmt;
  uint16_t a, b;
};

struct Mul16 {
  using Top = Vts_fp_mul16;
  using In = Mul16In;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
    t.b_i = in.b;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_mul16(in.fmt, in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp16_mul(in.a, in.b) : ref::bf16_mul(in.a, in.b);
  }
  static bool is_nan(uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan() { return golden::kFp32QNan; }
  static std::string show(const In& in) {
    return std::string(in.fmt == Fmt16::kFp16 ? "fp16 " : "bf16 ") + hex(in.a, 4) + " * " +
           hex(in.b, 4);
  }
};

struct Mul32In {
  uint32_t a, b;
};

struct Mul32 {
  using Top = Vts_fp32_mul;
  using In = Mul32In;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.a_i = in.a;
    t.b_i = in.b;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp32_mul(in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) { return ref::fp32_mul(in.a, in.b); }
  static bool is_nan(uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan() { return golden::kFp32QNan; }
  static std::string show(const In& in) { return hex(in.a, 8) + " * " + hex(in.b, 8); }
};

class Mul16Test : public ::testing::TestWithParam<Fmt16> {};

TEST_P(Mul16Test, SpecialPairs) {
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_mul16> sim(test_name());
  sim.reset();
  std::vector<Mul16In> in;
  for (uint16_t a : fp16_specials(fmt))
    for (uint16_t b : fp16_specials(fmt)) in.push_back({fmt, a, b});
  std::mt19937_64 rng(5);
  Stats st;
  check_stream<Mul16>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST_P(Mul16Test, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_mul16> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [fmt](std::mt19937_64& rng) {
    Mul16In in{fmt, uint16_t(rng()), uint16_t(rng())};
    if (fmt == Fmt16::kBf16 && rng() % 2) {
      // Products near FP32's subnormal and overflow thresholds: the only rounding.
      int ea = 1 + int(rng() % 254);
      int target = (rng() % 2) ? int(rng() % 30) - 24 : 252 + int(rng() % 6);
      int eb = target - ea + 127;
      if (eb >= 1 && eb <= 254) {
        in.a = uint16_t((in.a & 0x807fu) | (ea << 7));
        in.b = uint16_t((in.b & 0x807fu) | (eb << 7));
      }
    }
    return in;
  };
  expect_clean(check_random<Mul16>(sim, n, seed, gen), n);
}

INSTANTIATE_TEST_SUITE_P(Fp, Mul16Test, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

TEST(Fp32Mul, SpecialPairs) {
  tb::Sim<Vts_fp32_mul> sim(test_name());
  sim.reset();
  std::vector<Mul32In> in;
  for (uint32_t a : fp32_specials())
    for (uint32_t b : fp32_specials()) in.push_back({a, b});
  std::mt19937_64 rng(6);
  Stats st;
  check_stream<Mul32>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

Mul32In random_mul(std::mt19937_64& rng) {
  auto [a, b] = fp32_pair_edges(rng, false);
  return {a, b};
}

TEST(Fp32Mul, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_fp32_mul> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mul32>(sim, n, seed, random_mul), n);
}

TEST(Fp32MulSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_mul> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mul32>(sim, n, seed, random_mul), n);
}

TEST(Mul16Slow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp_mul16> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [](std::mt19937_64& rng) {
    return Mul16In{rng() % 2 ? Fmt16::kBf16 : Fmt16::kFp16, uint16_t(rng()), uint16_t(rng())};
  };
  expect_clean(check_random<Mul16>(sim, n, seed, gen), n);
}

}  // namespace
}  // namespace tessera::test
