// SPDX-License-Identifier: Apache-2.0
// Independent FP64 references of the vector-unit kernels and attention, with FP32 tolerances.
#pragma once

// These are references, not golden models: they compute the mathematical result in double
// (the matrix products with OpenBLAS cblas_dgemm) and share no code with the order-matched
// golden models of the chip. A chip result is checked against them within the tolerance
// functions at the end of this file, whose derivations are in sw/reference/vec.cpp and
// docs/vec_reference.md.
//
// Conventions. Matrices are row-major; an input matrix is a MatIn (pointer, rows, cols,
// leading dimension ld >= cols); outputs are dense (ld = cols) std::vector<double>.
// Attention tensors are dense [heads][seq][head_dim]. Every function throws
// std::invalid_argument on inconsistent sizes. Non-finite inputs follow the rules stated
// per function; in short, a NaN input makes NaN of the results that depend on it, and
// the other special cases have the mathematical limit where one exists.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::ref {

struct MatIn {
  const double* data = nullptr;
  size_t rows = 0, cols = 0, ld = 0;
};
// A view of v as rows x cols with leading dimension ld (0: cols); throws if v is too short.
MatIn mat(const std::vector<double>& v, size_t rows, size_t cols, size_t ld = 0);

// ---------------------------------------------------------------------------------------
// Softmax over each row.
//
// z_ij = x_ij + add_ij (IEEE double add; add optional, same shape as x). With `causal`,
// element (i, j) with j > i is excluded (top-left aligned, as PyTorch's is_causal): it is
// not read and its output is 0. An element whose z is -Inf is also excluded.
//   y_ij = exp(z_ij - m_i) / sum_k exp(z_ik - m_i),  m_i = max_k z_ik  (numerically stable).
// Defined extremes:
//   * a fully excluded row (every z -Inf, or masked) gives an all-zero output row;
//   * +Inf in z: the limit as those entries grow together, i.e. 1/k on each of the k
//     +Inf entries and 0 elsewhere;
//   * large finite logits (+-1e4 and beyond) are accurate to double precision (the max is
//     subtracted first, nothing overflows);
//   * a NaN in z (from x or add, or +Inf + -Inf) makes the whole row NaN (the
//     normaliser depends on every element); rows without NaN are unaffected.
struct SoftmaxOpts {
  const MatIn* add = nullptr;  // additive mask (e.g. -Inf / 0 entries), or nullptr
  bool causal = false;
};
std::vector<double> softmax_rows(const MatIn& x, const SoftmaxOpts& o = {});

// dx = y (.) (dy - rowsum(dy (.) y)), y the softmax output. IEEE arithmetic: an excluded
// element (y = 0) has dx = 0 unless dy is non-finite there; NaN/Inf in dy spread along
// its row through the row sum.
std::vector<double> softmax_rows_backward(const MatIn& y, const MatIn& dy);

// ---------------------------------------------------------------------------------------
// Layer norm over each row (length n = cols), biased variance as PyTorch:
//   mean = sum x / n, var = sum (x - mean)^2 / n (two passes), rstd = 1 / sqrt(var + eps),
//   y = (x - mean) * rstd * gamma + beta.
// A row holding +-Inf or NaN has y, mean and rstd NaN: with an infinite element the
// normalised values depend on how fast each element diverges, so no limit exists (this is
// the one exception to "NaN only from NaN"). gamma/beta non-finite: IEEE per column.
struct LayerNormFwd {
  std::vector<double> y, mean, rstd;
};
LayerNormFwd layernorm_forward(const MatIn& x, const std::vector<double>& gamma,
                               const std::vector<double>& beta, double eps);

// With xh = (x - mean) * rstd, g = dy * gamma (given mean and rstd, as saved by forward):
//   dx = rstd * (g - mean_row(g) - xh * mean_row(g * xh)),
//   dgamma = sum_rows dy * xh, dbeta = sum_rows dy.  IEEE arithmetic for non-finite inputs.
struct LayerNormBwd {
  std::vector<double> dx, dgamma, dbeta;
};
LayerNormBwd layernorm_backward(const MatIn& x, const std::vector<double>& gamma,
                                const std::vector<double>& mean, const std::vector<double>& rstd,
                                const MatIn& dy);

// ---------------------------------------------------------------------------------------
// GELU, tanh form (PyTorch approximate='tanh'), elementwise:
//   y = 0.5 x (1 + tanh(k (x + a x^3))), k = sqrt(2/pi), a = 0.044715,
//   dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 a x^2), t = tanh(k (x + a x^3)).
// Evaluated in this form, PyTorch's order, in double (for x << 0, 1 + t cancels: the
// result is then within ~|x| 2^-53 absolute of the exact value, which the tolerances
// account for). Extremes: y(+Inf) = +Inf, y(-Inf) = -0 (the limit, where the formula
// gives NaN); dy/dx is its limit 1 or 0 for |x| > 1e100 (x^2 would overflow) and at
// +-Inf (dx = dy * that); NaN -> NaN.
std::vector<double> gelu_tanh_forward(const std::vector<double>& x);
std::vector<double> gelu_tanh_backward(const std::vector<double>& x, const std::vector<double>& dy);

