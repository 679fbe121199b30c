// SPDX-License-Identifier: Apache-2.0
// ref:: vector and attention references against finite differences, naive long double,
// closed forms and extremes, and their FP32 error bounds against plain FP32 evaluations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tessera/reference/vec.hpp"
#include "test_util.hpp"

namespace tessera::ref {
namespace {

using Vec = std::vector<double>;
using LD = long double;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Random FP32-representable values (the chip's inputs), as doubles.
Vec rnd(std::mt19937_64& r, size_t n, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> d(lo, hi);
  Vec v(n);
  for (double& x : v) x = double(float(d(r)));
  return v;
}

// ---------------------------------------------------------------------------------------
// Comparison within an elementwise tolerance. A NaN tolerance demands a NaN result; an
// infinite reference demands the same infinity; otherwise |got - ref| <= tol.
struct Cmp {
  size_t bad = 0;
  double worst = 0;  // largest |got - ref| / tol over finite cases
  std::string first;
};
Cmp compare(const Vec& ref, const Vec& got, const Vec& tol) {
  Cmp c;
  EXPECT_EQ(ref.size(), got.size());
  EXPECT_EQ(ref.size(), tol.size());
  for (size_t i = 0; i < std::min({ref.size(), got.size(), tol.size()}); ++i) {
    bool ok;
    if (std::isnan(tol[i]) || std::isnan(ref[i])) {
      ok = std::isnan(got[i]);
    } else if (std::isinf(ref[i])) {
      ok = got[i] == ref[i];
    } else {
      const double e = std::fabs(got[i] - ref[i]);
      ok = e <= tol[i];  // false for NaN got
      if (tol[i] > 0) c.worst = std::max(c.worst, e / tol[i]);
    }
    if (!ok && c.bad++ == 0) {
      std::ostringstream s;
      s << "[" << i << "] ref " << ref[i] << " got " << got[i] << " tol " << tol[i];
      c.first = s.str();
    }
  }
  return c;
}
#define EXPECT_WITHIN(ref, got, tol, what)               \
  do {                                                   \
    const Cmp c_ = compare(ref, got, tol);               \
    EXPECT_EQ(c_.bad, 0u) << (what) << ": " << c_.first; \
  } while (0)

// A result moved by 3x the tolerance at one element must be rejected: the check can fail.
void expect_perturbation_caught(const Vec& ref, const Vec& got, const Vec& tol, size_t at,
                                const char* what) {
  Vec p = got;
  // Where the tolerance is 0 (an exact result) any change must fail, so move by more.
  p[at] = ref[at] + 3 * tol[at] + std::max(std::fabs(ref[at]) * 0x1p-23, 1e-300);
  EXPECT_GT(compare(ref, p, tol).bad, 0u) << what << ": perturbation at " << at << " passed";
}

Vec add_scaled(const Vec& a, const Vec& v, double h) {
  Vec d(a.size());
  for (size_t i = 0; i < a.size(); ++i) d[i] = a[i] + h * v[i];
  return d;
}
double dot(const Vec& a, const Vec& b) {
  LD s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += LD(a[i]) * b[i];
  return double(s);
}

// ---------------------------------------------------------------------------------------
// Finite differences. For a scalar function f and direction v, the Richardson
// combination (4 D(h/2) - D(h)) / 3 of central differences D(h) = (f(x+hv) - f(x-hv)) / 2h
// has truncation error O(h^4 |f^(5)|) and rounding error ~ 2^-52 |f| / h; with h = 1e-3
// and O(1) inputs both are below 1e-9 relative to the scale of f and its gradient, so a
// tolerance of 1e-7 (1 + |grad . v|) leaves margin while a wrong term (an O(1) change)
// fails by orders of magnitude.
double fd(const std::function<double(const Vec&)>& f, const Vec& x, const Vec& v, double h = 1e-3) {
  auto d = [&](double hh) {
    return (f(add_scaled(x, v, hh)) - f(add_scaled(x, v, -hh))) / (2 * hh);
  };
  return (4 * d(h / 2) - d(h)) / 3;
}
double fd_tol(double g) { return 1e-7 * (1 + std::fabs(g)); }

// Checks grad against finite differences of f: every coordinate when small, else 6 random
// directions (unit coordinates included would be too many evaluations for n ~ 10^4).
void check_grad(const std::function<double(const Vec&)>& f, const Vec& x, const Vec& grad,
                std::mt19937_64& r, const std::string& what) {
  ASSERT_EQ(x.size(), grad.size());
  if (x.size() <= 128) {
    for (size_t i = 0; i < x.size(); ++i) {
      Vec e(x.size(), 0.0);
      e[i] = 1;
      const double n = fd(f, x, e);
      EXPECT_NEAR(grad[i], n, fd_tol(n)) << what << " coordinate " << i;
    }
    return;
  }
  for (int t = 0; t < 6; ++t) {
    const Vec v = rnd(r, x.size());
    const double n = fd(f, x, v), a = dot(grad, v);
    EXPECT_NEAR(a, n, fd_tol(n)) << what << " direction " << t;
  }
}

// ---------------------------------------------------------------------------------------
// Naive evaluations straight from the definitions, in long double and with different
// formulas (softmax as 1 / sum e^(z_k - z_j), one-pass moments, ...).
Vec naive_softmax(const Vec& z, size_t rows, size_t cols, const Vec* add, bool causal) {
  Vec y(rows * cols, 0.0);
  for (size_t i = 0; i < rows; ++i) {
    const size_t n = causal ? std::min(cols, i + 1) : cols;
    for (size_t j = 0; j < n; ++j) {
      const LD zj = LD(z[i * cols + j]) + (add ? LD((*add)[i * cols + j]) : 0);
      if (std::isinf(zj) && zj < 0) continue;
      LD s = 0;
      for (size_t k = 0; k < n; ++k) {
        const LD zk = LD(z[i * cols + k]) + (add ? LD((*add)[i * cols + k]) : 0);
        s += expl(zk - zj);
      }
      y[i * cols + j] = double(1 / s);
    }
  }
  return y;
}

struct NaiveLn {
  Vec y, mean, rstd;
};
NaiveLn naive_layernorm(const Vec& x, size_t rows, size_t n, const Vec& g, const Vec& b,
                        double eps) {
  NaiveLn o{Vec(rows * n), Vec(rows), Vec(rows)};
  for (size_t i = 0; i < rows; ++i) {
    LD s1 = 0, s2 = 0;
    for (size_t j = 0; j < n; ++j) {
      s1 += x[i * n + j];
      s2 += LD(x[i * n + j]) * x[i * n + j];
    }
    const LD mu = s1 / n, var = s2 / n - mu * mu;  // one pass: long double has the room
    const LD rs = 1 / sqrtl(var + eps);
    o.mean[i] = double(mu);
    o.rstd[i] = double(rs);
    for (size_t j = 0; j < n; ++j) o.y[i * n + j] = double((x[i * n + j] - mu) * rs * g[j] + b[j]);
  }
  return o;
}

LD naive_gelu(LD x) {
  const LD k = sqrtl(2 / acosl(-1.0L)), a = 0.044715L;
  return x / 2 * (1 + tanhl(k * (x + a * x * x * x)));
}

// Attention straight from softmax_rows(scale Q K^T + mask) V: scores and P V in long
// double loops, the softmax by ref::softmax_rows with a -Inf additive mask (not causal).
AttnFwd naive_attention(const Vec& q, const Vec& k, const Vec& v, const AttnShape& s) {
  const size_t d = s.head_dim;
  AttnFwd o{Vec(s.heads * s.seq_q * d), Vec(s.heads * s.seq_q)};
  for (size_t h = 0; h < s.heads; ++h) {
    Vec sc(s.seq_q * s.seq_k), mask(s.seq_q * s.seq_k, 0.0);
    for (size_t i = 0; i < s.seq_q; ++i) {
      LD mx = -kInf;
      for (size_t j = 0; j < s.seq_k; ++j) {
        LD acc = 0;
        for (size_t c = 0; c < d; ++c) {
          acc += LD(q[(h * s.seq_q + i) * d + c]) * k[(h * s.seq_k + j) * d + c];
        }
        sc[i * s.seq_k + j] = double(acc * s.scale);
        if (s.causal && j > i)
          mask[i * s.seq_k + j] = -kInf;
        else
          mx = std::max<LD>(mx, acc * s.scale);
      }
      LD l = 0;
      for (size_t j = 0; j < s.seq_k; ++j) {
        if (!(s.causal && j > i)) l += expl(LD(sc[i * s.seq_k + j]) - mx);
      }
      o.lse[h * s.seq_q + i] = double(mx + logl(l));
    }
    const MatIn mm = mat(mask, s.seq_q, s.seq_k);
    SoftmaxOpts so;
    so.add = &mm;
    const Vec p = softmax_rows(mat(sc, s.seq_q, s.seq_k), so);
    for (size_t i = 0; i < s.seq_q; ++i) {
      for (size_t c = 0; c < d; ++c) {
        LD acc = 0;
        for (size_t j = 0; j < s.seq_k; ++j) {
          acc += LD(p[i * s.seq_k + j]) * v[(h * s.seq_k + j) * d + c];
        }
        o.o[(h * s.seq_q + i) * d + c] = double(acc);
      }
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------
// Plain FP32 evaluations, one binary32 operation each (built with -ffp-contract=off), in
// the orders the tolerance functions assume. exp/log/tanh are the double functions rounded
// to float: within 1 ulp (2u relative), the FpModel defaults.
float exp32(float t) { return float(std::exp(double(t))); }
float log32(float t) { return float(std::log(double(t))); }
float tanh32(float t) { return float(std::tanh(double(t))); }
Vec to_d(const std::vector<float>& f) { return Vec(f.begin(), f.end()); }
std::vector<float> to_f(const Vec& d) {
  std::vector<float> f(d.size());
  for (size_t i = 0; i < d.size(); ++i) f[i] = float(d[i]);
  return f;
}
// BF16 rounding (RNE) of a finite float: the GEMM operand format in the attention model.
float bf16(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  b = (b + 0x7fffu + ((b >> 16) & 1u)) & 0xffff0000u;
  std::memcpy(&x, &b, 4);
  return x;
}

// exp_mode 0: exp unit; 1: its result rounded to BF16 (a wrong kernel); 2: an exp2 unit fed
// fl(fl(z - m) fl(log2 e)) (3 argument roundings).
Vec softmax32(const Vec& xd, size_t rows, size_t cols, const Vec* add, bool causal,
              int exp_mode = 0) {
  const float log2e = float(M_LOG2E);
  const auto x = to_f(xd);
  Vec y(rows * cols, 0.0);
  std::vector<float> z(cols), e(cols);
  for (size_t i = 0; i < rows; ++i) {
    const size_t n = causal ? std::min(cols, i + 1) : cols;
    float m = -std::numeric_limits<float>::infinity();
    for (size_t j = 0; j < n; ++j) {
      z[j] = add ? x[i * cols + j] + float((*add)[i * cols + j]) : x[i * cols + j];
      m = std::max(m, z[j]);
    }
    if (m == -std::numeric_limits<float>::infinity()) continue;  // all masked: zeros
    float s = 0;
    for (size_t j = 0; j < n; ++j) {
      e[j] = exp_mode == 2 ? float(std::exp2(double((z[j] - m) * log2e))) : exp32(z[j] - m);
      if (exp_mode == 1) e[j] = bf16(e[j]);
      s += e[j];
    }
    for (size_t j = 0; j < n; ++j) y[i * cols + j] = e[j] / s;
  }
  return y;
}

Vec softmax_bwd32(const Vec& yd, const Vec& dyd, size_t rows, size_t cols) {
  const auto y = to_f(yd), dy = to_f(dyd);
  Vec dx(rows * cols);
  for (size_t i = 0; i < rows; ++i) {
    float s = 0;
    for (size_t j = 0; j < cols; ++j) s += dy[i * cols + j] * y[i * cols + j];
    for (size_t j = 0; j < cols; ++j) dx[i * cols + j] = y[i * cols + j] * (dy[i * cols + j] - s);
  }
  return dx;
}

struct Ln32 {
  Vec y, mean, rstd;
};
Ln32 layernorm32(const Vec& xd, size_t rows, size_t n, const Vec& gd, const Vec& bd, double eps,
                 bool unbiased = false) {
  const auto x = to_f(xd), g = to_f(gd), b = to_f(bd);
  const float ef = float(eps);
  Ln32 o{Vec(rows * n), Vec(rows), Vec(rows)};
  for (size_t i = 0; i < rows; ++i) {
    float s = 0;
    for (size_t j = 0; j < n; ++j) s += x[i * n + j];
    const float mu = s / float(n);
    float ss = 0;
    for (size_t j = 0; j < n; ++j) {
      const float c = x[i * n + j] - mu;
      ss += c * c;
    }
    const float var = ss / float(unbiased ? n - 1 : n);
    const float r = 1.0f / std::sqrt(var + ef);
    o.mean[i] = mu;
    o.rstd[i] = r;
    for (size_t j = 0; j < n; ++j) o.y[i * n + j] = (x[i * n + j] - mu) * r * g[j] + b[j];
  }
  return o;
}

LayerNormBwd layernorm_bwd32(const Vec& xd, size_t rows, size_t n, const Vec& gd, const Vec& meand,
                             const Vec& rstdd, const Vec& dyd) {
  const auto x = to_f(xd), ga = to_f(gd), mu = to_f(meand), rs = to_f(rstdd), dy = to_f(dyd);
  LayerNormBwd o{Vec(rows * n), Vec(n), Vec(n)};
  std::vector<float> dg(n, 0.0f), db(n, 0.0f), xh(n), g(n);
  for (size_t i = 0; i < rows; ++i) {
    float sa = 0, sb = 0;
    for (size_t j = 0; j < n; ++j) {
      xh[j] = (x[i * n + j] - mu[i]) * rs[i];
      g[j] = dy[i * n + j] * ga[j];
      sa += g[j];
      sb += g[j] * xh[j];
      dg[j] += dy[i * n + j] * xh[j];
      db[j] += dy[i * n + j];
    }
    const float a = sa / float(n), b = sb / float(n);
    for (size_t j = 0; j < n; ++j) o.dx[i * n + j] = rs[i] * ((g[j] - a) - xh[j] * b);
  }
  o.dgamma = to_d(dg);
  o.dbeta = to_d(db);
  return o;
}

// PyTorch's GeluCUDAKernelImpl / GeluBackward (approximate tanh) in float.
constexpr float kBeta = float(M_SQRT2 * M_2_SQRTPI * 0.5), kKappa = 0.044715f;
Vec gelu32(const Vec& xd) {
  Vec y(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    const float x = float(xd[i]);
    const float x_cube = x * x * x;
    const float inner = kBeta * (x + kKappa * x_cube);
    y[i] = 0.5f * x * (1.0f + tanh32(inner));
  }
  return y;
}
Vec gelu_bwd32(const Vec& xd, const Vec& dyd) {
  Vec dx(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    const float x = float(xd[i]), dy = float(dyd[i]);
    const float x_sq = x * x, x_cube = x_sq * x;
    const float inner = kBeta * (x + kKappa * x_cube);
    const float t = tanh32(inner);
    const float left = 0.5f * x, right = 1.0f + t;
    const float left_d = 0.5f * right, right_d = 1.0f - t * t;
    const float inner_d = kBeta * (1.0f + 3.0f * kKappa * x_sq);
    dx[i] = dy * (left_d + left * right_d * inner_d);
  }
  return dx;
}
// GELU with exp and reciprocal only (the vector unit has no tanh): x / (1 + e^(-2z)), the
// exponential saturated at FLT_MAX (the unit's `sat`), 1 - sigma as e * sigma.
Vec gelu_exp32(const Vec& xd, bool backward, const Vec* dyd = nullptr) {
  Vec out(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    const float x = float(xd[i]);
    const float x_sq = x * x;
    const float w = x + kKappa * (x_sq * x);
    const float t = (-2.0f * kBeta) * w;
    const float e = std::min(exp32(t), std::numeric_limits<float>::max());
    const float s = 1.0f / (1.0f + e);
    if (!backward) {
      out[i] = x * s;
      continue;
    }
    const float q = e * s;
    const float id = (2.0f * kBeta) * (1.0f + (3.0f * kKappa) * x_sq);
    const float pr = ((x * s) * q) * id;
    out[i] = float((*dyd)[i]) * (s + pr);
  }
  return out;
}
Vec gelu_erf32(const Vec& xd) {  // the exact-erf GELU: a plausible wrong kernel
  Vec y(xd.size());
  for (size_t i = 0; i < xd.size(); ++i) {
    const float x = float(xd[i]);
    y[i] = 0.5f * x * (1.0f + float(std::erf(double(x) / M_SQRT2)));
  }
  return y;
}

struct Ce32 {
  Vec loss;
  double mean;
};
Ce32 ce32(const Vec& zd, size_t rows, size_t n, const std::vector<int64_t>& lab, int64_t ign) {
  const auto z = to_f(zd);
  Ce32 o{Vec(rows, 0.0), 0};
  float tot = 0;
  size_t cnt = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (lab[i] == ign) continue;
    ++cnt;
    float m = z[i * n];
    for (size_t j = 1; j < n; ++j) m = std::max(m, z[i * n + j]);
    float s = 0;
    for (size_t j = 0; j < n; ++j) s += exp32(z[i * n + j] - m);
    const float logp = (z[i * n + size_t(lab[i])] - m) - log32(s);
    o.loss[i] = -logp;
    tot += -logp;
  }
  o.mean = cnt ? tot / float(cnt) : 0.0f;
  return o;
}
Vec ce_bwd32(const Vec& zd, size_t rows, size_t n, const std::vector<int64_t>& lab, int64_t ign,
             double dloss) {
  size_t cnt = 0;
  for (auto l : lab) cnt += l != ign;
  const float sc = float(dloss) / float(cnt);
  Vec d(rows * n, 0.0);
  for (size_t i = 0; i < rows; ++i) {
    if (lab[i] == ign) continue;
    const Vec p = softmax32(Vec(zd.begin() + long(i * n), zd.begin() + long(i * n + n)), 1, n,
                            nullptr, false);
    for (size_t j = 0; j < n; ++j) {
      const float q = j == size_t(lab[i]) ? float(p[j]) - 1.0f : float(p[j]);
      d[i * n + j] = sc * q;
    }
  }
  return d;
}

// The chip's algorithm: tiled online softmax in FP32, P optionally rounded to BF16 for the
// P V product. `rescale = false` is the classic bug (acc not rescaled when the max grows).
AttnFwd attention32(const Vec& qd, const Vec& kd, const Vec& vd, const AttnShape& s, size_t block,
                    bool p_bf16, bool rescale = true) {
  const auto q = to_f(qd), k = to_f(kd), v = to_f(vd);
  const size_t d = s.head_dim;
  const float sf = float(s.scale);
  AttnFwd o{Vec(s.heads * s.seq_q * d, 0.0), Vec(s.heads * s.seq_q, -kInf)};
  std::vector<float> acc(d), sb(block);
  for (size_t h = 0; h < s.heads; ++h) {
    for (size_t i = 0; i < s.seq_q; ++i) {
      const size_t n = s.causal ? std::min(s.seq_k, i + 1) : s.seq_k;
      float m = -std::numeric_limits<float>::infinity(), l = 0;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (size_t j0 = 0; j0 < n; j0 += block) {
        const size_t bn = std::min(block, n - j0);
        float bm = -std::numeric_limits<float>::infinity();
        for (size_t jj = 0; jj < bn; ++jj) {
          float dt = 0;
          for (size_t c = 0; c < d; ++c) {
            dt += q[(h * s.seq_q + i) * d + c] * k[(h * s.seq_k + j0 + jj) * d + c];
          }
          sb[jj] = sf * dt;
          bm = std::max(bm, sb[jj]);
        }
        const float mn = std::max(m, bm);
        const float alpha = j0 == 0 ? 0.0f : exp32(m - mn);
        float bl = 0;
        std::vector<float> bacc(d, 0.0f);
        for (size_t jj = 0; jj < bn; ++jj) {
          const float e = exp32(sb[jj] - mn), pe = p_bf16 ? bf16(e) : e;
          bl += e;
          for (size_t c = 0; c < d; ++c) bacc[c] += pe * v[(h * s.seq_k + j0 + jj) * d + c];
        }
        l = l * alpha + bl;
        for (size_t c = 0; c < d; ++c) acc[c] = (rescale ? acc[c] * alpha : acc[c]) + bacc[c];
        m = mn;
      }
      for (size_t c = 0; c < d; ++c) o.o[(h * s.seq_q + i) * d + c] = acc[c] / l;
      o.lse[h * s.seq_q + i] = m + log32(l);
    }
  }
  return o;
}

AttnBwd attention_bwd32(const Vec& qd, const Vec& kd, const Vec& vd, const Vec& od, const Vec& dod,
                        const Vec& lsed, const AttnShape& s, bool op_bf16) {
  const auto q = to_f(qd), k = to_f(kd), v = to_f(vd), o = to_f(od), dO = to_f(dod),
             lse = to_f(lsed);
  const size_t d = s.head_dim, M = s.seq_q, N = s.seq_k;
  const float sf = float(s.scale);
  std::vector<float> dq(s.heads * M * d, 0.0f), dk(s.heads * N * d, 0.0f), dv(dk.size(), 0.0f);
  std::vector<float> p(M * N), ds(M * N);
  for (size_t h = 0; h < s.heads; ++h) {
    const float *Q = &q[h * M * d], *K = &k[h * N * d], *V = &v[h * N * d];
    const float *O = &o[h * M * d], *G = &dO[h * M * d];
    for (size_t i = 0; i < M; ++i) {
      float di = 0;
      for (size_t c = 0; c < d; ++c) di += G[i * d + c] * O[i * d + c];
      for (size_t j = 0; j < N; ++j) {
        if (s.causal && j > i) {
          p[i * N + j] = ds[i * N + j] = 0;
          continue;
        }
        float sc = 0, dp = 0;
        for (size_t c = 0; c < d; ++c) {
          sc += Q[i * d + c] * K[j * d + c];
          dp += G[i * d + c] * V[j * d + c];
        }
        const float pe = exp32(sf * sc - lse[h * M + i]);
        const float dse = pe * (dp - di);
        p[i * N + j] = op_bf16 ? bf16(pe) : pe;
        ds[i * N + j] = op_bf16 ? bf16(dse) : dse;
      }
    }
    for (size_t j = 0; j < N; ++j) {
      for (size_t c = 0; c < d; ++c) {
        float av = 0, ak = 0;
        for (size_t i = 0; i < M; ++i) {
          av += p[i * N + j] * G[i * d + c];
          ak += ds[i * N + j] * Q[i * d + c];
        }
        dv[(h * N + j) * d + c] = av;
        dk[(h * N + j) * d + c] = sf * ak;
      }
    }
    for (size_t i = 0; i < M; ++i) {
      for (size_t c = 0; c < d; ++c) {
        float aq = 0;
        for (size_t j = 0; j < N; ++j) aq += ds[i * N + j] * K[j * d + c];
        dq[(h * M + i) * d + c] = sf * aq;
      }
    }
  }
  return {to_d(dq), to_d(dk), to_d(dv)};
}

const size_t kSizes[] = {1, 7, 64, 257};

// =======================================================================================
// Softmax

TEST(RefSoftmax, MatchesNaiveDefinition) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : kSizes) {
    for (size_t cols : kSizes) {
      for (int variant = 0; variant < 3; ++variant) {  // plain, additive mask, causal
        const Vec x = rnd(r, rows * cols, -8, 8);
        Vec add(rows * cols, 0.0);
        for (double& a : add) a = (r() % 4 == 0) ? -kInf : double(float(rnd(r, 1, -3, 3)[0]));
        const MatIn am = mat(add, rows, cols);
        SoftmaxOpts o;
        if (variant == 1) o.add = &am;
        o.causal = variant == 2;
        const Vec y = softmax_rows(mat(x, rows, cols), o);
        const Vec n = naive_softmax(x, rows, cols, variant == 1 ? &add : nullptr, o.causal);
        // Both within the double model's bound of the exact value (the long double one
        // far inside it): the FP64 tolerance is the right yardstick.
        const Vec tol = softmax_rows_tolerance(mat(x, rows, cols), o, FpModel::fp64());
        EXPECT_WITHIN(n, y, tol,
                      "rows " + std::to_string(rows) + " cols " + std::to_string(cols) +
                          " variant " + std::to_string(variant));
      }
    }
  }
}

TEST(RefSoftmax, LeadingDimensionAndClosedForms) {
  // Equal logits: uniform. Two logits a, b: the logistic 1 / (1 + e^(b - a)).
  for (size_t n : kSizes) {
    const Vec x(n, 3.5);
    for (double y : softmax_rows(mat(x, 1, n))) EXPECT_NEAR(y, 1.0 / double(n), 4e-16 / double(n));
  }
  for (double dlt : {-30.0, -1.0, 0.0, 0.25, 7.0, 700.0}) {
    const Vec x = {1.0, 1.0 + dlt};
    const Vec y = softmax_rows(mat(x, 1, 2));
    EXPECT_NEAR(y[0], 1 / (1 + std::exp(dlt)), 1e-16);
    EXPECT_NEAR(y[1], 1 / (1 + std::exp(-dlt)), 1e-16);
  }
  // ld > cols: the padding columns (NaN) are never read.
  const Vec x = {1, 2, kNaN, 3, 4, kNaN};
  const Vec y = softmax_rows(mat(x, 2, 2, 3));
  ASSERT_EQ(y.size(), 4u);
  for (double v : y) EXPECT_FALSE(std::isnan(v));
  EXPECT_NEAR(y[0], y[2], 1e-16);  // shift invariance: (1, 2) and (3, 4)
  EXPECT_THROW(mat(x, 3, 2, 3), std::invalid_argument);
}

TEST(RefSoftmax, Extremes) {
  // +-1e4 logits: exp(-2e4) underflows in double, so the exact results are 1/0 to double.
  const Vec x = {1e4, -1e4, 0, /**/ -1e4, -1e4, -1e4, /**/ 1e4, 1e4 - 1, -1e4};
  const Vec y = softmax_rows(mat(x, 3, 3));
  EXPECT_EQ(y[0], 1.0);
  EXPECT_EQ(y[1], 0.0);
  EXPECT_EQ(y[2], 0.0);
  for (int j = 3; j < 6; ++j) EXPECT_NEAR(y[j], 1.0 / 3, 1e-16);
  EXPECT_NEAR(y[6], 1 / (1 + std::exp(-1.0)), 1e-16);
  EXPECT_NEAR(y[7], 1 / (1 + std::exp(1.0)), 1e-16);
  // Fully masked row -> zeros; +Inf entries share the mass; -Inf excluded; NaN row NaN;
  // a NaN elsewhere leaves the other rows alone.
  const Vec z = {1, 2, 3, /**/ kInf, 0, kInf, /**/ -kInf, 5, -kInf, /**/ 1, kNaN, 2};
  const Vec mask = {-kInf, -kInf, -kInf, /**/ 0, 0, 0, /**/ 0, 0, 0, /**/ 0, 0, 0};
  const MatIn mm = mat(mask, 4, 3);
  SoftmaxOpts o;
  o.add = &mm;
  const Vec w = softmax_rows(mat(z, 4, 3), o);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(w[j], 0.0);
  EXPECT_EQ(w[3], 0.5);
  EXPECT_EQ(w[4], 0.0);
  EXPECT_EQ(w[5], 0.5);
  EXPECT_EQ(w[6], 0.0);
  EXPECT_EQ(w[7], 1.0);
  EXPECT_EQ(w[8], 0.0);
  for (int j = 9; j < 12; ++j) EXPECT_TRUE(std::isnan(w[j]));
  // +Inf in x under a -Inf mask: Inf + -Inf is NaN, so the row is NaN (documented).
  const Vec z2 = {kInf, 1};
  const Vec m2 = {-kInf, 0};
  const MatIn mm2 = mat(m2, 1, 2);
  o.add = &mm2;
  EXPECT_TRUE(std::isnan(softmax_rows(mat(z2, 1, 2), o)[1]));
  // Causal: row 0 sees only column 0.
  SoftmaxOpts c;
  c.causal = true;
  const Vec cz = softmax_rows(mat(Vec(9, 1.0), 3, 3), c);
  EXPECT_EQ(cz[0], 1.0);
  EXPECT_EQ(cz[1], 0.0);
  EXPECT_EQ(cz[2], 0.0);
  EXPECT_EQ(cz[3], 0.5);
  // No NaN without a NaN input: random extreme rows.
  std::mt19937_64 r(test::seed());
  for (int t = 0; t < 50; ++t) {
    Vec e = rnd(r, 64, -1e4, 1e4);
    for (double& v : e) {
      if (r() % 8 == 0) v = (r() & 1) ? kInf : -kInf;
    }
    for (double v : softmax_rows(mat(e, 1, 64))) EXPECT_FALSE(std::isnan(v));
  }
}

TEST(RefSoftmax, BackwardMatchesFiniteDifferences) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : {1, 7, 64, 257}) {
    for (size_t cols : {1, 7, 64, 257}) {
      if (rows * cols > 64 * 257 / 4) continue;  // keeps the directional loop cheap
      for (bool causal : {false, true}) {
        const Vec x = rnd(r, rows * cols, -3, 3), w = rnd(r, rows * cols);
        SoftmaxOpts o;
        o.causal = causal;
        auto f = [&](const Vec& xx) { return dot(w, softmax_rows(mat(xx, rows, cols), o)); };
        const Vec y = softmax_rows(mat(x, rows, cols), o);
        const Vec dx = softmax_rows_backward(mat(y, rows, cols), mat(w, rows, cols));
        check_grad(f, x, dx, r, "softmax " + std::to_string(rows) + "x" + std::to_string(cols));
      }
    }
  }
}

// =======================================================================================
// Layer norm

TEST(RefLayerNorm, MatchesNaiveAndClosedForms) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : kSizes) {
    for (size_t n : {1, 7, 64, 257}) {
      const Vec x = rnd(r, rows * n, -2, 3), g = rnd(r, n), b = rnd(r, n);
      const LayerNormFwd f = layernorm_forward(mat(x, rows, n), g, b, 1e-5);
      const NaiveLn nv = naive_layernorm(x, rows, n, g, b, 1e-5);
      const LayerNormFwdTol t =
          layernorm_forward_tolerance(mat(x, rows, n), g, b, 1e-5, FpModel::fp64());
      EXPECT_WITHIN(nv.y, f.y, t.y, "y " + std::to_string(rows) + "x" + std::to_string(n));
      EXPECT_WITHIN(nv.mean, f.mean, t.mean, "mean");
      EXPECT_WITHIN(nv.rstd, f.rstd, t.rstd, "rstd");
      // gamma = 1, beta = 0: each row has mean 0 and (biased) variance var / (var + eps).
      const LayerNormFwd u = layernorm_forward(mat(x, rows, n), Vec(n, 1.0), Vec(n, 0.0), 1e-5);
      for (size_t i = 0; i < rows; ++i) {
        LD m = 0, v = 0;
        for (size_t j = 0; j < n; ++j) m += u.y[i * n + j];
        m /= n;
        for (size_t j = 0; j < n; ++j) v += (u.y[i * n + j] - m) * (u.y[i * n + j] - m);
        v /= n;
        const double var = 1 / (u.rstd[i] * u.rstd[i]) - 1e-5;
        EXPECT_NEAR(double(m), 0.0, 1e-13);
        EXPECT_NEAR(double(v), var / (var + 1e-5), 1e-12);
      }
      // eps = 0: variance exactly 1 (n > 1, rows not constant).
      if (n > 1) {
        const LayerNormFwd z = layernorm_forward(mat(x, rows, n), Vec(n, 1.0), Vec(n, 0.0), 0.0);
        for (size_t i = 0; i < rows; ++i) {
          LD v = 0;
          for (size_t j = 0; j < n; ++j) v += LD(z.y[i * n + j]) * z.y[i * n + j];
          EXPECT_NEAR(double(v / n), 1.0, 1e-13);
        }
      }
    }
  }
  // eps = 0 with two values: y = -1, +1 exactly (up to rounding).
  const LayerNormFwd two = layernorm_forward(mat(Vec{3.0, 5.0}, 1, 2), {1, 1}, {0, 0}, 0.0);
  EXPECT_NEAR(two.y[0], -1.0, 1e-15);
  EXPECT_NEAR(two.y[1], 1.0, 1e-15);
  // A constant row: x - mean = 0, y = beta, rstd = 1 / sqrt(eps).
  const LayerNormFwd c = layernorm_forward(mat(Vec(7, 3.25), 1, 7), Vec(7, 2.0), Vec(7, 0.5), 0.25);
  for (double y : c.y) EXPECT_EQ(y, 0.5);
  EXPECT_EQ(c.rstd[0], 2.0);
}

