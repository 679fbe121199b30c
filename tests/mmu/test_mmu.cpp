// SPDX-License-Identifier: Apache-2.0
// ts_mmu block tests: bit-exact vs the order-matched golden, OpenBLAS error bound, exact
// integer cases, INT8 vs plain integers, random stalls, bad configurations, assertions;
// normal and transposed activations (ATrans: rows of A^T in groups of DIM).
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "mmu_driver.hpp"
#include "test_util.hpp"

#ifdef TS_MMU_SLOW
#include "Vts_mmu_d16.h"
#include "Vts_mmu_d32.h"
#else
#include "Vts_mmu_d2.h"
#include "Vts_mmu_d3.h"
#include "Vts_mmu_d4.h"
#include "Vts_mmu_d4_m2a3.h"
#include "Vts_mmu_d8.h"
#endif

namespace tessera::test {
namespace {

using golden::MmuDtype;
using golden::MmuRow;
using mmu::Stalls;
using mmu::Tile;

// M, A: the processing elements' multiplier and FP32 adder stages (ts_mmu MulStages,
// AddStages).
template <class VTop, int D, int M = 1, int A = 1>
struct Cfg {
  using Top = VTop;
  static constexpr int kDim = D;
  static constexpr int kMulStages = M;
  static constexpr int kAddStages = A;
};

#ifdef TS_MMU_SLOW
using Dims = ::testing::Types<Cfg<Vts_mmu_d16, 16>, Cfg<Vts_mmu_d32, 32>>;
#else
using Dims = ::testing::Types<Cfg<Vts_mmu_d2, 2>, Cfg<Vts_mmu_d3, 3>, Cfg<Vts_mmu_d4, 4>,
                              Cfg<Vts_mmu_d8, 8>, Cfg<Vts_mmu_d4_m2a3, 4, 2, 3>>;
#endif

struct DimName {
  template <class T>
  static std::string GetName(int) {
    return "Dim" + std::to_string(T::kDim) +
           (T::kMulStages > 1 ? "Mul" + std::to_string(T::kMulStages) : "") +
           (T::kAddStages > 1 ? "Add" + std::to_string(T::kAddStages) : "");
  }
};

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

// ---- Operand generators (16-bit lane codes) ----

uint16_t fp_finite(MmuDtype dt, std::mt19937_64& rng, int emin, int emax) {
  const uint16_t s = uint16_t((rng() & 1) << 15);
  const int e = emin + int(rng() % uint64_t(emax - emin + 1));
  if (dt == MmuDtype::kBf16) return uint16_t(s | (e << 7) | (rng() & 0x7f));
  return uint16_t(s | (e << 10) | (rng() & 0x3ff));
}

uint16_t fp_special(MmuDtype dt, std::mt19937_64& rng) {
  static const uint16_t f16[] = {0x0000, 0x0001, 0x0002, 0x01ff, 0x03ff, 0x0400, 0x3c00,
                                 0x7bff, 0x7c00, 0x7e00, 0x7c01, 0x7dff, 0x3555, 0x0155};
  static const uint16_t b16[] = {0x0000, 0x0001, 0x0002, 0x003f, 0x007f, 0x0080, 0x3f80,
                                 0x7f7f, 0x7f80, 0x7fc0, 0x7f81, 0x7fbf, 0x3eab, 0x0055};
  const uint16_t v = dt == MmuDtype::kBf16 ? b16[rng() % 14] : f16[rng() % 14];
  return uint16_t(v | ((rng() & 1) << 15));
}

// Mixed lanes: raw bits, finite values, specials, zeros.
uint16_t lane_mixed(MmuDtype dt, std::mt19937_64& rng) {
  if (dt == MmuDtype::kInt8) return uint16_t(rng());  // high byte is ignored
  switch (rng() % 5) {
    case 0: return uint16_t(rng());
    case 1: return fp_special(dt, rng);
    default: return dt == MmuDtype::kBf16 ? fp_finite(dt, rng, 100, 154) : fp_finite(dt, rng, 1, 30);
  }
}

std::vector<uint16_t> lanes(size_t n, std::mt19937_64& rng, uint16_t (*gen)(MmuDtype, std::mt19937_64&),
                            MmuDtype dt) {
  std::vector<uint16_t> v(n);
  for (auto& x : v) x = gen(dt, rng);
  return v;
}

// Small integer value v in [-4, 4] as a lane code of the data type.
uint16_t small_int(MmuDtype dt, int v) {
  if (dt == MmuDtype::kInt8) return uint16_t(uint8_t(int8_t(v)));
  const float f = float(v);
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if (dt == MmuDtype::kBf16) return uint16_t(b >> 16);
  if (v == 0) return 0;
  // FP16: exponent rebias 127 -> 15, 10 fraction bits (exact for small integers).
  const uint32_t s = b >> 31, e = (b >> 23) & 0xff, f10 = (b >> 13) & 0x3ff;
  return uint16_t((s << 15) | ((e - 112) << 10) | f10);
}

double lane_value(MmuDtype dt, uint16_t x) {
  if (dt == MmuDtype::kInt8) return double(int8_t(x & 0xff));
  const auto r = golden::fp_widen(dt == MmuDtype::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16, x);
  float f;
  std::memcpy(&f, &r.bits, 4);
  return double(f);
}

float as_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Activation A[i][k] of result row i of a tile, read from the stream rows as sent
// (ATrans: group i / D, stream row k of the group, lane i % D).
uint16_t act(const Tile& tl, int dim, size_t i, int k) {
  if (tl.cfg & golden::kMmuCfgATrans) {
    return tl.a[(i / dim * dim + size_t(k)) * dim + i % dim];
  }
  return tl.a[i * dim + k];
}

// Result rows of a tile (ATrans: whole groups, a short last one padded).
size_t result_rows(const Tile& tl, int dim) {
  const size_t m = tl.a.size() / dim;
  return (tl.cfg & golden::kMmuCfgATrans) ? (m + dim - 1) / dim * dim : m;
}

// ---- Fixture ----

template <class C>
class MmuTest : public ::testing::Test {
 protected:
  static constexpr int D = C::kDim;
  static constexpr int M = C::kMulStages;
  static constexpr int A = C::kAddStages;
  using Top = typename C::Top;

