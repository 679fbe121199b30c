// SPDX-License-Identifier: Apache-2.0
// ts_fp_mul16 (FP16/BF16 products into FP32) and ts_fp32_mul: special pairs and random.
#include "Vts_fp32_mul.h"
#include "Vts_fp32_mul_s2.h"
#include "Vts_fp_mul16.h"
#include "Vts_fp_mul16_s2.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

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
  auto gen = [fmt](std::mt19937_64& rng) { return mul16_random(rng, fmt); };
  expect_clean(check_random<Mul16>(sim, n, seed, gen), n);
}

// Stages = 2 build (the datapath cut after the significand product, docs/arith.md): same
// results, two cycles later.
TEST_P(Mul16Test, RandomCut) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000);
  const Fmt16 fmt = GetParam();
  tb::Sim<Vts_fp_mul16_s2> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [fmt](std::mt19937_64& rng) { return mul16_random(rng, fmt); };
  expect_clean(check_random<Mul16Unit<Vts_fp_mul16_s2>>(sim, n, seed, gen, 0.3), n);
}

INSTANTIATE_TEST_SUITE_P(Fp, Mul16Test, ::testing::Values(Fmt16::kFp16, Fmt16::kBf16),
                         [](const auto& i) {
                           return std::string(i.param == Fmt16::kFp16 ? "Fp16" : "Bf16");
                         });

TEST(Fp32Mul, SpecialPairs) {
  tb::Sim<Vts_fp32_mul> sim(test_name());
  sim.reset();
  std::vector<Fp32Pair> in;
  for (uint32_t a : fp32_specials())
    for (uint32_t b : fp32_specials()) in.push_back({a, b});
  std::mt19937_64 rng(6);
  Stats st;
  check_stream<Mul32>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

Fp32Pair random_mul(std::mt19937_64& rng) { return fp32_pair_edges(rng, false); }

TEST(Fp32Mul, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_fp32_mul> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mul32>(sim, n, seed, random_mul), n);
}

TEST(Fp32Mul, RandomCut) {
  // Stages = 2 build: same results, two cycles later.
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000);
  tb::Sim<Vts_fp32_mul_s2> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mul32Unit<Vts_fp32_mul_s2>>(sim, n, seed, random_mul, 0.3), n);
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
