// SPDX-License-Identifier: Apache-2.0
// Dependency tracking and token assignment for command ring programs.
#include "tessera/command_stream.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace tessera {

using isa::Queue;

namespace {

int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

std::string where(size_t i, const isa::Words& w) {
  return "command " + std::to_string(i) + " (" + isa::describe(w) + ")";
}

}  // namespace

bool regions_overlap(const HostRegion& a, const HostRegion& b) {
  if (a.rows == 0 || b.rows == 0 || a.bytes == 0 || b.bytes == 0) return false;
  const uint64_t a_hi = a.addr + (a.rows - 1) * a.stride + a.bytes;
  const uint64_t b_hi = b.addr + (b.rows - 1) * b.stride + b.bytes;
  if (a_hi <= b.addr || b_hi <= a.addr) return false;
  if (a.rows == 1 && b.rows == 1) return true;
  if (a.rows > 1 && b.rows > 1 && a.stride != b.stride) return true;  // conservative
  const int64_t s = int64_t(a.rows > 1 ? a.stride : b.stride);
  if (s == 0) return true;
  // Row r of a meets row r' of b iff (r - r') * s lies in (d - a.bytes, d + b.bytes).
  const int64_t d = int64_t(b.addr) - int64_t(a.addr);
  const int64_t t_min =
      std::max<int64_t>(floor_div(d - int64_t(a.bytes), s) + 1, -(int64_t(b.rows) - 1));
  const int64_t t_max =
      std::min<int64_t>(-floor_div(-(d + int64_t(b.bytes)), s) - 1, int64_t(a.rows) - 1);
  return t_min <= t_max;
}

CommandStream::CommandStream(const ChipConfig& cfg)
    : cfg_(cfg), spad_(cfg.spad_rows), acc_(cfg.acc_rows) {
  for (auto& r : satisfied_) r.fill(-1);
  for (auto& r : satisfied_by_) r.fill(-1);
}

size_t CommandStream::raw(const isa::Words& w) {
  words_.push_back(w);
  const uint32_t op = isa::opcode_of(w);
  queue_.push_back(op >= 1 && op <= 4 ? isa::queue_of(isa::Opcode(op)) : Queue::kExec);
  return words_.size() - 1;
}

size_t CommandStream::load(const isa::LoadCmd& c) {
  const uint32_t esz = c.to_acc ? 4 : c.expand8 ? 1 : 2;
  const uint64_t per_row = isa::ceil_div(c.bytes, cfg_.dim * esz);
  const std::vector<Rows> rows{{c.sram_addr, 1, 0, uint64_t(c.rows) * per_row}};
  const HostRegion h{c.dram_addr, c.stride, c.rows, c.bytes};
  return add(c.encode(), Queue::kLoad, {}, c.to_acc ? std::vector<Rows>{} : rows, {},
             c.to_acc ? rows : std::vector<Rows>{}, {h}, {});
}

size_t CommandStream::store(const isa::StoreCmd& c) {
  const uint64_t per_row = isa::ceil_div(c.cols, cfg_.dim);
  const HostRegion h{c.dram_addr, c.stride, c.rows, uint64_t(c.cols) * isa::format_bytes(c.format)};
  return add(c.encode(), Queue::kStore, {}, {}, {{c.acc_addr, 1, 0, uint64_t(c.rows) * per_row}},
             {}, {}, {h});
}

size_t CommandStream::gemm(const isa::GemmCmd& c) {
  const uint32_t D = cfg_.dim;
  const Rows a{c.a_addr, c.a_trans ? c.k : c.m, c.a_stride,
               isa::ceil_div(c.a_trans ? c.m : c.k, D)};
  const Rows b{c.b_addr, c.b_trans ? c.n : c.k, c.b_stride,
               isa::ceil_div(c.b_trans ? c.k : c.n, D)};
  const Rows acc{c.c_addr, c.m, c.c_stride, isa::ceil_div(c.n, D)};
  return add(c.encode(), Queue::kExec, {a, b}, {}, {acc}, {acc}, {}, {});
}

size_t CommandStream::adamw(const isa::AdamwCmd& c) {
  // Host ranges as the unit accesses them (docs/isa.md "ADAMW"); words a mode ignores
  // are not accesses. A skipped STEP touches nothing, but whether it is skipped is known
  // only on the chip: its ranges count.
  const uint64_t n = c.n;
  std::vector<HostRegion> rd{{c.scalars_addr, 0, 1, isa::kAdamwScalarBytes},
                             {c.g_addr, 0, 1, n * isa::grad_bytes(c.gfmt)}};
  std::vector<HostRegion> wr;
  if (c.step) {
    for (uint32_t a : {c.p_addr, c.m_addr, c.v_addr}) {
      rd.push_back({a, 0, 1, 4 * n});
      wr.push_back({a, 0, 1, 4 * n});
    }
    if (c.p16) wr.push_back({c.p16_addr, 0, 1, 2 * n});
  }
  return add(c.encode(), Queue::kExec, {}, {}, {}, {}, rd, wr);
}

