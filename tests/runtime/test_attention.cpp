// SPDX-License-Identifier: Apache-2.0
// Runtime::attention_forward / attention_backward on the functional model (GEMMs by
// golden::gemm, VEC passes by golden::vec_run): against the FP64 references of
// tessera/reference/vec.hpp within their proven FP32 tolerances (docs/vec_reference.md),
// over sequence lengths 1, 7, 64, 257, head dims 16 and 64, causal or not, FP16 and BF16,
// several block sizes; extreme logits; NaN confined to its row; and the refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tessera/func_device.hpp"
#include "tessera/golden/arith.hpp"
#include "tessera/reference/vec.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"
#include "vec_check.hpp"

namespace tessera::test {
namespace {

using Rig = VecRig;

golden::Fmt16 fmt16(isa::Dtype dt) {
  return dt == isa::Dtype::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16;
}

float widen(isa::Dtype dt, uint16_t c) {
  const uint32_t b = golden::fp_widen(fmt16(dt), c).bits;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

uint16_t narrow(isa::Dtype dt, float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return golden::fp_narrow(fmt16(dt), b).bits;
}

// A tensor of 16-bit codes drawn from N(0, spread), and its values.
struct Tensor {
  std::vector<uint16_t> codes;
  std::vector<double> values;
};
Tensor random_tensor(std::mt19937_64& r, isa::Dtype dt, size_t n, float spread) {
  std::normal_distribution<float> nd(0.0f, spread);
  Tensor t;
  t.codes.resize(n);
  t.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    t.codes[i] = narrow(dt, nd(r));
    t.values[i] = widen(dt, t.codes[i]);
  }
  return t;
}

struct Case {
  uint32_t heads, seq_q, seq_k, d;
  bool causal;
  isa::Dtype dt = isa::Dtype::kFp16;
  float spread = 1.0f;
  uint32_t block_q = 0, block_k = 0;
};

std::string name(const Case& c) {
  return "heads " + std::to_string(c.heads) + " seq_q " + std::to_string(c.seq_q) +
         " seq_k " + std::to_string(c.seq_k) + " d " + std::to_string(c.d) +
         (c.causal ? " causal" : "") + (c.dt == isa::Dtype::kBf16 ? " bf16" : " fp16");
}

ref::AttnShape shape(const Case& c, float scale) {
  ref::AttnShape s;
  s.heads = c.heads;
  s.seq_q = c.seq_q;
  s.seq_k = c.seq_k;
  s.head_dim = c.d;
  s.scale = scale;
  s.causal = c.causal;
  return s;
}

ref::AttnModel model(isa::Dtype dt, uint32_t block_k) {
  ref::AttnModel m;
  m.block = block_k;
  m.op_u = dt == isa::Dtype::kBf16 ? 0x1p-8 : 0x1p-11;
  m.op_eta = dt == isa::Dtype::kBf16 ? 0x1p-134 : 0x1p-25;
  return m;
}

struct FwdOut {
  std::vector<float> o, lse;
  AttentionStats st;
};

FwdOut run_forward(Rig& g, const Case& c, const Tensor& q, const Tensor& k, const Tensor& v) {
  const size_t nq = size_t(c.heads) * c.seq_q * c.d, nk = size_t(c.heads) * c.seq_k * c.d;
  AttentionArgs a;
  a.heads = c.heads;
  a.seq_q = c.seq_q;
  a.seq_k = c.seq_k;
  a.head_dim = c.d;
  a.dtype = c.dt;
  a.out = isa::StoreFormat::kRaw;
  a.causal = c.causal;
  a.block_q = c.block_q;
  a.block_k = c.block_k;
  a.q = g.rt.alloc(nq * 2);
  a.k = g.rt.alloc(nk * 2);
  a.v = g.rt.alloc(nk * 2);
  a.o = g.rt.alloc(nq * 4);
  a.lse = g.rt.alloc(size_t(c.heads) * c.seq_q * 4);
  g.rt.write(a.q, q.codes.data(), nq * 2);
  g.rt.write(a.k, k.codes.data(), nk * 2);
  g.rt.write(a.v, v.codes.data(), nk * 2);
  FwdOut out;
  out.st = g.rt.attention_forward(a);
  out.o.resize(nq);
  out.lse.resize(size_t(c.heads) * c.seq_q);
  g.rt.read(a.o, out.o.data(), nq * 4);
  g.rt.read(*a.lse, out.lse.data(), out.lse.size() * 4);
  for (const Buffer& b : {a.q, a.k, a.v, a.o, *a.lse}) g.rt.free(b);
  return out;
}

// FLAGS may hold NX and UF (e^(S - m) underflows for far-below-max scores), nothing else.
void check_forward(Rig& g, const Case& c, std::mt19937_64& r) {
  const size_t nq = size_t(c.heads) * c.seq_q * c.d, nk = size_t(c.heads) * c.seq_k * c.d;
  const Tensor q = random_tensor(r, c.dt, nq, c.spread), k = random_tensor(r, c.dt, nk, c.spread),
               v = random_tensor(r, c.dt, nk, 1.0f);
  const FwdOut f = run_forward(g, c, q, k, v);
  const float scale = float(1.0 / std::sqrt(double(c.d)));
  const ref::AttnShape s = shape(c, scale);
  const ref::AttnFwd ref = ref::attention_forward(q.values, k.values, v.values, s);
  const ref::AttnFwd tol = ref::attention_forward_tolerance(
      q.values, k.values, v.values, s, model(c.dt, f.st.plan.block_k));
  const std::string ctx = name(c) + " (" + f.st.plan.describe() + ")";
  EXPECT_EQ(count_outside_tol("O", f.o, ref.o, tol.o, ctx), 0u) << ctx;
  EXPECT_EQ(count_outside_tol("lse", f.lse, ref.lse, tol.lse, ctx), 0u) << ctx;
  const uint32_t allowed = uint32_t(golden::kFlagNx) | uint32_t(golden::kFlagUf);
  EXPECT_EQ(f.st.run.flags & ~allowed, 0u) << ctx << ": FLAGS " << f.st.run.flags;
}

TEST(AttentionForward, ShapesMatchReferenceTiny) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  for (uint32_t seq : {1u, 7u, 64u}) {
    for (uint32_t d : {16u, 64u}) {
      for (bool causal : {false, true}) check_forward(g, {2, seq, seq, d, causal}, r);
    }
  }
}

TEST(AttentionForward, ShapesMatchReferenceDefault) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  for (uint32_t seq : {1u, 7u, 64u, 257u}) {
    for (uint32_t d : {16u, 64u}) {
      for (bool causal : {false, true}) check_forward(g, {2, seq, seq, d, causal}, r);
    }
  }
}

