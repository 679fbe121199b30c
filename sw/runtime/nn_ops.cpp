// SPDX-License-Identifier: Apache-2.0
// Vector kernels of a transformer block's other layers as VEC command streams (docs/vec.md
// "Runtime ops"): GELU and its backward, the residual add, layer norm backward and the
// softmax cross-entropy with its backward.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernel_util.hpp"
#include "tessera/runtime.hpp"

namespace tessera {
using namespace kernel;

namespace {

constexpr double kGeluK = 0.7978845608028654;  // sqrt(2/pi)
constexpr double kGeluA = 0.044715;
// GELU's clamp of x: below x = -10.1, e = e^(-2z) overflows to +Inf (its argument passes
// 88.7), so y = x / (1 + e) is -0 and dy/dx is below 2^-110; at +20, e = +0 and dy/dx = 1.
// Clamping there changes no result in [-20, 20] and keeps -Inf * 0 and Inf * 0 (x^2
// overflowing) out.
constexpr float kGeluClamp = 20.0f;
constexpr float kFltMax = std::numeric_limits<float>::max();

// An output o (of on bytes) may be the input i itself (same address) or must not overlap it.
bool bad_alias(const Buffer& o, uint64_t on, const Buffer& i, uint64_t in) {
  return o.addr != i.addr && overlaps(o, on, i, in);
}

// The blocking of an elementwise kernel: the n = rows * cols elements, contiguous in host
// memory, are taken as rows of W = Dim * wk elements (the last one shorter), so every lane
// works whatever cols is. A block holds up to `slots` such rows of each of `nmat` matrices
// in one accumulator half (consecutive blocks alternate halves, so LOAD, VEC and STORE
// overlap). emit(off, rows, cols, acc, mstep, wk) adds the commands of one piece of rows x
// cols elements from element `off`: matrix j's first row at acc + j * mstep, rows wk apart.
template <typename Emit>
void elementwise_pieces(const ChipConfig& cfg, uint64_t n, uint32_t nmat, Emit emit) {
  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2;
  const uint64_t need = (n + D - 1) / D;  // rows of Dim elements in all
  // About four rows per block at least, a LOAD's 16-bit byte count per row.
  const uint32_t wk = uint32_t(
      std::max<uint64_t>(1, std::min<uint64_t>({need, 16383 / D, half / (uint64_t(nmat) * 4)})));
  const uint32_t W = D * wk;
  const uint32_t slots = std::min<uint32_t>(half / (nmat * wk), 65535);
  const uint64_t per_block = uint64_t(slots) * W;
  for (uint64_t off = 0, blk = 0; off < n; off += per_block, ++blk) {
    const uint64_t cnt = std::min(per_block, n - off);
    const uint32_t base = uint32_t(blk % 2) * half, mstep = slots * wk;
    const uint32_t full = uint32_t(cnt / W), tail = uint32_t(cnt % W);
    if (full) emit(off, full, W, base, mstep, wk);
    if (tail) emit(off + uint64_t(full) * W, 1u, tail, base + full * wk, mstep, wk);
  }
}

isa::VecCmd imm_cmd(uint8_t op1, float imm, uint32_t a, uint32_t d, uint32_t rows, uint32_t cols,
                    uint32_t stride) {
  isa::VecCmd v = vec_cmd(op1, isa::vec::kImm, a, 0, d, rows, cols, stride);
  v.imm = bits_of(imm);
  return v;
}

// Sums the m rows of the matrix at p (cols wide, rows `w` apart) into its first row by
// halving: rows [m - h, m) are added onto [0, h), h = floor(m / 2), until one row is left.
// Pairwise sums: log2(m) passes, each term within ceil(log2 m) roundings.
void sum_rows(CommandStream& s, uint32_t p, uint32_t m, uint32_t cols, uint32_t w) {
  while (m > 1) {
    const uint32_t h = m / 2;
    s.vec(vec_cmd(isa::vec::kAdd, isa::vec::kMat, p, p + (m - h) * w, p, h, cols, w));
    m -= h;
  }
}

// GELU's e = exp(t) for x at X into T (the algorithm of ref::GeluForm::kExpRecip):
// sq = fl(x x) (sq may be T), t = fl(c fl(fl(1 + fl(fl(a) sq)) x)), c = fl(-2k).
void gelu_exp(CommandStream& s, uint32_t X, uint32_t sq, uint32_t T, uint32_t rows, uint32_t cols,
              uint32_t w) {
  using namespace isa::vec;
  s.vec(vec_cmd(kMul, kMat, X, X, sq, rows, cols, w));
  s.vec(imm_cmd(kMul, float(kGeluA), sq, T, rows, cols, w));
  s.vec(imm_cmd(kAdd, 1.0f, T, T, rows, cols, w));
  s.vec(vec_cmd(kMul, kMat, T, X, T, rows, cols, w));  // w = x (1 + a x^2)
  isa::VecCmd e = imm_cmd(kMul, float(-2 * kGeluK), T, T, rows, cols, w);
  e.fn = kExp;
  s.vec(e);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// GELU forward, per piece: LOAD x; x = max(x, -20); T = e as gelu_exp; s = 1 / (T + 1)
// (e = +Inf gives s = +0); y = s x; STORE.
CommandStream Runtime::build_gelu(const GeluArgs& a) const {
  constexpr const char* kOp = "gelu";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, vec_divsqrt_, dev_.backend(), a.rows, a.cols, UINT32_MAX, a.out);
  const uint64_t n = uint64_t(a.rows) * a.cols, ob = isa::format_bytes(a.out);
  if (a.x.size < n * 4) bad(kOp, "buffer x is smaller than rows*cols FP32 values");
  if (a.y.size < n * ob) bad(kOp, "buffer y is smaller than rows*cols outputs");
  if (bad_alias(a.y, n * ob, a.x, n * 4)) bad(kOp, "y must be x itself or not overlap it");
  CommandStream s(cfg);
  elementwise_pieces(
      cfg, n, 2,
      [&](uint64_t off, uint32_t rows, uint32_t cols, uint32_t X, uint32_t mstep, uint32_t w) {
        using namespace isa::vec;
        const uint32_t T = X + mstep, W = cfg.dim * w;
        s.load(load_acc(a.x.addr + off * 4, rows, cols * 4, W * 4, X));
        s.vec(imm_cmd(kMax, -kGeluClamp, X, X, rows, cols, w));
        gelu_exp(s, X, T, T, rows, cols, w);
        isa::VecCmd r = imm_cmd(kAdd, 1.0f, T, T, rows, cols, w);
        r.fn = kRecip;
        s.vec(r);
        s.vec(vec_cmd(kMul, kMat, T, X, T, rows, cols, w));
        s.store(store_acc(a.y.addr + off * ob, rows, cols, uint32_t(W * ob), T, a.out));
      });
  return s;
}

RunStats Runtime::gelu(const GeluArgs& a) { return run(build_gelu(a)); }

// GELU backward, per piece (matrices X, G = dy, A, B, C):
//   x = min(max(x, -20), 20); A = x^2, B = e (gelu_exp); B saturated (PASS sat);
//   C = s = 1 / (B + 1); B = q = e s; A = id = fl(2k) (1 + fl(3a) x^2);
//   X = fl(fl(fl(x s) q) id) + s; X = dy X.
CommandStream Runtime::build_gelu_backward(const GeluBackwardArgs& a) const {
  constexpr const char* kOp = "gelu_backward";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, vec_divsqrt_, dev_.backend(), a.rows, a.cols, UINT32_MAX, a.out);
  const uint64_t n = uint64_t(a.rows) * a.cols, ob = isa::format_bytes(a.out);
  if (a.x.size < n * 4 || a.dy.size < n * 4) bad(kOp, "x and dy must hold rows*cols FP32 values");
  if (a.dx.size < n * ob) bad(kOp, "buffer dx is smaller than rows*cols outputs");
  if (bad_alias(a.dx, n * ob, a.dy, n * 4) || overlaps(a.dx, n * ob, a.x, n * 4)) {
    bad(kOp, "dx must be dy itself or overlap neither x nor dy");
  }
  CommandStream s(cfg);
  elementwise_pieces(
      cfg, n, 5,
      [&](uint64_t off, uint32_t rows, uint32_t cols, uint32_t X, uint32_t mstep, uint32_t w) {
        using namespace isa::vec;
        const uint32_t G = X + mstep, A = G + mstep, B = A + mstep, C = B + mstep;
        const uint32_t W = cfg.dim * w;
        s.load(load_acc(a.x.addr + off * 4, rows, cols * 4, W * 4, X));
        s.load(load_acc(a.dy.addr + off * 4, rows, cols * 4, W * 4, G));
        s.vec(imm_cmd(kMax, -kGeluClamp, X, X, rows, cols, w));
        s.vec(imm_cmd(kMin, kGeluClamp, X, X, rows, cols, w));
        gelu_exp(s, X, A, B, rows, cols, w);  // A = x^2, B = e
        isa::VecCmd sat = vec_cmd(kPass, kImm, B, 0, B, rows, cols, w);
        sat.sat = true;  // e = +Inf -> FLT_MAX: s = 1/FLT_MAX, q = e s ~ 1 (not Inf * 0)
        s.vec(sat);
        isa::VecCmd r = imm_cmd(kAdd, 1.0f, B, C, rows, cols, w);
        r.fn = kRecip;
        s.vec(r);
        s.vec(vec_cmd(kMul, kMat, B, C, B, rows, cols, w));  // q = e s
        s.vec(imm_cmd(kMul, float(3 * kGeluA), A, A, rows, cols, w));
        s.vec(imm_cmd(kAdd, 1.0f, A, A, rows, cols, w));
        s.vec(imm_cmd(kMul, float(2 * kGeluK), A, A, rows, cols, w));  // id
        s.vec(vec_cmd(kMul, kMat, X, C, X, rows, cols, w));            // x s
        s.vec(vec_cmd(kMul, kMat, X, B, X, rows, cols, w));            // (x s) q
        s.vec(vec_cmd(kMul, kMat, X, A, X, rows, cols, w));            // pr
        s.vec(vec_cmd(kAdd, kMat, X, C, X, rows, cols, w));            // s + pr
        s.vec(vec_cmd(kMul, kMat, X, G, X, rows, cols, w));            // dy (s + pr)
        s.store(store_acc(a.dx.addr + off * ob, rows, cols, uint32_t(W * ob), X, a.out));
      });
  return s;
}

RunStats Runtime::gelu_backward(const GeluBackwardArgs& a) { return run(build_gelu_backward(a)); }

CommandStream Runtime::build_residual_add(const ResidualAddArgs& a) const {
  constexpr const char* kOp = "residual_add";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, true, dev_.backend(), a.rows, a.cols, UINT32_MAX, a.out);
  const uint64_t n = uint64_t(a.rows) * a.cols, ob = isa::format_bytes(a.out);
  if (a.x.size < n * 4 || a.r.size < n * 4) bad(kOp, "x and r must hold rows*cols FP32 values");
  if (a.y.size < n * ob) bad(kOp, "buffer y is smaller than rows*cols outputs");
  const bool x_ok = a.y.addr == a.x.addr || !overlaps(a.y, n * ob, a.x, n * 4);
  const bool r_ok = a.y.addr == a.r.addr || !overlaps(a.y, n * ob, a.r, n * 4);
  if (!x_ok || !r_ok) bad(kOp, "y must be x or r itself or overlap neither");
  CommandStream s(cfg);
  elementwise_pieces(
      cfg, n, 2,
      [&](uint64_t off, uint32_t rows, uint32_t cols, uint32_t X, uint32_t mstep, uint32_t w) {
        const uint32_t R = X + mstep, W = cfg.dim * w;
        s.load(load_acc(a.x.addr + off * 4, rows, cols * 4, W * 4, X));
        s.load(load_acc(a.r.addr + off * 4, rows, cols * 4, W * 4, R));
        s.vec(vec_cmd(isa::vec::kAdd, isa::vec::kMat, X, R, X, rows, cols, w));
        s.store(store_acc(a.y.addr + off * ob, rows, cols, uint32_t(W * ob), X, a.out));
      });
  return s;
}

