// SPDX-License-Identifier: Apache-2.0
// Bit-exact models of the vector unit's operations (rtl/vec).
#include "tessera/golden/vec.hpp"

#include "tessera/vec_tables_gen.hpp"

#include <cassert>
#include <cstddef>

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

namespace {

constexpr uint32_t kNegInf = 0xff800000u;
constexpr uint32_t kNegZero = 0x80000000u;
constexpr uint32_t kFltMax = 0x7f7fffffu;
constexpr uint32_t kOne = 0x3f800000u;

bool is_snan(uint32_t x) { return fp32_is_nan(x) && (x & 0x00400000u) == 0; }

// a < b as reals, -0 below +0 (a, b not NaN).
bool less(uint32_t a, uint32_t b) {
  const bool sa = (a >> 31) != 0, sb = (b >> 31) != 0;
  const uint32_t ma = a & 0x7fffffffu, mb = b & 0x7fffffffu;
  if (sa != sb) return sa;
  return sa ? ma > mb : ma < mb;
}

Fp32Result minmax(uint32_t a, uint32_t b, bool min) {
  if (fp32_is_nan(a) || fp32_is_nan(b)) {
    return {kFp32QNan, uint8_t((is_snan(a) || is_snan(b)) ? kFlagNv : 0)};
  }
  const bool a_lt_b = less(a, b);
  return {(a_lt_b != min) ? b : a, 0};
}

// The reduction's combination (tree, fold, racc): fp32_add, or max for MAX.
Fp32Result combine(VecRed red, uint32_t a, uint32_t b) {
  return red == VecRed::kMax ? vec_max(a, b) : fp32_add(a, b);
}

}  // namespace

Fp32Result vec_max(uint32_t a, uint32_t b) { return minmax(a, b, false); }
Fp32Result vec_min(uint32_t a, uint32_t b) { return minmax(a, b, true); }

Fp32Result vec_op1(VecOp1 op, uint32_t a, uint32_t b) {
  switch (op) {
    case VecOp1::kPass: return {a, 0};
    case VecOp1::kAdd: return fp32_add(a, b);
    case VecOp1::kSub: return fp32_sub(a, b);
    case VecOp1::kMul: return fp32_mul(a, b);
    case VecOp1::kMax: return vec_max(a, b);
    case VecOp1::kMin: return vec_min(a, b);
  }
  assert(false && "op1 out of range");
  return {a, 0};
}

Fp32Result vec_fn(VecFn fn, uint32_t t) {
  switch (fn) {
    case VecFn::kNone: return {t, 0};
    case VecFn::kExp: return vec_exp(t);
    case VecFn::kRecip: return fp32_div(kOne, t);
    case VecFn::kRsqrt: {
      const Fp32Result s = fp32_sqrt(t);
      const Fp32Result r = fp32_div(kOne, s.bits);
      return {r.bits, uint8_t(s.flags | r.flags)};
    }
    case VecFn::kRfp16:
    case VecFn::kRbf16: {
      const Fmt16 f = fn == VecFn::kRfp16 ? Fmt16::kFp16 : Fmt16::kBf16;
      const Fp16Result n = fp_narrow(f, t);
      const Fp32Result w = fp_widen(f, n.bits);
      return {w.bits, uint8_t(n.flags | w.flags)};
    }
  }
  assert(false && "fn out of range");
  return {t, 0};
}

bool vec_hidden(const VecCmd& cmd, int r, int c) {
  switch (cmd.mask) {
    case VecMask::kNone: return false;
    case VecMask::kCausal: return int64_t(c) > int64_t(r) + cmd.moff;
    case VecMask::kPad: return int64_t(c) >= cmd.moff;
  }
  assert(false && "mask out of range");
  return false;
}

Fp32Result vec_lane(const VecCmd& cmd, uint32_t a, uint32_t b, bool hidden) {
  uint32_t t = kNegInf;
  uint8_t fl = 0;
  if (!hidden) {
    const Fp32Result o = vec_op1(cmd.op1, a, b);
    t = o.bits;
    fl = o.flags;
    if (cmd.sat && (t & 0x7fffffffu) == 0x7f800000u) t = (t & 0x80000000u) | kFltMax;
  }
  const Fp32Result u = vec_fn(cmd.fn, t);
  return {u.bits, uint8_t(fl | u.flags)};
}

