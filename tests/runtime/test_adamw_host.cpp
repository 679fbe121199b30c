// SPDX-License-Identifier: Apache-2.0
// AdamW host side: per-step scalars, validation, GradScaler vs PyTorch's algorithm,
// clipping helpers, and the FP64 reference's error bound against an FP32-state run.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/adamw.hpp"
#include "tessera/reference/adamw.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Half an FP32 ulp of x (x a normal FP32 value).
double half_ulp(double x) {
  int e;
  std::frexp(x, &e);
  return std::ldexp(1.0, e - 25);
}

// Hand values (Python floats, i.e. PyTorch's arithmetic, and 50-digit exact values):
// lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0.01, loss scale 2^16.
struct ScalarCase {
  uint64_t step;
  double bc2_sqrt_exact;  // sqrt(1 - 0.999^t)
  double neg_step_exact;  // -(1e-3 / (1 - 0.9^t))
  uint32_t bc2_sqrt_bits, neg_step_bits;
};

void PrintTo(const ScalarCase& c, std::ostream* os) { *os << "step " << c.step; }

class AdamWScalarsStep : public ::testing::TestWithParam<ScalarCase> {};

TEST_P(AdamWScalarsStep, DefaultsMatchHandValues) {
  const ScalarCase& c = GetParam();
  AdamWHyper h;  // PyTorch defaults
  h.lr = 1e-3;
  const AdamWScalars s = adamw_scalars(h, c.step, 65536.0);
  // Step-independent scalars.
  EXPECT_EQ(s.inv_loss_scale, 0x1p-16f);
  EXPECT_EQ(bits(s.decay), 0x3f7fff58u);         // float(0.99999)
  EXPECT_EQ(bits(s.one_minus_b1), 0x3dcccccdu);  // float(0.09999999999999998)
  EXPECT_EQ(bits(s.b2), 0x3f7fbe77u);            // float(0.999)
  EXPECT_EQ(bits(s.one_minus_b2), 0x3a83126fu);  // float(0.0010000000000000009)
  EXPECT_EQ(bits(s.eps), 0x322bcc77u);           // float(1e-8)
  EXPECT_TRUE(s.decay_enabled);
  EXPECT_EQ(s.decay, static_cast<float>(1.0 - 1e-3 * 0.01));
  EXPECT_EQ(s.one_minus_b1, static_cast<float>(0.1));
  // Bias corrections: the expected bits, and within half an ulp of the exact value.
  EXPECT_EQ(bits(s.bc2_sqrt), c.bc2_sqrt_bits) << s.bc2_sqrt;
  EXPECT_EQ(bits(s.neg_step), c.neg_step_bits) << s.neg_step;
  EXPECT_LE(std::fabs(double(s.bc2_sqrt) - c.bc2_sqrt_exact), half_ulp(c.bc2_sqrt_exact));
  EXPECT_LE(std::fabs(double(s.neg_step) - c.neg_step_exact), half_ulp(c.neg_step_exact));
}

INSTANTIATE_TEST_SUITE_P(
    Steps, AdamWScalarsStep,
    ::testing::Values(ScalarCase{1, 0.031622776601683793320, -0.01, 0x3d0186e2u, 0xbc23d70au},
                      ScalarCase{10, 0.099775346605520695229, -0.0015353399327876294979,
                                 0x3dcc5704u, 0xbac93d76u},
                      ScalarCase{1000, 0.79517581403676756658, -0.001, 0x3f4b90a4u, 0xba83126fu}),
    [](const ::testing::TestParamInfo<ScalarCase>& i) {
      return "Step" + std::to_string(i.param.step);
    });

TEST(AdamWScalars, OtherHyperParameters) {
  // LLM-style settings at step 10, loss scale 1000 (its reciprocal not a power of two).
  const AdamWHyper h{3e-4, 0.9, 0.95, 1e-6, 0.1};
  const AdamWScalars s = adamw_scalars(h, 10, 1000.0);
  EXPECT_EQ(s.inv_loss_scale, static_cast<float>(0.001));
  EXPECT_EQ(s.decay, static_cast<float>(0.99997));
  EXPECT_EQ(s.b2, static_cast<float>(0.95));
  EXPECT_EQ(s.one_minus_b2, static_cast<float>(1.0 - 0.95));
  EXPECT_EQ(s.eps, static_cast<float>(1e-6));
  // sqrt(1 - 0.95^10) = 0.63345328222..., -(3e-4 / (1 - 0.9^10)) = -4.6060197983...e-4
  // (Python floats; the same FP32 bits from exact values).
  EXPECT_EQ(bits(s.bc2_sqrt), 0x3f2229ffu);
  EXPECT_EQ(bits(s.neg_step), 0xb9f17cf4u);
  EXPECT_EQ(bits(s.decay), 0x3f7ffe09u);
}

