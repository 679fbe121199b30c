// SPDX-License-Identifier: Apache-2.0
// Runtime vector kernels on the functional model (golden::vec_run per VEC command):
// Runtime::softmax against the FP64 reference within its proven FP32 tolerance, the
// documented extremes (+-1e4, +-Inf, fully masked rows, NaN), tiling over accumulator
// halves, and the refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
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

using Rig = VecRig;

struct SoftmaxCase {
  uint32_t rows, cols;
  float scale;
  bool causal;
  std::optional<uint32_t> valid;
};

// Runs Runtime::softmax on x (rows x cols FP32) and returns y as floats (FP32 output).
std::vector<float> run_softmax(Rig& g, const SoftmaxCase& c, const std::vector<float>& x,
                               RunStats* st = nullptr) {
  const size_t n = size_t(c.rows) * c.cols;
  const Buffer bx = g.rt.alloc(n * 4), by = g.rt.alloc(n * 4);
  g.rt.write(bx, x.data(), n * 4);
  SoftmaxArgs a;
  a.rows = c.rows;
  a.cols = c.cols;
  a.x = bx;
  a.y = by;
  a.scale = c.scale;
  a.causal = c.causal;
  a.valid_cols = c.valid;
  const RunStats s = g.rt.softmax(a);
  if (st) *st = s;
  std::vector<float> y(n);
  g.rt.read(by, y.data(), n * 4);
  g.rt.free(bx);
  g.rt.free(by);
  return y;
}

// The reference of what the chip computes: softmax of fl32(scale * x) with the mask, where
// +-Inf (after the scaling) count as +-FLT_MAX (docs/vec.md "Runtime ops").
void check_against_reference(const SoftmaxCase& c, const std::vector<float>& x,
                             const std::vector<float>& y) {
  const size_t n = size_t(c.rows) * c.cols;
  std::vector<double> z(n), add(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    float s = c.scale == 1.0f ? x[i] : c.scale * x[i];
    if (std::isinf(s)) s = std::copysign(std::numeric_limits<float>::max(), s);
    z[i] = double(s);
    const uint32_t col = uint32_t(i % c.cols), row = uint32_t(i / c.cols);
    if ((c.causal && col > row) || (c.valid && col >= *c.valid)) {
      add[i] = -std::numeric_limits<double>::infinity();
    }
  }
  const ref::MatIn zm = ref::mat(z, c.rows, c.cols);
  const ref::MatIn am = ref::mat(add, c.rows, c.cols);
  ref::SoftmaxOpts o;
  o.add = &am;
  const std::vector<double> ref = ref::softmax_rows(zm, o);
  const std::vector<double> tol = ref::softmax_rows_tolerance(zm, o);
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const double err = std::fabs(double(y[i]) - ref[i]);
    // Where the bound itself is not finite (rows holding +-FLT_MAX), the result must be
    // the reference rounded to FP32 (those rows' softmax is 0, 1/k or 1).
    const double t = std::isfinite(tol[i]) ? tol[i] : std::fabs(double(float(ref[i])) - ref[i]);
    const bool ok = std::isnan(ref[i]) ? std::isnan(y[i]) : err <= t;
    if (!ok && bad++ < 10) {
      ADD_FAILURE() << "y[" << i / c.cols << "][" << i % c.cols << "] = " << y[i]
                    << ", reference " << ref[i] << ", |err| " << err << " > tolerance " << t;
    }
  }
  EXPECT_EQ(bad, 0u) << c.rows << "x" << c.cols;
}

std::vector<float> random_logits(std::mt19937_64& r, size_t n, float spread) {
  std::normal_distribution<float> d(0.0f, spread);
  std::vector<float> x(n);
  for (auto& v : x) v = d(r);
  return x;
}

TEST(VecSoftmax, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for (const char* cfg : {"tiny", "default"}) {
    Rig g(find_config(cfg));
    const uint32_t D = g.dev.config().dim;
    for (uint32_t cols : {1u, 7u, D - 1, D, D + 1, 64u, 257u}) {
      for (uint32_t rows : {1u, 3u, 33u}) {
        SoftmaxCase c{rows, cols, (r() % 2) ? 1.0f : 0.125f, false, std::nullopt};
        const std::vector<float> x = random_logits(r, size_t(rows) * cols, 4.0f);
        check_against_reference(c, x, run_softmax(g, c, x));
      }
    }
  }
}

