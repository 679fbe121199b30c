// SPDX-License-Identifier: Apache-2.0
// Runtime vector kernels of the transformer block's other layers on the functional model:
// GELU and its backward, residual add, layer norm backward and softmax cross-entropy with
// its backward, against the FP64 references of tessera/reference/vec.hpp within their
// proven FP32 tolerances; shapes across accumulator blocks, the defined extremes, FLAGS,
// the 16-bit outputs and the refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tessera/func_device.hpp"
#include "tessera/reference/vec.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"
#include "vec_check.hpp"

namespace tessera::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr uint32_t kNv = uint32_t(golden::kFlagNv), kDz = uint32_t(golden::kFlagDz);

Buffer put(Runtime& rt, const std::vector<float>& v) {
  const Buffer b = rt.alloc(std::max<size_t>(v.size() * 4, 4));
  rt.write(b, v.data(), v.size() * 4);
  return b;
}

std::vector<float> get(Runtime& rt, const Buffer& b, size_t n) {
  std::vector<float> v(n);
  rt.read(b, v.data(), n * 4);
  return v;
}

std::vector<uint16_t> get16(Runtime& rt, const Buffer& b, size_t n) {
  std::vector<uint16_t> v(n);
  rt.read(b, v.data(), n * 2);
  return v;
}

std::vector<double> dbl(const std::vector<float>& v) { return {v.begin(), v.end()}; }

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

std::string ctx(const char* cfg, uint32_t rows, uint32_t cols) {
  return std::string(cfg) + " " + std::to_string(rows) + "x" + std::to_string(cols);
}

// The shapes of the random tests on tiny and default: rows 1, 7, 64, 257; cols 1, 16,
// 64, Dim + 1, 100.
template <typename F>
void for_shapes(F f) {
  for (const char* cfg : {"tiny", "default"}) {
    VecRig g(find_config(cfg));
    const uint32_t D = g.dev.config().dim;
    for (uint32_t cols : {1u, 16u, 64u, D + 1, 100u}) {
      for (uint32_t rows : {1u, 7u, 64u, 257u}) f(g, cfg, rows, cols);
    }
  }
}

