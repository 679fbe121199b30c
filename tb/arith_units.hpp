// SPDX-License-Identifier: Apache-2.0
// The rtl/arith units as stream-checkable operations: how to drive and read each
// Verilated unit, its golden model and its independent reference; operand generators;
// and the driver that streams vectors through a unit and compares all three.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "Vts_fp32_add.h"
#include "Vts_fp32_div.h"
#include "Vts_fp32_mul.h"
#include "Vts_fp32_sqrt.h"
#include "Vts_fp_mul16.h"
#include "Vts_fp_narrow.h"
#include "Vts_fp_widen.h"
#include "Vts_int8_mac.h"
#include "Vts_int_requant.h"
#include "fp_operands.hpp"
#include "sim.hpp"
#include "tessera/golden/arith.hpp"
#include "tessera/reference/arith.hpp"

namespace tessera::tb::arith {

using golden::Fmt16;
using Out = ref::Out;

inline bool same(const Out& a, const Out& b) { return a.bits == b.bits && a.flags == b.flags; }

inline std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}
inline std::string show(const Out& o, int digits) {
  return hex(o.bits, digits) + "/f" + hex(o.flags, 2);
}
inline const char* fmt_name(Fmt16 f) { return f == Fmt16::kFp16 ? "fp16" : "bf16"; }

// ---- Unit descriptors ----
// Each has: Top, In, kIterative (handshake instead of one per cycle), kDigits,
// drive(Top&, In), read(Top) -> Out, golden(In), reference(In), is_nan(bits),
// qnan(in) (the canonical NaN the golden must give where the reference gives a NaN),
// show(In).

struct WidenIn {
  Fmt16 fmt;
  uint16_t a;
};
struct Widen {
  using Top = Vts_fp_widen;
  using In = WidenIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_widen(in.fmt, in.a);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp16_to_fp32(in.a) : ref::bf16_to_fp32(in.a);
  }
  static bool is_nan(const In&, uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan(const In&) { return golden::kFp32QNan; }
  static std::string show(const In& in) { return std::string(fmt_name(in.fmt)) + " " + hex(in.a, 4); }
};

struct NarrowIn {
  Fmt16 fmt;
  uint32_t a;
};
struct Narrow {
  using Top = Vts_fp_narrow;
  using In = NarrowIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 4;
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_narrow(in.fmt, in.a);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp32_to_fp16(in.a) : ref::fp32_to_bf16(in.a);
  }
  static bool is_nan(const In& in, uint32_t b) { return golden::fp16_is_nan(in.fmt, uint16_t(b)); }
  static uint32_t qnan(const In& in) {
    return in.fmt == Fmt16::kFp16 ? golden::kFp16QNan : golden::kBf16QNan;
  }
  static std::string show(const In& in) {
    return std::string("to ") + fmt_name(in.fmt) + " " + hex(in.a, 8);
  }
};