TEST(RefLayerNorm, Extremes) {
  // Inf / NaN rows are NaN (no limit), other rows unaffected; large offsets +-1e4 keep
  // the normalised values (the two-pass variance).
  const Vec x = {1,         2,   3, /**/ 1,       kInf,    3,
                 /**/ kNaN, 0,   0, /**/ 1e4 + 1, 1e4 + 2, 1e4 + 3,
                 /**/ -1e4, 1e4, 0};
  const LayerNormFwd f = layernorm_forward(mat(x, 5, 3), {1, 1, 1}, {0, 0, 0}, 0.0);
  for (int row : {1, 2}) {
    for (int j = 0; j < 3; ++j) EXPECT_TRUE(std::isnan(f.y[row * 3 + j]));
    EXPECT_TRUE(std::isnan(f.mean[row]) && std::isnan(f.rstd[row]));
  }
  for (int j = 0; j < 3; ++j) {
    EXPECT_FALSE(std::isnan(f.y[j]));
    EXPECT_NEAR(f.y[9 + j], f.y[j], 1e-11);
  }
  EXPECT_NEAR(f.y[12], -std::sqrt(1.5), 1e-15);
  EXPECT_NEAR(f.y[13], std::sqrt(1.5), 1e-15);
  EXPECT_THROW(layernorm_forward(mat(x, 5, 3), {1, 1}, {0, 0, 0}, 0.0), std::invalid_argument);
}

