// SPDX-License-Identifier: Apache-2.0
// FuncDevice: ISA-level functional model of ts_top behind the docs/isa.md CSR map. It is
// the reference the RTL system tests compare memory images, FLAGS and error CSRs against.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tessera/device.hpp"
#include "tessera/golden/adamw.hpp"
#include "tessera/isa.hpp"

namespace tessera {

// What it models, exactly as docs/isa.md states it:
// - CSRs (ID, CFG_*, CTRL, STATUS, ERR_*, RING_*, DOORBELL, FLAGS, windows, PERF);
// - the fetcher (ring base/size/head/tail, doorbell, ring checks, command checks with the
//   priority Opcode > Reserved > Dims > Sram > Dtype) and three queues of depth
//   `queue_depth` with the four 8-bit token counters;
// - LOAD / GEMM / STORE on a scratchpad and an accumulator sized from the config, with
//   golden::mmu_tile for the array, golden::fp32_add for the accumulator, fp_narrow and
//   int_requant for STORE; the sticky FLAGS; every error code and soft reset;
// - ADAMW (when cfg.adamw_lanes != 0): window checks in the order scalars, g, p, m, v, p16
//   before any token is taken; SCAN with golden::adamw_scan into adamw_lanes FP32
//   accumulators (element i into acc[i mod L], golden::fp32_add) folded into ADAMW_SUMSQ at
//   the end of every SCAN; STEP with golden::adamw_element, the p16 copy and `skip`;
//   ADAMW_STATUS; PERF bytes (reads in whole beats per range). A Window error is checked
//   also for a STEP that then turns out to be skipped (the check precedes the skip
//   decision). An injected bus error in any ADAMW range ends the command with Bus before
//   anything is written (the chip may have written part of it).
// Scheduling: after a doorbell the model runs synchronously, inside csr_write: the fetcher
// dispatches in ring order while the target queue has room, and each queue runs its head
// command when the head's tokens are available (one command at a time, atomically). When
// no queue can move it stops, like the chip waiting on tokens (STATUS.wait_*). Programs
// whose result depends on the interleaving (races not ordered by tokens) are outside the
// contract; the model picks one order.
//
// Cycles: the model keeps a timing *estimate* (not cycle-exact) so that `cycles()` and the
// PERF counters mean something: each queue is a timeline; a LOAD takes 3 + latency + its
// bus beats, a STORE 9 + latency + beats, a GEMM tiles*steps*max(m, Dim) + 2*Dim + 4,
// an ADAMW SCAN 4 + 2 latencies + max(n / lanes, beats read), a STEP 4 + 3 latencies + 41
// (lane latency) + max(n / lanes, beats read, beats written) (it has the bus to itself:
// it starts after the LOAD and STORE units are free and holds them off until it ends),
// a skipped STEP 2,
// a command fetch 32/bus_bytes cycles after a latency per doorbell; a command starts when
// its unit is free, it has been dispatched and its popped tokens were pushed (at the
// pusher's finish). PERF[10..12] (MACs, bytes) are exact; cycle counters are estimates.
class FuncDevice : public Device {
 public:
  explicit FuncDevice(const ChipConfig& cfg, const DeviceOptions& opt = {});

  const ChipConfig& config() const override { return cfg_; }
  void csr_write(uint32_t addr, uint32_t value) override;
  uint32_t csr_read(uint32_t addr) override;
  void mem_write(uint64_t addr, const uint8_t* data, size_t n) override;
  void mem_read(uint64_t addr, uint8_t* out, size_t n) const override;
  using Device::mem_read;
  using Device::mem_write;
  bool wait_irq(uint64_t max_cycles) override;
  void run_until_done(uint64_t max_cycles) override;
  uint64_t cycles() const override { return now_; }
  std::string backend() const override { return "func"; }

  // Host-memory bytes never written read as this pattern (same as tb::AxiMem).
  static uint8_t background(uint64_t addr);

  // Test hooks.
  bool irq() const;
  // Host accesses (fetch, load, store) touching [lo, hi) get an AXI SLVERR.
  void inject_bus_error(uint64_t lo, uint64_t hi) { bus_errors_.push_back({lo, hi}); }
  void clear_bus_errors() { bus_errors_.clear(); }
  uint32_t token(isa::TokenCounter c) const { return tokens_[c]; }
  const std::vector<uint16_t>& spad() const { return spad_; }  // row r, lane l: [r*Dim + l]
  const std::vector<uint32_t>& acc() const { return acc_; }
  // Pages (4 KiB) written by the chip (STOREs), for "nothing written outside" checks.
  bool page_written_by_chip(uint64_t page) const { return chip_pages_.count(page) != 0; }

