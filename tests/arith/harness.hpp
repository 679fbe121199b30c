// SPDX-License-Identifier: Apache-2.0
// GoogleTest wrappers around tb/arith_units.hpp: failures become test failures.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "arith_units.hpp"

namespace tessera::test {

using namespace tb::arith;  // NOLINT: the unit descriptors and generators

// Reports up to ten disagreements as test failures, then stays quiet.
inline auto failure_reporter() {
  return [shown = 0](const std::string& what) mutable {
    if (shown++ < 10) ADD_FAILURE() << what;
  };
}

template <class Unit>
void check_stream(tb::Sim<typename Unit::Top>& sim, const std::vector<typename Unit::In>& in,
                  double bubble, std::mt19937_64& rng, Stats* st) {
  tb::arith::check_stream<Unit>(sim, in, bubble, rng, st, failure_reporter());
}

template <class Unit, class Gen>
Stats check_random(tb::Sim<typename Unit::Top>& sim, uint64_t n, uint64_t seed, Gen gen,
                   double bubble = 0.05) {
  return tb::arith::check_random<Unit>(sim, n, seed, gen, bubble, failure_reporter());
}

inline void expect_clean(const Stats& st, uint64_t expected_vectors) {
  EXPECT_FALSE(st.stalled) << "the unit stopped producing results";
  EXPECT_EQ(st.vectors, expected_vectors);
  EXPECT_EQ(st.rtl_vs_golden, 0u) << "RTL differs from the golden model";
  EXPECT_EQ(st.golden_vs_ref, 0u) << "golden model differs from the independent reference";
  ::testing::Test::RecordProperty("vectors", std::to_string(st.vectors));
  ::testing::Test::RecordProperty("cycles", std::to_string(st.cycles));
}

}  // namespace tessera::test
