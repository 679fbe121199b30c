// SPDX-License-Identifier: Apache-2.0
// ts_fp32_div_pipe and ts_fp32_sqrt_pipe at several BitsPerStage: golden/reference
// checks back-to-back and with gaps, constant latency, agreement with the iterative units.
#include <cstring>
#include <deque>

#include "Vts_fp32_div.h"
#include "Vts_fp32_div_pipe.h"
#include "Vts_fp32_div_pipe_b1.h"
#include "Vts_fp32_div_pipe_b4.h"
#include "Vts_fp32_sqrt.h"
#include "Vts_fp32_sqrt_pipe.h"
#include "Vts_fp32_sqrt_pipe_b1.h"
#include "Vts_fp32_sqrt_pipe_b4.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

// ---- The pipelined units as stream-checkable operations (tb/arith_units.hpp) ----

template <class VTop>
struct DivPipeUnit : Fp32Binary<VTop> {
  using In = Fp32Pair;
  static constexpr bool kIterative = false;
  static Out golden(const In& in) { return Div::golden(in); }
  static Out reference(const In& in) { return Div::reference(in); }
  static std::string show(const In& in) { return Div::show(in); }
};

template <class VTop>
struct SqrtPipeUnit : Sqrt {
  using Top = VTop;
  static constexpr bool kIterative = false;
  static void drive(Top& t, const In& in) { t.a_i = in.a; }
  static Out read(const Top& t) { return {t.res_o, static_cast<uint8_t>(t.flags_o)}; }
};

// One Verilated build of a pipelined unit: its descriptor, the matching iterative unit
// and the latency the RTL documents, ceil(27 / BitsPerStage) + 2.
template <class PipeUnit, class IterUnit, unsigned kBits>
struct Variant {
  using Unit = PipeUnit;
  using Iter = IterUnit;
  static constexpr unsigned kBitsPerStage = kBits;
  static constexpr unsigned kLatency = (27 + kBits - 1) / kBits + 2;
};

using DivB1 = Variant<DivPipeUnit<Vts_fp32_div_pipe_b1>, Div, 1>;
using DivB3 = Variant<DivPipeUnit<Vts_fp32_div_pipe>, Div, 3>;     // the default
using DivB4 = Variant<DivPipeUnit<Vts_fp32_div_pipe_b4>, Div, 4>;  // 27 = 6 * 4 + 3
using SqrtB1 = Variant<SqrtPipeUnit<Vts_fp32_sqrt_pipe_b1>, Sqrt, 1>;
using SqrtB3 = Variant<SqrtPipeUnit<Vts_fp32_sqrt_pipe>, Sqrt, 3>;
using SqrtB4 = Variant<SqrtPipeUnit<Vts_fp32_sqrt_pipe_b4>, Sqrt, 4>;

struct VariantName {
  template <class V>
  static std::string GetName(int) {
    return "B" + std::to_string(V::kBitsPerStage);
  }
};

// ---- Operand generators ----

uint32_t fp32_subnormal(std::mt19937_64& rng) {
  uint32_t f = (uint32_t(rng()) & 0x007fffffu) >> (rng() % 23);
  if (f == 0) f = 1;
  return f | (rng() % 2 ? 0x80000000u : 0u);
}

uint32_t fp32_normal_exp(std::mt19937_64& rng, uint32_t e) {
  return (uint32_t(rng()) & 0x807fffffu) | (e << 23);
}

// Subnormal dividends and divisors, and normal pairs whose quotient is subnormal.
Fp32Pair div_subnormal(std::mt19937_64& rng) {
  switch (rng() % 5) {
    case 0:
      return {fp32_subnormal(rng), fp32_subnormal(rng)};
    case 1:
      return {fp32_subnormal(rng), fp32_normal_exp(rng, 1 + uint32_t(rng() % 254))};
    case 2:
      return {fp32_normal_exp(rng, 1 + uint32_t(rng() % 254)), fp32_subnormal(rng)};
    case 3: {  // quotient between about 2^-150 and 2^-120
      uint32_t ea = 1 + uint32_t(rng() % 100);
      uint32_t eb = ea + 120 + uint32_t(rng() % 31);
      if (eb > 254) eb = 254;
      return {fp32_normal_exp(rng, ea), fp32_normal_exp(rng, eb)};
    }
    default:
      return {fp32_subnormal(rng), fp32_normal_exp(rng, 100 + uint32_t(rng() % 60))};
  }
}

