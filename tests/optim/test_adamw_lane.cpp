// SPDX-License-Identifier: Apache-2.0
// ts_adamw_lane against golden::adamw_element / adamw_scan, bit for bit, at its exact
// latency: random and special operands, every gradient format, decay on and off, p16 in
// both formats, back to back and with gaps; and 1000 training steps fed back.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

#include "Vts_adamw_lane.h"
#include "Vts_adamw_lane_d1.h"
#include "sim.hpp"
#include "tessera/adamw.hpp"
#include "tessera/golden/adamw.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

using golden::AdamWScalarBits;
using golden::GradFmt;

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Lane latency for DivBits digits per divider stage (rtl/optim/ts_adamw_lane.sv).
constexpr uint32_t lane_latency(uint32_t div_bits) {
  return 8 + 3 * ((27 + div_bits - 1) / div_bits + 2);
}

// Host scalars for one step, as the runtime computes them (tessera::adamw_scalars).
AdamWScalarBits scalars(double lr, double wd, uint64_t t, double loss_scale, GradFmt gf) {
  AdamWHyper h;
  h.lr = lr;
  h.weight_decay = wd;
  return scalar_bits(adamw_scalars(h, t, loss_scale), gf, golden::Fmt16::kFp16);
}

// Operand generator: mostly ordinary values of a plausible magnitude, sometimes
// specials (zeros, subnormals, Inf, NaN, huge, tiny) anywhere.
uint32_t operand(std::mt19937_64& r, int scale_exp) {
  switch (r() % 16) {
    case 0: return uint32_t(r() & 0x80000000u);                      // +-0
    case 1: return uint32_t((r() & 0x80000000u) | (r() & 0x7fffffu)); // subnormal
    case 2: return uint32_t((r() & 0x80000000u) | 0x7f800000u);       // +-Inf
    case 3: return uint32_t(0x7f800000u | 1u | (r() & 0x7fffffu));    // NaN (s or q)
    case 4: return uint32_t(r());                                     // any pattern
    default: {
      std::normal_distribution<float> n(0.0f, 1.0f);
      return bits(std::ldexp(n(r), scale_exp));
    }
  }
}

template <class VTop>
class LaneHarness {
 public:
  explicit LaneHarness(uint64_t seed) : sim_("adamw_lane", uint32_t(seed)) { sim_.reset(); }

  void set_scalars(const AdamWScalarBits& s) {
    VTop& t = sim_.top();
    t.gfmt_i = uint8_t(s.grad_fmt);
    t.p16fmt_i = s.p16_fmt == golden::Fmt16::kBf16;
    t.decay_en_i = s.decay_enabled;
    t.inv_ls_i = s.inv_loss_scale;
    t.decay_i = s.decay;
    t.omb1_i = s.one_minus_b1;
    t.b2_i = s.b2;
    t.omb2_i = s.one_minus_b2;
    t.bc2s_i = s.bc2_sqrt;
    t.eps_i = s.eps;
    t.nstep_i = s.neg_step;
  }

  struct Out {
    golden::AdamWElement e;
    uint64_t cycle;
  };

  // One cycle: optionally an element in; collects what comes out.
  void cycle(bool valid, uint32_t grad, uint32_t p, uint32_t m, uint32_t v) {
    VTop& t = sim_.top();
    t.in_valid_i = valid;
    t.grad_i = grad;
    t.p_i = p;
    t.m_i = m;
    t.v_i = v;
    if (valid) in_cycles_.push_back(now_);
    sim_.tick();
    ++now_;
    t.in_valid_i = 0;
    flags_ |= t.flags_o;
    scan_flags_ |= t.scan_flags_o;
    if (t.out_valid_o) {
      outs_.push_back({{t.p_o, t.m_o, t.v_o, uint16_t(t.p16_o), 0}, now_});
    }
    if (t.scan_valid_o) {
      scans_.push_back({{t.scan_g_o, t.scan_gsq_o, bool(t.scan_nonfinite_o), 0}, now_});
    }
  }
  void drain(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) cycle(false, 0, 0, 0, 0);
  }

  struct ScanOut {
    golden::AdamWScan s;
    uint64_t cycle;
  };
  std::deque<Out> outs_;
  std::deque<ScanOut> scans_;
  std::deque<uint64_t> in_cycles_;
  uint8_t flags_ = 0, scan_flags_ = 0;
  uint64_t now_ = 0;

 private:
  tb::Sim<VTop> sim_;
};

