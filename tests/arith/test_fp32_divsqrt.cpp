// SPDX-License-Identifier: Apache-2.0
// ts_fp32_div and ts_fp32_sqrt (iterative): special classes, random, handshake assertion.
#include <cstring>

#include "Vts_fp32_div.h"
#include "Vts_fp32_sqrt.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

TEST(Fp32Div, SpecialPairs) {
  tb::Sim<Vts_fp32_div> sim(test_name());
  sim.reset();
  std::vector<Fp32Pair> in;
  for (uint32_t a : fp32_specials())
    for (uint32_t b : fp32_specials()) in.push_back({a, b});
  std::mt19937_64 rng(7);
  Stats st;
  check_stream<Div>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Fp32Div, LatencyIs28Cycles) {
  tb::Sim<Vts_fp32_div> sim(test_name());
  sim.reset();
  auto& t = sim.top();
  t.a_i = 0x40400000u;  // 3 / 2
  t.b_i = 0x40000000u;
  t.in_valid_i = 1;
  sim.eval();
  ASSERT_TRUE(t.in_ready_o);
  sim.tick();
  t.in_valid_i = 0;
  uint64_t waited = sim.run_until([&] { return t.out_valid_o != 0; }, 100);
  EXPECT_EQ(waited + 1, 28u);
  EXPECT_EQ(t.res_o, 0x3fc00000u);
}

Fp32Pair random_div(std::mt19937_64& rng) { return fp32_pair_edges(rng, true); }

TEST(Fp32Div, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_fp32_div> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Div>(sim, n, seed, random_div), n);
}

TEST(Fp32DivSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_div> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Div>(sim, n, seed, random_div), n);
}

// The ready/valid assertion fires when valid drops before the unit accepted it.
TEST(Fp32Div, AssertionFiresOnDroppedValid) {
  tb::Sim<Vts_fp32_div> sim(test_name());
  sim.reset();
  auto& t = sim.top();
  t.a_i = 0x3f800000u;
  t.b_i = 0x40400000u;
  t.in_valid_i = 1;
  sim.tick();  // accepted; the unit is now busy
  sim.tick();  // offered again while busy
  t.in_valid_i = 0;  // withdrawn before acceptance: protocol violation
  EXPECT_THROW(sim.tick(2), tb::AssertionFailure);
}

TEST(Fp32Sqrt, SpecialValues) {
  tb::Sim<Vts_fp32_sqrt> sim(test_name());
  sim.reset();
  std::vector<SqrtIn> in;
  for (uint32_t a : fp32_specials()) in.push_back({a});
  // Perfect squares and their neighbours (exact results, halfway impossible, ties near).
  for (uint32_t k = 1; k < 5000; ++k) {
    float f = float(k) * float(k);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int d = -1; d <= 1; ++d) in.push_back({uint32_t(int64_t(u) + d)});
  }
  std::mt19937_64 rng(8);
  Stats st;
  check_stream<Sqrt>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Fp32Sqrt, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_fp32_sqrt> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Sqrt>(sim, n, seed, sqrt_random), n);
}

TEST(Fp32SqrtSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_sqrt> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [](std::mt19937_64& rng) { return SqrtIn{uint32_t(rng()) & 0x7fffffffu}; };
  expect_clean(check_random<Sqrt>(sim, n, seed, gen), n);
}

}  // namespace
}  // namespace tessera::test