Fp32Pair div_random(std::mt19937_64& rng) {
  return rng() % 4 == 0 ? div_subnormal(rng) : fp32_pair_edges(rng, true);
}

SqrtIn sqrt_subnormal(std::mt19937_64& rng) {
  uint32_t a = fp32_subnormal(rng);
  if (rng() % 4 != 0) a &= 0x7fffffffu;
  return {a};
}

SqrtIn sqrt_mixed(std::mt19937_64& rng) {
  return rng() % 4 == 0 ? sqrt_subnormal(rng) : sqrt_random(rng);
}

// Per-unit inputs: directed specials and the random mixes above.
std::vector<Fp32Pair> specials(const Fp32Pair*) {
  std::vector<Fp32Pair> in;
  for (uint32_t a : fp32_specials())
    for (uint32_t b : fp32_specials()) in.push_back({a, b});
  return in;
}
std::vector<SqrtIn> specials(const SqrtIn*) {
  std::vector<SqrtIn> in;
  for (uint32_t a : fp32_specials()) in.push_back({a});
  // Perfect squares and their neighbours (exact results, near ties).
  for (uint32_t k = 1; k < 3000; ++k) {
    float f = float(k) * float(k);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    for (int d = -1; d <= 1; ++d) in.push_back({uint32_t(int64_t(u) + d)});
  }
  return in;
}
Fp32Pair random_in(std::mt19937_64& rng, const Fp32Pair*) { return div_random(rng); }
SqrtIn random_in(std::mt19937_64& rng, const SqrtIn*) { return sqrt_mixed(rng); }
Fp32Pair subnormal_in(std::mt19937_64& rng, const Fp32Pair*) { return div_subnormal(rng); }
SqrtIn subnormal_in(std::mt19937_64& rng, const SqrtIn*) { return sqrt_subnormal(rng); }

template <class In>
std::vector<In> random_vectors(std::mt19937_64& rng, size_t n, bool subnormal_only) {
  std::vector<In> in(n);
  for (auto& v : in) {
    v = subnormal_only ? subnormal_in(rng, static_cast<const In*>(nullptr))
                       : random_in(rng, static_cast<const In*>(nullptr));
  }
  return in;
}

// ---- Drivers that return the results ----

// Operands offered with in_valid_i low: random, so that a unit that looks at them fails.
Fp32Pair idle_operands(std::mt19937_64& rng, const Fp32Pair*) {
  return {uint32_t(rng()), uint32_t(rng())};
}
SqrtIn idle_operands(std::mt19937_64& rng, const SqrtIn*) { return {uint32_t(rng())}; }

// Streams `in` through a pipelined unit, idle cycles at probability `gap`. Fails the
// test unless every result appears exactly `latency` edges after the edge that took its
// input (counting both) and out_valid_o is never high otherwise, also for latency + 2
// idle edges at the end. Returns the results in order.
template <class Unit>
std::vector<Out> run_pipe(tb::Sim<typename Unit::Top>& sim,
                          const std::vector<typename Unit::In>& in, double gap, unsigned latency,
                          std::mt19937_64& rng) {
  using In = typename Unit::In;
  auto& t = sim.top();
  std::bernoulli_distribution idle(gap);
  std::deque<uint64_t> due;  // edge after which each outstanding result must be valid
  std::vector<Out> out;
  out.reserve(in.size());
  size_t sent = 0;
  unsigned timing_errors = 0;
  uint64_t edge = 0;
  auto timing_error = [&](const std::string& what) {
    if (timing_errors++ < 10) ADD_FAILURE() << what << " after edge " << edge;
  };
  while (sent < in.size() || !due.empty()) {
    const bool v = sent < in.size() && !(gap > 0 && idle(rng));
    t.in_valid_i = v;
    Unit::drive(t, v ? in[sent] : idle_operands(rng, static_cast<const In*>(nullptr)));
    sim.tick();
    ++edge;
    if (v) {
      due.push_back(edge + latency - 1);
      ++sent;
    }
    const bool expected = !due.empty() && due.front() == edge;
    if (expected) {
      due.pop_front();
      if (t.out_valid_o) {
        out.push_back(Unit::read(t));
      } else {
        timing_error("missing out_valid_o (latency " + std::to_string(latency) + ")");
      }
    } else if (t.out_valid_o) {
      timing_error("unexpected out_valid_o");
    }
  }
  t.in_valid_i = 0;
  for (unsigned i = 0; i < latency + 2; ++i) {
    sim.tick();
    ++edge;
    if (t.out_valid_o) timing_error("out_valid_o without an input");
  }
  EXPECT_EQ(timing_errors, 0u);
  return out;
}

