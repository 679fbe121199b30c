// SPDX-License-Identifier: Apache-2.0
// CommandStream: builds a command ring program and derives its dependency tokens from the
// SRAM rows and host bytes each command touches (VTA-style decoupled access-execute).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tessera/configs.hpp"
#include "tessera/isa.hpp"

namespace tessera {

// A 2-D host-memory region: `rows` rows of `bytes` bytes, `stride` bytes apart.
struct HostRegion {
  uint64_t addr = 0, stride = 0, rows = 1, bytes = 0;
};
// Exact for equal strides (or single rows); otherwise the hulls are compared.
bool regions_overlap(const HostRegion& a, const HostRegion& b);

// Commands are appended in ring order. For each one the stream finds the latest earlier
// command of every other queue that it conflicts with (read-after-write, write-after-read,
// write-after-write on a scratchpad row, an accumulator row or host bytes) and turns the
// need into tokens: the consumer pops, the producer pushes. Within a queue order is
// implicit. Because tokens are matched first-in first-out, a need already implied by an
// earlier command of the same queue is dropped, and the remaining needs are strictly
// increasing, so every producer pushes at most once per direction. LOAD and STORE are not
// neighbours: such a dependency is routed through the last GEMM before the consumer (that
// GEMM pops the store's/load's token and pushes one to the consumer). Every pop is matched
// by an earlier push in ring order, so executing in ring order never waits: the program
// cannot deadlock on the chip whatever the queue depths, and ends with all counters at 0.
class CommandStream {
 public:
  explicit CommandStream(const ChipConfig& cfg);

  // Append a command whose token flags are clear; throws std::invalid_argument if the
  // fetcher would refuse it (isa::check_command) and std::logic_error if a dependency
  // cannot be expressed (a LOAD/STORE dependency with no GEMM in between).
  size_t load(const isa::LoadCmd& c);
  size_t store(const isa::StoreCmd& c);
  size_t gemm(const isa::GemmCmd& c);
  // ADAMW (execute queue): reads the scalar block and g (STEP: also p, m, v), writes
  // (STEP) p, m, v and p16; ordered against LOADs and STOREs of the same host bytes.
  size_t adamw(const isa::AdamwCmd& c);
  // VEC (execute queue, docs/vec.md): reads A, B and the old s in the accumulator, writes
  // D (accumulator or scratchpad) and s.
  size_t vec(const isa::VecCmd& c);
  // Append a command exactly as given (tokens included), without checks or tracking.
  size_t raw(const isa::Words& w);

  size_t size() const { return words_.size(); }
  bool empty() const { return words_.empty(); }
  const std::vector<isa::Words>& words() const { return words_; }
  isa::Queue queue(size_t i) const { return queue_[i]; }

  // Executes the token flags one command at a time in ring order; throws std::logic_error
  // if a pop finds an empty counter, a counter would exceed 255, or one ends non-zero.
  void validate() const;

 private:
  struct RowRec {
    int64_t writer = -1;
    std::array<int64_t, 3> reader{{-1, -1, -1}};
  };
  struct Access {
    size_t cmd;
    HostRegion r;
  };
  struct Rows {  // rows r*stride + [0, width) from addr, for r < n
    uint64_t addr, n, stride, width;
  };

  size_t add(const isa::Words& w, isa::Queue q, const std::vector<Rows>& spad_rd,
             const std::vector<Rows>& spad_wr, const std::vector<Rows>& acc_rd,
             const std::vector<Rows>& acc_wr, const std::vector<HostRegion>& host_rd,
             const std::vector<HostRegion>& host_wr);
  void need_rows(std::vector<RowRec>& recs, const std::vector<Rows>& rows, bool write, int q,
                 std::array<int64_t, 3>& need) const;
  void mark_rows(std::vector<RowRec>& recs, const std::vector<Rows>& rows, bool write, int q,
                 size_t c);
  void add_edge(size_t consumer, size_t producer);

  ChipConfig cfg_;
  std::vector<isa::Words> words_;
  std::vector<isa::Queue> queue_;
  std::vector<RowRec> spad_, acc_;
  std::vector<Access> host_reads_, host_writes_;
  // satisfied_[consumer queue][producer queue]: latest producer already waited for, and
  // the consumer command that waits for it.
  std::array<std::array<int64_t, 3>, 3> satisfied_{}, satisfied_by_{};
  int64_t last_exec_ = -1;
};

}  // namespace tessera
