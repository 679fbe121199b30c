// SPDX-License-Identifier: Apache-2.0
// Independent whole-GEMM references: OpenBLAS cblas_dgemm on exactly widened inputs with
// the gamma_K error bound, and exact integer GEMM for INT8. No code shared with sw/golden.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::ref {

enum class Elem : uint8_t { kFp16 = 0, kBf16 = 1, kInt8 = 2 };

// Exact widening of stored 16-bit codes (INT8: the low byte, signed) to double, through
// the host's _Float16 and MPFR references.
std::vector<double> widen(Elem e, const std::vector<uint16_t>& codes);

struct GemmInputs {
  uint32_t m = 0, n = 0, k = 0;
  bool a_trans = false, b_trans = false;  // stored K x M / N x K
  std::vector<double> a, b;               // stored layouts, dense row-major
  std::vector<double> c;                  // M x N to add, or empty
};

// val = op(A) op(B) + C and abs = |op(A)| |op(B)| + |C| in FP64 (cblas_dgemm).
struct GemmRef {
  std::vector<double> val, abs;
  uint64_t terms = 0;  // summands per element: K, plus 1 with C
};
GemmRef blas_gemm(const GemmInputs& in);

double gamma(uint64_t n);  // n u / (1 - n u), u = 2^-24

struct BoundCheck {
  uint64_t checked = 0, violations = 0;
  double worst = 0;   // largest |err| / bound seen
  std::string first;  // description of the first violation
};
// Checks M x N device outputs (host bytes, row-major) against the reference:
// format 0 (raw FP32): |out - val| <= gamma(terms) * abs;
// format 1/2 (FP16/BF16): the same plus the final rounding, u16 * (|val| + gamma*abs) and
// half the format's smallest subnormal; +-Inf accepted where |val| + bound overflows.
BoundCheck check_bound(const GemmRef& r, int format, const std::vector<uint8_t>& out);

// Exact INT8 GEMM (int64 sums) of stored INT8 values, plus C.
std::vector<int64_t> int_gemm(uint32_t m, uint32_t n, uint32_t k, bool a_trans, bool b_trans,
                              const std::vector<int8_t>& a, const std::vector<int8_t>& b,
                              const std::vector<int32_t>* c);

}  // namespace tessera::ref