// One operation at a time through an iterative unit (ready/valid); returns the results.
template <class Unit>
std::vector<Out> run_iterative(tb::Sim<typename Unit::Top>& sim,
                               const std::vector<typename Unit::In>& in) {
  auto& t = sim.top();
  std::vector<Out> out;
  out.reserve(in.size());
  for (const auto& x : in) {
    t.in_valid_i = 1;
    Unit::drive(t, x);
    sim.eval();
    sim.run_until([&t] { return t.in_ready_o != 0; }, 100);
    sim.tick();  // accepted
    t.in_valid_i = 0;
    sim.run_until([&t] { return t.out_valid_o != 0; }, 100);
    out.push_back(Unit::read(t));
  }
  return out;
}

// ---- Typed tests over the BitsPerStage variants ----

template <class V>
class PipeTest : public ::testing::Test {
 public:
  using Unit = typename V::Unit;
  using In = typename Unit::In;
  using Top = typename Unit::Top;

  // RTL vs golden vs independent reference, `gap` = probability of an idle cycle.
  void check(const std::vector<In>& in, double gap, uint64_t seed) {
    tb::Sim<Top> sim(test_name(), uint32_t(seed));
    sim.reset();
    std::mt19937_64 rng(seed);
    Stats st;
    check_stream<Unit>(sim, in, gap, rng, &st);
    expect_clean(st, in.size());
  }
};

template <class V>
using Fp32DivPipe = PipeTest<V>;
template <class V>
using Fp32SqrtPipe = PipeTest<V>;

using DivVariants = ::testing::Types<DivB1, DivB3, DivB4>;
using SqrtVariants = ::testing::Types<SqrtB1, SqrtB3, SqrtB4>;
TYPED_TEST_SUITE(Fp32DivPipe, DivVariants, VariantName);
TYPED_TEST_SUITE(Fp32SqrtPipe, SqrtVariants, VariantName);

// Typed suites share their bodies through these templates (one per test).
template <class Fix>
void body_specials(Fix* f) {
  using In = typename Fix::In;
  auto in = specials(static_cast<const In*>(nullptr));
  f->check(in, 0.0, 11);  // back-to-back
  f->check(in, 0.5, 12);  // with gaps
}

template <class Fix>
void body_random(Fix* f, double gap, uint64_t n_default, bool subnormal_only) {
  using In = typename Fix::In;
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(n_default);
  std::mt19937_64 rng(seed);
  f->check(random_vectors<In>(rng, n, subnormal_only), gap, seed);
}

// Results exactly Latency cycles after their inputs, idle inputs ignored, and the same
// bits and flags as the iterative unit and the golden model.
template <class V>
void body_agrees(uint64_t n, double gap) {
  using Unit = typename V::Unit;
  using Iter = typename V::Iter;
  using In = typename Unit::In;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  std::vector<In> in = specials(static_cast<const In*>(nullptr));
  if (in.size() > 1000) in.resize(1000);
  for (auto& v : random_vectors<In>(rng, vectors(n), false)) in.push_back(v);

  tb::Sim<typename Unit::Top> pipe(test_name() + ".pipe", uint32_t(seed));
  pipe.reset();
  const std::vector<Out> p = run_pipe<Unit>(pipe, in, gap, V::kLatency, rng);
  ASSERT_EQ(p.size(), in.size());

  tb::Sim<typename Iter::Top> iter(test_name() + ".iter", uint32_t(seed) + 1);
  iter.reset();
  const std::vector<Out> it = run_iterative<Iter>(iter, in);
  ASSERT_EQ(it.size(), in.size());

  unsigned bad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Out g = Unit::golden(in[i]);
    if (!same(p[i], it[i]) || !same(p[i], g)) {
      if (bad++ < 10) {
        ADD_FAILURE() << Unit::show(in[i]) << ": pipelined " << show(p[i], 8) << ", iterative "
                      << show(it[i], 8) << ", golden " << show(g, 8);
      }
    }
  }
  EXPECT_EQ(bad, 0u);
  ::testing::Test::RecordProperty("vectors", std::to_string(in.size()));
}

