// SPDX-License-Identifier: Apache-2.0
// Host runtime: buffers, command ring, error reporting, GEMM planning and emission.
#include "tessera/runtime.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <sstream>
#include <string>

namespace tessera {

using isa::Dtype;
using isa::StoreFormat;

uint32_t elem_bytes(Dtype d) { return d == Dtype::kInt8 ? 1 : 2; }

// ---------------------------------------------------------------------------------------
// Plan

namespace {

uint32_t round_up(uint32_t v, uint32_t m) { return (v + m - 1) / m * m; }

struct SlotRows {
  uint32_t a, b;
};

// Host rows that follow each other without a gap (stride = bytes per row) and fill whole
// SRAM rows of `row_bytes` are sent as one long LOAD row (at most 64 KiB): build_gemm's
// coalescing, and what the ramp model counts as one burst stream.
bool rows_merge(uint32_t rows, uint32_t bytes, uint32_t stride, uint32_t row_bytes) {
  return rows > 1 && stride == bytes && bytes % row_bytes == 0 &&
         uint64_t(rows) * bytes <= 0xffff;
}

SlotRows slot_rows(uint32_t D, const GemmShape& s, uint32_t bm, uint32_t bn, uint32_t kb) {
  const uint32_t a = s.a_trans ? kb * isa::ceil_div(bm, D) : bm * isa::ceil_div(kb, D);
  const uint32_t b = s.b_trans ? bn * isa::ceil_div(kb, D) : kb * isa::ceil_div(bn, D);
  return {a, b};
}

}  // namespace

std::vector<uint32_t> GemmPlan::k_groups(uint32_t k, size_t block) const {
  std::vector<uint32_t> g;
  uint32_t step = block == 0 ? kb_first : kb;
  size_t r = 0;
  if (block == 0 && !ramp.empty()) step = ramp[r++];
  for (uint32_t k0 = 0; k0 < k;) {
    const uint32_t n = std::min(step, k - k0);
    g.push_back(n);
    k0 += n;
    step = block == 0 && r < ramp.size() ? ramp[r++] : std::min(kb, step * 2);
  }
  return g;
}

std::vector<uint32_t> GemmPlan::m_blocks(uint32_t m, bool last_column) const {
  std::vector<uint32_t> b;
  const bool tail = last_column && m_tail_min > 0;
  for (uint32_t left = m; left > 0;) {
    uint32_t take = std::min(left, bm);
    if (tail && left <= 2 * bm) {
      // Halve what is left (the larger half first, whole Dim groups) down to m_tail_min.
      take = left <= m_tail_min ? left
                                : std::min(left, std::max(m_tail_min, (left + 1) / 2));
      if (take < left) take = std::min({left, bm, round_up(take, m_tail_min)});
    }
    b.push_back(take);
    left -= take;
  }
  return b;
}

std::vector<uint32_t> GemmPlan::n_blocks(uint32_t n) const {
  std::vector<uint32_t> b;
  for (uint32_t j0 = 0; j0 < n; j0 += bn) {
    const uint32_t cn = std::min(bn, n - j0);
    if (j0 + bn >= n && n_tail > 0) {
      for (uint32_t jj = 0; jj < cn; jj += n_tail) b.push_back(std::min(n_tail, cn - jj));
    } else {
      b.push_back(cn);
    }
  }
  return b;
}

std::string GemmPlan::describe() const {
  std::ostringstream os;
  os << "C blocks " << bm << "x" << bn;
  if (n_tail) os << " (last column block cut to " << n_tail << " columns)";
  if (m_tail_min) os << " (last column's M tail halved to " << m_tail_min << ")";
  if (last_rows) os << " (last K group in " << last_rows << "-row parts)";
  os << ", K groups " << kb << " (first ";
  if (ramp.empty()) {
    os << kb_first;
  } else {
    for (size_t i = 0; i < ramp.size(); ++i) os << (i ? " " : "") << ramp[i];
  }
  os << "), ";
  if (panels) os << panels << " B panels of " << panel_rows << " rows, ";
  os << spad_slots << " scratchpad slots of " << spad_slot_rows << " rows, " << acc_slots
     << " accumulator slots of " << acc_slot_rows << " rows";
  return os.str();
}

GemmPlan plan_gemm(const ChipConfig& cfg, const GemmShape& s) {
  if (s.m == 0 || s.n == 0 || s.k == 0) throw std::invalid_argument("plan_gemm: empty GEMM");
  const uint32_t D = cfg.dim;
  GemmPlan p;
  p.bm = std::min<uint32_t>(128, s.m);
  p.bn = std::min<uint32_t>(round_up(128, D), round_up(s.n, D));
  p.kb = std::min<uint32_t>(std::max<uint32_t>(128, 8 * D), round_up(s.k, D));
  // Two accumulator slots.
  while (2 * p.bm * isa::ceil_div(p.bn, D) > cfg.acc_rows) {
    if (p.bn > D && p.bn >= p.bm) {
      p.bn = round_up(p.bn / 2, D);
    } else if (p.bm > 1) {
      p.bm = (p.bm + 1) / 2;
    } else {
      throw std::invalid_argument("plan_gemm: accumulator too small for two Dim-wide rows");
    }
  }
  // Two scratchpad slots: shrink K groups first, then the C block.
  for (;;) {
    const SlotRows r = slot_rows(D, s, p.bm, p.bn, p.kb);
    if (2 * (r.a + r.b) <= cfg.spad_rows) break;
    if (p.kb > D) {
      p.kb = round_up(p.kb / 2, D);
    } else if (p.bn > D && p.bn >= p.bm) {
      p.bn = round_up(p.bn / 2, D);
    } else if (p.bm > 1) {
      p.bm = (p.bm + 1) / 2;
    } else {
      throw std::invalid_argument("plan_gemm: scratchpad too small");
    }
  }
  // Even blocks when K is short (a block's raw STORE takes at least a quarter of its
  // GEMM's cycles, 4 D^2 / (bus_bytes K)): as many blocks as these sizes make, each about
  // the same size in Dim multiples. 192 columns are then two blocks of 96, not 128 and 64,
  // whose small second block would leave the first one's STORE exposed.
  if (16 * uint64_t(D) * D >= uint64_t(cfg.bus_bytes) * s.k) {
    p.bn = round_up(isa::ceil_div(s.n, isa::ceil_div(s.n, p.bn)), D);
    p.bm = std::min(p.bm, round_up(isa::ceil_div(s.m, isa::ceil_div(s.m, p.bm)), D));
  }
  // Ramp (at the end, once the first block's size is known): doubling from 2 Dim here.
  p.kb_first = std::min(p.kb, 2 * D);
  // B panel mode when a whole K x bn panel of B (two when there are several column
  // blocks) fits next to two A slots: B is then read from host memory once instead of
  // once per M block. With B^T the panel keeps column block 0's K groups (ramp included)
  // for every M block, so its size is computed from them.
  {
    uint64_t panel = 0;
    if (!s.b_trans) {
      panel = uint64_t(s.k) * isa::ceil_div(p.bn, D);
    } else {
      for (uint32_t kg : p.k_groups(s.k, 0)) panel += uint64_t(p.bn) * isa::ceil_div(kg, D);
    }
    const uint32_t panels = isa::ceil_div(s.n, p.bn) > 1 ? 2 : 1;
    const uint32_t a_rows = slot_rows(D, s, p.bm, p.bn, p.kb).a;
    if (panels * panel + 2 * uint64_t(a_rows) <= cfg.spad_rows) {
      p.panels = panels;
      p.panel_rows = uint32_t(panel);
      p.a_slot_rows = p.spad_slot_rows = a_rows;
      p.spad_slots = std::min<uint32_t>(16, (cfg.spad_rows - panels * p.panel_rows) / a_rows);
      // Halve the last M blocks while the part of the last STORE this saves (raw FP32
      // rows at the bus width) exceeds what one more block costs (about 64 cycles per
      // GEMM command, one per K group).
      const uint64_t per_block = 64 * p.k_groups(s.k, 1).size();
      uint32_t t = p.bm;
      while (t >= 2 * D && uint64_t(t / 2) * p.bn * 4 / cfg.bus_bytes > per_block) {
        t = round_up(t / 2, D);
      }
      p.m_tail_min = t < p.bm ? t : 0;
      // Then cut the last column block in two when that STORE (the last block's, at most
      // t rows) still exceeds the extra blocks' cost. Needs two panel buffers (a single
      // column block gets a second one if it fits): the next column's B loads are issued
      // a group ahead of the previous column's last GEMM.
      const uint32_t half = round_up(p.bn / 2, D);
      if (half < p.bn && uint64_t(std::min(t, s.m)) * half * 4 / cfg.bus_bytes > per_block) {
        if (p.panels == 1 && 2 * panel + 2 * uint64_t(a_rows) <= cfg.spad_rows) {
          p.panels = 2;
          p.spad_slots = std::min<uint32_t>(16, (cfg.spad_rows - 2 * p.panel_rows) / a_rows);
        }
        if (p.panels == 2) p.n_tail = half;
      }
    }
  }
  // Few C blocks leave the last block's STORE (and the first loads) exposed: cut M so
  // that there are about four blocks, each of at least 2 Dim rows (B is re-read per block;
  // for such shapes the bus has room for it).
  const uint32_t blocks = isa::ceil_div(s.m, p.bm) * isa::ceil_div(s.n, p.bn);
  if (p.panels == 0 && blocks < 4 && s.m >= 4 * D) {
    p.bm = std::min(p.bm, std::max<uint32_t>(2 * D, round_up(isa::ceil_div(s.m, 4 / blocks), D)));
  }
  if (p.panels == 0) {
    const SlotRows r = slot_rows(D, s, p.bm, p.bn, p.kb);
    p.a_slot_rows = r.a;
    p.spad_slot_rows = r.a + r.b;
    // More slots let loads run further ahead; 16 keeps token counts far from 255.
    p.spad_slots = std::min<uint32_t>(16, cfg.spad_rows / p.spad_slot_rows);
  }
  p.acc_slot_rows = p.bm * isa::ceil_div(p.bn, D);
  // Accumulator slots alternate between the two halves (ts_top: a store reads one half
  // while the array accumulates into the other; within one half the array comes first).
  p.acc_slots = std::min<uint32_t>(16, 2 * ((cfg.acc_rows / 2) / p.acc_slot_rows));
  // Ramp: the first block's first group is small so that the array starts after a short
  // load; each next one is the largest whose loads complete before the array has finished
  // the groups already there, and twice the last when none does (the loads are then
  // latency-bound: larger groups pay the latency over more rows). Model, for the first
  // block (cm x cn): a group is two LOADs (A, B); with two in flight a LOAD is issued when
  // the one two before it completes; its data start kLatency cycles after its issue and
  // after the previous LOAD's data, and take the longer of its scratchpad rows at 0.85 a
  // cycle (bank conflicts beside a running GEMM) and its bursts at 1.6 cycles each (one
  // burst per host row, short rows are slower than their beats; both measured in FST
  // traces at 100-cycle memory latency). The array takes cm * ceil(cn / D) / D cycles per
  // K element. Blocks whose loads take longer than their GEMMs keep the doubling. (Group
  // boundaries stay Dim multiples, so a B^T panel's size is unchanged.)
  const std::vector<uint32_t> nb = p.panels ? p.n_blocks(s.n) : std::vector<uint32_t>{};
  const uint32_t cn0 = p.panels ? nb[0] : std::min(p.bn, s.n);
  const uint32_t cm0 = p.panels ? p.m_blocks(s.m, nb.size() == 1)[0] : std::min(p.bm, s.m);
  constexpr double kRowsPerCycle = 0.85;   // scratchpad rows a load writes beside a GEMM
  constexpr double kCyclesPerBurst = 1.6;  // a LOAD's bursts (host rows) back to back
  constexpr double kLatency = 105;         // LOAD issue to its first data (100-cycle memory)
  const double comp_per_k = double(std::max(cm0, D)) * isa::ceil_div(cn0, D) / D;
  const uint32_t es = elem_bytes(s.dtype);
  // Bursts of a LOAD of `rows` host rows of `bytes` each, `stride` apart (at most 4 KiB a
  // burst; merged rows as one stream, as build_gemm sends them).
  auto bursts = [&](uint32_t rows, uint32_t bytes, uint64_t stride) {
    return rows_merge(rows, bytes, uint32_t(std::min<uint64_t>(stride, UINT32_MAX)), D * es)
               ? std::ceil(double(rows) * bytes / 4096)
               : double(rows) * isa::ceil_div(bytes, 4096u);
  };
  struct GroupLoads {
    double a, b;  // cycles of each LOAD's data
  };
  auto group_rows = [&](uint32_t kg) {
    const SlotRows r = slot_rows(D, s, cm0, cn0, kg);
    const double ba = s.a_trans ? bursts(kg, cm0 * es, uint64_t(s.m) * es)
                                : bursts(cm0, kg * es, uint64_t(s.k) * es);
    const double bb = s.b_trans ? bursts(cn0, kg * es, uint64_t(s.k) * es)
                                : bursts(kg, cn0 * es, uint64_t(s.n) * es);
    return GroupLoads{std::max(r.a / kRowsPerCycle, ba * kCyclesPerBurst),
                      std::max(r.b / kRowsPerCycle, bb * kCyclesPerBurst)};
  };
  struct Loads {
    double last = 0, before = 0;  // completion of the last LOAD and of the one before it
    double group(const GroupLoads& g) {
      for (const double t : {g.a, g.b}) {
        const double done = std::max(before + kLatency + t, last + t);
        before = last;
        last = done;
      }
      return last;
    }
  };
  const GroupLoads full = group_rows(p.kb);
  const bool ramp = cfg.load_dmas > 1 && full.a + full.b < comp_per_k * p.kb;
  if (ramp) p.kb_first = std::min(p.kb, D);
  if (ramp && p.kb > p.kb_first) {
    Loads loads;
    double computed = loads.group(group_rows(p.kb_first)) + comp_per_k * p.kb_first;
    uint32_t g = p.kb_first, sum = g;
    p.ramp.push_back(g);
    while (g < p.kb && sum < s.k && p.ramp.size() < 12) {
      uint32_t next = std::min(p.kb, 2 * g);
      for (uint32_t c = p.kb; c >= D; c -= D) {
        Loads trial = loads;
        if (trial.group(group_rows(c)) <= computed) {
          next = std::max(c, g);  // never shrink
          break;
        }
      }
      computed = std::max(computed, loads.group(group_rows(next))) + comp_per_k * next;
      g = next;
      sum += g;
      p.ramp.push_back(g);
    }
  }
  // The final K group's GEMM in Dim-row parts, each STORE behind its part: only the last
  // part's STORE is left after the array has finished (two STOREs in flight keep the
  // parts' STOREs from queueing behind each other's write responses).
  p.last_rows = D;
  return p;
}

// ---------------------------------------------------------------------------------------
// Runtime: buffers and ring

Runtime::Runtime(Device& dev, RuntimeOptions opt) : dev_(dev), opt_(std::move(opt)) {
  if (opt_.dram_size == 0 || uint64_t(opt_.dram_base) + opt_.dram_size > (uint64_t(1) << 32)) {
    throw std::invalid_argument("Runtime: DRAM window must lie in the 32-bit address space");
  }
  if (opt_.ring_slots < 2) throw std::invalid_argument("Runtime: ring needs at least 2 slots");
  free_[opt_.dram_base] = opt_.dram_size;
  ring_ = alloc(size_t(opt_.ring_slots) * isa::kCmdBytes, isa::kCmdBytes);
  init_chip();
}

// Soft reset: the chip first lets running commands finish (no AXI transfer is cut), then
// resets; CTRL.soft_reset reads 1 until it is over, and nothing else may be written before.
void Runtime::soft_reset() {
  namespace c = isa::csr;
  dev_.csr_write(c::kCtrl, c::kCtrlSoftReset);
  const uint64_t t0 = dev_.cycles();
  const uint64_t limit = opt_.timeout_cycles ? opt_.timeout_cycles : 100'000'000;
  while (dev_.csr_read(c::kCtrl) & c::kCtrlSoftReset) {
    if (dev_.cycles() - t0 > limit) {
      throw DeviceTimeout("soft reset not finished after " + std::to_string(limit) + " cycles");
    }
  }
}

void Runtime::init_chip() {
  namespace c = isa::csr;
  soft_reset();
  if (dev_.csr_read(c::kId) != c::kIdValue) {
    throw std::runtime_error("Runtime: device ID is not 'TSAR'");
  }
  const uint32_t cfg_dim = dev_.csr_read(c::kCfgDim);
  const uint32_t windows = (cfg_dim >> 16) & 0xfu;
  adamw_lanes_ = (cfg_dim >> c::kCfgDimAdamwLanesLsb) & ((1u << c::kCfgDimAdamwLanesWidth) - 1);
  vec_ = (cfg_dim & c::kCfgDimVec) != 0;
  vec_divsqrt_ = (cfg_dim & c::kCfgDimVecDivsqrt) != 0;
  for (uint32_t i = 0; i < windows; ++i) {
    dev_.csr_write(c::win_base(i), i == 0 ? opt_.dram_base : 0);
    dev_.csr_write(c::win_last(i), i == 0 ? opt_.dram_base + (opt_.dram_size - 1) : 0);
    dev_.csr_write(c::win_perm(i), i == 0 ? (c::kPermRead | c::kPermWrite) : 0);
  }
  recover();
}

void Runtime::recover() {
  namespace c = isa::csr;
  soft_reset();
  dev_.csr_write(c::kRingBase, ring_.addr);
  dev_.csr_write(c::kRingSize, opt_.ring_slots);
  dev_.csr_write(c::kRingTail, 0);
  tail_ = 0;
  dev_.csr_write(c::kCtrl, c::kCtrlIrqDoneEn | c::kCtrlIrqErrorEn);
}

Buffer Runtime::alloc(size_t bytes, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0) {
    throw std::invalid_argument("Runtime::alloc: alignment must be a power of two");
  }
  const uint64_t n = std::max<size_t>(bytes, 1);
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const uint64_t lo = it->first, hi = lo + it->second;
    const uint64_t start = (lo + align - 1) & ~uint64_t(align - 1);
    if (start + n > hi) continue;
    free_.erase(it);
    if (start > lo) free_[uint32_t(lo)] = uint32_t(start - lo);
    if (start + n < hi) free_[uint32_t(start + n)] = uint32_t(hi - start - n);
    return {uint32_t(start), uint32_t(n)};
  }
  throw std::bad_alloc();
}