RunStats Runtime::residual_add(const ResidualAddArgs& a) { return run(build_residual_add(a)); }

// ---------------------------------------------------------------------------------------
// Layer norm backward. Top of the accumulator: gamma, dgamma, dbeta (w rows each). A block
// of m rows holds X, G (= dy), T, U (m w rows each) and the per-row vectors mean, rstd,
// A, B. The row sums of dgamma and dbeta are formed on the chip by halving (sum_rows) and
// folded into the running dgamma, dbeta rows (copied there by the first block).
uint32_t Runtime::layernorm_backward_max_cols() const {
  // One row of four matrices and four per-row vectors, plus three w-row vectors on top.
  const uint64_t half = config().acc_rows / 2, D = config().dim;
  return uint32_t(std::min<uint64_t>((half - 4) / 7 * D, 65535 / 4));
}

CommandStream Runtime::build_layernorm_backward(const LayerNormBackwardArgs& a) const {
  constexpr const char* kOp = "layernorm_backward";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, true, dev_.backend(), a.rows, a.cols, layernorm_backward_max_cols(),
                    a.out);
  const uint64_t n = uint64_t(a.rows) * a.cols, ob = isa::format_bytes(a.out);
  const uint64_t cb = uint64_t(a.cols) * 4, rb4 = uint64_t(a.rows) * 4;
  if (a.x.size < n * 4 || a.dy.size < n * 4) bad(kOp, "x and dy must hold rows*cols FP32 values");
  if (a.gamma.size < cb || a.dgamma.size < cb || a.dbeta.size < cb) {
    bad(kOp, "gamma, dgamma and dbeta must hold cols FP32 values");
  }
  if (a.mean.size < rb4 || a.rstd.size < rb4) bad(kOp, "mean and rstd must hold rows FP32 values");
  if (a.dx.size < n * ob) bad(kOp, "buffer dx is smaller than rows*cols outputs");
  const std::pair<Buffer, uint64_t> ins[] = {
      {a.x, n * 4}, {a.gamma, cb}, {a.mean, rb4}, {a.rstd, rb4}, {a.dy, n * 4}};
  for (size_t i = 0; i + 1 < std::size(ins); ++i) {  // every input but dy
    if (overlaps(a.dx, n * ob, ins[i].first, ins[i].second)) {
      bad(kOp, "dx must overlap none of x, gamma, mean, rstd");
    }
  }
  if (bad_alias(a.dx, n * ob, a.dy, n * 4)) bad(kOp, "dx must be dy itself or not overlap it");
  for (const Buffer& o : {a.dgamma, a.dbeta}) {
    for (const auto& in : ins) {
      if (overlaps(o, cb, in.first, in.second)) bad(kOp, "dgamma and dbeta must overlap no input");
    }
    if (overlaps(o, cb, a.dx, n * ob)) bad(kOp, "dgamma and dbeta must not overlap dx");
  }
  if (overlaps(a.dgamma, cb, a.dbeta, cb)) bad(kOp, "dgamma and dbeta must not overlap");

  using namespace isa::vec;
  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2;
  const uint32_t w = isa::ceil_div(a.cols, D);
  const uint32_t g_addr = cfg.acc_rows - 3 * w, dg_addr = g_addr + w, db_addr = dg_addr + w;
  const uint32_t cap = half - 3 * w;
  uint32_t rb = rows_per_block(cfg, a.rows, 4 * uint64_t(w), 4);
  while (rb > 1 && half_rows_needed(rb, 4 * uint64_t(w), 4, D) > cap) --rb;
  const float inv_n = 1.0f / float(a.cols);
  CommandStream s(cfg);
  s.load(load_acc(a.gamma.addr, 1, a.cols * 4, a.cols * 4, g_addr));
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += rb, ++blk) {
    const uint32_t m = std::min(rb, a.rows - r0), vr = isa::ceil_div(m, D);
    const uint32_t X = (blk % 2) * half, G = X + m * w, T = G + m * w, U = T + m * w;
    const uint32_t MU = U + m * w, R = MU + vr, SA = R + vr, SB = SA + vr;
    const uint64_t off = uint64_t(r0) * a.cols * 4;
    s.load(load_acc(a.x.addr + off, m, a.cols * 4, a.cols * 4, X));
    s.load(load_acc(a.dy.addr + off, m, a.cols * 4, a.cols * 4, G));
    s.load(load_acc(a.mean.addr + uint64_t(r0) * 4, 1, m * 4, m * 4, MU));
    s.load(load_acc(a.rstd.addr + uint64_t(r0) * 4, 1, m * 4, m * 4, R));
    s.vec(vec_cmd(kSub, kRow, X, MU, X, m, a.cols, w));  // x - mean
    s.vec(vec_cmd(kMul, kRow, X, R, X, m, a.cols, w));   // xh
    isa::VecCmd v = vec_cmd(kMul, kCol, G, g_addr, T, m, a.cols, w);
    v.red = kRedSum;  // g = dy gamma, sum(g) -> SA
    v.r_addr = SA;
    s.vec(v);
    v = vec_cmd(kMul, kMat, T, X, T, m, a.cols, w);
    v.dst = kNoDst;  // sum(g xh) -> SB
    v.red = kRedSum;
    v.r_addr = SB;
    s.vec(v);
    s.vec(vec_cmd(kMul, kMat, G, X, U, m, a.cols, w));  // dy xh
    // Column sums of dy (dbeta) and dy xh (dgamma) over this block, into the running rows.
    for (const auto& [p, acc] : {std::pair<uint32_t, uint32_t>{G, db_addr}, {U, dg_addr}}) {
      sum_rows(s, p, m, a.cols, w);
      s.vec(blk == 0 ? vec_cmd(kPass, kImm, p, 0, acc, 1, a.cols, w)
                     : vec_cmd(kAdd, kMat, acc, p, acc, 1, a.cols, w));
    }
    s.vec(imm_cmd(kMul, inv_n, SA, SA, 1, m, vr));       // A = sum(g) / n
    s.vec(imm_cmd(kMul, inv_n, SB, SB, 1, m, vr));       // B = sum(g xh) / n
    s.vec(vec_cmd(kSub, kRow, T, SA, T, m, a.cols, w));  // g - A
    s.vec(vec_cmd(kMul, kRow, X, SB, X, m, a.cols, w));  // xh B
    s.vec(vec_cmd(kSub, kMat, T, X, T, m, a.cols, w));   // (g - A) - xh B
    s.vec(vec_cmd(kMul, kRow, T, R, T, m, a.cols, w));   // dx = rstd (...)
    s.store(store_acc(a.dx.addr + uint64_t(r0) * a.cols * ob, m, a.cols, uint32_t(a.cols * ob), T,
                      a.out));
  }
  s.store(store_acc(a.dgamma.addr, 1, a.cols, a.cols * 4, dg_addr, isa::StoreFormat::kRaw));
  s.store(store_acc(a.dbeta.addr, 1, a.cols, a.cols * 4, db_addr, isa::StoreFormat::kRaw));
  return s;
}