template <class VTop>
void random_vectors(uint32_t div_bits, uint64_t n) {
  const uint64_t seed = test::seed();
  std::mt19937_64 r(seed);
  LaneHarness<VTop> h(seed);
  const uint32_t lat = lane_latency(div_bits);
  for (int cfg = 0; cfg < 12; ++cfg) {
    const GradFmt gf = GradFmt(cfg % 3);
    AdamWScalarBits s = scalars(std::ldexp(1.0, -int(r() % 14)), (cfg & 4) ? 0.0 : 0.01,
                                1 + r() % 3000, std::ldexp(1.0, int(r() % 20)), gf);
    s.p16_fmt = (cfg & 8) ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16;
    if (cfg == 11) {  // special scalars too
      s.eps = operand(r, -20);
      s.bc2_sqrt = operand(r, -3);
      s.neg_step = operand(r, -10);
    }
    h.set_scalars(s);
    std::vector<golden::AdamWElement> want;
    std::vector<golden::AdamWScan> want_scan;
    uint8_t flags = 0, scan_flags = 0;
    h.flags_ = h.scan_flags_ = 0;
    const bool gaps = cfg % 2 == 1;
    for (uint64_t i = 0; i < n; ++i) {
      uint32_t grad = operand(r, -8);
      if (gf != GradFmt::kFp32) grad = uint32_t(r() & 0xffffu);
      const uint32_t p = operand(r, -2), m = operand(r, -10), v = operand(r, -20) & 0x7fffffffu;
      want.push_back(golden::adamw_element(s, grad, p, m, v));
      want_scan.push_back(golden::adamw_scan(s, grad));
      flags |= want.back().flags;
      scan_flags |= want_scan.back().flags;
      h.cycle(true, grad, p, m, v);
      if (gaps && r() % 3 == 0) h.drain(1 + uint32_t(r() % 4));
    }
    h.drain(lat + 2);
    ASSERT_EQ(h.outs_.size(), want.size()) << "cfg " << cfg;
    ASSERT_EQ(h.scans_.size(), want.size()) << "cfg " << cfg;
    for (size_t i = 0; i < want.size(); ++i) {
      const auto& o = h.outs_[i];
      ASSERT_EQ(o.cycle - h.in_cycles_[i], lat) << "element " << i;
      ASSERT_EQ(h.scans_[i].cycle - h.in_cycles_[i], 2u) << "element " << i;
      ASSERT_EQ(o.e.p, want[i].p) << "cfg " << cfg << " element " << i;
      ASSERT_EQ(o.e.m, want[i].m) << "cfg " << cfg << " element " << i;
      ASSERT_EQ(o.e.v, want[i].v) << "cfg " << cfg << " element " << i;
      ASSERT_EQ(o.e.p16, want[i].p16) << "cfg " << cfg << " element " << i;
      ASSERT_EQ(h.scans_[i].s.g, want_scan[i].g) << "element " << i;
      ASSERT_EQ(h.scans_[i].s.gsq, want_scan[i].gsq) << "element " << i;
      ASSERT_EQ(h.scans_[i].s.nonfinite, want_scan[i].nonfinite) << "element " << i;
    }
    EXPECT_EQ(h.flags_, flags) << "cfg " << cfg;
    EXPECT_EQ(h.scan_flags_, scan_flags) << "cfg " << cfg;
    h.outs_.clear();
    h.scans_.clear();
    h.in_cycles_.clear();
  }
}

