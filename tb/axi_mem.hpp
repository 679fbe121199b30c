// SPDX-License-Identifier: Apache-2.0
// AXI4 slave memory model with latency, bandwidth cap, random stalls, out-of-order
// responses, error injection and a protocol checker for the master it serves.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessera::tb {

// AXI responses.
enum AxiResp : uint32_t { kOkay = 0, kExOkay = 1, kSlvErr = 2, kDecErr = 3 };

// One cycle of an AXI4 interface. The master fields are sampled from the design after
// eval(); the slave fields are driven into the design before it.
struct AxiBus {
  // master -> slave
  bool ar_valid = false;
  uint32_t ar_id = 0, ar_len = 0, ar_size = 0, ar_burst = 1;
  uint64_t ar_addr = 0;
  bool aw_valid = false;
  uint32_t aw_id = 0, aw_len = 0, aw_size = 0, aw_burst = 1;
  uint64_t aw_addr = 0;
  bool w_valid = false, w_last = false;
  std::vector<uint8_t> w_data;
  uint64_t w_strb = 0;  // one bit per byte lane (bus up to 512 bits)
  bool r_ready = false, b_ready = false;
  // slave -> master
  bool ar_ready = false, aw_ready = false, w_ready = false;
  bool r_valid = false, r_last = false;
  uint32_t r_id = 0, r_resp = 0;
  std::vector<uint8_t> r_data;
  bool b_valid = false;
  uint32_t b_id = 0, b_resp = 0;
};

// Thrown (when AxiMemConfig::throw_on_violation) at the first AXI rule the master breaks.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct AxiMemConfig {
  unsigned data_bytes = 8;       // bus width in bytes (power of two, 1..64)
  unsigned read_latency = 10;    // cycles from AR acceptance until its first R beat may go
  unsigned write_latency = 10;   // cycles from the last W beat until its B may go
  double bytes_per_cycle = 0.0;  // bandwidth cap shared by R and W beats; 0: none
  double ar_stall = 0.0;         // probability that a ready / a new valid is held off
  double aw_stall = 0.0;
  double w_stall = 0.0;
  double r_stall = 0.0;
  double b_stall = 0.0;
  bool out_of_order = false;     // responses of different IDs may overtake each other
  unsigned max_reads = 64;       // read bursts accepted and not yet answered
  unsigned max_writes = 64;
  uint64_t seed = 1;
  bool throw_on_violation = true;
};

class AxiMem {
 public:
  struct Stats {
    uint64_t cycles = 0, ar = 0, aw = 0, r_beats = 0, w_beats = 0, b = 0;
    uint64_t r_error_beats = 0, b_errors = 0;
  };

  explicit AxiMem(const AxiMemConfig& cfg);

  const AxiMemConfig& config() const { return cfg_; }
  AxiMemConfig& config() { return cfg_; }

  // Backdoor memory access. Bytes never written read as background(addr).
  void write(uint64_t addr, const std::vector<uint8_t>& bytes);
  std::vector<uint8_t> read(uint64_t addr, size_t n) const;
  uint8_t byte(uint64_t addr) const;
  static uint8_t background(uint64_t addr);
  // Every byte written through the bus, as a set of pages (for "untouched" checks).
  bool page_touched(uint64_t page) const { return pages_.count(page) != 0; }

  // Bursts touching [lo, hi) get `resp` (SLVERR / DECERR); their writes are dropped.
  void inject_error(uint64_t lo, uint64_t hi, AxiResp resp);
  void clear_errors() { errors_.clear(); }

  // Per cycle: drive() before the design's eval(), edge() with the sampled master
  // signals at the rising edge. edge() runs the protocol checker.
  void drive(AxiBus& bus) const;
  void edge(const AxiBus& bus);

  // True when no burst is accepted and unanswered and no W beat waits for its AW.
  bool idle() const;
  // Fails (violation) unless idle(): a master that leaves bursts behind.
  void check_idle();

  const Stats& stats() const { return stats_; }
  const std::vector<std::string>& violations() const { return violations_; }

 private:
  struct Burst {
    uint32_t id = 0, len = 0, size = 0, kind = 1, resp = kOkay;
    uint64_t addr = 0, ready_at = 0;
    uint32_t beat = 0;
    bool data_done = false;  // writes: all W beats received
  };
  struct WBeat {
    std::vector<uint8_t> data;
    uint64_t strb;
    bool last;
  };
  struct ErrRange {
    uint64_t lo, hi;
    AxiResp resp;
  };

  void violation(const std::string& msg);
  bool chance(double p) { return p > 0.0 && std::uniform_real_distribution<>(0, 1)(rng_) < p; }
  void check_address(const char* ch, uint64_t addr, uint32_t len, uint32_t size, uint32_t kind);
  uint64_t beat_addr(const Burst& b, uint32_t beat) const;
  uint32_t burst_resp(uint64_t addr, uint32_t len, uint32_t size) const;
  void apply_w_beats();
  // Index into q of the next response to send, or -1.
  int pick(const std::deque<Burst>& q);
  uint8_t* page_ptr(uint64_t addr);

  AxiMemConfig cfg_;
  std::mt19937_64 rng_;
  std::unordered_map<uint64_t, std::unique_ptr<std::array<uint8_t, 4096>>> pages_;
  std::vector<ErrRange> errors_;
  uint64_t now_ = 0;
  double tokens_ = 0.0;
  Stats stats_;
  std::vector<std::string> violations_;

  std::deque<Burst> reads_;   // accepted, not fully answered (in acceptance order)
  std::deque<Burst> writes_;  // accepted AWs, data incomplete (in order)
  std::deque<Burst> bresp_;   // data complete, B pending
  std::deque<WBeat> wbeats_;  // W beats not yet matched with an AW

  // Registered slave outputs.
  bool ar_ready_ = false, aw_ready_ = false, w_ready_ = false;
  bool r_valid_ = false, b_valid_ = false;
  int r_cur_ = -1, b_cur_ = -1;
  std::vector<uint8_t> r_data_;
  // Master handshakes pending from the previous edge, for stability checks.
  bool ar_wait_ = false, aw_wait_ = false, w_wait_ = false;
  AxiBus prev_;
};

}  // namespace tessera::tb
