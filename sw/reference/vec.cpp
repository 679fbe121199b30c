// SPDX-License-Identifier: Apache-2.0
// FP64 references of the vector kernels and attention, and their FP32 error bounds (derived here).
#include "tessera/reference/vec.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace tessera::ref {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// GELU constants as PyTorch writes them (kBeta = sqrt(2/pi), kKappa).
constexpr double kGeluK = 0.7978845608028654;  // sqrt(2/pi), nearest double
constexpr double kGeluA = 0.044715;

void require(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("ref::vec: ") + what);
}

double at(const MatIn& m, size_t i, size_t j) { return m.data[i * m.ld + j]; }

void check_same_shape(const MatIn& a, const MatIn& b, const char* what) {
  require(a.rows == b.rows && a.cols == b.cols, what);
}

// Row i's columns that take part: all, or j <= i under the causal mask.
size_t row_len(size_t i, size_t cols, bool causal) { return causal ? std::min(cols, i + 1) : cols; }

void check_attn(const std::vector<double>& q, const std::vector<double>& k,
                const std::vector<double>& v, const AttnShape& s) {
  require(q.size() == s.heads * s.seq_q * s.head_dim, "attention: Q size");
  require(k.size() == s.heads * s.seq_k * s.head_dim, "attention: K size");
  require(v.size() == s.heads * s.seq_k * s.head_dim, "attention: V size");
}

// Scores of one head, S = scale Q K^T (seq_q x seq_k), by OpenBLAS.
std::vector<double> scores(const double* q, const double* k, const AttnShape& s) {
  std::vector<double> out(s.seq_q * s.seq_k, 0.0);
  if (s.seq_q && s.seq_k && s.head_dim) {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(s.seq_q), int(s.seq_k),
                int(s.head_dim), s.scale, q, int(s.head_dim), k, int(s.head_dim), 0.0, out.data(),
                int(s.seq_k));
  }
  return out;
}

// Softmax of one row of n values (excluded ones already removed), into y, with the
// extreme-value rules of the header. Returns log sum exp (-Inf if all excluded).
double softmax_row(const double* z, size_t n, double* y) {
  size_t pinf = 0;
  double m = -kInf;
  for (size_t j = 0; j < n; ++j) {
    if (std::isnan(z[j])) {
      std::fill(y, y + n, kNaN);
      return kNaN;
    }
    if (z[j] == kInf) ++pinf;
    m = std::max(m, z[j]);
  }
  if (pinf) {
    for (size_t j = 0; j < n; ++j) y[j] = z[j] == kInf ? 1.0 / double(pinf) : 0.0;
    return kInf;
  }
  if (m == -kInf) {  // empty or every element -Inf: defined as an all-zero row
    std::fill(y, y + n, 0.0);
    return -kInf;
  }
  double sum = 0;
  for (size_t j = 0; j < n; ++j) {
    y[j] = std::exp(z[j] - m);
    sum += y[j];
  }
  for (size_t j = 0; j < n; ++j) y[j] /= sum;
  return m + std::log(sum);
}

}  // namespace

MatIn mat(const std::vector<double>& v, size_t rows, size_t cols, size_t ld) {
  if (ld == 0) ld = cols;
  require(ld >= cols, "leading dimension below cols");
  require(rows == 0 || v.size() >= (rows - 1) * ld + cols, "matrix storage too short");
  return MatIn{v.data(), rows, cols, ld};
}

FpModel FpModel::fp64() {
  FpModel m;
  m.u = 0x1p-53;
  m.eta = 0x1p-1074;
  // glibc's documented worst errors for exp, log, tanh on x86-64 are within 2 ulp; 4 ulp
  // (8 u) is kept as margin since these terms are ~1e-15 and cost nothing.
  m.exp_rel = m.log_rel = m.tanh_rel = 8 * 0x1p-53;
  m.rsqrt_rel = 2 * 0x1p-53 / (1 - 0x1p-53);
  m.exp_arg_roundings = 1;
  m.max = std::numeric_limits<double>::max();
  return m;
}

double gamma_n(double n, double u) {
  const double nu = n * u;
  return nu >= 1 ? kInf : nu / (1 - nu);
}

// ---------------------------------------------------------------------------------------
// References.

std::vector<double> softmax_rows(const MatIn& x, const SoftmaxOpts& o) {
  if (o.add) check_same_shape(x, *o.add, "softmax: mask shape");
  std::vector<double> y(x.rows * x.cols, 0.0), z(x.cols);
  for (size_t i = 0; i < x.rows; ++i) {
    const size_t n = row_len(i, x.cols, o.causal);
    for (size_t j = 0; j < n; ++j) z[j] = at(x, i, j) + (o.add ? at(*o.add, i, j) : 0.0);
    softmax_row(z.data(), n, &y[i * x.cols]);
    // A NaN row is NaN in every column, causal-excluded ones included (header).
    if (n && std::isnan(y[i * x.cols])) std::fill(&y[i * x.cols], &y[i * x.cols] + x.cols, kNaN);
  }
  return y;
}

std::vector<double> softmax_rows_backward(const MatIn& y, const MatIn& dy) {
  check_same_shape(y, dy, "softmax backward: shapes");
  std::vector<double> dx(y.rows * y.cols);
  for (size_t i = 0; i < y.rows; ++i) {
    double s = 0;
    for (size_t j = 0; j < y.cols; ++j) s += at(dy, i, j) * at(y, i, j);
    for (size_t j = 0; j < y.cols; ++j) dx[i * y.cols + j] = at(y, i, j) * (at(dy, i, j) - s);
  }
  return dx;
}

LayerNormFwd layernorm_forward(const MatIn& x, const std::vector<double>& gamma,
                               const std::vector<double>& beta, double eps) {
  require(gamma.size() == x.cols && beta.size() == x.cols, "layernorm: gamma/beta size");
  require(x.cols > 0, "layernorm: empty rows");
  const size_t n = x.cols;
  LayerNormFwd r;
  r.y.assign(x.rows * n, kNaN);
  r.mean.assign(x.rows, kNaN);
  r.rstd.assign(x.rows, kNaN);
  for (size_t i = 0; i < x.rows; ++i) {
    bool finite = true;
    double sum = 0;
    for (size_t j = 0; j < n; ++j) {
      finite = finite && std::isfinite(at(x, i, j));
      sum += at(x, i, j);
    }
    if (!finite) continue;  // no limit exists (header): NaN row
    const double mu = sum / double(n);
    double ss = 0;
    for (size_t j = 0; j < n; ++j) {
      const double c = at(x, i, j) - mu;
      ss += c * c;
    }
    const double rs = 1.0 / std::sqrt(ss / double(n) + eps);
    r.mean[i] = mu;
    r.rstd[i] = rs;
    for (size_t j = 0; j < n; ++j) r.y[i * n + j] = (at(x, i, j) - mu) * rs * gamma[j] + beta[j];
  }
  return r;
}

LayerNormBwd layernorm_backward(const MatIn& x, const std::vector<double>& gamma,
                                const std::vector<double>& mean, const std::vector<double>& rstd,
                                const MatIn& dy) {
  check_same_shape(x, dy, "layernorm backward: shapes");
  require(gamma.size() == x.cols && mean.size() == x.rows && rstd.size() == x.rows,
          "layernorm backward: vector sizes");
  require(x.cols > 0, "layernorm backward: empty rows");
  const size_t n = x.cols;
  LayerNormBwd r;
  r.dx.assign(x.rows * n, 0.0);
  r.dgamma.assign(n, 0.0);
  r.dbeta.assign(n, 0.0);
  std::vector<double> xh(n), g(n);
  for (size_t i = 0; i < x.rows; ++i) {
    double sa = 0, sb = 0;
    for (size_t j = 0; j < n; ++j) {
      xh[j] = (at(x, i, j) - mean[i]) * rstd[i];
      g[j] = at(dy, i, j) * gamma[j];
      sa += g[j];
      sb += g[j] * xh[j];
      r.dgamma[j] += at(dy, i, j) * xh[j];
      r.dbeta[j] += at(dy, i, j);
    }
    const double a = sa / double(n), b = sb / double(n);
    for (size_t j = 0; j < n; ++j) r.dx[i * n + j] = rstd[i] * ((g[j] - a) - xh[j] * b);
  }
  return r;
}

// The tanh form in PyTorch's order, in double: its error is what the tolerance's double
// model bounds (|x| u_64 absolute at worst, where 1 + tanh cancels for very negative x).
std::vector<double> gelu_tanh_forward(const std::vector<double>& x) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (std::isinf(v)) {
      y[i] = v > 0 ? kInf : -0.0;  // the limits; the formula gives -Inf * 0 = NaN
      continue;
    }
    const double inner = kGeluK * (v + kGeluA * (v * v * v));
    y[i] = 0.5 * v * (1.0 + std::tanh(inner));
  }
  return y;
}