TEST(AttentionForward, Bf16AndUnequalLengths) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  check_forward(g, {3, 33, 70, 16, false, isa::Dtype::kBf16}, r);
  check_forward(g, {1, 70, 33, 64, true, isa::Dtype::kBf16}, r);
  check_forward(g, {2, 5, 129, 16, false}, r);
}

// Block sizes that do not divide the sequence, and many key blocks per query block: the
// running max and sum are rescaled many times.
TEST(AttentionForward, ExplicitBlocks) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  for (uint32_t bq : {1u, 16u, 48u}) {
    for (uint32_t bk : {16u, 32u}) {
      Case c{1, 100, 100, 16, bq == 16};
      c.block_q = bq;
      c.block_k = bk;
      check_forward(g, c, r);
    }
  }
}

// Scores near +-1e4: exact after the running max is subtracted.
TEST(AttentionForward, ExtremeLogits) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  Case c{1, 64, 64, 16, false};
  c.spread = 50.0f;  // |S| up to ~1e4 with scale 1/4
  check_forward(g, c, r);
  c.causal = true;
  check_forward(g, c, r);
}

// NaN in one query row makes that row NaN (O and lse) and no other.
TEST(AttentionForward, NanStaysInItsRow) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  Case c{1, 9, 9, 16, false};
  const size_t n = size_t(c.seq_q) * c.d;
  Tensor q = random_tensor(r, c.dt, n, 1.0f);
  const Tensor k = random_tensor(r, c.dt, n, 1.0f), v = random_tensor(r, c.dt, n, 1.0f);
  q.codes[4 * c.d + 3] = 0x7e00;  // query row 4
  const FwdOut f = run_forward(g, c, q, k, v);
  for (uint32_t i = 0; i < c.seq_q; ++i) {
    EXPECT_EQ(std::isnan(f.lse[i]), i == 4) << "row " << i;
    for (uint32_t e = 0; e < c.d; ++e) {
      EXPECT_EQ(std::isnan(f.o[i * c.d + e]), i == 4) << "row " << i << " col " << e;
    }
  }
}

