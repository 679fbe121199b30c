// SPDX-License-Identifier: Apache-2.0
// FP64 reference of the AdamW update, with a running error bound for an FP32-state run.
#pragma once

// Independent of sw/golden and of adamw_scalars(): the per-step scalars are recomputed
// here in double. Only the hyper-parameter struct is shared with the runtime.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/adamw.hpp"
#include "tessera/span.hpp"

namespace tessera::ref {

// One AdamW step (step >= 1) in double, the chip's formula and order
// (tessera/adamw.hpp) with every scalar unrounded:
//   g = g_unscaled[i] * inv_loss_scale
//   p = p * (1 - lr * wd)                      (skipped when wd == 0)
//   m = m + (1 - beta1) * (g - m)
//   v = v * beta2 + ((1 - beta2) * g) * g
//   d = sqrt(v) / sqrt(1 - beta2^step) + eps
//   p = p + (-(lr / (1 - beta1^step))) * (m / d)
// g_unscaled are the gradients as backward produced them, i.e. not yet unscaled (still
// multiplied by the loss scale); inv_loss_scale may include a clipping coefficient.
// The hyper-parameters are not validated (adamw_scalars does that); throws
// std::invalid_argument if the spans differ in length.
void adamw_step_fp64(Span<double> p, Span<double> m, Span<double> v, Span<const double> g_unscaled,
                     const AdamWHyper& h, uint64_t step, double inv_loss_scale);

// Tolerance: a per-element running error bound (Wilkinson-style running error analysis)
// for the distance between an FP32-state run of the same steps and this reference.
//
// Assumptions: the FP32 run starts from the same state (values exactly representable in
// FP32), is fed the same gradients (exactly representable in FP32, e.g. widened
// FP16/BF16), uses as scalars the FP32 roundings (RNE) of the exact double scalars above
// (what adamw_scalars() returns, with inv_loss_scale = float(inv_loss_scale)), and does
// each operation as one IEEE FP32 operation with RNE in the documented order, without
// overflow. Then after every step, for every element,
//   |p_fp32 - p_ref| <= bound.p[i], |m_fp32 - m_ref| <= bound.m[i], |v_fp32 - v_ref| <= bound.v[i].
//
// Derivation (u = 2^-24, eta = 2^-150 for a result that may be subnormal): each quantity
// carries its reference value x and a bound E on |x_fp32 - x|. For z = x op y the FP32
// result is within E_prop + u (|z| + E_prop) + eta of the exact value of the reference
// operands, where E_prop is the worst-case propagation of the operand bounds (product:
// |x|E_y + |y|E_x + E_x E_y; sum: E_x + E_y, exact when subnormal; quotient:
// (|y|E_x + |x|E_y) / (|y| (|y| - E_y)); sqrt: min(sqrt(E_x), E_x / sqrt(x))); the
// reference's own double rounding adds 2^-52 |z|. A scalar's E is its exact FP32
// representation error, and a product with a power-of-two scalar is exact but for eta.
// The m update is bounded as one expression, (1 - c')E_m + c'E_g + |c' - c||g - m| +
// c' gamma_2 (|g - m| + E_g + E_m) before its final rounding, because bounding its three
// operations separately counts E_m twice ((1 + c) instead of (1 - c)) and grows as 1.1^T.
// v's two terms are non-negative, so no cancellation enters. Nothing is dropped to first
// order; the bound's own double arithmetic is covered by inflating every E by 2^-40.
// The bound grows about linearly in the number of steps (each step adds ~u |p| and the
// update's error), whereas the real error grows more like its square root: the tests
// measure the largest error/bound ratio (reported in docs/runtime.md) and check that an
// update with a wrong bias correction violates the bound.
struct AdamWBound {
  explicit AdamWBound(size_t n) : p(n, 0.0), m(n, 0.0), v(n, 0.0) {}
  std::vector<double> p, m, v;  // absolute bounds per element
};

// adamw_step_fp64 that also advances `bound` (sized as the state) by the step. Throws
// std::invalid_argument if a gradient is not exactly representable in FP32 or the sizes
// differ.
void adamw_step_fp64(Span<double> p, Span<double> m, Span<double> v, Span<const double> g_unscaled,
                     const AdamWHyper& h, uint64_t step, double inv_loss_scale, AdamWBound& bound);

}  // namespace tessera::ref