std::vector<double> gelu_tanh_backward(const std::vector<double>& x,
                                       const std::vector<double>& dy) {
  require(x.size() == dy.size(), "gelu backward: sizes");
  std::vector<double> dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    // Beyond 1e100 (including Inf) x^2 overflows and the formula gives 0 * Inf; there
    // tanh is +-1 to the last bit, so the derivative is its limit 1 or 0 exactly.
    if (std::fabs(v) > 1e100) {
      dx[i] = dy[i] * (v > 0 ? 1.0 : 0.0);
      continue;
    }
    const double x2 = v * v;
    const double t = std::tanh(kGeluK * (v + kGeluA * (x2 * v)));
    const double left = 0.5 * v, right = 1.0 + t;
    const double dleft = 0.5 * right, dright = 1.0 - t * t;
    const double dinner = kGeluK * (1.0 + (3.0 * kGeluA) * x2);
    dx[i] = dy[i] * (dleft + left * dright * dinner);
  }
  return dx;
}

namespace {
void check_labels(const MatIn& z, const std::vector<int64_t>& labels, int64_t ignore) {
  require(labels.size() == z.rows, "cross entropy: labels size");
  for (int64_t l : labels) {
    require(l == ignore || (l >= 0 && uint64_t(l) < z.cols), "cross entropy: label range");
  }
}
}  // namespace

CrossEntropyFwd softmax_cross_entropy_forward(const MatIn& logits,
                                              const std::vector<int64_t>& labels,
                                              int64_t ignore_index) {
  check_labels(logits, labels, ignore_index);
  CrossEntropyFwd r;
  r.loss.assign(logits.rows, 0.0);
  std::vector<double> p(logits.cols);
  double total = 0;
  for (size_t i = 0; i < logits.rows; ++i) {
    if (labels[i] == ignore_index) continue;
    ++r.count;
    const double* z = logits.data + i * logits.ld;
    const size_t y = size_t(labels[i]);
    const double lse = softmax_row(z, logits.cols, p.data());
    if (std::isnan(lse)) {
      r.loss[i] = kNaN;
    } else if (lse == kInf || lse == -kInf) {
      r.loss[i] = -std::log(p[y]);  // +Inf entries share probability 1: log k, or +Inf
    } else {
      size_t jm = 0;
      for (size_t j = 1; j < logits.cols; ++j) jm = z[j] > z[jm] ? j : jm;
      const double m = z[jm];
      // S = 1 + T with T the other terms; log1p(T) keeps small losses (confident
      // predictions) accurate relative to themselves, where log(S) would leave an absolute
      // error of ~n 2^-53. Its error is below the double model of log(S) in the tolerance.
      double t = 0;
      for (size_t j = 0; j < logits.cols; ++j) t += j == jm ? 0.0 : std::exp(z[j] - m);
      r.loss[i] = std::log1p(t) - (z[y] - m);  // both terms >= 0: no cancellation
    }
    total += r.loss[i];
  }
  r.mean = r.count ? total / double(r.count) : 0.0;
  return r;
}

std::vector<double> softmax_cross_entropy_backward(const MatIn& logits,
                                                   const std::vector<int64_t>& labels,
                                                   int64_t ignore_index, double dloss) {
  check_labels(logits, labels, ignore_index);
  size_t count = 0;
  for (int64_t l : labels) count += l != ignore_index;
  std::vector<double> d(logits.rows * logits.cols, 0.0);
  if (!count) return d;
  const double s = dloss / double(count);
  for (size_t i = 0; i < logits.rows; ++i) {
    if (labels[i] == ignore_index) continue;
    double* row = &d[i * logits.cols];
    softmax_row(logits.data + i * logits.ld, logits.cols, row);
    for (size_t j = 0; j < logits.cols; ++j) {
      row[j] = s * (row[j] - (j == size_t(labels[i]) ? 1.0 : 0.0));
    }
  }
  return d;
}

AttnFwd attention_forward(const std::vector<double>& q, const std::vector<double>& k,
                          const std::vector<double>& v, const AttnShape& s) {
  check_attn(q, k, v, s);
  const size_t d = s.head_dim, hq = s.seq_q * d, hk = s.seq_k * d;
  AttnFwd r;
  r.o.assign(s.heads * hq, 0.0);
  r.lse.assign(s.heads * s.seq_q, -kInf);
  std::vector<double> p(s.seq_q * s.seq_k, 0.0);
  for (size_t h = 0; h < s.heads; ++h) {
    const std::vector<double> sc = scores(&q[h * hq], &k[h * hk], s);
    for (size_t i = 0; i < s.seq_q; ++i) {
      const size_t n = row_len(i, s.seq_k, s.causal);
      std::fill(&p[i * s.seq_k], &p[i * s.seq_k] + s.seq_k, 0.0);
      r.lse[h * s.seq_q + i] = softmax_row(&sc[i * s.seq_k], n, &p[i * s.seq_k]);
    }
    if (s.seq_q && s.seq_k && d) {
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(s.seq_q), int(d), int(s.seq_k),
                  1.0, p.data(), int(s.seq_k), &v[h * hk], int(d), 0.0, &r.o[h * hq], int(d));
    }
  }
  return r;
}

AttnFwd attention_forward_tiled(const std::vector<double>& q, const std::vector<double>& k,
                                const std::vector<double>& v, const AttnShape& s, size_t block) {
  check_attn(q, k, v, s);
  require(block > 0, "attention: block");
  const size_t d = s.head_dim, hq = s.seq_q * d, hk = s.seq_k * d;
  AttnFwd r;
  r.o.assign(s.heads * hq, 0.0);
  r.lse.assign(s.heads * s.seq_q, -kInf);
  std::vector<double> acc(d), sb(block);
  for (size_t h = 0; h < s.heads; ++h) {
    for (size_t i = 0; i < s.seq_q; ++i) {
      const double* qi = &q[h * hq + i * d];
      const size_t n = row_len(i, s.seq_k, s.causal);
      double m = -kInf, l = 0;
      std::fill(acc.begin(), acc.end(), 0.0);
      bool nan = false;
      for (size_t j0 = 0; j0 < n; j0 += block) {
        const size_t bn = std::min(block, n - j0);
        double bm = -kInf;
        for (size_t jj = 0; jj < bn; ++jj) {
          const double* kj = &k[h * hk + (j0 + jj) * d];
          double dot = 0;
          for (size_t c = 0; c < d; ++c) dot += qi[c] * kj[c];
          sb[jj] = s.scale * dot;
          nan = nan || std::isnan(sb[jj]);  // std::max would drop a NaN score
          bm = std::max(bm, sb[jj]);
        }
        const double mn = std::max(m, bm);
        if (mn == -kInf) continue;              // nothing seen yet: e^(-Inf - -Inf) would be NaN
        const double alpha = std::exp(m - mn);  // 0 on the first live block (m = -Inf)
        l *= alpha;
        for (double& a : acc) a *= alpha;
        for (size_t jj = 0; jj < bn; ++jj) {
          const double e = std::exp(sb[jj] - mn);
          l += e;
          const double* vj = &v[h * hk + (j0 + jj) * d];
          for (size_t c = 0; c < d; ++c) acc[c] += e * vj[c];
        }
        m = mn;
      }
      if (nan) {
        std::fill(&r.o[h * hq + i * d], &r.o[h * hq + i * d] + d, kNaN);
        r.lse[h * s.seq_q + i] = kNaN;
      } else if (l > 0) {
        for (size_t c = 0; c < d; ++c) r.o[h * hq + i * d + c] = acc[c] / l;
        r.lse[h * s.seq_q + i] = m + std::log(l);
      }
    }
  }
  return r;
}