// ---------------------------------------------------------------------------------------
// Softmax cross-entropy with integer labels, mean over the rows whose label is not
// ignore_index (as PyTorch reduction='mean'):
//   loss_i = -log softmax(z_i)[label_i] = logsumexp(z_i) - z_i[label_i].
// Labels outside [0, cols) other than ignore_index throw std::invalid_argument.
// Extremes follow softmax_rows: +Inf logits share the probability (loss log k if the label
// is one of k +Inf entries, +Inf otherwise); a -Inf label logit gives +Inf; NaN in a row
// gives NaN loss for that row (and the mean). Ignored rows have loss 0 and dlogits 0.
// If every row is ignored, mean = 0 and dlogits = 0 (PyTorch gives NaN from 0/0; an
// all-padding batch is defined here not to poison a step).
struct CrossEntropyFwd {
  std::vector<double> loss;  // per row (0 for ignored rows)
  double mean = 0;
  size_t count = 0;  // rows not ignored
};
CrossEntropyFwd softmax_cross_entropy_forward(const MatIn& logits,
                                              const std::vector<int64_t>& labels,
                                              int64_t ignore_index = -100);
// dlogits_ij = dloss / count * (softmax(z_i)_j - [j == label_i]) (0 for ignored rows).
std::vector<double> softmax_cross_entropy_backward(const MatIn& logits,
                                                   const std::vector<int64_t>& labels,
                                                   int64_t ignore_index = -100, double dloss = 1.0);

// ---------------------------------------------------------------------------------------
// Scaled dot-product attention per head (no dropout), Q [heads][seq_q][d], K and V
// [heads][seq_k][d], dense:
//   S = scale Q K^T, causal: S_ij excluded for j > i (top-left aligned),
//   P = softmax_rows(S), O = P V, lse_i = log sum_j exp(S_ij) (-Inf if all excluded).
// Matrix products by cblas_dgemm; softmax as softmax_rows (same extremes; a row with
// NaN scores is NaN in O and lse). seq_k = 0 gives O = 0 and lse = -Inf.
struct AttnShape {
  size_t heads = 1, seq_q = 0, seq_k = 0, head_dim = 0;
  double scale = 1;
  bool causal = false;
};
struct AttnFwd {
  std::vector<double> o, lse;  // o [heads][seq_q][d], lse [heads][seq_q]
};
AttnFwd attention_forward(const std::vector<double>& q, const std::vector<double>& k,
                          const std::vector<double>& v, const AttnShape& s);

// The same result by the tiled online softmax the chip uses: for each query row, key
// blocks of `block` columns with a running max m, running sum l and running output acc,
//   m' = max(m, max_block S), l = l e^(m - m') + sum e^(S - m'), acc = acc e^(m - m') + e^(S - m')
//   V,
// and at the end O = acc / l, lse = m + log l. Plain loops in double (no BLAS).
AttnFwd attention_forward_tiled(const std::vector<double>& q, const std::vector<double>& k,
                                const std::vector<double>& v, const AttnShape& s,
                                size_t block = 16);

// Standard backward from the saved O and lse (P recomputed as exp(S - lse), 0 where
// excluded or lse = -Inf):
//   dV = P^T dO, dP = dO V^T, D_i = sum_c dO_ic O_ic, dS = P (.) (dP - D),
//   dQ = scale dS K, dK = scale dS^T Q.
struct AttnBwd {
  std::vector<double> dq, dk, dv;
};
AttnBwd attention_backward(const std::vector<double>& q, const std::vector<double>& k,
                           const std::vector<double>& v, const std::vector<double>& o,
                           const std::vector<double>& d_o, const std::vector<double>& lse,
                           const AttnShape& s);