// FP16 Q and K (one head, seq_q rows of d) of the infinite-score tests: key 3 is (+Inf,
// 0, ..., 0) and q_0 is +1 for rows 0-3 and -1 for rows 4-7, so rows 0-3 score +Inf and
// rows 4-7 score -Inf against key 3.
void make_infinite_scores(const Case& c, Tensor& q, Tensor& k) {
  for (uint32_t i = 0; i < c.seq_q; ++i) {
    q.codes[i * c.d] = i < 4 ? 0x3c00 : 0xbc00;
    q.values[i * c.d] = i < 4 ? 1.0 : -1.0;
  }
  for (uint32_t e = 0; e < c.d; ++e) {
    k.codes[3 * c.d + e] = e == 0 ? 0x7c00 : 0;
    k.values[3 * c.d + e] = e == 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
}

// A key whose scores are +-Inf (K row (+Inf, 0, ..., 0)): queries with q_0 > 0 put all
// their weight on it (O = its V row, lse = +Inf, as the reference's limit), queries with
// q_0 < 0 exclude it (its score is -Inf); no NaN.
TEST(AttentionForward, InfiniteScores) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  Case c{1, 8, 8, 16, false};
  const size_t n = size_t(c.seq_q) * c.d;
  Tensor q = random_tensor(r, c.dt, n, 1.0f), k = random_tensor(r, c.dt, n, 1.0f);
  const Tensor v = random_tensor(r, c.dt, n, 1.0f);
  make_infinite_scores(c, q, k);
  const FwdOut f = run_forward(g, c, q, k, v);
  const float scale = float(1.0 / std::sqrt(double(c.d)));
  const ref::AttnShape s = shape(c, scale);
  const ref::AttnFwd ref = ref::attention_forward(q.values, k.values, v.values, s);
  const ref::AttnFwd tol = ref::attention_forward_tolerance(
      q.values, k.values, v.values, s, model(c.dt, f.st.plan.block_k));
  EXPECT_EQ(count_outside_tol("O", f.o, ref.o, tol.o, "infinite scores"), 0u);
  EXPECT_EQ(count_outside_tol("lse", f.lse, ref.lse, tol.lse, "infinite scores"), 0u);
  for (uint32_t i = 0; i < c.seq_q; ++i) {
    EXPECT_EQ(f.lse[i] == std::numeric_limits<float>::infinity(), i < 4) << "row " << i;
    for (uint32_t e = 0; e < c.d; ++e) {
      EXPECT_FALSE(std::isnan(f.o[i * c.d + e])) << "row " << i;
      if (i < 4) {
        EXPECT_EQ(f.o[i * c.d + e], float(v.values[3 * c.d + e])) << "row " << i;
      }
    }
  }
}

// Forward (O in dtype, as training keeps it) then backward (raw FP32 gradients).
struct BwdOut {
  std::vector<double> o, lse;
  std::vector<float> dq, dk, dv;
  AttentionStats st;
};