// x: mostly N(0, 3), some uniform over [-25, 25] (past the clamp and exp's overflow).
std::vector<float> gelu_inputs(std::mt19937_64& r, size_t n) {
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::uniform_real_distribution<float> ud(-25.0f, 25.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = (r() % 4) ? nd(r) : ud(r);
  return x;
}

// ---------------------------------------------------------------------------------------
// GELU

struct EwRun {
  std::vector<float> y;
  RunStats st;
};

EwRun run_gelu(Runtime& rt, uint32_t rows, uint32_t cols, const std::vector<float>& x) {
  const Buffer bx = put(rt, x), by = rt.alloc(x.size() * 4);
  GeluArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.y = by;
  EwRun out;
  out.st = rt.gelu(a);
  out.y = get(rt, by, x.size());
  rt.free(bx);
  rt.free(by);
  return out;
}

EwRun run_gelu_backward(Runtime& rt, uint32_t rows, uint32_t cols, const std::vector<float>& x,
                        const std::vector<float>& dy) {
  const Buffer bx = put(rt, x), bdy = put(rt, dy), bdx = rt.alloc(x.size() * 4);
  GeluBackwardArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.dy = bdy;
  a.dx = bdx;
  EwRun out;
  out.st = rt.gelu_backward(a);
  out.y = get(rt, bdx, x.size());
  for (const Buffer& b : {bx, bdy, bdx}) rt.free(b);
  return out;
}

size_t check_gelu(const std::vector<float>& x, const std::vector<float>& y, const std::string& c) {
  const std::vector<double> xd = dbl(x);
  return count_outside_tol("y", y, ref::gelu_tanh_forward(xd),
                           ref::gelu_tanh_forward_tolerance(xd, ref::FpModel::fp32(),
                                                            ref::GeluForm::kExpRecip),
                           c);
}

size_t check_gelu_backward(const std::vector<float>& x, const std::vector<float>& dy,
                           const std::vector<float>& dx, const std::string& c) {
  const std::vector<double> xd = dbl(x), dyd = dbl(dy);
  return count_outside_tol("dx", dx, ref::gelu_tanh_backward(xd, dyd),
                           ref::gelu_tanh_backward_tolerance(xd, dyd, ref::FpModel::fp32(),
                                                             ref::GeluForm::kExpRecip),
                           c);
}

TEST(NnGelu, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for_shapes([&](VecRig& g, const char* cfg, uint32_t rows, uint32_t cols) {
    const std::vector<float> x = gelu_inputs(r, size_t(rows) * cols);
    const EwRun y = run_gelu(g.rt, rows, cols, x);
    EXPECT_EQ(check_gelu(x, y.y, ctx(cfg, rows, cols)), 0u);
    EXPECT_EQ(y.st.flags & (kNv | kDz), 0u) << ctx(cfg, rows, cols) << " FLAGS " << y.st.flags;
  });
}

TEST(NnGelu, Extremes) {
  VecRig g(find_config("tiny"));
  const float fmax = std::numeric_limits<float>::max();
  const std::vector<float> x = {kInf,   -kInf,  kNaN,   1e4f,   -1e4f,  1e30f, -1e30f,
                                fmax,   -fmax,  -11.0f, -11.7f, -12.0f, -20.0f, -20.5f,
                                20.5f,  0.0f,   -0.0f,  1e-40f, -1e-40f, 5.0f,  -0.75f};
  const EwRun y = run_gelu(g.rt, 3, 7, x);
  EXPECT_EQ(check_gelu(x, y.y, "extremes"), 0u);
  EXPECT_EQ(y.y[0], kInf);
  EXPECT_EQ(bits(y.y[1]), 0x80000000u) << "y(-Inf) must be -0, got " << y.y[1];
  EXPECT_TRUE(std::isnan(y.y[2]));
  for (size_t i = 3; i < x.size(); ++i) EXPECT_FALSE(std::isnan(y.y[i])) << "x = " << x[i];
  EXPECT_EQ(y.y[3], 1e4f);
  EXPECT_EQ(y.y[7], fmax);
  // Only the NaN input is invalid; exp overflows (OF) for x below about -10.1.
  EXPECT_EQ(y.st.flags & (kNv | kDz), 0u) << "FLAGS " << y.st.flags;
  EXPECT_NE(y.st.flags & uint32_t(golden::kFlagOf), 0u) << "FLAGS " << y.st.flags;
}

TEST(NnGeluBackward, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for_shapes([&](VecRig& g, const char* cfg, uint32_t rows, uint32_t cols) {
    const std::vector<float> x = gelu_inputs(r, size_t(rows) * cols);
    std::vector<float> dy(x.size());
    for (auto& v : dy) v = nd(r);
    const EwRun dx = run_gelu_backward(g.rt, rows, cols, x, dy);
    EXPECT_EQ(check_gelu_backward(x, dy, dx.y, ctx(cfg, rows, cols)), 0u);
    EXPECT_EQ(dx.st.flags & (kNv | kDz), 0u) << ctx(cfg, rows, cols) << " FLAGS " << dx.st.flags;
  });
}

TEST(NnGeluBackward, Extremes) {
  VecRig g(find_config("tiny"));
  const float fmax = std::numeric_limits<float>::max();
  const std::vector<float> x = {kInf,   -kInf,  kNaN,   1e4f,   -1e4f,  1e30f, -1e30f,
                                fmax,   -fmax,  -11.0f, -11.7f, -12.0f, -20.0f, -20.5f,
                                20.5f,  0.0f,   -0.0f,  1e-40f, -1e-40f, 5.0f,  -0.75f,
                                1.0f,   -1.0f,  0.5f};
  std::vector<float> dy(x.size(), 1.5f);
  dy[21] = 1e4f;
  dy[22] = -1e30f;
  dy[23] = kNaN;
  const EwRun dx = run_gelu_backward(g.rt, 4, 6, x, dy);
  EXPECT_EQ(check_gelu_backward(x, dy, dx.y, "extremes"), 0u);
  EXPECT_EQ(dx.y[0], 1.5f);  // dy * 1
  EXPECT_LE(std::fabs(dx.y[1]), 1e-30f);
  EXPECT_TRUE(std::isnan(dx.y[2]));
  EXPECT_TRUE(std::isnan(dx.y[23]));
  for (size_t i = 3; i < 23; ++i) EXPECT_FALSE(std::isnan(dx.y[i])) << "x = " << x[i];
  EXPECT_EQ(dx.st.flags & (kNv | kDz), 0u) << "FLAGS " << dx.st.flags;
}

// 16-bit outputs are the FP32 results rounded once (RNE), for GELU and its backward.
TEST(NnGelu, SixteenBitOutputs) {
  std::mt19937_64 r(seed());
  VecRig g(find_config("default"));
  const uint32_t rows = 5, cols = 37;
  const size_t n = size_t(rows) * cols;
  const std::vector<float> x = gelu_inputs(r, n), dy = gelu_inputs(r, n);
  const std::vector<float> y32 = run_gelu(g.rt, rows, cols, x).y;
  const std::vector<float> dx32 = run_gelu_backward(g.rt, rows, cols, x, dy).y;
  for (isa::StoreFormat f : {isa::StoreFormat::kFp16, isa::StoreFormat::kBf16}) {
    const golden::Fmt16 fmt =
        f == isa::StoreFormat::kFp16 ? golden::Fmt16::kFp16 : golden::Fmt16::kBf16;
    const Buffer bx = put(g.rt, x), bdy = put(g.rt, dy), by = g.rt.alloc(n * 2),
                 bdx = g.rt.alloc(n * 2);
    GeluArgs a;
    a.rows = rows;
    a.cols = cols;
    a.x = bx;
    a.y = by;
    a.out = f;
    g.rt.gelu(a);
    GeluBackwardArgs b;
    b.rows = rows;
    b.cols = cols;
    b.x = bx;
    b.dy = bdy;
    b.dx = bdx;
    b.out = f;
    g.rt.gelu_backward(b);
    const std::vector<uint16_t> y16 = get16(g.rt, by, n), dx16 = get16(g.rt, bdx, n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(y16[i], golden::fp_narrow(fmt, bits(y32[i])).bits) << i;
      EXPECT_EQ(dx16[i], golden::fp_narrow(fmt, bits(dx32[i])).bits) << i;
    }
    for (const Buffer& bb : {bx, bdy, by, bdx}) g.rt.free(bb);
  }
}

// In place: y = x, dx = dy.
TEST(NnGelu, InPlace) {
  std::mt19937_64 r(seed());
  VecRig g(find_config("tiny"));
  const uint32_t rows = 9, cols = 41;
  const std::vector<float> x = gelu_inputs(r, size_t(rows) * cols), dy = gelu_inputs(r, x.size());
  const std::vector<float> y = run_gelu(g.rt, rows, cols, x).y;
  const std::vector<float> dx = run_gelu_backward(g.rt, rows, cols, x, dy).y;
  const Buffer bx = put(g.rt, x), bdy = put(g.rt, dy);
  GeluBackwardArgs b;
  b.rows = rows;
  b.cols = cols;
  b.x = bx;
  b.dy = bdy;
  b.dx = bdy;
  g.rt.gelu_backward(b);
  GeluArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.y = bx;
  g.rt.gelu(a);
  EXPECT_EQ(get(g.rt, bx, x.size()), y);
  EXPECT_EQ(get(g.rt, bdy, x.size()), dx);
}

// ---------------------------------------------------------------------------------------
// Residual add: y = fl(x + r) exactly (one IEEE addition per element).

TEST(NnResidualAdd, MatchesIeeeAdd) {
  std::mt19937_64 r(seed());
  for_shapes([&](VecRig& g, const char* cfg, uint32_t rows, uint32_t cols) {
    const size_t n = size_t(rows) * cols;
    std::normal_distribution<float> nd(0.0f, 100.0f);
    std::vector<float> x(n), res(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = nd(r);
      res[i] = (r() % 3) ? nd(r) : -x[i];  // exact cancellations too
    }
    const Buffer bx = put(g.rt, x), br = put(g.rt, res), by = g.rt.alloc(n * 4);
    ResidualAddArgs a;
    a.rows = rows;
    a.cols = cols;
    a.x = bx;
    a.r = br;
    a.y = by;
    const RunStats st = g.rt.residual_add(a);
    const std::vector<float> y = get(g.rt, by, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) bad += bits(y[i]) != bits(x[i] + res[i]);
    EXPECT_EQ(bad, 0u) << ctx(cfg, rows, cols);
    EXPECT_EQ(st.flags & ~uint32_t(golden::kFlagNx), 0u) << "FLAGS " << st.flags;
    for (const Buffer& b : {bx, br, by}) g.rt.free(b);
  });
}

TEST(NnResidualAdd, ExtremesInPlaceAndSixteenBit) {
  VecRig g(find_config("tiny"));
  const float fmax = std::numeric_limits<float>::max();
  const std::vector<float> x = {kInf, kInf, kNaN, fmax, -fmax, 1e-45f, -0.0f, 1.0f, 3.0f};
  const std::vector<float> res = {1.0f, -kInf, 2.0f, fmax, -1e30f, -1e-45f, -0.0f, 0x1p-24f, 1.0f};
  const size_t n = x.size();
  const Buffer bx = put(g.rt, x), br = put(g.rt, res), b16 = g.rt.alloc(n * 2);
  ResidualAddArgs a;
  a.rows = 3;
  a.cols = 3;
  a.x = bx;
  a.r = br;
  a.y = b16;
  a.out = isa::StoreFormat::kBf16;
  g.rt.residual_add(a);
  const std::vector<uint16_t> y16 = get16(g.rt, b16, n);
  a.y = br;  // in place over r
  a.out = isa::StoreFormat::kRaw;
  const RunStats st = g.rt.residual_add(a);
  const std::vector<float> y = get(g.rt, br, n);
  for (size_t i = 0; i < n; ++i) {
    const float want = x[i] + res[i];
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(y[i])) << i;
    } else {
      EXPECT_EQ(bits(y[i]), bits(want)) << i;
    }
    EXPECT_EQ(y16[i], golden::fp_narrow(golden::Fmt16::kBf16, bits(y[i])).bits) << i;
  }
  EXPECT_EQ(y[3], kInf);                        // overflow
  EXPECT_EQ(bits(y[6]), 0x80000000u);           // -0 + -0
  EXPECT_NE(st.flags & kNv, 0u);                // Inf - Inf
  EXPECT_NE(st.flags & uint32_t(golden::kFlagOf), 0u);
  for (const Buffer& b : {bx, br, b16}) g.rt.free(b);
}