void Runtime::free(const Buffer& b) {
  if (b.size == 0) return;
  auto it = free_.emplace(b.addr, b.size).first;
  auto next = std::next(it);
  if (next != free_.end() && uint64_t(it->first) + it->second == next->first) {
    it->second += next->second;
    free_.erase(next);
  }
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (uint64_t(prev->first) + prev->second == it->first) {
      prev->second += it->second;
      free_.erase(it);
    }
  }
}

void Runtime::write(const Buffer& b, const void* data, size_t n, size_t offset) {
  if (offset + n > b.size) throw std::out_of_range("Runtime::write: beyond the buffer");
  dev_.mem_write(uint64_t(b.addr) + offset, static_cast<const uint8_t*>(data), n);
}

void Runtime::read(const Buffer& b, void* out, size_t n, size_t offset) const {
  if (offset + n > b.size) throw std::out_of_range("Runtime::read: beyond the buffer");
  dev_.mem_read(uint64_t(b.addr) + offset, static_cast<uint8_t*>(out), n);
}

std::vector<uint8_t> Runtime::read(const Buffer& b) const {
  std::vector<uint8_t> v(b.size);
  read(b, v.data(), v.size());
  return v;
}

namespace {

// Generous cycle budget of a stream: 10x a serial estimate plus a constant.
uint64_t budget(const CommandStream& s, const ChipConfig& cfg) {
  uint64_t est = 0;
  for (const isa::Words& w : s.words()) {
    est += 1000;
    switch (isa::opcode_of(w)) {
      case 0x01: {
        const isa::LoadCmd c = isa::LoadCmd::decode(w);
        est += uint64_t(c.rows) * (c.bytes / cfg.bus_bytes + 2);
        break;
      }
      case 0x02: {
        const isa::StoreCmd c = isa::StoreCmd::decode(w);
        est += uint64_t(c.rows) * (uint64_t(c.cols) * 4 / cfg.bus_bytes + 2);
        break;
      }
      case 0x03: {
        const isa::GemmCmd c = isa::GemmCmd::decode(w);
        est += uint64_t(isa::ceil_div(c.n, cfg.dim)) * isa::ceil_div(c.k, cfg.dim) *
               std::max<uint64_t>(c.m, cfg.dim);
        break;
      }
      case 0x04: {  // ADAMW: up to 16 bytes read per element, at least one element a cycle
        const isa::AdamwCmd c = isa::AdamwCmd::decode(w);
        est += uint64_t(c.n) * 16 / cfg.bus_bytes + c.n + 1000;
        break;
      }
      default:
        break;
    }
  }
  return 10 * est + 100000;
}

}  // namespace

