// SPDX-License-Identifier: Apache-2.0
// Vector kernels as VEC command streams (docs/vec.md "Runtime ops"): row softmax and
// layer norm.
#include <algorithm>
#include <cmath>
#include <optional>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernel_util.hpp"
#include "tessera/runtime.hpp"

namespace tessera {
using namespace kernel;


CommandStream Runtime::build_softmax_backward(const SoftmaxBackwardArgs& a) const {
  constexpr const char* kOp = "softmax_backward";
  const ChipConfig& cfg = config();
  const uint64_t half = cfg.acc_rows / 2, D = cfg.dim;
  // Two rows (y and dy) and one per-row vector in a half.
  const uint32_t max_cols = uint32_t(std::min<uint64_t>((half - 1) / 2 * D, 65535 / 4));
  check_rows_kernel(kOp, vec_, true, dev_.backend(), a.rows, a.cols, max_cols, a.out);
  const uint64_t n = uint64_t(a.rows) * a.cols, dn = n * isa::format_bytes(a.out);
  if (a.y.size < n * 4 || a.dy.size < n * 4) bad(kOp, "y and dy must hold rows*cols FP32 values");
  if (a.dx.size < dn) bad(kOp, "buffer dx is smaller than rows*cols outputs");
  if ((a.dx.addr != a.dy.addr && overlaps(a.dx, dn, a.dy, n * 4)) || overlaps(a.dx, dn, a.y, n * 4)) {
    bad(kOp, "dx must be dy itself or overlap neither y nor dy");
  }
  const uint32_t w = isa::ceil_div(a.cols, cfg.dim);
  const uint32_t rb = rows_per_block(cfg, a.rows, 2 * uint64_t(w), 1);
  const uint32_t ob = isa::format_bytes(a.out);
  CommandStream s(cfg);
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += rb, ++blk) {
    const uint32_t m = std::min(rb, a.rows - r0);
    const uint32_t y_addr = uint32_t((blk % 2) * half), dy_addr = y_addr + m * w;
    const uint32_t s_addr = dy_addr + m * w;
    const uint64_t off = uint64_t(r0) * a.cols * 4;
    s.load(load_acc(a.y.addr + off, m, a.cols * 4, a.cols * 4, y_addr));
    s.load(load_acc(a.dy.addr + off, m, a.cols * 4, a.cols * 4, dy_addr));
    isa::VecCmd v = vec_cmd(isa::vec::kMul, isa::vec::kMat, dy_addr, y_addr, dy_addr, m, a.cols, w);
    v.dst = isa::vec::kNoDst;  // rowsum(dy * y) -> s
    v.red = isa::vec::kRedSum;
    v.r_addr = s_addr;
    s.vec(v);
    s.vec(vec_cmd(isa::vec::kSub, isa::vec::kRow, dy_addr, s_addr, dy_addr, m, a.cols, w));
    s.vec(vec_cmd(isa::vec::kMul, isa::vec::kMat, dy_addr, y_addr, dy_addr, m, a.cols, w));
    s.store(store_acc(a.dx.addr + uint64_t(r0) * a.cols * ob, m, a.cols, a.cols * ob, dy_addr, a.out));
  }
  return s;
}

RunStats Runtime::softmax_backward(const SoftmaxBackwardArgs& a) {
  return run(build_softmax_backward(a));
}

uint32_t Runtime::layernorm_max_cols() const {
  // One row, two per-row vectors and gamma and beta (w rows each) in the smaller half.
  const uint64_t half = config().acc_rows / 2, D = config().dim;
  return uint32_t(std::min<uint64_t>((half - 3) / 3 * D, 65535 / 4));
}

