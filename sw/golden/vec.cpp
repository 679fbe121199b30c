// SPDX-License-Identifier: Apache-2.0
// Bit-exact models of the vector unit's operations (rtl/vec).
#include "tessera/golden/vec.hpp"

#include "tessera/vec_tables_gen.hpp"

namespace tessera::golden {

Fp32Result vec_exp(uint32_t x) {
  const uint32_t mag = x & 0x7fffffffu;
  const bool neg = (x >> 31) != 0;
  if (mag > 0x7f800000u) return {kFp32QNan, uint8_t((mag & 0x00400000u) ? 0 : kFlagNv)};
  if (mag == 0x7f800000u) return {neg ? 0u : 0x7f800000u, 0};
  if (mag == 0) return {0x3f800000u, 0};
  int e = int(mag >> 23);
  uint64_t m = mag & 0x7fffffu;
  if (e != 0) {
    m |= 0x800000u;
  } else {
    e = 1;
  }
  // |x| >= 128: e^x is beyond FP32 either way.
  if (e >= 134) return neg ? Fp32Result{0u, kFlagUf | kFlagNx} : Fp32Result{0x7f800000u, kFlagOf | kFlagNx};
  // X = |x| * 2^32, truncated (|x| = m * 2^(e - 150)).
  const uint64_t X = e >= 118 ? m << (e - 118) : (118 - e < 64 ? m >> (118 - e) : 0);
  if (X == 0) return {0x3f800000u, kFlagNx};  // |x| < 2^-32: e^x rounds to 1
  // t = |x| * log2(e) with 40 fraction bits (< 2^48), negated for x < 0.
  const unsigned __int128 p = static_cast<unsigned __int128>(X) * vec_tab::kLog2eQ39;
  const int64_t tmag = static_cast<int64_t>(p >> 31);
  const int64_t t = neg ? -tmag : tmag;
  const int64_t k = t >> 40;  // floor (arithmetic shift)
  const uint64_t f = static_cast<uint64_t>(t) & ((uint64_t(1) << 40) - 1);
  const uint64_t d = f & ((uint64_t(1) << 22) - 1);
  const uint64_t dl = uint64_t(0x80000000u) + ((d * vec_tab::kLn2Q32) >> 41);  // 1 + d*ln2
  const uint64_t r1 = (uint64_t(vec_tab::kExp[0][(f >> 34) & 63]) * vec_tab::kExp[1][(f >> 28) & 63]) >> 31;
  const uint64_t r2 = ((r1 & 0xffffffffu) * vec_tab::kExp[2][(f >> 22) & 63]) >> 31;
  uint64_t r3 = ((r2 & 0xffffffffu) * dl) >> 31;
  if (r3 > 0xffffffffu) r3 = 0xffffffffu;
  // 2^f in [1, 2) as 1.31; 24 significand bits, guard and sticky for ts_fp_round.
  const uint64_t mant = ((r3 >> 6) << 1) | ((r3 & 63) != 0);
  uint8_t fl = 0;
  const uint32_t bits = fp_round(false, int32_t(k) + 127, mant, 8, 23, &fl);
  fl |= kFlagNx;
  if ((bits >> 23) == 0) fl |= kFlagUf;
  return {bits, fl};
}

}  // namespace tessera::golden
