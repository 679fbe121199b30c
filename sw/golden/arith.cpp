// SPDX-License-Identifier: Apache-2.0
// Bit-exact models of rtl/arith: integer-only, following the RTL's algorithms step by step.
#include "tessera/golden/arith.hpp"

namespace tessera::golden {
namespace {

int clz_width(uint64_t x, int width) {
  int n = 0;
  for (int i = width - 1; i >= 0 && !((x >> i) & 1u); --i) ++n;
  return n;
}

struct Unpacked32 {
  bool sign, nan, snan, inf, zero;
  int32_t exp_eff;  // biased, 1 for subnormals
  uint32_t mant;    // 24 bits with hidden bit
};

Unpacked32 unpack32(uint32_t x) {
  Unpacked32 u{};
  uint32_t e = (x >> 23) & 0xffu;
  uint32_t f = x & 0x7fffffu;
  u.sign = x >> 31;
  u.nan = e == 0xff && f != 0;
  u.snan = u.nan && !(f & 0x400000u);
  u.inf = e == 0xff && f == 0;
  u.zero = (x & 0x7fffffffu) == 0;
  u.exp_eff = e == 0 ? 1 : static_cast<int32_t>(e);
  u.mant = (e != 0 ? 0x800000u : 0u) | f;
  return u;
}

Fp32Result nan_result(bool invalid) { return {kFp32QNan, invalid ? uint8_t(kFlagNv) : uint8_t(0)}; }

// Product of two significands with `frac` fraction bits each, effective FP32-biased
// exponents, rounded to FP32 (shared by ts_fp32_mul and ts_fp_mul16).
Fp32Result mul_core(bool sign, int32_t ea, int32_t eb, uint64_t ma, uint64_t mb, int frac) {
  const int pw = 2 * (frac + 1);
  uint64_t prod = ma * mb;
  if (prod == 0) return {uint32_t(sign) << 31, 0};
  int lz = clz_width(prod, pw);
  uint64_t pn = prod << lz;  // top bit at pw - 1
  uint64_t mant;
  if (pw >= 27) {
    int drop = pw - 27 + 1;  // keep 26 bits, OR the rest into bit 0
    uint64_t kept = pn >> drop;
    uint64_t lost = pn & ((uint64_t(1) << drop) - 1);
    mant = (kept << 1) | (lost != 0);
  } else {
    mant = pn << (27 - pw);
  }
  // value = prod * 2^(ea+eb-254-2*frac); the rounder's scale is 2^(exp-153) for mant.
  // For both significand widths the RTL uses (24 and 11 bits) this gives one formula.
  int32_t exp = ea + eb - 126 - lz;
  uint8_t flags = 0;
  uint32_t bits = fp_round(sign, exp, mant, 8, 23, &flags);
  return {bits, flags};
}

}  // namespace

uint32_t fp_round(bool sign, int32_t exp, uint64_t mant, int exp_bits, int frac_bits,
                  uint8_t* flags) {
  const int mw = frac_bits + 4;
  const uint32_t max_exp = (1u << exp_bits) - 1;
  const uint32_t sign_bit = uint32_t(sign) << (exp_bits + frac_bits);
  *flags = 0;
  if (mant == 0) return sign_bit;
  const bool denorm = exp < 1;
  int shamt = 0;
  if (denorm) shamt = (1 - exp) >= mw ? mw : (1 - exp);
  uint64_t lost_mask = (uint64_t(1) << shamt) - 1;
  bool lost = (mant & lost_mask) != 0;
  uint64_t sh = shamt >= 64 ? 0 : (mant >> shamt);
  bool guard = (sh >> 2) & 1u;
  bool sticky = (sh & 3u) != 0 || lost;
  bool lsb = (sh >> 3) & 1u;
  bool round_up = guard && (sticky || lsb);
  bool inexact = guard || sticky;
  uint64_t exp_field = denorm ? 0 : (uint64_t(exp) & max_exp);
  uint64_t frac = (sh >> 3) & ((uint64_t(1) << frac_bits) - 1);
  uint64_t mag = ((exp_field << frac_bits) | frac) + (round_up ? 1 : 0);
  mag &= (uint64_t(1) << (exp_bits + frac_bits)) - 1;
  bool ovf_pre = !denorm && exp >= int32_t(max_exp);
  bool ovf_post = (mag >> frac_bits) == max_exp;
  uint64_t top_kept = mant >> 3;
  bool all_ones = top_kept == ((uint64_t(1) << (frac_bits + 1)) - 1);
  bool tiny = exp < 0 || (exp == 0 && !(all_ones && ((mant >> 2) & 1u)));
  if (ovf_pre || ovf_post) {
    *flags = kFlagOf | kFlagNx;
    return sign_bit | (max_exp << frac_bits);
  }
  if (inexact) *flags |= kFlagNx;
  if (inexact && tiny) *flags |= kFlagUf;
  return sign_bit | uint32_t(mag);
}

Fp32Result fp_widen(Fmt16 fmt, uint16_t a) {
  bool s = a >> 15;
  if (fmt == Fmt16::kBf16) {
    uint32_t e = (a >> 7) & 0xffu, f = a & 0x7fu;
    if (e == 0xff && f != 0) return nan_result(!(f & 0x40u));
    return {uint32_t(a) << 16, 0};
  }
  uint32_t e = (a >> 10) & 0x1fu, f = a & 0x3ffu;
  if (e == 0x1f) {
    if (f == 0) return {(uint32_t(s) << 31) | 0x7f800000u, 0};
    return nan_result(!(f & 0x200u));
  }
  if (e != 0) return {(uint32_t(s) << 31) | ((e + 112) << 23) | (f << 13), 0};
  if (f == 0) return {uint32_t(s) << 31, 0};
  int lz = clz_width(f, 10);
  uint32_t frac = (f << (lz + 1)) & 0x3ffu;
  return {(uint32_t(s) << 31) | (uint32_t(112 - lz) << 23) | (frac << 13), 0};
}

Fp16Result fp_narrow(Fmt16 fmt, uint32_t a) {
  Unpacked32 u = unpack32(a);
  const bool bf = fmt == Fmt16::kBf16;
  if (u.nan) return {bf ? kBf16QNan : kFp16QNan, u.snan ? uint8_t(kFlagNv) : uint8_t(0)};
  if (u.inf) return {uint16_t((uint32_t(u.sign) << 15) | (bf ? 0x7f80u : 0x7c00u)), 0};
  if (u.mant == 0) return {uint16_t(uint32_t(u.sign) << 15), 0};
  int lz = clz_width(u.mant, 24);
  uint64_t mn = uint64_t(u.mant) << lz;
  int32_t e32 = u.exp_eff - lz;
  uint8_t flags = 0;
  uint32_t bits;
  if (bf) {
    uint64_t mant = ((mn >> 14) << 1) | ((mn & 0x3fffu) != 0);
    bits = fp_round(u.sign, e32, mant, 8, 7, &flags);
  } else {
    uint64_t mant = ((mn >> 11) << 1) | ((mn & 0x7ffu) != 0);
    bits = fp_round(u.sign, e32 - 112, mant, 5, 10, &flags);
  }
  return {uint16_t(bits), flags};
}

Fp32Result fp_mul16(Fmt16 fmt, uint16_t a, uint16_t b) {
  struct U {
    bool nan, snan, inf, zero;
    int32_t e;
    uint64_t m;
  };
  auto unpack = [fmt](uint16_t x) {
    U u{};
    if (fmt == Fmt16::kBf16) {
      uint32_t e = (x >> 7) & 0xffu, f = x & 0x7fu;
      u.nan = e == 0xff && f != 0;
      u.snan = u.nan && !(f & 0x40u);
      u.inf = e == 0xff && f == 0;
      u.m = ((e != 0 ? 0x80u : 0u) | f) << 3;
      u.e = e == 0 ? 1 : int32_t(e);
    } else {
      uint32_t e = (x >> 10) & 0x1fu, f = x & 0x3ffu;
      u.nan = e == 0x1f && f != 0;
      u.snan = u.nan && !(f & 0x200u);
      u.inf = e == 0x1f && f == 0;
      u.m = (e != 0 ? 0x400u : 0u) | f;
      u.e = (e == 0 ? 1 : int32_t(e)) + 112;
    }
    u.zero = (x & 0x7fffu) == 0;
    return u;
  };
  U ua = unpack(a), ub = unpack(b);
  bool sign = ((a ^ b) >> 15) & 1u;
  if (ua.nan || ub.nan) return nan_result(ua.snan || ub.snan);
  if ((ua.inf && ub.zero) || (ub.inf && ua.zero)) return nan_result(true);
  if (ua.inf || ub.inf) return {(uint32_t(sign) << 31) | 0x7f800000u, 0};
  return mul_core(sign, ua.e, ub.e, ua.m, ub.m, 10);
}

Fp32Result fp32_mul(uint32_t a, uint32_t b) {
  Unpacked32 ua = unpack32(a), ub = unpack32(b);
  bool sign = ua.sign ^ ub.sign;
  if (ua.nan || ub.nan) return nan_result(ua.snan || ub.snan);
  if ((ua.inf && ub.zero) || (ub.inf && ua.zero)) return nan_result(true);
  if (ua.inf || ub.inf) return {(uint32_t(sign) << 31) | 0x7f800000u, 0};
  return mul_core(sign, ua.exp_eff, ub.exp_eff, ua.mant, ub.mant, 23);
}

namespace {
Fp32Result add_core(uint32_t a, uint32_t b, bool sub) {
  uint32_t bb = b ^ (sub ? 0x80000000u : 0u);
  Unpacked32 ua = unpack32(a), ub = unpack32(bb);
  if (ua.nan || ub.nan) return nan_result(ua.snan || ub.snan);
  if (ua.inf && ub.inf && ua.sign != ub.sign) return nan_result(true);
  bool swap = (bb & 0x7fffffffu) > (a & 0x7fffffffu);
  const Unpacked32& x = swap ? ub : ua;
  const Unpacked32& y = swap ? ua : ub;
  if (ua.inf || ub.inf) return {(uint32_t(x.sign) << 31) | 0x7f800000u, 0};
  int32_t d = x.exp_eff - y.exp_eff;
  uint64_t x27 = uint64_t(x.mant) << 3;
  uint64_t y27f = uint64_t(y.mant) << 3;
  uint64_t y27;
  if (d >= 27) {
    y27 = y27f != 0 ? 1 : 0;
  } else {
    uint64_t lost = y27f & ((uint64_t(1) << d) - 1);
    y27 = (y27f >> d) | (lost != 0);
  }
  bool eff_sub = x.sign != y.sign;
  uint64_t sum = eff_sub ? x27 - y27 : x27 + y27;
  if (sum == 0) return {uint32_t(x.sign && y.sign) << 31, 0};
  uint64_t mant;
  int32_t exp;
  if (sum >> 27) {
    mant = (sum >> 1) | (sum & 1u);
    exp = x.exp_eff + 1;
  } else {
    int lz = clz_width(sum, 27);
    mant = sum << lz;
    exp = x.exp_eff - lz;
  }
  uint8_t flags = 0;
  uint32_t bits = fp_round(x.sign, exp, mant, 8, 23, &flags);
  return {bits, flags};
}
}  // namespace

Fp32Result fp32_add(uint32_t a, uint32_t b) { return add_core(a, b, false); }
Fp32Result fp32_sub(uint32_t a, uint32_t b) { return add_core(a, b, true); }

namespace {
// Normalises a finite nonzero operand: significand top bit at 23, matching exponent.
void normalise(const Unpacked32& u, uint64_t* m, int32_t* e) {
  int lz = clz_width(u.mant, 24);
  *m = uint64_t(u.mant) << lz;
  *e = u.exp_eff - lz;
}
}  // namespace

Fp32Result fp32_div(uint32_t a, uint32_t b) {
  Unpacked32 ua = unpack32(a), ub = unpack32(b);
  bool sign = ua.sign ^ ub.sign;
  uint32_t sbit = uint32_t(sign) << 31;
  if (ua.nan || ub.nan) return nan_result(ua.snan || ub.snan);
  if ((ua.inf && ub.inf) || (ua.zero && ub.zero)) return nan_result(true);
  if (ua.inf) return {sbit | 0x7f800000u, 0};
  if (ub.zero) return {sbit | 0x7f800000u, kFlagDz};
  if (ua.zero || ub.inf) return {sbit, 0};
  uint64_t ma, mb;
  int32_t ea, eb;
  normalise(ua, &ma, &ea);
  normalise(ub, &mb, &eb);
  bool pre = ma < mb;
  uint64_t rem = pre ? ma << 1 : ma;
  uint64_t q = 0;
  for (int i = 0; i < 27; ++i) {  // restoring division, one bit per step as in the RTL
    bool bit = rem >= mb;
    if (bit) rem -= mb;
    q = (q << 1) | bit;
    rem <<= 1;
  }
  uint64_t mant = (q & ~uint64_t(1)) | ((q & 1u) | (rem != 0));
  int32_t exp = ea - eb + 127 - (pre ? 1 : 0);
  uint8_t flags = 0;
  uint32_t bits = fp_round(sign, exp, mant, 8, 23, &flags);
  return {bits, flags};
}

Fp32Result fp32_sqrt(uint32_t a) {
  Unpacked32 u = unpack32(a);
  if (u.nan) return nan_result(u.snan);
  if (u.zero) return {a, 0};
  if (u.sign) return nan_result(true);
  if (u.inf) return {a, 0};
  uint64_t m;
  int32_t e;
  normalise(u, &m, &e);
  int32_t et = e - 127;
  bool odd = et & 1;
  int32_t ee = et - (odd ? 1 : 0);
  // Radicand m * 2^29 (54 bits), consumed two bits per step from the top.
  unsigned __int128 rad = static_cast<unsigned __int128>(odd ? m << 1 : m) << 29;
  uint64_t rem = 0, root = 0;
  for (int i = 26; i >= 0; --i) {
    rem = (rem << 2) | uint64_t((rad >> (2 * i)) & 3u);
    uint64_t trial = (root << 2) | 1u;
    bool bit = rem >= trial;
    if (bit) rem -= trial;
    root = (root << 1) | bit;
  }
  uint64_t mant = root | (rem != 0);
  uint8_t flags = 0;
  uint32_t bits = fp_round(false, ee / 2 + 127, mant, 8, 23, &flags);
  return {bits, flags};
}

int32_t int8_mac(int8_t a, int8_t b, int32_t acc) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) +
                              static_cast<uint32_t>(int32_t(a) * int32_t(b)));
}

RequantResult int_requant(int32_t x, int32_t mult, int shift, int32_t zero_point,
                          int8_t act_min, int8_t act_max) {
  if (shift < -31 || shift > 30) return {0, true};
  int ls = shift > 0 ? shift : 0;
  int rs = shift > 0 ? 0 : -shift;
  int32_t xs = static_cast<int32_t>(static_cast<uint32_t>(x) << ls);
  // SaturatingRoundingDoublingHighMul (gemmlowp).
  int32_t hi;
  if (xs == INT32_MIN && mult == INT32_MIN) {
    hi = INT32_MAX;
  } else {
    int64_t ab = int64_t(xs) * int64_t(mult);
    int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
    hi = static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));
  }
  // RoundingDivideByPOT (gemmlowp).
  int32_t mask = static_cast<int32_t>((int64_t(1) << rs) - 1);
  int32_t remainder = hi & mask;
  int32_t threshold = (mask >> 1) + (hi < 0 ? 1 : 0);
  int32_t r = (hi >> rs) + (remainder > threshold ? 1 : 0);
  int64_t v = int64_t(r) + zero_point;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return {static_cast<int8_t>(v), false};
}

}  // namespace tessera::golden