AttnBwd attention_backward(const std::vector<double>& q, const std::vector<double>& k,
                           const std::vector<double>& v, const std::vector<double>& o,
                           const std::vector<double>& d_o, const std::vector<double>& lse,
                           const AttnShape& s) {
  check_attn(q, k, v, s);
  const size_t d = s.head_dim, hq = s.seq_q * d, hk = s.seq_k * d;
  require(o.size() == s.heads * hq && d_o.size() == o.size(), "attention backward: O/dO size");
  require(lse.size() == s.heads * s.seq_q, "attention backward: lse size");
  AttnBwd r;
  r.dq.assign(s.heads * hq, 0.0);
  r.dk.assign(s.heads * hk, 0.0);
  r.dv.assign(s.heads * hk, 0.0);
  if (!s.seq_q || !s.seq_k || !d) return r;
  const int M = int(s.seq_q), N = int(s.seq_k), D = int(d);
  std::vector<double> dp(s.seq_q * s.seq_k);
  for (size_t h = 0; h < s.heads; ++h) {
    std::vector<double> p = scores(&q[h * hq], &k[h * hk], s);
    for (size_t i = 0; i < s.seq_q; ++i) {
      const double li = lse[h * s.seq_q + i];
      const size_t n = row_len(i, s.seq_k, s.causal);
      for (size_t j = 0; j < s.seq_k; ++j) {
        double& x = p[i * s.seq_k + j];
        x = (j < n && li != -kInf) ? std::exp(x - li) : 0.0;
      }
    }
    const double* dOh = &d_o[h * hq];
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, D, M, 1.0, p.data(), N, dOh, D, 0.0,
                &r.dv[h * hk], D);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, D, 1.0, dOh, D, &v[h * hk], D, 0.0,
                dp.data(), N);
    for (size_t i = 0; i < s.seq_q; ++i) {
      double di = 0;
      for (size_t c = 0; c < d; ++c) di += dOh[i * d + c] * o[h * hq + i * d + c];
      for (size_t j = 0; j < s.seq_k; ++j) {
        double& x = p[i * s.seq_k + j];  // becomes dS
        x = x * (dp[i * s.seq_k + j] - di);
      }
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, D, N, s.scale, p.data(), N,
                &k[h * hk], D, 0.0, &r.dq[h * hq], D);
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, N, D, M, s.scale, p.data(), N, &q[h * hq],
                D, 0.0, &r.dk[h * hk], D);
  }
  return r;
}

// ---------------------------------------------------------------------------------------
// Tolerances.
//
// Standard model (Higham, "Accuracy and Stability of Numerical Algorithms", ch. 2-3):
// fl(a op b) = (a op b)(1 + delta) + e, |delta| <= u, |e| <= eta, with e = 0 for + and -
// (gradual underflow makes them exact near zero; the chip honours subnormals,
// docs/numerics.md). Products of k factors (1 + delta_i)^(+-1) are 1 + theta_k with
// |theta_k| <= gamma_k, and (1 + theta_j)(1 + theta_k) = 1 + theta_(j+k). A sum of n
// terms in any order gives each term at most n - 1 roundings: |fl(sum) - sum| <=
// gamma_(n-1) sum |terms|. Each bound B_fp32 is proven for the FP32 algorithm stated at
// its function; the reference itself follows the same algorithm in double (or one with
// no more roundings per term, noted where it differs), so |ref - exact| <= B_fp64 and
// the tolerance B_fp32 + B_fp64 bounds |fp32 - ref| by the triangle inequality.

namespace {

// Inflation for the bound's own double arithmetic: a few hundred operations at 2^-53
// each are far below 2^-40 relative; the absolute term keeps zero bounds honest.
double inflate(double b) { return b * (1 + 0x1p-40) + 0x1p-1000; }

template <typename F>
std::vector<double> two_models(const FpModel& m, F bound) {
  std::vector<double> a = bound(m), b = bound(FpModel::fp64());
  for (size_t i = 0; i < a.size(); ++i) a[i] = inflate(a[i] + b[i]);
  return a;
}

// |(1 + t)^(-1/2) - 1| <= |t| / 2 (1 - |t|)^(-3/2) for |t| < 1 (mean value theorem).
double rsqrt_rel(double t) { return t < 1 ? 0.5 * t * std::pow(1 - t, -1.5) : kInf; }

// Softmax of one row (n included values z, finite), FP32 algorithm:
//   m = max z (exact), t_j = fl(z_j - m) (exp_arg_roundings in all),
//   e_j = exp_hw(t_j), S = fl(sum e_j) (any order), y_j = fl(e_j / S) or
//   fl(e_j * fl(1 / S)) (<= 2 roundings).
// With d_j = z_j - m and the argument error A_j (A_j = gamma_k |d_j|; with an additive
// mask also z = fl(x + add) rounded: m and z_j each move by <= u|.|, rounding being
// monotone so max(fl(z)) = fl(max z)):
//   e_hat_j = e_j (1 + phi_j) + eta', |phi_j| <= tau_j = (1 + exp_rel) e^(A_j) - 1,
//   S_hat = S (1 + w), |w| <= omega = (1 + T)(1 + gamma_(n-1)) - 1 + n eta / S,
//   T = sum_j y_j tau_j (all terms >= 0, so relative errors average), S >= 1,
//   y_hat_j - y_j = [e_j (phi_j + theta_2 + phi_j theta_2 - w) + ...] / (S (1 + w)):
//   |y_hat_j - y_j| <= y_j ((1 + tau_j)(1 + gamma_2) - 1 + omega) / (1 - omega)
//                      + eta (1 + gamma_2) / (S (1 - omega)) + eta.
// `zabs` (mask only) holds |z_j|, and `masked` says whether z was rounded from x + add.
void softmax_row_bound(const double* z, size_t n, bool masked, const FpModel& fm, double* out,
                       double* omega_out = nullptr, double* s_out = nullptr) {
  const double u = fm.u, gk = gamma_n(fm.exp_arg_roundings, u);
  double m = -kInf;
  for (size_t j = 0; j < n; ++j) m = std::max(m, z[j]);
  double s = 0;
  for (size_t j = 0; j < n; ++j) s += std::exp(z[j] - m);
  double t = 0;
  std::vector<double> tau(n);
  for (size_t j = 0; j < n; ++j) {
    if (z[j] == -kInf) continue;
    const double dj = std::fabs(z[j] - m);
    double a = gk * dj;
    if (masked) a += u * (std::fabs(z[j]) + std::fabs(m)) * (1 + gk);
    tau[j] = (1 + fm.exp_rel) * std::exp(a) - 1;
    t += std::exp(z[j] - m) / s * tau[j];
  }
  const double omega = (1 + t) * (1 + gamma_n(double(n) - 1, u)) - 1 +
                       double(n) * fm.eta * (1 + gamma_n(double(n), u)) / s;
  const double g2 = gamma_n(2, u);
  for (size_t j = 0; j < n; ++j) {
    const double y = z[j] == -kInf ? 0.0 : std::exp(z[j] - m) / s;
    if (z[j] == -kInf) {
      out[j] = 0;  // excluded: exactly 0 in any evaluation
    } else if (omega >= 1) {
      out[j] = kInf;
    } else {
      out[j] = (y * ((1 + tau[j]) * (1 + g2) - 1 + omega) + fm.eta * (1 + g2) / s) / (1 - omega) +
               fm.eta;
    }
  }
  if (omega_out) *omega_out = omega;
  if (s_out) *s_out = s;
}

}  // namespace

std::vector<double> softmax_rows_tolerance(const MatIn& x, const SoftmaxOpts& o,
                                           const FpModel& model) {
  if (o.add) check_same_shape(x, *o.add, "softmax: mask shape");
  const std::vector<double> ref = softmax_rows(x, o);
  return two_models(model, [&](const FpModel& fm) {
    std::vector<double> b(x.rows * x.cols, 0.0), z(x.cols);
    for (size_t i = 0; i < x.rows; ++i) {
      const size_t n = row_len(i, x.cols, o.causal);
      bool special = false;
      for (size_t j = 0; j < n; ++j) {
        z[j] = at(x, i, j) + (o.add ? at(*o.add, i, j) : 0.0);
        special = special || std::isnan(z[j]) || z[j] == kInf;
      }
      double* bi = &b[i * x.cols];
      if (special) {
        // NaN rows: NaN tolerance (only NaN matches); +Inf rows: 1/k rounded once.
        for (size_t j = 0; j < x.cols; ++j) bi[j] = fm.u * ref[i * x.cols + j];
        if (std::isnan(ref[i * x.cols])) std::fill(bi, bi + x.cols, kNaN);
        continue;
      }
      softmax_row_bound(z.data(), n, o.add != nullptr, fm, bi);
    }
    return b;
  });
}

// FP32 algorithm: s = fl(sum fl(dy_k y_k)), q_j = fl(dy_j - s), dx_j = fl(y_j q_j).
//   |s_hat - s| <= E_s = gamma_n sum |dy_k y_k| + n eta,
//   |q_hat - q| <= E_s + u (|q| + E_s),
//   |dx_hat - dx| <= y_j (1 + u)(E_s + u (|q| + E_s)) + u y_j |q| + eta.
std::vector<double> softmax_rows_backward_tolerance(const MatIn& y, const MatIn& dy,
                                                    const FpModel& model) {
  check_same_shape(y, dy, "softmax backward: shapes");
  return two_models(model, [&](const FpModel& fm) {
    const double u = fm.u;
    const double n = double(y.cols);
    std::vector<double> b(y.rows * y.cols);
    for (size_t i = 0; i < y.rows; ++i) {
      double s = 0, sa = 0;
      for (size_t j = 0; j < y.cols; ++j) {
        s += at(dy, i, j) * at(y, i, j);
        sa += std::fabs(at(dy, i, j) * at(y, i, j));
      }
      const double es = gamma_n(n, u) * sa + n * fm.eta;
      for (size_t j = 0; j < y.cols; ++j) {
        const double yj = std::fabs(at(y, i, j)), q = std::fabs(at(dy, i, j) - s);
        b[i * y.cols + j] = yj * (1 + u) * (es + u * (q + es)) + u * yj * q + fm.eta;
      }
    }
    return b;
  });
}