TEST(AdamWScalars, ZeroWeightDecayDisablesDecay) {
  AdamWHyper h;
  h.weight_decay = 0;
  const AdamWScalars s = adamw_scalars(h, 1, 1.0);
  EXPECT_FALSE(s.decay_enabled);
  EXPECT_EQ(s.decay, 1.0f);
  h.weight_decay = 1e-30;  // tiny but not zero: still enabled (decay rounds to 1.0f)
  EXPECT_TRUE(adamw_scalars(h, 1, 1.0).decay_enabled);
}

TEST(AdamWScalars, ZeroLearningRateAllowed) {
  AdamWHyper h;
  h.lr = 0;
  const AdamWScalars s = adamw_scalars(h, 5, 1.0);
  EXPECT_EQ(s.neg_step, 0.0f);
  EXPECT_EQ(s.decay, 1.0f);
}

// Every invalid argument is refused on its own, with a message naming it.
struct BadCase {
  const char* name;
  AdamWHyper h;
  uint64_t step;
  double loss_scale;
  const char* needle;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class AdamWScalarsInvalid : public ::testing::TestWithParam<BadCase> {};

TEST_P(AdamWScalarsInvalid, Refused) {
  const BadCase& c = GetParam();
  try {
    adamw_scalars(c.h, c.step, c.loss_scale);
    FAIL() << "accepted " << c.name;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << e.what();
  }
}

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr AdamWHyper kDef{1e-3, 0.9, 0.999, 1e-8, 0.01};

// The defaults with one field replaced.
AdamWHyper with(double AdamWHyper::*field, double x) {
  AdamWHyper h = kDef;
  h.*field = x;
  return h;
}
const auto kLr = &AdamWHyper::lr;
const auto kB1 = &AdamWHyper::beta1;
const auto kB2 = &AdamWHyper::beta2;
const auto kEps = &AdamWHyper::eps;
const auto kWd = &AdamWHyper::weight_decay;

INSTANTIATE_TEST_SUITE_P(
    Cases, AdamWScalarsInvalid,
    ::testing::Values(BadCase{"LrNegative", with(kLr, -1e-3), 1, 1, "lr"},
                      BadCase{"LrInf", with(kLr, kInf), 1, 1, "lr"},
                      BadCase{"LrNaN", with(kLr, kNaN), 1, 1, "lr"},
                      BadCase{"Beta1Negative", with(kB1, -0.1), 1, 1, "beta1"},
                      BadCase{"Beta1One", with(kB1, 1.0), 1, 1, "beta1"},
                      BadCase{"Beta1NaN", with(kB1, kNaN), 1, 1, "beta1"},
                      BadCase{"Beta2Negative", with(kB2, -0.1), 1, 1, "beta2"},
                      BadCase{"Beta2One", with(kB2, 1.0), 1, 1, "beta2"},
                      BadCase{"Beta2NaN", with(kB2, kNaN), 1, 1, "beta2"},
                      BadCase{"EpsZero", with(kEps, 0.0), 1, 1, "eps"},
                      BadCase{"EpsNegative", with(kEps, -1e-8), 1, 1, "eps"},
                      BadCase{"EpsInf", with(kEps, kInf), 1, 1, "eps"},
                      BadCase{"EpsNaN", with(kEps, kNaN), 1, 1, "eps"},
                      BadCase{"EpsUnderflowsFp32", with(kEps, 1e-50), 1, 1, "eps"},
                      BadCase{"WdNegative", with(kWd, -0.01), 1, 1, "weight_decay"},
                      BadCase{"WdInf", with(kWd, kInf), 1, 1, "weight_decay"},
                      BadCase{"WdNaN", with(kWd, kNaN), 1, 1, "weight_decay"},
                      BadCase{"StepZero", kDef, 0, 1, "step"},
                      BadCase{"LossScaleZero", kDef, 1, 0.0, "loss_scale"},
                      BadCase{"LossScaleNegative", kDef, 1, -1.0, "loss_scale"},
                      BadCase{"LossScaleInf", kDef, 1, kInf, "loss_scale"},
                      BadCase{"LossScaleNaN", kDef, 1, kNaN, "loss_scale"},
                      BadCase{"LossScaleTinyInvOverflows", kDef, 1, 1e-300, "loss_scale"},
                      BadCase{"StepSizeOverflowsFp32", with(kLr, 1e38), 1, 1, "lr /"}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

// ---------------------------------------------------------------------------------------
// GradScaler against PyTorch's algorithm, written here from the PyTorch documentation of
// GradScaler.update / torch._amp_update_scale_: the scale is a float32 tensor, the
// factors Python floats; on found_inf scale *= backoff and the tracker resets; otherwise
// the tracker counts successful steps and at growth_interval the scale grows (unless the
// new float32 scale is non-finite) and the tracker resets.
struct TorchGradScaler {
  float scale;
  double growth_factor, backoff_factor;
  int growth_interval;
  int growth_tracker = 0;

  void update(bool found_inf) {
    if (found_inf) {
      scale = static_cast<float>(scale * backoff_factor);  // float * double in double
      growth_tracker = 0;
      return;
    }
    growth_tracker += 1;
    if (growth_tracker == growth_interval) {
      const float new_scale = static_cast<float>(scale * growth_factor);
      if (std::isfinite(new_scale)) scale = new_scale;
      growth_tracker = 0;
    }
  }
};

TEST(GradScaler, Defaults) {
  GradScaler s;
  EXPECT_EQ(s.scale(), 65536.0);
  EXPECT_EQ(s.inv_scale(), 1.0 / 65536.0);
  EXPECT_EQ(s.growth_tracker(), 0u);
}

TEST(GradScaler, DoublesExactlyAtThe2000thCleanUpdate) {
  GradScaler s;
  for (int i = 1; i < 2000; ++i) {
    s.update(false);
    ASSERT_EQ(s.scale(), 65536.0) << "after update " << i;
    ASSERT_EQ(s.growth_tracker(), uint32_t(i));
  }
  s.update(false);  // the 2000th
  EXPECT_EQ(s.scale(), 131072.0);
  EXPECT_EQ(s.growth_tracker(), 0u);
  EXPECT_EQ(s.inv_scale(), 1.0 / 131072.0);
  for (int i = 0; i < 2000; ++i) s.update(false);
  EXPECT_EQ(s.scale(), 262144.0);
}

TEST(GradScaler, InfHalvesAndResetsTracker) {
  GradScaler s;
  for (int i = 0; i < 1999; ++i) s.update(false);
  ASSERT_EQ(s.growth_tracker(), 1999u);
  s.update(true);
  EXPECT_EQ(s.scale(), 32768.0);
  EXPECT_EQ(s.growth_tracker(), 0u);
  s.update(false);  // the tracker restarted: no growth one step later
  EXPECT_EQ(s.scale(), 32768.0);
  EXPECT_EQ(s.growth_tracker(), 1u);
  s.update(true);
  s.update(true);
  EXPECT_EQ(s.scale(), 8192.0);
  for (int i = 0; i < 2000; ++i) s.update(false);
  EXPECT_EQ(s.scale(), 16384.0);
}

TEST(GradScaler, GrowthThatOverflowsFp32IsSkipped) {
  GradScaler s(0x1p127, 2.0, 0.5, 1);
  s.update(false);
  EXPECT_EQ(s.scale(), 0x1p127);
  EXPECT_EQ(s.growth_tracker(), 0u);
  s.update(true);
  EXPECT_EQ(s.scale(), 0x1p126);
}

// Constructs a GradScaler (for EXPECT_THROW, which cannot take a braced or vexing-parse
// temporary).
void construct(double init, double growth = 2.0, double backoff = 0.5, uint32_t interval = 2000) {
  const GradScaler s(init, growth, backoff, interval);
  EXPECT_GT(s.scale(), 0.0);
}

TEST(GradScaler, ConstructorValidation) {
  EXPECT_THROW(construct(0.0), std::invalid_argument);
  EXPECT_THROW(construct(-1.0), std::invalid_argument);
  EXPECT_THROW(construct(kInf), std::invalid_argument);
  EXPECT_THROW(construct(kNaN), std::invalid_argument);
  EXPECT_THROW(construct(1e39), std::invalid_argument);   // overflows FP32
  EXPECT_THROW(construct(1e-50), std::invalid_argument);  // rounds to 0 in FP32
  EXPECT_THROW(construct(65536.0, 1.0), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 0.5), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, kInf), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, kNaN), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 2.0, 1.0), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 2.0, 0.0), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 2.0, -0.5), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 2.0, kNaN), std::invalid_argument);
  EXPECT_THROW(construct(65536.0, 2.0, 0.5, 0), std::invalid_argument);
  EXPECT_NO_THROW(construct(1.0, 1.5, 0.25, 1));
}