RunStats Runtime::run(const CommandStream& s) {
  namespace c = isa::csr;
  RunStats st;
  st.commands = s.size();
  const uint32_t irq_bits = c::kCtrlIrqDoneEn | c::kCtrlIrqErrorEn;
  dev_.csr_write(c::kFlags, 0x1fu);
  dev_.csr_write(c::kCtrl, irq_bits | c::kCtrlPerfClear);
  const uint64_t timeout = opt_.timeout_cycles ? opt_.timeout_cycles : budget(s, config());
  const uint32_t slots = opt_.ring_slots;
  const size_t total = s.size();
  size_t pos = 0;
  std::vector<uint8_t> bytes;
  while (pos < total) {
    const size_t n = std::min<size_t>(slots - 1, total - pos);
    const uint32_t first = tail_;
    // Ring contents: one write per contiguous run of slots.
    for (size_t i = 0; i < n;) {
      const uint32_t slot = uint32_t((first + i) % slots);
      const size_t run = std::min<size_t>(n - i, slots - slot);
      bytes.assign(run * isa::kCmdBytes, 0);
      for (size_t j = 0; j < run; ++j) {
        const isa::Words& w = s.words()[pos + i + j];
        for (int k = 0; k < 8; ++k) {
          for (int b = 0; b < 4; ++b) bytes[j * 32 + 4 * k + b] = uint8_t(w[k] >> (8 * b));
        }
      }
      dev_.mem_write(uint64_t(ring_.addr) + uint64_t(slot) * isa::kCmdBytes, bytes);
      i += run;
    }
    tail_ = uint32_t((first + n) % slots);
    dev_.csr_write(c::kStatus, c::kStatusDone);
    dev_.csr_write(c::kRingTail, tail_);
    const uint64_t t0 = dev_.cycles();
    dev_.csr_write(c::kDoorbell, 1);
    for (;;) {
      const uint64_t used = dev_.cycles() - t0;
      if (used >= timeout) {
        std::ostringstream os;
        os << "device timeout after " << used << " cycles: STATUS=0x" << std::hex
           << dev_.csr_read(c::kStatus) << std::dec << ", RING_HEAD=" << dev_.csr_read(c::kRingHead)
           << " of " << tail_ << " (queues waiting on tokens, or a hang)";
        if (opt_.reset_on_error) recover();
        throw DeviceTimeout(os.str());
      }
      const uint64_t slice = std::min<uint64_t>(opt_.progress_interval, timeout - used);
      if (dev_.wait_irq(slice)) break;
      if (opt_.progress) {
        const uint32_t head = dev_.csr_read(c::kRingHead);
        opt_.progress(pos + (head + slots - first) % slots, total);
      }
    }
    st.cycles += dev_.cycles() - t0;
    const uint32_t status = dev_.csr_read(c::kStatus);
    if (status & c::kStatusError) {
      // Map ring slots back to stream indices for the message.
      std::vector<size_t> slot_to_index(slots, size_t(-1));
      for (size_t i = 0; i < n; ++i) slot_to_index[(first + i) % slots] = pos + i;
      fail_stream_ = &s;
      fail(slot_to_index, total);
    }
    dev_.csr_write(c::kStatus, c::kStatusDone);
    pos += n;
  }
  for (uint32_t i = 0; i < isa::kPerfCount; ++i) {
    st.perf[i] =
        uint64_t(dev_.csr_read(c::perf_lo(i))) | (uint64_t(dev_.csr_read(c::perf_hi(i))) << 32);
  }
  st.flags = dev_.csr_read(c::kFlags);
  return st;
}