TEST(RefLayerNorm, BackwardMatchesFiniteDifferences) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : {1, 7, 64, 257}) {
    for (size_t n : {1, 7, 64, 257}) {
      if (rows * n > 64 * 64) continue;  // keeps the directional loop cheap
      const Vec x = rnd(r, rows * n, -2, 2), g = rnd(r, n, 0.5, 1.5), b = rnd(r, n);
      const Vec w = rnd(r, rows * n);
      const double eps = 1e-3;
      const LayerNormFwd f = layernorm_forward(mat(x, rows, n), g, b, eps);
      const LayerNormBwd d =
          layernorm_backward(mat(x, rows, n), g, f.mean, f.rstd, mat(w, rows, n));
      const std::string tag = std::to_string(rows) + "x" + std::to_string(n);
      check_grad(
          [&](const Vec& xx) { return dot(w, layernorm_forward(mat(xx, rows, n), g, b, eps).y); },
          x, d.dx, r, "layernorm dx " + tag);
      check_grad(
          [&](const Vec& gg) { return dot(w, layernorm_forward(mat(x, rows, n), gg, b, eps).y); },
          g, d.dgamma, r, "layernorm dgamma " + tag);
      check_grad(
          [&](const Vec& bb) { return dot(w, layernorm_forward(mat(x, rows, n), g, bb, eps).y); },
          b, d.dbeta, r, "layernorm dbeta " + tag);
    }
  }
}