// ---------------------------------------------------------------------------------------
// Layer norm backward, from the mean and rstd that Runtime::layernorm saved.

struct LnBwd {
  std::vector<float> dx, dgamma, dbeta, mean, rstd;
  RunStats st;
};

LnBwd run_ln_backward(Runtime& rt, uint32_t rows, uint32_t cols, const std::vector<float>& x,
                      const std::vector<float>& gamma, const std::vector<float>& dy) {
  const std::vector<float> beta(cols, 0.25f);
  const Buffer bx = put(rt, x), bg = put(rt, gamma), bb = put(rt, beta), bdy = put(rt, dy);
  const Buffer by = rt.alloc(x.size() * 4), bm = rt.alloc(rows * 4), br = rt.alloc(rows * 4);
  const Buffer bdx = rt.alloc(x.size() * 4), bdg = rt.alloc(cols * 4), bdb = rt.alloc(cols * 4);
  LayerNormArgs f;
  f.rows = rows;
  f.cols = cols;
  f.x = bx;
  f.gamma = bg;
  f.beta = bb;
  f.y = by;
  f.mean = bm;
  f.rstd = br;
  rt.layernorm(f);
  LayerNormBackwardArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.gamma = bg;
  a.mean = bm;
  a.rstd = br;
  a.dy = bdy;
  a.dx = bdx;
  a.dgamma = bdg;
  a.dbeta = bdb;
  LnBwd out;
  out.st = rt.layernorm_backward(a);
  out.dx = get(rt, bdx, x.size());
  out.dgamma = get(rt, bdg, cols);
  out.dbeta = get(rt, bdb, cols);
  out.mean = get(rt, bm, rows);
  out.rstd = get(rt, br, rows);
  for (const Buffer& b : {bx, bg, bb, bdy, by, bm, br, bdx, bdg, bdb}) rt.free(b);
  return out;
}

