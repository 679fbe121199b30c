// SPDX-License-Identifier: Apache-2.0
// Independent references for rtl/arith: host IEEE FP32 with fenv flags, GCC _Float16,
// MPFR for BF16, and exact (128-bit) integer arithmetic. Nothing here shares code with
// sw/golden, so a bug common to the RTL and its golden model still shows.
#pragma once

#include <cstdint>

namespace tessera::ref {

struct Out {
  uint32_t bits;
  uint8_t flags;  // golden::Flag bits
};

Out fp16_to_fp32(uint16_t a);   // _Float16 -> float on the host
Out bf16_to_fp32(uint16_t a);   // MPFR decode of the fields
Out fp32_to_fp16(uint32_t a);   // float -> _Float16 on the host
Out fp32_to_bf16(uint32_t a);   // MPFR, precision 8 with emulated subnormals
Out fp16_mul(uint16_t a, uint16_t b);  // host float product of the widened operands
Out bf16_mul(uint16_t a, uint16_t b);
Out fp32_add(uint32_t a, uint32_t b);
Out fp32_sub(uint32_t a, uint32_t b);
Out fp32_mul(uint32_t a, uint32_t b);
Out fp32_div(uint32_t a, uint32_t b);
Out fp32_sqrt(uint32_t a);
int32_t int8_mac(int8_t a, int8_t b, int32_t acc);
// Requantisation from the mathematical definition: round-half-up of x*m/2^31 (with the
// single saturating case), then round-half-away-from-zero division by 2^rs, exactly.
Out int_requant(int32_t x, int32_t mult, int shift, int32_t zero_point, int8_t act_min,
                int8_t act_max);

}  // namespace tessera::ref