  Tile random_tile(uint8_t cfg, size_t rows, std::mt19937_64& rng,
                   uint16_t (*gen)(MmuDtype, std::mt19937_64&) = lane_mixed) {
    const auto dt = MmuDtype(cfg & 3);
    return {cfg, lanes(size_t(D) * D, rng, gen, dt), lanes(rows * D, rng, gen, dt)};
  }

  // Runs the job, compares every result row (data, flags, last) and the sticky flags
  // bit for bit with the golden model. Returns the RTL rows.
  std::vector<MmuRow> check(const std::vector<Tile>& tiles, Stalls st, uint64_t seed,
                            uint8_t expect_err = golden::kMmuErrNone) {
    tb::Sim<Top> sim(test_name(), uint32_t(seed));
    sim.reset();
    std::mt19937_64 rng(seed ^ 0x5a5a);
    const auto gold = mmu::golden_rows(D, tiles);
    mmu::RunResult r;
    try {
      r = mmu::run_tiles(sim, D, tiles, st, rng, gold.size());
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      return {};
    }
    EXPECT_EQ(r.rows.size(), gold.size()) << "number of result rows";
    uint8_t sticky = 0;
    int shown = 0;
    for (size_t i = 0; i < std::min(r.rows.size(), gold.size()); ++i) {
      for (int n = 0; n < D; ++n) {
        sticky |= gold[i].flags[n];
        if ((r.rows[i].data[n] != gold[i].data[n] || r.rows[i].flags[n] != gold[i].flags[n]) &&
            shown++ < 10) {
          ADD_FAILURE() << "row " << i << " col " << n << ": rtl " << hex(r.rows[i].data[n])
                        << "/f" << hex(r.rows[i].flags[n]) << ", golden "
                        << hex(gold[i].data[n]) << "/f" << hex(gold[i].flags[n]);
        }
      }
      if (r.rows[i].last != gold[i].last && shown++ < 10) {
        ADD_FAILURE() << "row " << i << ": last " << r.rows[i].last;
      }
    }
    EXPECT_EQ(shown, 0) << "RTL differs from the golden model";
    EXPECT_EQ(r.sticky, sticky) << "sticky flags";
    EXPECT_EQ(r.err, expect_err != golden::kMmuErrNone);
    EXPECT_EQ(r.err_code, expect_err);
    ::testing::Test::RecordProperty("rows", std::to_string(r.rows.size()));
    return r.rows;
  }