TEST(VecSoftmax, MasksMatchReference) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  for (uint32_t n : {1u, 7u, 64u, 257u}) {
    SoftmaxCase causal{n, n, 0.125f, true, std::nullopt};
    const std::vector<float> x = random_logits(r, size_t(n) * n, 8.0f);
    check_against_reference(causal, x, run_softmax(g, causal, x));
    SoftmaxCase pad{n, n + 5, 1.0f, false, (n + 1) / 2};
    const std::vector<float> x2 = random_logits(r, size_t(n) * (n + 5), 8.0f);
    check_against_reference(pad, x2, run_softmax(g, pad, x2));
  }
}

// Rows that do not fit one accumulator half are cut into blocks that alternate halves.
TEST(VecSoftmax, ManyBlocks) {
  std::mt19937_64 r(seed());
  Rig g(find_config("tiny"));
  const uint32_t cols = 100, rows = 3 * (g.dev.config().acc_rows / 2) / 25 + 7;  // > 3 blocks
  SoftmaxCase c{rows, cols, 0.5f, true, std::nullopt};
  const std::vector<float> x = random_logits(r, size_t(rows) * cols, 3.0f);
  RunStats st;
  check_against_reference(c, x, run_softmax(g, c, x, &st));
  EXPECT_GT(st.commands, 6 * 3u);
}

TEST(VecSoftmax, Extremes) {
  Rig g(find_config("tiny"));
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const uint32_t cols = 9;
  std::vector<float> x = {
      1e4f,  -1e4f, 0,    1e4f,   3,    -2,    1,    0,    5,     // huge logits
      inf,   0,     inf,  1,      -inf, 2,     3,    4,    5,     // two +Inf share the row
      -inf,  -inf,  -inf, -inf,   -inf, -inf,  -inf, -inf, -inf,  // all -Inf: uniform (-FLT_MAX)
      1,     2,     nan,  3,      4,    5,     6,    7,    8,     // NaN: this row only
      -1e30f, 1e30f, 0,   -1e30f, 1,    2,     3,    4,    5,     // beyond exp's range
  };
  const uint32_t rows = uint32_t(x.size() / cols);
  SoftmaxCase c{rows, cols, 1.0f, false, std::nullopt};
  const std::vector<float> y = run_softmax(g, c, x);
  check_against_reference(c, x, y);
  for (uint32_t i = 0; i < rows * cols; ++i) {
    if (i / cols == 3) {
      EXPECT_TRUE(std::isnan(y[i])) << i;
    } else {
      EXPECT_FALSE(std::isnan(y[i])) << "NaN leaked at row " << i / cols;
    }
  }
  EXPECT_EQ(y[9], 0.5f);
  EXPECT_EQ(y[11], 0.5f);
  EXPECT_EQ(y[18], 1.0f / 9.0f);
}

// A row whose every element is hidden gives zeros (padding with valid_cols = 0).
TEST(VecSoftmax, FullyMaskedRowsAreZero) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  SoftmaxCase c{5, 20, 1.0f, false, 0u};
  const std::vector<float> x = random_logits(r, 100, 2.0f);
  const std::vector<float> y = run_softmax(g, c, x);
  for (float v : y) EXPECT_EQ(v, 0.0f);
  check_against_reference(c, x, y);
  // Causal with a negative offset hides the whole first row.
  SoftmaxArgs a;
  const Buffer bx = g.rt.alloc(400), by = g.rt.alloc(400);
  g.rt.write(bx, x.data(), 400);
  a.rows = 5;
  a.cols = 20;
  a.x = bx;
  a.y = by;
  a.causal = true;
  a.causal_offset = -1;
  g.rt.softmax(a);
  std::vector<float> y2(100);
  g.rt.read(by, y2.data(), 400);
  for (int cidx = 0; cidx < 20; ++cidx) EXPECT_EQ(y2[size_t(cidx)], 0.0f);
  EXPECT_EQ(y2[20], 1.0f);  // row 1 sees column 0 only
}

