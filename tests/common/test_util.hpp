// SPDX-License-Identifier: Apache-2.0
// GoogleTest helpers: per-test names, replayable seeds, vector counts.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace tessera::test {

// "<Suite>.<Test>" (parameterised names made file-system safe), for trace files.
inline std::string test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string n = std::string(info->test_suite_name()) + "." + info->name();
  for (char& c : n) {
    if (c == '/') c = '_';
  }
  return n;
}

// Seed for a random test: TESSERA_SEED if set (replay), otherwise fresh. Printed and
// recorded in the XML report so a failure can be replayed.
inline uint64_t seed() {
  uint64_t s;
  if (const char* e = std::getenv("TESSERA_SEED")) {
    s = std::strtoull(e, nullptr, 0);
  } else {
    s = (uint64_t(std::random_device{}()) << 32) ^ std::random_device{}();
  }
  std::cout << "[ seed     ] " << test_name() << " TESSERA_SEED=" << s << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(s));
  return s;
}

// Number of random vectors: the default, or TESSERA_VECTORS if set.
inline uint64_t vectors(uint64_t dflt) {
  if (const char* e = std::getenv("TESSERA_VECTORS")) return std::strtoull(e, nullptr, 0);
  return dflt;
}

}  // namespace tessera::test
