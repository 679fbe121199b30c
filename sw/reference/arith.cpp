// SPDX-License-Identifier: Apache-2.0
// Independent arithmetic references (host FPU with fenv flags, _Float16, MPFR, int128).
#include "tessera/reference/arith.hpp"

#include <mpfr.h>

#include <cfenv>
#include <cmath>
#include <cstring>

#include "tessera/golden/arith.hpp"

namespace tessera::ref {
namespace {

using golden::kFlagDz;
using golden::kFlagNv;
using golden::kFlagNx;
using golden::kFlagOf;
using golden::kFlagUf;

uint32_t fbits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bitsf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint8_t host_flags() {
  int e = std::fetestexcept(FE_ALL_EXCEPT);
  uint8_t f = 0;
  if (e & FE_INEXACT) f |= kFlagNx;
  if (e & FE_UNDERFLOW) f |= kFlagUf;
  if (e & FE_OVERFLOW) f |= kFlagOf;
  if (e & FE_DIVBYZERO) f |= kFlagDz;
  if (e & FE_INVALID) f |= kFlagNv;
  return f;
}

template <class F>
Out host_fp32(F f) {
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile float r = f();
  return {fbits(r), host_flags()};
}

// Rounds an exact MPFR value to bfloat16 (RNE, subnormals, overflow to Inf) and sets
// IEEE flags; tininess is judged after rounding with an unbounded exponent range.
Out mpfr_to_bf16(mpfr_srcptr exact) {
  if (mpfr_zero_p(exact)) return {uint32_t(mpfr_signbit(exact) ? 0x8000u : 0u), 0};
  mpfr_t unb, r;
  mpfr_inits2(8, unb, r, static_cast<mpfr_ptr>(nullptr));
  mpfr_set(unb, exact, MPFR_RNDN);
  uint8_t flags = 0;
  // MPFR exponents put the significand in [1/2, 1): |x| < 2^-126 iff exp <= -126.
  const bool tiny = mpfr_get_exp(unb) <= -126;
  const mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
  mpfr_set_emin(-132);  // 2^-133 is the smallest subnormal bf16 (MPFR's m in [1/2, 1))
  mpfr_set_emax(128);
  mpfr_clear_flags();
  int t = mpfr_set(r, exact, MPFR_RNDN);
  t = mpfr_check_range(r, t, MPFR_RNDN);
  t = mpfr_subnormalize(r, t, MPFR_RNDN);
  const bool overflow = mpfr_overflow_p();
  mpfr_set_emin(emin);
  mpfr_set_emax(emax);
  if (t != 0) flags |= kFlagNx;
  if (overflow) flags |= kFlagOf | kFlagNx;
  if (tiny && t != 0) flags |= kFlagUf;
  uint32_t bits;
  if (mpfr_inf_p(r)) {
    bits = mpfr_signbit(r) ? 0xff80u : 0x7f80u;
  } else {
    bits = fbits(mpfr_get_flt(r, MPFR_RNDN)) >> 16;  // exact: r has 8 significant bits
  }
  mpfr_clears(unb, r, static_cast<mpfr_ptr>(nullptr));
  return {bits, flags};
}

}  // namespace

Out fp16_to_fp32(uint16_t a) {
  _Float16 h;
  std::memcpy(&h, &a, 2);
  volatile _Float16 vh = h;
  return host_fp32([&] { return static_cast<float>(vh); });
}

Out bf16_to_fp32(uint16_t a) {
  const bool s = a >> 15;
  const int e = (a >> 7) & 0xff;
  const int f = a & 0x7f;
  if (e == 0xff) {
    if (f == 0) return {s ? 0xff800000u : 0x7f800000u, 0};
    return {golden::kFp32QNan, uint8_t((f & 0x40) ? 0 : kFlagNv)};
  }
  mpfr_t x;
  mpfr_init2(x, 24);
  long mant = e ? (0x80 | f) : f;
  long exp = (e ? e : 1) - 127 - 7;
  mpfr_set_si_2exp(x, s ? -mant : mant, exp, MPFR_RNDN);
  float v = mpfr_get_flt(x, MPFR_RNDN);
  mpfr_clear(x);
  if (mant == 0) v = s ? -0.0f : 0.0f;
  return {fbits(v), 0};
}

Out fp32_to_fp16(uint32_t a) {
  volatile float f = bitsf(a);
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile _Float16 h = static_cast<_Float16>(f);
  uint8_t flags = host_flags();
  _Float16 hh = h;
  uint16_t bits;
  std::memcpy(&bits, &hh, 2);
  return {bits, flags};
}

Out fp32_to_bf16(uint32_t a) {
  float f = bitsf(a);
  if (std::isnan(f)) return {golden::kBf16QNan, uint8_t((a & 0x400000u) ? 0 : kFlagNv)};
  if (std::isinf(f)) return {(a >> 16) & 0xffffu, 0};
  mpfr_t x;
  mpfr_init2(x, 24);
  mpfr_set_flt(x, f, MPFR_RNDN);  // exact
  Out o = mpfr_to_bf16(x);
  mpfr_clear(x);
  return o;
}

Out fp16_mul(uint16_t a, uint16_t b) {
  _Float16 ha, hb;
  std::memcpy(&ha, &a, 2);
  std::memcpy(&hb, &b, 2);
  volatile _Float16 va = ha, vb = hb;
  // Widening is exact, so the FP32 product of the widened values is the exact product
  // rounded once; the flags of both steps accumulate (sNaN raises invalid on widening).
  return host_fp32([&] {
    volatile float fa = static_cast<float>(va);
    volatile float fb = static_cast<float>(vb);
    return fa * fb;
  });
}

Out bf16_mul(uint16_t a, uint16_t b) {
  volatile float fa = bitsf(uint32_t(a) << 16), fb = bitsf(uint32_t(b) << 16);
  return host_fp32([&] { return fa * fb; });
}

Out fp32_add(uint32_t a, uint32_t b) {
  volatile float x = bitsf(a), y = bitsf(b);
  return host_fp32([&] { return x + y; });
}
Out fp32_sub(uint32_t a, uint32_t b) {
  volatile float x = bitsf(a), y = bitsf(b);
  return host_fp32([&] { return x - y; });
}
Out fp32_mul(uint32_t a, uint32_t b) {
  volatile float x = bitsf(a), y = bitsf(b);
  return host_fp32([&] { return x * y; });
}
Out fp32_div(uint32_t a, uint32_t b) {
  volatile float x = bitsf(a), y = bitsf(b);
  return host_fp32([&] { return x / y; });
}
Out fp32_sqrt(uint32_t a) {
  volatile float x = bitsf(a);
  return host_fp32([&] { return std::sqrt(static_cast<float>(x)); });
}

int32_t int8_mac(int8_t a, int8_t b, int32_t acc) {
  int64_t v = int64_t(acc) + int64_t(a) * int64_t(b);
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
}

Out int_requant(int32_t x, int32_t mult, int shift, int32_t zero_point, int8_t act_min,
                int8_t act_max) {
  if (shift < -31 || shift > 30) return {0, 1};
  const int ls = shift > 0 ? shift : 0;
  const int rs = shift > 0 ? 0 : -shift;
  // x * 2^ls wraps modulo 2^32 as in TFLite's int32 arithmetic.
  const __int128 xs = static_cast<int32_t>(static_cast<uint32_t>(x) << ls);
  __int128 hi;
  if (xs == INT32_MIN && mult == INT32_MIN) {
    hi = INT32_MAX;  // the one product that does not fit
  } else {
    __int128 p = xs * static_cast<__int128>(mult);
    __int128 num = p + (static_cast<__int128>(1) << 30);
    __int128 den = static_cast<__int128>(1) << 31;
    hi = num / den - ((num % den != 0) && (num < 0) ? 1 : 0);  // floor(p/2^31 + 1/2)
  }
  __int128 r = hi;
  if (rs > 0) {
    __int128 mag = hi < 0 ? -hi : hi;
    __int128 q = (mag + (static_cast<__int128>(1) << (rs - 1))) >> rs;
    r = hi < 0 ? -q : q;
  }
  __int128 v = r + zero_point;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return {static_cast<uint32_t>(static_cast<uint8_t>(static_cast<int8_t>(v))), 0};
}

}  // namespace tessera::ref