size_t CommandStream::vec(const isa::VecCmd& c) {
  // docs/vec.md: A (and B) read, D written (accumulator or scratchpad), the s rows read
  // and written (a read-modify-write: lanes r >= rows keep their contents).
  const uint32_t D = cfg_.dim;
  const uint64_t w = isa::ceil_div(c.cols, D), srows = isa::ceil_div(c.rows, D);
  std::vector<Rows> acc_rd{{c.a_addr, c.rows, c.stride, w}}, acc_wr, spad_wr;
  if (c.op1 != isa::vec::kPass && c.bsrc != isa::vec::kImm) {
    if (c.bsrc == isa::vec::kMat) acc_rd.push_back({c.b_addr, c.rows, c.stride, w});
    if (c.bsrc == isa::vec::kRow) acc_rd.push_back({c.b_addr, 1, 0, srows});
    if (c.bsrc == isa::vec::kCol) acc_rd.push_back({c.b_addr, 1, 0, w});
  }
  if (c.dst == isa::vec::kAcc) acc_wr.push_back({c.d_addr, c.rows, c.stride, w});
  if (c.dst == isa::vec::kSpadFp16 || c.dst == isa::vec::kSpadBf16) {
    spad_wr.push_back({c.d_addr, c.rows, c.stride, w});
  }
  if (c.red != isa::vec::kNoRed) {
    acc_rd.push_back({c.r_addr, 1, 0, srows});
    acc_wr.push_back({c.r_addr, 1, 0, srows});
  }
  return add(c.encode(), Queue::kExec, {}, spad_wr, acc_rd, acc_wr, {}, {});
}

void CommandStream::need_rows(std::vector<RowRec>& recs, const std::vector<Rows>& rows, bool write,
                              int q, std::array<int64_t, 3>& need) const {
  for (const Rows& r : rows) {
    for (uint64_t i = 0; i < r.n; ++i) {
      for (uint64_t x = r.addr + i * r.stride, e = x + r.width; x < e; ++x) {
        const RowRec& rec = recs[x];
        if (rec.writer >= 0) {
          const int wq = int(queue_[size_t(rec.writer)]);
          if (wq != q) need[wq] = std::max(need[wq], rec.writer);
        }
        if (write) {
          for (int p = 0; p < 3; ++p) {
            if (p != q) need[p] = std::max(need[p], rec.reader[p]);
          }
        }
      }
    }
  }
}

void CommandStream::mark_rows(std::vector<RowRec>& recs, const std::vector<Rows>& rows, bool write,
                              int q, size_t c) {
  for (const Rows& r : rows) {
    for (uint64_t i = 0; i < r.n; ++i) {
      for (uint64_t x = r.addr + i * r.stride, e = x + r.width; x < e; ++x) {
        RowRec& rec = recs[x];
        if (write) {
          rec.writer = int64_t(c);
          rec.reader.fill(-1);
        } else {
          rec.reader[q] = int64_t(c);
        }
      }
    }
  }
}

// The consumer waits for the producer (an earlier command of a neighbouring queue).
void CommandStream::add_edge(size_t consumer, size_t producer) {
  const int cq = int(queue_[consumer]), pq = int(queue_[producer]);
  if (int64_t(producer) <= satisfied_[cq][pq]) return;  // implied by an earlier wait
  const bool from_prev = pq < cq;
  uint32_t& cw = words_[consumer][0];
  const uint32_t pop = from_prev ? isa::kPopPrev : isa::kPopNext;
  const uint32_t push = from_prev ? isa::kPushNext : isa::kPushPrev;
  if (cw & pop) {
    // Only the routing GEMM (the newest command of its queue) can get a second need: wait
    // for the later producer instead, which implies the earlier one (in-order queue).
    const int64_t old = satisfied_[cq][pq];
    if (satisfied_by_[cq][pq] != int64_t(consumer) || old < 0) {
      throw std::logic_error("CommandStream: " + where(consumer, words_[consumer]) +
                             " would need two tokens from one queue");
    }
    words_[size_t(old)][0] &= ~push;
  }
  if (words_[producer][0] & push) {
    throw std::logic_error("CommandStream: " + where(producer, words_[producer]) +
                           " would push twice");
  }
  cw |= pop;
  words_[producer][0] |= push;
  satisfied_[cq][pq] = int64_t(producer);
  satisfied_by_[cq][pq] = int64_t(consumer);
}

