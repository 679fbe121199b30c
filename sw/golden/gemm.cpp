// SPDX-License-Identifier: Apache-2.0
// Whole-GEMM golden model: per element, the chip's k-step order with per-op roundings.
// Written element by element (not through mmu_tile) so that the functional device, which
// uses mmu_tile, is checked against an independent formulation of the same order.
#include "tessera/golden/gemm.hpp"

#include <stdexcept>

namespace tessera::golden {

GemmResult gemm(const GemmSpec& s) {
  if (s.dim < 1 || s.m == 0 || s.n == 0 || s.k == 0 || !s.a || !s.b) {
    throw std::invalid_argument("golden::gemm: empty problem or missing operand");
  }
  if (s.dtype == MmuDtype::kBad) throw std::invalid_argument("golden::gemm: dtype 3");
  const size_t D = size_t(s.dim);
  const size_t M = s.m, N = s.n, K = s.k;
  const size_t steps = (K + D - 1) / D, tiles = (N + D - 1) / D;
  const size_t Kp = steps * D, Np = tiles * D;
  // op(A) as M x Kp and op(B) as Kp x Np, zero beyond the matrix: the array sees +0 codes
  // there (LOAD zero-fills lanes, the execute unit feeds zero rows beyond K).
  std::vector<uint16_t> a(M * Kp, 0), b(Kp * Np, 0);
  for (size_t i = 0; i < M; ++i) {
    for (size_t k = 0; k < K; ++k) a[i * Kp + k] = s.a_trans ? s.a[k * M + i] : s.a[i * K + k];
  }
  for (size_t k = 0; k < K; ++k) {
    for (size_t j = 0; j < N; ++j) b[k * Np + j] = s.b_trans ? s.b[j * K + k] : s.b[k * N + j];
  }
  GemmResult r;
  r.acc.assign(M * N, 0);
  const bool is_int = s.dtype == MmuDtype::kInt8;
  const Fmt16 fmt = s.dtype == MmuDtype::kBf16 ? Fmt16::kBf16 : Fmt16::kFp16;
  uint8_t flags = 0;
  for (size_t i = 0; i < M; ++i) {
    const uint16_t* ai = &a[i * Kp];
    // Real columns only: the chip masks the array's flags of padding columns (>= N), and
    // the accumulator adds of those lanes see only zeros and quiet NaNs (no flags).
    for (size_t j = 0; j < N; ++j) {
      uint32_t acc = s.c ? s.c[i * N + j] : 0u;
      for (size_t st = 0; st < steps; ++st) {
        uint32_t t;
        if (is_int) {
          int32_t v = 0;
          for (size_t kk = st * D; kk < st * D + D; ++kk) {
            v = int8_mac(int8_t(ai[kk] & 0xffu), int8_t(b[kk * Np + j] & 0xffu), v);
          }
          t = uint32_t(v);
        } else {
          t = 0x80000000u;  // -0.0
          for (size_t kk = st * D; kk < st * D + D; ++kk) {
            const Fp32Result p = fp_mul16(fmt, ai[kk], b[kk * Np + j]);
            const Fp32Result q = fp32_add(t, p.bits);
            flags |= p.flags | q.flags;
            t = q.bits;
          }
        }
        if (st == 0 && !s.c) {
          acc = t;
        } else if (is_int) {
          acc = acc + t;  // wrapping INT32
        } else {
          const Fp32Result q = fp32_add(acc, t);
          flags |= q.flags;
          acc = q.bits;
        }
      }
      r.acc[i * N + j] = acc;
    }
  }
  r.flags = is_int ? 0 : flags;
  return r;
}

std::vector<uint8_t> gemm_output(const std::vector<uint32_t>& acc, OutFormat format,
                                 const Requant& rq, uint8_t* flags) {
  std::vector<uint8_t> out;
  uint8_t fl = 0;
  switch (format) {
    case OutFormat::kRaw:
      out.resize(acc.size() * 4);
      for (size_t i = 0; i < acc.size(); ++i) {
        for (int b = 0; b < 4; ++b) out[4 * i + b] = uint8_t(acc[i] >> (8 * b));
      }
      break;
    case OutFormat::kFp16:
    case OutFormat::kBf16: {
      const Fmt16 f = format == OutFormat::kBf16 ? Fmt16::kBf16 : Fmt16::kFp16;
      out.resize(acc.size() * 2);
      for (size_t i = 0; i < acc.size(); ++i) {
        const Fp16Result h = fp_narrow(f, acc[i]);
        fl |= h.flags;
        out[2 * i] = uint8_t(h.bits);
        out[2 * i + 1] = uint8_t(h.bits >> 8);
      }
      break;
    }
    case OutFormat::kInt8:
      out.resize(acc.size());
      for (size_t i = 0; i < acc.size(); ++i) {
        const RequantResult q =
            int_requant(int32_t(acc[i]), rq.mult, rq.shift, rq.zero_point, -128, 127);
        if (q.err) throw std::invalid_argument("golden::gemm_output: shift outside [-31, 30]");
        out[i] = uint8_t(q.q);
      }
      break;
  }
  if (flags) *flags |= fl;
  return out;
}

}  // namespace tessera::golden