size_t check_ln_backward(uint32_t rows, uint32_t cols, const std::vector<float>& x,
                         const std::vector<float>& gamma, const std::vector<float>& dy,
                         const LnBwd& got, const std::string& c) {
  const std::vector<double> xd = dbl(x), gd = dbl(gamma), dyd = dbl(dy), md = dbl(got.mean),
                            rd = dbl(got.rstd);
  const ref::MatIn xm = ref::mat(xd, rows, cols), dym = ref::mat(dyd, rows, cols);
  const ref::LayerNormBwd ref = ref::layernorm_backward(xm, gd, md, rd, dym);
  const ref::LayerNormBwd tol = ref::layernorm_backward_tolerance(xm, gd, md, rd, dym);
  return count_outside_tol("dx", got.dx, ref.dx, tol.dx, c) +
         count_outside_tol("dgamma", got.dgamma, ref.dgamma, tol.dgamma, c) +
         count_outside_tol("dbeta", got.dbeta, ref.dbeta, tol.dbeta, c);
}

TEST(NnLayerNormBackward, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for (const char* cfg : {"tiny", "default"}) {
    VecRig g(find_config(cfg));
    const uint32_t D = g.dev.config().dim, longest = g.rt.layernorm_backward_max_cols();
    for (uint32_t cols : {1u, 7u, 16u, D + 1, 64u, std::min(100u, longest), longest}) {
      for (uint32_t rows : {1u, 7u, 64u, 257u}) {
        std::normal_distribution<float> nd(0.5f, 3.0f);
        std::vector<float> x(size_t(rows) * cols), gamma(cols), dy(x.size());
        for (auto& v : x) v = nd(r);
        for (auto& v : gamma) v = nd(r);
        for (auto& v : dy) v = nd(r);
        const LnBwd got = run_ln_backward(g.rt, rows, cols, x, gamma, dy);
        EXPECT_EQ(check_ln_backward(rows, cols, x, gamma, dy, got, ctx(cfg, rows, cols)), 0u);
        EXPECT_EQ(got.st.flags & (kNv | kDz), 0u) << ctx(cfg, rows, cols);
      }
    }
  }
}

TEST(NnLayerNormBackward, Extremes) {
  VecRig g(find_config("tiny"));
  const uint32_t rows = 6, cols = 5;
  std::vector<float> x = {1e4f, -1e4f, 0, 1, 2,       // large inputs
                          3, 3, 3, 3, 3,              // constant row: xh = 0
                          0.1f, 0.2f, 0.3f, 0.4f, 0.5f,
                          -7, 8, -9, 10, 11,
                          1, 2, 3, 4, 5,
                          5, 4, 3, 2, 1};
  std::vector<float> dy = {1e4f, -1e4f, 1, 1, 1,
                           1, -2, 3, -4, 5,
                           0, 0, 0, 0, 0,
                           kNaN, 1, 2, 3, 4,          // NaN: this row's dx, column 0's sums
                           1e-30f, -1e-30f, 1, 2, 3,
                           -1, -1, -1, -1, -1};
  const std::vector<float> gamma = {1, -2, 0.5f, 0, 3};
  const LnBwd got = run_ln_backward(g.rt, rows, cols, x, gamma, dy);
  EXPECT_EQ(check_ln_backward(rows, cols, x, gamma, dy, got, "extremes"), 0u);
  for (uint32_t c = 0; c < cols; ++c) {
    EXPECT_TRUE(std::isnan(got.dx[3 * cols + c])) << c;
    EXPECT_FALSE(std::isnan(got.dx[2 * cols + c])) << c;
    EXPECT_EQ(std::isnan(got.dgamma[c]), c == 0) << c;
    EXPECT_EQ(std::isnan(got.dbeta[c]), c == 0) << c;
  }
}