uint8_t vec_run(const VecCmd& cmd, int dim, std::vector<uint32_t>& acc,
                std::vector<uint16_t>& spad) {
  assert(dim >= 2 && (dim & (dim - 1)) == 0);
  assert(cmd.rows >= 1 && cmd.cols >= 1);
  assert(cmd.dst != VecDst::kNone || cmd.red != VecRed::kNone);
  const size_t d = size_t(dim);
  const int nblk = (cmd.cols + dim - 1) / dim;
  auto at = [&](uint32_t row, int lane) -> uint32_t& {
    assert((size_t(row) + 1) * d <= acc.size());
    return acc[size_t(row) * d + size_t(lane)];
  };
  const bool sumsq = cmd.red == VecRed::kSumSq;
  const uint32_t identity = cmd.red == VecRed::kMax ? kNegInf : kNegZero;
  uint8_t flags = 0;
  std::vector<uint32_t> s(cmd.rows);
  std::vector<uint32_t> u(d);
  for (int r = 0; r < cmd.rows; ++r) {
    const uint32_t a_row = cmd.a_addr + uint32_t(r) * cmd.stride;
    const uint32_t b_row = cmd.b_addr + uint32_t(r) * cmd.stride;
    const uint32_t d_row = cmd.d_addr + uint32_t(r) * cmd.stride;
    for (int j = 0; j < nblk; ++j) {
      for (int l = 0; l < dim; ++l) {
        const int c = j * dim + l;
        if (c >= cmd.cols) {
          u[size_t(l)] = 0;
          continue;
        }
        const uint32_t a = at(a_row + uint32_t(j), l);
        uint32_t b = 0;
        if (cmd.op1 != VecOp1::kPass) {
          switch (cmd.bsrc) {
            case VecBsrc::kMat: b = at(b_row + uint32_t(j), l); break;
            case VecBsrc::kRow: b = at(cmd.b_addr + uint32_t(r / dim), r % dim); break;
            case VecBsrc::kCol: b = at(cmd.b_addr + uint32_t(j), l); break;
            case VecBsrc::kImm: b = cmd.imm; break;
          }
        }
        const Fp32Result e = vec_lane(cmd, a, b, vec_hidden(cmd, r, c));
        u[size_t(l)] = e.bits;
        flags |= e.flags;
      }
      // Reduction of this block: leaves, balanced tree, fold.
      if (cmd.red != VecRed::kNone) {
        std::vector<uint32_t> lv(d);
        for (int l = 0; l < dim; ++l) {
          if (j * dim + l >= cmd.cols) {
            lv[size_t(l)] = identity;
          } else if (sumsq) {
            const Fp32Result q = fp32_mul(u[size_t(l)], u[size_t(l)]);
            lv[size_t(l)] = q.bits;
            flags |= q.flags;
          } else {
            lv[size_t(l)] = u[size_t(l)];
          }
        }
        for (size_t n = d; n > 1; n /= 2) {
          for (size_t i = 0; i < n / 2; ++i) {
            const Fp32Result x = combine(cmd.red, lv[2 * i], lv[2 * i + 1]);
            lv[i] = x.bits;
            flags |= x.flags;
          }
        }
        if (j == 0) {
          s[size_t(r)] = lv[0];
        } else {
          const Fp32Result x = combine(cmd.red, s[size_t(r)], lv[0]);
          s[size_t(r)] = x.bits;
          flags |= x.flags;
        }
      }
      // Destination row (lanes c >= cols were set to 0 above).
      switch (cmd.dst) {
        case VecDst::kNone: break;
        case VecDst::kAcc:
          for (int l = 0; l < dim; ++l) at(d_row + uint32_t(j), l) = u[size_t(l)];
          break;
        case VecDst::kSpadFp16:
        case VecDst::kSpadBf16: {
          const Fmt16 f = cmd.dst == VecDst::kSpadFp16 ? Fmt16::kFp16 : Fmt16::kBf16;
          const size_t row = size_t(d_row + uint32_t(j));
          assert((row + 1) * d <= spad.size());
          for (int l = 0; l < dim; ++l) {
            uint16_t h = 0;
            if (j * dim + l < cmd.cols) {
              const Fp16Result n = fp_narrow(f, u[size_t(l)]);
              h = n.bits;
              flags |= n.flags;
            }
            spad[row * d + size_t(l)] = h;
          }
          break;
        }
      }
    }
  }
  // s rows: only lanes r < rows change (s is disjoint from A, B and D).
  if (cmd.red != VecRed::kNone) {
    for (int r = 0; r < cmd.rows; ++r) {
      uint32_t& old = at(cmd.r_addr + uint32_t(r / dim), r % dim);
      uint32_t v = s[size_t(r)];
      if (cmd.racc) {
        const Fp32Result x = combine(cmd.red, old, v);
        v = x.bits;
        flags |= x.flags;
      }
      old = v;
    }
  }
  return flags;
}

}  // namespace tessera::golden
