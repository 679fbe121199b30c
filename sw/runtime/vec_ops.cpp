// SPDX-License-Identifier: Apache-2.0
// Vector kernels as VEC command streams (docs/vec.md "Runtime ops"): row softmax.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "tessera/runtime.hpp"

namespace tessera {
namespace {

[[noreturn]] void bad(const char* op, const std::string& m) {
  throw std::invalid_argument(std::string(op) + ": " + m);
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Rows of one accumulator half that a block of `rb` logical rows of `w` accumulator rows
// each needs, plus `vectors` per-row vectors (ceil(rb / dim) rows each).
uint64_t half_rows_needed(uint64_t rb, uint64_t w, uint64_t vectors, uint64_t dim) {
  return rb * w + vectors * ((rb + dim - 1) / dim);
}

// The largest block of rows (<= rows, <= 65535) that fits one accumulator half.
uint32_t rows_per_block(const ChipConfig& cfg, uint32_t rows, uint64_t w, uint64_t vectors) {
  const uint64_t half = cfg.acc_rows / 2;
  uint64_t lo = 0, hi = std::min<uint64_t>(rows, 65535);
  while (lo < hi) {  // largest rb with half_rows_needed(rb) <= half
    const uint64_t mid = (lo + hi + 1) / 2;
    if (half_rows_needed(mid, w, vectors, cfg.dim) <= half) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return uint32_t(lo);
}

}  // namespace

uint32_t Runtime::softmax_max_cols() const {
  // One row and its two per-row vectors in a half; LOAD's 16-bit byte count.
  const uint64_t half = config().acc_rows / 2, D = config().dim;
  return uint32_t(std::min<uint64_t>((half - 2) * D, 65535 / 4));
}

CommandStream Runtime::build_softmax(const SoftmaxArgs& a) const {
  constexpr const char* kOp = "softmax";
  const ChipConfig& cfg = config();
  if (!vec_) bad(kOp, "the device has no vector unit (CFG_DIM.vec = 0, " + dev_.backend() + " backend)");
  if (!vec_divsqrt_) bad(kOp, "the device's vector unit has no RECIP (CFG_DIM.vec_divsqrt = 0)");
  if (a.rows == 0 || a.cols == 0) bad(kOp, "rows and cols must be at least 1");
  if (a.cols > softmax_max_cols()) {
    bad(kOp, "cols = " + std::to_string(a.cols) + " exceeds " + std::to_string(softmax_max_cols()) +
                 " (one row must fit an accumulator half)");
  }
  if (a.out != isa::StoreFormat::kRaw && a.out != isa::StoreFormat::kFp16 &&
      a.out != isa::StoreFormat::kBf16) {
    bad(kOp, "the output format must be raw FP32, FP16 or BF16");
  }
  if (!(std::abs(a.scale) <= std::numeric_limits<float>::max())) bad(kOp, "scale must be finite");
  if (a.causal && (a.causal_offset < -32768 || int64_t(a.causal_offset) + a.rows > 32767)) {
    bad(kOp, "causal_offset + rows must fit the mask's signed 16-bit offset");
  }
  if (a.valid_cols && *a.valid_cols > 32767) bad(kOp, "valid_cols must be below 32768");
  if (a.causal && a.valid_cols) bad(kOp, "one mask at a time: causal or valid_cols");
  const uint64_t xn = uint64_t(a.rows) * a.cols * 4, yn = uint64_t(a.rows) * a.cols * isa::format_bytes(a.out);
  if (a.x.size < xn) bad(kOp, "buffer x is smaller than rows*cols FP32 values");
  if (a.y.size < yn) bad(kOp, "buffer y is smaller than rows*cols outputs");
  if (a.x.addr != a.y.addr && a.x.addr < uint64_t(a.y.addr) + yn && a.y.addr < uint64_t(a.x.addr) + xn) {
    bad(kOp, "y must be x itself or not overlap it");
  }

  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2;
  const uint32_t w = isa::ceil_div(a.cols, D);
  const uint32_t rb = rows_per_block(cfg, a.rows, w, 2);
  const uint32_t ob = isa::format_bytes(a.out);
  CommandStream s(cfg);
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += rb, ++blk) {
    const uint32_t n = std::min(rb, a.rows - r0);
    const uint32_t base = (blk % 2) * half;  // blocks alternate halves: load, compute, store overlap
    const uint32_t m_addr = base + n * w, l_addr = m_addr + isa::ceil_div(n, D);
    isa::LoadCmd ld;
    ld.to_acc = true;
    ld.dram_addr = uint32_t(a.x.addr + uint64_t(r0) * a.cols * 4);
    ld.stride = a.cols * 4;
    ld.rows = uint16_t(n);
    ld.bytes = uint16_t(a.cols * 4);
    ld.sram_addr = base;
    s.load(ld);

    isa::VecCmd v;  // 1: t = sat(scale * x), masked; row max -> m
    v.rows = uint16_t(n);
    v.cols = uint16_t(a.cols);
    v.a_addr = base;
    v.d_addr = base;
    v.stride = uint16_t(w);
    v.op1 = a.scale == 1.0f ? isa::vec::kPass : isa::vec::kMul;
    v.bsrc = isa::vec::kImm;
    v.imm = bits_of(a.scale);
    v.sat = true;
    if (a.causal) {
      v.mask = isa::vec::kCausal;
      v.moff = int16_t(a.causal_offset + int32_t(r0));  // the block's rows start at r0
    } else if (a.valid_cols) {
      v.mask = isa::vec::kPad;
      v.moff = int16_t(*a.valid_cols);
    }
    v.red = isa::vec::kRedMax;
    v.r_addr = m_addr;
    v.dst = isa::vec::kAcc;
    s.vec(v);

    // 2: p = exp(t - m[r]), the mask again (a fully hidden row has m = -Inf); sum -> l.
    v.op1 = isa::vec::kSub;
    v.bsrc = isa::vec::kRow;
    v.b_addr = m_addr;
    v.sat = false;
    v.fn = isa::vec::kExp;
    v.red = isa::vec::kRedSum;
    v.r_addr = l_addr;
    s.vec(v);

    // 3: l = 1 / max(l, 1) on the vector (l >= 1 unless the whole row is hidden: l = 0).
    isa::VecCmd inv;
    inv.rows = 1;
    inv.cols = uint16_t(n);
    inv.a_addr = l_addr;
    inv.d_addr = l_addr;
    inv.stride = uint16_t(isa::ceil_div(n, D));
    inv.op1 = isa::vec::kMax;
    inv.bsrc = isa::vec::kImm;
    inv.imm = bits_of(1.0f);
    inv.fn = isa::vec::kRecip;
    inv.dst = isa::vec::kAcc;
    s.vec(inv);

    // 4: y = p * (1 / l)[r].
    v.op1 = isa::vec::kMul;
    v.bsrc = isa::vec::kRow;
    v.b_addr = l_addr;
    v.mask = isa::vec::kNoMask;
    v.fn = isa::vec::kNone;
    v.red = isa::vec::kNoRed;
    s.vec(v);

    isa::StoreCmd st;
    st.format = a.out;
    st.dram_addr = uint32_t(a.y.addr + uint64_t(r0) * a.cols * ob);
    st.stride = a.cols * ob;
    st.rows = uint16_t(n);
    st.cols = uint16_t(a.cols);
    st.acc_addr = base;
    s.store(st);
  }
  return s;
}

RunStats Runtime::softmax(const SoftmaxArgs& a) { return run(build_softmax(a)); }

}  // namespace tessera
