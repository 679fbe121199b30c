// SPDX-License-Identifier: Apache-2.0
// golden::gemm (whole GEMM, order-matched) against mmu_tile passes composed by hand, the
// OpenBLAS gamma_K bound, exact integers, and the signed-zero rules of the documented order.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "rt_util.hpp"
#include "tessera/golden/gemm.hpp"
#include "tessera/golden/mmu.hpp"
#include "tessera/reference/gemm.hpp"
#include "test_util.hpp"

namespace tessera::golden {
namespace {

using test::random_codes;

MmuDtype mdt(isa::Dtype d) { return MmuDtype(uint8_t(d)); }

// The documented order rebuilt from mmu_tile passes: for each column tile and K step,
// a zero-padded Dim x Dim weight tile, the pass result overwriting (step 0, no C) or added
// with fp32_add / INT32 wrap.
std::vector<uint32_t> by_tiles(int D, isa::Dtype dt, uint32_t M, uint32_t N, uint32_t K,
                               const std::vector<uint16_t>& a, const std::vector<uint16_t>& b,
                               const std::vector<uint32_t>* c, uint8_t* flags) {
  const uint32_t tiles = (N + D - 1) / D, steps = (K + D - 1) / D;
  std::vector<uint32_t> out(size_t(M) * N);
  for (uint32_t j = 0; j < tiles; ++j) {
    std::vector<uint32_t> acc(size_t(M) * D, 0);
    for (uint32_t i = 0; i < M && c; ++i) {
      for (int l = 0; l < D; ++l) acc[i * D + l] = j * D + l < N ? (*c)[i * N + j * D + l] : 0;
    }
    for (uint32_t s = 0; s < steps; ++s) {
      std::vector<uint16_t> w(size_t(D) * D, 0), act(size_t(M) * D, 0);
      for (int k = 0; k < D; ++k) {
        for (int n = 0; n < D; ++n) {
          const uint32_t kk = s * D + k, nn = j * D + n;
          if (kk < K && nn < N) w[k * D + n] = b[kk * N + nn];
        }
      }
      for (uint32_t i = 0; i < M; ++i) {
        for (int k = 0; k < D; ++k) {
          if (s * D + k < K) act[i * D + k] = a[i * K + s * D + k];
        }
      }
      const auto rows = mmu_tile(D, mmu_cfg(mdt(dt), false), w, act);
      for (uint32_t i = 0; i < M; ++i) {
        for (int l = 0; l < D; ++l) {
          uint32_t& x = acc[i * D + l];
          if (j * D + l < N) *flags |= rows[i].flags[l];  // the chip masks padding columns
          if (s == 0 && !c) {
            x = rows[i].data[l];
          } else if (dt == isa::Dtype::kInt8) {
            x += rows[i].data[l];
          } else {
            const Fp32Result r = fp32_add(x, rows[i].data[l]);
            *flags |= r.flags;
            x = r.bits;
          }
        }
      }
    }
    for (uint32_t i = 0; i < M; ++i) {
      for (int l = 0; l < D && j * D + l < N; ++l) out[i * N + j * D + l] = acc[i * D + l];
    }
  }
  return out;
}

TEST(GoldenGemm, MatchesMmuTilePasses) {
  std::mt19937_64 r(test::seed());
  const uint32_t sizes[] = {1, 3, 4, 5, 8, 9, 17, 31, 33};
  for (int D : {4, 8, 16}) {
    for (isa::Dtype dt : {isa::Dtype::kFp16, isa::Dtype::kBf16, isa::Dtype::kInt8}) {
      for (int rep = 0; rep < 6; ++rep) {
        const uint32_t M = sizes[r() % 9], N = sizes[r() % 9], K = sizes[r() % 9];
        const bool specials = rep == 5;
        const auto a = random_codes(r, dt, size_t(M) * K, specials);
        const auto b = random_codes(r, dt, size_t(K) * N, specials);
        std::vector<uint32_t> c(size_t(M) * N);
        for (auto& x : c)
          x = dt == isa::Dtype::kInt8 ? uint32_t(r()) : 0x3f000000u + (r() & 0xffff);
        const bool with_c = rep % 2 == 1;
        GemmSpec s;
        s.dim = D;
        s.dtype = mdt(dt);
        s.m = M;
        s.n = N;
        s.k = K;
        s.a = a.data();
        s.b = b.data();
        s.c = with_c ? c.data() : nullptr;
        const GemmResult g = gemm(s);
        uint8_t flags = 0;
        const auto t = by_tiles(D, dt, M, N, K, a, b, with_c ? &c : nullptr, &flags);
        ASSERT_EQ(g.acc, t) << "D=" << D << " M=" << M << " N=" << N << " K=" << K;
        if (dt != isa::Dtype::kInt8) {
          EXPECT_EQ(g.flags, flags);
        } else {
          EXPECT_EQ(g.flags, 0);
        }
      }
    }
  }
}

TEST(GoldenGemm, TransposesAreStorageOnly) {
  std::mt19937_64 r(test::seed());
  const uint32_t M = 13, N = 19, K = 37;
  for (isa::Dtype dt : {isa::Dtype::kFp16, isa::Dtype::kBf16, isa::Dtype::kInt8}) {
    const auto a = random_codes(r, dt, size_t(M) * K, false);
    const auto b = random_codes(r, dt, size_t(K) * N, false);
    std::vector<uint16_t> at(a.size()), bt(b.size());
    for (uint32_t i = 0; i < M; ++i) {
      for (uint32_t k = 0; k < K; ++k) at[k * M + i] = a[i * K + k];
    }
    for (uint32_t k = 0; k < K; ++k) {
      for (uint32_t j = 0; j < N; ++j) bt[j * K + k] = b[k * N + j];
    }
    GemmSpec s;
    s.dim = 8;
    s.dtype = mdt(dt);
    s.m = M;
    s.n = N;
    s.k = K;
    s.a = a.data();
    s.b = b.data();
    const GemmResult ref = gemm(s);
    s.a_trans = true;
    s.a = at.data();
    EXPECT_EQ(gemm(s).acc, ref.acc);
    s.b_trans = true;
    s.b = bt.data();
    EXPECT_EQ(gemm(s).acc, ref.acc);
    s.a_trans = false;
    s.a = a.data();
    EXPECT_EQ(gemm(s).acc, ref.acc);
  }
}

TEST(GoldenGemm, WithinOpenBlasBoundAndIntegersExact) {
  std::mt19937_64 r(test::seed());
  for (uint32_t K : {1u, 16u, 17u, 100u, 513u}) {
    const uint32_t M = 7, N = 23;
    for (isa::Dtype dt : {isa::Dtype::kFp16, isa::Dtype::kBf16, isa::Dtype::kInt8}) {
      const auto a = random_codes(r, dt, size_t(M) * K, false);
      const auto b = random_codes(r, dt, size_t(K) * N, false);
      GemmSpec s;
      s.dim = 16;
      s.dtype = mdt(dt);
      s.m = M;
      s.n = N;
      s.k = K;
      s.a = a.data();
      s.b = b.data();
      const GemmResult g = gemm(s);
      if (dt == isa::Dtype::kInt8) {
        std::vector<int8_t> ai(a.size()), bi(b.size());
        for (size_t i = 0; i < a.size(); ++i) ai[i] = int8_t(a[i]);
        for (size_t i = 0; i < b.size(); ++i) bi[i] = int8_t(b[i]);
        const auto ref = ref::int_gemm(M, N, K, false, false, ai, bi, nullptr);
        for (size_t i = 0; i < ref.size(); ++i) ASSERT_EQ(int32_t(g.acc[i]), ref[i]) << i;
        continue;
      }
      ref::GemmInputs in;
      in.m = M;
      in.n = N;
      in.k = K;
      const auto e = dt == isa::Dtype::kFp16 ? ref::Elem::kFp16 : ref::Elem::kBf16;
      in.a = ref::widen(e, a);
      in.b = ref::widen(e, b);
      const ref::GemmRef br = ref::blas_gemm(in);
      const ref::BoundCheck chk = ref::check_bound(br, 0, test::words_to_bytes(g.acc));
      EXPECT_EQ(chk.violations, 0u) << chk.first << " K=" << K;
    }
  }
}

TEST(GoldenGemm, SignedZeroFollowsTheOrder) {
  // Every product -0 (A = -0, B = +1): a step's sum stays -0. With K a multiple of Dim
  // the result is -0; with padding the zero lanes add +0 products and the sum becomes +0.
  const int D = 4;
  for (uint32_t K : {4u, 8u, 3u, 5u}) {
    std::vector<uint16_t> a(K, 0x8000), b(K, 0x3c00);  // FP16 -0 and 1.0
    GemmSpec s;
    s.dim = D;
    s.dtype = MmuDtype::kFp16;
    s.m = 1;
    s.n = 1;
    s.k = K;
    s.a = a.data();
    s.b = b.data();
    const uint32_t got = gemm(s).acc[0];
    EXPECT_EQ(got, K % D == 0 ? 0x80000000u : 0u) << "K=" << K;
  }
}

TEST(GoldenGemm, PaddingColumnsRaiseNoFlags) {
  // A = +Inf, B = 1: the real column gives Inf (no flag); the array's padding columns
  // compute Inf*0 = NaN (NV), which the chip masks. With B = 0 the real column is NaN: NV.
  for (uint16_t bv : {uint16_t(0x3c00), uint16_t(0x0000)}) {
    const std::vector<uint16_t> a{0x7c00}, b{bv};
    GemmSpec s;
    s.dim = 4;
    s.dtype = MmuDtype::kFp16;
    s.m = s.n = s.k = 1;
    s.a = a.data();
    s.b = b.data();
    const GemmResult g = gemm(s);
    EXPECT_EQ(g.acc[0], bv ? 0x7f800000u : 0x7fc00000u);
    EXPECT_EQ(g.flags, bv ? 0 : kFlagNv) << "B=" << bv;
  }
}

TEST(GoldenGemm, OutputConversions) {
  const std::vector<uint32_t> acc{0x3f800000u, 0x7f7fffffu, 0x00000001u, 0x7fa00000u};
  uint8_t flags = 0;
  const auto h = gemm_output(acc, OutFormat::kFp16, {}, &flags);
  ASSERT_EQ(h.size(), 8u);
  EXPECT_EQ(h[0] | (h[1] << 8), 0x3c00);  // 1.0
  EXPECT_EQ(h[2] | (h[3] << 8), 0x7c00);  // overflow to Inf
  EXPECT_EQ(h[4] | (h[5] << 8), 0x0000);  // underflow to 0
  EXPECT_EQ(h[6] | (h[7] << 8), 0x7e00);  // canonical NaN (from sNaN: NV)
  EXPECT_EQ(flags, kFlagNv | kFlagOf | kFlagUf | kFlagNx);
  const std::vector<uint32_t> ints{100u, uint32_t(-100), 0x7fffffffu};
  Requant rq{1 << 30, -1, 3};  // x * 0.5 / 2 + 3
  const auto q = gemm_output(ints, OutFormat::kInt8, rq, nullptr);
  EXPECT_EQ(int8_t(q[0]), 28);
  EXPECT_EQ(int8_t(q[1]), -22);
  EXPECT_EQ(int8_t(q[2]), 127);
  EXPECT_THROW(gemm_output(ints, OutFormat::kInt8, Requant{1, 31, 0}, nullptr),
               std::invalid_argument);
}

}  // namespace
}  // namespace tessera::golden