  // Mixed job: tiles with the given data type, normal and transposed weights, 1..2*D
  // rows each; ATrans tiles (always with ATrans::kOn, half of them with kMixed) have
  // 1..3 whole groups of D rows.
  enum class ATrans { kOff, kOn, kMixed };
  std::vector<Tile> job(MmuDtype dt, int ntiles, std::mt19937_64& rng,
                        uint16_t (*gen)(MmuDtype, std::mt19937_64&) = lane_mixed,
                        ATrans at = ATrans::kOff) {
    std::vector<Tile> tiles;
    for (int i = 0; i < ntiles; ++i) {
      const bool a_tr = at == ATrans::kOn || (at == ATrans::kMixed && rng() % 2);
      const size_t rows = a_tr ? D * (1 + rng() % 3) : 1 + rng() % (2 * D);
      tiles.push_back(random_tile(golden::mmu_cfg(dt, rng() % 2, a_tr), rows, rng, gen));
    }
    return tiles;
  }
};

TYPED_TEST_SUITE(MmuTest, Dims, DimName);

constexpr MmuDtype kAllTypes[] = {MmuDtype::kFp16, MmuDtype::kBf16, MmuDtype::kInt8};

// Bit-exact on random data with specials mixed in, every data type, moderate stalls.
TYPED_TEST(MmuTest, RandomBitExact) {
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (MmuDtype dt : kAllTypes) {
    SCOPED_TRACE(int(dt));
    this->check(this->job(dt, 12, rng), {0.2, 0.2, 0.2}, seed + int(dt));
  }
}

// Tiles of different data types back to back: each row uses its own tile's type.
TYPED_TEST(MmuTest, MixedTypesBackToBack) {
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  std::vector<Tile> tiles;
  for (int i = 0; i < 18; ++i) {
    tiles.push_back(this->random_tile(golden::mmu_cfg(kAllTypes[rng() % 3], rng() % 2),
                                      1 + rng() % (2 * TestFixture::D), rng));
  }
  this->check(tiles, {0, 0, 0}, seed);
}

// Subnormals, +-0, Inf and NaN only: results and IEEE flags bit-exact, sticky flags.
TYPED_TEST(MmuTest, SpecialsBitExact) {
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (MmuDtype dt : {MmuDtype::kFp16, MmuDtype::kBf16}) {
    SCOPED_TRACE(int(dt));
    this->check(this->job(dt, 10, rng, fp_special), {0.1, 0.1, 0.1}, seed + int(dt));
  }
}

// Signed zeros: a column whose products are all -0 sums to -0 (IEEE sum of the
// products); one +0 product makes it +0. Directed, FP16 and BF16, both orientations.
TYPED_TEST(MmuTest, SignedZeros) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::vector<Tile> tiles;
  for (MmuDtype dt : {MmuDtype::kFp16, MmuDtype::kBf16}) {
    const uint16_t one = dt == MmuDtype::kBf16 ? 0x3f80 : 0x3c00;
    for (bool tr : {false, true}) {
      Tile tl{golden::mmu_cfg(dt, tr), std::vector<uint16_t>(size_t(D) * D, one), {}};
      for (int k = 0; k < D; ++k) tl.a.push_back(0x8000);                   // all -0
      for (int k = 0; k < D; ++k) tl.a.push_back(k == D / 2 ? 0x0000 : 0x8000);  // one +0
      tiles.push_back(tl);
    }
  }
  const auto rows = this->check(tiles, {0.2, 0.2, 0.2}, seed);
  ASSERT_EQ(rows.size(), tiles.size() * 2);
  for (size_t i = 0; i < rows.size(); ++i)
    for (int n = 0; n < D; ++n)
      EXPECT_EQ(rows[i].data[n], i % 2 ? 0x00000000u : 0x80000000u) << "row " << i << " col " << n;
}

// Large cancellation: products +-x of large magnitude that cancel in K order, with small
// terms in between, so every rounding of the running sum matters.
TYPED_TEST(MmuTest, CancellationBitExact) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (MmuDtype dt : {MmuDtype::kFp16, MmuDtype::kBf16}) {
    std::vector<Tile> tiles;
    for (int t = 0; t < 8; ++t) {
      Tile tl{golden::mmu_cfg(dt, t % 2), {}, {}};
      tl.w.resize(size_t(D) * D);
      const int rows = D;
      tl.a.resize(size_t(rows) * D);
      for (auto& x : tl.w) x = dt == MmuDtype::kBf16 ? fp_finite(dt, rng, 125, 129) : fp_finite(dt, rng, 13, 17);
      for (int m = 0; m < rows; ++m) {
        for (int k = 0; k < D; ++k) {
          uint16_t v;
          if (k % 2 == 1 && k >= 1) {
            v = tl.a[size_t(m) * D + k - 1] ^ 0x8000;  // cancels the previous term's sign
          } else if (rng() % 3 == 0) {
            v = dt == MmuDtype::kBf16 ? fp_finite(dt, rng, 100, 110) : fp_finite(dt, rng, 1, 6);
          } else {
            v = dt == MmuDtype::kBf16 ? fp_finite(dt, rng, 150, 160) : fp_finite(dt, rng, 24, 29);
          }
          tl.a[size_t(m) * D + k] = v;
        }
      }
      // Equal weights in consecutive K rows make a[k]*w + (-a[k])*w cancel exactly.
      for (int k = 1; k < D; k += 2)
        for (int n = 0; n < D; ++n) {
          const bool tr = t % 2;
          const size_t dst = tr ? size_t(n) * D + k : size_t(k) * D + n;
          const size_t src = tr ? size_t(n) * D + k - 1 : size_t(k - 1) * D + n;
          tl.w[dst] = (rng() % 4) ? tl.w[src] : tl.w[src] ^ 1;
        }
      tiles.push_back(std::move(tl));
    }
    this->check(tiles, {0.1, 0.1, 0.1}, seed + int(dt));
  }
}

