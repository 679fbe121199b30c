// SPDX-License-Identifier: Apache-2.0
// AdamW host side: the per-step FP32 scalars of the optim unit, dynamic loss scaling
// (PyTorch GradScaler) and gradient-norm clipping coefficients.
#pragma once

// The chip updates every element, on FP32 state, in exactly this order (PyTorch
// torch.optim.AdamW, single-tensor, maximize=False, amsgrad=False):
//   g = grad * inv_loss_scale              (FP16/BF16 grad widened exactly to FP32 first)
//   p = p * decay                          (only when decay_enabled)
//   m = m + one_minus_b1 * (g - m)
//   v = v * b2 + (one_minus_b2 * g) * g
//   d = sqrt(v) / bc2_sqrt + eps
//   p = p + neg_step * (m / d)
// every operation an IEEE FP32 operation with round-to-nearest-even. The host computes the
// scalars below once per step. See docs/runtime.md, "AdamW host side".

#include <cstdint>

#include "tessera/golden/adamw.hpp"
#include "tessera/span.hpp"

namespace tessera {

// torch.optim.AdamW hyper-parameters, with its defaults.
struct AdamWHyper {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
};

// The per-step scalars, each an FP32 value (the chip's operand).
struct AdamWScalars {
  float inv_loss_scale;  // 1 / loss_scale (times the clipping coefficient, if any)
  float decay;           // 1 - lr * weight_decay
  float one_minus_b1;    // 1 - beta1
  float b2;              // beta2
  float one_minus_b2;    // 1 - beta2
  float bc2_sqrt;        // sqrt(1 - beta2^step)
  float eps;             // eps
  float neg_step;        // -(lr / (1 - beta1^step))
  bool decay_enabled;    // weight_decay != 0
};

// Scalars of optimizer step `step` (1 for the first update, as PyTorch's state["step"]
// after its increment). Each scalar is evaluated in double exactly as PyTorch evaluates it
// in Python floats, then rounded once to FP32 (static_cast<float>, round-to-nearest-even),
// as PyTorch's kernels cast a Python scalar for an FP32 tensor:
//   inv_loss_scale = float(1.0 / loss_scale)          (GradScaler: scale.double().reciprocal())
//   decay          = float(1.0 - lr * weight_decay)
//   one_minus_b1   = float(1.0 - beta1)
//   b2             = float(beta2)
//   one_minus_b2   = float(1.0 - beta2)
//   bc2_sqrt       = float(std::sqrt(1.0 - std::pow(beta2, double(step))))
//   eps            = float(eps)
//   neg_step       = float(-(lr / (1.0 - std::pow(beta1, double(step)))))
// (pow with a double exponent as Python's beta ** step with step a float; step is exact
// in double up to 2^53.) The double expressions are evaluated without FMA contraction.
// Throws std::invalid_argument for lr < 0 or non-finite; beta1 or beta2 outside [0, 1);
// eps <= 0 or non-finite; weight_decay < 0 or non-finite; step == 0; loss_scale <= 0 or
// non-finite; and when a scalar is not finite in FP32 (e.g. lr / (1 - beta1^step) or
// 1 / loss_scale overflows) or when eps or 1 / loss_scale rounds to zero in FP32.
// PyTorch's m update is exp_avg.lerp_(g, 1 - beta1), which takes the form
// m + w * (g - m) only for w = float(1 - beta1) < 0.5 (otherwise g - (g - m) * (1 - w));
// the chip always uses the first form, so its order is PyTorch's for beta1 > 0.5 (the
// default 0.9 and every usual setting).
AdamWScalars adamw_scalars(const AdamWHyper& h, uint64_t step, double loss_scale);

// The scalars as the optimizer lane (and golden::adamw_element) takes them: FP32 bit
// patterns, with the gradient's storage format and the format of the p copy.
golden::AdamWScalarBits scalar_bits(const AdamWScalars& s, golden::GradFmt grad_fmt,
                                    golden::Fmt16 p16_fmt);

// Dynamic loss scaling as torch.cuda.amp.GradScaler (torch.amp.GradScaler) with its
// defaults, update() being PyTorch's _amp_update_scale_. The scale is held in FP32 as
// PyTorch holds it (a float32 tensor): every new scale is float(scale * factor) computed
// in double; a growth whose result is not finite in FP32 is skipped (the tracker still
// resets), a backoff is not checked (it may reach 0 after ~280 consecutive overflows,
// as in PyTorch).
class GradScaler {
 public:
  // Throws std::invalid_argument unless init_scale is positive and finite in FP32,
  // growth_factor > 1 and finite, 0 < backoff_factor < 1, growth_interval >= 1 (PyTorch
  // asserts only growth_factor > 1 and backoff_factor < 1).
  explicit GradScaler(double init_scale = 65536.0, double growth_factor = 2.0,
                      double backoff_factor = 0.5, uint32_t growth_interval = 2000);

  // The current scale (an FP32 value).
  double scale() const { return scale_; }
  // float(1.0 / scale), as GradScaler.unscale_ computes inv_scale; +Inf if the scale has
  // backed off to zero.
  double inv_scale() const;
  // After a step: found_inf (any non-finite gradient, the step skipped): scale *= backoff,
  // tracker = 0. Otherwise ++tracker; when it reaches growth_interval, scale *= growth
  // (unless that overflows FP32) and tracker = 0.
  void update(bool found_inf);
  // Consecutive clean steps since the last change (PyTorch's _growth_tracker).
  uint32_t growth_tracker() const { return tracker_; }

 private:
  float scale_;
  double growth_factor_, backoff_factor_;
  uint32_t growth_interval_;
  uint32_t tracker_ = 0;
};

// Gradient-norm clipping as torch.nn.utils.clip_grad_norm_ (norm_type 2):
// min(1, max_norm / (total_norm + eps)). A NaN total_norm gives NaN and +Inf gives 0, as
// torch.clamp(max_norm / (total_norm + 1e-6), max=1.0) does; such a step is normally
// skipped anyway (found_inf). Throws std::invalid_argument for max_norm < 0 or NaN,
// total_norm < 0, or eps < 0 or non-finite. PyTorch evaluates this in the gradients' dtype (FP32);
// here it is double, so the coefficient can differ from PyTorch's in the last FP32 bits.
double clip_coefficient(double total_norm, double max_norm, double eps = 1e-6);

// sqrt of the sum of the per-tensor sums of squares (in the given order): the global L2
// norm that clip_grad_norm_ computes as the norm of the per-tensor norms. Throws
// std::invalid_argument for a negative entry; NaN / Inf entries propagate.
double global_norm(Span<const double> per_tensor_sum_sq);

// The chip has one gradient multiplier, so clipping folds into the unscaling:
// float(inv_loss_scale * clip_coef), the product in double rounded once to FP32, to be
// stored in AdamWScalars::inv_loss_scale instead of adamw_scalars' value. PyTorch
// instead rounds twice (grad * inv_scale, then grad * clip_coef, both FP32), so results
// can differ from PyTorch's in the last bit; with a power-of-two loss scale the fused
// product is exact up to the final rounding of clip_coef itself. Throws
// std::invalid_argument unless inv_loss_scale > 0 and 0 <= clip_coef <= 1 (both finite).
float combined_grad_scale(double inv_loss_scale, double clip_coef);

}  // namespace tessera