void Runtime::fail(const std::vector<size_t>& slot_to_index, size_t total) {
  namespace c = isa::csr;
  const uint32_t ec = dev_.csr_read(c::kErrCode);
  const uint32_t slot = dev_.csr_read(c::kErrCmd);
  const uint32_t addr = dev_.csr_read(c::kErrAddr);
  const auto code = isa::ErrCode(ec & 0xffu);
  const auto unit = isa::Unit((ec >> 8) & 0xfu);
  int64_t index = -1;
  if (code != isa::ErrCode::kRing && slot < slot_to_index.size() &&
      slot_to_index[slot] != size_t(-1)) {
    index = int64_t(slot_to_index[slot]);
  }
  std::ostringstream os;
  os << "device error " << isa::err_name(code) << " (" << isa::err_description(code) << ") in the "
     << isa::unit_name(unit) << " unit";
  if (index >= 0) {
    os << " at command " << index << " of " << total << ": "
       << isa::describe(fail_stream_->words()[size_t(index)]);
  } else {
    os << " (ring slot " << slot << ")";
  }
  if (code == isa::ErrCode::kWindow || code == isa::ErrCode::kBus || code == isa::ErrCode::kRing) {
    os << ", host address 0x" << std::hex << addr << std::dec;
  }
  fail_stream_ = nullptr;
  if (opt_.reset_on_error) recover();
  throw DeviceError(os.str(), code, unit, index, addr);
}

