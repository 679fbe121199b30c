// SPDX-License-Identifier: Apache-2.0
// ISA-level functional model of the chip: CSRs, fetcher, three token-synchronised queues,
// scratchpad/accumulator, golden arithmetic, error reporting and a cycle estimate.
#include "tessera/func_device.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "tessera/golden/adamw.hpp"
#include "tessera/golden/arith.hpp"
#include "tessera/golden/mmu.hpp"
#include "tessera/golden/vec.hpp"

namespace tessera {

using isa::ErrCode;
using isa::Unit;

namespace {

constexpr int kLoadQ = 0, kExecQ = 1, kStoreQ = 2;

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Unit unit_of(int q) { return q == kLoadQ ? Unit::kLoad : q == kExecQ ? Unit::kExec : Unit::kStore; }

}  // namespace

FuncDevice::FuncDevice(const ChipConfig& cfg, const DeviceOptions& opt)
    : cfg_(cfg),
      opt_(opt),
      spad_(size_t(cfg.spad_rows) * cfg.dim),
      acc_(size_t(cfg.acc_rows) * cfg.dim),
      win_csr_(cfg.windows),
      win_(cfg.windows),
      adamw_acc_(isa::adamw_scan_lanes(cfg)) {
  // SRAMs are not reset on the chip: start from garbage so that reads of rows no LOAD or
  // GEMM wrote show up in results.
  uint64_t s = opt.seed;
  for (auto& v : spad_) v = uint16_t(splitmix(s));
  for (auto& v : acc_) v = uint32_t(splitmix(s));
}

uint8_t FuncDevice::background(uint64_t addr) {
  return uint8_t(((addr * 0x9e3779b97f4a7c15ull) >> 56) ^ 0xa5);
}

uint8_t* FuncDevice::page_ptr(uint64_t addr) {
  auto& p = mem_[addr >> 12];
  if (!p) {
    p = std::make_unique<Page>();
    for (uint64_t i = 0; i < 4096; ++i) (*p)[i] = background((addr & ~0xfffull) + i);
  }
  return p->data() + (addr & 0xfff);
}

void FuncDevice::mem_write(uint64_t addr, const uint8_t* data, size_t n) {
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, 4096 - (addr & 0xfff));
    std::memcpy(page_ptr(addr), data, chunk);
    addr += chunk;
    data += chunk;
    n -= chunk;
  }
}

void FuncDevice::mem_read(uint64_t addr, uint8_t* out, size_t n) const {
  while (n > 0) {
    const size_t chunk = std::min<size_t>(n, 4096 - (addr & 0xfff));
    auto it = mem_.find(addr >> 12);
    if (it == mem_.end()) {
      for (size_t i = 0; i < chunk; ++i) out[i] = background(addr + i);
    } else {
      std::memcpy(out, it->second->data() + (addr & 0xfff), chunk);
    }
    addr += chunk;
    out += chunk;
    n -= chunk;
  }
}

bool FuncDevice::irq() const {
  return (done_ && (ctrl_ & isa::csr::kCtrlIrqDoneEn)) ||
         (err_code_ != ErrCode::kNone && (ctrl_ & isa::csr::kCtrlIrqErrorEn));
}

// Quiet as the chip's `busy` defines it: the fetcher has nothing to fetch (or is stopped)
// and every queue is empty or stopped. So after an error the chip becomes `done` once the
// other queues have drained; a queue waiting on a token, or a fetcher waiting for room in a
// stopped queue, keeps it busy.
bool FuncDevice::idle() const {
  const bool fetch_idle = fetch_stopped_ || !fetch_active_ || ring_head_ == fetch_tail_;
  for (int q = 0; q < 3; ++q) {
    if (!q_stopped_[q] && !q_[q].empty()) return false;
  }
  return fetch_idle;
}

void FuncDevice::soft_reset() {
  for (auto& q : q_) q.clear();
  q_stopped_.fill(false);
  tokens_.fill(0);
  for (auto& t : token_time_) t.clear();
  for (auto& t : started_) t.clear();
  fetch_active_ = fetch_stopped_ = done_pending_ = false;
  done_ = false;
  err_code_ = ErrCode::kNone;
  err_unit_ = Unit::kNone;
  err_cmd_ = err_addr_ = 0;
  ring_head_ = ring_tail_ = fetch_tail_ = 0;
  flags_ = 0;
  adamw_acc_.clear();
  adamw_sumsq_ = 0;
  adamw_nonfinite_ = adamw_skipped_ = false;
  perf_.fill(0);
  perf_epoch_ = now_;
  fetch_time_ = now_;
  unit_free_.fill(now_);
}

void FuncDevice::raise(ErrCode code, Unit unit, uint32_t slot, uint32_t addr) {
  if (err_code_ != ErrCode::kNone) return;  // the first error is kept
  err_code_ = code;
  err_unit_ = unit;
  err_cmd_ = slot;
  err_addr_ = addr;
}

