// SPDX-License-Identifier: Apache-2.0
// ts_fp32_add (add and subtract): special-class pairs, random vectors, Stages variants.
#include "Vts_fp32_add.h"
#include "Vts_fp32_add_s4.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using AddS4 = AddUnit<Vts_fp32_add_s4>;

TEST(Fp32Add, SpecialPairs) {
  tb::Sim<Vts_fp32_add> sim(test_name());
  sim.reset();
  std::vector<AddIn> in;
  for (uint32_t a : fp32_specials())
    for (uint32_t b : fp32_specials())
      for (bool sub : {false, true}) in.push_back({a, b, sub});
  std::mt19937_64 rng(1);
  Stats st;
  check_stream<Add>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Fp32Add, HalfwayCases) {
  // 1.0 + k * 2^-24 .. ties at every distance, both signs, both operand orders.
  tb::Sim<Vts_fp32_add> sim(test_name());
  sim.reset();
  std::vector<AddIn> in;
  for (uint32_t ea : {1u, 2u, 24u, 126u, 127u, 200u, 253u, 254u}) {
    for (uint32_t d = 0; d < 30; ++d) {
      for (uint32_t fa : {0u, 1u, 0x7fffffu, 0x400000u}) {
        for (uint32_t fb : {0u, 1u, 0x7fffffu, 0x400001u}) {
          uint32_t a = (ea << 23) | fa;
          uint32_t eb = ea > d ? ea - d : 0;
          uint32_t b = (eb << 23) | fb;
          in.push_back({a, b, false});
          in.push_back({a, b, true});
          in.push_back({b, a | 0x80000000u, false});
        }
      }
    }
  }
  std::mt19937_64 rng(2);
  Stats st;
  check_stream<Add>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Fp32Add, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_fp32_add> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Add>(sim, n, seed, add_random), n);
}

TEST(Fp32Add, RandomDeepPipeline) {
  // Stages = 4 build (the datapath cut after the alignment shift, the add and the
  // normalising shift, docs/arith.md): same results, four cycles later.
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000);
  tb::Sim<Vts_fp32_add_s4> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<AddS4>(sim, n, seed, add_random, 0.3), n);
}

TEST(Fp32AddSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_add> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Add>(sim, n, seed, add_random), n);
}

}  // namespace
}  // namespace tessera::test