RunStats Runtime::layernorm_backward(const LayerNormBackwardArgs& a) {
  return run(build_layernorm_backward(a));
}

// ---------------------------------------------------------------------------------------
// Softmax cross-entropy. The one-hot rows of the backward pass (a Dim x Dim FP32 identity)
// sit at the top of the accumulator; a block holds m logit rows and the per-row vectors.
uint32_t Runtime::cross_entropy_max_cols() const {
  // One row, two per-row vectors and the Dim identity rows in a half (the forward's three
  // vectors fit as well); LOAD's 16-bit byte count.
  const uint64_t half = config().acc_rows / 2, D = config().dim;
  return uint32_t(std::min<uint64_t>((half - D - 3) * D, 65535 / 4));
}

namespace {

struct CeShape {
  uint64_t n = 0;
  uint32_t w = 0, rb = 0, count = 0;
};

CeShape check_cross_entropy(const char* op, const ChipConfig& cfg, const CrossEntropyArgs& a) {
  CeShape c;
  c.n = uint64_t(a.rows) * a.cols;
  if (a.logits.size < c.n * 4) bad(op, "buffer logits is smaller than rows*cols FP32 values");
  if (a.labels.size() != a.rows) {
    bad(op, "labels must hold rows entries (" + std::to_string(a.labels.size()) + " given)");
  }
  for (size_t i = 0; i < a.labels.size(); ++i) {
    const int64_t l = a.labels[i];
    if (l == a.ignore_index) {
      continue;
    }
    if (l < 0 || uint64_t(l) >= a.cols) {
      bad(op, "label " + std::to_string(l) + " of row " + std::to_string(i) + " is outside [0, " +
                  std::to_string(a.cols) + ") and not ignore_index");
    }
    ++c.count;
  }
  c.w = isa::ceil_div(a.cols, cfg.dim);
  c.rb = rows_per_block(cfg, a.rows, c.w, 3);
  while (c.rb > 1 && half_rows_needed(c.rb, c.w, 3, cfg.dim) > cfg.acc_rows / 2 - cfg.dim) --c.rb;
  return c;
}

// The first softmax passes over a block of m rows at X: t = min(z, FLT_MAX) in place (+Inf
// counts as FLT_MAX, -Inf stays) with row max -> M; M = max(M, -FLT_MAX) (a row of only
// -Inf: e^(-Inf - -FLT_MAX) = 0, so l = 0 and p = 0 as the reference's fully excluded row,
// not -Inf - -Inf = NaN); then e^(t - M) with row sum -> L (written back when `write`).
void ce_max_sum(CommandStream& s, uint32_t X, uint32_t M, uint32_t L, uint32_t m, uint32_t vr,
                uint32_t cols, uint32_t w, bool write) {
  using namespace isa::vec;
  isa::VecCmd v = imm_cmd(kMin, kFltMax, X, X, m, cols, w);
  v.red = kRedMax;
  v.r_addr = M;
  s.vec(v);
  s.vec(imm_cmd(kMax, -kFltMax, M, M, 1, m, vr));
  v = vec_cmd(kSub, kRow, X, M, X, m, cols, w);
  v.fn = kExp;
  v.red = kRedSum;
  v.r_addr = L;
  if (!write) v.dst = kNoDst;
  s.vec(v);
}

}  // namespace