// =======================================================================================
// GELU

TEST(RefGelu, MatchesNaiveAndClosedForms) {
  std::mt19937_64 r(test::seed());
  Vec x = rnd(r, 4000, -12, 12);
  x.push_back(0.0);
  const Vec y = gelu_tanh_forward(x);
  Vec n(x.size());
  for (size_t i = 0; i < x.size(); ++i) n[i] = double(naive_gelu(x[i]));
  EXPECT_WITHIN(n, y, gelu_tanh_forward_tolerance(x, FpModel::fp64()), "gelu vs long double");
  // GELU(0) = 0, GELU'(0) = 1/2, GELU(x) - GELU(-x) = x, GELU(x) -> x for large x.
  EXPECT_EQ(gelu_tanh_forward({0.0})[0], 0.0);
  EXPECT_EQ(gelu_tanh_backward({0.0}, {1.0})[0], 0.5);
  for (size_t i = 0; i < 200; ++i) {
    const double a = gelu_tanh_forward({x[i]})[0], b = gelu_tanh_forward({-x[i]})[0];
    EXPECT_NEAR(a - b, x[i], 4e-15 * (1 + std::fabs(x[i])));
  }
  EXPECT_EQ(gelu_tanh_forward({10.0})[0], 10.0);
  // Known value (PyTorch gelu(1.0, approximate='tanh') = 0.8411919906082768).
  EXPECT_NEAR(gelu_tanh_forward({1.0})[0], 0.8411919906082768, 1e-15);
}