// FP32 algorithm (two passes, PyTorch's order):
//   mu = fl(fl(sum x) / n), c_j = fl(x_j - mu), v = fl(fl(sum fl(c_j^2)) / n),
//   w = fl(v + fl(eps)), r = rsqrt_hw(w), y_j = fl(fl(fl(c_j r) gamma_j) + beta_j).
// Mean: each x_j gets n - 1 summation roundings and 2 for the division (or * fl(1/n)):
//   |mu_hat - mu| <= E_mu = gamma_(n+1) sum |x| / n.
// Variance: with delta = mu_hat - mu, c_hat_j = (c_j - delta)(1 + alpha_j), and since
// sum c_j = 0 exactly, sum (c_j - delta)^2 = sum c_j^2 + n delta^2; every term is >= 0,
// so v_hat = (v + delta^2)(1 + theta_(n+4)) (2 for c_hat^2's alpha, 1 square, n - 1 sum,
// 2 division):  |v_hat - v| <= E_v = gamma_(n+4) (v + E_mu^2) + E_mu^2. (This is why the
// two-pass variance does not suffer from a large mean: the mean's error enters squared.)
// w = v + eps: |w_hat - w| <= E_w = E_v + u eps + u (w + E_v + u eps); with rho = E_w / w
// and the rsqrt unit's relative error: |r_hat - r| <= r rho_r,
//   rho_r = (1 + rsqrt_rel)(1 + rho / 2 (1 - rho)^(-3/2)) - 1.
// Output: n_j = c_j r, |n_hat_j - n_j| <= E_n = |delta| r (1 + gamma_2)(1 + rho_r) +
// |c_j| r ((1 + gamma_2)(1 + rho_r) - 1); times gamma: E_p = |gamma_j| ((1 + u) E_n +
// u |n_j|); plus beta: |y_hat - y| <= E_p + u (|y| + E_p), plus (|gamma_j| + 2) eta for
// products that underflow.
LayerNormFwdTol layernorm_forward_tolerance(const MatIn& x, const std::vector<double>& gamma,
                                            const std::vector<double>& beta, double eps,
                                            const FpModel& model) {
  require(gamma.size() == x.cols && beta.size() == x.cols, "layernorm: gamma/beta size");
  require(x.cols > 0, "layernorm: empty rows");
  const size_t n = x.cols, rows = x.rows;
  // One bound vector holding y (rows x n), then mean (rows), then rstd (rows).
  const std::vector<double> all = two_models(model, [&](const FpModel& fm) {
    const double u = fm.u, g2 = gamma_n(2, u);
    std::vector<double> b(rows * n + 2 * rows, kNaN);
    for (size_t i = 0; i < rows; ++i) {
      double sum = 0, sabs = 0;
      bool finite = true;
      for (size_t j = 0; j < n; ++j) {
        sum += at(x, i, j);
        sabs += std::fabs(at(x, i, j));
        finite = finite && std::isfinite(at(x, i, j));
      }
      if (!finite) continue;  // NaN reference: NaN tolerance
      const double mu = sum / double(n);
      double ss = 0;
      for (size_t j = 0; j < n; ++j) ss += (at(x, i, j) - mu) * (at(x, i, j) - mu);
      const double v = ss / double(n), w = v + eps, r = 1 / std::sqrt(w);
      const double emu = gamma_n(double(n) + 1, u) * sabs / double(n);
      const double ev = gamma_n(double(n) + 4, u) * (v + emu * emu) + emu * emu;
      const double ew = ev + u * eps + u * (w + ev + u * eps);
      const double rho = ew / w;
      const double rho_r = (1 + fm.rsqrt_rel) * (1 + rsqrt_rel(rho)) - 1;
      b[rows * n + i] = emu;
      b[rows * n + rows + i] = r * rho_r;
      for (size_t j = 0; j < n; ++j) {
        const double c = at(x, i, j) - mu, nj = c * r, gj = std::fabs(gamma[j]);
        const double y = nj * gamma[j] + beta[j];
        const double en =
            emu * r * (1 + g2) * (1 + rho_r) + std::fabs(c) * r * ((1 + g2) * (1 + rho_r) - 1);
        const double ep = gj * ((1 + u) * en + u * std::fabs(nj)) + (gj + 1) * fm.eta;
        b[i * n + j] = ep + u * (std::fabs(y) + ep) + fm.eta;
      }
    }
    return b;
  });
  LayerNormFwdTol t;
  t.y.assign(all.begin(), all.begin() + long(rows * n));
  t.mean.assign(all.begin() + long(rows * n), all.begin() + long(rows * n + rows));
  t.rstd.assign(all.begin() + long(rows * n + rows), all.end());
  return t;
}

// FP32 algorithm (given mean mu and rstd r, exact FP32 values, as saved by forward):
//   xh_j = fl(fl(x_j - mu) r), g_j = fl(dy_j gamma_j), A = fl(fl(sum g) / n),
//   B = fl(fl(sum fl(g_j xh_j)) / n), dx_j = fl(r fl(fl(g_j - A) - fl(xh_j B))),
//   dgamma_c = fl(sum_rows fl(dy xh)), dbeta_c = fl(sum_rows dy).
// With exact xh_j = (x_j - mu) r, g_j, A, B, Q_j = g_j - A, P_j = xh_j B, t_j = Q_j - P_j:
//   xh_hat = xh (1 + theta_2), g_hat = g (1 + theta_1),
//   |A_hat - A| <= E_A = gamma_(n+2) sum |g| / n,
//   |B_hat - B| <= E_B = gamma_(n+5) sum |g xh| / n,
//   |Q_hat - Q| <= E_Q = u |g_j| (1 + u) + E_A (1 + u) + u |Q_j|,
//   |P_hat - P| <= E_P = gamma_3 |xh_j B| + (1 + gamma_3) |xh_j| E_B,
//   |t_hat - t| <= E_t = E_Q + E_P + u (|t_j| + E_Q + E_P),
//   |dx_hat - dx| <= r (1 + u) E_t + u r |t_j| + eta_tot,
//   dgamma: gamma_(R+2) sum |dy xh|, dbeta: gamma_(R-1) sum |dy|, each + R eta.
// eta_tot = eta (1 + 8 r (1 + max |xh|)) covers the at most 8 products per element that
// can underflow (g, xh, g xh, xh B, r t and their sums), each amplified by <= r (1 + |xh|).
LayerNormBwd layernorm_backward_tolerance(const MatIn& x, const std::vector<double>& gamma,
                                          const std::vector<double>& mean,
                                          const std::vector<double>& rstd, const MatIn& dy,
                                          const FpModel& model) {
  check_same_shape(x, dy, "layernorm backward: shapes");
  require(gamma.size() == x.cols && mean.size() == x.rows && rstd.size() == x.rows,
          "layernorm backward: vector sizes");
  require(x.cols > 0, "layernorm backward: empty rows");
  const size_t n = x.cols, rows = x.rows;
  const std::vector<double> all = two_models(model, [&](const FpModel& fm) {
    const double u = fm.u, g3 = gamma_n(3, u);
    std::vector<double> b(rows * n + 2 * n, 0.0);
    std::vector<double> sdg(n, 0.0), sdb(n, 0.0), xh(n), g(n);
    for (size_t i = 0; i < rows; ++i) {
      const double r = std::fabs(rstd[i]);
      double sa = 0, sb = 0, sga = 0, sgb = 0, xmax = 0;
      for (size_t j = 0; j < n; ++j) {
        xh[j] = (at(x, i, j) - mean[i]) * rstd[i];
        g[j] = at(dy, i, j) * gamma[j];
        sa += g[j];
        sb += g[j] * xh[j];
        sga += std::fabs(g[j]);
        sgb += std::fabs(g[j] * xh[j]);
        xmax = std::max(xmax, std::fabs(xh[j]));
        sdg[j] += std::fabs(at(dy, i, j) * xh[j]);
        sdb[j] += std::fabs(at(dy, i, j));
      }
      const double a = sa / double(n), bb = sb / double(n);
      const double ea = gamma_n(double(n) + 2, u) * sga / double(n);
      const double eb = gamma_n(double(n) + 5, u) * sgb / double(n);
      const double eta_tot = fm.eta * (1 + 8 * r * (1 + xmax));
      for (size_t j = 0; j < n; ++j) {
        const double qv = g[j] - a, pv = xh[j] * bb, t = qv - pv;
        const double eq = u * std::fabs(g[j]) * (1 + u) + ea * (1 + u) + u * std::fabs(qv);
        const double ep = g3 * std::fabs(pv) + (1 + g3) * std::fabs(xh[j]) * eb;
        const double et = eq + ep + u * (std::fabs(t) + eq + ep);
        b[i * n + j] = r * (1 + u) * et + u * r * std::fabs(t) + eta_tot;
      }
    }
    const double R = double(rows);
    for (size_t j = 0; j < n; ++j) {
      b[rows * n + j] = gamma_n(R + 2, u) * sdg[j] + R * fm.eta;
      b[rows * n + n + j] = gamma_n(R - 1, u) * sdb[j];
    }
    return b;
  });
  LayerNormBwd t;
  t.dx.assign(all.begin(), all.begin() + long(rows * n));
  t.dgamma.assign(all.begin() + long(rows * n), all.begin() + long(rows * n + n));
  t.dbeta.assign(all.begin() + long(rows * n + n), all.end());
  return t;
}