// dx in FP16 and BF16 is the FP32 dx rounded once; dx may be dy itself. Many blocks on tiny.
TEST(NnLayerNormBackward, SixteenBitInPlaceAndManyBlocks) {
  std::mt19937_64 r(seed());
  VecRig g(find_config("tiny"));
  const uint32_t rows = 70, cols = 21;
  std::normal_distribution<float> nd(0.0f, 2.0f);
  std::vector<float> x(size_t(rows) * cols), gamma(cols), dy(x.size());
  for (auto& v : x) v = nd(r);
  for (auto& v : gamma) v = nd(r);
  for (auto& v : dy) v = nd(r);
  const LnBwd ref32 = run_ln_backward(g.rt, rows, cols, x, gamma, dy);
  EXPECT_EQ(check_ln_backward(rows, cols, x, gamma, dy, ref32, "70x21"), 0u);
  const Buffer bx = put(g.rt, x), bg = put(g.rt, gamma), bm = put(g.rt, ref32.mean),
               br = put(g.rt, ref32.rstd), bdy = put(g.rt, dy), b16 = g.rt.alloc(x.size() * 2),
               bdg = g.rt.alloc(cols * 4), bdb = g.rt.alloc(cols * 4);
  LayerNormBackwardArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.gamma = bg;
  a.mean = bm;
  a.rstd = br;
  a.dy = bdy;
  a.dx = b16;
  a.dgamma = bdg;
  a.dbeta = bdb;
  for (isa::StoreFormat f : {isa::StoreFormat::kFp16, isa::StoreFormat::kBf16}) {
    const golden::Fmt16 fmt =
        f == isa::StoreFormat::kFp16 ? golden::Fmt16::kFp16 : golden::Fmt16::kBf16;
    a.out = f;
    g.rt.layernorm_backward(a);
    const std::vector<uint16_t> d16 = get16(g.rt, b16, x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(d16[i], golden::fp_narrow(fmt, bits(ref32.dx[i])).bits) << i;
    }
  }
  a.out = isa::StoreFormat::kRaw;
  a.dx = bdy;
  g.rt.layernorm_backward(a);
  EXPECT_EQ(get(g.rt, bdy, x.size()), ref32.dx);
  EXPECT_EQ(get(g.rt, bdg, cols), ref32.dgamma);
  EXPECT_EQ(get(g.rt, bdb, cols), ref32.dbeta);
  for (const Buffer& b : {bx, bg, bm, br, bdy, b16, bdg, bdb}) g.rt.free(b);
}

// ---------------------------------------------------------------------------------------
// Softmax cross-entropy.

std::vector<int64_t> random_labels(std::mt19937_64& r, uint32_t rows, uint32_t cols) {
  std::vector<int64_t> l(rows);
  for (auto& v : l) v = (r() % 8 == 0) ? -100 : int64_t(r() % cols);
  return l;
}

CrossEntropyArgs ce_args(uint32_t rows, uint32_t cols, const Buffer& z,
                         const std::vector<int64_t>& labels) {
  CrossEntropyArgs a;
  a.rows = rows;
  a.cols = cols;
  a.logits = z;
  a.labels = labels;
  return a;
}

size_t check_ce(uint32_t rows, uint32_t cols, const std::vector<float>& z,
                const std::vector<int64_t>& labels, const CrossEntropyResult& got,
                const std::string& c) {
  const std::vector<double> zd = dbl(z);
  const ref::MatIn zm = ref::mat(zd, rows, cols);
  const ref::CrossEntropyFwd ref = ref::softmax_cross_entropy_forward(zm, labels);
  const ref::CrossEntropyTol tol = ref::softmax_cross_entropy_forward_tolerance(zm, labels);
  EXPECT_EQ(got.count, ref.count) << c;
  return count_outside_tol("loss", got.loss, ref.loss, tol.loss, c) +
         count_outside_tol("mean", {got.mean}, {ref.mean}, {tol.mean}, c);
}

size_t check_ce_backward(uint32_t rows, uint32_t cols, const std::vector<float>& z,
                         const std::vector<int64_t>& labels, float dloss,
                         const std::vector<float>& got, const std::string& c) {
  const std::vector<double> zd = dbl(z);
  const ref::MatIn zm = ref::mat(zd, rows, cols);
  return count_outside_tol(
      "dlogits", got, ref::softmax_cross_entropy_backward(zm, labels, -100, dloss),
      ref::softmax_cross_entropy_backward_tolerance(zm, labels, -100, dloss), c);
}

struct CeRun {
  CrossEntropyResult fwd;
  std::vector<float> dlogits;
  RunStats bwd;
};

CeRun run_ce(Runtime& rt, uint32_t rows, uint32_t cols, const std::vector<float>& z,
             const std::vector<int64_t>& labels, float dloss) {
  const Buffer bz = put(rt, z), bd = rt.alloc(z.size() * 4);
  CrossEntropyArgs a = ce_args(rows, cols, bz, labels);
  a.dloss = dloss;
  a.dlogits = bd;
  CeRun out;
  out.fwd = rt.softmax_cross_entropy(a);
  out.bwd = rt.softmax_cross_entropy_backward(a);
  out.dlogits = get(rt, bd, z.size());
  rt.free(bz);
  rt.free(bd);
  return out;
}