// Independent reference: OpenBLAS dgemm on the exactly widened inputs, within
// |err| <= gamma_K * (|A||B|), gamma_K = K*u/(1-K*u), u = 2^-24, K = DIM. Normal and
// transposed activations; for ATrans each group (a DIM x DIM block of A^T as streamed)
// is handed to dgemm with CblasTrans, so the transposition is BLAS's, not ours.
TYPED_TEST(MmuTest, OpenBlasBound) {
  constexpr int D = TestFixture::D;
  using ATrans = typename TestFixture::ATrans;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  const double u = std::ldexp(1.0, -24);
  const double gamma = D * u / (1 - D * u);
  for (bool a_tr : {false, true}) {
    for (MmuDtype dt : {MmuDtype::kFp16, MmuDtype::kBf16}) {
      SCOPED_TRACE(std::to_string(int(dt)) + (a_tr ? " atrans" : " normal"));
      auto gen = [](MmuDtype t, std::mt19937_64& r) {
        return t == MmuDtype::kBf16 ? fp_finite(t, r, 97, 157) : fp_finite(t, r, 1, 30);
      };
      auto tiles = this->job(dt, 8, rng, +gen, a_tr ? ATrans::kOn : ATrans::kOff);
      const auto rows = this->check(tiles, {0.3, 0.3, 0.3}, seed + int(dt) + 8 * a_tr);
      size_t base = 0, checked = 0, bad = 0;
      for (const Tile& tl : tiles) {
        const int m = int(tl.a.size() / D);
        std::vector<double> a(tl.a.size()), w(tl.w.size()), aa(a.size()), wa(w.size());
        for (size_t i = 0; i < a.size(); ++i) a[i] = lane_value(dt, tl.a[i]), aa[i] = std::fabs(a[i]);
        for (size_t i = 0; i < w.size(); ++i) w[i] = lane_value(dt, tl.w[i]), wa[i] = std::fabs(w[i]);
        std::vector<double> c(size_t(m) * D), ca(size_t(m) * D);
        const auto tw = (tl.cfg & golden::kMmuCfgWTrans) ? CblasTrans : CblasNoTrans;
        if (tl.cfg & golden::kMmuCfgATrans) {
          for (int g = 0; g < m / D; ++g) {  // C_g = (A^T_g)^T * W
            const size_t o = size_t(g) * D * D;
            cblas_dgemm(CblasRowMajor, CblasTrans, tw, D, D, D, 1.0, a.data() + o, D, w.data(), D,
                        0.0, c.data() + o, D);
            cblas_dgemm(CblasRowMajor, CblasTrans, tw, D, D, D, 1.0, aa.data() + o, D, wa.data(),
                        D, 0.0, ca.data() + o, D);
          }
        } else {
          cblas_dgemm(CblasRowMajor, CblasNoTrans, tw, m, D, D, 1.0, a.data(), D, w.data(), D, 0.0,
                      c.data(), D);
          cblas_dgemm(CblasRowMajor, CblasNoTrans, tw, m, D, D, 1.0, aa.data(), D, wa.data(), D,
                      0.0, ca.data(), D);
        }
        for (int i = 0; i < m && base + i < rows.size(); ++i)
          for (int n = 0; n < D; ++n) {
            const double got = as_float(rows[base + i].data[n]);
            const double err = std::fabs(got - c[size_t(i) * D + n]);
            ++checked;
            if (!(err <= gamma * ca[size_t(i) * D + n]) && bad++ < 10) {
              ADD_FAILURE() << "row " << base + i << " col " << n << ": rtl " << got << ", dgemm "
                            << c[size_t(i) * D + n] << ", bound " << gamma * ca[size_t(i) * D + n];
            }
          }
        base += m;
      }
      EXPECT_EQ(bad, 0u);
      EXPECT_EQ(checked, rows.size() * D);
    }
  }
}

