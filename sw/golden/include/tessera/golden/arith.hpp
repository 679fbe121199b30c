// SPDX-License-Identifier: Apache-2.0
// Bit-exact C++ models of the rtl/arith units, one function per hardware operation.
#pragma once

#include <cstdint>

namespace tessera::golden {

// IEEE exception flags, RISC-V fflags order (same bits as ts_pkg::Flag*).
enum Flag : uint8_t {
  kFlagNx = 1u << 0,  // inexact
  kFlagUf = 1u << 1,  // underflow: tiny after rounding and inexact
  kFlagOf = 1u << 2,  // overflow
  kFlagDz = 1u << 3,  // divide by zero
  kFlagNv = 1u << 4,  // invalid
};

// 16-bit floating-point formats (same codes as ts_pkg::FmtFp16 / FmtBf16).
enum class Fmt16 : uint8_t { kFp16 = 0, kBf16 = 1 };

constexpr uint32_t kFp32QNan = 0x7fc00000u;
constexpr uint16_t kFp16QNan = 0x7e00u;
constexpr uint16_t kBf16QNan = 0x7fc0u;

struct Fp32Result {
  uint32_t bits;
  uint8_t flags;
};

struct Fp16Result {
  uint16_t bits;
  uint8_t flags;
};

struct RequantResult {
  int8_t q;
  bool err;  // shift outside [-31, 30]: refused, q = 0
};

// ts_fp_round: RNE of value = mant * 2^(exp - bias - (frac_bits + 3)) into a binary
// format with exp_bits/frac_bits. mant is 0 or normalised with the top bit at
// frac_bits + 3; its lowest two bits are sticky. Returns bits and OF/UF/NX flags.
uint32_t fp_round(bool sign, int32_t exp, uint64_t mant, int exp_bits, int frac_bits,
                  uint8_t* flags);

Fp32Result fp_widen(Fmt16 fmt, uint16_t a);              // ts_fp_widen
Fp16Result fp_narrow(Fmt16 fmt, uint32_t a);             // ts_fp_narrow
Fp32Result fp_mul16(Fmt16 fmt, uint16_t a, uint16_t b);  // ts_fp_mul16
Fp32Result fp32_add(uint32_t a, uint32_t b);             // ts_fp32_add (sub_i = 0)
Fp32Result fp32_sub(uint32_t a, uint32_t b);             // ts_fp32_add (sub_i = 1)
Fp32Result fp32_mul(uint32_t a, uint32_t b);             // ts_fp32_mul
Fp32Result fp32_div(uint32_t a, uint32_t b);             // ts_fp32_div
Fp32Result fp32_sqrt(uint32_t a);                        // ts_fp32_sqrt
int32_t int8_mac(int8_t a, int8_t b, int32_t acc);       // ts_int8_mac
RequantResult int_requant(int32_t x, int32_t mult, int shift, int32_t zero_point,
                          int8_t act_min, int8_t act_max);  // ts_int_requant

// Helpers shared by tests and models.
inline bool fp32_is_nan(uint32_t x) { return (x & 0x7fffffffu) > 0x7f800000u; }
inline bool fp16_is_nan(Fmt16 fmt, uint16_t x) {
  return fmt == Fmt16::kFp16 ? (x & 0x7fffu) > 0x7c00u : (x & 0x7fffu) > 0x7f80u;
}

}  // namespace tessera::golden
