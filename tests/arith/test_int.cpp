// SPDX-License-Identifier: Apache-2.0
// ts_int8_mac (exhaustive operand pairs) and ts_int_requant (TFLite requantisation).
#include "Vts_int8_mac.h"
#include "Vts_int_requant.h"
#include "Vts_int_requant_s4.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

TEST(Int8Mac, AllOperandPairs) {
  // All 65,536 int8 pairs, each against accumulators at the int32 wrap edges.
  tb::Sim<Vts_int8_mac> sim(test_name());
  sim.reset();
  std::vector<MacIn> in;
  for (int a = -128; a < 128; ++a)
    for (int b = -128; b < 128; ++b)
      for (int32_t acc : {0, -1, INT32_MAX, INT32_MIN, INT32_MAX - 16383, 12345})
        in.push_back({int8_t(a), int8_t(b), acc});
  std::mt19937_64 rng(10);
  Stats st;
  check_stream<Mac>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Int8Mac, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_int8_mac> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mac>(sim, n, seed, mac_random), n);
}

TEST(Int8MacSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_int8_mac> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Mac>(sim, n, seed, mac_random), n);
}

// The edge cases: int32 extremes, multipliers at the Q0.31 edges, every shift (the refused
// ones included), zero points at the extremes, and exact ties of the rounding divide.
std::vector<ReqIn> requant_edges() {
  std::vector<ReqIn> in;
  const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 1 << 30, -(1 << 30), INT32_MAX,
                        INT32_MIN, INT32_MIN + 1, 0x40000000, 0x3fffffff};
  const int32_t ms[] = {0, 1, INT32_MAX, INT32_MIN, 1 << 30, (1 << 30) + 1, 0x7fff0000, -1};
  for (int32_t x : xs)
    for (int32_t m : ms)
      for (int s = -32; s <= 31; ++s)
        for (int32_t zp : {0, -128, 127, INT32_MAX})
          in.push_back({x, m, s, zp, int8_t(-128), int8_t(127)});
  // Exact ties of the rounding divide: x = (2k+1) * 2^(rs-1) with multiplier 2^31-1.
  for (int rs = 1; rs <= 31; ++rs)
    for (int k = -4; k <= 4; ++k) {
      int64_t x = (2 * int64_t(k) + 1) << (rs - 1);
      if (x >= INT32_MIN && x <= INT32_MAX) in.push_back({int32_t(x), INT32_MIN, -rs, 0, -128, 127});
    }
  return in;
}

TEST(IntRequant, EdgeCases) {
  tb::Sim<Vts_int_requant> sim(test_name());
  sim.reset();
  const std::vector<ReqIn> in = requant_edges();
  std::mt19937_64 rng(11);
  Stats st;
  check_stream<Requant>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

// Stages = 4 build (cut after the partial products, the high multiply and the rounding
// divide, docs/arith.md): same results, four cycles later, with bubbles in the stream.
TEST(IntRequant, EdgeCasesCut) {
  tb::Sim<Vts_int_requant_s4> sim(test_name());
  sim.reset();
  const std::vector<ReqIn> in = requant_edges();
  std::mt19937_64 rng(12);
  Stats st;
  check_stream<RequantUnit<Vts_int_requant_s4>>(sim, in, 0.3, rng, &st);
  expect_clean(st, in.size());
}

TEST(IntRequant, RandomCut) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_int_requant_s4> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<RequantUnit<Vts_int_requant_s4>>(sim, n, seed, requant_random, 0.3),
               n);
}

TEST(IntRequant, PerChannel) {
  // 64 output channels, each with its own multiplier and shift (as the MMU's
  // per-channel requantisation streams them), checked over random accumulators.
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  std::vector<std::pair<int32_t, int>> chan(64);
  for (auto& c : chan) c = {int32_t((1u << 30) + (uint32_t(rng()) & 0x3fffffffu)), -int(rng() % 20)};
  std::vector<ReqIn> in;
  for (int row = 0; row < 2000; ++row)
    for (int c = 0; c < 64; ++c)
      in.push_back({int32_t(uint32_t(rng())) >> (rng() % 24), chan[c].first, chan[c].second, 3,
                    int8_t(-128), int8_t(127)});
  Stats st;
  check_stream<Requant>(sim, in, 0.1, rng, &st);
  expect_clean(st, in.size());
}

TEST(IntRequant, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Requant>(sim, n, seed, requant_random), n);
}

TEST(IntRequantSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Requant>(sim, n, seed, requant_random), n);
}

}  // namespace
}  // namespace tessera::test