CommandStream Runtime::build_layernorm(const LayerNormArgs& a) const {
  constexpr const char* kOp = "layernorm";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, vec_divsqrt_, dev_.backend(), a.rows, a.cols,
                    layernorm_max_cols(), a.out);
  if (!(a.eps >= 0 && a.eps <= std::numeric_limits<float>::max())) {
    bad(kOp, "eps must be finite and >= 0");
  }
  const uint64_t n = uint64_t(a.rows) * a.cols;
  const uint64_t yn = n * isa::format_bytes(a.out);
  if (a.x.size < n * 4) bad(kOp, "buffer x is smaller than rows*cols FP32 values");
  if (a.gamma.size < uint64_t(a.cols) * 4 || a.beta.size < uint64_t(a.cols) * 4) {
    bad(kOp, "gamma and beta must hold cols FP32 values");
  }
  if (a.y.size < yn) bad(kOp, "buffer y is smaller than rows*cols outputs");
  if ((a.mean && a.mean->size < uint64_t(a.rows) * 4) ||
      (a.rstd && a.rstd->size < uint64_t(a.rows) * 4)) {
    bad(kOp, "mean and rstd must hold rows FP32 values");
  }
  if (a.x.addr != a.y.addr && overlaps(a.x, n * 4, a.y, yn)) {
    bad(kOp, "y must be x itself or not overlap it");
  }
  for (const std::optional<Buffer>& v : {a.mean, a.rstd}) {
    if (v && (overlaps(*v, uint64_t(a.rows) * 4, a.y, yn) ||
              overlaps(*v, uint64_t(a.rows) * 4, a.x, n * 4))) {
      bad(kOp, "mean and rstd must not overlap x or y");
    }
  }

  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2;
  const uint32_t w = isa::ceil_div(a.cols, D);
  // gamma and beta at the top of the accumulator, read by every block (COL operands).
  const uint32_t g_addr = cfg.acc_rows - 2 * w, b_addr = cfg.acc_rows - w;
  const uint32_t cap = half - 2 * w;  // rows of the upper half left for a block
  uint32_t rb = std::min(rows_per_block(cfg, a.rows, w, 3), a.rows);
  while (rb > 1 && half_rows_needed(rb, w, 3, D) > cap) --rb;
  const float inv_n = 1.0f / float(a.cols);
  const uint32_t ob = isa::format_bytes(a.out);
  CommandStream s(cfg);
  s.load(load_acc(a.gamma.addr, 1, a.cols * 4, a.cols * 4, g_addr));
  s.load(load_acc(a.beta.addr, 1, a.cols * 4, a.cols * 4, b_addr));
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += rb, ++blk) {
    const uint32_t m = std::min(rb, a.rows - r0), vr = isa::ceil_div(m, D);
    const uint32_t base = (blk % 2) * half;
    const uint32_t s_addr = base + m * w, mean_addr = s_addr + vr, r_addr = mean_addr + vr;
    s.load(load_acc(a.x.addr + uint64_t(r0) * a.cols * 4, m, a.cols * 4, a.cols * 4, base));
    isa::VecCmd v = vec_cmd(isa::vec::kPass, isa::vec::kImm, base, 0, base, m, a.cols, w);
    v.dst = isa::vec::kNoDst;  // sum(x) -> s
    v.red = isa::vec::kRedSum;
    v.r_addr = s_addr;
    s.vec(v);
    isa::VecCmd mv = vec_cmd(isa::vec::kMul, isa::vec::kImm, s_addr, 0, mean_addr, 1, m, vr);
    mv.imm = bits_of(inv_n);  // mean = s * (1/n)
    s.vec(mv);
    v = vec_cmd(isa::vec::kSub, isa::vec::kRow, base, mean_addr, base, m, a.cols, w);
    v.red = isa::vec::kRedSumSq;  // xc = x - mean (in place), sum(xc^2) -> s
    v.r_addr = s_addr;
    s.vec(v);
    isa::VecCmd var = vec_cmd(isa::vec::kMul, isa::vec::kImm, s_addr, 0, r_addr, 1, m, vr);
    var.imm = bits_of(inv_n);  // var = s * (1/n)
    s.vec(var);
    isa::VecCmd rs = vec_cmd(isa::vec::kAdd, isa::vec::kImm, r_addr, 0, r_addr, 1, m, vr);
    rs.imm = bits_of(a.eps);  // rstd = 1 / sqrt(var + eps)
    rs.fn = isa::vec::kRsqrt;
    s.vec(rs);
    s.vec(vec_cmd(isa::vec::kMul, isa::vec::kRow, base, r_addr, base, m, a.cols, w));
    s.vec(vec_cmd(isa::vec::kMul, isa::vec::kCol, base, g_addr, base, m, a.cols, w));
    s.vec(vec_cmd(isa::vec::kAdd, isa::vec::kCol, base, b_addr, base, m, a.cols, w));
    s.store(store_acc(a.y.addr + uint64_t(r0) * a.cols * ob, m, a.cols, a.cols * ob, base, a.out));
    if (a.mean) s.store(store_acc(a.mean->addr + uint64_t(r0) * 4, 1, m, m * 4, mean_addr, isa::StoreFormat::kRaw));
    if (a.rstd) s.store(store_acc(a.rstd->addr + uint64_t(r0) * 4, 1, m, m * 4, r_addr, isa::StoreFormat::kRaw));
  }
  return s;
}

RunStats Runtime::layernorm(const LayerNormArgs& a) { return run(build_layernorm(a)); }

uint32_t Runtime::softmax_max_cols() const {
  // One row and its two per-row vectors in a half; LOAD's 16-bit byte count.
  const uint64_t half = config().acc_rows / 2, D = config().dim;
  return uint32_t(std::min<uint64_t>((half - 2) * D, 65535 / 4));
}

CommandStream Runtime::build_softmax(const SoftmaxArgs& a) const {
  constexpr const char* kOp = "softmax";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, vec_divsqrt_, dev_.backend(), a.rows, a.cols, softmax_max_cols(),
                    a.out);
  if (!(std::abs(a.scale) <= std::numeric_limits<float>::max())) bad(kOp, "scale must be finite");
  if (a.causal && (a.causal_offset < -32768 || int64_t(a.causal_offset) + a.rows > 32767)) {
    bad(kOp, "causal_offset + rows must fit the mask's signed 16-bit offset");
  }
  if (a.valid_cols && *a.valid_cols > 32767) bad(kOp, "valid_cols must be below 32768");
  if (a.causal && a.valid_cols) bad(kOp, "one mask at a time: causal or valid_cols");
  const uint64_t xn = uint64_t(a.rows) * a.cols * 4, yn = uint64_t(a.rows) * a.cols * isa::format_bytes(a.out);
  if (a.x.size < xn) bad(kOp, "buffer x is smaller than rows*cols FP32 values");
  if (a.y.size < yn) bad(kOp, "buffer y is smaller than rows*cols outputs");
  if (a.x.addr != a.y.addr && overlaps(a.x, xn, a.y, yn)) {
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
    s.load(load_acc(a.x.addr + uint64_t(r0) * a.cols * 4, n, a.cols * 4, a.cols * 4, base));

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

    s.store(store_acc(a.y.addr + uint64_t(r0) * a.cols * ob, n, a.cols, a.cols * ob, base, a.out));
  }
  return s;
}

RunStats Runtime::softmax(const SoftmaxArgs& a) { return run(build_softmax(a)); }

}  // namespace tessera