BwdOut run_backward(Rig& g, const Case& c, const Tensor& q, const Tensor& k, const Tensor& v,
                    const Tensor& dout) {
  const size_t nq = size_t(c.heads) * c.seq_q * c.d, nk = size_t(c.heads) * c.seq_k * c.d;
  const size_t nl = size_t(c.heads) * c.seq_q;
  AttentionArgs a;
  a.heads = c.heads;
  a.seq_q = c.seq_q;
  a.seq_k = c.seq_k;
  a.head_dim = c.d;
  a.dtype = c.dt;
  a.out = c.dt == isa::Dtype::kBf16 ? isa::StoreFormat::kBf16 : isa::StoreFormat::kFp16;
  a.causal = c.causal;
  a.block_q = c.block_q;
  a.block_k = c.block_k;
  a.q = g.rt.alloc(nq * 2);
  a.k = g.rt.alloc(nk * 2);
  a.v = g.rt.alloc(nk * 2);
  a.o = g.rt.alloc(nq * 2);
  a.lse = g.rt.alloc(nl * 4);
  a.d_o = g.rt.alloc(nq * 2);
  a.dq = g.rt.alloc(nq * 4);
  a.dk = g.rt.alloc(nk * 4);
  a.dv = g.rt.alloc(nk * 4);
  g.rt.write(a.q, q.codes.data(), nq * 2);
  g.rt.write(a.k, k.codes.data(), nk * 2);
  g.rt.write(a.v, v.codes.data(), nk * 2);
  g.rt.write(a.d_o, dout.codes.data(), nq * 2);
  g.rt.attention_forward(a);
  a.out = isa::StoreFormat::kRaw;
  BwdOut out;
  out.st = g.rt.attention_backward(a);
  std::vector<uint16_t> oc(nq);
  std::vector<float> lse(nl);
  out.dq.resize(nq);
  out.dk.resize(nk);
  out.dv.resize(nk);
  g.rt.read(a.o, oc.data(), nq * 2);
  g.rt.read(*a.lse, lse.data(), nl * 4);
  g.rt.read(a.dq, out.dq.data(), nq * 4);
  g.rt.read(a.dk, out.dk.data(), nk * 4);
  g.rt.read(a.dv, out.dv.data(), nk * 4);
  for (const Buffer& b : {a.q, a.k, a.v, a.o, *a.lse, a.d_o, a.dq, a.dk, a.dv}) g.rt.free(b);
  out.o.resize(nq);
  out.lse.resize(nl);
  for (size_t i = 0; i < nq; ++i) out.o[i] = widen(c.dt, oc[i]);
  for (size_t i = 0; i < nl; ++i) out.lse[i] = lse[i];
  return out;
}

// The backward is checked against the reference's backward from the same O, dO and lse.
void check_backward(Rig& g, const Case& c, std::mt19937_64& r) {
  const size_t nq = size_t(c.heads) * c.seq_q * c.d, nk = size_t(c.heads) * c.seq_k * c.d;
  const Tensor q = random_tensor(r, c.dt, nq, c.spread), k = random_tensor(r, c.dt, nk, c.spread),
               v = random_tensor(r, c.dt, nk, 1.0f), dout = random_tensor(r, c.dt, nq, 1.0f);
  const BwdOut b = run_backward(g, c, q, k, v, dout);
  const std::vector<double>&o = b.o, &lsed = b.lse;
  const std::vector<float>&dq = b.dq, &dk = b.dk, &dv = b.dv;
  const AttentionStats& st = b.st;
  const float scale = float(1.0 / std::sqrt(double(c.d)));
  const ref::AttnShape s = shape(c, scale);
  const ref::AttnBwd ref =
      ref::attention_backward(q.values, k.values, v.values, o, dout.values, lsed, s);
  const ref::AttnBwd tol = ref::attention_backward_tolerance(
      q.values, k.values, v.values, o, dout.values, lsed, s, model(c.dt, st.plan.block_k));
  const std::string ctx = name(c) + " backward (" + st.plan.describe() + ")";
  EXPECT_EQ(count_outside_tol("dQ", dq, ref.dq, tol.dq, ctx), 0u) << ctx;
  EXPECT_EQ(count_outside_tol("dK", dk, ref.dk, tol.dk, ctx), 0u) << ctx;
  EXPECT_EQ(count_outside_tol("dV", dv, ref.dv, tol.dv, ctx), 0u) << ctx;
  const uint32_t allowed = uint32_t(golden::kFlagNx) | uint32_t(golden::kFlagUf);
  EXPECT_EQ(st.run.flags & ~allowed, 0u) << ctx << ": FLAGS " << st.run.flags;
}

