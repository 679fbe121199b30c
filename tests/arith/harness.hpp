// SPDX-License-Identifier: Apache-2.0
// Streams vectors through one arith unit and checks RTL vs golden vs independent reference.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "reference.hpp"
#include "sim.hpp"
#include "tessera/golden/arith.hpp"

namespace tessera::test {

using Out = ref::Out;

inline bool operator==(const Out& a, const Out& b) {
  return a.bits == b.bits && a.flags == b.flags;
}

inline std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llx", digits, static_cast<unsigned long long>(v));
  return buf;
}

inline std::string show(const Out& o, int digits) {
  return hex(o.bits, digits) + "/f" + hex(o.flags, 2);
}

// Unit describes one hardware operation:
//   using Top, In;  static constexpr bool kIterative;  static constexpr int kDigits;
//   drive(Top&, const In&), read(const Top&) -> Out, golden(const In&) -> Out,
//   reference(const In&) -> Out, is_nan(bits), qnan(), show(const In&) -> string.
struct Stats {
  uint64_t vectors = 0;
  uint64_t rtl_vs_golden = 0;
  uint64_t golden_vs_ref = 0;
  uint64_t cycles = 0;
};

// The golden and the reference agree when the bits and flags are equal, or when the
// reference gives any NaN and the golden gives the canonical quiet NaN with equal flags.
template <class Unit>
bool agrees_with_reference(const Out& gold, const Out& ref) {
  if (Unit::is_nan(ref.bits)) return gold.bits == Unit::qnan() && gold.flags == ref.flags;
  return gold == ref;
}

// Runs `in` through the RTL (one vector per cycle for pipelined units, one per
// handshake for iterative ones), with idle cycles inserted at probability `bubble`.
template <class Unit>
void check_stream(tb::Sim<typename Unit::Top>& sim, const std::vector<typename Unit::In>& in,
                  double bubble, std::mt19937_64& rng, Stats* st) {
  auto& top = sim.top();
  std::bernoulli_distribution idle(bubble);
  std::vector<Out> rtl(in.size());
  size_t sent = 0, got = 0;
  bool offered = false;
  uint64_t quiet = 0;
  const uint64_t c0 = sim.cycles();
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
      ASSERT_LT(got, in.size()) << "more results than operations";
      rtl[got++] = Unit::read(top);
      quiet = 0;
    } else if (++quiet > 1000) {
      FAIL() << "no result for 1000 cycles after " << got << " of " << in.size();
    }
  }
  top.in_valid_i = 0;
  st->cycles += sim.cycles() - c0;

  int shown = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Out g = Unit::golden(in[i]);
    const Out r = Unit::reference(in[i]);
    const bool ok_rtl = rtl[i] == g;
    const bool ok_ref = agrees_with_reference<Unit>(g, r);
    st->rtl_vs_golden += !ok_rtl;
    st->golden_vs_ref += !ok_ref;
    if ((!ok_rtl || !ok_ref) && shown++ < 10) {
      ADD_FAILURE() << Unit::show(in[i]) << ": rtl " << show(rtl[i], Unit::kDigits)
                    << ", golden " << show(g, Unit::kDigits) << ", reference "
                    << show(r, Unit::kDigits);
    }
  }
  st->vectors += in.size();
}

// Runs `n` random vectors from gen(rng) in chunks (bounded memory for 10^8 runs).
template <class Unit, class Gen>
Stats check_random(tb::Sim<typename Unit::Top>& sim, uint64_t n, uint64_t seed, Gen gen,
                   double bubble = 0.05) {
  std::mt19937_64 rng(seed);
  Stats st;
  const uint64_t chunk = 1 << 20;
  std::vector<typename Unit::In> in;
  for (uint64_t done = 0; done < n; done += in.size()) {
    in.clear();
    for (uint64_t i = 0; i < chunk && done + i < n; ++i) in.push_back(gen(rng));
    check_stream<Unit>(sim, in, bubble, rng, &st);
    if (::testing::Test::HasFatalFailure() || st.rtl_vs_golden + st.golden_vs_ref > 0) break;
  }
  return st;
}

inline void expect_clean(const Stats& st, uint64_t expected_vectors) {
  EXPECT_EQ(st.vectors, expected_vectors);
  EXPECT_EQ(st.rtl_vs_golden, 0u) << "RTL differs from the golden model";
  EXPECT_EQ(st.golden_vs_ref, 0u) << "golden model differs from the independent reference";
  ::testing::Test::RecordProperty("vectors", std::to_string(st.vectors));
  ::testing::Test::RecordProperty("cycles", std::to_string(st.cycles));
}

// ---- Operand generators ----

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

// Pairs whose result lands near FP32's edges for multiply and divide.
inline std::pair<uint32_t, uint32_t> fp32_pair_edges(std::mt19937_64& rng, bool divide) {
  uint32_t a = fp32_random(rng);
  uint32_t b = fp32_random(rng);
  if (rng() % 2) {
    int ea = int((a >> 23) & 0xff);
    if (ea == 0 || ea == 255) return {a, b};
    // target result exponent near 0 (subnormal boundary) or near 254 (overflow)
    int target = (rng() % 2) ? int(rng() % 30) - 24 : 254 + int(rng() % 6) - 3;
    int eb = divide ? ea - target + 127 : target - ea + 127;
    if (eb >= 1 && eb <= 254) b = (b & 0x807fffffu) | (uint32_t(eb) << 23);
  }
  return {a, b};
}

// 16-bit codes of every special class for FP16 and BF16.
inline std::vector<uint16_t> fp16_specials(golden::Fmt16 fmt) {
  std::vector<uint16_t> v;
  if (fmt == golden::Fmt16::kFp16) {
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

}  // namespace tessera::test
