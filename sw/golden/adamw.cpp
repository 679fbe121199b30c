// SPDX-License-Identifier: Apache-2.0
#include "tessera/golden/adamw.hpp"

namespace tessera::golden {
namespace {

uint32_t widen_grad(const AdamWScalarBits& s, uint32_t grad) {
  if (s.grad_fmt == GradFmt::kFp32) return grad;
  const Fmt16 f = s.grad_fmt == GradFmt::kBf16 ? Fmt16::kBf16 : Fmt16::kFp16;
  return fp_widen(f, uint16_t(grad)).bits;  // exact; its flags are not counted
}

// Applies one operation and collects its flags.
struct Acc {
  uint8_t flags = 0;
  uint32_t operator()(Fp32Result r) {
    flags |= r.flags;
    return r.bits;
  }
};

}  // namespace

AdamWElement adamw_element(const AdamWScalarBits& s, uint32_t grad, uint32_t p, uint32_t m,
                           uint32_t v) {
  Acc op;
  const uint32_t g = op(fp32_mul(widen_grad(s, grad), s.inv_loss_scale));
  const uint32_t pd = s.decay_enabled ? op(fp32_mul(p, s.decay)) : p;
  const uint32_t t3 = op(fp32_mul(v, s.b2));
  const uint32_t t1 = op(fp32_sub(g, m));
  const uint32_t t4 = op(fp32_mul(s.one_minus_b2, g));
  const uint32_t t2 = op(fp32_mul(s.one_minus_b1, t1));
  const uint32_t t5 = op(fp32_mul(t4, g));
  const uint32_t mn = op(fp32_add(m, t2));
  const uint32_t vn = op(fp32_add(t3, t5));
  const uint32_t sq = op(fp32_sqrt(vn));
  const uint32_t q = op(fp32_div(sq, s.bc2_sqrt));
  const uint32_t d = op(fp32_add(q, s.eps));
  const uint32_t r = op(fp32_div(mn, d));
  const uint32_t u = op(fp32_mul(s.neg_step, r));
  const uint32_t pn = op(fp32_add(pd, u));
  return {pn, mn, vn, fp_narrow(s.p16_fmt, pn).bits, op.flags};
}

AdamWScan adamw_scan(const AdamWScalarBits& s, uint32_t grad) {
  Acc op;
  const uint32_t g = op(fp32_mul(widen_grad(s, grad), s.inv_loss_scale));
  const uint32_t gsq = op(fp32_mul(g, g));
  return {g, gsq, (g & 0x7f800000u) == 0x7f800000u, op.flags};
}

void AdamWSumSq::add(uint64_t i, uint32_t gsq) {
  uint32_t& a = acc_[i % acc_.size()];
  a = fp32_add(a, gsq).bits;
}

uint32_t AdamWSumSq::sumsq() const {
  uint32_t s = acc_[0];
  for (std::size_t l = 1; l < acc_.size(); ++l) s = fp32_add(s, acc_[l]).bits;
  return s;
}

}  // namespace tessera::golden