// Rows 0-3 see a +Inf score (key 3 holds +Inf, their q_0 = +1): lse = +Inf, so the
// backward recomputes P = e^(S - Inf) = 0 for them and they contribute nothing (defined
// behaviour, docs/attention.md). Rows 4-7 see -Inf for key 3: it is excluded. So dK and
// dV have no NaN and are 0 for key 3; dQ = dS K forms dS_i3 * K_3 = 0 * Inf = NaN in
// column 0 of every row (IEEE, as the FP64 reference), its other columns are 0 for rows
// 0-3; the rest equals the reference's backward of the problem without rows 0-3 and key 3.
TEST(AttentionBackward, InfiniteScores) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  const Case c{1, 8, 8, 16, false};
  const size_t n = size_t(c.seq_q) * c.d;
  Tensor q = random_tensor(r, c.dt, n, 1.0f), k = random_tensor(r, c.dt, n, 1.0f);
  const Tensor v = random_tensor(r, c.dt, n, 1.0f), dout = random_tensor(r, c.dt, n, 1.0f);
  make_infinite_scores(c, q, k);
  const BwdOut b = run_backward(g, c, q, k, v, dout);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(std::isnan(b.dq[i]), i % c.d == 0) << "dQ row " << i / c.d << " column " << i % c.d;
    ASSERT_FALSE(std::isnan(b.dk[i]) || std::isnan(b.dv[i])) << "dK or dV element " << i;
  }
  for (uint32_t e = 0; e < c.d; ++e) {
    for (uint32_t i = 0; i < 4 && e > 0; ++i) EXPECT_EQ(b.dq[i * c.d + e], 0.0f) << "dQ row " << i;
    EXPECT_EQ(b.dk[3 * c.d + e], 0.0f) << "dK row 3";
    EXPECT_EQ(b.dv[3 * c.d + e], 0.0f) << "dV row 3";
  }
  // The reduced problem: queries 4-7, keys 0-2 and 4-7.
  const Case rc{1, 4, 7, c.d, false};
  auto rows = [&](const std::vector<double>& x, std::initializer_list<uint32_t> keep) {
    std::vector<double> y;
    for (uint32_t i : keep) y.insert(y.end(), x.begin() + i * c.d, x.begin() + (i + 1) * c.d);
    return y;
  };
  const std::initializer_list<uint32_t> qs = {4, 5, 6, 7}, ks = {0, 1, 2, 4, 5, 6, 7};
  const std::vector<double> q2 = rows(q.values, qs), k2 = rows(k.values, ks),
                            v2 = rows(v.values, ks), o2 = rows(b.o, qs),
                            do2 = rows(dout.values, qs);
  const std::vector<double> lse2(b.lse.begin() + 4, b.lse.end());
  const ref::AttnShape s = shape(rc, float(1.0 / std::sqrt(double(c.d))));
  const ref::AttnBwd ref = ref::attention_backward(q2, k2, v2, o2, do2, lse2, s);
  const ref::AttnBwd tol = ref::attention_backward_tolerance(q2, k2, v2, o2, do2, lse2, s,
                                                             model(c.dt, b.st.plan.block_k));
  std::vector<float> dq2, dk2, dv2;
  std::vector<double> dq_ref, dq_tol;  // dQ without column 0
  for (uint32_t i = 0; i < 4; ++i) {
    for (uint32_t e = 1; e < c.d; ++e) {
      dq2.push_back(b.dq[(4 + i) * c.d + e]);
      dq_ref.push_back(ref.dq[i * c.d + e]);
      dq_tol.push_back(tol.dq[i * c.d + e]);
    }
  }
  for (uint32_t j : ks) {
    dk2.insert(dk2.end(), b.dk.begin() + j * c.d, b.dk.begin() + (j + 1) * c.d);
    dv2.insert(dv2.end(), b.dv.begin() + j * c.d, b.dv.begin() + (j + 1) * c.d);
  }
  EXPECT_EQ(count_outside_tol("dQ", dq2, dq_ref, dq_tol, "infinite scores"), 0u);
  EXPECT_EQ(count_outside_tol("dK", dk2, ref.dk, tol.dk, "infinite scores"), 0u);
  EXPECT_EQ(count_outside_tol("dV", dv2, ref.dv, tol.dv, "infinite scores"), 0u);
}

TEST(AttentionBackward, ShapesMatchReferenceTiny) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  for (uint32_t seq : {1u, 7u, 64u}) {
    for (uint32_t d : {16u, 64u}) {
      for (bool causal : {false, true}) check_backward(g, {2, seq, seq, d, causal}, r);
    }
  }
}