// ---------------------------------------------------------------------------------------
// GEMM

void Runtime::check_gemm_args(const GemmArgs& g) const {
  auto bad = [](const std::string& m) { throw std::invalid_argument("gemm: " + m); };
  if (g.m == 0 || g.n == 0 || g.k == 0) bad("M, N and K must be at least 1");
  if (uint32_t(g.dtype) > 2) bad("dtype must be fp16, bf16 or int8");
  const bool is_int = g.dtype == Dtype::kInt8;
  if (is_int && (g.out == StoreFormat::kFp16 || g.out == StoreFormat::kBf16)) {
    bad("int8 GEMM outputs raw INT32 or requantized INT8");
  }
  if (!is_int && g.out == StoreFormat::kInt8) bad("INT8 requantization needs an int8 GEMM");
  if (g.out == StoreFormat::kInt8 && (g.rq.shift < -31 || g.rq.shift > 30)) {
    bad("requantization shift must be in [-31, 30]");
  }
  if (g.out == StoreFormat::kInt8 && (g.rq.zero_point < -128 || g.rq.zero_point > 127)) {
    bad("requantization zero point must be in [-128, 127]");
  }
  const uint64_t es = elem_bytes(g.dtype);
  const uint64_t M = g.m, N = g.n, K = g.k;
  if (g.a.size < M * K * es) bad("buffer A is smaller than M*K elements");
  if (g.b.size < K * N * es) bad("buffer B is smaller than K*N elements");
  if (g.c && g.c->size < M * N * 4) bad("buffer C is smaller than M*N 4-byte sums");
  if (g.d.size < M * N * isa::format_bytes(g.out)) bad("buffer D is smaller than M*N outputs");
  auto overlap = [](const Buffer& x, uint64_t xn, const Buffer& y, uint64_t yn) {
    return x.addr < uint64_t(y.addr) + yn && y.addr < uint64_t(x.addr) + xn;
  };
  const uint64_t dn = M * N * isa::format_bytes(g.out);
  if (overlap(g.d, dn, g.a, M * K * es) || overlap(g.d, dn, g.b, K * N * es)) {
    bad("D must not overlap A or B");
  }
  if (g.c && g.c->addr != g.d.addr && overlap(g.d, dn, *g.c, M * N * 4)) {
    bad("C must be D itself or not overlap it");
  }
}