TEST(GradScaler, RandomSequencesMatchPyTorchAlgorithm) {
  std::mt19937_64 rng(test::seed());
  struct Setup {
    double init, growth, backoff;
    int interval;
    double p_inf;
    int updates;
  };
  const std::array<Setup, 5> setups{{
      {65536.0, 2.0, 0.5, 2000, 1.0 / 3000, 300000},  // defaults
      {65536.0, 2.0, 0.5, 2000, 1.0 / 500, 100000},
      {1000.0, 1.7, 0.3, 3, 0.3, 100000},  // factors that round in FP32
      {0x1p120, 3.0, 0.9, 2, 0.2, 20000},  // growth hits the FP32 ceiling
      {1.0, 2.0, 0.5, 5, 0.9, 5000},       // backs off into subnormals and to zero
  }};
  for (const Setup& u : setups) {
    GradScaler dut(u.init, u.growth, u.backoff, uint32_t(u.interval));
    TorchGradScaler ref{static_cast<float>(u.init), u.growth, u.backoff, u.interval};
    std::bernoulli_distribution inf(u.p_inf);
    for (int i = 0; i < u.updates; ++i) {
      const bool found_inf = inf(rng);
      dut.update(found_inf);
      ref.update(found_inf);
      ASSERT_EQ(bits(static_cast<float>(dut.scale())), bits(ref.scale))
          << "setup init " << u.init << " interval " << u.interval << " update " << i;
      ASSERT_EQ(dut.scale(), static_cast<double>(ref.scale));
      ASSERT_EQ(dut.growth_tracker(), uint32_t(ref.growth_tracker));
      const double inv = static_cast<float>(1.0 / static_cast<double>(ref.scale));
      ASSERT_EQ(dut.inv_scale(), inv);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Clipping helpers.
TEST(Clip, CoefficientAsClipGradNorm) {
  EXPECT_EQ(clip_coefficient(0.5, 1.0), 1.0);  // below max_norm: no clipping
  EXPECT_EQ(clip_coefficient(1.0, 1.0), 1.0 / (1.0 + 1e-6));
  EXPECT_EQ(clip_coefficient(4.0, 1.0), 1.0 / (4.0 + 1e-6));
  EXPECT_EQ(clip_coefficient(4.0, 1.0, 0.0), 0.25);
  EXPECT_EQ(clip_coefficient(0.0, 1.0), 1.0);
  EXPECT_EQ(clip_coefficient(kInf, 1.0), 0.0);
  EXPECT_TRUE(std::isnan(clip_coefficient(kNaN, 1.0)));
  EXPECT_EQ(clip_coefficient(3.0, 0.0), 0.0);
  EXPECT_THROW(clip_coefficient(1.0, -1.0), std::invalid_argument);
  EXPECT_THROW(clip_coefficient(1.0, kNaN), std::invalid_argument);
  EXPECT_THROW(clip_coefficient(-1.0, 1.0), std::invalid_argument);
  EXPECT_THROW(clip_coefficient(1.0, 1.0, -1e-6), std::invalid_argument);
  EXPECT_THROW(clip_coefficient(1.0, 1.0, kInf), std::invalid_argument);
}

TEST(Clip, GlobalNorm) {
  const std::vector<double> sq{9.0, 16.0, 0.0};
  EXPECT_EQ(global_norm(sq), 5.0);
  EXPECT_EQ(global_norm(std::vector<double>{}), 0.0);
  const double raw[2] = {1.0, 3.0};
  EXPECT_EQ(global_norm(Span<const double>(raw, 2)), 2.0);
  EXPECT_TRUE(std::isinf(global_norm(std::vector<double>{1.0, kInf})));
  EXPECT_TRUE(std::isnan(global_norm(std::vector<double>{1.0, kNaN})));
  EXPECT_THROW(global_norm(std::vector<double>{1.0, -1.0}), std::invalid_argument);
}

TEST(Clip, CombinedGradScale) {
  EXPECT_EQ(combined_grad_scale(0x1p-16, 1.0), 0x1p-16f);
  EXPECT_EQ(combined_grad_scale(0x1p-16, 0.25), 0x1p-18f);
  // Rounded once: the double product, then FP32.
  EXPECT_EQ(combined_grad_scale(0x1p-16, 0.3), static_cast<float>(0x1p-16 * 0.3));
  EXPECT_EQ(combined_grad_scale(1.0 / 3000, 0.7), static_cast<float>((1.0 / 3000) * 0.7));
  EXPECT_EQ(combined_grad_scale(0x1p-16, 0.0), 0.0f);
  EXPECT_THROW(combined_grad_scale(0.0, 0.5), std::invalid_argument);
  EXPECT_THROW(combined_grad_scale(kInf, 0.5), std::invalid_argument);
  EXPECT_THROW(combined_grad_scale(1.0, 1.5), std::invalid_argument);
  EXPECT_THROW(combined_grad_scale(1.0, -0.1), std::invalid_argument);
  EXPECT_THROW(combined_grad_scale(1.0, kNaN), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------
// FP64 reference vs an FP32-state implementation of the chip's formula, within the
// reference's running error bound (tessera/reference/adamw.hpp).

// How the FP32 run may be perturbed to show that the bound is not vacuous.
enum class Perturb { kNone, kBiasOffByOne, kBc2NotSqrt };

// The chip's per-element order on host FP32 (SSE, RNE; the test target is built with
// -ffp-contract=off). Scalars from adamw_scalars().
void fp32_step(std::vector<float>& p, std::vector<float>& m, std::vector<float>& v,
               const std::vector<float>& grad, const AdamWScalars& s) {
  for (size_t i = 0; i < p.size(); ++i) {
    const float g = grad[i] * s.inv_loss_scale;
    if (s.decay_enabled) p[i] = p[i] * s.decay;
    m[i] = m[i] + s.one_minus_b1 * (g - m[i]);
    v[i] = v[i] * s.b2 + (s.one_minus_b2 * g) * g;
    const float d = std::sqrt(v[i]) / s.bc2_sqrt + s.eps;
    p[i] = p[i] + s.neg_step * (m[i] / d);
  }
}

AdamWScalars perturbed_scalars(const AdamWHyper& h, uint64_t t, double loss_scale, Perturb how) {
  AdamWScalars s = adamw_scalars(h, t, loss_scale);
  if (how == Perturb::kBiasOffByOne) {  // both corrections of step t + 1
    const AdamWScalars n = adamw_scalars(h, t + 1, loss_scale);
    s.bc2_sqrt = n.bc2_sqrt;
    s.neg_step = n.neg_step;
  } else if (how == Perturb::kBc2NotSqrt) {  // 1 - beta2^t instead of its square root
    s.bc2_sqrt = static_cast<float>(1.0 - std::pow(h.beta2, double(t)));
  }
  return s;
}

struct RunConfig {
  const char* name;
  AdamWHyper h;
  double loss_scale;
  bool bf16_grads;  // gradients with BF16 precision (widened exactly)
};

struct RunResult {
  uint64_t violations = 0;
  double worst_ratio = 0;         // max |fp32 - ref| / bound over p, m, v, steps, elements
  double worst_p_ratio = 0;       // the same for p only
  double final_p_ratio = 0;       // max |p_fp32 - p_ref| / bound.p after the last step
  double median_p_rel_err = 0;    // medians of |p_fp32 - p_ref| / |p_ref| and of
  double median_p_rel_bound = 0;  // bound.p / |p_ref| after the last step
  std::string first;
};

RunResult run(const RunConfig& c, Perturb how, uint64_t seed, uint64_t steps, size_t n) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  // Per-element parameter magnitude, gradient mean and noise over several decades; a few
  // elements with zero or subnormal-squared gradients.
  std::vector<float> p(n), m(n, 0.0f), v(n, 0.0f), grad(n);
  std::vector<double> mean(n), sigma(n);
  for (size_t i = 0; i < n; ++i) {
    p[i] = static_cast<float>(normal(rng) * std::pow(10.0, -3.0 * uni(rng)));
    const double scale = std::pow(10.0, -6.0 + 7.0 * uni(rng));
    mean[i] = scale * normal(rng) * 0.3;
    sigma[i] = scale;
    if (i % 257 == 0) mean[i] = sigma[i] = 0;         // zero gradients
    if (i % 263 == 1) mean[i] = 0, sigma[i] = 1e-21;  // squares underflow FP32
  }
  std::vector<double> pr(p.begin(), p.end()), mr(n, 0.0), vr(n, 0.0), gr(n);
  ref::AdamWBound bound(n);
  RunResult res;
  const double inv_loss_scale = 1.0 / c.loss_scale;
  for (uint64_t t = 1; t <= steps; ++t) {
    for (size_t i = 0; i < n; ++i) {
      float g = static_cast<float>((mean[i] + sigma[i] * normal(rng)) * c.loss_scale);
      if (c.bf16_grads) {
        uint32_t b = bits(g) & 0xffff0000u;
        std::memcpy(&g, &b, 4);
      }
      grad[i] = g;
      gr[i] = g;
    }
    fp32_step(p, m, v, grad, perturbed_scalars(c.h, t, c.loss_scale, how));
    ref::adamw_step_fp64(pr, mr, vr, gr, c.h, t, inv_loss_scale, bound);
    for (size_t i = 0; i < n; ++i) {
      const double err[3] = {std::fabs(p[i] - pr[i]), std::fabs(m[i] - mr[i]),
                             std::fabs(v[i] - vr[i])};
      const double bnd[3] = {bound.p[i], bound.m[i], bound.v[i]};
      for (int k = 0; k < 3; ++k) {
        if (!(err[k] <= bnd[k])) {
          if (res.violations++ == 0) {
            res.first = "step " + std::to_string(t) + " element " + std::to_string(i) + " " +
                        "pmv"[k] + ": |err| " + std::to_string(err[k]) + " > bound " +
                        std::to_string(bnd[k]);
          }
        } else if (bnd[k] > 0) {
          res.worst_ratio = std::max(res.worst_ratio, err[k] / bnd[k]);
          if (k == 0) res.worst_p_ratio = std::max(res.worst_p_ratio, err[k] / bnd[k]);
        }
      }
    }
  }
  std::vector<double> rel_err, rel_bound;
  for (size_t i = 0; i < n; ++i) {
    if (bound.p[i] > 0) {
      res.final_p_ratio = std::max(res.final_p_ratio, std::fabs(p[i] - pr[i]) / bound.p[i]);
    }
    if (pr[i] == 0) continue;
    rel_err.push_back(std::fabs(p[i] - pr[i]) / std::fabs(pr[i]));
    rel_bound.push_back(bound.p[i] / std::fabs(pr[i]));
  }
  if (!rel_err.empty()) {
    std::nth_element(rel_err.begin(), rel_err.begin() + rel_err.size() / 2, rel_err.end());
    std::nth_element(rel_bound.begin(), rel_bound.begin() + rel_bound.size() / 2, rel_bound.end());
    res.median_p_rel_err = rel_err[rel_err.size() / 2];
    res.median_p_rel_bound = rel_bound[rel_bound.size() / 2];
  }
  return res;
}

const RunConfig kRunConfigs[] = {
    {"Defaults", {1e-3, 0.9, 0.999, 1e-8, 0.01}, 65536.0, false},
    {"LlmBf16Grads", {3e-4, 0.9, 0.95, 1e-6, 0.1}, 1024.0, true},
    {"NoDecayOddScale", {2e-3, 0.8, 0.99, 1e-7, 0.0}, 3000.0, false},
};

void PrintTo(const RunConfig& c, std::ostream* os) { *os << c.name; }

class AdamWReference : public ::testing::TestWithParam<RunConfig> {};

TEST_P(AdamWReference, Fp32RunWithinBoundOver1000Steps) {
  const RunConfig& c = GetParam();
  const RunResult r = run(c, Perturb::kNone, test::seed(), 1000, 2048);
  EXPECT_EQ(r.violations, 0u) << "first: " << r.first;
  std::cout << "[ measured ] " << c.name << ": worst |err|/bound " << r.worst_ratio << " (p "
            << r.worst_p_ratio << "); after 1000 steps: p |err|/bound max " << r.final_p_ratio
            << ", median |err|/|p| " << r.median_p_rel_err << ", median bound/|p| "
            << r.median_p_rel_bound << std::endl;
  // The bound is meant to be tight enough to be useful: the real error uses a visible
  // part of it.
  EXPECT_GT(r.worst_ratio, 1e-3);
}

TEST_P(AdamWReference, WrongBiasCorrectionViolatesBound) {
  const RunConfig& c = GetParam();
  const uint64_t seed = test::seed();
  const RunResult off = run(c, Perturb::kBiasOffByOne, seed, 1000, 512);
  EXPECT_GT(off.violations, 0u);
  const RunResult nosqrt = run(c, Perturb::kBc2NotSqrt, seed, 1000, 512);
  EXPECT_GT(nosqrt.violations, 0u);
}

INSTANTIATE_TEST_SUITE_P(Configs, AdamWReference, ::testing::ValuesIn(kRunConfigs),
                         [](const ::testing::TestParamInfo<RunConfig>& i) {
                           return std::string(i.param.name);
                         });

TEST(AdamWReference, PlainAndBoundedStepsAgree) {
  const AdamWHyper h;
  std::vector<double> p1{0.5, -0.25, 1e-3, 0.0}, m1{0.0, 0.1, -0.2, 0.0}, v1{0.0, 0.01, 0.04, 0.0};
  std::vector<double> p2 = p1, m2 = m1, v2 = v1;
  const std::vector<double> g{65536.0, -3.0, 0.125, 0.0};
  ref::AdamWBound b(4);
  for (uint64_t t = 1; t <= 5; ++t) {
    ref::adamw_step_fp64(p1, m1, v1, g, h, t, 0x1p-16);
    ref::adamw_step_fp64(p2, m2, v2, g, h, t, 0x1p-16, b);
  }
  EXPECT_EQ(p1, p2);
  EXPECT_EQ(m1, m2);
  EXPECT_EQ(v1, v2);
  // First step by hand: g = 1, m = 0.1, v = 0.001, d = sqrt(0.001)/sqrt(0.001) + 1e-8.
  std::vector<double> p{1.0}, m{0.0}, v{0.0};
  ref::adamw_step_fp64(p, m, v, std::vector<double>{2.0}, h, 1, 0.5);
  EXPECT_DOUBLE_EQ(m[0], 0.1);
  EXPECT_DOUBLE_EQ(v[0], 0.001);
  EXPECT_NEAR(p[0], 0.99999 - 0.01 * 0.1 / (1 + 1e-8), 1e-15);
}

TEST(AdamWReference, RefusesMismatchedSizesAndNonFp32Gradients) {
  const AdamWHyper h;
  std::vector<double> p(3), m(3), v(2);
  const std::vector<double> g(3, 1.0);
  EXPECT_THROW(ref::adamw_step_fp64(p, m, v, g, h, 1, 1.0), std::invalid_argument);
  std::vector<double> v3(3);
  ref::AdamWBound b(3);
  const std::vector<double> g_bad{1.0, 0.1, 2.0};  // 0.1 is not an FP32 value
  EXPECT_THROW(ref::adamw_step_fp64(p, m, v3, g_bad, h, 1, 1.0, b), std::invalid_argument);
  ref::AdamWBound b2(2);
  EXPECT_THROW(ref::adamw_step_fp64(p, m, v3, g, h, 1, 1.0, b2), std::invalid_argument);
}

}  // namespace
}  // namespace tessera
