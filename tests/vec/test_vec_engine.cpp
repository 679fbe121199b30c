// SPDX-License-Identifier: Apache-2.0
// ts_vec against golden::vec_run bit for bit (accumulator and scratchpad images, flags)
// under random commands, data and port refusals; directed softmax / mask / stream tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "Vts_vec.h"
#include "Vts_vec_d8.h"
#include "Vts_vec_nodiv.h"
#include "test_util.hpp"
#include "vec_engine_lockstep.hpp"
#include "vec_engine_tb.hpp"

namespace tessera::test {
namespace {

using golden::VecBsrc;
using golden::VecCmd;
using golden::VecDst;
using golden::VecFn;
using golden::VecMask;
using golden::VecOp1;
using golden::VecRed;

// Model configurations (tests/vec/CMakeLists.txt).
constexpr size_t kSpRows = 256;
constexpr int kLaneLatDiv = 2 * 11 + 2;  // ts_vec_lane, BitsPerStage = 3

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

uint32_t as_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Random FP32 operand: specials (+-0, +-Inf, quiet and signalling NaNs, subnormals, huge),
// 1.0, random bit patterns and moderate values (exp arguments, sums that do not overflow).
uint32_t rand_fp(std::mt19937_64& g) {
  const uint32_t sign = uint32_t(g() & 1) << 31;
  switch (g() % 20) {
    case 0: return sign;
    case 1: return sign | 0x7f800000u;
    case 2: return sign | 0x7fc00000u | uint32_t(g() & 0x3fffff);
    case 3: return sign | 0x7f800000u | std::max<uint32_t>(1, uint32_t(g() & 0x3fffff));
    case 4: return sign | uint32_t(g() & 0x7fffff);
    case 5: return sign | (0x7e800000u + uint32_t(g() % 0xffffff));
    case 6: return sign | 0x3f800000u;
    case 7: return uint32_t(g());
    default: return as_bits(std::uniform_real_distribution<float>(-20.f, 20.f)(g));
  }
}

std::string describe(const VecCmd& c) {
  std::ostringstream os;
  os << "op1=" << int(c.op1) << " bsrc=" << int(c.bsrc) << " fn=" << int(c.fn)
     << " red=" << int(c.red) << " racc=" << c.racc << " sat=" << c.sat
     << " mask=" << int(c.mask) << " dst=" << int(c.dst) << " rows=" << c.rows
     << " cols=" << c.cols << " a=" << c.a_addr << " b=" << c.b_addr << " d=" << c.d_addr
     << " r=" << c.r_addr << " stride=" << c.stride << " moff=" << c.moff << " imm=0x"
     << std::hex << c.imm;
  return os.str();
}

// Random legal command whose rows all fit in acc_rows / sp_rows; D = A in place at times.
VecCmd rand_cmd(std::mt19937_64& g, int dim, size_t acc_rows, bool divsqrt) {
  VecCmd c;
  c.op1 = VecOp1(g() % 6);
  c.bsrc = VecBsrc(g() % 4);
  do {
    c.fn = VecFn(g() % 6);
  } while (!divsqrt && (c.fn == VecFn::kRecip || c.fn == VecFn::kRsqrt));
  c.red = VecRed(g() % 4);
  c.racc = g() & 1;
  c.sat = g() & 1;
  c.mask = VecMask(g() % 3);
  c.dst = VecDst(g() % 4);
  if (c.dst == VecDst::kNone && c.red == VecRed::kNone) c.dst = VecDst::kAcc;
  const int shapes[] = {1, 3, dim - 1, dim, dim + 1, 2 * dim + 3,
                        1 + int(g() % uint64_t(2 * dim + 3))};
  c.rows = uint16_t(std::max(1, shapes[g() % 7]));
  c.cols = uint16_t(std::max(1, shapes[g() % 7]));
  const int nblk = (c.cols + dim - 1) / dim;
  c.stride = uint16_t(nblk + int(g() % 3));
  c.moff = int16_t(int(g() % uint64_t(c.cols + 8)) - 4);
  c.imm = rand_fp(g);
  const uint32_t mat = uint32_t((c.rows - 1) * c.stride + nblk);
  const uint32_t vec = uint32_t((c.rows + dim - 1) / dim);
  // Regions in a random order of A, B, D, s with gaps.
  uint32_t next = uint32_t(g() % 8);
  auto take = [&](uint32_t n) {
    const uint32_t at = next;
    next += n + uint32_t(g() % 3);
    return at;
  };
  c.a_addr = take(mat);
  switch (c.bsrc) {
    case VecBsrc::kMat: c.b_addr = take(mat); break;
    case VecBsrc::kRow: c.b_addr = take(vec); break;
    case VecBsrc::kCol: c.b_addr = take(uint32_t(nblk)); break;
    case VecBsrc::kImm: c.b_addr = uint32_t(g() % acc_rows); break;  // unused
  }
  if (c.dst == VecDst::kAcc) {
    c.d_addr = (g() % 3 == 0) ? c.a_addr : take(mat);
  } else {
    c.d_addr = uint32_t(g() % (kSpRows - mat + 1));
  }
  c.r_addr = take(vec);
  EXPECT_LE(next, acc_rows) << "test layout does not fit";
  return c;
}

template <class V>
void fill_random(VecEngineTb<V>& tb, std::mt19937_64& g) {
  for (auto& w : tb.acc) w = rand_fp(g);
  for (auto& h : tb.spad) h = uint16_t(g());
}

// Compares the testbench's images with the golden ones; reports the first difference.
template <class V>
void expect_images(const VecEngineTb<V>& tb, const std::vector<uint32_t>& acc,
                   const std::vector<uint16_t>& spad, int dim, const std::string& what) {
  for (size_t i = 0; i < acc.size(); ++i) {
    if (tb.acc[i] != acc[i]) {
      ADD_FAILURE() << what << ": acc row " << i / size_t(dim) << " lane " << i % size_t(dim)
                    << " rtl 0x" << std::hex << tb.acc[i] << " golden 0x" << acc[i];
      return;
    }
  }
  for (size_t i = 0; i < spad.size(); ++i) {
    if (tb.spad[i] != spad[i]) {
      ADD_FAILURE() << what << ": spad row " << i / size_t(dim) << " lane "
                    << i % size_t(dim) << " rtl 0x" << std::hex << tb.spad[i]
                    << " golden 0x" << spad[i];
      return;
    }
  }
}

// Random streams of 1..4 back-to-back commands under random port refusals.
template <class V>
void random_commands(int dim, size_t acc_rows, bool divsqrt, uint64_t n_cmds) {
  const uint64_t s = seed();
  std::mt19937_64 g(s);
  VecEngineTb<V> tb(dim, acc_rows, kSpRows, s);
  uint64_t done = 0, streams = 0;
  while (done < n_cmds && !::testing::Test::HasFailure()) {
    fill_random(tb, g);
    const double p[] = {1.0, 0.8, 0.4};
    tb.ports = {p[g() % 3], p[g() % 3], p[g() % 3], p[g() % 3]};
    std::vector<VecCmd> cmds(1 + g() % 4);
    for (auto& c : cmds) c = rand_cmd(g, dim, acc_rows, divsqrt);
    std::vector<uint32_t> acc = tb.acc;
    std::vector<uint16_t> spad = tb.spad;
    std::vector<uint8_t> want;
    for (const auto& c : cmds) want.push_back(golden::vec_run(c, dim, acc, spad));
    const std::vector<uint8_t> got = tb.run(cmds);
    std::string what = "stream " + std::to_string(streams);
    for (const auto& c : cmds) what += "\n  " + describe(c);
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(int(got[i]), int(want[i])) << "flags of command " << i << " of " << what;
    }
    expect_images(tb, acc, spad, dim, what);
    done += cmds.size();
    ++streams;
  }
  std::cout << "[ info     ] " << done << " commands in " << streams << " streams, "
            << tb.sim().cycles() << " cycles" << std::endl;
}

TEST(VecEngine, RandomDim4) { random_commands<Vts_vec>(4, 256, true, vectors(2000)); }
TEST(VecEngine, RandomDim8) { random_commands<Vts_vec_d8>(8, 512, true, vectors(600)); }
TEST(VecEngine, RandomDim4NoDivSqrt) {
  random_commands<Vts_vec_nodiv>(4, 256, false, vectors(1000));
}
// Soak (label slow): 100x the default.
TEST(VecEngine, RandomDim4Slow) { random_commands<Vts_vec>(4, 256, true, vectors(200000)); }
TEST(VecEngine, RandomDim8Slow) { random_commands<Vts_vec_d8>(8, 512, true, vectors(60000)); }

// Two RTL models with different random initial register values under the same random
// inputs: no output may depend on a register that reset leaves undefined.
TEST(VecEngine, RandomInitLockstep) {
  vec_lockstep<Vts_vec, Vts_vec>(seed(), vectors(30000));
}

// Softmax of 5 rows x 7 columns (Dim 4) as the documented VEC sequence, in place:
// m = rowmax(X); X = exp(X - m) with s = rowsum; s' = 1/s (RECIP over the s vector);
// X = X * s' (ROW MUL). Checked against golden and against a double softmax.
TEST(VecEngine, Softmax) {
  const uint64_t s = seed();
  std::mt19937_64 g(s);
  constexpr int kDim = 4, kRows = 5, kCols = 7;
  VecEngineTb<Vts_vec> tb(kDim, 256, kSpRows, s);
  fill_random(tb, g);
  const uint32_t x_addr = 0, m_addr = 40, s_addr = 44, inv_addr = 48;
  constexpr uint16_t kStride = 2;
  // Inputs are multiples of 1/16 in [-4, 4], so that x - max is exact.
  std::vector<std::vector<float>> x(kRows, std::vector<float>(kCols));
  for (int r = 0; r < kRows; ++r) {
    for (int c = 0; c < kCols; ++c) {
      x[size_t(r)][size_t(c)] = float(int(g() % 129) - 64) / 16.f;
      tb.acc[(x_addr + uint32_t(r) * kStride + uint32_t(c / kDim)) * kDim + uint32_t(c % kDim)] =
          as_bits(x[size_t(r)][size_t(c)]);
    }
  }
  VecCmd max;
  max.op1 = VecOp1::kPass;
  max.red = VecRed::kMax;
  max.dst = VecDst::kNone;
  max.rows = kRows;
  max.cols = kCols;
  max.a_addr = x_addr;
  max.r_addr = m_addr;
  max.stride = kStride;
  VecCmd ex = max;
  ex.op1 = VecOp1::kSub;
  ex.bsrc = VecBsrc::kRow;
  ex.b_addr = m_addr;
  ex.fn = VecFn::kExp;
  ex.red = VecRed::kSum;
  ex.dst = VecDst::kAcc;
  ex.d_addr = x_addr;
  ex.r_addr = s_addr;
  VecCmd rc;  // the s vector as a 1 x kRows matrix
  rc.op1 = VecOp1::kPass;
  rc.fn = VecFn::kRecip;
  rc.dst = VecDst::kAcc;
  rc.rows = 1;
  rc.cols = kRows;
  rc.a_addr = s_addr;
  rc.d_addr = inv_addr;
  rc.stride = 1;
  VecCmd mul = ex;
  mul.op1 = VecOp1::kMul;
  mul.b_addr = inv_addr;
  mul.fn = VecFn::kNone;
  mul.red = VecRed::kNone;
  const std::vector<VecCmd> seq = {max, ex, rc, mul};
  std::vector<uint32_t> acc = tb.acc;
  std::vector<uint16_t> spad = tb.spad;
  std::vector<uint8_t> want;
  for (const auto& c : seq) want.push_back(golden::vec_run(c, kDim, acc, spad));
  const std::vector<uint8_t> got = tb.run(seq);
  ASSERT_EQ(got, want);
  expect_images(tb, acc, spad, kDim, "softmax");
  // Error bound, relative: exp 0.56 ulp, kCols-1 additions, RECIP and MUL 0.5 ulp each
  // (x - max exact); an ulp is between 2^-24 and 2^-23 of the value, hence the factor 2.
  const double bound_ulp = 2 * (0.56 + 0.5 * (kCols - 1) + 1.0);
  double worst = 0;
  for (int r = 0; r < kRows; ++r) {
    double m = -1e300, sum = 0;
    for (float v : x[size_t(r)]) m = std::max(m, double(v));
    for (float v : x[size_t(r)]) sum += std::exp(double(v) - m);
    for (int c = 0; c < kCols; ++c) {
      const double exact = std::exp(double(x[size_t(r)][size_t(c)]) - m) / sum;
      const float got_v = as_float(
          tb.acc[(x_addr + uint32_t(r) * kStride + uint32_t(c / kDim)) * kDim + uint32_t(c % kDim)]);
      int e;
      std::frexp(exact, &e);
      const double ulp = std::ldexp(1.0, e - 24);
      const double err = std::fabs(double(got_v) - exact) / ulp;
      worst = std::max(worst, err);
      EXPECT_LE(err, bound_ulp) << "row " << r << " col " << c;
    }
  }
  std::cout << "[ info     ] softmax worst error " << worst << " ulp (bound " << bound_ulp
            << ")" << std::endl;
}

// Causal mask (moff = 0) with exp and SUM: hidden elements become exp(-Inf) = +0 and
// each row's sum covers c <= r only.
TEST(VecEngine, CausalMask) {
  const uint64_t s = seed();
  std::mt19937_64 g(s);
  constexpr int kDim = 4, kN = 6;
  VecEngineTb<Vts_vec> tb(kDim, 256, kSpRows, s);
  fill_random(tb, g);
  VecCmd c;
  c.op1 = VecOp1::kPass;
  c.fn = VecFn::kExp;
  c.red = VecRed::kSum;
  c.mask = VecMask::kCausal;
  c.dst = VecDst::kAcc;
  c.rows = kN;
  c.cols = kN;
  c.a_addr = 0;
  c.d_addr = 20;
  c.r_addr = 40;
  c.stride = 2;
  for (int r = 0; r < kN; ++r) {
    for (int k = 0; k < kN; ++k) {
      tb.acc[size_t((r * 2 + k / kDim) * kDim + k % kDim)] =
          as_bits(std::uniform_real_distribution<float>(-3, 3)(g));
    }
  }
  std::vector<uint32_t> acc = tb.acc;
  std::vector<uint16_t> spad = tb.spad;
  const uint8_t want = golden::vec_run(c, kDim, acc, spad);
  const auto got = tb.run({c});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(int(got[0]), int(want));
  expect_images(tb, acc, spad, kDim, "causal");
  for (int r = 0; r < kN; ++r) {
    double sum = 0;
    for (int k = 0; k < kN; ++k) {
      const uint32_t v = tb.acc[size_t((20 + r * 2 + k / kDim) * kDim + k % kDim)];
      if (k > r) {
        EXPECT_EQ(v, 0u) << "hidden (" << r << ", " << k << ")";
      } else {
        EXPECT_GT(as_float(v), 0.f);
      }
      sum += double(as_float(v));
    }
    const float srow = as_float(tb.acc[size_t((40 + r / kDim) * kDim + r % kDim)]);
    EXPECT_NEAR(double(srow), sum, sum * 1e-6) << "row " << r;
  }
}

// A fully masked row (PAD, moff = 0): MAX gives -Inf, exp(-Inf) = +0 and the SUM +0.
TEST(VecEngine, FullyMaskedRow) {
  const uint64_t s = seed();
  std::mt19937_64 g(s);
  constexpr int kDim = 4;
  VecEngineTb<Vts_vec> tb(kDim, 256, kSpRows, s);
  fill_random(tb, g);
  VecCmd mx;
  mx.op1 = VecOp1::kPass;
  mx.red = VecRed::kMax;
  mx.mask = VecMask::kPad;
  mx.moff = 0;
  mx.dst = VecDst::kNone;
  mx.rows = 3;
  mx.cols = 5;
  mx.a_addr = 0;
  mx.r_addr = 30;
  mx.stride = 2;
  VecCmd sm = mx;
  sm.fn = VecFn::kExp;
  sm.red = VecRed::kSum;
  sm.dst = VecDst::kAcc;
  sm.d_addr = 10;
  sm.r_addr = 31;
  std::vector<uint32_t> acc = tb.acc;
  std::vector<uint16_t> spad = tb.spad;
  std::vector<uint8_t> want;
  for (const auto& c : {mx, sm}) want.push_back(golden::vec_run(c, kDim, acc, spad));
  const uint32_t lane3_max = tb.acc[30 * kDim + 3], lane3_sum = tb.acc[31 * kDim + 3];
  EXPECT_EQ(tb.run({mx, sm}), want);
  expect_images(tb, acc, spad, kDim, "fully masked");
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(tb.acc[size_t(30 * kDim + r)], 0xff800000u);
    EXPECT_EQ(tb.acc[size_t(31 * kDim + r)], 0u);
    for (int k = 0; k < 8; ++k) EXPECT_EQ(tb.acc[size_t((10 + r * 2 + k / 4) * kDim + k % 4)], 0u);
  }
  EXPECT_EQ(tb.acc[30 * kDim + 3], lane3_max) << "lane r >= rows must keep its contents";
  EXPECT_EQ(tb.acc[31 * kDim + 3], lane3_sum) << "lane r >= rows must keep its contents";
}