// Values in [-4, 4]: every partial sum is an exact small integer, so the result equals
// the integer dot product whatever the order (and INT8 gives the same integers).
// Normal and transposed activations.
TYPED_TEST(MmuTest, SmallIntegersExact) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (bool a_tr : {false, true}) {
    for (MmuDtype dt : kAllTypes) {
      SCOPED_TRACE(std::to_string(int(dt)) + (a_tr ? " atrans" : " normal"));
      std::vector<Tile> tiles;
      std::vector<std::vector<int>> ia, iw;
      for (int t = 0; t < 6; ++t) {
        Tile tl{golden::mmu_cfg(dt, t % 2, a_tr), {}, {}};
        const int m = a_tr ? D * (1 + int(rng() % 2)) : 1 + int(rng() % (2 * D));
        std::vector<int> va(size_t(m) * D), vw(size_t(D) * D);
        for (auto& x : va) x = int(rng() % 9) - 4;
        for (auto& x : vw) x = int(rng() % 9) - 4;
        for (int x : va) tl.a.push_back(small_int(dt, x));
        for (int x : vw) tl.w.push_back(small_int(dt, x));
        tiles.push_back(tl);
        ia.push_back(va);
        iw.push_back(vw);
      }
      const auto rows = this->check(tiles, {0.2, 0.2, 0.2}, seed + int(dt) + 8 * a_tr);
      size_t base = 0, bad = 0;
      for (size_t t = 0; t < tiles.size(); ++t) {
        const bool tr = tiles[t].cfg & golden::kMmuCfgWTrans;
        const int m = int(ia[t].size() / D);
        for (int i = 0; i < m && base + i < rows.size(); ++i)
          for (int n = 0; n < D; ++n) {
            long s = 0;
            for (int k = 0; k < D; ++k) {
              // ATrans: result row i = g*D + r takes A[r][k] from stream row g*D + k, lane r.
              const size_t ai = a_tr ? size_t(i / D * D + k) * D + i % D : size_t(i) * D + k;
              s += long(ia[t][ai]) * iw[t][tr ? size_t(n) * D + k : size_t(k) * D + n];
            }
            const uint32_t b = rows[base + i].data[n];
            const bool ok = dt == MmuDtype::kInt8 ? int32_t(b) == s : double(as_float(b)) == double(s);
            if (!ok && bad++ < 10) ADD_FAILURE() << "row " << base + i << " col " << n << ": " << hex(b) << " != " << s;
          }
        base += m;
      }
      EXPECT_EQ(bad, 0u);
      EXPECT_EQ(base, rows.size());
    }
  }
}

// INT8 over the full range against a plain integer reference (exact; no INT32 wrap at
// K<=32), normal and transposed activations mixed.
TYPED_TEST(MmuTest, Int8VsInteger) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  auto tiles = this->job(MmuDtype::kInt8, 10, rng, lane_mixed, TestFixture::ATrans::kMixed);
  // Extremes: -128 * -128 everywhere in one tile of each kind.
  for (bool a_tr : {false, true}) {
    tiles.push_back({golden::mmu_cfg(MmuDtype::kInt8, false, a_tr),
                     std::vector<uint16_t>(size_t(D) * D, 0x0080),
                     std::vector<uint16_t>(size_t(D) * (a_tr ? D : 3), 0xff80)});
  }
  const auto rows = this->check(tiles, {0.2, 0.2, 0.2}, seed);
  size_t base = 0, bad = 0;
  for (const Tile& tl : tiles) {
    const bool tr = tl.cfg & golden::kMmuCfgWTrans;
    const size_t m = result_rows(tl, D);
    for (size_t i = 0; i < m && base + i < rows.size(); ++i)
      for (int n = 0; n < D; ++n) {
        int64_t s = 0;
        for (int k = 0; k < D; ++k)
          s += int64_t(int8_t(act(tl, D, i, k) & 0xff)) *
               int8_t(tl.w[tr ? size_t(n) * D + k : size_t(k) * D + n] & 0xff);
        if (int64_t(int32_t(rows[base + i].data[n])) != s && bad++ < 10)
          ADD_FAILURE() << "row " << base + i << " col " << n;
      }
    base += m;
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(base, rows.size());
}

