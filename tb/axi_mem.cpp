// SPDX-License-Identifier: Apache-2.0
// AXI4 slave memory model and protocol checker (see axi_mem.hpp).
#include "axi_mem.hpp"

#include <algorithm>
#include <sstream>

namespace tessera::tb {

namespace {
std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}
}  // namespace

AxiMem::AxiMem(const AxiMemConfig& cfg) : cfg_(cfg), rng_(cfg.seed) {
  if (cfg_.data_bytes == 0 || cfg_.data_bytes > 64 || (cfg_.data_bytes & (cfg_.data_bytes - 1)))
    throw std::invalid_argument("AxiMem: data_bytes must be a power of two <= 64");
  r_data_.assign(cfg_.data_bytes, 0);
  prev_.w_data.assign(cfg_.data_bytes, 0);
}

uint8_t AxiMem::background(uint64_t addr) {
  return uint8_t(((addr * 0x9e3779b97f4a7c15ull) >> 56) ^ 0xa5);
}

uint8_t* AxiMem::page_ptr(uint64_t addr) {
  auto& p = pages_[addr >> 12];
  if (!p) {
    p = std::make_unique<std::array<uint8_t, 4096>>();
    for (uint64_t i = 0; i < 4096; ++i) (*p)[i] = background((addr & ~0xfffull) + i);
  }
  return p->data() + (addr & 0xfff);
}

uint8_t AxiMem::byte(uint64_t addr) const {
  auto it = pages_.find(addr >> 12);
  return it == pages_.end() ? background(addr) : (*it->second)[addr & 0xfff];
}

void AxiMem::write(uint64_t addr, const std::vector<uint8_t>& bytes) {
  for (size_t i = 0; i < bytes.size(); ++i) *page_ptr(addr + i) = bytes[i];
}

std::vector<uint8_t> AxiMem::read(uint64_t addr, size_t n) const {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = byte(addr + i);
  return v;
}

void AxiMem::inject_error(uint64_t lo, uint64_t hi, AxiResp resp) {
  errors_.push_back({lo, hi, resp});
}

void AxiMem::violation(const std::string& msg) {
  std::string m = "AXI protocol violation at cycle " + std::to_string(now_) + ": " + msg;
  violations_.push_back(m);
  if (cfg_.throw_on_violation) throw ProtocolError(m);
}

void AxiMem::check_address(const char* ch, uint64_t addr, uint32_t len, uint32_t size,
                           uint32_t kind) {
  const std::string c(ch);
  if ((1u << size) > cfg_.data_bytes)
    violation(c + " size " + std::to_string(size) + " wider than the bus");
  if (kind == 3) violation(c + " reserved burst type 3");
  if (len > 255) violation(c + " len > 255");
  const uint64_t bytes = 1ull << size;
  if (kind == 1) {
    const uint64_t last = (addr & ~(bytes - 1)) + uint64_t(len + 1) * bytes - 1;
    if ((addr >> 12) != (last >> 12))
      violation(c + " INCR burst crosses a 4 KiB boundary: addr " + hex(addr) + " len " +
                std::to_string(len) + " size " + std::to_string(size));
  } else if (kind == 2) {
    if (len != 1 && len != 3 && len != 7 && len != 15)
      violation(c + " WRAP burst with len " + std::to_string(len));
    if (addr & (bytes - 1)) violation(c + " unaligned WRAP burst at " + hex(addr));
  } else if (kind == 0 && len > 15) {
    violation(c + " FIXED burst longer than 16 beats");
  }
}

uint64_t AxiMem::beat_addr(const Burst& b, uint32_t beat) const {
  const uint64_t bytes = 1ull << b.size;
  const uint64_t aligned = b.addr & ~(bytes - 1);
  if (b.kind == 0) return b.addr;
  if (b.kind == 2) {
    const uint64_t span = bytes * (b.len + 1);
    const uint64_t base = b.addr & ~(span - 1);
    return base + ((b.addr - base + beat * bytes) % span);
  }
  return beat == 0 ? b.addr : aligned + beat * bytes;
}

uint32_t AxiMem::burst_resp(uint64_t addr, uint32_t len, uint32_t size) const {
  const uint64_t lo = addr & ~((1ull << size) - 1);
  const uint64_t hi = lo + (uint64_t(len) + 1) * (1ull << size);
  uint32_t resp = kOkay;
  for (const auto& e : errors_)
    if (lo < e.hi && e.lo < hi) resp = std::max<uint32_t>(resp, e.resp);
  return resp;
}

