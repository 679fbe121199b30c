// SPDX-License-Identifier: Apache-2.0
// FP32 operand generators shared by the unit tests (specials and a path-covering random mix).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace tessera::tb::arith {

// FP32 values of every special class, plus rounding-sensitive neighbours.
inline std::vector<uint32_t> fp32_specials() {
  std::vector<uint32_t> v = {
      0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x003fffff, 0x00400000, 0x007fffff,
      0x00800000, 0x00800001, 0x00ffffff, 0x01000000, 0x33800000, 0x33800001, 0x337fffff,
      0x34000000, 0x3effffff, 0x3f000000, 0x3f7fffff, 0x3f800000, 0x3f800001, 0x3fc00000,
      0x3fffffff, 0x40000000, 0x40400000, 0x4b000000, 0x4b7fffff, 0x7effffff, 0x7f000000,
      0x7f7ffffe, 0x7f7fffff, 0x7f800000, 0x7fc00000, 0x7fc12345, 0x7f800001, 0x7fbfffff};
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) v.push_back(v[i] | 0x80000000u);
  return v;
}

// A mix that reaches every path: raw bits, subnormals, range edges, near-equal pairs.
inline uint32_t fp32_random(std::mt19937_64& rng) {
  uint32_t r = static_cast<uint32_t>(rng());
  switch (rng() % 6) {
    case 0:
    case 1:
      return r;
    case 2:  // subnormal or tiny normal
      return (r & 0x80ffffffu) & ~(uint32_t(rng() % 2 ? 0x00800000u : 0u));
    case 3:  // huge, Inf or NaN
      return (r & 0x807fffffu) | (uint32_t(252 + rng() % 4) << 23);
    case 4:  // near 1.0: cancellation and halfway cases
      return (r & 0x807fffffu) | (uint32_t(120 + rng() % 16) << 23);
    default:  // few fraction bits set: exact results and ties
      return (r & 0xff800000u) | (uint32_t(rng()) & 0x7u) << (rng() % 21);
  }
}

}  // namespace tessera::tb::arith