TYPED_TEST(Fp32DivPipe, SpecialPairs) { body_specials<PipeTest<TypeParam>>(this); }
TYPED_TEST(Fp32DivPipe, RandomBackToBack) {
  body_random<PipeTest<TypeParam>>(this, 0.0, 200000, false);
}
TYPED_TEST(Fp32DivPipe, RandomGaps) { body_random<PipeTest<TypeParam>>(this, 0.3, 200000, false); }
TYPED_TEST(Fp32DivPipe, Subnormals) { body_random<PipeTest<TypeParam>>(this, 0.1, 100000, true); }
TYPED_TEST(Fp32DivPipe, LatencyAndAgreesWithIterative) { body_agrees<TypeParam>(20000, 0.3); }
TYPED_TEST(Fp32DivPipe, BackToBackAgreesWithIterative) { body_agrees<TypeParam>(5000, 0.0); }

TYPED_TEST(Fp32SqrtPipe, SpecialValues) { body_specials<PipeTest<TypeParam>>(this); }
TYPED_TEST(Fp32SqrtPipe, RandomBackToBack) {
  body_random<PipeTest<TypeParam>>(this, 0.0, 200000, false);
}
TYPED_TEST(Fp32SqrtPipe, RandomGaps) { body_random<PipeTest<TypeParam>>(this, 0.3, 200000, false); }
TYPED_TEST(Fp32SqrtPipe, Subnormals) { body_random<PipeTest<TypeParam>>(this, 0.1, 100000, true); }
TYPED_TEST(Fp32SqrtPipe, LatencyAndAgreesWithIterative) { body_agrees<TypeParam>(20000, 0.3); }
TYPED_TEST(Fp32SqrtPipe, BackToBackAgreesWithIterative) { body_agrees<TypeParam>(5000, 0.0); }

// The documented latencies, spelled out (a change of the formula must update the docs).
TEST(Fp32DivSqrtPipe, LatencyFormula) {
  EXPECT_EQ(DivB1::kLatency, 29u);
  EXPECT_EQ(DivB3::kLatency, 11u);
  EXPECT_EQ(DivB4::kLatency, 9u);
  // 3 / 2 = 1.5 and sqrt(2.25) = 1.5 appear exactly kLatency edges after their input.
  tb::Sim<Vts_fp32_div_pipe> div(test_name() + ".div");
  div.reset();
  div->a_i = 0x40400000u;
  div->b_i = 0x40000000u;
  div->in_valid_i = 1;
  div.tick();
  div->in_valid_i = 0;
  uint64_t waited = div.run_until([&] { return div->out_valid_o != 0; }, 100);
  EXPECT_EQ(waited + 1, DivB3::kLatency);
  EXPECT_EQ(div->res_o, 0x3fc00000u);
  EXPECT_EQ(div->flags_o, 0);
  tb::Sim<Vts_fp32_sqrt_pipe> sq(test_name() + ".sqrt");
  sq.reset();
  sq->a_i = 0x40100000u;
  sq->in_valid_i = 1;
  sq.tick();
  sq->in_valid_i = 0;
  waited = sq.run_until([&] { return sq->out_valid_o != 0; }, 100);
  EXPECT_EQ(waited + 1, SqrtB3::kLatency);
  EXPECT_EQ(sq->res_o, 0x3fc00000u);
  EXPECT_EQ(sq->flags_o, 0);
}

// ---- Long runs of the default build (slow label) ----

TEST(Fp32DivPipeSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_div_pipe> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<DivB3::Unit>(sim, n, seed, div_random, 0.05), n);
}

TEST(Fp32SqrtPipeSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_fp32_sqrt_pipe> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<SqrtB3::Unit>(sim, n, seed, sqrt_mixed, 0.05), n);
}

}  // namespace
}  // namespace tessera::test