TEST(RefGelu, Extremes) {
  const Vec x = {kInf, -kInf, kNaN, 1e4, -1e4, 1e30, -1e30, 1e200, -1e200};
  const Vec y = gelu_tanh_forward(x);
  EXPECT_EQ(y[0], kInf);
  EXPECT_EQ(y[1], 0.0);
  EXPECT_TRUE(std::signbit(y[1]));
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(y[3], 1e4);
  EXPECT_EQ(y[4], 0.0);
  EXPECT_EQ(y[5], 1e30);
  EXPECT_EQ(y[6], 0.0);
  EXPECT_EQ(y[7], 1e200);
  EXPECT_EQ(y[8], 0.0);
  const Vec d = gelu_tanh_backward(x, Vec(x.size(), 2.0));
  const double want[] = {2, 0, kNaN, 2, 0, 2, 0, 2, 0};
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(d[i]));
    } else {
      EXPECT_EQ(d[i], want[i]) << "x=" << x[i];
    }
  }
}

TEST(RefGelu, BackwardMatchesFiniteDifferences) {
  std::mt19937_64 r(test::seed());
  const Vec x = rnd(r, 257, -6, 6), w = rnd(r, 257);
  const Vec dx = gelu_tanh_backward(x, w);
  for (size_t i = 0; i < x.size(); ++i) {
    auto f = [&](const Vec& t) { return gelu_tanh_forward(t)[0]; };
    const double n = fd(f, {x[i]}, {1.0});
    EXPECT_NEAR(dx[i], w[i] * n, fd_tol(n)) << "x=" << x[i];
  }
}

// =======================================================================================
// Softmax cross-entropy

TEST(RefCrossEntropy, MatchesNaiveAndClosedForms) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : kSizes) {
    for (size_t n : {1, 7, 64, 257}) {
      const Vec z = rnd(r, rows * n, -6, 6);
      std::vector<int64_t> lab(rows);
      for (auto& l : lab) l = (r() % 5 == 0) ? -100 : int64_t(r() % n);
      const CrossEntropyFwd f = softmax_cross_entropy_forward(mat(z, rows, n), lab);
      const CrossEntropyTol t =
          softmax_cross_entropy_forward_tolerance(mat(z, rows, n), lab, -100, FpModel::fp64());
      Vec nv(rows, 0.0);
      LD tot = 0;
      size_t cnt = 0;
      for (size_t i = 0; i < rows; ++i) {
        if (lab[i] == -100) continue;
        LD s = 0;
        for (size_t j = 0; j < n; ++j) s += expl(LD(z[i * n + j]));
        nv[i] = double(-logl(expl(LD(z[i * n + size_t(lab[i])])) / s));
        tot += nv[i];
        ++cnt;
      }
      EXPECT_WITHIN(nv, f.loss, t.loss, "loss");
      EXPECT_EQ(f.count, cnt);
      EXPECT_NEAR(f.mean, cnt ? double(tot / cnt) : 0.0, t.mean);
    }
  }
  // Uniform logits: log n. One-hot with margin M: log(1 + (n - 1) e^-M) -> 0, decreasing.
  for (size_t n : {2, 7, 257}) {
    const CrossEntropyFwd u = softmax_cross_entropy_forward(mat(Vec(n, 0.7), 1, n), {1});
    EXPECT_NEAR(u.mean, std::log(double(n)), 1e-15 * std::log(double(n)) + 1e-16);
    double prev = kInf;
    for (double M : {0.0, 1.0, 5.0, 20.0, 40.0, 800.0}) {
      Vec z(n, 0.0);
      z[1] = M;
      const double l = softmax_cross_entropy_forward(mat(z, 1, n), {1}).mean;
      EXPECT_NEAR(l, std::log1p(double(n - 1) * std::exp(-M)),
                  1e-13 * l);  // gamma_n relative (n <= 257)
      EXPECT_LT(l, prev);
      prev = l;
    }
    EXPECT_EQ(prev, 0.0);
  }
  // All rows ignored: mean 0 and zero gradient (documented); bad labels throw.
  const Vec z = rnd(r, 14, -1, 1);
  const CrossEntropyFwd all = softmax_cross_entropy_forward(mat(z, 2, 7), {-1, -1}, -1);
  EXPECT_EQ(all.mean, 0.0);
  EXPECT_EQ(all.count, 0u);
  for (double v : softmax_cross_entropy_backward(mat(z, 2, 7), {-1, -1}, -1)) EXPECT_EQ(v, 0.0);
  EXPECT_THROW(softmax_cross_entropy_forward(mat(z, 2, 7), {0, 7}), std::invalid_argument);
  EXPECT_THROW(softmax_cross_entropy_forward(mat(z, 2, 7), {0}), std::invalid_argument);
}