// Forward: per block LOAD z; PASS red MAX -> mr with no destination (+Inf in the row shows
// here, where t = min(z, FLT_MAX) hides it); ce_max_sum -> m, l (no destination); STOREs
// of mr, m, l. Then on the host, per row: NaN in m, l or mr -> NaN; z_label = -Inf -> +Inf;
// mr = +Inf with a finite label logit -> +Inf; else loss = fl(fl(log l) -
// fl(min(z_label, FLT_MAX) - m)), the log in double rounded once (within the reference's
// log_rel = 2^-23). mean = fl(fl(sum loss) / count), summed in row order.
CrossEntropyResult Runtime::softmax_cross_entropy(const CrossEntropyArgs& a) {
  constexpr const char* kOp = "softmax_cross_entropy";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, true, dev_.backend(), a.rows, a.cols, cross_entropy_max_cols(),
                    isa::StoreFormat::kRaw);
  const CeShape c = check_cross_entropy(kOp, cfg, a);
  using namespace isa::vec;
  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2;
  Scratch scratch(*this);
  const Buffer stats = scratch.alloc(uint64_t(a.rows) * 12);  // mr, m, l per row
  CommandStream s(cfg);
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += c.rb, ++blk) {
    const uint32_t m = std::min(c.rb, a.rows - r0), vr = isa::ceil_div(m, D);
    const uint32_t X = (blk % 2) * half, MR = X + m * c.w, M = MR + vr, L = M + vr;
    s.load(load_acc(a.logits.addr + uint64_t(r0) * a.cols * 4, m, a.cols * 4, a.cols * 4, X));
    isa::VecCmd v = vec_cmd(kPass, kImm, X, 0, X, m, a.cols, c.w);
    v.dst = kNoDst;
    v.red = kRedMax;
    v.r_addr = MR;
    s.vec(v);
    ce_max_sum(s, X, M, L, m, vr, a.cols, c.w, false);
    for (uint32_t k = 0; k < 3; ++k) {
      s.store(store_acc(stats.addr + (uint64_t(k) * a.rows + r0) * 4, 1, m, m * 4, MR + k * vr,
                        isa::StoreFormat::kRaw));
    }
  }
  CrossEntropyResult res;
  res.stats = run(s);
  std::vector<float> st(size_t(a.rows) * 3);
  read(stats, st.data(), st.size() * 4);
  res.loss.assign(a.rows, 0.0f);
  res.count = c.count;
  const float inf = std::numeric_limits<float>::infinity();
  float sum = 0;
  for (uint32_t i = 0; i < a.rows; ++i) {
    if (a.labels[i] == a.ignore_index) continue;
    const float mr = st[i], mx = st[a.rows + i], l = st[2 * size_t(a.rows) + i];
    float z;
    read(a.logits, &z, 4, (uint64_t(i) * a.cols + uint64_t(a.labels[i])) * 4);
    float loss;
    if (std::isnan(mr) || std::isnan(mx) || std::isnan(l)) {
      loss = std::numeric_limits<float>::quiet_NaN();
    } else if (z == -inf || (mr == inf && z != inf)) {
      loss = inf;  // the label's probability is 0
    } else {
      const float zs = std::min(kFltMax, z);  // as the chip's t (z = -Inf was handled)
      const float d = zs - mx;
      loss = float(std::log(double(l))) - d;
    }
    res.loss[i] = loss;
    sum += loss;
  }
  res.mean = c.count ? sum / float(c.count) : 0.0f;
  return res;
}