namespace {
// GELU's tanh argument and its FP32 error (PyTorch order: x_cube = x*x*x,
// inner = kBeta * (x + kKappa * x_cube), constants rounded once): x and a x^3 share the
// sign, so no cancellation and z_hat = z (1 + theta_7) (2 for x^3, 1 constant a, 1 product,
// 1 sum, 1 constant k, 1 product). tanh is monotone with tanh' = sech^2, and z_hat lies
// between z (1 - gamma_7) and z (1 + gamma_7) (also when x^3 overflows to Inf), so
//   |tanh z_hat - tanh z| <= E_th = min(gamma_7 |z| sech^2(|z| (1 - gamma_7)),
//                                       1 - tanh(|z| (1 - gamma_7))),
// and with the tanh unit: |t_hat - t| <= E_t = E_th + tanh_rel (|t| + E_th).
struct TanhErr {
  double z, t, et;
};
TanhErr gelu_tanh_err(double x, const FpModel& fm) {
  const double z = kGeluK * (x + kGeluA * x * x * x), t = std::tanh(z);
  const double g7 = gamma_n(7, fm.u), zl = std::fabs(z) * (1 - g7);
  const double ch = std::cosh(zl);
  const double sech2 = std::isinf(ch) ? 0.0 : 1 / (ch * ch);
  const double tail = 2 / (std::exp(2 * zl) + 1);  // 1 - tanh(zl), no cancellation
  const double eth = std::min(g7 * std::fabs(z) * sech2, tail);
  return {z, t, eth + fm.tanh_rel * (std::fabs(t) + eth)};
}
}  // namespace

namespace {

// kTanh, FP32 algorithm: y = fl(fl(0.5 x) fl(1 + t_hat)). With E_1 = E_t + u (|1 + t| + E_t):
//   |y_hat - y| <= 0.5 |x| (1 + u) E_1 + u |y| + 2 eta.
// Near x << 0, 1 + t cancels, so the bound is ~ |x| u absolute there: that is the accuracy
// the tanh form has in FP32 (PyTorch's kernel is this expression).
double gelu_fwd_tanh_bound(double v, const FpModel& fm) {
  const TanhErr te = gelu_tanh_err(v, fm);
  const double y = 0.5 * v * (1 + te.t);
  const double e1 = te.et + fm.u * (std::fabs(1 + te.t) + te.et);
  return 0.5 * std::fabs(v) * (1 + fm.u) * e1 + fm.u * std::fabs(y) + 2 * fm.eta;
}

// kExpRecip: the argument and e = exp(-2z), with what both algorithms share.
// FP32 algorithm: w = x + a x^3 (or x (1 + a x^2): 5 roundings either way), t = fl(c w)
// with c = fl(-2k) (2 more: theta_7), e = exp_hw(t) saturated at the largest finite value
// (the vector unit's `sat`), den = fl(1 + e), s = recip_hw(den) = fl(1 / den), y = fl(x s).
// |t - (-2z)| <= E_a = 2 gamma_7 |z|, so e = E (1 + phi) + eta, |phi| <= tau =
// (1 + exp_rel) e^(E_a) - 1, E = e^(-2z); den = (1 + E)(1 + rho), |rho| <= rho_d =
// (E tau + eta + u (1 + E + E tau + eta)) / (1 + E); s = sigma (1 + psi), sigma = 1 / (1 + E),
// |psi| <= psi_s = (1 + u) / (1 - rho_d) - 1.
struct SigErr {
  double z, E, sigma, tau, psi;
  bool ovf;  // e may saturate: then s <= (1 + u) / max and the relative analysis is void
};
SigErr gelu_sig_err(double x, const FpModel& fm) {
  SigErr r{};
  r.z = kGeluK * (x + kGeluA * x * x * x);
  const double ea = 2 * gamma_n(7, fm.u) * std::fabs(r.z);
  r.E = std::exp(-2 * r.z);
  r.sigma = 1 / (1 + r.E);
  r.tau = (1 + fm.exp_rel) * std::exp(ea) - 1;
  r.ovf = !(r.E * (1 + r.tau) < fm.max);
  if (r.ovf) return r;
  const double rho = (r.E * r.tau + fm.eta + fm.u * (1 + r.E + r.E * r.tau + fm.eta)) / (1 + r.E);
  r.psi = rho < 1 ? (1 + fm.u) / (1 - rho) - 1 : kInf;
  return r;
}

// kExpRecip forward: y = fl(x s) = y (1 + psi)(1 + delta): |y_hat - y| <= |y| ((1 + u)(1 +
// psi_s) - 1) + eta. Where e may saturate (E (1 + tau) >= max), e_hat >= max (1 - tau) /
// (1 + tau) >= max / 2, so s <= 2 (1 + u) / max and |y_hat| <= 2 |x| (1 + u)^2 / max:
// |y_hat - y| <= |y| + 2 |x| (1 + u)^2 / max + eta.
double gelu_fwd_exp_bound(double v, const FpModel& fm) {
  const SigErr se = gelu_sig_err(v, fm);
  const double y = std::fabs(v) * se.sigma;
  if (se.ovf) return y + 2 * std::fabs(v) * (1 + fm.u) * (1 + fm.u) / fm.max + fm.eta;
  return y * ((1 + fm.u) * (1 + se.psi) - 1) + fm.eta;
}

// kTanh backward, FP32 algorithm (PyTorch's GeluBackward tanh kernel):
//   ld = fl(0.5 fl(1 + t)), rd = fl(1 - fl(t t)), id = fl(k fl(1 + fl(fl(3 a) x2))),
//   dx = fl(dy fl(ld + fl(fl(0.5 x rd) id))), x2 = fl(x x).
// With R = 1 - t^2, I = k (1 + 3 a x^2), D = 0.5 (1 + t) + 0.5 x R I:
//   E_ld = E_1 / 2; E_sq = (2 |t| E_t + E_t^2)(1 + u) + u t^2; E_rd = E_sq + u (|R| + E_sq);
//   id = I (1 + theta_7) (3 a: 2 roundings, x2: 1, product: 1, sum of positives: 1,
//   k: 1, product: 1); E_lr = 0.5 |x| E_rd (1 + u) + u 0.5 |x R|;
//   E_pr = E_lr I (1 + gamma_8) + 0.5 |x R| I gamma_8;
//   E_s = E_ld + E_pr + u (|D| + E_ld + E_pr); |dx_hat - dx| <= |dy| ((1 + u) E_s + u |D|) + eta.
// Valid while x^2 does not overflow (|x| < 2^63 in FP32).
double gelu_bwd_tanh_bound(double v, double ady, const FpModel& fm) {
  const double u = fm.u, g8 = gamma_n(8, u);
  const TanhErr te = gelu_tanh_err(v, fm);
  const double t = te.t, et = te.et;
  const double e1 = et + u * (std::fabs(1 + t) + et);
  const double eld = 0.5 * e1;
  const double R = 1 - t * t, I = kGeluK * (1 + 3 * kGeluA * v * v);
  const double D = 0.5 * (1 + t) + 0.5 * v * R * I;
  const double esq = (2 * std::fabs(t) * et + et * et) * (1 + u) + u * t * t;
  const double erd = esq + u * (std::fabs(R) + esq);
  const double hx = 0.5 * std::fabs(v);
  const double elr = hx * erd * (1 + u) + u * hx * std::fabs(R);
  const double epr = elr * I * (1 + g8) + hx * std::fabs(R) * I * g8;
  const double es = eld + epr + u * (std::fabs(D) + eld + epr);
  return ady * ((1 + u) * es + u * std::fabs(D)) + fm.eta;
}

// kExpRecip backward, FP32 algorithm (s, e as forward): q = fl(e s) (= 1 - sigma, no
// cancellation), id = fl(fl(2k) fl(1 + fl(fl(3a) x2))) = I2 (1 + theta_7) with
// I2 = 2k (1 + 3 a x^2), pr = fl(fl(fl(x s) q) id), dx = fl(dy fl(s + pr)).
// With q = E sigma and P = x sigma q I2, D = sigma + P:
//   |q_hat - q| <= E_q = q ((1 + tau)(1 + psi_s)(1 + u) - 1) + eta (sigma (1 + psi_s)(1 + u) + 1),
//   F = (1 + psi_s)(1 + u)^3 (1 + gamma_7),
//   |pr - P| <= E_p = |x| sigma I2 ((F - 1) q + F E_q) + eta (3 + 3 I2),
//   |s_sum - D| <= E_s = sigma psi_s + E_p + u (|D| + sigma psi_s + E_p),
//   |dx_hat - dx| <= |dy| ((1 + u) E_s + u |D|) + eta.
// Where e may saturate: s <= 2 (1 + u) / max, q = fl(e s) <= (1 + u)^2 (e <= den), so the
// computed sum is at most G = 2 (1 + u)^2 / max (1 + 2 |x| I2 (1 + u)^6) + 5 eta, and
// |D| <= sigma (1 + |x| I2): |dx_hat - dx| <= |dy| (G (1 + u) + |D|) + eta.
double gelu_bwd_exp_bound(double v, double ady, const FpModel& fm) {
  const double u = fm.u, g7 = gamma_n(7, u);
  const SigErr se = gelu_sig_err(v, fm);
  const double I2 = 2 * kGeluK * (1 + 3 * kGeluA * v * v);
  const double ax = std::fabs(v);
  if (se.ovf) {
    const double G =
        2 * (1 + u) * (1 + u) / fm.max * (1 + 2 * ax * I2 * std::pow(1 + u, 6)) + 5 * fm.eta;
    return ady * (G * (1 + u) + se.sigma * (1 + ax * I2)) + fm.eta;  // E may be Inf here
  }
  const double q = se.E * se.sigma;
  const double D = se.sigma + v * se.sigma * q * I2;
  const double psi = se.psi;
  const double eq =
      q * ((1 + se.tau) * (1 + psi) * (1 + u) - 1) + fm.eta * (se.sigma * (1 + psi) * (1 + u) + 1);
  const double F = (1 + psi) * std::pow(1 + u, 3) * (1 + g7);
  const double ep = ax * se.sigma * I2 * ((F - 1) * q + F * eq) + fm.eta * (3 + 3 * I2);
  const double sp = se.sigma * psi;
  const double es = sp + ep + u * (std::fabs(D) + sp + ep);
  return ady * ((1 + u) * es + u * std::fabs(D)) + fm.eta;
}

}  // namespace