// Matches buffered W beats with accepted AWs in order, writing memory.
void AxiMem::apply_w_beats() {
  while (!wbeats_.empty()) {
    auto it = std::find_if(writes_.begin(), writes_.end(),
                           [](const Burst& b) { return !b.data_done; });
    if (it == writes_.end()) return;  // W ahead of its AW: wait for the AW
    Burst& b = *it;
    WBeat w = std::move(wbeats_.front());
    wbeats_.pop_front();
    const uint64_t a = beat_addr(b, b.beat);
    const uint64_t bytes = 1ull << b.size;
    const uint64_t lane_lo = a & (cfg_.data_bytes - 1);
    const uint64_t lane_hi = ((a & ~(bytes - 1)) & (cfg_.data_bytes - 1)) + bytes;
    for (unsigned k = 0; k < cfg_.data_bytes; ++k) {
      if (!((w.strb >> k) & 1)) continue;
      if (k < lane_lo || k >= lane_hi) {
        violation("WSTRB lane " + std::to_string(k) + " outside the beat at " + hex(a));
        continue;
      }
      if (b.resp == kOkay) *page_ptr((a & ~uint64_t(cfg_.data_bytes - 1)) + k) = w.data[k];
    }
    const bool last = b.beat == b.len;
    if (w.last != last)
      violation(std::string("WLAST ") + (w.last ? "on beat " : "missing on last beat ") +
                std::to_string(b.beat) + " of a " + std::to_string(b.len + 1) +
                "-beat burst at " + hex(b.addr));
    if (last) {
      b.data_done = true;
      b.ready_at = now_ + cfg_.write_latency;
      bresp_.push_back(b);
      writes_.erase(it);
    } else {
      ++b.beat;
    }
  }
}

int AxiMem::pick(const std::deque<Burst>& q) {
  if (q.empty()) return -1;
  if (!cfg_.out_of_order) return q.front().ready_at <= now_ ? 0 : -1;
  // The oldest burst of each ID is a candidate; one ready candidate at random.
  std::vector<int> cand;
  std::vector<uint32_t> seen;
  for (size_t i = 0; i < q.size(); ++i) {
    if (std::find(seen.begin(), seen.end(), q[i].id) != seen.end()) continue;
    seen.push_back(q[i].id);
    if (q[i].ready_at <= now_) cand.push_back(int(i));
  }
  if (cand.empty()) return -1;
  return cand[rng_() % cand.size()];
}

void AxiMem::drive(AxiBus& bus) const {
  bus.ar_ready = ar_ready_;
  bus.aw_ready = aw_ready_;
  bus.w_ready = w_ready_;
  bus.r_valid = r_valid_;
  if (r_valid_) {
    const Burst& b = reads_[size_t(r_cur_)];
    bus.r_id = b.id;
    bus.r_resp = b.resp;
    bus.r_last = b.beat == b.len;
  } else {
    bus.r_id = 0;
    bus.r_resp = 0;
    bus.r_last = false;
  }
  bus.r_data = r_data_;
  bus.b_valid = b_valid_;
  bus.b_id = b_valid_ ? bresp_[size_t(b_cur_)].id : 0;
  bus.b_resp = b_valid_ ? bresp_[size_t(b_cur_)].resp : 0;
}