// A stream of commands presented back to back (cmd_valid_i never drops), all ports ready:
// every command's result and flags, and the engine's throughput: a pass reads one row
// per cycle, the Brow and old-s rows once per group of Dim rows.
TEST(VecEngine, BackToBackStream) {
  const uint64_t s = seed();
  std::mt19937_64 g(s);
  constexpr int kDim = 4;
  VecEngineTb<Vts_vec> tb(kDim, 256, kSpRows, s);
  fill_random(tb, g);
  std::vector<VecCmd> cmds(24);
  for (auto& c : cmds) c = rand_cmd(g, kDim, 256, true);
  std::vector<uint32_t> acc = tb.acc;
  std::vector<uint16_t> spad = tb.spad;
  std::vector<uint8_t> want;
  for (const auto& c : cmds) want.push_back(golden::vec_run(c, kDim, acc, spad));
  EXPECT_EQ(tb.run(cmds), want);
  expect_images(tb, acc, spad, kDim, "stream");

  // Throughput of one large command: ROW ADD with SUM, 40 rows x 9 columns.
  VecCmd c;
  c.op1 = VecOp1::kAdd;
  c.bsrc = VecBsrc::kRow;
  c.fn = VecFn::kExp;
  c.red = VecRed::kSum;
  c.dst = VecDst::kAcc;
  c.rows = 40;
  c.cols = 9;
  c.a_addr = 0;
  c.stride = 3;
  c.b_addr = 130;
  c.r_addr = 150;
  c.d_addr = 0;
  acc = tb.acc;
  const uint8_t f = golden::vec_run(c, kDim, acc, spad);
  const uint64_t reads0 = tb.reads;
  EXPECT_EQ(tb.run({c}), std::vector<uint8_t>{f});
  expect_images(tb, acc, spad, kDim, "throughput");
  const uint64_t groups = (40 + kDim - 1) / kDim;
  const uint64_t want_reads = 40 * 3 + 2 * groups;  // A rows, Brow + old s per group
  EXPECT_EQ(tb.reads - reads0, want_reads);
  // Reads one per cycle, then the pipeline's latency (S0, lanes, R1, R2, FIFO, done).
  EXPECT_LE(tb.cycles_last, want_reads + uint64_t(kLaneLatDiv) + 8);
}

// An RTL assertion fires on a response without a read (the protocol check works).
TEST(VecEngine, AssertionFires) {
  VecEngineTb<Vts_vec> tb(4, 256, kSpRows, 1);
  tb.sim()->acc_rsp_valid_i = 1;
  EXPECT_THROW(tb.sim().tick(2), tb::AssertionFailure);
}

}  // namespace
}  // namespace tessera::test