TEST(VecSoftmax, Fp16Output) {
  std::mt19937_64 r(seed());
  Rig g(find_config("default"));
  const uint32_t rows = 4, cols = 40;
  const std::vector<float> x = random_logits(r, rows * cols, 2.0f);
  const Buffer bx = g.rt.alloc(rows * cols * 4), b32 = g.rt.alloc(rows * cols * 4),
               b16 = g.rt.alloc(rows * cols * 2);
  g.rt.write(bx, x.data(), rows * cols * 4);
  SoftmaxArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.y = b32;
  g.rt.softmax(a);
  a.y = b16;
  a.out = isa::StoreFormat::kFp16;
  g.rt.softmax(a);
  std::vector<uint32_t> y32(rows * cols);
  std::vector<uint16_t> y16(rows * cols);
  g.rt.read(b32, y32.data(), rows * cols * 4);
  g.rt.read(b16, y16.data(), rows * cols * 2);
  for (size_t i = 0; i < y16.size(); ++i) {
    EXPECT_EQ(y16[i], golden::fp_narrow(golden::Fmt16::kFp16, y32[i]).bits) << i;
  }
}

TEST(VecSoftmax, Refusals) {
  Rig g(find_config("tiny"));
  const Buffer b = g.rt.alloc(4096);
  auto refuses = [&](SoftmaxArgs a, const std::string& what) {
    try {
      g.rt.softmax(a);
      ADD_FAILURE() << "accepted: " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("softmax:"), std::string::npos) << e.what();
    }
  };
  SoftmaxArgs a;
  a.rows = 4;
  a.cols = 8;
  a.x = b;
  a.y = b;
  refuses([&] { auto c = a; c.rows = 0; return c; }(), "rows = 0");
  refuses([&] { auto c = a; c.cols = g.rt.softmax_max_cols() + 1; return c; }(), "long rows");
  refuses([&] { auto c = a; c.out = isa::StoreFormat::kInt8; return c; }(), "int8 output");
  refuses([&] { auto c = a; c.x.size = 16; return c; }(), "short x");
  refuses([&] { auto c = a; c.scale = std::numeric_limits<float>::infinity(); return c; }(),
          "Inf scale");
  refuses([&] { auto c = a; c.y.addr += 4; return c; }(), "overlap");
  refuses([&] { auto c = a; c.causal = true; c.valid_cols = 3; return c; }(), "two masks");
  // A chip without a vector unit.
  ChipConfig novec = find_config("tiny");
  novec.vec = 0;
  novec.vec_divsqrt = 0;
  Rig n(novec);
  SoftmaxArgs b2 = a;
  b2.x = b2.y = n.rt.alloc(4096);
  EXPECT_FALSE(n.rt.has_vec());
  EXPECT_THROW(n.rt.softmax(b2), std::invalid_argument);
  // ... which refuses a VEC command as an unknown opcode.
  isa::VecCmd v;
  v.rows = 1;
  v.cols = 1;
  v.stride = 1;
  EXPECT_EQ(isa::check_command(v.encode(), novec), isa::ErrCode::kOpcode);
  EXPECT_EQ(isa::check_command(v.encode(), find_config("tiny")), isa::ErrCode::kNone);
}

}  // namespace
}  // namespace tessera::test