CommandStream Runtime::build_gemm(const GemmArgs& g, GemmPlan* plan_out) const {
  check_gemm_args(g);
  const ChipConfig& cfg = config();
  const uint32_t D = cfg.dim;
  const GemmShape shape{g.m, g.n, g.k, g.dtype, g.a_trans, g.b_trans, bool(g.c)};
  const GemmPlan p = g.plan ? *g.plan : plan_gemm(cfg, shape);
  if (plan_out) *plan_out = p;
  if (p.spad_slots < 2 || p.acc_slots < 2 || p.bn % D != 0 || p.kb % D != 0 ||
      p.kb_first % D != 0 || p.bm == 0) {
    throw std::invalid_argument("gemm: plan needs two slots each and Dim-aligned bn, kb");
  }
  // K groups are at most kb (a slot holds one group of kb) and whole Dim groups.
  if (p.kb_first == 0 || p.kb_first > p.kb ||
      std::any_of(p.ramp.begin(), p.ramp.end(),
                  [&](uint32_t g) { return g == 0 || g > p.kb || g % D != 0; })) {
    throw std::invalid_argument("gemm: plan's first K groups must be Dim multiples of at most kb");
  }
  if (p.m_tail_min > p.bm || (p.m_tail_min && !p.panels)) {
    throw std::invalid_argument("gemm: plan's M tail needs B panels and at most bm rows");
  }
  if (p.last_rows % D != 0 || p.n_tail % D != 0) {
    throw std::invalid_argument("gemm: plan's last_rows and n_tail must be multiples of Dim");
  }
  if (p.n_tail && (p.panels < 2 || p.n_tail > p.bn)) {
    // With one panel buffer the next column block's B loads (issued a group ahead) would
    // overwrite the panel before the previous column block's last GEMM has read it.
    throw std::invalid_argument("gemm: plan's N tail needs two B panels and at most bn columns");
  }
  if (uint64_t((p.acc_slots + 1) / 2) * p.acc_slot_rows > cfg.acc_rows / 2) {
    throw std::invalid_argument("gemm: accumulator slots do not fit the two halves");
  }
  const uint64_t es = elem_bytes(g.dtype), ob = isa::format_bytes(g.out);
  const uint64_t M = g.m, N = g.n, K = g.k;

  // Every (block, K group) in execution order. Without B panels: M blocks outer, column
  // blocks inner, A and B of each group in one slot. With B panels: column blocks outer;
  // the first M block of a column loads the B panel group by group, the others reuse it.
  struct Group {
    size_t block;
    uint32_t i0, j0, cm, cn, k0, kg;
    bool first, last;
    bool load_b;               // this group loads its B rows (at b_addr)
    uint32_t b_addr, b_stride;
  };
  const bool panel = p.panels > 0;
  const uint32_t a_base0 = panel ? p.panels * p.panel_rows : 0;
  std::vector<Group> groups;
  size_t nblocks = 0;
  auto add_block = [&](uint32_t i0, uint32_t j0, uint32_t cm, uint32_t cn,
                       const std::vector<uint32_t>& kg, bool load_b, uint32_t pbase) {
    uint32_t k0 = 0, off = 0;
    for (size_t t = 0; t < kg.size(); ++t) {
      Group gr{nblocks, i0, j0, cm, cn, k0, kg[t], t == 0, t + 1 == kg.size(), true, 0, 0};
      if (!panel) {
        gr.b_addr = 0;  // slot-relative, see slot_base
        gr.b_stride = g.b_trans ? isa::ceil_div(kg[t], D) : isa::ceil_div(cn, D);
      } else if (!g.b_trans) {  // panel: K rows of ceil(cn / D) SRAM rows each
        gr.load_b = load_b;
        gr.b_stride = isa::ceil_div(cn, D);
        gr.b_addr = pbase + k0 * gr.b_stride;
      } else {  // panel: the groups' N x kg blocks one after the other
        gr.load_b = load_b;
        gr.b_stride = isa::ceil_div(kg[t], D);
        gr.b_addr = pbase + off;
        off += cn * gr.b_stride;
      }
      groups.push_back(gr);
      k0 += kg[t];
    }
    ++nblocks;
  };
  if (!panel) {
    for (uint32_t i0 = 0; i0 < M; i0 += p.bm) {
      for (uint32_t j0 = 0; j0 < N; j0 += p.bn) {
        const uint32_t cm = uint32_t(std::min<uint64_t>(p.bm, M - i0));
        const uint32_t cn = uint32_t(std::min<uint64_t>(p.bn, N - j0));
        add_block(i0, j0, cm, cn, p.k_groups(g.k, nblocks), true, 0);
      }
    }
  } else {
    const std::vector<uint32_t> nb = p.n_blocks(g.n);
    uint32_t j0 = 0;
    for (size_t col = 0; col < nb.size(); j0 += nb[col], ++col) {
      const uint32_t cn = nb[col];
      const uint32_t pbase = uint32_t(col % p.panels) * p.panel_rows;
      const std::vector<uint32_t> mb = p.m_blocks(g.m, col + 1 == nb.size());
      uint32_t i0 = 0;
      for (size_t mi = 0; mi < mb.size(); ++mi) {
        // B^T panels keep one grouping per column; B panels are K-contiguous, so only the
        // very first block ramps.
        const size_t ramp = g.b_trans ? col : (col == 0 && mi == 0 ? 0 : 1);
        add_block(i0, j0, mb[mi], cn, p.k_groups(g.k, ramp), mi == 0, pbase);
        i0 += mb[mi];
      }
    }
  }
  auto slot_base = [&](size_t gi) {
    return a_base0 + uint32_t(gi % p.spad_slots) * p.spad_slot_rows;
  };
  auto b_addr = [&](size_t gi) {
    return panel ? groups[gi].b_addr : slot_base(gi) + p.a_slot_rows;
  };

  CommandStream s(cfg);
  // Host rows that follow each other without a gap and fill whole SRAM rows are sent as
  // one long row: the DMA then makes long bursts instead of one short burst per row (each
  // paying the memory latency), and the SRAM layout is the same (docs/isa.md layouts).
  auto coalesce_load = [&](isa::LoadCmd& c) {
    const uint32_t row_bytes = c.to_acc ? 4 * D : c.expand8 ? D : 2 * D;
    if (rows_merge(c.rows, c.bytes, c.stride, row_bytes)) {
      c.bytes = uint16_t(uint32_t(c.rows) * c.bytes);
      c.rows = 1;
    }
  };
  auto coalesce_store = [&](isa::StoreCmd& c) {
    const uint32_t total = uint32_t(c.rows) * c.cols;
    if (c.rows > 1 && c.stride == c.cols * ob && c.cols % D == 0 && total <= 0xffff) {
      c.cols = uint16_t(total);
      c.rows = 1;
    }
  };
  // Accumulator rows of each block. Blocks alternate between the chip's two accumulator
  // halves (a STORE reads one while the array accumulates into the other); in a half they
  // follow each other in the plan's slot budget (its slots' rows), wrapping to the start
  // when the next block does not fit, so that small blocks (an M tail) do not each take a
  // whole slot and wait for the STORE of the block that used it before. The command
  // stream's hazard tracking orders a block after the STORE of any earlier block whose
  // rows it reuses. acc_prev: that earlier block (the latest), or -1.
  std::vector<uint32_t> acc_at(nblocks), acc_len(nblocks);
  std::vector<size_t> acc_prev(nblocks, size_t(-1));
  {
    const uint32_t ring[2] = {(p.acc_slots + 1) / 2 * p.acc_slot_rows,
                              p.acc_slots / 2 * p.acc_slot_rows};
    uint32_t off[2] = {0, 0};
    for (const Group& gr : groups) {
      if (!gr.first) continue;
      const size_t b = gr.block;
      const uint32_t h = uint32_t(b % 2), rows = gr.cm * isa::ceil_div(gr.cn, D);
      if (off[h] + rows > ring[h]) off[h] = 0;
      acc_at[b] = h * (cfg.acc_rows / 2) + off[h];
      acc_len[b] = rows;
      off[h] += rows;
      for (size_t e = b; e-- > 0;) {
        if (acc_at[e] < acc_at[b] + rows && acc_at[b] < acc_at[e] + acc_len[e]) {
          acc_prev[b] = e;
          break;
        }
      }
    }
  }
  auto acc_base = [&](size_t block) { return acc_at[block]; };
  auto emit_loads = [&](size_t gi) {
    const Group& gr = groups[gi];
    const uint32_t base = slot_base(gi);
    isa::LoadCmd a;
    a.expand8 = g.dtype == Dtype::kInt8;
    a.sram_addr = base;
    if (!g.a_trans) {  // M x K: cm rows of kg elements
      a.dram_addr = uint32_t(g.a.addr + (uint64_t(gr.i0) * K + gr.k0) * es);
      a.stride = uint32_t(K * es);
      a.rows = uint16_t(gr.cm);
      a.bytes = uint16_t(gr.kg * es);
    } else {  // K x M: kg rows of cm elements
      a.dram_addr = uint32_t(g.a.addr + (uint64_t(gr.k0) * M + gr.i0) * es);
      a.stride = uint32_t(M * es);
      a.rows = uint16_t(gr.kg);
      a.bytes = uint16_t(gr.cm * es);
    }
    coalesce_load(a);
    s.load(a);
    if (!gr.load_b) return;
    isa::LoadCmd b;
    b.expand8 = a.expand8;
    b.sram_addr = b_addr(gi);
    if (!g.b_trans) {  // K x N: kg rows of cn elements
      b.dram_addr = uint32_t(g.b.addr + (uint64_t(gr.k0) * N + gr.j0) * es);
      b.stride = uint32_t(N * es);
      b.rows = uint16_t(gr.kg);
      b.bytes = uint16_t(gr.cn * es);
    } else {  // N x K: cn rows of kg elements
      b.dram_addr = uint32_t(g.b.addr + (uint64_t(gr.j0) * K + gr.k0) * es);
      b.stride = uint32_t(K * es);
      b.rows = uint16_t(gr.cn);
      b.bytes = uint16_t(gr.kg * es);
    }
    coalesce_load(b);
    s.load(b);
  };
  auto emit_c_load = [&](size_t gi) {
    const Group& gr = groups[gi];
    isa::LoadCmd c;
    c.to_acc = true;
    c.dram_addr = uint32_t(g.c->addr + (uint64_t(gr.i0) * N + gr.j0) * 4);
    c.stride = uint32_t(N * 4);
    c.rows = uint16_t(gr.cm);
    c.bytes = uint16_t(gr.cn * 4);
    c.sram_addr = acc_base(gr.block);
    coalesce_load(c);
    s.load(c);
  };
  // Rows [r0, r0 + rm) of a group's block (a multiple of Dim apart from the end).
  auto emit_gemm = [&](size_t gi, uint32_t r0, uint32_t rm) {
    const Group& gr = groups[gi];
    isa::GemmCmd c;
    c.dtype = g.dtype;
    c.a_trans = g.a_trans;
    c.b_trans = g.b_trans;
    c.accumulate = !gr.first || bool(g.c);
    c.m = uint16_t(rm);
    c.n = uint16_t(gr.cn);
    c.k = uint16_t(gr.kg);
    c.a_stride = uint16_t(g.a_trans ? isa::ceil_div(gr.cm, D) : isa::ceil_div(gr.kg, D));
    c.a_addr = slot_base(gi) + (g.a_trans ? r0 / D : r0 * c.a_stride);
    c.b_addr = b_addr(gi);
    c.c_stride = uint16_t(isa::ceil_div(gr.cn, D));
    c.c_addr = acc_base(gr.block) + r0 * c.c_stride;
    c.b_stride = uint16_t(gr.b_stride);
    s.gemm(c);
  };
  auto emit_store = [&](size_t gi, uint32_t r0, uint32_t rm) {
    const Group& gr = groups[gi];
    isa::StoreCmd c;
    c.format = g.out;
    c.dram_addr = uint32_t(g.d.addr + (uint64_t(gr.i0 + r0) * N + gr.j0) * ob);
    c.stride = uint32_t(N * ob);
    c.rows = uint16_t(rm);
    c.cols = uint16_t(gr.cn);
    c.acc_addr = acc_base(gr.block) + r0 * uint32_t(isa::ceil_div(gr.cn, D));
    c.mult = g.rq.mult;
    c.shift = int8_t(g.rq.shift);
    c.zero_point = int8_t(g.rq.zero_point);
    coalesce_store(c);
    s.store(c);
  };

  // Ring order (software pipeline): the loads of group g+1 precede the GEMM of group g,
  // so the load queue works one group ahead in ring order, and further ahead as far as
  // the scratchpad slots allow (the tokens let it). The STORE of a block follows its last
  // GEMM. A C block to accumulate into is loaded before the block's first GEMM, once at
  // least two GEMMs have been issued since the STORE that last used its accumulator slot
  // (so the GEMM that carries that STORE's token to the load queue does not wait for it).
  std::vector<size_t> first_group(nblocks), store_pos(nblocks, size_t(-1));
  for (size_t gi = groups.size(); gi-- > 0;) {
    if (groups[gi].first) first_group[groups[gi].block] = gi;
  }
  size_t gemms = 0, next_c = 0;
  std::vector<size_t> gemms_at_store(nblocks, 0);
  auto c_load_ready = [&](size_t block) {
    if (acc_prev[block] == size_t(-1)) return true;
    const size_t prev = acc_prev[block];
    return store_pos[prev] != size_t(-1) && gemms >= gemms_at_store[prev] + 2;
  };
  auto flush_c_loads = [&](size_t limit_group, bool force) {
    while (g.c && next_c < nblocks && first_group[next_c] <= limit_group &&
           (force || c_load_ready(next_c))) {
      emit_c_load(first_group[next_c]);
      ++next_c;
    }
  };
  flush_c_loads(0, true);
  emit_loads(0);
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    if (gi + 1 < groups.size()) {
      flush_c_loads(gi + 1, false);
      emit_loads(gi + 1);
    }
    flush_c_loads(gi, true);  // a block's C before its first GEMM, at the latest
    const Group& gr = groups[gi];
    // The final group in row parts, each GEMM followed by its STORE; others whole.
    const uint32_t part = gi + 1 == groups.size() && p.last_rows ? p.last_rows : gr.cm;
    for (uint32_t r0 = 0; r0 < gr.cm; r0 += part) {
      const uint32_t rm = std::min(part, gr.cm - r0);
      emit_gemm(gi, r0, rm);
      ++gemms;
      if (gr.last) {
        emit_store(gi, r0, rm);
        store_pos[gr.block] = s.size() - 1;
        gemms_at_store[gr.block] = gemms;
      }
    }
    flush_c_loads(gi + 2 < groups.size() ? gi + 2 : groups.size(), false);
  }
  s.validate();
  return s;
}

