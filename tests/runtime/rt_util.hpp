// SPDX-License-Identifier: Apache-2.0
// Helpers of the runtime tests: operand generators and host-byte conversions.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "tessera/device.hpp"
#include "tessera/isa.hpp"

namespace tessera::test {

// Finite FP16/BF16 codes of moderate magnitude (|x| in about [2^-6, 2^5]) with some zeros
// and subnormals, so that sums neither overflow nor lose everything to cancellation.
// Options of a functional model seeded with `seed` (its SRAM fill), all else default.
inline DeviceOptions func_options(uint64_t seed) {
  DeviceOptions o;
  o.seed = seed;
  return o;
}

inline uint16_t random_code(std::mt19937_64& r, isa::Dtype dt, bool specials) {
  if (dt == isa::Dtype::kInt8) return uint16_t(int16_t(int8_t(r())));
  if (specials) return uint16_t(r());  // anything: NaN, Inf, subnormals, ...
  const uint32_t pick = uint32_t(r() % 32);
  const uint16_t sign = uint16_t((r() & 1u) << 15);
  if (pick == 0) return sign;  // +-0
  if (dt == isa::Dtype::kFp16) {
    if (pick == 1) return uint16_t(sign | (r() & 0x3ffu));  // subnormal
    const uint16_t e = uint16_t(9 + r() % 12);
    return uint16_t(sign | (e << 10) | (r() & 0x3ffu));
  }
  const uint16_t e = uint16_t(121 + r() % 12);
  return uint16_t(sign | (e << 7) | (r() & 0x7fu));
}

inline std::vector<uint16_t> random_codes(std::mt19937_64& r, isa::Dtype dt, size_t n,
                                          bool specials) {
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = random_code(r, dt, specials);
  return v;
}

// Stored operand codes as host bytes: 2 bytes LE per element, INT8 1 byte.
inline std::vector<uint8_t> to_host(isa::Dtype dt, const std::vector<uint16_t>& codes) {
  std::vector<uint8_t> b;
  b.reserve(codes.size() * 2);
  for (uint16_t c : codes) {
    b.push_back(uint8_t(c));
    if (dt != isa::Dtype::kInt8) b.push_back(uint8_t(c >> 8));
  }
  return b;
}

inline std::vector<uint8_t> words_to_bytes(const std::vector<uint32_t>& w) {
  std::vector<uint8_t> b(w.size() * 4);
  for (size_t i = 0; i < w.size(); ++i) {
    for (int k = 0; k < 4; ++k) b[4 * i + k] = uint8_t(w[i] >> (8 * k));
  }
  return b;
}

}  // namespace tessera::test