// Random stalls on every stream (0 to 90 %) change nothing in the results; normal and
// transposed activations (every combination with transposed weights) interleaved.
TYPED_TEST(MmuTest, StallsChangeNothing) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  std::vector<Tile> tiles;
  for (int i = 0; i < 12; ++i) {
    const bool a_tr = (i / 2) % 2;
    tiles.push_back(this->random_tile(golden::mmu_cfg(kAllTypes[i % 3], i % 2, a_tr),
                                      a_tr ? D * (1 + rng() % 2) : 1 + rng() % (2 * D), rng));
  }
  const auto ref = this->check(tiles, {0, 0, 0}, seed);
  const Stalls cases[] = {{0.9, 0, 0}, {0, 0.9, 0}, {0, 0, 0.9}, {0.5, 0.5, 0.5},
                          {0.9, 0.9, 0.9}, {0, 0.3, 0.8}};
  for (const Stalls& st : cases) {
    SCOPED_TRACE(std::to_string(st.w) + "/" + std::to_string(st.a) + "/" + std::to_string(st.o));
    const auto got = this->check(tiles, st, seed + uint64_t(st.w * 100 + st.a * 10 + st.o));
    ASSERT_EQ(got.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      EXPECT_EQ(got[i].data, ref[i].data) << "row " << i;
      EXPECT_EQ(got[i].flags, ref[i].flags) << "row " << i;
    }
  }
}

// With no stalls, one activation row enters per cycle across tile boundaries (weights
// double-buffered): the job takes the ideal number of cycles plus the pipeline fill.
// Normal: first weight tile (D) + rows + latency (A+1)D+M + FIFO. Transposed activations:
// the first group fills (D) while the first weights load, then the same; both with tiles
// of one and of three groups. With A adder stages a released bank is refilled only after
// (A-1)(D-1) cycles, so tiles shorter than D + that hold leave the difference as a bubble
// (from the third tile on); longer ones none.
TYPED_TEST(MmuTest, FullThroughput) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (bool a_tr : {false, true}) {
    for (int groups : {1, 3}) {
      SCOPED_TRACE(std::string(a_tr ? "atrans" : "normal") + " x" + std::to_string(groups));
      std::vector<Tile> tiles;
      const int ntiles = 16;
      for (int i = 0; i < ntiles; ++i) {
        tiles.push_back(
            this->random_tile(golden::mmu_cfg(kAllTypes[i % 3], i % 2, a_tr), D * groups, rng));
      }
      tb::Sim<typename TestFixture::Top> sim(test_name(), uint32_t(seed));
      sim.reset();
      const auto gold = mmu::golden_rows(D, tiles);
      const auto r = mmu::run_tiles(sim, D, tiles, {0, 0, 0}, rng, gold.size());
      ASSERT_EQ(r.rows.size(), gold.size());
      for (size_t i = 0; i < gold.size(); ++i) ASSERT_EQ(r.rows[i].data, gold[i].data) << i;
      constexpr int M = TestFixture::M, A = TestFixture::A;
      const int rows = D * groups, hold = (A - 1) * (D - 1);
      const uint64_t bubble = rows >= D + hold ? 0 : uint64_t(D + hold - rows);
      const uint64_t bound = uint64_t(D) + uint64_t(rows) * ntiles + (ntiles - 2) * bubble +
                             uint64_t(A + 1) * D + M + 2;
      EXPECT_LE(r.cycles, bound) << "a bubble in the stream";
      ::testing::Test::RecordProperty(std::string("cycles_") + (a_tr ? "atrans" : "normal") +
                                          std::to_string(groups),
                                      std::to_string(r.cycles));
    }
  }
}

// Unknown data type (also with either transposition bit): refused, error output, no
// result rows for that tile, the next tile computes normally; clear_i clears the error.
TYPED_TEST(MmuTest, BadConfigRefused) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (uint8_t bad : {uint8_t(MmuDtype::kBad), uint8_t(golden::kMmuCfgATrans | 3),
                      uint8_t(golden::kMmuCfgATrans | golden::kMmuCfgWTrans | 3)}) {
    SCOPED_TRACE(int(bad));
    std::vector<Tile> tiles = {this->random_tile(golden::mmu_cfg(MmuDtype::kFp16, false), D, rng),
                               this->random_tile(bad, 5, rng),
                               this->random_tile(golden::mmu_cfg(MmuDtype::kInt8, true), D, rng)};
    tb::Sim<typename TestFixture::Top> sim(test_name(), uint32_t(seed));
    sim.reset();
    const auto gold = mmu::golden_rows(D, tiles);
    ASSERT_EQ(gold.size(), size_t(2 * D));
    const auto r = mmu::run_tiles(sim, D, tiles, {0.2, 0.2, 0.2}, rng, gold.size());
    ASSERT_EQ(r.rows.size(), gold.size());
    for (size_t i = 0; i < gold.size(); ++i) EXPECT_EQ(r.rows[i].data, gold[i].data) << i;
    EXPECT_TRUE(r.err);
    EXPECT_EQ(golden::mmu_cfg_error(bad), golden::kMmuErrDtype);
    EXPECT_EQ(r.err_code, golden::kMmuErrDtype);
    sim->clear_i = 1;
    sim.tick();
    sim->clear_i = 0;
    sim.tick();
    EXPECT_FALSE(sim->err_o);
    EXPECT_EQ(sim->err_code_o, 0);
    EXPECT_EQ(sim->flags_o, 0);
  }
}

