// SPDX-License-Identifier: Apache-2.0
// OpenBLAS (FP64) and exact-integer references for whole GEMMs.
#include "tessera/reference/gemm.hpp"

#include <cblas.h>

#include <cmath>
#include <cstring>
#include <sstream>

#include "tessera/reference/arith.hpp"

namespace tessera::ref {

std::vector<double> widen(Elem e, const std::vector<uint16_t>& codes) {
  std::vector<double> v(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    if (e == Elem::kInt8) {
      v[i] = double(int8_t(codes[i] & 0xffu));
      continue;
    }
    const Out o = e == Elem::kFp16 ? fp16_to_fp32(codes[i]) : bf16_to_fp32(codes[i]);
    float f;
    std::memcpy(&f, &o.bits, 4);
    v[i] = double(f);
  }
  return v;
}

GemmRef blas_gemm(const GemmInputs& in) {
  const int M = int(in.m), N = int(in.n), K = int(in.k);
  GemmRef r;
  r.terms = uint64_t(K) + (in.c.empty() ? 0 : 1);
  r.val = in.c.empty() ? std::vector<double>(size_t(M) * N, 0.0) : in.c;
  r.abs.resize(size_t(M) * N);
  for (size_t i = 0; i < r.abs.size(); ++i) r.abs[i] = std::fabs(r.val[i]);
  std::vector<double> aa(in.a.size()), ab(in.b.size());
  for (size_t i = 0; i < aa.size(); ++i) aa[i] = std::fabs(in.a[i]);
  for (size_t i = 0; i < ab.size(); ++i) ab[i] = std::fabs(in.b[i]);
  const auto ta = in.a_trans ? CblasTrans : CblasNoTrans;
  const auto tb = in.b_trans ? CblasTrans : CblasNoTrans;
  const int lda = in.a_trans ? M : K, ldb = in.b_trans ? K : N;
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, in.a.data(), lda, in.b.data(), ldb, 1.0,
              r.val.data(), N);
  cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, aa.data(), lda, ab.data(), ldb, 1.0,
              r.abs.data(), N);
  return r;
}

double gamma(uint64_t n) {
  const double u = std::ldexp(1.0, -24);
  return double(n) * u / (1.0 - double(n) * u);
}

BoundCheck check_bound(const GemmRef& r, int format, const std::vector<uint8_t>& out) {
  BoundCheck c;
  const double g = gamma(r.terms);
  const double u16 = format == 1 ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
  const double tiny = format == 1 ? std::ldexp(1.0, -24) : std::ldexp(1.0, -133);
  const double maxf = format == 1 ? 65504.0 : 3.3895313892515355e38;
  for (size_t i = 0; i < r.val.size(); ++i) {
    double got;
    if (format == 0) {
      uint32_t bits;
      std::memcpy(&bits, &out[4 * i], 4);
      float f;
      std::memcpy(&f, &bits, 4);
      got = double(f);
    } else {
      const uint16_t code = uint16_t(out[2 * i] | (out[2 * i + 1] << 8));
      const Out o = format == 1 ? fp16_to_fp32(code) : bf16_to_fp32(code);
      float f;
      std::memcpy(&f, &o.bits, 4);
      got = double(f);
    }
    double bound = g * r.abs[i];
    if (format != 0) bound += u16 * (std::fabs(r.val[i]) + bound) + tiny / 2;
    ++c.checked;
    bool ok;
    if (std::isinf(got) && format != 0) {
      ok = std::fabs(r.val[i]) + bound >= maxf && std::signbit(got) == std::signbit(r.val[i]);
    } else {
      const double err = std::fabs(got - r.val[i]);
      ok = err <= bound;  // false for NaN
      if (bound > 0) c.worst = std::max(c.worst, err / bound);
    }
    if (!ok) {
      if (c.violations == 0) {
        std::ostringstream os;
        os.precision(17);
        os << "element " << i << ": device " << got << ", reference " << r.val[i] << ", bound "
           << bound;
        c.first = os.str();
      }
      ++c.violations;
    }
  }
  return c;
}

std::vector<int64_t> int_gemm(uint32_t m, uint32_t n, uint32_t k, bool a_trans, bool b_trans,
                              const std::vector<int8_t>& a, const std::vector<int8_t>& b,
                              const std::vector<int32_t>* c) {
  std::vector<int64_t> r(size_t(m) * n, 0);
  for (uint32_t i = 0; i < m; ++i) {
    for (uint32_t j = 0; j < n; ++j) {
      int64_t s = c ? (*c)[size_t(i) * n + j] : 0;
      for (uint32_t x = 0; x < k; ++x) {
        const int64_t av = a_trans ? a[size_t(x) * m + i] : a[size_t(i) * k + x];
        const int64_t bv = b_trans ? b[size_t(j) * k + x] : b[size_t(x) * n + j];
        s += av * bv;
      }
      r[size_t(i) * n + j] = s;
    }
  }
  return r;
}

}  // namespace tessera::ref
