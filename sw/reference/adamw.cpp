// SPDX-License-Identifier: Apache-2.0
// FP64 AdamW reference and the running error bound of an FP32-state run against it.
// Built with -ffp-contract=off (sw/CMakeLists.txt) so that every double operation is
// rounded once, as the bound's 2^-52 reference term assumes.
#include "tessera/reference/adamw.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace tessera::ref {

namespace {

constexpr double kU = 0x1p-24;         // FP32 unit roundoff (RNE)
constexpr double kEta = 0x1p-150;      // half the smallest FP32 subnormal
constexpr double kRef = 0x1p-52;       // the reference's own double rounding, with margin
constexpr double kInfl = 1 + 0x1p-40;  // covers the rounding of the bound's arithmetic
constexpr double kGamma2 = 2 * kU / (1 - 2 * kU);

// The reference's per-step scalars, in double (as PyTorch evaluates them).
struct Scalars {
  double s, a, c1, b2, c2, q, eps, ns;
  bool decay;
};

Scalars scalars(const AdamWHyper& h, uint64_t step, double inv_loss_scale) {
  const double t = static_cast<double>(step);
  Scalars k{};
  k.s = inv_loss_scale;
  k.a = 1.0 - h.lr * h.weight_decay;
  k.c1 = 1.0 - h.beta1;
  k.b2 = h.beta2;
  k.c2 = 1.0 - h.beta2;
  k.q = std::sqrt(1.0 - std::pow(h.beta2, t));
  k.eps = h.eps;
  k.ns = -(h.lr / (1.0 - std::pow(h.beta1, t)));
  k.decay = h.weight_decay != 0;
  return k;
}

void check_sizes(size_t p, size_t m, size_t v, size_t g) {
  if (m != p || v != p || g != p) {
    std::ostringstream os;
    os << "adamw_step_fp64: sizes differ (p " << p << ", m " << m << ", v " << v << ", g " << g
       << ")";
    throw std::invalid_argument(os.str());
  }
}

// A reference value x and a bound e on |x_fp32 - x|.
struct Q {
  double x, e;
};

// Bound after an FP32 rounding of a value within `prop` of the exact result z0 of the
// reference operands, z the reference's double result (|z0| <= |z| (1 + 2^-52)).
double rounded(double z, double prop, bool may_underflow) {
  const double az = std::fabs(z);
  return (prop + kU * (az * (1 + kRef) + prop) + kRef * az + (may_underflow ? kEta : 0)) * kInfl;
}

// An FP32 scalar operand: the RNE rounding of c, its error measured exactly.
Q scalar(double c) { return {c, std::fabs(static_cast<double>(static_cast<float>(c)) - c)}; }

bool fp32_pow2(double c) {
  int e;
  return std::frexp(static_cast<double>(static_cast<float>(c)), &e) == 0.5;
}

// exact: the FP32 product is exact unless subnormal (one operand a power of two).
Q mul(Q a, Q b, bool exact = false) {
  const double z = a.x * b.x;
  const double prop = std::fabs(a.x) * b.e + std::fabs(b.x) * a.e + a.e * b.e;
  if (exact) return {z, (prop + kRef * std::fabs(z) + kEta) * kInfl};
  return {z, rounded(z, prop, true)};
}

Q add(Q a, Q b) {  // a subnormal sum is exact: no eta
  const double z = a.x + b.x;
  return {z, rounded(z, a.e + b.e, false)};
}

Q div(Q a, Q b) {
  const double ab = std::fabs(b.x);
  if (!(ab > b.e)) return {a.x / b.x, INFINITY};  // the divisor's sign is not known
  const double z = a.x / b.x;
  const double prop = (ab * a.e + std::fabs(a.x) * b.e) / (ab * (ab - b.e));
  return {z, rounded(z, prop, true)};
}

Q sqrt(Q a) {  // a.x >= 0; the FP32 operand is >= 0 too (v is a sum of non-negatives)
  const double z = std::sqrt(a.x);
  const double prop = z > 0 ? std::min(std::sqrt(a.e), a.e / z) : std::sqrt(a.e);
  return {z, rounded(z, prop, false)};
}

// m + c (g - m) as one expression (see the header): the FP32 result minus the exact
// (1 - c) m + c g of the reference operands is
//   (1 - c') dm + c' dg + (c' - c)(g - m) + c' theta (g' - m') + eta,  |theta| <= gamma_2,
// before the final rounding of the sum.
Q m_update(Q m, Q g, Q c) {
  const double diff = g.x - m.x;
  const double z = m.x + c.x * diff;
  const double cf = static_cast<double>(static_cast<float>(c.x));
  const double ad = std::fabs(diff);
  const double prop =
      std::fabs(1 - cf) * m.e + cf * g.e + c.e * ad + cf * kGamma2 * (ad + g.e + m.e) + kEta;
  // The reference rounds three times: 2^-52 (|z| + c |g - m|) covers it.
  const double slack = kRef * (std::fabs(z) + c.x * ad);
  const double e = (prop + slack + kU * (std::fabs(z) + slack + prop)) * kInfl;
  return {z, e};
}

}  // namespace