// ---- Transposed activations (cfg bit 3) ----

// Bit-exact on random data with specials mixed in, every data type, both weight
// orientations, 1..3 groups per tile, random stall rates (0..90 %) on every stream.
TYPED_TEST(MmuTest, ATransBitExact) {
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> p(0.0, 0.9);
  for (MmuDtype dt : kAllTypes) {
    for (int rep = 0; rep < 2; ++rep) {
      const Stalls st{p(rng), p(rng), p(rng)};
      SCOPED_TRACE(std::to_string(int(dt)) + " stalls " + std::to_string(st.w) + "/" +
                   std::to_string(st.a) + "/" + std::to_string(st.o));
      this->check(this->job(dt, 8, rng, lane_mixed, TestFixture::ATrans::kOn), st,
                  seed + 2 * int(dt) + rep);
    }
  }
}

// Subnormals, +-0, Inf and NaN only, transposed activations.
TYPED_TEST(MmuTest, ATransSpecialsBitExact) {
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (MmuDtype dt : {MmuDtype::kFp16, MmuDtype::kBf16}) {
    SCOPED_TRACE(int(dt));
    this->check(this->job(dt, 8, rng, fp_special, TestFixture::ATrans::kOn), {0.1, 0.1, 0.1},
                seed + int(dt));
  }
}

// The unit's transposition against the host's: ATrans tiles and the same tiles with the
// groups transposed on the host and sent in normal mode give identical rows and flags
// (RTL against RTL, so the order of roundings is the same in both modes).
TYPED_TEST(MmuTest, ATransEqualsHostTransposed) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (MmuDtype dt : kAllTypes) {
    SCOPED_TRACE(int(dt));
    auto at = this->job(dt, 6, rng, lane_mixed, TestFixture::ATrans::kOn);
    auto nt = at;
    for (Tile& tl : nt) {
      tl.cfg = uint8_t(tl.cfg & ~golden::kMmuCfgATrans);
      for (size_t i = 0; i < tl.a.size() / D; ++i)
        for (int k = 0; k < D; ++k) tl.a[i * D + k] = act(at[&tl - nt.data()], D, i, k);
    }
    const auto ra = this->check(at, {0.3, 0.3, 0.3}, seed + int(dt));
    const auto rn = this->check(nt, {0.3, 0.3, 0.3}, seed + int(dt) + 16);
    ASSERT_EQ(ra.size(), rn.size());
    for (size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(ra[i].data, rn[i].data) << "row " << i;
      EXPECT_EQ(ra[i].flags, rn[i].flags) << "row " << i;
      EXPECT_EQ(ra[i].last, rn[i].last) << "row " << i;
    }
  }
}

// Normal and transposed-activation tiles (and both weight orientations, all data types)
// back to back, without and with stalls.
TYPED_TEST(MmuTest, ATransMixedBackToBack) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  std::vector<Tile> tiles;
  for (int i = 0; i < 24; ++i) {
    const bool a_tr = rng() % 2;
    tiles.push_back(this->random_tile(golden::mmu_cfg(kAllTypes[rng() % 3], rng() % 2, a_tr),
                                      a_tr ? D * (1 + rng() % 2) : 1 + rng() % (2 * D), rng));
  }
  const auto ref = this->check(tiles, {0, 0, 0}, seed);
  const auto st = this->check(tiles, {0.4, 0.4, 0.6}, seed + 1);
  EXPECT_EQ(ref.size(), st.size());
}