struct Mul16In {
  Fmt16 fmt;
  uint16_t a, b;
};
template <class VTop>
struct Mul16Unit {
  using Top = VTop;
  using In = Mul16In;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.fmt_i = static_cast<uint8_t>(in.fmt);
    t.a_i = in.a;
    t.b_i = in.b;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp_mul16(in.fmt, in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.fmt == Fmt16::kFp16 ? ref::fp16_mul(in.a, in.b) : ref::bf16_mul(in.a, in.b);
  }
  static bool is_nan(const In&, uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan(const In&) { return golden::kFp32QNan; }
  static std::string show(const In& in) {
    return std::string(fmt_name(in.fmt)) + " " + hex(in.a, 4) + " * " + hex(in.b, 4);
  }
};
using Mul16 = Mul16Unit<Vts_fp_mul16>;

// Two-operand FP32 operations share their In type and the parts below.
struct Fp32Pair {
  uint32_t a, b;
};
template <class VTop>
struct Fp32Binary {
  using Top = VTop;
  using In = Fp32Pair;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.a_i = in.a;
    t.b_i = in.b;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static bool is_nan(const In&, uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan(const In&) { return golden::kFp32QNan; }
};

template <class VTop>
struct Mul32Unit : Fp32Binary<VTop> {
  using In = Fp32Pair;
  static constexpr bool kIterative = false;
  static Out golden(const In& in) {
    auto r = golden::fp32_mul(in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) { return ref::fp32_mul(in.a, in.b); }
  static std::string show(const In& in) { return hex(in.a, 8) + " * " + hex(in.b, 8); }
};
using Mul32 = Mul32Unit<Vts_fp32_mul>;

struct Div : Fp32Binary<Vts_fp32_div> {
  static constexpr bool kIterative = true;
  static Out golden(const In& in) {
    auto r = golden::fp32_div(in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) { return ref::fp32_div(in.a, in.b); }
  static std::string show(const In& in) { return hex(in.a, 8) + " / " + hex(in.b, 8); }
};

struct AddIn {
  uint32_t a, b;
  bool sub;
};
template <class VTop>
struct AddUnit {
  using Top = VTop;
  using In = AddIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.a_i = in.a;
    t.b_i = in.b;
    t.sub_i = in.sub;
  }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = in.sub ? golden::fp32_sub(in.a, in.b) : golden::fp32_add(in.a, in.b);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) {
    return in.sub ? ref::fp32_sub(in.a, in.b) : ref::fp32_add(in.a, in.b);
  }
  static bool is_nan(const In&, uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan(const In&) { return golden::kFp32QNan; }
  static std::string show(const In& in) {
    return hex(in.a, 8) + (in.sub ? " - " : " + ") + hex(in.b, 8);
  }
};
using Add = AddUnit<Vts_fp32_add>;

struct SqrtIn {
  uint32_t a;
};
struct Sqrt {
  using Top = Vts_fp32_sqrt;
  using In = SqrtIn;
  static constexpr bool kIterative = true;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) { t.a_i = in.a; }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
  static Out golden(const In& in) {
    auto r = golden::fp32_sqrt(in.a);
    return {r.bits, r.flags};
  }
  static Out reference(const In& in) { return ref::fp32_sqrt(in.a); }
  static bool is_nan(const In&, uint32_t b) { return golden::fp32_is_nan(b); }
  static uint32_t qnan(const In&) { return golden::kFp32QNan; }
  static std::string show(const In& in) { return "sqrt " + hex(in.a, 8); }
};

struct MacIn {
  int8_t a, b;
  int32_t acc;
};
struct Mac {
  using Top = Vts_int8_mac;
  using In = MacIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.a_i = uint8_t(in.a);
    t.b_i = uint8_t(in.b);
    t.acc_i = uint32_t(in.acc);
  }
  static Out read(const Top& t) { return {t.acc_o, 0}; }
  static Out golden(const In& in) { return {uint32_t(golden::int8_mac(in.a, in.b, in.acc)), 0}; }
  static Out reference(const In& in) { return {uint32_t(ref::int8_mac(in.a, in.b, in.acc)), 0}; }
  static bool is_nan(const In&, uint32_t) { return false; }
  static uint32_t qnan(const In&) { return 0; }
  static std::string show(const In& in) {
    return std::to_string(in.a) + " * " + std::to_string(in.b) + " + " + std::to_string(in.acc);
  }
};

struct ReqIn {
  int32_t x, mult;
  int shift;
  int32_t zp;
  int8_t lo, hi;
};
template <class VTop>
struct RequantUnit {
  using Top = VTop;
  using In = ReqIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 2;
  static void drive(Top& t, const In& in) {
    t.x_i = uint32_t(in.x);
    t.mult_i = uint32_t(in.mult);
    t.shift_i = uint8_t(in.shift) & 0x3f;
    t.zero_point_i = uint32_t(in.zp);
    t.act_min_i = uint8_t(in.lo);
    t.act_max_i = uint8_t(in.hi);
  }
  static Out read(const Top& t) { return {t.q_o, static_cast<uint8_t>(t.err_o)}; }
  static Out golden(const In& in) {
    auto r = golden::int_requant(in.x, in.mult, in.shift, in.zp, in.lo, in.hi);
    return {uint32_t(uint8_t(r.q)), uint8_t(r.err)};
  }
  static Out reference(const In& in) {
    return ref::int_requant(in.x, in.mult, in.shift, in.zp, in.lo, in.hi);
  }
  static bool is_nan(const In&, uint32_t) { return false; }
  static uint32_t qnan(const In&) { return 0; }
  static std::string show(const In& in) {
    return "x=" + std::to_string(in.x) + " m=" + std::to_string(in.mult) +
           " s=" + std::to_string(in.shift) + " zp=" + std::to_string(in.zp) + " [" +
           std::to_string(in.lo) + "," + std::to_string(in.hi) + "]";
  }
};
using Requant = RequantUnit<Vts_int_requant>;

// ---- Checking ----

struct Stats {
  uint64_t vectors = 0;
  uint64_t rtl_vs_golden = 0;
  uint64_t golden_vs_ref = 0;
  uint64_t cycles = 0;
  double sim_seconds = 0;  // wall time spent clocking the model (no checking)
  bool stalled = false;    // the unit stopped producing results
};

// The golden and the reference agree when bits and flags are equal, or when the
// reference gives any NaN and the golden the canonical quiet NaN with equal flags.
template <class Unit>
bool agrees_with_reference(const typename Unit::In& in, const Out& gold, const Out& r) {
  if (Unit::is_nan(in, r.bits)) return gold.bits == Unit::qnan(in) && gold.flags == r.flags;
  return same(gold, r);
}

// Streams `in` through the RTL (one vector per cycle for pipelined units, one per
// handshake for iterative ones, idle cycles at probability `bubble`), then compares
// RTL vs golden vs reference. on_mismatch(text) is called for each disagreement.
template <class Unit>
void check_stream(Sim<typename Unit::Top>& sim, const std::vector<typename Unit::In>& in,
                  double bubble, std::mt19937_64& rng, Stats* st,
                  const std::function<void(const std::string&)>& on_mismatch) {
  auto& top = sim.top();
  std::bernoulli_distribution idle(bubble);
  std::vector<Out> rtl(in.size());
  size_t sent = 0, got = 0;
  bool offered = false;
  uint64_t quiet = 0;
  const uint64_t c0 = sim.cycles();
  const auto t0 = std::chrono::steady_clock::now();
  while (got < in.size()) {
    bool valid = false;
    if (sent < in.size()) valid = offered || !(bubble > 0 && idle(rng));
    top.in_valid_i = valid;
    if (valid) Unit::drive(top, in[sent]);
    sim.eval();
    bool ready = true;
    if constexpr (Unit::kIterative) ready = top.in_ready_o;
    offered = valid && !ready;  // a raised valid holds until accepted
    if (valid && ready) ++sent;
    sim.tick();
    if (top.out_valid_o) {
      if (got == in.size()) break;
      rtl[got++] = Unit::read(top);
      quiet = 0;
    } else if (++quiet > 1000) {
      st->stalled = true;
      on_mismatch("no result for 1000 cycles after " + std::to_string(got) + " of " +
                  std::to_string(in.size()));
      return;
    }
  }
  top.in_valid_i = 0;
  st->cycles += sim.cycles() - c0;
  st->sim_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (size_t i = 0; i < in.size(); ++i) {
    const Out g = Unit::golden(in[i]);
    const Out r = Unit::reference(in[i]);
    const bool ok_rtl = same(rtl[i], g);
    const bool ok_ref = agrees_with_reference<Unit>(in[i], g, r);
    st->rtl_vs_golden += !ok_rtl;
    st->golden_vs_ref += !ok_ref;
    if (!ok_rtl || !ok_ref) {
      on_mismatch(Unit::show(in[i]) + ": rtl " + show(rtl[i], Unit::kDigits) + ", golden " +
                  show(g, Unit::kDigits) + ", reference " + show(r, Unit::kDigits));
    }
  }
  st->vectors += in.size();
}

// `n` random vectors from gen(rng), in chunks of 2^20 (bounded memory for 10^8 runs).
template <class Unit, class Gen>
Stats check_random(Sim<typename Unit::Top>& sim, uint64_t n, uint64_t seed, Gen gen,
                   double bubble, const std::function<void(const std::string&)>& on_mismatch) {
  std::mt19937_64 rng(seed);
  Stats st;
  const uint64_t chunk = 1 << 20;
  std::vector<typename Unit::In> in;
  for (uint64_t done = 0; done < n; done += in.size()) {
    in.clear();
    for (uint64_t i = 0; i < chunk && done + i < n; ++i) in.push_back(gen(rng));
    check_stream<Unit>(sim, in, bubble, rng, &st, on_mismatch);
    if (st.stalled || st.rtl_vs_golden + st.golden_vs_ref > 0) break;
  }
  return st;
}

// ---- Operand generators ----

// Pairs whose product or quotient lands near FP32's subnormal or overflow edge.
inline Fp32Pair fp32_pair_edges(std::mt19937_64& rng, bool divide) {
  uint32_t a = fp32_random(rng);
  uint32_t b = fp32_random(rng);
  if (rng() % 2) {
    int ea = int((a >> 23) & 0xff);
    if (ea == 0 || ea == 255) return {a, b};
    int target = (rng() % 2) ? int(rng() % 30) - 24 : 254 + int(rng() % 6) - 3;
    int eb = divide ? ea - target + 127 : target - ea + 127;
    if (eb >= 1 && eb <= 254) b = (b & 0x807fffffu) | (uint32_t(eb) << 23);
  }
  return {a, b};
}

// Sums with close magnitudes (massive cancellation, alignment by 0..2) mixed in.
inline AddIn add_random(std::mt19937_64& rng) {
  AddIn in{fp32_random(rng), fp32_random(rng), bool(rng() % 2)};
  if (rng() % 3 == 0) {
    uint32_t flip = uint32_t(rng()) & ((1u << (rng() % 24)) - 1);
    in.b = (in.a ^ flip) ^ (rng() % 2 ? 0x80000000u : 0u);
  }
  return in;
}

// 16-bit products; for BF16 half of them land near FP32's range edges (its only rounding).
inline Mul16In mul16_random(std::mt19937_64& rng, Fmt16 fmt) {
  Mul16In in{fmt, uint16_t(rng()), uint16_t(rng())};
  if (fmt == Fmt16::kBf16 && rng() % 2) {
    int ea = 1 + int(rng() % 254);
    int target = (rng() % 2) ? int(rng() % 30) - 24 : 252 + int(rng() % 6);
    int eb = target - ea + 127;
    if (eb >= 1 && eb <= 254) {
      in.a = uint16_t((in.a & 0x807fu) | (ea << 7));
      in.b = uint16_t((in.b & 0x807fu) | (eb << 7));
    }
  }
  return in;
}

// FP32 values spread over (and around) the target format's range.
inline NarrowIn narrow_random(std::mt19937_64& rng, Fmt16 fmt) {
  uint32_t a = fp32_random(rng);
  if (fmt == Fmt16::kFp16 && rng() % 2) a = (a & 0x807fffffu) | (uint32_t(96 + rng() % 50) << 23);
  return {fmt, a};
}

inline SqrtIn sqrt_random(std::mt19937_64& rng) {
  uint32_t a = fp32_random(rng);
  if (rng() % 4 != 0) a &= 0x7fffffffu;  // mostly non-negative
  return {a};
}

inline MacIn mac_random(std::mt19937_64& rng) {
  return {int8_t(rng()), int8_t(rng()), int32_t(uint32_t(rng()))};
}

// TFLite-style multipliers in [2^30, 2^31), shifts mostly in the legal range, zero
// points and clamp ranges as a real model uses them; plus raw random operands.
inline ReqIn requant_random(std::mt19937_64& rng) {
  ReqIn in;
  in.x = int32_t(uint32_t(rng()));
  if (rng() % 2) in.x >>= rng() % 31;
  in.mult = (rng() % 8) ? int32_t((1u << 30) + (uint32_t(rng()) & 0x3fffffffu))
                        : int32_t(uint32_t(rng()));
  in.shift = int(rng() % 40) - 33;
  if (rng() % 8 == 0) in.shift = int(rng() % 32);
  in.zp = (rng() % 8) ? int32_t(rng() % 256) - 128 : int32_t(uint32_t(rng()));
  int lo = int(rng() % 256) - 128, hi = int(rng() % 256) - 128;
  if (rng() % 2) {
    lo = -128;
    hi = 127;
  }
  if (lo > hi && rng() % 2) std::swap(lo, hi);
  in.lo = int8_t(lo);
  in.hi = int8_t(hi);
  return in;
}

// 16-bit codes of every special class for FP16 and BF16.
inline std::vector<uint16_t> fp16_specials(Fmt16 fmt) {
  std::vector<uint16_t> v;
  if (fmt == Fmt16::kFp16) {
    v = {0x0000, 0x0001, 0x0002, 0x01ff, 0x0200, 0x03ff, 0x0400, 0x0401, 0x07ff, 0x3bff,
         0x3c00, 0x3c01, 0x3e00, 0x3fff, 0x4000, 0x5bff, 0x7bfe, 0x7bff, 0x7c00, 0x7e00,
         0x7e01, 0x7c01, 0x7dff};
  } else {
    v = {0x0000, 0x0001, 0x0002, 0x003f, 0x0040, 0x007f, 0x0080, 0x0081, 0x00ff, 0x3f7f,
         0x3f80, 0x3f81, 0x3fc0, 0x3fff, 0x4000, 0x7f00, 0x7f7e, 0x7f7f, 0x7f80, 0x7fc0,
         0x7fc1, 0x7f81, 0x7fbf};
  }
  const size_t n = v.size();
  for (size_t i = 0; i < n; ++i) v.push_back(v[i] | 0x8000u);
  return v;
}

}  // namespace tessera::tb::arith