TEST(AttentionBackward, ShapesMatchReferenceDefault) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  for (uint32_t seq : {1u, 7u, 64u, 257u}) {
    for (uint32_t d : {16u, 64u}) {
      for (bool causal : {false, true}) check_backward(g, {2, seq, seq, d, causal}, r);
    }
  }
}

TEST(AttentionBackward, Bf16UnequalLengthsAndBlocks) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  check_backward(g, {3, 33, 70, 16, false, isa::Dtype::kBf16}, r);
  check_backward(g, {1, 70, 33, 64, true, isa::Dtype::kBf16}, r);
  check_backward(g, {1, 20, 50, 16, true}, r);  // causal, keys 20..49 seen by no query
  Case c{1, 100, 100, 16, true};
  c.block_q = 16;
  c.block_k = 32;
  check_backward(g, c, r);
  c.block_q = 48;
  c.block_k = 16;
  check_backward(g, c, r);
}

AttentionArgs valid_args(Runtime& rt, uint32_t heads, uint32_t seq, uint32_t d) {
  AttentionArgs a;
  a.heads = heads;
  a.seq_q = a.seq_k = seq;
  a.head_dim = d;
  const size_t n = size_t(heads) * seq * d * 2;
  a.q = rt.alloc(n);
  a.k = rt.alloc(n);
  a.v = rt.alloc(n);
  a.o = rt.alloc(n);
  a.d_o = rt.alloc(n);
  a.dq = rt.alloc(n);
  a.dk = rt.alloc(n);
  a.dv = rt.alloc(n);
  a.lse = rt.alloc(size_t(heads) * seq * 4);
  return a;
}

void expect_refused(const std::function<void()>& f, const std::string& text) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing \"" << text << "\"";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(AttentionForward, Refusals) {
  Rig g(find_config("tiny"));
  const AttentionArgs ok = valid_args(g.rt, 2, 8, 16);
  auto fwd = [&](AttentionArgs a) { return [&g, a] { g.rt.attention_forward(a); }; };
  AttentionArgs a = ok;
  a.seq_q = 0;
  expect_refused(fwd(a), "attention_forward: heads, seq_q, seq_k and head_dim must be at least 1");
  a = ok;
  a.dtype = isa::Dtype::kInt8;
  expect_refused(fwd(a), "dtype must be FP16 or BF16");
  a = ok;
  a.out = isa::StoreFormat::kInt8;
  expect_refused(fwd(a), "output format");
  a = ok;
  a.q.size = 10;
  expect_refused(fwd(a), "buffer q is smaller");
  a = ok;
  a.o = a.k;
  expect_refused(fwd(a), "output o overlaps input k");
  a = ok;
  a.lse = Buffer{a.o.addr + 4, 64};
  expect_refused(fwd(a), "outputs o and lse overlap");
  a = ok;
  a.scale = std::numeric_limits<float>::infinity();
  expect_refused(fwd(a), "scale must be finite");
  a = ok;
  a.seq_k = a.seq_q = 40000;
  expect_refused(fwd(a), "below 32768");
  // tiny's accumulator half (128 rows) cannot hold one query row of O for head_dim 512.
  const AttentionArgs wide = valid_args(g.rt, 1, 8, 512);
  expect_refused(fwd(wide), "no block sizes fit this device for head_dim 512");
  AttentionArgs b = ok;
  b.lse.reset();
  expect_refused([&] { g.rt.attention_backward(b); }, "attention_backward: lse (the forward pass's) is required");
  b = ok;
  b.dk = b.q;
  expect_refused([&] { g.rt.attention_backward(b); }, "output dk overlaps input q");
  b = ok;
  b.dv = b.dq;
  expect_refused([&] { g.rt.attention_backward(b); }, "outputs dq and dv overlap");
  ChipConfig novec = find_config("tiny");
  novec.vec = false;
  Rig n(novec);
  const AttentionArgs nok = valid_args(n.rt, 1, 8, 16);
  expect_refused([&] { n.rt.attention_forward(nok); }, "no vector unit");
}

}  // namespace
}  // namespace tessera::test
