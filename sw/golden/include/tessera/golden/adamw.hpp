// SPDX-License-Identifier: Apache-2.0
// Bit-exact model of rtl/optim/ts_adamw_lane: one AdamW element update (and the gradient
// scan) with the same FP32 operations in the same order (docs/optim.md).
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/golden/arith.hpp"

namespace tessera::golden {

// Gradient storage format (same codes as the lane's gfmt_i).
enum class GradFmt : uint8_t { kFp32 = 0, kFp16 = 1, kBf16 = 2 };

// Per-step scalars as FP32 bit patterns (the host computes them, see tessera/adamw.hpp).
struct AdamWScalarBits {
  uint32_t inv_loss_scale = 0x3f800000u;  // 1.0
  uint32_t decay = 0x3f800000u;           // 1 - lr*wd
  uint32_t one_minus_b1 = 0, b2 = 0, one_minus_b2 = 0;
  uint32_t bc2_sqrt = 0x3f800000u;        // sqrt(1 - b2^t)
  uint32_t eps = 0, neg_step = 0;         // -(lr / (1 - b1^t))
  bool decay_enabled = false;             // wd != 0
  GradFmt grad_fmt = GradFmt::kFp32;
  Fmt16 p16_fmt = Fmt16::kFp16;
};

struct AdamWElement {
  uint32_t p, m, v;
  uint16_t p16;
  uint8_t flags;  // OR of the IEEE flags of the update's operations (not of p16)
};

struct AdamWScan {
  uint32_t g, gsq;
  bool nonfinite;  // g is Inf or NaN
  uint8_t flags;   // of g and g*g
};

// grad holds the FP32 bits, or the FP16/BF16 code in its low 16 bits.
AdamWElement adamw_element(const AdamWScalarBits& s, uint32_t grad, uint32_t p, uint32_t m,
                           uint32_t v);
AdamWScan adamw_scan(const AdamWScalarBits& s, uint32_t grad);

// The ADAMW SCAN's sum of squares (rtl/optim/ts_adamw, docs/isa.md "ADAMW"): `lanes` FP32
// accumulators; the square of gradient i of a command is added (RNE) to accumulator
// i mod lanes, in increasing i; sumsq() folds them left to right. The accumulators persist
// across commands until clear().
class AdamWSumSq {
 public:
  explicit AdamWSumSq(uint32_t lanes) : acc_(lanes, 0u) {}
  void clear() { acc_.assign(acc_.size(), 0u); }
  void add(uint64_t i, uint32_t gsq);  // i: the element's index in its command
  uint32_t sumsq() const;

 private:
  std::vector<uint32_t> acc_;
};

}  // namespace tessera::golden
