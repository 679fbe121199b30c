// SPDX-License-Identifier: Apache-2.0
// Order-matched model of ts_mmu: the same roundings in the same order as the PE column.
#include "tessera/golden/mmu.hpp"

#include <stdexcept>

namespace tessera::golden {

MmuErr mmu_cfg_error(uint8_t cfg) {
  if ((cfg & 3u) == uint8_t(MmuDtype::kBad)) return kMmuErrDtype;
  if (cfg & kMmuCfgATrans) return kMmuErrATrans;
  return kMmuErrNone;
}

std::vector<MmuRow> mmu_tile(int dim, uint8_t cfg, const std::vector<uint16_t>& w,
                             const std::vector<uint16_t>& a) {
  if (dim < 1 || w.size() != size_t(dim) * dim || a.size() % size_t(dim) != 0) {
    throw std::invalid_argument("mmu_tile: operand sizes do not match dim");
  }
  std::vector<MmuRow> out;
  if (mmu_cfg_error(cfg) != kMmuErrNone) return out;
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