TEST(AdamWLane, RandomAndSpecialsBitExact) {
  random_vectors<Vts_adamw_lane>(3, test::vectors(4000));
}

TEST(AdamWLane, OneDigitPerStageBitExact) {
  random_vectors<Vts_adamw_lane_d1>(1, test::vectors(1500));
}

// 1000 AdamW steps of a 37-element tensor, state fed back through the lane, bit-exact
// against the golden model at every step; the result also tracks an FP64 AdamW.
TEST(AdamWLane, ThousandStepsFedBack) {
  const uint64_t seed = test::seed();
  std::mt19937_64 r(seed);
  LaneHarness<Vts_adamw_lane> h(seed);
  const uint32_t lat = lane_latency(3);
  const size_t n = 37;
  const AdamWHyper hyper;  // PyTorch defaults: lr 1e-3, betas 0.9 / 0.999, eps 1e-8, wd 0.01
  const double lr = hyper.lr, b1 = hyper.beta1, b2 = hyper.beta2, eps = hyper.eps,
               wd = hyper.weight_decay;
  std::normal_distribution<double> nd(0.0, 1.0);
  std::vector<uint32_t> p(n), m(n, 0), v(n, 0);
  std::vector<double> p64(n), m64(n, 0), v64(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const float x = float(nd(r));
    p[i] = bits(x);
    p64[i] = x;
  }
  for (uint64_t t = 1; t <= 1000; ++t) {
    const AdamWScalarBits s = scalars(lr, wd, t, 1024, GradFmt::kFp32);
    h.set_scalars(s);
    std::vector<uint32_t> grad(n);
    std::vector<golden::AdamWElement> want(n);
    for (size_t i = 0; i < n; ++i) {
      // A loss-scaled gradient pulling p towards a target.
      const double gu = (p64[i] - 0.5 * double(i % 5)) + 0.1 * nd(r);
      grad[i] = bits(float(gu * 1024));
      want[i] = golden::adamw_element(s, grad[i], p[i], m[i], v[i]);
      h.cycle(true, grad[i], p[i], m[i], v[i]);
      // FP64 AdamW with the gradient the lane sees (FP32 grad, exact unscale).
      float gf;
      std::memcpy(&gf, &grad[i], 4);
      const double g = double(gf) / 1024;
      p64[i] *= 1 - lr * wd;
      m64[i] = b1 * m64[i] + (1 - b1) * g;
      v64[i] = b2 * v64[i] + (1 - b2) * g * g;
      const double d = std::sqrt(v64[i]) / std::sqrt(1 - std::pow(b2, double(t))) + eps;
      p64[i] -= lr / (1 - std::pow(b1, double(t))) * m64[i] / d;
    }
    h.drain(lat);
    ASSERT_EQ(h.outs_.size(), n) << "step " << t;
    for (size_t i = 0; i < n; ++i) {
      const auto& o = h.outs_[i].e;
      ASSERT_EQ(o.p, want[i].p) << "step " << t << " element " << i;
      ASSERT_EQ(o.m, want[i].m) << "step " << t << " element " << i;
      ASSERT_EQ(o.v, want[i].v) << "step " << t << " element " << i;
      p[i] = o.p;
      m[i] = o.m;
      v[i] = o.v;
    }
    h.outs_.clear();
    h.scans_.clear();
    h.in_cycles_.clear();
  }
  // FP32 state vs FP64 after 1000 steps: each step moves p by at most about lr, so the
  // rounding error of the FP32 recurrences stays far below lr (measured: docs/optim.md).
  double worst = 0;
  for (size_t i = 0; i < n; ++i) {
    float pf;
    std::memcpy(&pf, &p[i], 4);
    worst = std::max(worst, std::fabs(double(pf) - p64[i]));
  }
  RecordProperty("max_abs_err_vs_fp64", std::to_string(worst));
  std::cout << "[ fp64     ] max |p - p_fp64| after 1000 steps: " << worst << std::endl;
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace tessera
