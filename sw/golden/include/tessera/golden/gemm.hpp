// SPDX-License-Identifier: Apache-2.0
// Order-matched model of a whole GEMM command as the chip defines it (docs/isa.md "Order
// of work", docs/numerics.md "Whole GEMM"), independent of how the host tiles it.
#pragma once

#include <cstdint>
#include <vector>

#include "tessera/golden/arith.hpp"
#include "tessera/golden/mmu.hpp"

namespace tessera::golden {

// STORE output conversion (same codes as the STORE `format` field).
enum class OutFormat : uint8_t { kRaw = 0, kFp16 = 1, kBf16 = 2, kInt8 = 3 };

// Per-tensor INT32 -> INT8 requantisation parameters (TFLite; see int_requant).
struct Requant {
  int32_t mult = 1 << 30;
  int shift = 0;
  int32_t zero_point = 0;
};

struct GemmSpec {
  int dim = 16;                      // array side Dim
  MmuDtype dtype = MmuDtype::kFp16;  // kFp16, kBf16 or kInt8
  uint32_t m = 0, n = 0, k = 0;
  bool a_trans = false;         // a is stored K x M (else M x K), row-major, dense
  bool b_trans = false;         // b is stored N x K (else K x N), row-major, dense
  const uint16_t* a = nullptr;  // 16-bit codes; INT8: the value in the low byte
  const uint16_t* b = nullptr;
  const uint32_t* c = nullptr;  // M x N raw FP32/INT32 to accumulate into; null: overwrite
};

struct GemmResult {
  std::vector<uint32_t> acc;  // M x N final accumulator values (FP32 bits or INT32)
  // Sticky OR of the IEEE flags the chip raises for this GEMM: every product and add of
  // the array for the real elements (rows < M, columns < N; padding columns are computed
  // but their flags are masked, e.g. Inf*0 = NaN in a column >= N raises nothing) and
  // every accumulator add. INT8: 0.
  uint8_t flags = 0;
};

// C (+)= op(A) op(B), bit for bit as the chip computes it. Per element (i, j), with
// S = ceil(K / Dim) steps of Dim values of k and zero operands beyond K:
//   t_s = ((-0 + p(sDim)) + p(sDim+1)) + ... + p(sDim+Dim-1),  p(k) = fp_mul16(A[i][k], B[k][j])
//   acc = t_0 (or fp32_add(C[i][j], t_0) when accumulating), then acc = fp32_add(acc, t_s)
//   for s = 1 .. S-1; INT8: int8_mac from 0 and wrapping INT32 adds.
GemmResult gemm(const GemmSpec& spec);

// STORE conversion of an M x N accumulator image to host bytes (row-major, dense):
// raw: 4-byte little-endian words; FP16/BF16: fp_narrow (flags ORed into *flags);
// INT8: int_requant with [-128, 127] (a shift outside [-31, 30] throws).
std::vector<uint8_t> gemm_output(const std::vector<uint32_t>& acc, OutFormat format,
                                 const Requant& rq, uint8_t* flags);

}  // namespace tessera::golden