// +-Inf: tolerance 0 (the result must be the exact limit); NaN: NaN. The reference's own
// part is always the tanh form's double bound (that is how the reference evaluates).
std::vector<double> gelu_tanh_forward_tolerance(const std::vector<double>& x, const FpModel& model,
                                                GeluForm form) {
  std::vector<double> b(x.size());
  const FpModel f64 = FpModel::fp64();
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i];
    if (std::isnan(v)) {
      b[i] = kNaN;
    } else if (std::isinf(v)) {
      b[i] = 0;
    } else {
      const double b32 =
          form == GeluForm::kTanh ? gelu_fwd_tanh_bound(v, model) : gelu_fwd_exp_bound(v, model);
      b[i] = inflate(b32 + gelu_fwd_tanh_bound(v, f64));
    }
  }
  return b;
}

// Beyond 1e100 the reference uses the exact limit 1 or 0 and the tolerance is u |dy| (the
// FP32 D rounds to exactly 1 or 0 long before).
std::vector<double> gelu_tanh_backward_tolerance(const std::vector<double>& x,
                                                 const std::vector<double>& dy,
                                                 const FpModel& model, GeluForm form) {
  require(x.size() == dy.size(), "gelu backward: sizes");
  std::vector<double> b(x.size());
  const FpModel f64 = FpModel::fp64();
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], ady = std::fabs(dy[i]);
    if (std::isnan(v) || std::isnan(dy[i])) {
      b[i] = kNaN;
    } else if (std::fabs(v) > 1e100) {
      b[i] = inflate(model.u * ady);
    } else {
      const double b32 = form == GeluForm::kTanh ? gelu_bwd_tanh_bound(v, ady, model)
                                                 : gelu_bwd_exp_bound(v, ady, model);
      b[i] = inflate(b32 + gelu_bwd_tanh_bound(v, ady, f64));
    }
  }
  return b;
}

// FP32 algorithm (log-softmax then NLL, as PyTorch):
//   m = max z, S_hat as in softmax (n = cols, no mask), d_y = fl(z_y - m),
//   loss = fl(log_hw(S_hat) - d_y), mean = fl(fl(sum loss) / count).
// S_hat = S (1 + w), |w| <= omega (softmax); |log S_hat - log S| <= lambda = omega /
// (1 - omega); E_log = lambda + log_rel (log S + lambda); L = log S - d_y is a sum of two
// non-negative terms (S >= 1, d_y <= 0):
//   |L_hat - L| <= E_L = E_log + u |d_y| + u (L + E_log + u |d_y|),
//   |mean_hat - mean| <= (sum E_L + gamma_(count+1) sum (L + E_L)) / count.
// Rows with +Inf logits or a non-finite loss are special (-Inf entries elsewhere are
// covered by the softmax bound: their e is exactly 0): +Inf counts as the largest finite
// value, so m - z = 0 on the k +Inf entries, S = k exactly and L = log_hw(k) - 0, within
// L ((1 + log_rel)(1 + u) - 1); an infinite loss must be exactly +Inf; NaN rows: NaN.
CrossEntropyTol softmax_cross_entropy_forward_tolerance(const MatIn& logits,
                                                        const std::vector<int64_t>& labels,
                                                        int64_t ignore_index,
                                                        const FpModel& model) {
  check_labels(logits, labels, ignore_index);
  const CrossEntropyFwd ref = softmax_cross_entropy_forward(logits, labels, ignore_index);
  const size_t rows = logits.rows, n = logits.cols;
  const std::vector<double> all = two_models(model, [&](const FpModel& fm) {
    const double u = fm.u;
    std::vector<double> b(rows + 1, 0.0), tmp(n);
    double sum_e = 0, sum_l = 0;
    bool nan = false;
    for (size_t i = 0; i < rows; ++i) {
      if (labels[i] == ignore_index) continue;
      const double* z = logits.data + i * logits.ld;
      const double L = ref.loss[i];
      bool special = !std::isfinite(L);
      for (size_t j = 0; j < n; ++j) special = special || std::isnan(z[j]) || z[j] == kInf;
      if (special) {
        b[i] = std::isnan(L) ? kNaN : (std::isinf(L) ? 0.0 : L * ((1 + fm.log_rel) * (1 + u) - 1));
        nan = nan || std::isnan(L);
        sum_e += std::isinf(L) ? 0.0 : b[i];
        sum_l += L;
        continue;
      }
      double omega = 0, s = 0;
      softmax_row_bound(z, n, false, fm, tmp.data(), &omega, &s);
      double m = -kInf;
      for (size_t j = 0; j < n; ++j) m = std::max(m, z[j]);
      const double dy = std::fabs(z[size_t(labels[i])] - m);
      const double lambda = omega < 1 ? omega / (1 - omega) : kInf;
      const double elog = lambda + fm.log_rel * (std::log(s) + lambda);
      b[i] = elog + u * dy + u * (L + elog + u * dy);
      sum_e += b[i];
      sum_l += L + b[i];
    }
    const double c = double(ref.count);
    b[rows] = nan ? kNaN : (c ? (sum_e + gamma_n(c + 1, u) * sum_l) / c : 0.0);
    if (std::isinf(sum_l)) b[rows] = 0;  // +Inf mean must be exactly +Inf
    return b;
  });
  CrossEntropyTol t;
  t.loss.assign(all.begin(), all.end() - 1);
  t.mean = all.back();
  return t;
}