RunStats Runtime::gemm(const GemmArgs& g, GemmPlan* plan) {
  const CommandStream s = build_gemm(g, plan);
  return run(s);
}

// ---------------------------------------------------------------------------------------
// AdamW

namespace {

[[noreturn]] void adamw_bad(const std::string& m) {
  throw std::invalid_argument("adamw_step: " + m);
}

uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

}  // namespace

void Runtime::check_adamw_args(const std::vector<AdamWTensor>& ts,
                               const AdamWStepOptions& o) const {
  if (adamw_lanes_ == 0) {
    adamw_bad("the device has no AdamW unit (CFG_DIM.adamw_lanes = 0, " + dev_.backend() +
              " backend)");
  }
  if (ts.empty()) adamw_bad("no tensors");
  if (uint32_t(o.grad_fmt) > 2) adamw_bad("grad_fmt must be fp32, fp16 or bf16");
  if (uint32_t(o.p16_fmt) > 1) adamw_bad("p16_fmt must be fp16 or bf16");
  struct Range {
    uint64_t lo, hi;  // [lo, hi)
    std::string what;
  };
  std::vector<Range> ranges;
  const uint64_t win_lo = opt_.dram_base, win_hi = win_lo + opt_.dram_size;
  auto add = [&](const Buffer& b, uint64_t bytes, size_t i, const char* name) {
    const std::string what = "tensor " + std::to_string(i) + " " + name;
    if (b.size < bytes) {
      adamw_bad(what + " holds " + std::to_string(b.size) + " bytes, needs " +
                std::to_string(bytes) + " (n = " + std::to_string(ts[i].n) + ")");
    }
    if (b.addr % isa::kAdamwAlign != 0) {
      adamw_bad(what + " is not 64-byte aligned (address 0x" + [&] {
        char h[16];
        std::snprintf(h, sizeof h, "%08x", b.addr);
        return std::string(h);
      }() + ")");
    }
    if (b.addr < win_lo || b.addr + bytes > win_hi) {
      adamw_bad(what + " lies outside the runtime's DRAM window");
    }
    ranges.push_back({b.addr, b.addr + bytes, what});
  };
  const uint64_t gb = isa::grad_bytes(o.grad_fmt);
  for (size_t i = 0; i < ts.size(); ++i) {
    const AdamWTensor& t = ts[i];
    if (t.n == 0) adamw_bad("tensor " + std::to_string(i) + " has n = 0 elements");
    const uint64_t n = t.n;
    add(t.p, 4 * n, i, "p");
    add(t.m, 4 * n, i, "m");
    add(t.v, 4 * n, i, "v");
    add(t.g, gb * n, i, "g");
    if (t.p16) add(*t.p16, 2 * n, i, "p16");
  }
  if (adamw_scalars_) {
    ranges.push_back({adamw_scalars_->addr, adamw_scalars_->addr + uint64_t(isa::kAdamwScalarBytes),
                      "the runtime's scalar block"});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.lo < b.lo; });
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].lo < ranges[i - 1].hi) {
      adamw_bad(ranges[i - 1].what + " and " + ranges[i].what + " overlap");
    }
  }
  if (o.scaler == nullptr && !(std::isfinite(o.loss_scale) && o.loss_scale > 0)) {
    adamw_bad("loss_scale must be finite and > 0");
  }
  if (o.max_grad_norm) (void)clip_coefficient(0.0, *o.max_grad_norm);  // throws if bad
}