void adamw_step_fp64(Span<double> p, Span<double> m, Span<double> v, Span<const double> g_unscaled,
                     const AdamWHyper& h, uint64_t step, double inv_loss_scale) {
  check_sizes(p.size(), m.size(), v.size(), g_unscaled.size());
  const Scalars k = scalars(h, step, inv_loss_scale);
  for (size_t i = 0; i < p.size(); ++i) {
    const double g = g_unscaled[i] * k.s;
    if (k.decay) p[i] = p[i] * k.a;
    m[i] = m[i] + k.c1 * (g - m[i]);
    v[i] = v[i] * k.b2 + (k.c2 * g) * g;
    const double d = std::sqrt(v[i]) / k.q + k.eps;
    p[i] = p[i] + k.ns * (m[i] / d);
  }
}

void adamw_step_fp64(Span<double> p, Span<double> m, Span<double> v, Span<const double> g_unscaled,
                     const AdamWHyper& h, uint64_t step, double inv_loss_scale, AdamWBound& bound) {
  check_sizes(p.size(), m.size(), v.size(), g_unscaled.size());
  check_sizes(p.size(), bound.m.size(), bound.v.size(), bound.p.size());
  for (size_t i = 0; i < g_unscaled.size(); ++i) {
    const double gi = g_unscaled[i];
    if (static_cast<double>(static_cast<float>(gi)) != gi && !std::isnan(gi)) {
      std::ostringstream os;
      os.precision(17);
      os << "adamw_step_fp64: gradient " << i << " (" << gi << ") is not an FP32 value";
      throw std::invalid_argument(os.str());
    }
  }
  const Scalars k = scalars(h, step, inv_loss_scale);
  const Q s = scalar(k.s), a = scalar(k.a), c1 = scalar(k.c1), b2 = scalar(k.b2), c2 = scalar(k.c2),
          q = scalar(k.q), eps = scalar(k.eps), ns = scalar(k.ns);
  const bool s_pow2 = fp32_pow2(k.s);
  for (size_t i = 0; i < p.size(); ++i) {
    const Q g = mul(Q{g_unscaled[i], 0}, s, s_pow2);
    Q pi{p[i], bound.p[i]};
    if (k.decay) pi = mul(pi, a);
    const Q mi = m_update(Q{m[i], bound.m[i]}, g, c1);
    const Q vi = add(mul(Q{v[i], bound.v[i]}, b2), mul(mul(c2, g), g));
    const Q d = add(div(sqrt(vi), q), eps);
    pi = add(pi, mul(ns, div(mi, d)));
    p[i] = pi.x;
    m[i] = mi.x;
    v[i] = vi.x;
    bound.p[i] = pi.e;
    bound.m[i] = mi.e;
    bound.v[i] = vi.e;
  }
}

}  // namespace tessera::ref