namespace tessera::test {
namespace {

struct LnResult {
  std::vector<float> y, mean, rstd;
};

LnResult run_layernorm(Rig& g, uint32_t rows, uint32_t cols, const std::vector<float>& x,
                       const std::vector<float>& gamma, const std::vector<float>& beta,
                       float eps) {
  const Buffer bx = g.rt.alloc(x.size() * 4), bg = g.rt.alloc(cols * 4), bb = g.rt.alloc(cols * 4),
               by = g.rt.alloc(x.size() * 4), bm = g.rt.alloc(rows * 4), br = g.rt.alloc(rows * 4);
  g.rt.write(bx, x.data(), x.size() * 4);
  g.rt.write(bg, gamma.data(), cols * 4);
  g.rt.write(bb, beta.data(), cols * 4);
  LayerNormArgs a;
  a.rows = rows;
  a.cols = cols;
  a.x = bx;
  a.gamma = bg;
  a.beta = bb;
  a.y = by;
  a.mean = bm;
  a.rstd = br;
  a.eps = eps;
  g.rt.layernorm(a);
  LnResult r{std::vector<float>(x.size()), std::vector<float>(rows), std::vector<float>(rows)};
  g.rt.read(by, r.y.data(), x.size() * 4);
  g.rt.read(bm, r.mean.data(), rows * 4);
  g.rt.read(br, r.rstd.data(), rows * 4);
  for (const Buffer& b : {bx, bg, bb, by, bm, br}) g.rt.free(b);
  return r;
}

TEST(VecLayerNorm, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for (const char* cfg : {"tiny", "default"}) {
    Rig g(find_config(cfg));
    const uint32_t D = g.dev.config().dim;
    // Up to the longest row the configuration takes (164 columns on tiny).
    const uint32_t longest = g.rt.layernorm_max_cols();
    for (uint32_t cols : {1u, 7u, D, D + 1, 64u, std::min(257u, longest)}) {
      for (uint32_t rows : {1u, 5u, 33u}) {
        std::normal_distribution<float> nd(0.5f, 3.0f);
        std::vector<float> x(size_t(rows) * cols), gamma(cols), beta(cols);
        for (auto& v : x) v = nd(r);
        for (auto& v : gamma) v = nd(r);
        for (auto& v : beta) v = nd(r);
        const float eps = 1e-5f;
        const LnResult got = run_layernorm(g, rows, cols, x, gamma, beta, eps);
        std::vector<double> xd(x.begin(), x.end()), gd(gamma.begin(), gamma.end()),
            bd(beta.begin(), beta.end());
        const ref::MatIn xm = ref::mat(xd, rows, cols);
        const ref::LayerNormFwd ref = ref::layernorm_forward(xm, gd, bd, eps);
        const ref::LayerNormFwdTol tol =
            ref::layernorm_forward_tolerance(xm, gd, bd, eps);
        SCOPED_TRACE(std::string(cfg) + " " + std::to_string(rows) + "x" + std::to_string(cols));
        EXPECT_EQ(count_outside_tol("y", got.y, ref.y, tol.y, ""), 0u);
        EXPECT_EQ(count_outside_tol("mean", got.mean, ref.mean, tol.mean, ""), 0u);
        EXPECT_EQ(count_outside_tol("rstd", got.rstd, ref.rstd, tol.rstd, ""), 0u);
      }
    }
  }
}

}  // namespace
}  // namespace tessera::test

namespace tessera::test {
namespace {

TEST(VecSoftmaxBackward, RandomShapesMatchReference) {
  std::mt19937_64 r(seed());
  for (const char* cfg : {"tiny", "default"}) {
    Rig g(find_config(cfg));
    const uint32_t D = g.dev.config().dim;
    for (uint32_t cols : {1u, 7u, D, D + 1, 64u, 200u}) {
      for (uint32_t rows : {1u, 5u, 33u}) {
        const size_t n = size_t(rows) * cols;
        // y: a softmax of random logits (rows sum to about 1), dy random.
        std::vector<float> y(n), dy(n);
        std::normal_distribution<float> nd(0.0f, 2.0f);
        for (uint32_t i = 0; i < rows; ++i) {
          double sum = 0;
          std::vector<double> e(cols);
          for (uint32_t c = 0; c < cols; ++c) sum += e[c] = std::exp(double(nd(r)));
          for (uint32_t c = 0; c < cols; ++c) y[size_t(i) * cols + c] = float(e[c] / sum);
        }
        for (auto& v : dy) v = nd(r);
        const Buffer by = g.rt.alloc(n * 4), bdy = g.rt.alloc(n * 4), bdx = g.rt.alloc(n * 4);
        g.rt.write(by, y.data(), n * 4);
        g.rt.write(bdy, dy.data(), n * 4);
        SoftmaxBackwardArgs a;
        a.rows = rows;
        a.cols = cols;
        a.y = by;
        a.dy = bdy;
        a.dx = bdx;
        g.rt.softmax_backward(a);
        std::vector<float> dx(n);
        g.rt.read(bdx, dx.data(), n * 4);
        for (const Buffer& b : {by, bdy, bdx}) g.rt.free(b);
        std::vector<double> yd(y.begin(), y.end()), dyd(dy.begin(), dy.end());
        const ref::MatIn ym = ref::mat(yd, rows, cols);
        const ref::MatIn dym = ref::mat(dyd, rows, cols);
        const std::vector<double> ref = ref::softmax_rows_backward(ym, dym);
        const std::vector<double> tol = ref::softmax_rows_backward_tolerance(ym, dym);
        SCOPED_TRACE(std::string(cfg) + " " + std::to_string(rows) + "x" + std::to_string(cols));
        EXPECT_EQ(count_outside_tol("dx", dx, ref, tol, ""), 0u);
      }
    }
  }
}

}  // namespace
}  // namespace tessera::test
