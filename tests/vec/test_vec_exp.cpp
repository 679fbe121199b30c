// SPDX-License-Identifier: Apache-2.0
// ts_vec_exp: RTL bit for bit against golden::vec_exp, and the golden's error against the
// exact e^x (MPFR at 256 bits; the full-range sweep uses the host's double exp).
#include <mpfr.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "Vts_vec_exp.h"
#include "fp_operands.hpp"
#include "sim.hpp"
#include "tessera/golden/vec.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using golden::Fp32Result;

// The bound proven in docs/vec.md: the value before the final rounding errs by less than
// 2^-28.4 relative, so the result by less than 0.5 + 2^-28.4 / 2^-24 < 0.56 ulp.
constexpr double kMaxUlp = 0.56;

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// One unit in the last place of FP32 at the magnitude of v (subnormal spacing below
// 2^-126, 2^104 at and above 2^128 so that +Inf counts as 2^128).
double ulp_at(double v) {
  v = std::fabs(v);
  if (v < 0x1p-126) return 0x1p-149;
  if (v >= 0x1p128) return 0x1p104;
  int e;
  std::frexp(v, &e);
  return std::ldexp(1.0, e - 24);
}

double value_of(uint32_t bits) {
  if ((bits & 0x7fffffffu) == 0x7f800000u) return (bits >> 31) ? -0x1p128 : 0x1p128;
  return double(as_float(bits));
}

// |result - exact| in ulps of the exact value.
double ulp_error(uint32_t res, double exact) {
  if (exact > 0x1p128) exact = 0x1p128;  // rounds to +Inf, which counts as 2^128
  return std::fabs(value_of(res) - exact) / ulp_at(exact);
}

// e^x exact to 256 bits, returned as the nearest double (relative error 2^-53, far below
// the float ulp), and the correctly rounded FP32 result.
struct Exact {
  double value;
  uint32_t rounded;
};

Exact mpfr_exp_of(uint32_t x) {
  mpfr_t a, r;
  mpfr_init2(a, 256);
  mpfr_init2(r, 256);
  mpfr_set_flt(a, as_float(x), MPFR_RNDN);
  mpfr_exp(r, a, MPFR_RNDN);
  Exact e{mpfr_get_d(r, MPFR_RNDN), 0};
  // mpfr_get_flt rounds to nearest with subnormals and overflow to Inf.
  const float f = mpfr_get_flt(r, MPFR_RNDN);
  std::memcpy(&e.rounded, &f, 4);
  mpfr_clear(a);
  mpfr_clear(r);
  return e;
}

// The flags the documented contract requires for a finite x.
uint8_t expected_flags(uint32_t x, uint32_t res) {
  const uint32_t mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) return (mag & 0x00400000u) ? 0 : golden::kFlagNv;
  if (mag == 0x7f800000u || mag == 0) return 0;
  uint8_t f = golden::kFlagNx;
  if ((res & 0x7fffffffu) == 0x7f800000u) f |= golden::kFlagOf;
  if (((res >> 23) & 0xff) == 0) f |= golden::kFlagUf;
  return f;
}

struct ErrStats {
  uint64_t n = 0, correctly_rounded = 0, bad = 0;
  double max_ulp = 0;
  uint32_t worst = 0;
};

// Checks golden::vec_exp(x) against the exact value: specials, flags, the ulp bound.
void check_golden(uint32_t x, ErrStats* st) {
  const Fp32Result g = golden::vec_exp(x);
  const uint32_t mag = x & 0x7fffffffu;
  ++st->n;
  bool ok = g.flags == expected_flags(x, g.bits);
  if (mag > 0x7f800000u) {
    ok = ok && g.bits == golden::kFp32QNan;
  } else {
    const Exact e = mpfr_exp_of(x);
    st->correctly_rounded += g.bits == e.rounded;
    if (mag == 0x7f800000u || mag == 0) {
      ok = ok && g.bits == e.rounded;
    } else {
      const double err = ulp_error(g.bits, e.value);
      if (err > st->max_ulp) {
        st->max_ulp = err;
        st->worst = x;
      }
      ok = ok && err < kMaxUlp;
    }
  }
  if (!ok && st->bad++ < 10) {
    ADD_FAILURE() << std::hex << "exp(0x" << x << " = " << as_float(x) << "): golden 0x" << g.bits
                  << " flags 0x" << int(g.flags) << ", exact " << mpfr_exp_of(x).value;
  }
}

// Random inputs weighted to where e^x is finite and not 1: |x| in [2^-33, 128].
uint32_t exp_operand(std::mt19937_64& rng) {
  const uint32_t r = static_cast<uint32_t>(rng());
  switch (rng() % 4) {
    case 0:
      return tb::arith::fp32_random(rng);
    case 1:  // the result's whole range, uniform in x
      return [&] {
        const float x = float(std::uniform_real_distribution<double>(-104.0, 89.0)(rng));
        uint32_t b;
        std::memcpy(&b, &x, 4);
        return b;
      }();
    default:  // every binade from 2^-33 to 2^6, both signs
      return (r & 0x807fffffu) | (uint32_t(94 + rng() % 40) << 23);
  }
}