void AxiMem::edge(const AxiBus& bus) {
  // ---- master-side stability: a valid not accepted must hold with the same payload
  if (ar_wait_) {
    if (!bus.ar_valid) violation("ARVALID dropped before ARREADY");
    else if (bus.ar_addr != prev_.ar_addr || bus.ar_len != prev_.ar_len ||
             bus.ar_size != prev_.ar_size || bus.ar_burst != prev_.ar_burst ||
             bus.ar_id != prev_.ar_id)
      violation("AR payload changed while ARVALID waited for ARREADY");
  }
  if (aw_wait_) {
    if (!bus.aw_valid) violation("AWVALID dropped before AWREADY");
    else if (bus.aw_addr != prev_.aw_addr || bus.aw_len != prev_.aw_len ||
             bus.aw_size != prev_.aw_size || bus.aw_burst != prev_.aw_burst ||
             bus.aw_id != prev_.aw_id)
      violation("AW payload changed while AWVALID waited for AWREADY");
  }
  if (w_wait_) {
    if (!bus.w_valid) violation("WVALID dropped before WREADY");
    else if (bus.w_strb != prev_.w_strb || bus.w_last != prev_.w_last ||
             bus.w_data != prev_.w_data)
      violation("W payload changed while WVALID waited for WREADY");
  }

  // ---- handshakes at this edge
  const bool ar_fire = bus.ar_valid && ar_ready_;
  const bool aw_fire = bus.aw_valid && aw_ready_;
  const bool w_fire = bus.w_valid && w_ready_;
  const bool r_fire = r_valid_ && bus.r_ready;
  const bool b_fire = b_valid_ && bus.b_ready;
  ar_wait_ = bus.ar_valid && !ar_ready_;
  aw_wait_ = bus.aw_valid && !aw_ready_;
  w_wait_ = bus.w_valid && !w_ready_;
  prev_ = bus;

  if (ar_fire) {
    check_address("AR", bus.ar_addr, bus.ar_len, bus.ar_size, bus.ar_burst);
    Burst b;
    b.id = bus.ar_id;
    b.addr = bus.ar_addr;
    b.len = bus.ar_len;
    b.size = bus.ar_size;
    b.kind = bus.ar_burst;
    b.ready_at = now_ + cfg_.read_latency;
    b.resp = burst_resp(b.addr, b.len, b.size);
    reads_.push_back(b);
    ++stats_.ar;
  }
  if (aw_fire) {
    check_address("AW", bus.aw_addr, bus.aw_len, bus.aw_size, bus.aw_burst);
    Burst b;
    b.id = bus.aw_id;
    b.addr = bus.aw_addr;
    b.len = bus.aw_len;
    b.size = bus.aw_size;
    b.kind = bus.aw_burst;
    b.resp = burst_resp(b.addr, b.len, b.size);
    writes_.push_back(b);
    ++stats_.aw;
  }
  if (w_fire) {
    if (bus.w_data.size() < cfg_.data_bytes) violation("W data narrower than the bus");
    wbeats_.push_back({bus.w_data, bus.w_strb, bus.w_last});
    ++stats_.w_beats;
    tokens_ -= cfg_.bytes_per_cycle > 0 ? cfg_.data_bytes : 0;
  }
  apply_w_beats();
  if (wbeats_.size() > 4096) violation("more than 4096 W beats without an AW");

  if (r_fire) {
    Burst& b = reads_[size_t(r_cur_)];
    ++stats_.r_beats;
    if (b.resp != kOkay) ++stats_.r_error_beats;
    if (b.beat == b.len) {
      reads_.erase(reads_.begin() + r_cur_);
    } else {
      ++b.beat;
    }
    r_valid_ = false;
  }
  if (b_fire) {
    if (bresp_[size_t(b_cur_)].resp != kOkay) ++stats_.b_errors;
    bresp_.erase(bresp_.begin() + b_cur_);
    ++stats_.b;
    b_valid_ = false;
  }

  // ---- outputs for the next cycle
  ++now_;
  ++stats_.cycles;
  if (cfg_.bytes_per_cycle > 0)
    tokens_ = std::min(tokens_ + cfg_.bytes_per_cycle, 2.0 * cfg_.data_bytes);
  const bool have_tokens = cfg_.bytes_per_cycle <= 0 || tokens_ >= cfg_.data_bytes;

  ar_ready_ = reads_.size() < cfg_.max_reads && !chance(cfg_.ar_stall);
  aw_ready_ = writes_.size() + bresp_.size() < cfg_.max_writes && !chance(cfg_.aw_stall);
  w_ready_ = have_tokens && !chance(cfg_.w_stall);

  if (r_valid_) {
    // A presented beat holds until accepted; its index may have moved if a burst before
    // it in the queue completed (not possible: only the presented burst advances).
  } else {
    // A burst in progress continues (no interleaving); otherwise pick the next one.
    int next = -1;
    for (size_t i = 0; i < reads_.size(); ++i)
      if (reads_[i].beat != 0) next = int(i);
    if (next < 0) next = pick(reads_);
    const bool tok = cfg_.bytes_per_cycle <= 0 || tokens_ >= cfg_.data_bytes;
    if (next >= 0 && tok && !chance(cfg_.r_stall)) {
      r_cur_ = next;
      r_valid_ = true;
      const Burst& b = reads_[size_t(next)];
      const uint64_t base = beat_addr(b, b.beat) & ~uint64_t(cfg_.data_bytes - 1);
      for (unsigned k = 0; k < cfg_.data_bytes; ++k)
        r_data_[k] = b.resp == kOkay ? byte(base + k) : 0;
      if (cfg_.bytes_per_cycle > 0) tokens_ -= cfg_.data_bytes;
    }
  }
  if (!b_valid_) {
    const int next = pick(bresp_);
    if (next >= 0 && !chance(cfg_.b_stall)) {
      b_cur_ = next;
      b_valid_ = true;
    }
  }
}

bool AxiMem::idle() const {
  return reads_.empty() && writes_.empty() && bresp_.empty() && wbeats_.empty() && !r_valid_ &&
         !b_valid_;
}

void AxiMem::check_idle() {
  if (idle()) return;
  violation("master left traffic unfinished: " + std::to_string(reads_.size()) +
            " read bursts, " + std::to_string(writes_.size()) + " write bursts without data, " +
            std::to_string(bresp_.size()) + " B responses, " + std::to_string(wbeats_.size()) +
            " W beats without AW");
}

}  // namespace tessera::tb
