// SPDX-License-Identifier: Apache-2.0
// ts_fp_widen (all 65,536 codes of each format) and ts_fp_narrow (edges, ties, random).
#include "Vts_fp_narrow.h"
#include "Vts_fp_widen.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using golden::Fmt16;

struct WidenIn {
  Fmt16 fmt;
  uint16_t a;
};

struct Widen {
  using Top = Vts_fp_widen;
  using In = WidenIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_widen(in.fmt, in.a);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp16_to_fp32(in.a) : ref::bf16_to_fp32(in.a);
  }
  static bool is_nan(uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan() { return golden::kFp32QNan; }
  static std::string show(const In& in) {
    return std::string(in.fmt == Fmt16::kFp16 ? "fp16 " : "bf16 ") + hex(in.a, 4);
  }
};

struct NarrowIn {
  Fmt16 fmt;
  uint32_t a;
};

struct Narrow {
  using Top = Vts_fp_narrow;
  using In = NarrowIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 4;
  static Fmt16 fmt_;  // for is_nan/qnan of the batch being checked
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_narrow(in.fmt, in.a);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp32_to_fp16(in.a) : ref::fp32_to_bf16(in.a);
  }
  static bool is_nan(uint32_t b) { return golden::fp16_is_nan(fmt_, uint16_t(b)); }
  static uint32_t qnan() { return fmt_ == Fmt16::kFp16 ? golden::kFp16QNan : golden::kBf16QNan; }
  static std::string show(const In& in) {
    return std::string(in.fmt == Fmt16::kFp16 ? "to fp16 " : "to bf16 ") + hex(in.a, 8);
  }
};
Fmt16 Narrow::fmt_ = Fmt16::kFp16;

class WidenExhaustive : public ::testing::TestWithParam<Fmt16> {};

TEST_P(WidenExhaustive, AllCodes) {
  tb::Sim<Vts_fp_widen> sim(test_name());
  sim.reset();
  std::vector<WidenIn> in;
  for (uint32_t a = 0; a < 65536; ++a) in.push_back({GetParam(), uint16_t(a)});
  std::mt19937_64 rng(3);
  Stats st;
  check_stream<Widen>(sim, in, 0.0, rng, &st);
  expect_clean(st, 65536);
}

INSTANTIATE_TEST_SUITE_P(Fp, WidenExhaustive, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

class NarrowTest : public ::testing::TestWithParam<Fmt16> {
 protected:
  void SetUp() override { Narrow::fmt_ = GetParam(); }
};

// Every FP32 value that is a representable 16-bit value, its two FP32 neighbours, and
// the exact midpoints to the next 16-bit value with their neighbours: all ties and
// every rounding boundary, for all 65,536 codes.
TEST_P(NarrowTest, EveryCodeAndTie) {
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_narrow> sim(test_name());
  sim.reset();
  std::vector<NarrowIn> in;
  for (uint32_t c = 0; c < 65536; ++c) {
    uint32_t w = golden::fp_widen(fmt, uint16_t(c)).bits;
    if (golden::fp32_is_nan(w)) w = 0x7fc00000u | (uint32_t(c) << 8);
    uint32_t next = golden::fp_widen(fmt, uint16_t(c + 1)).bits;
    for (int d = -1; d <= 1; ++d) in.push_back({fmt, uint32_t(int64_t(w) + d)});
    if ((c & 0x7fffu) < (fmt == Fmt16::kFp16 ? 0x7bffu : 0x7f7fu)) {
      // Midpoint between c and c+1 (same sign), exact in FP32 for both formats.
      uint32_t mid = uint32_t((uint64_t(w & 0x7fffffffu) + (next & 0x7fffffffu)) / 2) |
                     (w & 0x80000000u);
      for (int d = -1; d <= 1; ++d) in.push_back({fmt, uint32_t(int64_t(mid) + d)});
    }
  }
  for (uint32_t s : fp32_specials()) in.push_back({fmt, s});
  std::mt19937_64 rng(4);
  Stats st;
  check_stream<Narrow>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST_P(NarrowTest, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_narrow> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [fmt](std::mt19937_64& rng) {
    uint32_t a = fp32_random(rng);
    if (fmt == Fmt16::kFp16 && rng() % 2) {  // exponents around FP16's range
      a = (a & 0x807fffffu) | (uint32_t(96 + rng() % 50) << 23);
    }
    return NarrowIn{fmt, a};
  };
  expect_clean(check_random<Narrow>(sim, n, seed, gen), n);
}

INSTANTIATE_TEST_SUITE_P(Fp, NarrowTest, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

}  // namespace
}  // namespace tessera::test