TEST(NnCrossEntropy, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for_shapes([&](VecRig& g, const char* cfg, uint32_t rows, uint32_t cols) {
    std::normal_distribution<float> nd(0.0f, 4.0f);
    std::vector<float> z(size_t(rows) * cols);
    for (auto& v : z) v = nd(r);
    const std::vector<int64_t> labels = random_labels(r, rows, cols);
    const float dloss = (r() % 2) ? 1.0f : 0.37f;
    const CeRun got = run_ce(g.rt, rows, cols, z, labels, dloss);
    EXPECT_EQ(check_ce(rows, cols, z, labels, got.fwd, ctx(cfg, rows, cols)), 0u);
    EXPECT_EQ(check_ce_backward(rows, cols, z, labels, dloss, got.dlogits, ctx(cfg, rows, cols)),
              0u);
    const uint32_t allowed = uint32_t(golden::kFlagNx) | uint32_t(golden::kFlagUf);
    EXPECT_EQ(got.fwd.stats.flags & ~allowed, 0u) << ctx(cfg, rows, cols);
    EXPECT_EQ(got.bwd.flags & ~allowed, 0u) << ctx(cfg, rows, cols);
  });
}

// Several accumulator blocks on tiny with the longest row it takes.
TEST(NnCrossEntropy, LongestRows) {
  std::mt19937_64 r(seed());
  VecRig g(find_config("tiny"));
  const uint32_t cols = g.rt.cross_entropy_max_cols(), rows = 9;
  std::normal_distribution<float> nd(0.0f, 4.0f);
  std::vector<float> z(size_t(rows) * cols);
  for (auto& v : z) v = nd(r);
  std::vector<int64_t> labels = random_labels(r, rows, cols);
  labels[0] = cols - 1;  // the last, partial column block
  const CeRun got = run_ce(g.rt, rows, cols, z, labels, 1.0f);
  EXPECT_EQ(check_ce(rows, cols, z, labels, got.fwd, "longest"), 0u);
  EXPECT_EQ(check_ce_backward(rows, cols, z, labels, 1.0f, got.dlogits, "longest"), 0u);
}

// The extremes, one batch each so that the mean of one does not hide another's; three
// or four counted rows (dloss / count inexact or exact).
TEST(NnCrossEntropy, Extremes) {
  VecRig g(find_config("tiny"));
  const uint32_t cols = 6;
  struct Batch {
    const char* what;
    std::vector<float> z;
    std::vector<int64_t> labels;
  };
  const std::vector<Batch> batches = {
      {"huge logits",
       {1e4f, -1e4f, 0, 1, 2, 3,  1e4f, -1e4f, 0, 1, 2, 3,
        -1e4f, -1e4f, -1e4f, -1e4f, -1e4f, -1e4f,  1e30f, -1e30f, 0, 0, 0, 0},
       {0, 1, 3, 2}},
      {"+Inf logits",
       {kInf, 0, kInf, 1, 2, 3,  kInf, 0, kInf, 1, 2, 3,  kInf, 0, 1, 2, 3, 4,  1, 2, 3, 4, 5, 6},
       {0, 1, 0, 5}},
      {"three +Inf, count 3",
       {kInf, 0, kInf, 1, kInf, 3,  kInf, kInf, kInf, 1, 2, 3,  1, -kInf, 3, -kInf, 5, 6},
       {2, 4, 0}},
      {"-Inf beside finite",
       {-kInf, 0, 1, 2, 3, 4,  1, -kInf, 2, -kInf, 3, -kInf,  1, 2, 3, 4, 5, -kInf},
       {1, 4, 3}},
      {"-Inf label",
       {-kInf, 0, 1, 2, 3, 4,  -kInf, -kInf, -kInf, -kInf, -kInf, -kInf,  1, 2, 3, 4, 5, 6,
        0, 0, 0, 0, 0, 0},
       {0, 3, 2, 1}},
      {"NaN row",
       {1, 2, kNaN, 4, 5, 6,  1, 2, 3, 4, 5, 6,  kNaN, kNaN, 0, 0, 0, 0,  1, 1, 1, 1, 1, 1},
       {0, 1, -100, 2}},
      {"ignored NaN row",
       {1, 2, kNaN, 4, 5, 6,  1, 2, 3, 4, 5, 6,  0, 0, 0, 0, 0, 0,  1, 1, 1, 1, 1, 1,
        -3, 2, 7, 1, 0, 0},
       {-100, 1, 5, 2, 4}},
      {"all ignored",
       {1, 2, kNaN, 4, 5, 6,  kInf, 2, 3, 4, 5, 6}, {-100, -100}},
  };
  for (const Batch& b : batches) {
    const uint32_t rows = uint32_t(b.labels.size());
    const CeRun got = run_ce(g.rt, rows, cols, b.z, b.labels, 1.0f);
    EXPECT_EQ(check_ce(rows, cols, b.z, b.labels, got.fwd, b.what), 0u);
    EXPECT_EQ(check_ce_backward(rows, cols, b.z, b.labels, 1.0f, got.dlogits, b.what), 0u);
    for (uint32_t i = 0; i < rows; ++i) {
      for (uint32_t c = 0; c < cols; ++c) {
        const float d = got.dlogits[size_t(i) * cols + c];
        if (b.labels[i] == -100) {
          EXPECT_EQ(bits(d), 0u) << b.what << " ignored row " << i;
        }
      }
    }
  }
  // Spot checks of the defined values.
  const CeRun inf = run_ce(g.rt, 4, cols, batches[1].z, batches[1].labels, 1.0f);
  EXPECT_EQ(inf.fwd.loss[0], float(std::log(2.0)));  // one of two +Inf entries
  EXPECT_EQ(inf.fwd.loss[1], kInf);                  // a finite logit beside +Inf
  EXPECT_EQ(inf.fwd.loss[2], 0.0f);                  // the only +Inf entry
  EXPECT_EQ(inf.fwd.mean, kInf);
  EXPECT_EQ(inf.dlogits[0], -0.125f);                // (1/2 - 1) / 4
  EXPECT_EQ(inf.dlogits[2], 0.125f);                 // 1/2 / 4
  const CeRun nan = run_ce(g.rt, 4, cols, batches[5].z, batches[5].labels, 1.0f);
  EXPECT_TRUE(std::isnan(nan.fwd.mean));
  EXPECT_FALSE(std::isnan(nan.fwd.loss[1]));
  EXPECT_EQ(nan.fwd.loss[2], 0.0f);
  const CeRun none = run_ce(g.rt, 2, cols, batches[7].z, batches[7].labels, 1.0f);
  EXPECT_EQ(none.fwd.count, 0u);
  EXPECT_EQ(none.fwd.mean, 0.0f);
  const CeRun ninf = run_ce(g.rt, 4, cols, batches[4].z, batches[4].labels, 1.0f);
  EXPECT_EQ(ninf.fwd.loss[0], kInf);
  EXPECT_EQ(ninf.fwd.loss[1], kInf);
}