// FP32 algorithm: p from the softmax algorithm above, s = fl(fl(dloss) / count),
// q = fl(p - [j == y]) (exact for j != y), d = fl(s q). With the softmax bound E_p:
//   E_q = E_p (+ u (|q| + E_p) for j == y), |d_hat - d| <= |s| (E_q (1 + gamma_3) +
//   gamma_3 |q|) + eta (s rounded twice, the product once).
// Rows with +Inf logits: the k +Inf entries have e = 1 and the others e = 0 exactly
// (+Inf counts as the largest finite value), so p_hat = fl(1/k) or 0: E_p = u p, then
// the same steps (a row of only -Inf has p = 0: E_p = 0). -Inf entries beside finite ones
// are covered by the softmax bound (e = 0 exactly).
std::vector<double> softmax_cross_entropy_backward_tolerance(const MatIn& logits,
                                                             const std::vector<int64_t>& labels,
                                                             int64_t ignore_index, double dloss,
                                                             const FpModel& model) {
  check_labels(logits, labels, ignore_index);
  size_t count = 0;
  for (int64_t l : labels) count += l != ignore_index;
  const size_t rows = logits.rows, n = logits.cols;
  return two_models(model, [&](const FpModel& fm) {
    const double u = fm.u, g3 = gamma_n(3, u);
    std::vector<double> b(rows * n, 0.0), ep(n), p(n);
    if (!count) return b;
    const double s = std::fabs(dloss / double(count));
    for (size_t i = 0; i < rows; ++i) {
      if (labels[i] == ignore_index) continue;
      const double* z = logits.data + i * logits.ld;
      bool special = true, nan = false;  // special: a +Inf entry, or every entry -Inf
      for (size_t j = 0; j < n; ++j) special = special && z[j] == -kInf;
      for (size_t j = 0; j < n; ++j) {
        special = special || z[j] == kInf;
        nan = nan || std::isnan(z[j]);
      }
      softmax_row(z, n, p.data());
      if (nan) {
        for (size_t j = 0; j < n; ++j) b[i * n + j] = kNaN;
        continue;
      }
      if (special) {
        for (size_t j = 0; j < n; ++j) ep[j] = u * p[j];
      } else {
        softmax_row_bound(z, n, false, fm, ep.data());
      }
      for (size_t j = 0; j < n; ++j) {
        const bool hit = j == size_t(labels[i]);
        const double q = std::fabs(p[j] - (hit ? 1.0 : 0.0));
        const double eq = ep[j] + (hit ? u * (q + ep[j]) : 0.0);
        b[i * n + j] = s * (eq * (1 + g3) + g3 * q) + fm.eta;
      }
    }
    return b;
  });
}

// Attention forward, FP32 algorithm = attention_forward_tiled with key blocks of B
// (nb = ceil(n / B) blocks in a row of n included keys), scores from an FP32-accumulated
// GEMM then fl(scale_f * .), exp arguments fl(S - m) and fl(m_old - m_new), P (the FP32
// e) rounded to the GEMM operand format (op_u, op_eta) for acc += P V, l summed from the
// FP32 e, O = fl(acc / l) (<= 2 roundings), lse = fl(m + log_hw(l)).
// Scores: |S_hat_ij - S_ij| <= E_s,ij = gamma_(d+2) |scale| sum_c |q_ic k_jc| (d - 1 sum,
// 1 product, 1 for scale_f, 1 product); E_m = max_j E_s,ij bounds the row max's error.
// Exp arguments: the final weight of key j is e_hw(S_j - m_b) times the rescale factors
// e_hw(m_b - m_b+1) ...; the exact factors telescope to e^(S_hat_j - m_hat), and the
// argument roundings add up to gamma_k (m_hat - S_hat_j) because the running max only
// grows. So, against e_j = exp(S_j - m):
//   e_hat_j = e_j (1 + phi_j), |phi_j| <= tau_j = (1 + exp_rel)^nb e^(A_j) (1 + u)^(nb - 1) - 1,
//   A_j = (E_s,j + E_m)(1 + gamma_k) + gamma_k |d_j|  (nb exp evaluations and nb - 1
//   rescale products touch e_j). l gets <= B + nb - 1 further roundings (block sum, adds):
//   l_hat = l (1 + w), |w| <= omega_l = (1 + T)(1 + gamma_(B+nb-1)) - 1 + n eta' / l,
//   T = sum_j p_j tau_j; acc_c's terms get op_u, 1 product, <= B - 1 block sums, nb adds:
//   |acc_hat - acc| <= l N_c, N_c = sum_j p_j |v_jc| ((1 + tau_j)(1 + op_u)(1 + gamma_(B+nb))
//   - 1) + (eta + op_eta)(1 + u)^nb (1 + gamma_(B+nb)) sum_j |v_jc| / l.
//   O_hat - O = [acc (theta_2 - w) + e_acc (1 + theta_2)] / (l (1 + w)):
//   |O_hat - O| <= (|O_c| (gamma_2 + omega_l) + N_c (1 + gamma_2)) / (1 - omega_l) + eta.
// lse: m_hat + log(sum e^(S_hat_j - m_hat)) = log sum e^(S_hat_j) exactly, within E_m of
// lse (log-sum-exp is 1-Lipschitz in the max norm); the computed l against that sum has
// relative error omega* (as omega_l with tau*_j from the argument roundings only,
// A*_j = gamma_k (|d_j| + E_s,j + E_m)), and |log S*| <= log l + 2 E_m, so with
// lambda = omega* / (1 - omega*):
//   |lse_hat - lse| <= E = E_m + lambda + log_rel (log l + 2 E_m + lambda), plus u (|lse| + E).
// The reference (softmax_rows then one dgemm, P = e / S) gives each term no more roundings
// than this algorithm with B = seq_k (nb = 1), which is the double model used for it.
AttnFwd attention_forward_tolerance(const std::vector<double>& q, const std::vector<double>& k,
                                    const std::vector<double>& v, const AttnShape& s,
                                    const AttnModel& am) {
  check_attn(q, k, v, s);
  require(am.block > 0, "attention: block");
  const size_t d = s.head_dim, hq = s.seq_q * d, hk = s.seq_k * d;
  const AttnFwd ref = attention_forward(q, k, v, s);
  auto bound = [&](const FpModel& fm, size_t B, double op_u, double op_eta) {
    const double u = fm.u, gk = gamma_n(fm.exp_arg_roundings, u), g2 = gamma_n(2, u);
    AttnFwd b;
    b.o.assign(s.heads * hq, 0.0);
    b.lse.assign(s.heads * s.seq_q, 0.0);
    std::vector<double> sc(s.seq_k), es(s.seq_k), tau(s.seq_k), taus(s.seq_k);
    std::vector<size_t> keys;
    for (size_t h = 0; h < s.heads; ++h) {
      for (size_t i = 0; i < s.seq_q; ++i) {
        const size_t n = row_len(i, s.seq_k, s.causal);
        const double* qi = &q[h * hq + i * d];
        // Keys whose score is -Inf are excluded exactly (the chip's e^(-FLT_MAX - m) is 0)
        // as long as another key's score is not -Inf; they are left out of the sums.
        bool special = false;
        double em = 0, m = -kInf;
        keys.clear();
        for (size_t j = 0; j < n; ++j) {
          const double* kj = &k[h * hk + j * d];
          double dot = 0, a = 0;
          for (size_t c = 0; c < d; ++c) {
            dot += qi[c] * kj[c];
            a += std::fabs(qi[c] * kj[c]);
          }
          sc[j] = s.scale * dot;
          es[j] = gamma_n(double(d) + 2, u) * std::fabs(s.scale) * a;
          if (sc[j] == -kInf) continue;
          keys.push_back(j);
          special = special || !std::isfinite(sc[j]) || !std::isfinite(es[j]);
          em = std::max(em, es[j]);
          m = std::max(m, sc[j]);
        }
        const double lse = ref.lse[h * s.seq_q + i];
        if (special || keys.empty()) {
          // Non-finite scores or no keys: only the exact special value matches (NaN
          // tolerance for NaN results, 0 otherwise).
          for (size_t c = 0; c < d; ++c) {
            b.o[h * hq + i * d + c] = std::isnan(ref.o[h * hq + i * d + c]) ? kNaN : 0.0;
          }
          b.lse[h * s.seq_q + i] = std::isnan(lse) ? kNaN : 0.0;
          continue;
        }
        const size_t nb = (n + B - 1) / B;
        const double fexp = std::pow(1 + fm.exp_rel, double(nb)) * std::pow(1 + u, double(nb) - 1);
        double l = 0, t = 0, tstar = 0;
        for (size_t j : keys) l += std::exp(sc[j] - m);
        for (size_t j : keys) {
          const double dj = m - sc[j];
          tau[j] = fexp * std::exp((es[j] + em) * (1 + gk) + gk * dj) - 1;
          taus[j] = fexp * std::exp(gk * (dj + es[j] + em)) - 1;
          const double pj = std::exp(sc[j] - m) / l;
          t += pj * tau[j];
          tstar = std::max(tstar, taus[j]);
        }
        const double KL = double(B + nb - 1), KA = double(B + nb);
        const double etal = double(n) * fm.eta * (1 + gamma_n(KL + 1, u));
        const double omega_l = (1 + t) * (1 + gamma_n(KL, u)) - 1 + etal / l;
        const double omega_s = (1 + tstar) * (1 + gamma_n(KL, u)) - 1 + etal;  // S* >= 1
        const double gka = gamma_n(KA, u);
        for (size_t c = 0; c < d; ++c) {
          double nc = 0, va = 0;
          for (size_t j : keys) {
            const double vj = std::fabs(v[h * hk + j * d + c]);
            const double pj = std::exp(sc[j] - m) / l;
            nc += pj * vj * ((1 + tau[j]) * (1 + op_u) * (1 + gka) - 1);
            va += vj;
          }
          nc += (fm.eta + op_eta) * std::pow(1 + u, double(nb)) * (1 + gka) * va / l;
          const double oc = std::fabs(ref.o[h * hq + i * d + c]);
          b.o[h * hq + i * d + c] =
              omega_l < 1 ? (oc * (g2 + omega_l) + nc * (1 + g2)) / (1 - omega_l) + fm.eta : kInf;
        }
        const double lambda = omega_s < 1 ? omega_s / (1 - omega_s) : kInf;
        const double e = em + lambda + fm.log_rel * (std::log(l) + 2 * em + lambda);
        b.lse[h * s.seq_q + i] = e + u * (std::fabs(lse) + e);
      }
    }
    return b;
  };
  AttnFwd a = bound(am.fp, am.block, am.op_u, am.op_eta);
  const AttnFwd r = bound(FpModel::fp64(), std::max<size_t>(s.seq_k, 1), 0.0, 0.0);
  for (size_t i = 0; i < a.o.size(); ++i) a.o[i] = inflate(a.o[i] + r.o[i]);
  for (size_t i = 0; i < a.lse.size(); ++i) a.lse[i] = inflate(a.lse[i] + r.lse[i]);
  return a;
}