// a_last inside a group: err_o with ErrAGroup, the group is completed with +0 rows (DIM
// result rows, as the golden model pads), nothing hangs, and the following tiles (of
// both kinds) compute correctly without a clear; the first error is kept until clear_i.
TYPED_TEST(MmuTest, ATransGroupError) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  for (int short_rows : {1, D - 1, D + 1}) {
    if (short_rows % D == 0) continue;  // D = 2: D - 1 = 1 already covered
    SCOPED_TRACE(short_rows);
    const uint8_t at16 = golden::mmu_cfg(MmuDtype::kFp16, false, true);
    std::vector<Tile> tiles = {
        this->random_tile(at16, D, rng),
        this->random_tile(golden::mmu_cfg(MmuDtype::kBf16, true, true), size_t(short_rows), rng),
        this->random_tile(golden::mmu_cfg(MmuDtype::kInt8, false, true), 2 * D, rng),
        this->random_tile(golden::mmu_cfg(MmuDtype::kFp16, true), 3, rng),
        this->random_tile(at16, D, rng)};
    EXPECT_EQ(golden::mmu_tile_error(D, tiles[1].cfg, tiles[1].a.size() / D),
              golden::kMmuErrAGroup);
    const auto rows = this->check(tiles, {0.3, 0.3, 0.3}, seed + short_rows,
                                  golden::kMmuErrAGroup);
    EXPECT_EQ(rows.size(), size_t(D + (short_rows + D - 1) / D * D + 2 * D + 3 + D));
  }
  // A configuration error first: its code is kept when a group error follows.
  std::vector<Tile> tiles = {this->random_tile(3, 2, rng),
                             this->random_tile(golden::mmu_cfg(MmuDtype::kFp16, false, true), 1, rng),
                             this->random_tile(golden::mmu_cfg(MmuDtype::kFp16, false, true), D, rng)};
  tb::Sim<typename TestFixture::Top> sim(test_name(), uint32_t(seed));
  sim.reset();
  const auto gold = mmu::golden_rows(D, tiles);
  auto r = mmu::run_tiles(sim, D, tiles, {0.2, 0.2, 0.2}, rng, gold.size());
  ASSERT_EQ(r.rows.size(), gold.size());
  for (size_t i = 0; i < gold.size(); ++i) EXPECT_EQ(r.rows[i].data, gold[i].data) << i;
  EXPECT_TRUE(r.err);
  EXPECT_EQ(r.err_code, golden::kMmuErrDtype);
  sim->clear_i = 1;
  sim.tick();
  sim->clear_i = 0;
  sim.eval();
  EXPECT_FALSE(sim->err_o);
  // After the clear, a group error is reported with its own code.
  tiles = {this->random_tile(golden::mmu_cfg(MmuDtype::kInt8, false, true), 1, rng)};
  r = mmu::run_tiles(sim, D, tiles, {}, rng, D);
  EXPECT_EQ(r.rows.size(), size_t(D));
  EXPECT_TRUE(r.err);
  EXPECT_EQ(r.err_code, golden::kMmuErrAGroup);
}

// Sticky flags: NaN/Inf inputs set NV (and overflow sets OF|NX); clear_i clears them.
TYPED_TEST(MmuTest, StickyFlagsAndClear) {
  constexpr int D = TestFixture::D;
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  Tile inv{golden::mmu_cfg(MmuDtype::kFp16, false), std::vector<uint16_t>(size_t(D) * D, 0x7c00),
           std::vector<uint16_t>(size_t(D), 0x0000)};  // Inf * 0: invalid
  Tile ovf{golden::mmu_cfg(MmuDtype::kBf16, false), std::vector<uint16_t>(size_t(D) * D, 0x7f7f),
           std::vector<uint16_t>(size_t(D), 0x7f7f)};  // BF16 max^2: overflow
  tb::Sim<typename TestFixture::Top> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto r = mmu::run_tiles(sim, D, {inv}, {}, rng, 1);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].data[0], golden::kFp32QNan);
  EXPECT_EQ(r.sticky, golden::kFlagNv);
  sim->clear_i = 1;
  sim.tick();
  sim->clear_i = 0;
  sim.eval();
  EXPECT_EQ(sim->flags_o, 0);
  r = mmu::run_tiles(sim, D, {ovf}, {}, rng, 1);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].data[0], 0x7f800000u);
  EXPECT_EQ(r.sticky, golden::kFlagOf | golden::kFlagNx);
  EXPECT_EQ(r.sticky, golden::mmu_tile(D, ovf.cfg, ovf.w, ovf.a)[0].flags[0]);
}

#ifndef TS_MMU_SLOW
// The handshake assertion fires when an activation offer is withdrawn before acceptance.
TEST(MmuAssert, WithdrawnOfferFires) {
  tb::Sim<Vts_mmu_d4> sim(test_name());
  sim.reset();
  // No weight tile loaded: a_ready_o stays low, so the offer must be held.
  sim->a_valid_i = 1;
  sim.eval();
  ASSERT_FALSE(sim->a_ready_o);
  sim.tick();
  sim->a_valid_i = 0;
  EXPECT_THROW(sim.tick(2), tb::AssertionFailure);
}
#endif

}  // namespace
}  // namespace tessera::test
