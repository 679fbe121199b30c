// SPDX-License-Identifier: Apache-2.0
// AdamW per-step scalars, PyTorch-compatible dynamic loss scaling and clipping helpers.
// Built with -ffp-contract=off (sw/CMakeLists.txt): PyTorch evaluates these expressions in
// Python floats, one rounding per operation, and a fused 1 - lr * wd could differ.
#include "tessera/adamw.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace tessera {

namespace {

[[noreturn]] void refuse(const std::string& what, double value) {
  std::ostringstream os;
  os.precision(17);
  os << what << " (got " << value << ")";
  throw std::invalid_argument(os.str());
}

// The FP32 operand for a scalar; refuses a value that the chip cannot use.
float to_fp32(const char* name, double x) {
  const float f = static_cast<float>(x);
  if (!std::isfinite(f)) refuse(std::string(name) + " is not finite in FP32", x);
  return f;
}

}  // namespace

AdamWScalars adamw_scalars(const AdamWHyper& h, uint64_t step, double loss_scale) {
  if (!std::isfinite(h.lr) || h.lr < 0) refuse("AdamW: lr must be finite and >= 0", h.lr);
  if (!(h.beta1 >= 0 && h.beta1 < 1)) refuse("AdamW: beta1 must be in [0, 1)", h.beta1);
  if (!(h.beta2 >= 0 && h.beta2 < 1)) refuse("AdamW: beta2 must be in [0, 1)", h.beta2);
  if (!std::isfinite(h.eps) || h.eps <= 0) refuse("AdamW: eps must be finite and > 0", h.eps);
  if (!std::isfinite(h.weight_decay) || h.weight_decay < 0) {
    refuse("AdamW: weight_decay must be finite and >= 0", h.weight_decay);
  }
  if (step == 0) throw std::invalid_argument("AdamW: step must be >= 1 (the first step is 1)");
  if (!std::isfinite(loss_scale) || loss_scale <= 0) {
    refuse("AdamW: loss_scale must be finite and > 0", loss_scale);
  }

  const double t = static_cast<double>(step);
  const double bias_correction1 = 1.0 - std::pow(h.beta1, t);
  const double bias_correction2_sqrt = std::sqrt(1.0 - std::pow(h.beta2, t));
  const double step_size = h.lr / bias_correction1;

  AdamWScalars s{};
  s.inv_loss_scale = to_fp32("AdamW: 1 / loss_scale", 1.0 / loss_scale);
  s.decay = to_fp32("AdamW: 1 - lr * weight_decay", 1.0 - h.lr * h.weight_decay);
  s.one_minus_b1 = to_fp32("AdamW: 1 - beta1", 1.0 - h.beta1);
  s.b2 = to_fp32("AdamW: beta2", h.beta2);
  s.one_minus_b2 = to_fp32("AdamW: 1 - beta2", 1.0 - h.beta2);
  s.bc2_sqrt = to_fp32("AdamW: sqrt(1 - beta2^step)", bias_correction2_sqrt);
  s.eps = to_fp32("AdamW: eps", h.eps);
  s.neg_step = to_fp32("AdamW: -(lr / (1 - beta1^step))", -step_size);
  s.decay_enabled = h.weight_decay != 0;
  if (s.eps == 0) refuse("AdamW: eps rounds to zero in FP32", h.eps);
  if (s.inv_loss_scale == 0) refuse("AdamW: 1 / loss_scale rounds to zero in FP32", loss_scale);
  return s;
}

GradScaler::GradScaler(double init_scale, double growth_factor, double backoff_factor,
                       uint32_t growth_interval)
    : scale_(static_cast<float>(init_scale)),
      growth_factor_(growth_factor),
      backoff_factor_(backoff_factor),
      growth_interval_(growth_interval) {
  if (!std::isfinite(init_scale) || !(init_scale > 0) || !std::isfinite(scale_) || scale_ == 0) {
    refuse("GradScaler: init_scale must be positive and finite in FP32", init_scale);
  }
  if (!std::isfinite(growth_factor) || !(growth_factor > 1)) {
    refuse("GradScaler: growth_factor must be finite and > 1", growth_factor);
  }
  if (!(backoff_factor > 0 && backoff_factor < 1)) {
    refuse("GradScaler: backoff_factor must be in (0, 1)", backoff_factor);
  }
  if (growth_interval == 0) throw std::invalid_argument("GradScaler: growth_interval must be >= 1");
}

double GradScaler::inv_scale() const {
  return static_cast<double>(static_cast<float>(1.0 / static_cast<double>(scale_)));
}

void GradScaler::update(bool found_inf) {
  // _amp_update_scale_: current_scale is float, the factors double; float * double is
  // evaluated in double and stored back to float.
  if (found_inf) {
    scale_ = static_cast<float>(static_cast<double>(scale_) * backoff_factor_);
    tracker_ = 0;
    return;
  }
  const uint32_t successful = tracker_ + 1;
  if (successful == growth_interval_) {
    const float grown = static_cast<float>(static_cast<double>(scale_) * growth_factor_);
    if (std::isfinite(grown)) scale_ = grown;
    tracker_ = 0;
  } else {
    tracker_ = successful;
  }
}

double clip_coefficient(double total_norm, double max_norm, double eps) {
  if (std::isnan(max_norm) || max_norm < 0) {
    refuse("clip_coefficient: max_norm must be >= 0", max_norm);
  }
  if (!std::isfinite(eps) || eps < 0) refuse("clip_coefficient: eps must be finite and >= 0", eps);
  if (total_norm < 0) refuse("clip_coefficient: total_norm must be >= 0", total_norm);
  const double coef = max_norm / (total_norm + eps);
  if (std::isnan(coef)) return coef;  // torch.clamp propagates NaN
  return coef < 1.0 ? coef : 1.0;
}

double global_norm(Span<const double> per_tensor_sum_sq) {
  double sum = 0;
  for (size_t i = 0; i < per_tensor_sum_sq.size(); ++i) {
    const double x = per_tensor_sum_sq[i];
    if (x < 0) {
      std::ostringstream os;
      os << "global_norm: sum of squares " << i << " is negative (" << x << ")";
      throw std::invalid_argument(os.str());
    }
    sum += x;
  }
  return std::sqrt(sum);
}

float combined_grad_scale(double inv_loss_scale, double clip_coef) {
  if (!std::isfinite(inv_loss_scale) || !(inv_loss_scale > 0)) {
    refuse("combined_grad_scale: inv_loss_scale must be finite and > 0", inv_loss_scale);
  }
  if (!(clip_coef >= 0 && clip_coef <= 1)) {
    refuse("combined_grad_scale: clip_coef must be in [0, 1]", clip_coef);
  }
  return to_fp32("combined_grad_scale: inv_loss_scale * clip_coef", inv_loss_scale * clip_coef);
}

golden::AdamWScalarBits scalar_bits(const AdamWScalars& s, golden::GradFmt grad_fmt,
                                    golden::Fmt16 p16_fmt) {
  auto bits = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  };
  golden::AdamWScalarBits b;
  b.inv_loss_scale = bits(s.inv_loss_scale);
  b.decay = bits(s.decay);
  b.one_minus_b1 = bits(s.one_minus_b1);
  b.b2 = bits(s.b2);
  b.one_minus_b2 = bits(s.one_minus_b2);
  b.bc2_sqrt = bits(s.bc2_sqrt);
  b.eps = bits(s.eps);
  b.neg_step = bits(s.neg_step);
  b.decay_enabled = s.decay_enabled;
  b.grad_fmt = grad_fmt;
  b.p16_fmt = p16_fmt;
  return b;
}

}  // namespace tessera
