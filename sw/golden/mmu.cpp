// SPDX-License-Identifier: Apache-2.0
// Order-matched model of ts_mmu: the same roundings in the same order as the PE column.
#include "tessera/golden/mmu.hpp"

#include <stdexcept>

namespace tessera::golden {

MmuErr mmu_cfg_error(uint8_t cfg) {
  if ((cfg & 3u) == uint8_t(MmuDtype::kBad)) return kMmuErrDtype;
  return kMmuErrNone;
}

MmuErr mmu_tile_error(int dim, uint8_t cfg, size_t a_rows) {
  const MmuErr e = mmu_cfg_error(cfg);
  if (e != kMmuErrNone) return e;
  if ((cfg & kMmuCfgATrans) && a_rows % size_t(dim) != 0) return kMmuErrAGroup;
  return kMmuErrNone;
}

namespace {

// Transposed activation stream -> the rows the array computes: group g (dim stream rows,
// a short last one padded with +0) gives rows g*dim + m with lane k = stream row k lane m.
std::vector<uint16_t> mmu_untranspose(int dim, const std::vector<uint16_t>& a) {
  const size_t d = size_t(dim), rows = a.size() / d, groups = (rows + d - 1) / d;
  std::vector<uint16_t> out(groups * d * d, 0);
  for (size_t g = 0; g < groups; ++g)
    for (size_t k = 0; k < d && g * d + k < rows; ++k)
      for (size_t m = 0; m < d; ++m) out[(g * d + m) * d + k] = a[(g * d + k) * d + m];
  return out;
}

}  // namespace

std::vector<MmuRow> mmu_tile(int dim, uint8_t cfg, const std::vector<uint16_t>& w,
                             const std::vector<uint16_t>& a_stream) {
  if (dim < 1 || w.size() != size_t(dim) * dim || a_stream.size() % size_t(dim) != 0) {
    throw std::invalid_argument("mmu_tile: operand sizes do not match dim");
  }
  std::vector<MmuRow> out;
  if (mmu_cfg_error(cfg) != kMmuErrNone) return out;
  // Transposed activations change only which rows the array sees, not how they are summed.
  const std::vector<uint16_t> a =
      (cfg & kMmuCfgATrans) ? mmu_untranspose(dim, a_stream) : a_stream;
  const auto dt = MmuDtype(cfg & 3u);
  const bool trans = cfg & kMmuCfgWTrans;
  const Fmt16 fmt = dt == MmuDtype::kBf16 ? Fmt16::kBf16 : Fmt16::kFp16;
  // Stationary operand as held by PE(k, n).
  auto weight = [&](int k, int n) {
    return trans ? w[size_t(n) * dim + k] : w[size_t(k) * dim + n];
  };
  const size_t rows = a.size() / dim;
  out.resize(rows);
  for (size_t m = 0; m < rows; ++m) {
    MmuRow& r = out[m];
    r.data.assign(dim, 0);
    r.flags.assign(dim, 0);
    r.last = m + 1 == rows;
    for (int n = 0; n < dim; ++n) {
      if (dt == MmuDtype::kInt8) {
        int32_t acc = 0;
        for (int k = 0; k < dim; ++k) {
          acc = int8_mac(int8_t(a[m * dim + k] & 0xffu), int8_t(weight(k, n) & 0xffu), acc);
        }
        r.data[n] = uint32_t(acc);
        continue;
      }
      uint32_t sum = 0x80000000u;  // -0.0
      uint8_t flags = 0;
      for (int k = 0; k < dim; ++k) {
        const Fp32Result p = fp_mul16(fmt, a[m * dim + k], weight(k, n));
        const Fp32Result s = fp32_add(sum, p.bits);
        flags |= p.flags | s.flags;
        sum = s.bits;
      }
      r.data[n] = sum;
      r.flags[n] = flags;
    }
  }
  return out;
}

}  // namespace tessera::golden