TEST(NnCrossEntropy, SixteenBitAndInPlaceBackward) {
  std::mt19937_64 r(seed());
  VecRig g(find_config("default"));
  const uint32_t rows = 11, cols = 50;
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> z(size_t(rows) * cols);
  for (auto& v : z) v = nd(r);
  const std::vector<int64_t> labels = random_labels(r, rows, cols);
  const std::vector<float> d32 = run_ce(g.rt, rows, cols, z, labels, 1.0f).dlogits;
  const Buffer bz = put(g.rt, z), b16 = g.rt.alloc(z.size() * 2);
  CrossEntropyArgs a = ce_args(rows, cols, bz, labels);
  a.dlogits = b16;
  a.out = isa::StoreFormat::kFp16;
  g.rt.softmax_cross_entropy_backward(a);
  const std::vector<uint16_t> d16 = get16(g.rt, b16, z.size());
  for (size_t i = 0; i < z.size(); ++i) {
    EXPECT_EQ(d16[i], golden::fp_narrow(golden::Fmt16::kFp16, bits(d32[i])).bits) << i;
  }
  a.dlogits = bz;
  a.out = isa::StoreFormat::kRaw;
  g.rt.softmax_cross_entropy_backward(a);
  EXPECT_EQ(get(g.rt, bz, z.size()), d32);
}

// ---------------------------------------------------------------------------------------
// Refusals: std::invalid_argument naming the op, before anything reaches the chip.

template <typename F>
void refuses(F f, const char* op, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << op << " accepted: " << what;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(std::string(op) + ":"), std::string::npos) << e.what();
  }
}

