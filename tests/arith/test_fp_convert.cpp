// SPDX-License-Identifier: Apache-2.0
// ts_fp_widen (all 65,536 codes of each format) and ts_fp_narrow (edges, ties, random).
#include "Vts_fp_narrow.h"
#include "Vts_fp_widen.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

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

class NarrowTest : public ::testing::TestWithParam<Fmt16> {};

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
  auto gen = [fmt](std::mt19937_64& rng) { return narrow_random(rng, fmt); };
  expect_clean(check_random<Narrow>(sim, n, seed, gen), n);
}

class NarrowSlow : public ::testing::TestWithParam<Fmt16> {};

TEST_P(NarrowSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_narrow> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [fmt](std::mt19937_64& rng) { return narrow_random(rng, fmt); };
  expect_clean(check_random<Narrow>(sim, n, seed, gen), n);
}

INSTANTIATE_TEST_SUITE_P(Fp, NarrowSlow, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

INSTANTIATE_TEST_SUITE_P(Fp, NarrowTest, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

}  // namespace
}  // namespace tessera::test