TEST(VecExpGolden, SpecialsAndEdges) {
  ErrStats st;
  for (uint32_t x : tb::arith::fp32_specials()) check_golden(x, &st);
  // Around the overflow and underflow thresholds and 1.0 ± 2^-32.
  for (float c : {88.72283935546875f, 88.7228317f, -87.33654f, -103.972084f, -103.27893f,
                  -104.0f, 127.99999f, -127.99999f, 0x1p-32f, -0x1p-32f, 0x1p-33f, 1.0f, -1.0f}) {
    uint32_t b;
    std::memcpy(&b, &c, 4);
    for (uint32_t d = 0; d < 64; ++d) {
      check_golden(b + d, &st);
      check_golden(b - d, &st);
    }
  }
  EXPECT_EQ(st.bad, 0u);
  // e^1 and e^-1 are the correctly rounded FP32 values of e and 1/e.
  EXPECT_EQ(golden::vec_exp(0x3f800000u).bits, mpfr_exp_of(0x3f800000u).rounded);
  EXPECT_EQ(golden::vec_exp(0xbf800000u).bits, mpfr_exp_of(0xbf800000u).rounded);
}

TEST(VecExpGolden, ErrorBoundRandom) {
  std::mt19937_64 rng(seed());
  ErrStats st;
  const uint64_t n = vectors(300000);
  for (uint64_t i = 0; i < n && st.bad < 10; ++i) check_golden(exp_operand(rng), &st);
  EXPECT_EQ(st.bad, 0u);
  EXPECT_LT(st.max_ulp, kMaxUlp);
  std::cout << "[ measured ] " << st.n << " inputs, max error " << st.max_ulp << " ulp at 0x"
            << std::hex << st.worst << std::dec << ", correctly rounded "
            << double(st.correctly_rounded) / double(st.n) << std::endl;
  RecordProperty("max_ulp", std::to_string(st.max_ulp));
}

// Every FP32 x with a finite, nonzero, non-1 result (|x| in [2^-32, 128)), against the
// host's double exp (error ~2^-53 relative, far below these figures). Prints one JSON line.
TEST(VecExpGolden, SweepAllSlow) {
  uint64_t n = 0, cr = 0, over_half = 0;
  double max_ulp = 0;
  uint32_t worst = 0;
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t mag = 0x2f800000u; mag < 0x43000000u; ++mag) {  // [2^-32, 128)
      const uint32_t x = (sign << 31) | mag;
      const double exact = std::exp(double(as_float(x)));
      const uint32_t g = golden::vec_exp(x).bits;
      const double err = ulp_error(g, exact);
      const float fr = float(exact);
      uint32_t rb;
      std::memcpy(&rb, &fr, 4);
      ++n;
      cr += g == rb;
      over_half += err > 0.5;
      if (err > max_ulp) {
        max_ulp = err;
        worst = x;
      }
    }
  }
  std::cout << "{\"op\":\"exp\",\"inputs\":" << n << ",\"max_ulp\":" << max_ulp
            << ",\"worst_x\":\"0x" << std::hex << worst << std::dec
            << "\",\"correctly_rounded\":" << double(cr) / double(n)
            << ",\"over_half_ulp\":" << over_half << "}" << std::endl;
  EXPECT_LT(max_ulp, kMaxUlp);
}

// Streams inputs through the RTL (random idle cycles) and compares every result with the
// golden model, bits and flags.
void check_rtl(tb::Sim<Vts_vec_exp>& sim, const std::vector<uint32_t>& in, std::mt19937_64& rng) {
  auto& top = sim.top();
  std::deque<uint32_t> pending;
  size_t sent = 0, got = 0, bad = 0;
  uint64_t quiet = 0;
  std::bernoulli_distribution idle(0.1);
  while (got < in.size()) {
    const bool v = sent < in.size() && !idle(rng);
    top.in_valid_i = v;
    if (v) {
      top.x_i = in[sent];
      pending.push_back(in[sent++]);
    }
    sim.tick();
    if (top.out_valid_o) {
      ASSERT_FALSE(pending.empty()) << "result without an input";
      const uint32_t x = pending.front();
      pending.pop_front();
      const Fp32Result g = golden::vec_exp(x);
      if ((top.res_o != g.bits || top.flags_o != g.flags) && bad++ < 10) {
        ADD_FAILURE() << std::hex << "exp(0x" << x << "): rtl 0x" << top.res_o << " flags 0x"
                      << int(top.flags_o) << ", golden 0x" << g.bits << " flags 0x"
                      << int(g.flags);
      }
      ++got;
      quiet = 0;
    } else {
      ASSERT_LT(++quiet, 100u) << "no result after " << got << " of " << in.size();
    }
  }
  top.in_valid_i = 0;
  EXPECT_EQ(bad, 0u);
}

TEST(VecExpRtl, MatchesGolden) {
  const uint64_t s = seed();
  std::mt19937_64 rng(s);
  tb::Sim<Vts_vec_exp> sim(test_name(), uint32_t(s));
  sim.reset();
  std::vector<uint32_t> in = tb::arith::fp32_specials();
  for (uint64_t i = 0; i < vectors(200000); ++i) in.push_back(exp_operand(rng));
  check_rtl(sim, in, rng);
  // Latency is 4 cycles, one result per cycle.
  tb::Sim<Vts_vec_exp> lat(test_name() + ".latency", uint32_t(s));
  lat.reset();
  lat->in_valid_i = 1;
  lat->x_i = 0x3f800000u;
  lat.tick();
  lat->in_valid_i = 0;
  for (int c = 1; c < 4; ++c) {
    EXPECT_FALSE(lat->out_valid_o) << "cycle " << c;
    lat.tick();
  }
  EXPECT_TRUE(lat->out_valid_o);
}

}  // namespace
}  // namespace tessera::test