TEST(NnKernels, Refusals) {
  VecRig g(find_config("tiny"));
  Runtime& rt = g.rt;
  const Buffer b = rt.alloc(1 << 16), c = rt.alloc(1 << 16), d = rt.alloc(1 << 16),
               e = rt.alloc(1 << 16);
  GeluArgs ga;
  ga.rows = 4;
  ga.cols = 8;
  ga.x = b;
  ga.y = c;
  refuses([&] { auto a = ga; a.rows = 0; rt.gelu(a); }, "gelu", "rows = 0");
  refuses([&] { auto a = ga; a.cols = 0; rt.gelu(a); }, "gelu", "cols = 0");
  refuses([&] { auto a = ga; a.x.size = 16; rt.gelu(a); }, "gelu", "short x");
  refuses([&] { auto a = ga; a.y.addr = b.addr + 4; rt.gelu(a); }, "gelu", "overlap");
  refuses([&] { auto a = ga; a.out = isa::StoreFormat::kInt8; rt.gelu(a); }, "gelu", "int8");
  GeluBackwardArgs gb;
  gb.rows = 4;
  gb.cols = 8;
  gb.x = b;
  gb.dy = c;
  gb.dx = d;
  refuses([&] { auto a = gb; a.dx = b; rt.gelu_backward(a); }, "gelu_backward", "dx = x");
  refuses([&] { auto a = gb; a.dy.size = 8; rt.gelu_backward(a); }, "gelu_backward", "short dy");
  ResidualAddArgs ra;
  ra.rows = 4;
  ra.cols = 8;
  ra.x = b;
  ra.r = c;
  ra.y = d;
  refuses([&] { auto a = ra; a.y.addr = c.addr + 8; rt.residual_add(a); }, "residual_add",
          "overlap");
  refuses([&] { auto a = ra; a.r.size = 8; rt.residual_add(a); }, "residual_add", "short r");
  LayerNormBackwardArgs la;
  la.rows = 4;
  la.cols = 8;
  la.x = b;
  la.dy = c;
  la.dx = d;
  la.gamma = la.mean = la.rstd = e;
  la.mean.addr += 1024;
  la.rstd.addr += 2048;
  la.dgamma = la.dbeta = e;
  la.dgamma.addr += 4096;
  la.dbeta.addr += 8192;
  rt.layernorm_backward(la);  // the base case is accepted
  const uint32_t too_long = rt.layernorm_backward_max_cols() + 1;
  refuses([&] { auto a = la; a.cols = too_long; rt.layernorm_backward(a); }, "layernorm_backward",
          "long rows");
  refuses([&] { auto a = la; a.dx = b; rt.layernorm_backward(a); }, "layernorm_backward", "dx = x");
  refuses([&] { auto a = la; a.dgamma = a.dbeta; rt.layernorm_backward(a); }, "layernorm_backward",
          "dgamma = dbeta");
  refuses([&] { auto a = la; a.dbeta = a.gamma; rt.layernorm_backward(a); }, "layernorm_backward",
          "dbeta over gamma");
  refuses([&] { auto a = la; a.mean.size = 8; rt.layernorm_backward(a); }, "layernorm_backward",
          "short mean");
  CrossEntropyArgs ca = ce_args(4, 8, b, {0, 7, -100, 3});
  ca.dlogits = c;
  rt.softmax_cross_entropy(ca);
  rt.softmax_cross_entropy_backward(ca);
  for (const char* op : {"softmax_cross_entropy", "softmax_cross_entropy_backward"}) {
    auto call = [&](const CrossEntropyArgs& a) {
      if (std::string(op) == "softmax_cross_entropy") {
        rt.softmax_cross_entropy(a);
      } else {
        rt.softmax_cross_entropy_backward(a);
      }
    };
    refuses([&] { auto a = ca; a.labels[1] = 8; call(a); }, op, "label = cols");
    refuses([&] { auto a = ca; a.labels[1] = -1; call(a); }, op, "label -1");
    refuses([&] { auto a = ca; a.labels.pop_back(); call(a); }, op, "labels size");
    refuses([&] { auto a = ca; a.cols = rt.cross_entropy_max_cols() + 1; a.logits.size = 1 << 30;
                  call(a); }, op, "long rows");
    refuses([&] { auto a = ca; a.rows = 0; a.labels.clear(); call(a); }, op, "rows = 0");
  }
  refuses([&] { auto a = ca; a.dlogits.addr = b.addr + 4; rt.softmax_cross_entropy_backward(a); },
          "softmax_cross_entropy_backward", "overlap");
  refuses([&] { auto a = ca; a.dloss = kInf; rt.softmax_cross_entropy_backward(a); },
          "softmax_cross_entropy_backward", "Inf dloss");
  // A chip without a vector unit, and one without dividers (GELU and the cross-entropy
  // backward need RECIP; the residual add, layer norm backward and cross-entropy forward
  // do not).
  ChipConfig novec = find_config("tiny");
  novec.vec = 0;
  novec.vec_divsqrt = 0;
  VecRig n(novec);
  ga.x = gb.x = ra.x = n.rt.alloc(1 << 16);
  ga.y = gb.dy = ra.r = n.rt.alloc(1 << 16);
  gb.dx = ra.y = n.rt.alloc(1 << 16);
  refuses([&] { n.rt.gelu(ga); }, "gelu", "no vector unit");
  refuses([&] { n.rt.gelu_backward(gb); }, "gelu_backward", "no vector unit");
  refuses([&] { n.rt.residual_add(ra); }, "residual_add", "no vector unit");
  refuses([&] { n.rt.layernorm_backward(la); }, "layernorm_backward", "no vector unit");
  refuses([&] { n.rt.softmax_cross_entropy(ca); }, "softmax_cross_entropy", "no vector unit");
  refuses([&] { n.rt.softmax_cross_entropy_backward(ca); }, "softmax_cross_entropy_backward",
          "no vector unit");
  ChipConfig nodiv = find_config("tiny");
  nodiv.vec_divsqrt = 0;
  VecRig nd(nodiv);
  const Buffer p = nd.rt.alloc(1 << 16), q = nd.rt.alloc(1 << 16), t = nd.rt.alloc(1 << 16),
               u = nd.rt.alloc(1 << 16);
  ga.x = gb.x = ra.x = la.x = ca.logits = p;
  ga.y = gb.dy = ra.r = la.dy = ca.dlogits = q;
  gb.dx = ra.y = la.dx = t;
  la.gamma = la.mean = la.rstd = la.dgamma = la.dbeta = u;
  la.mean.addr += 1024;
  la.rstd.addr += 2048;
  la.dgamma.addr += 4096;
  la.dbeta.addr += 8192;
  refuses([&] { nd.rt.gelu(ga); }, "gelu", "no dividers");
  refuses([&] { nd.rt.gelu_backward(gb); }, "gelu_backward", "no dividers");
  refuses([&] { nd.rt.softmax_cross_entropy_backward(ca); }, "softmax_cross_entropy_backward",
          "no dividers");
  nd.rt.residual_add(ra);  // no RECIP / RSQRT in these
  nd.rt.layernorm_backward(la);
  nd.rt.softmax_cross_entropy(ca);
}

}  // namespace
}  // namespace tessera::test