// Backward: per block LOAD z; ce_max_sum (in place); 1/max(l, 1) and p = e (1/l) as
// softmax; per row with a label y: VEC SUB(MAT one-hot row y mod Dim) on the one
// accumulator row holding column y; MUL(IMM s), s = fl(dloss / count); per run of ignored
// rows: PASS with the mask hiding every column and fn EXP (e^-Inf = +0, whatever the row
// held); STORE.
RunStats Runtime::softmax_cross_entropy_backward(const CrossEntropyArgs& a) {
  constexpr const char* kOp = "softmax_cross_entropy_backward";
  const ChipConfig& cfg = config();
  check_rows_kernel(kOp, vec_, vec_divsqrt_, dev_.backend(), a.rows, a.cols,
                    cross_entropy_max_cols(), a.out);
  if (!std::isfinite(a.dloss)) bad(kOp, "dloss must be finite");
  const CeShape c = check_cross_entropy(kOp, cfg, a);
  const uint64_t ob = isa::format_bytes(a.out);
  if (a.dlogits.size < c.n * ob) bad(kOp, "buffer dlogits is smaller than rows*cols outputs");
  if (bad_alias(a.dlogits, c.n * ob, a.logits, c.n * 4)) {
    bad(kOp, "dlogits must be logits itself or not overlap it");
  }
  using namespace isa::vec;
  const uint32_t D = cfg.dim, half = cfg.acc_rows / 2, oh = cfg.acc_rows - D;
  const float scale = c.count ? a.dloss / float(c.count) : 0.0f;
  std::vector<float> ident(size_t(D) * D, 0.0f);
  for (uint32_t i = 0; i < D; ++i) ident[size_t(i) * D + i] = 1.0f;
  Scratch scratch(*this);
  const Buffer hb = scratch.alloc(ident.size() * 4);
  write(hb, ident.data(), ident.size() * 4);
  CommandStream s(cfg);
  s.load(load_acc(hb.addr, D, D * 4, D * 4, oh));
  for (uint32_t r0 = 0, blk = 0; r0 < a.rows; r0 += c.rb, ++blk) {
    const uint32_t m = std::min(c.rb, a.rows - r0), vr = isa::ceil_div(m, D);
    const uint32_t X = (blk % 2) * half, M = X + m * c.w, L = M + vr;
    s.load(load_acc(a.logits.addr + uint64_t(r0) * a.cols * 4, m, a.cols * 4, a.cols * 4, X));
    ce_max_sum(s, X, M, L, m, vr, a.cols, c.w, true);
    isa::VecCmd inv = imm_cmd(kMax, 1.0f, L, L, 1, m, vr);
    inv.fn = kRecip;
    s.vec(inv);
    s.vec(vec_cmd(kMul, kRow, X, L, X, m, a.cols, c.w));  // p
    for (uint32_t i = 0; i < m; ++i) {
      const int64_t y = a.labels[r0 + i];
      if (y == a.ignore_index) continue;
      const uint32_t cb = uint32_t(y) / D;
      const uint32_t row = X + i * c.w + cb, lanes = std::min(D, a.cols - cb * D);
      s.vec(vec_cmd(kSub, kMat, row, oh + uint32_t(y) % D, row, 1, lanes, c.w));  // p - 1
    }
    s.vec(imm_cmd(kMul, scale, X, X, m, a.cols, c.w));
    for (uint32_t i = 0; i < m;) {
      if (a.labels[r0 + i] != a.ignore_index) {
        ++i;
        continue;
      }
      uint32_t j = i;
      while (j < m && a.labels[r0 + j] == a.ignore_index) ++j;
      isa::VecCmd z = vec_cmd(kPass, kImm, X + i * c.w, 0, X + i * c.w, j - i, a.cols, c.w);
      z.mask = kPad;  // hides every column: t = -Inf, e^t = +0
      z.moff = 0;
      z.fn = kExp;
      s.vec(z);
      i = j;
    }
    s.store(store_acc(a.dlogits.addr + uint64_t(r0) * a.cols * ob, m, a.cols, uint32_t(a.cols * ob),
                      X, a.out));
  }
  return run(s);
}

}  // namespace tessera