TEST(RefCrossEntropy, Extremes) {
  const Vec z = {1e4,        -1e4, 0, /**/ 1e4, -1e4, 0, /**/ kInf, kInf, 0, /**/ kInf, 1, 2,
                 /**/ -kInf, 1,    2, /**/ 1,   kNaN, 2};
  const std::vector<int64_t> lab = {0, 1, 0, 1, 0, 2};
  const CrossEntropyFwd f = softmax_cross_entropy_forward(mat(z, 6, 3), lab);
  EXPECT_EQ(f.loss[0], 0.0);
  EXPECT_EQ(f.loss[1], 2e4);
  EXPECT_EQ(f.loss[2], std::log(2.0));
  EXPECT_EQ(f.loss[3], kInf);
  EXPECT_EQ(f.loss[4], kInf);
  EXPECT_TRUE(std::isnan(f.loss[5]));
  EXPECT_TRUE(std::isnan(f.mean));
  const CrossEntropyFwd g = softmax_cross_entropy_forward(mat(z, 3, 3), {0, 1, 0});
  EXPECT_NEAR(g.mean, (2e4 + std::log(2.0)) / 3, 1e-12);
  const Vec d = softmax_cross_entropy_backward(mat(z, 2, 3), {0, 1});
  EXPECT_EQ(d[0], 0.0);  // p = 1 at the label
  EXPECT_EQ(d[3], 0.5);  // (1 - 0) / 2
  EXPECT_EQ(d[4], -0.5);
}

TEST(RefCrossEntropy, BackwardMatchesFiniteDifferences) {
  std::mt19937_64 r(test::seed());
  for (size_t rows : {1, 7, 64, 257}) {
    for (size_t n : {1, 7, 64, 257}) {
      if (rows * n > 64 * 64) continue;
      const Vec z = rnd(r, rows * n, -4, 4);
      std::vector<int64_t> lab(rows);
      for (auto& l : lab) l = (r() % 4 == 0) ? -100 : int64_t(r() % n);
      lab[0] = 0;  // at least one counted row
      const double dloss = 1.75;
      auto f = [&](const Vec& zz) {
        return dloss * softmax_cross_entropy_forward(mat(zz, rows, n), lab).mean;
      };
      check_grad(f, z, softmax_cross_entropy_backward(mat(z, rows, n), lab, -100, dloss), r,
                 "ce " + std::to_string(rows) + "x" + std::to_string(n));
    }
  }
}

// =======================================================================================
// Attention

struct AttnCase {
  AttnShape s;
  Vec q, k, v;
};
AttnCase attn_case(std::mt19937_64& r, size_t heads, size_t sq, size_t sk, size_t d, bool causal,
                   double qscale = 1) {
  AttnCase c;
  c.s = AttnShape{heads, sq, sk, d, 1 / std::sqrt(double(d)), causal};
  c.q = rnd(r, heads * sq * d, -2 * qscale, 2 * qscale);
  c.k = rnd(r, heads * sk * d, -2, 2);
  c.v = rnd(r, heads * sk * d);
  return c;
}
std::string tag(const AttnShape& s) {
  std::ostringstream o;
  o << "h" << s.heads << " q" << s.seq_q << " k" << s.seq_k << " d" << s.head_dim
    << (s.causal ? " causal" : "");
  return o.str();
}

TEST(RefAttention, ForwardMatchesSoftmaxCompositionAndTiled) {
  std::mt19937_64 r(test::seed());
  for (size_t d : {16, 64}) {
    for (size_t sq : kSizes) {
      for (size_t sk : {1, 7, 64, 257}) {
        if (sq * sk * d > 64 * 257 * 64) continue;
        for (bool causal : {false, true}) {
          const AttnCase c = attn_case(r, sq > 64 ? 1 : 2, sq, sk, d, causal);
          const AttnFwd ref = attention_forward(c.q, c.k, c.v, c.s);
          const AttnFwd nv = naive_attention(c.q, c.k, c.v, c.s);
          // Both sides within the double model of the exact value.
          const AttnFwd t =
              attention_forward_tolerance(c.q, c.k, c.v, c.s, AttnModel{FpModel::fp64(), 16, 0, 0});
          EXPECT_WITHIN(nv.o, ref.o, t.o, "O vs composition " + tag(c.s));
          EXPECT_WITHIN(nv.lse, ref.lse, t.lse, "lse vs composition " + tag(c.s));
          for (size_t blk : {16, 5}) {
            const AttnFwd tl = attention_forward_tiled(c.q, c.k, c.v, c.s, blk);
            const AttnFwd tt = attention_forward_tolerance(c.q, c.k, c.v, c.s,
                                                           AttnModel{FpModel::fp64(), blk, 0, 0});
            EXPECT_WITHIN(tl.o, ref.o, tt.o, "O tiled " + tag(c.s));
            EXPECT_WITHIN(tl.lse, ref.lse, tt.lse, "lse tiled " + tag(c.s));
          }
        }
      }
    }
  }
}

TEST(RefAttention, Extremes) {
  std::mt19937_64 r(test::seed());
  // Scores around +-1e4 (Q scaled up): nothing overflows, tiled and plain agree.
  AttnCase c = attn_case(r, 1, 64, 64, 16, false, 2500);
  const AttnFwd a = attention_forward(c.q, c.k, c.v, c.s);
  const AttnFwd t = attention_forward_tiled(c.q, c.k, c.v, c.s, 16);
  const AttnFwd tol =
      attention_forward_tolerance(c.q, c.k, c.v, c.s, AttnModel{FpModel::fp64(), 16, 0, 0});
  EXPECT_WITHIN(t.o, a.o, tol.o, "O at large scores");
  for (double v : a.o) EXPECT_TRUE(std::isfinite(v));
  // NaN in one query row: that row's O and lse are NaN, the others are not.
  c = attn_case(r, 1, 7, 7, 16, true);
  c.q[3 * 16 + 5] = kNaN;
  const AttnFwd n = attention_forward(c.q, c.k, c.v, c.s);
  const AttnFwd nt = attention_forward_tiled(c.q, c.k, c.v, c.s, 16);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(std::isnan(n.lse[i]), i == 3);
    EXPECT_EQ(std::isnan(nt.lse[i]), i == 3);
    for (size_t cc = 0; cc < 16; ++cc) EXPECT_EQ(std::isnan(n.o[i * 16 + cc]), i == 3);
  }
  // No keys: O = 0, lse = -Inf. One key: O = V, lse = the score.
  const AttnShape e{1, 3, 0, 16, 0.25, false};
  const AttnFwd z = attention_forward(Vec(48, 1.0), {}, {}, e);
  for (double v : z.o) EXPECT_EQ(v, 0.0);
  for (double v : z.lse) EXPECT_EQ(v, -kInf);
  c = attn_case(r, 1, 1, 1, 16, false);
  const AttnFwd one = attention_forward(c.q, c.k, c.v, c.s);
  for (size_t cc = 0; cc < 16; ++cc) EXPECT_NEAR(one.o[cc], c.v[cc], 1e-16);
  // Causal row 0 attends to key 0 only.
  c = attn_case(r, 1, 7, 7, 16, true);
  const AttnFwd cz = attention_forward(c.q, c.k, c.v, c.s);
  for (size_t cc = 0; cc < 16; ++cc) EXPECT_NEAR(cz.o[cc], c.v[cc], 1e-16);
}