// ---------------------------------------------------------------------------------------
// Tolerances. Each *_tolerance function returns, per result element, a bound on
// |result_of_an_FP32_evaluation - result_of_this_reference|, i.e. the FP32 evaluation's
// own error bound (model `m`) plus this reference's (the same analysis with the double
// model), inflated by 2^-40 relative and 2^-1000 absolute for the bound's own rounding.
//
// A NaN tolerance means only a NaN result matches (the reference is NaN); where the
// reference is an exact special value (+-Inf, a masked 0, the 1/k of +Inf logits, the GELU
// limits at +-Inf) the tolerance is 0 or one rounding: the chip must produce the defined
// value, which a plain FP32 formula does not always do (e.g. Inf - Inf in softmax).
//
// The FP32 evaluation is assumed to follow the algorithm stated with the corresponding
// tolerance in sw/reference/vec.cpp and docs/vec_reference.md (the natural order, as PyTorch's
// kernels; a different order needs its own derivation) with every + - * / one
// IEEE binary32 operation with RNE (sums in any order), inputs exactly representable in
// binary32, constants (eps, scale, GELU's k and a) rounded once to binary32, no overflow,
// and exp/log/tanh/rsqrt units within the relative errors of FpModel. Notation in the
// comments: u unit roundoff, gamma_n = n u / (1 - n u) (as the GEMM bound of
// tessera/reference/gemm.hpp), theta_n any quantity with |theta_n| <= gamma_n, eta the
// absolute error of one rounding into the subnormal range.
struct FpModel {
  double u = 0x1p-24;
  double eta = 0x1p-149;      // >= half the smallest subnormal: 2^-150 for binary32
  double exp_rel = 0x1p-23;   // |exp_hw(t) - e^t| <= exp_rel e^t (+ eta) for its argument t
  double log_rel = 0x1p-23;   // |log_hw(t) - log t| <= log_rel |log t|
  double tanh_rel = 0x1p-23;  // |tanh_hw(t) - tanh t| <= tanh_rel |tanh t|
  double rsqrt_rel = 0x1p-23 / (1 - 0x1p-24);  // 1 / sqrt(t): sqrt then divide, both RNE
  int exp_arg_roundings = 1;    // roundings forming exp's argument: 1 for fl(x - m); 3 for
                                // fl(fl(x - m) * fl(log2 e)) fed to an exp2 unit
  double max = 0x1.fffffep127;  // largest finite value (where exp may overflow to +Inf)
  static FpModel fp32() { return {}; }
  static FpModel fp64();  // u = 2^-53, glibc libm within 4 ulp: the reference's own model
};
double gamma_n(double n, double u);  // n u / (1 - n u); +Inf if n u >= 1

std::vector<double> softmax_rows_tolerance(const MatIn& x, const SoftmaxOpts& o = {},
                                           const FpModel& m = FpModel::fp32());
std::vector<double> softmax_rows_backward_tolerance(const MatIn& y, const MatIn& dy,
                                                    const FpModel& m = FpModel::fp32());
struct LayerNormFwdTol {
  std::vector<double> y, mean, rstd;
};
LayerNormFwdTol layernorm_forward_tolerance(const MatIn& x, const std::vector<double>& gamma,
                                            const std::vector<double>& beta, double eps,
                                            const FpModel& m = FpModel::fp32());
LayerNormBwd layernorm_backward_tolerance(const MatIn& x, const std::vector<double>& gamma,
                                          const std::vector<double>& mean,
                                          const std::vector<double>& rstd, const MatIn& dy,
                                          const FpModel& m = FpModel::fp32());
// GELU has two FP32 algorithms: kTanh, PyTorch's kernels with a tanh unit; kExpRecip,
// for a unit with exp and reciprocal only (the vector unit of docs/vec.md), through
// 0.5 (1 + tanh z) = 1 / (1 + e^(-2z)) = sigma and 1 - t^2 = 4 sigma (1 - sigma):
//   y = x sigma, dy/dx = sigma + 2 k x sigma (1 - sigma)(1 + 3 a x^2), 1 - sigma = e sigma.
enum class GeluForm : uint8_t { kTanh, kExpRecip };
std::vector<double> gelu_tanh_forward_tolerance(const std::vector<double>& x,
                                                const FpModel& m = FpModel::fp32(),
                                                GeluForm form = GeluForm::kTanh);
std::vector<double> gelu_tanh_backward_tolerance(const std::vector<double>& x,
                                                 const std::vector<double>& dy,
                                                 const FpModel& m = FpModel::fp32(),
                                                 GeluForm form = GeluForm::kTanh);
struct CrossEntropyTol {
  std::vector<double> loss;
  double mean = 0;
};
CrossEntropyTol softmax_cross_entropy_forward_tolerance(const MatIn& logits,
                                                        const std::vector<int64_t>& labels,
                                                        int64_t ignore_index = -100,
                                                        const FpModel& m = FpModel::fp32());
std::vector<double> softmax_cross_entropy_backward_tolerance(const MatIn& logits,
                                                             const std::vector<int64_t>& labels,
                                                             int64_t ignore_index = -100,
                                                             double dloss = 1.0,
                                                             const FpModel& m = FpModel::fp32());

// Attention: the tiled online-softmax algorithm of attention_forward_tiled with key blocks
// of `block`, the score and P V products as FP32-accumulated GEMMs; the GEMM operands P
// (and in the backward dO, dS) may first be rounded to a narrower format with unit
// roundoff op_u (0: kept in FP32; FP16 2^-11, BF16 2^-8) and absolute underflow error
// op_eta (FP16: 2^-25; BF16/FP32: 2^-134 / 2^-150).
struct AttnModel {
  FpModel fp = FpModel::fp32();
  size_t block = 16;
  double op_u = 0, op_eta = 0;
};
AttnFwd attention_forward_tolerance(const std::vector<double>& q, const std::vector<double>& k,
                                    const std::vector<double>& v, const AttnShape& s,
                                    const AttnModel& m = {});
AttnBwd attention_backward_tolerance(const std::vector<double>& q, const std::vector<double>& k,
                                     const std::vector<double>& v, const std::vector<double>& o,
                                     const std::vector<double>& d_o, const std::vector<double>& lse,
                                     const AttnShape& s, const AttnModel& m = {});

}  // namespace tessera::ref