 private:
  struct Window {
    uint32_t base = 0, last = 0, perm = 0;
  };
  struct Pending {
    isa::Words w;
    uint32_t slot;
    uint64_t dispatched;  // timing: when it entered its queue
  };
  using Page = std::array<uint8_t, 4096>;

  void soft_reset();
  void doorbell();
  void process();
  bool fetch_one();
  bool step_queue(int q);
  bool in_window(uint64_t lo, uint64_t n, uint32_t perm) const;
  // First bus-aligned burst address touching an injected error range, walking the rows
  // of a 2-D transfer as the DMA does (bursts split at rows, 256 beats and 4 KiB).
  bool bus_error(uint64_t addr, uint64_t rows, uint64_t stride, uint64_t bytes,
                 uint64_t* err_addr) const;
  uint64_t beats(uint64_t addr, uint64_t rows, uint64_t stride, uint64_t bytes) const;
  void raise(isa::ErrCode code, isa::Unit unit, uint32_t slot, uint32_t addr);
  // Executes a command; returns its duration (timing estimate) or sets *err.
  uint64_t exec_load(const isa::LoadCmd& c, isa::ErrCode* err, uint32_t* err_addr);
  uint64_t exec_store(const isa::StoreCmd& c, isa::ErrCode* err, uint32_t* err_addr);
  uint64_t exec_gemm(const isa::GemmCmd& c);
  uint64_t exec_vec(const isa::VecCmd& c);
  uint64_t exec_adamw(const isa::AdamwCmd& c, isa::ErrCode* err, uint32_t* err_addr);
  // First ADAMW range outside the windows (order of docs/isa.md); false if all are inside.
  bool adamw_window_error(const isa::AdamwCmd& c, uint32_t* base) const;
  uint8_t* page_ptr(uint64_t addr);
  bool idle() const;
  void update_done();

  ChipConfig cfg_;
  DeviceOptions opt_;
  std::unordered_map<uint64_t, std::unique_ptr<Page>> mem_;
  std::unordered_set<uint64_t> chip_pages_;
  std::vector<std::pair<uint64_t, uint64_t>> bus_errors_;
  std::vector<uint16_t> spad_;
  std::vector<uint32_t> acc_;

  // CSR state.
  uint32_t ctrl_ = 0;  // irq enables
  bool done_ = false;
  isa::ErrCode err_code_ = isa::ErrCode::kNone;
  isa::Unit err_unit_ = isa::Unit::kNone;
  uint32_t err_cmd_ = 0, err_addr_ = 0;
  uint32_t ring_base_ = 0, ring_size_ = 0, ring_head_ = 0, ring_tail_ = 0;
  uint32_t flags_ = 0;
  std::vector<Window> win_csr_, win_;
  std::array<uint64_t, isa::kPerfCount> perf_{};
  // AdamW unit: sum-of-squares accumulators, ADAMW_SUMSQ and ADAMW_STATUS.
  golden::AdamWSumSq adamw_acc_;
  uint32_t adamw_sumsq_ = 0;
  bool adamw_nonfinite_ = false, adamw_skipped_ = false;

  // Fetcher, queues, tokens.
  bool fetch_active_ = false;   // a doorbell was accepted
  uint32_t fetch_tail_ = 0;     // RING_TAIL at the last accepted doorbell
  bool fetch_stopped_ = false;  // a fetch error stopped it until soft reset
  bool done_pending_ = false;   // a doorbell since the last `done`
  std::array<std::deque<Pending>, 3> q_;
  std::array<bool, 3> q_stopped_{};
  std::array<uint32_t, 4> tokens_{};

  // Timing estimate.
  uint64_t now_ = 0;
  uint64_t fetch_time_ = 0;
  uint64_t busy_since_ = 0;
  uint64_t perf_epoch_ = 0;
  std::array<uint64_t, 3> unit_free_{};
  std::array<std::deque<uint64_t>, 4> token_time_;
  std::array<std::deque<uint64_t>, 3> started_;  // start times of the last queue_depth cmds
};

}  // namespace tessera