TEST(RefAttention, BackwardMatchesFiniteDifferences) {
  std::mt19937_64 r(test::seed());
  struct Sh {
    size_t sq, sk, d;
  };
  for (Sh sh : {Sh{1, 1, 16}, Sh{7, 7, 16}, Sh{7, 5, 16}, Sh{64, 64, 64}, Sh{257, 64, 16},
                Sh{64, 257, 64}}) {
    for (bool causal : {false, true}) {
      const AttnCase c = attn_case(r, sh.sq > 7 ? 1 : 2, sh.sq, sh.sk, sh.d, causal);
      const Vec w = rnd(r, c.s.heads * sh.sq * sh.d);
      const AttnFwd f = attention_forward(c.q, c.k, c.v, c.s);
      const AttnBwd g = attention_backward(c.q, c.k, c.v, f.o, w, f.lse, c.s);
      check_grad([&](const Vec& x) { return dot(w, attention_forward(x, c.k, c.v, c.s).o); }, c.q,
                 g.dq, r, "dQ " + tag(c.s));
      check_grad([&](const Vec& x) { return dot(w, attention_forward(c.q, x, c.v, c.s).o); }, c.k,
                 g.dk, r, "dK " + tag(c.s));
      check_grad([&](const Vec& x) { return dot(w, attention_forward(c.q, c.k, x, c.s).o); }, c.v,
                 g.dv, r, "dV " + tag(c.s));
    }
  }
}

// =======================================================================================
// FP32 error bounds: a plain FP32 evaluation lies within the tolerance; the same result
// moved by 3x the tolerance, or a plausible wrong kernel, does not.

TEST(RefBounds, Softmax) {
  std::mt19937_64 r(test::seed());
  double worst = 0;
  size_t n_exp2_over_k1 = 0;
  for (size_t rows : {1, 7, 64}) {
    for (size_t cols : kSizes) {
      for (int variant = 0; variant < 4; ++variant) {
        const double range = variant == 3 ? 1e4 : 10;  // variant 3: +-1e4 logits
        const Vec x = rnd(r, rows * cols, -range, range);
        Vec add(rows * cols, 0.0);
        for (double& a : add) a = (r() % 4 == 0) ? -kInf : double(float(rnd(r, 1, -5, 5)[0]));
        const MatIn am = mat(add, rows, cols);
        SoftmaxOpts o;
        if (variant == 1) o.add = &am;
        o.causal = variant == 2;
        const Vec ref = softmax_rows(mat(x, rows, cols), o);
        const Vec got = softmax32(x, rows, cols, variant == 1 ? &add : nullptr, o.causal);
        const Vec tol = softmax_rows_tolerance(mat(x, rows, cols), o);
        const Cmp c = compare(ref, got, tol);
        EXPECT_EQ(c.bad, 0u) << "softmax " << rows << "x" << cols << " v" << variant << ": "
                             << c.first;
        worst = std::max(worst, c.worst);
        expect_perturbation_caught(ref, got, tol, r() % got.size(), "softmax");
        if (cols >= 64 && variant == 0) {  // BF16-rounded exponentials are out of bound
          const Vec bad = softmax32(x, rows, cols, nullptr, false, 1);
          EXPECT_GT(compare(ref, bad, tol).bad, 0u) << "bf16 exp passed";
        }
        if (variant == 0 || variant == 3) {  // an exp2 unit: within the 3-rounding model
          FpModel m3;
          m3.exp_arg_roundings = 3;
          const Vec got2 = softmax32(x, rows, cols, nullptr, false, 2);
          const Vec tol3 = softmax_rows_tolerance(mat(x, rows, cols), o, m3);
          const Cmp c2 = compare(ref, got2, tol3);
          EXPECT_EQ(c2.bad, 0u) << "softmax exp2 " << rows << "x" << cols << ": " << c2.first;
          worst = std::max(worst, c2.worst);
          n_exp2_over_k1 += compare(ref, got2, tol).bad;
        }
      }
      // Backward on the FP32 forward's output.
      const Vec x = rnd(r, rows * cols, -5, 5), dy = rnd(r, rows * cols);
      const Vec y = softmax32(x, rows, cols, nullptr, false);
      const Vec ref = softmax_rows_backward(mat(y, rows, cols), mat(dy, rows, cols));
      const Vec got = softmax_bwd32(y, dy, rows, cols);
      const Vec tol = softmax_rows_backward_tolerance(mat(y, rows, cols), mat(dy, rows, cols));
      const Cmp c = compare(ref, got, tol);
      EXPECT_EQ(c.bad, 0u) << "softmax backward: " << c.first;
      worst = std::max(worst, c.worst);
      expect_perturbation_caught(ref, got, tol, r() % got.size(), "softmax backward");
    }
  }
  std::cout << "[ bound    ] softmax worst |err|/tol = " << worst
            << "; exp2 results outside the 1-rounding bound: " << n_exp2_over_k1 << std::endl;
  ::testing::Test::RecordProperty("worst_ratio", std::to_string(worst));
}

TEST(RefBounds, LayerNorm) {
  std::mt19937_64 r(test::seed());
  double worst = 0;
  for (size_t rows : {1, 7, 64}) {
    for (size_t n : {2, 7, 64, 257}) {
      for (double off : {0.0, 100.0}) {  // large mean vs spread: the two-pass case
        Vec x = rnd(r, rows * n, -2, 2);
        for (double& v : x) v = double(float(v + off));
        const Vec g = rnd(r, n, 0.5, 1.5), b = rnd(r, n), dy = rnd(r, rows * n);
        const LayerNormFwd f = layernorm_forward(mat(x, rows, n), g, b, 1e-5);
        const Ln32 h = layernorm32(x, rows, n, g, b, 1e-5);
        const LayerNormFwdTol t = layernorm_forward_tolerance(mat(x, rows, n), g, b, 1e-5);
        for (auto [ref, got, tol, what] : {std::make_tuple(&f.y, &h.y, &t.y, "y"),
                                           std::make_tuple(&f.mean, &h.mean, &t.mean, "mean"),
                                           std::make_tuple(&f.rstd, &h.rstd, &t.rstd, "rstd")}) {
          const Cmp c = compare(*ref, *got, *tol);
          EXPECT_EQ(c.bad, 0u) << "layernorm " << what << " " << rows << "x" << n << ": "
                               << c.first;
          worst = std::max(worst, c.worst);
          expect_perturbation_caught(*ref, *got, *tol, r() % got->size(), what);
        }
        if (n >= 7 && off == 0) {  // unbiased variance is out of bound
          const Ln32 bad = layernorm32(x, rows, n, g, b, 1e-5, true);
          EXPECT_GT(compare(f.y, bad.y, t.y).bad, 0u) << "unbiased variance passed";
        }
        // Backward from the FP32 saved statistics (both sides get the same inputs).
        const LayerNormBwd rb =
            layernorm_backward(mat(x, rows, n), g, h.mean, h.rstd, mat(dy, rows, n));
        const LayerNormBwd gb = layernorm_bwd32(x, rows, n, g, h.mean, h.rstd, dy);
        const LayerNormBwd tb =
            layernorm_backward_tolerance(mat(x, rows, n), g, h.mean, h.rstd, mat(dy, rows, n));
        for (auto [ref, got, tol, what] :
             {std::make_tuple(&rb.dx, &gb.dx, &tb.dx, "dx"),
              std::make_tuple(&rb.dgamma, &gb.dgamma, &tb.dgamma, "dgamma"),
              std::make_tuple(&rb.dbeta, &gb.dbeta, &tb.dbeta, "dbeta")}) {
          const Cmp c = compare(*ref, *got, *tol);
          EXPECT_EQ(c.bad, 0u) << "layernorm " << what << " " << rows << "x" << n << ": "
                               << c.first;
          worst = std::max(worst, c.worst);
          expect_perturbation_caught(*ref, *got, *tol, r() % got->size(), what);
        }
      }
    }
  }
  std::cout << "[ bound    ] layernorm worst |err|/tol = " << worst << std::endl;
  ::testing::Test::RecordProperty("worst_ratio", std::to_string(worst));
}