// Attention backward, FP32 algorithm (given O, dO, lse exact FP32 values; P recomputed):
//   S_hat as in forward (E_s,ij), P_ij = exp_hw(fl(S_hat_ij - lse_i)), rounded to the
//   operand format; dV = P^T dO (FP32-accumulated GEMM), dP = dO V^T, D_i = fl(sum dO O),
//   G = fl(dP - D), dS = fl(P G) rounded to the operand format, dQ = fl(scale_f * dS K),
//   dK = fl(scale_f * dS^T Q).
// With p_ij = exp(S_ij - lse_i) and g_ij = dP_ij - D_i exact:
//   p_hat = p (1 + phi) + eta, |phi| <= tau = (1 + exp_rel) e^A - 1,
//     A = E_s (1 + gamma_k) + gamma_k |S - lse|;
//   |dV_hat_jc - dV_jc| <= sum_i |dO_ic| (p_ij ((1 + tau_ij)(1 + op_u)(1 + gamma_nq) - 1)
//     + (eta + op_eta)(1 + gamma_nq));
//   E_dP = gamma_d sum_c |dO_ic V_jc| + d eta, E_D = gamma_d sum_c |dO_ic O_ic|,
//   E_g = E_dP + E_D + u (|g| + E_dP + E_D),
//   E_dS = (p (tau |g| + (1 + tau) E_g) + eta (|g| + E_g))(1 + u) + u p |g| + eta, then
//   the operand rounding E_dS' = E_dS (1 + op_u) + op_u |dS| + op_eta;
//   |dQ_hat_ic - dQ_ic| <= |scale| (sum_j E_dS'_ij |K_jc| (1 + gamma_(nk+2))
//     + gamma_(nk+2) sum_j |dS_ij K_jc|) + eta, and dK alike with Q and nq.
// (nq = seq_q, nk = seq_k: sums over every query / key whatever is skipped as masked,
// which only over-counts roundings.)
AttnBwd attention_backward_tolerance(const std::vector<double>& q, const std::vector<double>& k,
                                     const std::vector<double>& v, const std::vector<double>& o,
                                     const std::vector<double>& d_o, const std::vector<double>& lse,
                                     const AttnShape& s, const AttnModel& am) {
  check_attn(q, k, v, s);
  const size_t d = s.head_dim, hq = s.seq_q * d, hk = s.seq_k * d;
  require(o.size() == s.heads * hq && d_o.size() == o.size(), "attention backward: O/dO size");
  require(lse.size() == s.heads * s.seq_q, "attention backward: lse size");
  auto bound = [&](const FpModel& fm, double op_u, double op_eta) {
    const double u = fm.u, gk = gamma_n(fm.exp_arg_roundings, u);
    const double gd = gamma_n(double(d), u);
    const double gnq = gamma_n(double(s.seq_q), u), gnk2 = gamma_n(double(s.seq_k) + 2, u);
    const double gnq2 = gamma_n(double(s.seq_q) + 2, u);
    AttnBwd b;
    b.dq.assign(s.heads * hq, 0.0);
    b.dk.assign(s.heads * hk, 0.0);
    b.dv.assign(s.heads * hk, 0.0);
    const size_t nq = s.seq_q, nk = s.seq_k;
    std::vector<double> p(nq * nk), tau(nq * nk), ds(nq * nk), eds(nq * nk);
    for (size_t h = 0; h < s.heads; ++h) {
      const double *Q = &q[h * hq], *K = &k[h * hk], *V = &v[h * hk];
      const double *O = &o[h * hq], *dO = &d_o[h * hq];
      for (size_t i = 0; i < nq; ++i) {
        const double li = lse[h * nq + i];
        double dd = 0, ed = 0;
        for (size_t c = 0; c < d; ++c) {
          dd += dO[i * d + c] * O[i * d + c];
          ed += std::fabs(dO[i * d + c] * O[i * d + c]);
        }
        ed = gd * ed + double(d) * fm.eta;
        const size_t n = row_len(i, nk, s.causal);
        for (size_t j = 0; j < nk; ++j) {
          const size_t ij = i * nk + j;
          if (j >= n || li == -kInf) {
            p[ij] = tau[ij] = ds[ij] = eds[ij] = 0;
            continue;
          }
          double dot = 0, a = 0, dp = 0, ap = 0;
          for (size_t c = 0; c < d; ++c) {
            dot += Q[i * d + c] * K[j * d + c];
            a += std::fabs(Q[i * d + c] * K[j * d + c]);
            dp += dO[i * d + c] * V[j * d + c];
            ap += std::fabs(dO[i * d + c] * V[j * d + c]);
          }
          const double sij = s.scale * dot;
          const double es = gamma_n(double(d) + 2, u) * std::fabs(s.scale) * a;
          p[ij] = std::exp(sij - li);
          tau[ij] = (1 + fm.exp_rel) * std::exp(es * (1 + gk) + gk * std::fabs(sij - li)) - 1;
          const double g = dp - dd, edp = gd * ap + double(d) * fm.eta;
          const double eg = edp + ed + u * (std::fabs(g) + edp + ed);
          ds[ij] = p[ij] * g;
          const double e = (p[ij] * (tau[ij] * std::fabs(g) + (1 + tau[ij]) * eg) +
                            fm.eta * (std::fabs(g) + eg)) *
                               (1 + u) +
                           u * p[ij] * std::fabs(g) + fm.eta;
          eds[ij] = e * (1 + op_u) + op_u * std::fabs(ds[ij]) + op_eta;
        }
      }
      for (size_t j = 0; j < nk; ++j) {
        for (size_t c = 0; c < d; ++c) {
          double ev = 0, ek = 0, sk = 0;
          for (size_t i = 0; i < nq; ++i) {
            const size_t ij = i * nk + j;
            const double ado = std::fabs(dO[i * d + c]);
            ev += ado * (p[ij] * ((1 + tau[ij]) * (1 + op_u) * (1 + gnq) - 1) +
                         (fm.eta + op_eta) * (1 + gnq));
            ek += eds[ij] * std::fabs(Q[i * d + c]);
            sk += std::fabs(ds[ij] * Q[i * d + c]);
          }
          b.dv[h * hk + j * d + c] = ev;
          b.dk[h * hk + j * d + c] = std::fabs(s.scale) * (ek * (1 + gnq2) + gnq2 * sk) + fm.eta;
        }
      }
      for (size_t i = 0; i < nq; ++i) {
        for (size_t c = 0; c < d; ++c) {
          double eq = 0, sq = 0;
          for (size_t j = 0; j < nk; ++j) {
            const size_t ij = i * nk + j;
            eq += eds[ij] * std::fabs(K[j * d + c]);
            sq += std::fabs(ds[ij] * K[j * d + c]);
          }
          b.dq[h * hq + i * d + c] = std::fabs(s.scale) * (eq * (1 + gnk2) + gnk2 * sq) + fm.eta;
        }
      }
    }
    return b;
  };
  AttnBwd a = bound(am.fp, am.op_u, am.op_eta);
  const AttnBwd r = bound(FpModel::fp64(), 0.0, 0.0);
  for (size_t i = 0; i < a.dq.size(); ++i) a.dq[i] = inflate(a.dq[i] + r.dq[i]);
  for (size_t i = 0; i < a.dk.size(); ++i) a.dk[i] = inflate(a.dk[i] + r.dk[i]);
  for (size_t i = 0; i < a.dv.size(); ++i) a.dv[i] = inflate(a.dv[i] + r.dv[i]);
  return a;
}

}  // namespace tessera::ref