size_t CommandStream::add(const isa::Words& w, Queue queue, const std::vector<Rows>& spad_rd,
                          const std::vector<Rows>& spad_wr, const std::vector<Rows>& acc_rd,
                          const std::vector<Rows>& acc_wr, const std::vector<HostRegion>& host_rd,
                          const std::vector<HostRegion>& host_wr) {
  const size_t c = words_.size();
  if (w[0] & isa::kTokenMask) {
    throw std::invalid_argument("CommandStream: token flags are assigned by the stream");
  }
  const isa::ErrCode e = isa::check_command(w, cfg_);
  if (e != isa::ErrCode::kNone) {
    throw std::invalid_argument("CommandStream: " + where(c, w) + " would be refused: " +
                                isa::err_name(e) + " (" + isa::err_description(e) + ")");
  }
  const int q = int(queue);
  std::array<int64_t, 3> need{{-1, -1, -1}};
  need_rows(spad_, spad_rd, false, q, need);
  need_rows(spad_, spad_wr, true, q, need);
  need_rows(acc_, acc_rd, false, q, need);
  need_rows(acc_, acc_wr, true, q, need);
  for (const HostRegion& r : host_rd) {
    for (const Access& a : host_writes_) {
      const int p = int(queue_[a.cmd]);
      if (p != q && regions_overlap(a.r, r)) need[p] = std::max(need[p], int64_t(a.cmd));
    }
  }
  for (const HostRegion& r : host_wr) {
    for (const auto* list : {&host_reads_, &host_writes_}) {
      for (const Access& a : *list) {
        const int p = int(queue_[a.cmd]);
        if (p != q && regions_overlap(a.r, r)) need[p] = std::max(need[p], int64_t(a.cmd));
      }
    }
  }
  words_.push_back(w);
  queue_.push_back(queue);
  for (int p = 0; p < 3; ++p) {
    if (need[p] < 0) continue;
    if (p == 1 || q == 1) {
      add_edge(c, size_t(need[p]));
      continue;
    }
    // LOAD <-> STORE: through the last GEMM before this command.
    if (last_exec_ < need[p]) {
      words_.pop_back();
      queue_.pop_back();
      throw std::logic_error("CommandStream: " + where(c, w) + " depends on " +
                             where(size_t(need[p]), words_[size_t(need[p])]) +
                             " with no GEMM between them to carry the token");
    }
    add_edge(size_t(last_exec_), size_t(need[p]));
    add_edge(c, size_t(last_exec_));
  }
  mark_rows(spad_, spad_rd, false, q, c);
  mark_rows(spad_, spad_wr, true, q, c);
  mark_rows(acc_, acc_rd, false, q, c);
  mark_rows(acc_, acc_wr, true, q, c);
  for (const HostRegion& r : host_rd) host_reads_.push_back({c, r});
  for (const HostRegion& r : host_wr) host_writes_.push_back({c, r});
  if (queue == Queue::kExec) last_exec_ = int64_t(c);
  return c;
}

void CommandStream::validate() const {
  std::array<int, 4> tok{};
  for (size_t i = 0; i < words_.size(); ++i) {
    const isa::Tokens t = isa::Tokens::from_bits(words_[i][0]);
    const Queue q = queue_[i];
    const int pop_prev = q == Queue::kExec    ? isa::kTokLtoE
                         : q == Queue::kStore ? isa::kTokEtoS
                                              : -1;
    const int pop_next = q == Queue::kLoad ? isa::kTokEtoL : q == Queue::kExec ? isa::kTokStoE : -1;
    const int push_prev = q == Queue::kExec    ? isa::kTokEtoL
                          : q == Queue::kStore ? isa::kTokStoE
                                               : -1;
    const int push_next = q == Queue::kLoad   ? isa::kTokLtoE
                          : q == Queue::kExec ? isa::kTokEtoS
                                              : -1;
    for (auto [flag, ctr] : {std::pair{t.pop_prev, pop_prev}, std::pair{t.pop_next, pop_next}}) {
      if (!flag) continue;
      if (ctr < 0 || tok[size_t(ctr)] == 0) {
        throw std::logic_error("CommandStream: " + where(i, words_[i]) +
                               " pops a token that no earlier command pushed");
      }
      --tok[size_t(ctr)];
    }
    for (auto [flag, ctr] :
         {std::pair{t.push_prev, push_prev}, std::pair{t.push_next, push_next}}) {
      if (!flag) continue;
      if (ctr < 0 || ++tok[size_t(ctr)] > int(isa::kTokenMax)) {
        throw std::logic_error("CommandStream: " + where(i, words_[i]) + " overflows a token");
      }
    }
  }
  for (int v : tok) {
    if (v != 0) throw std::logic_error("CommandStream: tokens left over at the end");
  }
}

}  // namespace tessera
