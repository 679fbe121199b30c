// SPDX-License-Identifier: Apache-2.0
// Order-matched model of rtl/mmu (ts_mmu): one weight tile applied to a block of activation rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tessera/golden/arith.hpp"

namespace tessera::golden {

// Data type codes and configuration bits of ts_mmu_pkg.
enum class MmuDtype : uint8_t { kFp16 = 0, kBf16 = 1, kInt8 = 2, kBad = 3 };
constexpr uint8_t kMmuCfgWTrans = 1u << 2;  // stream rows are rows of W^T
constexpr uint8_t kMmuCfgATrans = 1u << 3;  // activation rows are rows of A^T, groups of dim
// Error codes (err_code_o). 2 (formerly "transposed activations refused") is unused.
enum MmuErr : uint8_t { kMmuErrNone = 0, kMmuErrDtype = 1, kMmuErrAGroup = 3 };

inline uint8_t mmu_cfg(MmuDtype dt, bool w_trans, bool a_trans = false) {
  return uint8_t(uint8_t(dt) | (w_trans ? kMmuCfgWTrans : 0) | (a_trans ? kMmuCfgATrans : 0));
}
// Error code ts_mmu reports for a tile configuration (kMmuErrNone: legal).
MmuErr mmu_cfg_error(uint8_t cfg);
// Error code for a whole tile of `a_rows` activation rows: the configuration error, else
// kMmuErrAGroup when transposed activations do not fill whole groups of dim rows (a_last
// inside a group; the unit completes that group with +0 rows).
MmuErr mmu_tile_error(int dim, uint8_t cfg, size_t a_rows);

// Result of one activation row: Dim FP32 / INT32 sums and the IEEE flags of each.
struct MmuRow {
  std::vector<uint32_t> data;
  std::vector<uint8_t> flags;
  bool last = false;
};

// ts_mmu for one weight tile. w: Dim stream rows of Dim 16-bit lanes (row-major, as on
// w_data_i); a: rows of Dim lanes, as on a_data_i. Returns one row per activation row, or
// nothing when the configuration is illegal (the unit refuses such tiles and their rows).
// Transposed activations (kMmuCfgATrans): the rows form groups of dim; row i lane l of a
// group is A[m = l][k = i]; each group yields dim rows m = 0..dim-1, computed exactly as
// the normal-mode rows A[m][.] (same order). A short last group is padded with +0 rows.
// Order: out[m][n] = (((-0 + p0) + p1) + ...) + p(Dim-1), p_k = a[m][k] * W[k][n] formed
// by fp_mul16, each + by fp32_add (RNE); INT8 uses int8_mac from 0. Flags: OR over the
// column of every product's and every add's flags.
std::vector<MmuRow> mmu_tile(int dim, uint8_t cfg, const std::vector<uint16_t>& w,
                             const std::vector<uint16_t>& a);

}  // namespace tessera::golden