bool FuncDevice::in_window(uint64_t lo, uint64_t n, uint32_t perm) const {
  const uint64_t hi = lo + n - 1;  // inclusive, 64-bit exact
  for (const Window& w : win_) {
    if ((w.perm & perm) == perm && lo >= w.base && hi <= w.last) return true;
  }
  return false;
}

bool FuncDevice::bus_error(uint64_t addr, uint64_t rows, uint64_t stride, uint64_t bytes,
                           uint64_t* err_addr) const {
  if (bus_errors_.empty()) return false;
  const uint64_t B = cfg_.bus_bytes;
  for (uint64_t r = 0; r < rows; ++r) {
    const uint64_t a = addr + r * stride, end = a + bytes;
    uint64_t cur = a & ~(B - 1);
    while (cur < end) {
      const uint64_t left = (end - cur + B - 1) / B;
      const uint64_t to4k = (4096 - (cur & 0xfff)) / B;
      const uint64_t n = std::min<uint64_t>({256, left, to4k == 0 ? 1 : to4k});
      for (const auto& e : bus_errors_) {
        if (cur < e.second && e.first < cur + n * B) {
          *err_addr = cur;
          return true;
        }
      }
      cur += n * B;
    }
  }
  return false;
}

uint64_t FuncDevice::beats(uint64_t addr, uint64_t rows, uint64_t stride, uint64_t bytes) const {
  const uint64_t B = cfg_.bus_bytes;
  uint64_t n = 0;
  for (uint64_t r = 0; r < rows; ++r) {
    const uint64_t a = addr + r * stride;
    n += (a + bytes - 1) / B - a / B + 1;
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// CSRs

void FuncDevice::csr_write(uint32_t addr, uint32_t v) {
  namespace c = isa::csr;
  if (addr >= c::win_base(0) && addr < c::win_base(cfg_.windows)) {
    const uint32_t i = (addr - c::win_base(0)) / 16, reg = (addr - c::win_base(0)) % 16;
    if (reg == 0) win_csr_[i].base = v;
    if (reg == 4) win_csr_[i].last = v;
    if (reg == 8) {  // the windows reach the DMAs and the fetcher on a WIN_PERM write
      win_csr_[i].perm = v & 3u;
      win_[i] = win_csr_[i];
    }
    return;
  }
  switch (addr) {
    case c::kCtrl:
      if (v & c::kCtrlSoftReset) soft_reset();
      if (v & c::kCtrlPerfClear) {
        perf_.fill(0);
        perf_epoch_ = now_;
        busy_since_ = now_;
      }
      ctrl_ = v & (c::kCtrlIrqDoneEn | c::kCtrlIrqErrorEn);
      break;
    case c::kStatus:
      if (v & c::kStatusDone) done_ = false;
      break;
    case c::kErrCode:
      err_code_ = ErrCode::kNone;
      err_unit_ = Unit::kNone;
      break;
    case c::kRingBase:
      ring_base_ = v & ~31u;
      break;
    case c::kRingSize:
      ring_size_ = v;
      break;
    case c::kRingTail:
      ring_tail_ = v & 0xffffu;  // 16 bits, as on the chip
      break;
    case c::kDoorbell:
      doorbell();
      break;
    case c::kFlags:
      flags_ &= ~(v & 0x1fu);
      break;
    default:
      break;  // RO or unmapped: ignored
  }
}

uint32_t FuncDevice::csr_read(uint32_t addr) {
  namespace c = isa::csr;
  if (addr >= c::win_base(0) && addr < c::win_base(cfg_.windows)) {
    const uint32_t i = (addr - c::win_base(0)) / 16, reg = (addr - c::win_base(0)) % 16;
    if (reg == 0) return win_csr_[i].base;
    if (reg == 4) return win_csr_[i].last;
    if (reg == 8) return win_csr_[i].perm;
    return 0;
  }
  if (addr >= c::perf_lo(0) && addr < c::perf_lo(isa::kPerfCount)) {
    const uint32_t i = (addr - c::perf_lo(0)) / 8;
    uint64_t v = perf_[i];
    if (i == isa::kPerfCycles) v = now_ - perf_epoch_;
    if (i == isa::kPerfBusy && !idle()) v += now_ - busy_since_;
    return (addr & 4) ? uint32_t(v >> 32) : uint32_t(v);
  }
  switch (addr) {
    case c::kId:
      return c::kIdValue;
    case c::kVersion:
      return c::kVersionValue;
    case c::kCfgDim:
      return cfg_.dim | (cfg_.bus_bytes << 8) | ((cfg_.windows & 0xfu) << 16) |
             ((cfg_.adamw_lanes & 0xfu) << c::kCfgDimAdamwLanesLsb) |
             (cfg_.vec ? c::kCfgDimVec : 0u) | (cfg_.vec_divsqrt ? c::kCfgDimVecDivsqrt : 0u);
    case c::kCfgSpadRows:
      return cfg_.spad_rows;
    case c::kCfgAccRows:
      return cfg_.acc_rows;
    case c::kCtrl:
      return ctrl_;
    case c::kStatus: {
      uint32_t s = 0;
      if (!idle()) s |= c::kStatusBusy;
      if (done_) s |= c::kStatusDone;
      if (err_code_ != ErrCode::kNone) s |= c::kStatusError;
      const uint32_t wait_bit[3] = {c::kStatusWaitLoad, c::kStatusWaitExec, c::kStatusWaitStore};
      for (int q = 0; q < 3; ++q) {
        if (q_stopped_[q] || q_[q].empty()) continue;
        // The head passed its checks (else the queue would be stopped): it waits on tokens.
        s |= wait_bit[q];
      }
      if (fetch_stopped_) s |= c::kStatusFetchStopped;
      return s;
    }
    case c::kErrCode:
      return uint32_t(err_code_) | (uint32_t(err_unit_) << 8);
    case c::kErrCmd:
      return err_cmd_;
    case c::kErrAddr:
      return err_addr_;
    case c::kRingBase:
      return ring_base_;
    case c::kRingSize:
      return ring_size_;
    case c::kRingHead:
      return ring_head_;
    case c::kRingTail:
      return ring_tail_;
    case c::kFlags:
      return flags_;
    case c::kAdamwSumsq:
      return adamw_sumsq_;
    case c::kAdamwStatus:
      return (adamw_nonfinite_ ? c::kAdamwStatusNonfinite : 0u) |
             (adamw_skipped_ ? c::kAdamwStatusSkipped : 0u);
    default:
      return 0;
  }
}

bool FuncDevice::wait_irq(uint64_t max_cycles) {
  if (irq()) return true;
  now_ += max_cycles;  // the model has already run everything it can: it would just wait
  return false;
}

void FuncDevice::run_until_done(uint64_t max_cycles) {
  if (done_ || err_code_ != ErrCode::kNone) return;
  now_ += max_cycles;
  std::ostringstream os;
  os << "device did not finish: STATUS=0x" << std::hex << csr_read(isa::csr::kStatus) << std::dec
     << " RING_HEAD=" << ring_head_ << " RING_TAIL=" << ring_tail_
     << " queued (load/exec/store)=" << q_[0].size() << "/" << q_[1].size() << "/" << q_[2].size()
     << " tokens L>E=" << tokens_[0] << " E>L=" << tokens_[1] << " E>S=" << tokens_[2]
     << " S>E=" << tokens_[3];
  throw DeviceTimeout(os.str());
}

// ---------------------------------------------------------------------------------------
// Fetcher and queues

void FuncDevice::doorbell() {
  const bool was_idle = idle();
  done_pending_ = true;  // every doorbell ends in `done` once the chip is quiet again
  const uint64_t ring_bytes = uint64_t(ring_size_) * isa::kCmdBytes;
  if (ring_size_ == 0 || ring_size_ > 65536 || ring_tail_ >= ring_size_ ||
      ring_head_ >= ring_size_ || !in_window(ring_base_, ring_bytes, isa::csr::kPermRead)) {
    // The doorbell is ignored; the fetcher is not stopped (a later doorbell with a good
    // ring fetches), as on the chip.
    raise(ErrCode::kRing, Unit::kFetch, ring_head_, ring_base_);
    update_done();
    return;
  }
  if (fetch_stopped_) {  // stays stopped until a soft reset
    update_done();
    return;
  }
  if (was_idle) {
    busy_since_ = now_;
    fetch_time_ = std::max(fetch_time_, now_);
    for (auto& u : unit_free_) u = std::max(u, now_);
  }
  fetch_time_ += opt_.mem_latency;  // first command of this doorbell arrives after a latency
  fetch_active_ = true;
  fetch_tail_ = ring_tail_;  // latched: a later RING_TAIL write needs its own doorbell
  process();
}

bool FuncDevice::fetch_one() {
  if (fetch_stopped_ || !fetch_active_ || ring_head_ == fetch_tail_) return false;
  const uint32_t slot = ring_head_;
  const uint64_t addr = uint64_t(ring_base_) + uint64_t(slot) * isa::kCmdBytes;
  uint64_t eaddr = 0;
  if (bus_error(addr, 1, isa::kCmdBytes, isa::kCmdBytes, &eaddr)) {
    raise(ErrCode::kBus, Unit::kFetch, slot, uint32_t(eaddr));
    fetch_stopped_ = true;
    return true;
  }
  uint8_t raw[isa::kCmdBytes];
  mem_read(addr, raw, sizeof raw);
  isa::Words w{};
  for (int i = 0; i < 8; ++i) {
    w[i] = uint32_t(raw[4 * i]) | (uint32_t(raw[4 * i + 1]) << 8) |
           (uint32_t(raw[4 * i + 2]) << 16) | (uint32_t(raw[4 * i + 3]) << 24);
  }
  const ErrCode e = isa::check_command(w, cfg_);
  if (e != ErrCode::kNone) {
    raise(e, Unit::kFetch, slot, 0);
    fetch_stopped_ = true;
    // RING_HEAD counts commands read from the ring: it is past the refused one (the chip
    // may have read a few more in the same burst; ERR_CMD names the refused one).
    ring_head_ = (ring_head_ + 1) % ring_size_;
    perf_[isa::kPerfBytesRead] += isa::kCmdBytes;
    return true;
  }
  const int q = int(isa::queue_of(isa::Opcode(isa::opcode_of(w))));
  if (q_[q].size() >= cfg_.queue_depth) return false;  // waits for room
  // Timing: one beat per command after the doorbell's latency, in order; a command also
  // waits for the queue slot freed by the command queue_depth places ahead of it.
  uint64_t t = fetch_time_ + std::max<uint64_t>(1, isa::kCmdBytes / cfg_.bus_bytes);
  if (started_[q].size() >= cfg_.queue_depth) {
    t = std::max(t, started_[q][started_[q].size() - cfg_.queue_depth]);
  }
  fetch_time_ = t;
  q_[q].push_back({w, slot, t});
  ring_head_ = (ring_head_ + 1) % ring_size_;
  perf_[isa::kPerfFetched] += 1;
  perf_[isa::kPerfBytesRead] += isa::kCmdBytes;
  return true;
}

bool FuncDevice::step_queue(int q) {
  if (q_stopped_[q] || q_[q].empty()) return false;
  const Pending p = q_[q].front();
  const isa::Tokens tok = isa::Tokens::from_bits(p.w[0]);
  const Unit unit = unit_of(q);
  const uint64_t ready = std::max(unit_free_[q], p.dispatched);
  auto refuse = [&](ErrCode e, uint32_t addr) {
    raise(e, unit, p.slot, addr);
    q_stopped_[q] = true;
    unit_free_[q] = ready + 2;
    return true;
  };
  // Queue-side checks, before any token is taken.
  isa::LoadCmd ld;
  isa::StoreCmd st;
  isa::GemmCmd gm;
  isa::AdamwCmd aw;
  const bool is_adamw = isa::opcode_of(p.w) == uint32_t(isa::Opcode::kAdamw);
  const bool is_vec = isa::opcode_of(p.w) == uint32_t(isa::Opcode::kVec);
  if (q == kLoadQ) {
    ld = isa::LoadCmd::decode(p.w);
    if (!in_window(ld.dram_addr, uint64_t(ld.rows - 1) * ld.stride + ld.bytes,
                   isa::csr::kPermRead)) {
      return refuse(ErrCode::kWindow, ld.dram_addr);
    }
  } else if (q == kStoreQ) {
    st = isa::StoreCmd::decode(p.w);
    const uint64_t row = uint64_t(st.cols) * isa::format_bytes(st.format);
    if (!in_window(st.dram_addr, uint64_t(st.rows - 1) * st.stride + row, isa::csr::kPermWrite)) {
      return refuse(ErrCode::kWindow, st.dram_addr);
    }
  } else if (is_adamw) {
    aw = isa::AdamwCmd::decode(p.w);
    uint32_t base = 0;
    if (adamw_window_error(aw, &base)) return refuse(ErrCode::kWindow, base);
  } else if (!is_vec) {
    gm = isa::GemmCmd::decode(p.w);
    if (gm.a_trans && !opt_.a_trans_supported) return refuse(ErrCode::kMmu, 0);
  }
  // Tokens: counters this queue pops from / pushes to.
  const int pop_prev_c = q == kExecQ ? isa::kTokLtoE : q == kStoreQ ? isa::kTokEtoS : -1;
  const int pop_next_c = q == kLoadQ ? isa::kTokEtoL : q == kExecQ ? isa::kTokStoE : -1;
  const int push_prev_c = q == kExecQ ? isa::kTokEtoL : q == kStoreQ ? isa::kTokStoE : -1;
  const int push_next_c = q == kLoadQ ? isa::kTokLtoE : q == kExecQ ? isa::kTokEtoS : -1;
  if ((tok.pop_prev && tokens_[pop_prev_c] == 0) || (tok.pop_next && tokens_[pop_next_c] == 0)) {
    return false;  // waits (STATUS.wait_*)
  }
  uint64_t start = ready;
  for (int c : {tok.pop_prev ? pop_prev_c : -1, tok.pop_next ? pop_next_c : -1}) {
    if (c < 0) continue;
    tokens_[c] -= 1;
    start = std::max(start, token_time_[c].front());
    token_time_[c].pop_front();
  }
  if (is_adamw) {  // it has the bus alone: no LOAD or STORE runs while it does
    start = std::max({start, unit_free_[kLoadQ], unit_free_[kStoreQ]});
  }
  q_[q].pop_front();
  started_[q].push_back(start);
  if (started_[q].size() > cfg_.queue_depth) started_[q].pop_front();
  perf_[q == kLoadQ   ? isa::kPerfLoadWait
        : q == kExecQ ? isa::kPerfExecWait
                      : isa::kPerfStoreWait] += start - ready;

  ErrCode err = ErrCode::kNone;
  uint32_t err_addr = 0;
  uint64_t dur;
  if (q == kLoadQ) {
    dur = exec_load(ld, &err, &err_addr);
  } else if (q == kStoreQ) {
    dur = exec_store(st, &err, &err_addr);
  } else if (is_adamw) {
    dur = exec_adamw(aw, &err, &err_addr);
  } else if (is_vec) {
    dur = exec_vec(isa::VecCmd::decode(p.w));
  } else {
    dur = exec_gemm(gm);
  }
  const uint64_t finish = start + dur;
  unit_free_[q] = finish;
  if (is_adamw) {
    unit_free_[kLoadQ] = std::max(unit_free_[kLoadQ], finish);
    unit_free_[kStoreQ] = std::max(unit_free_[kStoreQ], finish);
  }
  perf_[q == kLoadQ   ? isa::kPerfLoadBusy
        : q == kExecQ ? isa::kPerfExecBusy
                      : isa::kPerfStoreBusy] += dur;
  if (err != ErrCode::kNone) {  // bus error: the command ended, its queue stops, no push
    raise(err, unit, p.slot, err_addr);
    q_stopped_[q] = true;
    return true;
  }
  // Pushes: refused as a whole if one counter would overflow.
  if ((tok.push_prev && tokens_[push_prev_c] >= isa::kTokenMax) ||
      (tok.push_next && tokens_[push_next_c] >= isa::kTokenMax)) {
    raise(ErrCode::kToken, unit, p.slot, 0);
    q_stopped_[q] = true;
    return true;
  }
  for (int c : {tok.push_prev ? push_prev_c : -1, tok.push_next ? push_next_c : -1}) {
    if (c < 0) continue;
    tokens_[c] += 1;
    token_time_[c].push_back(finish);
  }
  return true;
}

void FuncDevice::process() {
  bool progress = true;
  while (progress) {
    progress = false;
    while (fetch_one()) progress = true;
    for (int q = 0; q < 3; ++q) progress |= step_queue(q);
  }
  for (uint64_t t : unit_free_) now_ = std::max(now_, t);
  now_ = std::max(now_, fetch_time_);
  update_done();
}

void FuncDevice::update_done() {
  if (done_pending_ && idle()) {
    done_ = true;
    done_pending_ = false;
    perf_[isa::kPerfBusy] += now_ - busy_since_;
    busy_since_ = now_;
  }
}

// ---------------------------------------------------------------------------------------
// Commands

uint64_t FuncDevice::exec_load(const isa::LoadCmd& c, ErrCode* err, uint32_t* err_addr) {
  const uint64_t lat = 3 + opt_.mem_latency + beats(c.dram_addr, c.rows, c.stride, c.bytes);
  uint64_t ea = 0;
  if (bus_error(c.dram_addr, c.rows, c.stride, c.bytes, &ea)) {
    *err = ErrCode::kBus;
    *err_addr = uint32_t(ea);
    return lat;  // partial effects are timing-dependent on the chip; the model writes nothing
  }
  const uint32_t D = cfg_.dim;
  const uint32_t esz = c.to_acc ? 4 : c.expand8 ? 1 : 2;
  const uint32_t elems = c.bytes / esz;
  const uint32_t per_row = isa::ceil_div(elems, D);
  std::vector<uint8_t> row(c.bytes);
  for (uint32_t r = 0; r < c.rows; ++r) {
    mem_read(uint64_t(c.dram_addr) + uint64_t(r) * c.stride, row.data(), c.bytes);
    const size_t base = (size_t(c.sram_addr) + size_t(r) * per_row) * D;
    for (uint32_t e = 0; e < per_row * D; ++e) {
      if (c.to_acc) {
        uint32_t v = 0;
        if (e < elems) {
          v = uint32_t(row[4 * e]) | (uint32_t(row[4 * e + 1]) << 8) |
              (uint32_t(row[4 * e + 2]) << 16) | (uint32_t(row[4 * e + 3]) << 24);
        }
        acc_[base + e] = v;
      } else if (c.expand8) {
        spad_[base + e] = e < elems ? uint16_t(int16_t(int8_t(row[e]))) : 0;
      } else {
        spad_[base + e] = e < elems ? uint16_t(row[2 * e] | (row[2 * e + 1] << 8)) : 0;
      }
    }
  }
  // Bytes read are whole bus beats (a row at an unaligned address or of odd length costs
  // every beat it touches), as the chip counts them.
  perf_[isa::kPerfBytesRead] += beats(c.dram_addr, c.rows, c.stride, c.bytes) * cfg_.bus_bytes;
  return lat;
}

uint64_t FuncDevice::exec_store(const isa::StoreCmd& c, ErrCode* err, uint32_t* err_addr) {
  const uint32_t eb = isa::format_bytes(c.format);
  const uint32_t row_bytes = uint32_t(c.cols) * eb;
  const uint64_t lat = 9 + opt_.mem_latency + beats(c.dram_addr, c.rows, c.stride, row_bytes);
  uint64_t ea = 0;
  if (bus_error(c.dram_addr, c.rows, c.stride, row_bytes, &ea)) {
    *err = ErrCode::kBus;
    *err_addr = uint32_t(ea);
    return lat;
  }
  const uint32_t D = cfg_.dim;
  const uint32_t per_row = isa::ceil_div(c.cols, D);
  std::vector<uint8_t> out(row_bytes);
  uint8_t fl = 0;
  for (uint32_t r = 0; r < c.rows; ++r) {
    const size_t base = (size_t(c.acc_addr) + size_t(r) * per_row) * D;
    for (uint32_t e = 0; e < c.cols; ++e) {
      const uint32_t v = acc_[base + e];
      switch (c.format) {
        case isa::StoreFormat::kRaw:
          for (int b = 0; b < 4; ++b) out[4 * e + b] = uint8_t(v >> (8 * b));
          break;
        case isa::StoreFormat::kFp16:
        case isa::StoreFormat::kBf16: {
          const auto h = golden::fp_narrow(
              c.format == isa::StoreFormat::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16, v);
          fl |= h.flags;
          out[2 * e] = uint8_t(h.bits);
          out[2 * e + 1] = uint8_t(h.bits >> 8);
          break;
        }
        case isa::StoreFormat::kInt8: {
          const auto rq = golden::int_requant(int32_t(v), c.mult, c.shift, c.zero_point, -128, 127);
          out[e] = uint8_t(rq.q);  // the shift range was checked at fetch
          break;
        }
      }
    }
    const uint64_t a = uint64_t(c.dram_addr) + uint64_t(r) * c.stride;
    mem_write(a, out.data(), out.size());
    for (uint64_t pg = a >> 12; pg <= (a + out.size() - 1) >> 12; ++pg) chip_pages_.insert(pg);
  }
  flags_ |= fl;
  perf_[isa::kPerfBytesWritten] += uint64_t(c.rows) * row_bytes;
  return lat;
}

uint64_t FuncDevice::exec_gemm(const isa::GemmCmd& c) {
  const uint32_t D = cfg_.dim;
  const uint32_t steps = isa::ceil_div(c.k, D), tiles = isa::ceil_div(c.n, D);
  const bool is_int = c.dtype == isa::Dtype::kInt8;
  const uint8_t cfg = golden::mmu_cfg(golden::MmuDtype(uint8_t(c.dtype)), c.b_trans);
  std::vector<uint16_t> w(size_t(D) * D), a(size_t(c.m) * D);
  auto spad_row = [&](uint64_t r) { return &spad_[size_t(r) * D]; };
  uint8_t fl = 0;
  for (uint32_t j = 0; j < tiles; ++j) {
    for (uint32_t s = 0; s < steps; ++s) {
      // Weight tile as streamed: stored rows of B outside the matrix are fed as zeros;
      // lanes are used as stored (LOAD zero-fills them beyond the matrix edge).
      for (uint32_t r = 0; r < D; ++r) {
        const uint32_t stored = c.b_trans ? j * D + r : s * D + r;
        const uint32_t limit = c.b_trans ? c.n : c.k;
        uint16_t* dst = &w[size_t(r) * D];
        if (stored >= limit) {
          std::fill(dst, dst + D, uint16_t(0));
        } else {
          const uint32_t col = c.b_trans ? s : j;
          const uint16_t* src = spad_row(uint64_t(c.b_addr) + uint64_t(stored) * c.b_stride + col);
          std::copy(src, src + D, dst);
        }
      }
      // Activation rows of op(A), step s.
      for (uint32_t i = 0; i < c.m; ++i) {
        uint16_t* dst = &a[size_t(i) * D];
        if (!c.a_trans) {
          const uint16_t* src = spad_row(uint64_t(c.a_addr) + uint64_t(i) * c.a_stride + s);
          std::copy(src, src + D, dst);
        } else {  // A stored K x M: element (i, k) is lane i%D of stored row k
          for (uint32_t kk = 0; kk < D; ++kk) {
            const uint32_t k = s * D + kk;
            dst[kk] = k >= c.k
                          ? uint16_t(0)
                          : spad_row(uint64_t(c.a_addr) + uint64_t(k) * c.a_stride + i / D)[i % D];
          }
        }
      }
      const std::vector<golden::MmuRow> rows = golden::mmu_tile(int(D), cfg, w, a);
      for (uint32_t i = 0; i < c.m; ++i) {
        uint32_t* dst = &acc_[(size_t(c.c_addr) + size_t(i) * c.c_stride + j) * D];
        const golden::MmuRow& r = rows[i];
        const bool overwrite = s == 0 && !c.accumulate;
        for (uint32_t l = 0; l < D; ++l) {
          // The array's flags count only for real columns (< N); the accumulator's adds
          // raise theirs on every lane, as ts_acc does (padding lanes of a LOADed C are +0
          // and the array's padding results are zeros or quiet NaNs: nothing is raised).
          if (uint64_t(j) * D + l < c.n) fl |= r.flags[l];
          if (overwrite) {
            dst[l] = r.data[l];
          } else if (is_int) {
            dst[l] = dst[l] + r.data[l];
          } else {
            const golden::Fp32Result q = golden::fp32_add(dst[l], r.data[l]);
            fl |= q.flags;
            dst[l] = q.bits;
          }
        }
      }
    }
  }
  if (!is_int) flags_ |= fl;
  perf_[isa::kPerfMacs] += uint64_t(c.m) * c.n * c.k;
  const uint64_t active = uint64_t(tiles) * steps * c.m;
  perf_[isa::kPerfMmuActive] += active;
  // Plus the array's latency ((pe_add_stages + 1) * Dim + pe_mul_stages, docs/mmu.md) and
  // the exec pipeline around it.
  return uint64_t(tiles) * steps * std::max<uint64_t>(c.m, D) +
         uint64_t(cfg_.pe_add_stages + 1) * D + cfg_.pe_mul_stages + 3;
}

// ---------------------------------------------------------------------------------------
// VEC: golden::vec_run on the SRAM images (the decoder has checked the command).

uint64_t FuncDevice::exec_vec(const isa::VecCmd& c) {
  golden::VecCmd g;
  g.op1 = golden::VecOp1(c.op1);
  g.bsrc = golden::VecBsrc(c.bsrc);
  g.fn = golden::VecFn(c.fn);
  g.red = golden::VecRed(c.red);
  g.racc = c.racc;
  g.sat = c.sat;
  g.mask = golden::VecMask(c.mask);
  g.dst = golden::VecDst(c.dst);
  g.rows = c.rows;
  g.cols = c.cols;
  g.a_addr = c.a_addr;
  g.b_addr = c.b_addr;
  g.d_addr = c.d_addr;
  g.r_addr = c.r_addr;
  g.stride = c.stride;
  g.moff = c.moff;
  g.imm = c.imm;
  flags_ |= golden::vec_run(g, int(cfg_.dim), acc_, spad_);
  // Time: one accumulator row per cycle (two reads per row with a MAT or COL operand),
  // plus the lanes' latency (docs/vec.md).
  const uint64_t blocks = uint64_t(c.rows) * isa::ceil_div(c.cols, cfg_.dim);
  const bool two = c.op1 != isa::vec::kPass && (c.bsrc == isa::vec::kMat || c.bsrc == isa::vec::kCol);
  return blocks * (two ? 2 : 1) + 32;
}

// ---------------------------------------------------------------------------------------
// ADAMW

bool FuncDevice::adamw_window_error(const isa::AdamwCmd& c, uint32_t* base) const {
  namespace cs = isa::csr;
  const uint64_t n = c.n;
  struct Range {
    uint32_t addr;
    uint64_t bytes;
    uint32_t perm;
  };
  std::vector<Range> ranges{{c.scalars_addr, isa::kAdamwScalarBytes, cs::kPermRead},
                            {c.g_addr, n * isa::grad_bytes(c.gfmt), cs::kPermRead}};
  if (c.step) {
    for (uint32_t a : {c.p_addr, c.m_addr, c.v_addr}) {
      ranges.push_back({a, 4 * n, cs::kPermRead | cs::kPermWrite});
    }
    if (c.p16) ranges.push_back({c.p16_addr, 2 * n, cs::kPermWrite});
  }
  const uint64_t B = cfg_.bus_bytes;
  for (const Range& r : ranges) {
    // Whole beats (each range starts on one): every beat the unit moves is in the window.
    // 64-bit: a range past 2^32 is outside.
    if (!in_window(r.addr, (r.bytes + B - 1) / B * B, r.perm)) {
      *base = r.addr;
      return true;
    }
  }
  return false;
}

namespace {

uint32_t le32(const uint8_t* b) {
  return uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
}
void put32(uint8_t* b, uint32_t v) {
  for (int k = 0; k < 4; ++k) b[k] = uint8_t(v >> (8 * k));
}

}  // namespace

uint64_t FuncDevice::exec_adamw(const isa::AdamwCmd& c, ErrCode* err, uint32_t* err_addr) {
  const uint64_t B = cfg_.bus_bytes, n = c.n, L = cfg_.adamw_lanes;
  const uint64_t SL = isa::adamw_scan_lanes(cfg_);
  const uint64_t gb = isa::grad_bytes(c.gfmt);
  auto beats = [&](uint64_t bytes) { return (bytes + B - 1) / B; };  // ranges are aligned
  // As the chip: the skip decision and SCAN's clear happen once the windows have passed,
  // before any access (so also before a bus error).
  if (c.step) {
    adamw_skipped_ = c.skip && adamw_nonfinite_;
    if (adamw_skipped_) return 2;  // reads and writes nothing
  } else if (c.clear) {
    adamw_acc_.clear();
    adamw_nonfinite_ = false;
  }
  // Bus errors (test hook): every range the command reads, then the ones it writes.
  {
    std::vector<std::pair<uint64_t, uint64_t>> rs{{c.scalars_addr, isa::kAdamwScalarBytes},
                                                  {c.g_addr, n * gb}};
    if (c.step) {
      for (uint32_t a : {c.p_addr, c.m_addr, c.v_addr}) rs.push_back({a, 4 * n});
      if (c.p16) rs.push_back({c.p16_addr, 2 * n});
    }
    uint64_t ea = 0;
    for (const auto& r : rs) {
      if (bus_error(r.first, 1, r.second, r.second, &ea)) {
        *err = ErrCode::kBus;
        *err_addr = uint32_t(ea);
        return 4 + opt_.mem_latency;
      }
    }
  }
  uint8_t sb[isa::kAdamwScalarBytes];
  mem_read(c.scalars_addr, sb, sizeof sb);
  golden::AdamWScalarBits s;
  s.inv_loss_scale = le32(sb + 0);
  s.decay = le32(sb + 4);
  s.one_minus_b1 = le32(sb + 8);
  s.b2 = le32(sb + 12);
  s.one_minus_b2 = le32(sb + 16);
  s.bc2_sqrt = le32(sb + 20);
  s.eps = le32(sb + 24);
  s.neg_step = le32(sb + 28);
  s.decay_enabled = c.decay;
  s.grad_fmt = c.gfmt;
  s.p16_fmt = c.p16fmt;
  uint64_t rd = beats(isa::kAdamwScalarBytes) + beats(n * gb), wr = 0;

  constexpr uint64_t kChunk = 4096;
  std::vector<uint8_t> g(kChunk * 4), p(kChunk * 4), m(kChunk * 4), v(kChunk * 4), h(kChunk * 2);
  uint8_t fl = 0;
  if (!c.step) {
    for (uint64_t i0 = 0; i0 < n; i0 += kChunk) {
      const uint64_t k = std::min(kChunk, n - i0);
      mem_read(c.g_addr + i0 * gb, g.data(), k * gb);
      for (uint64_t i = 0; i < k; ++i) {
        const uint32_t raw = gb == 4 ? le32(&g[4 * i]) : uint32_t(g[2 * i] | (g[2 * i + 1] << 8));
        const golden::AdamWScan r = golden::adamw_scan(s, raw);
        fl |= r.flags;
        adamw_nonfinite_ = adamw_nonfinite_ || r.nonfinite;
        adamw_acc_.add(i0 + i, r.gsq);  // the adds raise no FLAGS (docs/isa.md)
      }
    }
    adamw_sumsq_ = adamw_acc_.sumsq();
  } else {
    rd += 3 * beats(4 * n);
    wr = 3 * beats(4 * n) + (c.p16 ? beats(2 * n) : 0);
    for (uint64_t i0 = 0; i0 < n; i0 += kChunk) {
      const uint64_t k = std::min(kChunk, n - i0);
      mem_read(c.g_addr + i0 * gb, g.data(), k * gb);
      mem_read(c.p_addr + i0 * 4, p.data(), k * 4);
      mem_read(c.m_addr + i0 * 4, m.data(), k * 4);
      mem_read(c.v_addr + i0 * 4, v.data(), k * 4);
      for (uint64_t i = 0; i < k; ++i) {
        const uint32_t raw = gb == 4 ? le32(&g[4 * i]) : uint32_t(g[2 * i] | (g[2 * i + 1] << 8));
        const golden::AdamWElement e =
            golden::adamw_element(s, raw, le32(&p[4 * i]), le32(&m[4 * i]), le32(&v[4 * i]));
        fl |= e.flags;
        put32(&p[4 * i], e.p);
        put32(&m[4 * i], e.m);
        put32(&v[4 * i], e.v);
        h[2 * i] = uint8_t(e.p16);
        h[2 * i + 1] = uint8_t(e.p16 >> 8);
      }
      std::vector<std::pair<uint64_t, const uint8_t*>> outs{{c.p_addr + i0 * 4, p.data()},
                                                            {c.m_addr + i0 * 4, m.data()},
                                                            {c.v_addr + i0 * 4, v.data()}};
      for (const auto& o : outs) {
        mem_write(o.first, o.second, k * 4);
        for (uint64_t pg = o.first >> 12; pg <= (o.first + k * 4 - 1) >> 12; ++pg) {
          chip_pages_.insert(pg);
        }
      }
      if (c.p16) {
        const uint64_t a = c.p16_addr + i0 * 2;
        mem_write(a, h.data(), k * 2);
        for (uint64_t pg = a >> 12; pg <= (a + k * 2 - 1) >> 12; ++pg) chip_pages_.insert(pg);
      }
    }
    perf_[isa::kPerfBytesWritten] += 12 * n + (c.p16 ? 2 * n : 0);
  }
  flags_ |= fl;
  perf_[isa::kPerfBytesRead] += rd * B;
  const uint64_t lanes = (n + L - 1) / L;
  if (!c.step) return 4 + 2 * uint64_t(opt_.mem_latency) + std::max((n + SL - 1) / SL, rd);
  return 4 + 3 * uint64_t(opt_.mem_latency) + 41 + std::max({lanes, rd, wr});
}

}  // namespace tessera