TEST(RefBounds, Gelu) {
  std::mt19937_64 r(test::seed());
  double worst = 0;
  for (double range : {1.0, 8.0, 30.0, 1e3, 1e6}) {
    const Vec x = rnd(r, 20000, -range, range), dy = rnd(r, 20000);
    const Vec ref = gelu_tanh_forward(x), got = gelu32(x), tol = gelu_tanh_forward_tolerance(x);
    Cmp c = compare(ref, got, tol);
    EXPECT_EQ(c.bad, 0u) << "gelu range " << range << ": " << c.first;
    worst = std::max(worst, c.worst);
    expect_perturbation_caught(ref, got, tol, r() % got.size(), "gelu");
    const Vec rb = gelu_tanh_backward(x, dy), gb = gelu_bwd32(x, dy);
    const Vec tb = gelu_tanh_backward_tolerance(x, dy);
    c = compare(rb, gb, tb);
    EXPECT_EQ(c.bad, 0u) << "gelu backward range " << range << ": " << c.first;
    worst = std::max(worst, c.worst);
    expect_perturbation_caught(rb, gb, tb, r() % gb.size(), "gelu backward");
    if (range < 10) {  // the erf form differs by up to ~1e-3: out of bound
      EXPECT_GT(compare(ref, gelu_erf32(x), tol).bad, 0u) << "erf GELU passed";
    }
    // The exp / reciprocal form against its own bound (saturation reached from x < -10).
    const Vec te = gelu_tanh_forward_tolerance(x, FpModel::fp32(), GeluForm::kExpRecip);
    const Vec ge = gelu_exp32(x, false);
    c = compare(ref, ge, te);
    EXPECT_EQ(c.bad, 0u) << "gelu exp/recip range " << range << ": " << c.first;
    worst = std::max(worst, c.worst);
    expect_perturbation_caught(ref, ge, te, r() % ge.size(), "gelu exp/recip");
    const Vec tbe = gelu_tanh_backward_tolerance(x, dy, FpModel::fp32(), GeluForm::kExpRecip);
    const Vec gbe = gelu_exp32(x, true, &dy);
    c = compare(rb, gbe, tbe);
    EXPECT_EQ(c.bad, 0u) << "gelu exp/recip backward range " << range << ": " << c.first;
    worst = std::max(worst, c.worst);
    expect_perturbation_caught(rb, gbe, tbe, r() % gbe.size(), "gelu exp/recip backward");
  }
  std::cout << "[ bound    ] gelu worst |err|/tol = " << worst << std::endl;
  ::testing::Test::RecordProperty("worst_ratio", std::to_string(worst));
}

TEST(RefBounds, CrossEntropy) {
  std::mt19937_64 r(test::seed());
  double worst = 0;
  for (size_t rows : {1, 7, 64}) {
    for (size_t n : kSizes) {
      for (double range : {10.0, 1e4}) {
        const Vec z = rnd(r, rows * n, -range, range);
        std::vector<int64_t> lab(rows);
        for (auto& l : lab) l = (r() % 5 == 0) ? -100 : int64_t(r() % n);
        lab[0] = int64_t(r() % n);
        const CrossEntropyFwd f = softmax_cross_entropy_forward(mat(z, rows, n), lab);
        const Ce32 h = ce32(z, rows, n, lab, -100);
        const CrossEntropyTol t = softmax_cross_entropy_forward_tolerance(mat(z, rows, n), lab);
        Cmp c = compare(f.loss, h.loss, t.loss);
        EXPECT_EQ(c.bad, 0u) << "ce " << rows << "x" << n << ": " << c.first;
        worst = std::max(worst, c.worst);
        expect_perturbation_caught(f.loss, h.loss, t.loss, 0, "ce loss");
        c = compare({f.mean}, {h.mean}, {t.mean});
        EXPECT_EQ(c.bad, 0u) << "ce mean: " << c.first;
        expect_perturbation_caught({f.mean}, {h.mean}, {t.mean}, 0, "ce mean");
        const Vec rb = softmax_cross_entropy_backward(mat(z, rows, n), lab, -100, 0.5);
        const Vec gb = ce_bwd32(z, rows, n, lab, -100, 0.5);
        const Vec tb = softmax_cross_entropy_backward_tolerance(mat(z, rows, n), lab, -100, 0.5);
        c = compare(rb, gb, tb);
        EXPECT_EQ(c.bad, 0u) << "ce backward " << rows << "x" << n << ": " << c.first;
        worst = std::max(worst, c.worst);
        expect_perturbation_caught(rb, gb, tb, r() % n, "ce backward");
      }
    }
  }
  std::cout << "[ bound    ] cross entropy worst |err|/tol = " << worst << std::endl;
  ::testing::Test::RecordProperty("worst_ratio", std::to_string(worst));
}

TEST(RefBounds, Attention) {
  std::mt19937_64 r(test::seed());
  double worst = 0;
  struct Sh {
    size_t sq, sk, d;
  };
  for (Sh sh : {Sh{1, 1, 16}, Sh{7, 7, 16}, Sh{64, 64, 64}, Sh{257, 257, 16}, Sh{64, 257, 64},
                Sh{257, 7, 64}}) {
    for (bool causal : {false, true}) {
      for (bool bf : {false, true}) {
        const AttnCase c = attn_case(r, 1, sh.sq, sh.sk, sh.d, causal, bf ? 1 : 3);
        const AttnModel m{FpModel::fp32(), 16, bf ? 0x1p-8 : 0.0, bf ? 0x1p-134 : 0.0};
        const AttnFwd ref = attention_forward(c.q, c.k, c.v, c.s);
        const AttnFwd got = attention32(c.q, c.k, c.v, c.s, 16, bf);
        const AttnFwd tol = attention_forward_tolerance(c.q, c.k, c.v, c.s, m);
        Cmp k = compare(ref.o, got.o, tol.o);
        EXPECT_EQ(k.bad, 0u) << "O " << tag(c.s) << (bf ? " bf16" : "") << ": " << k.first;
        worst = std::max(worst, k.worst);
        expect_perturbation_caught(ref.o, got.o, tol.o, r() % got.o.size(), "O");
        k = compare(ref.lse, got.lse, tol.lse);
        EXPECT_EQ(k.bad, 0u) << "lse " << tag(c.s) << ": " << k.first;
        worst = std::max(worst, k.worst);
        expect_perturbation_caught(ref.lse, got.lse, tol.lse, r() % got.lse.size(), "lse");
        if (sh.sk > 16 && !causal && !bf) {  // forgetting to rescale acc is out of bound
          const AttnFwd bad = attention32(c.q, c.k, c.v, c.s, 16, false, false);
          EXPECT_GT(compare(ref.o, bad.o, tol.o).bad, 0u) << "unrescaled acc passed";
        }
        // Backward from the FP32 forward's O and lse.
        const Vec dO = rnd(r, got.o.size());
        const AttnBwd rb = attention_backward(c.q, c.k, c.v, got.o, dO, got.lse, c.s);
        const AttnBwd gb = attention_bwd32(c.q, c.k, c.v, got.o, dO, got.lse, c.s, bf);
        const AttnBwd tb = attention_backward_tolerance(c.q, c.k, c.v, got.o, dO, got.lse, c.s, m);
        for (auto [rv, gv, tv, what] : {std::make_tuple(&rb.dq, &gb.dq, &tb.dq, "dQ"),
                                        std::make_tuple(&rb.dk, &gb.dk, &tb.dk, "dK"),
                                        std::make_tuple(&rb.dv, &gb.dv, &tb.dv, "dV")}) {
          k = compare(*rv, *gv, *tv);
          EXPECT_EQ(k.bad, 0u) << what << " " << tag(c.s) << (bf ? " bf16" : "") << ": " << k.first;
          worst = std::max(worst, k.worst);
          expect_perturbation_caught(*rv, *gv, *tv, r() % gv->size(), what);
        }
      }
    }
  }
  std::cout << "[ bound    ] attention worst |err|/tol = " << worst << std::endl;
  ::testing::Test::RecordProperty("worst_ratio", std::to_string(worst));
}

}  // namespace
}  // namespace tessera::ref