void Runtime::write_adamw_scalars(const AdamWScalars& s, float inv_grad_scale) {
  const float v[8] = {inv_grad_scale, s.decay,    s.one_minus_b1, s.b2,
                      s.one_minus_b2, s.bc2_sqrt, s.eps,          s.neg_step};
  uint8_t b[isa::kAdamwScalarBytes];
  for (int i = 0; i < 8; ++i) {
    const uint32_t u = f32_bits(v[i]);
    for (int k = 0; k < 4; ++k) b[4 * i + k] = uint8_t(u >> (8 * k));
  }
  write(*adamw_scalars_, b, sizeof b);
}

RunStats Runtime::run_accumulate(const CommandStream& s, RunStats& total) {
  const RunStats st = run(s);
  total.cycles += st.cycles;
  for (size_t i = 0; i < st.perf.size(); ++i) total.perf[i] += st.perf[i];
  total.flags |= st.flags;
  total.commands += st.commands;
  return st;
}

AdamWResult Runtime::adamw_step(const std::vector<AdamWTensor>& ts, const AdamWHyper& hyper,
                                uint64_t step, const AdamWStepOptions& o) {
  namespace c = isa::csr;
  check_adamw_args(ts, o);
  AdamWResult res;
  res.loss_scale = o.scaler ? o.scaler->scale() : o.loss_scale;
  const AdamWScalars sc = adamw_scalars(hyper, step, res.loss_scale);  // validates, throws
  if (!adamw_scalars_) {
    adamw_scalars_ = alloc(isa::kAdamwScalarBytes, isa::kAdamwAlign);
    check_adamw_args(ts, o);  // the new block must not overlap a caller's buffer either
  }
  res.grad_scale = sc.inv_loss_scale;
  write_adamw_scalars(sc, sc.inv_loss_scale);

  auto scan = [&](CommandStream& s) {
    for (size_t i = 0; i < ts.size(); ++i) {
      isa::AdamwCmd cmd;
      cmd.step = false;
      cmd.gfmt = o.grad_fmt;
      cmd.clear = i == 0;
      cmd.n = ts[i].n;
      cmd.g_addr = ts[i].g.addr;
      cmd.scalars_addr = adamw_scalars_->addr;
      s.adamw(cmd);
    }
  };
  auto steps = [&](CommandStream& s, bool skip) {
    for (const AdamWTensor& t : ts) {
      isa::AdamwCmd cmd;
      cmd.step = true;
      cmd.gfmt = o.grad_fmt;
      cmd.skip = skip;
      cmd.p16 = bool(t.p16);
      cmd.p16fmt = o.p16_fmt;
      cmd.decay = sc.decay_enabled;
      cmd.n = t.n;
      cmd.g_addr = t.g.addr;
      cmd.p_addr = t.p.addr;
      cmd.m_addr = t.m.addr;
      cmd.v_addr = t.v.addr;
      cmd.p16_addr = t.p16 ? t.p16->addr : 0;
      cmd.scalars_addr = adamw_scalars_->addr;
      s.adamw(cmd);
    }
  };

  bool found_inf = false;
  if (o.max_grad_norm) {
    // Pass 1: the global norm of the unscaled gradients (and the non-finite check).
    CommandStream s1(config());
    scan(s1);
    run_accumulate(s1, res.stats);
    const uint32_t sumsq = dev_.csr_read(c::kAdamwSumsq);
    found_inf = dev_.csr_read(c::kAdamwStatus) & c::kAdamwStatusNonfinite;
    float f;
    std::memcpy(&f, &sumsq, 4);
    res.grad_norm = std::sqrt(double(f));
    if (!found_inf) {
      // Pass 2: STEP with the coefficient folded into the gradient multiplier.
      res.clip_coef = clip_coefficient(*res.grad_norm, *o.max_grad_norm);
      res.grad_scale = combined_grad_scale(double(sc.inv_loss_scale), *res.clip_coef);
      write_adamw_scalars(sc, res.grad_scale);
      CommandStream s2(config());
      steps(s2, false);
      res.step_stats = run_accumulate(s2, res.stats);
    }
    res.skipped = found_inf;
  } else if (o.scaler) {
    // SCAN and STEP(skip) in one stream: the chip decides, no host round trip.
    CommandStream s(config());
    scan(s);
    steps(s, true);
    res.step_stats = run_accumulate(s, res.stats);
    const uint32_t st = dev_.csr_read(c::kAdamwStatus);
    found_inf = st & c::kAdamwStatusNonfinite;
    res.skipped = st & c::kAdamwStatusSkipped;
    if (found_inf != res.skipped) {
      throw std::runtime_error("adamw_step: ADAMW_STATUS is inconsistent (nonfinite " +
                               std::to_string(found_inf) + ", skipped " +
                               std::to_string(res.skipped) + ")");
    }
  } else {
    // PyTorch without GradScaler checks nothing: non-finite gradients go into the update.
    CommandStream s(config());
    steps(s, false);
    res.step_stats = run_accumulate(s, res.stats);
  }
  if (o.scaler) o.scaler->update(found_inf);
  res.new_loss_scale = o.scaler ? o.scaler->scale() : res.loss_scale;
  return res;
}

}  // namespace tessera
