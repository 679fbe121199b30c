// SPDX-License-Identifier: Apache-2.0
// Bit-exact C++ models of the rtl/vec units (docs/vec.md), one function per hardware operation.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/golden/arith.hpp"

namespace tessera::golden {

// ts_vec_exp: e^x in FP32 by fixed-point argument reduction (x * log2(e) with 40 fraction
// bits), three 64-entry tables of 2^(i/64^j) and a linear last term, rounded once (RNE).
// Error < 0.56 ulp of the exact e^x (docs/vec.md); flags: NX for every finite x != 0, OF
// on overflow to +Inf, UF when the result is subnormal or zero, NV for a signalling NaN.
Fp32Result vec_exp(uint32_t x);

// The VEC command's fields (docs/vec.md, "The VEC command"); codes as in the encoding.
enum class VecOp1 : uint8_t { kPass = 0, kAdd = 1, kSub = 2, kMul = 3, kMax = 4, kMin = 5 };
enum class VecBsrc : uint8_t { kMat = 0, kRow = 1, kCol = 2, kImm = 3 };
enum class VecFn : uint8_t { kNone = 0, kExp = 1, kRecip = 2, kRsqrt = 3, kRfp16 = 4, kRbf16 = 5 };
enum class VecRed : uint8_t { kNone = 0, kMax = 1, kSum = 2, kSumSq = 3 };
enum class VecMask : uint8_t { kNone = 0, kCausal = 1, kPad = 2 };
enum class VecDst : uint8_t { kNone = 0, kAcc = 1, kSpadFp16 = 2, kSpadBf16 = 3 };

struct VecCmd {
  VecOp1 op1 = VecOp1::kPass;
  VecBsrc bsrc = VecBsrc::kMat;
  VecFn fn = VecFn::kNone;
  VecRed red = VecRed::kNone;
  bool racc = false;
  bool sat = false;
  VecMask mask = VecMask::kNone;
  VecDst dst = VecDst::kAcc;
  uint16_t rows = 1;
  uint16_t cols = 1;
  uint32_t a_addr = 0;
  uint32_t b_addr = 0;
  uint32_t d_addr = 0;
  uint32_t r_addr = 0;
  uint16_t stride = 1;
  int16_t moff = 0;
  uint32_t imm = 0;  // FP32 bits of b when bsrc = IMM
};

// FP32 max / min of the VEC unit: either operand NaN -> canonical qNaN (NV if either is
// signalling); otherwise the larger / smaller as reals with -0 below +0. No other flags.
Fp32Result vec_max(uint32_t a, uint32_t b);
Fp32Result vec_min(uint32_t a, uint32_t b);

// op1 of an element: PASS (a unchanged, no flags), ADD/SUB/MUL (fp32_add/sub/mul), MAX/MIN.
Fp32Result vec_op1(VecOp1 op, uint32_t a, uint32_t b);
// fn of an element: NONE, EXP (vec_exp), RECIP (fp32_div(1, t)), RSQRT
// (fp32_div(1, fp32_sqrt(t)), flags of both), RFP16 / RBF16 (fp_widen(fp_narrow(t))).
Fp32Result vec_fn(VecFn fn, uint32_t t);
// One element of one lane: t = op1(a, b), sat, mask (hidden: t = -Inf and op1 is not
// performed, so it raises no flags), u = fn(t). Flags of op1 and fn.
Fp32Result vec_lane(const VecCmd& cmd, uint32_t a, uint32_t b, bool hidden);
// True when element (r, c) is hidden by cmd's mask (CAUSAL: c > r + moff; PAD: c >= moff).
bool vec_hidden(const VecCmd& cmd, int r, int c);

// ts_vec: applies one VEC command to the accumulator image acc (FP32 bits, row-major,
// row x dim) and the scratchpad image spad (16-bit elements, row x dim), exactly as the
// engine does (docs/vec.md), and returns the OR of the command's flags. Preconditions
// (checked by the decoder, only asserted here): a legal command for this dim (op1, fn,
// mask in range, dst or red not NONE, rows, cols >= 1) whose every row lies inside the
// images; D = A or D disjoint from A and B; s disjoint from A, B and D.
uint8_t vec_run(const VecCmd& cmd, int dim, std::vector<uint32_t>& acc,
                std::vector<uint16_t>& spad);

}  // namespace tessera::golden
