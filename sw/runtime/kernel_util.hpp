// SPDX-License-Identifier: Apache-2.0
// Internal helpers shared by the runtime's vector kernels (vec_ops.cpp, nn_ops.cpp,
// attention.cpp): argument errors, accumulator blocking, LOAD/STORE/VEC builders, scratch
// buffers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/runtime.hpp"

namespace tessera::kernel {

[[noreturn]] inline void bad(const char* op, const std::string& m) {
  throw std::invalid_argument(std::string(op) + ": " + m);
}

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Rows of one accumulator half that a block of `rb` logical rows of `w` accumulator rows
// each needs, plus `vectors` per-row vectors (ceil(rb / dim) rows each).
inline uint64_t half_rows_needed(uint64_t rb, uint64_t w, uint64_t vectors, uint64_t dim) {
  return rb * w + vectors * ((rb + dim - 1) / dim);
}

// The largest block of rows (<= rows, <= 65535) that fits one accumulator half.
inline uint32_t rows_per_block(const ChipConfig& cfg, uint32_t rows, uint64_t w, uint64_t vectors) {
  const uint64_t half = cfg.acc_rows / 2;
  uint64_t lo = 0, hi = std::min<uint64_t>(rows, 65535);
  while (lo < hi) {  // largest rb with half_rows_needed(rb) <= half
    const uint64_t mid = (lo + hi + 1) / 2;
    if (half_rows_needed(mid, w, vectors, cfg.dim) <= half) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return uint32_t(lo);
}

inline bool overlaps(const Buffer& x, uint64_t xn, const Buffer& y, uint64_t yn) {
  return x.addr < uint64_t(y.addr) + yn && y.addr < uint64_t(x.addr) + xn;
}

// The vector unit's presence (and its dividers when `divsqrt`), shape and output format
// checks shared by the row kernels.
inline void check_rows_kernel(const char* op, bool vec, bool divsqrt, const std::string& backend,
                       uint32_t rows, uint32_t cols, uint32_t max_cols, isa::StoreFormat out) {
  if (!vec) bad(op, "the device has no vector unit (CFG_DIM.vec = 0, " + backend + " backend)");
  if (!divsqrt) bad(op, "the device's vector unit has no RECIP/RSQRT (CFG_DIM.vec_divsqrt = 0)");
  if (rows == 0 || cols == 0) bad(op, "rows and cols must be at least 1");
  if (cols > max_cols) {
    bad(op, "cols = " + std::to_string(cols) + " exceeds " + std::to_string(max_cols) +
                " (one row must fit an accumulator half)");
  }
  if (out != isa::StoreFormat::kRaw && out != isa::StoreFormat::kFp16 &&
      out != isa::StoreFormat::kBf16) {
    bad(op, "the output format must be raw FP32, FP16 or BF16");
  }
}

inline isa::VecCmd vec_cmd(uint8_t op1, uint8_t bsrc, uint32_t a, uint32_t b, uint32_t d,
                    uint32_t rows, uint32_t cols, uint32_t stride) {
  isa::VecCmd v;
  v.op1 = op1;
  v.bsrc = bsrc;
  v.a_addr = a;
  v.b_addr = b;
  v.d_addr = d;
  v.rows = uint16_t(rows);
  v.cols = uint16_t(cols);
  v.stride = uint16_t(stride);
  v.dst = isa::vec::kAcc;
  return v;
}

inline isa::LoadCmd load_acc(uint64_t host, uint32_t rows, uint32_t bytes, uint32_t stride,
                      uint32_t acc) {
  isa::LoadCmd ld;
  ld.to_acc = true;
  ld.dram_addr = uint32_t(host);
  ld.stride = stride;
  ld.rows = uint16_t(rows);
  ld.bytes = uint16_t(bytes);
  ld.sram_addr = acc;
  return ld;
}

inline isa::StoreCmd store_acc(uint64_t host, uint32_t rows, uint32_t cols, uint32_t stride,
                        uint32_t acc, isa::StoreFormat f) {
  isa::StoreCmd st;
  st.format = f;
  st.dram_addr = uint32_t(host);
  st.stride = stride;
  st.rows = uint16_t(rows);
  st.cols = uint16_t(cols);
  st.acc_addr = acc;
  return st;
}

// Releases scratch buffers of one call, whatever happens.
class Scratch {
 public:
  explicit Scratch(Runtime& rt) : rt_(rt) {}
  ~Scratch() {
    for (const Buffer& b : bufs_) rt_.free(b);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  Buffer alloc(size_t bytes) {
    bufs_.push_back(rt_.alloc(bytes));
    return bufs_.back();
  }

 private:
  Runtime& rt_;
  std::vector<Buffer> bufs_;
};

}  // namespace tessera::kernel
