// SPDX-License-Identifier: Apache-2.0
// System-test helpers: a simulated chip (SimDevice over ts_top_<config>) with one host
// window, a command ring, and helpers to place matrices and run raw command lists.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lockstep_device.hpp"
#include "sim_device.hpp"
#include "tessera/device.hpp"
#include "tessera/isa.hpp"
#include "tessera/sim_backend.hpp"
#include "test_util.hpp"

namespace tessera::systest {

constexpr uint32_t kWinBase = 0x1000'0000u;
constexpr uint32_t kWinLast = 0x1fff'ffffu;
constexpr uint32_t kRingAddr = 0x1000'0000u;
constexpr uint32_t kRingSlots = 64;

// The backend of the system tests: "sim" (the Verilated RTL), or TESSERA_SIM_BACKEND
// ("netlist": the RTL in lockstep with the chip's gate netlist, tb/lockstep_device.hpp).
inline std::string sim_backend() {
  const char* b = std::getenv("TESSERA_SIM_BACKEND");
  return b != nullptr && *b != '\0' ? b : "sim";
}

// A simulated chip with these options; with TESSERA_TRACE set, its FST is named after the
// running test (in TESSERA_TRACE_DIR or .).
inline std::unique_ptr<Device> make_sim(const std::string& config, DeviceOptions opt) {
  static const bool registered = [] {
    register_sim_backend();
    return true;
  }();
  (void)registered;
  if (opt.trace_path.empty() && tb::trace_requested()) {
    const char* dir = std::getenv("TESSERA_TRACE_DIR");
    opt.trace_path = std::string(dir ? dir : ".") + "/" + test::test_name() + ".fst";
  }
  return make_device(config, sim_backend(), opt);
}

inline std::unique_ptr<Device> make_chip(const std::string& config, uint64_t seed) {
  DeviceOptions opt;
  opt.seed = seed;
  opt.mem_latency = 20;
  return make_sim(config, opt);
}

// Random AXI handshake stalls (0-59 % per channel) and a latency of 1-100 cycles.
inline DeviceOptions random_bus_options(uint64_t seed) {
  std::mt19937_64 r(seed ^ 0x7ec7ec7eull);
  DeviceOptions o;
  o.seed = seed;
  o.ar_stall = double(r() % 60) / 100.0;
  o.r_stall = double(r() % 60) / 100.0;
  o.aw_stall = double(r() % 60) / 100.0;
  o.w_stall = double(r() % 60) / 100.0;
  o.b_stall = double(r() % 60) / 100.0;
  o.mem_latency = 1 + unsigned(r() % 100);
  return o;
}

// The host-memory models of a simulated chip: one, or both sides' on the netlist backend
// (so that an injected bus error hits the RTL and the netlist alike).
inline std::vector<tb::AxiMem*> sim_memories(Device& d) {
  if (auto* l = dynamic_cast<tb::LockstepDevice*>(&d)) {
    std::vector<tb::AxiMem*> v = sim_memories(l->rtl());
    for (tb::AxiMem* m : sim_memories(l->netlist())) v.push_back(m);
    return v;
  }
  return {&dynamic_cast<tb::SimMemory&>(d).memory()};
}

// Programs window 0 (read + write) over [kWinBase, kWinLast] and the ring.
inline void setup_chip(Device& d) {
  using namespace isa::csr;
  d.csr_write(win_base(0), kWinBase);
  d.csr_write(win_last(0), kWinLast);
  d.csr_write(win_perm(0), 3);
  d.csr_write(kRingBase, kRingAddr);
  d.csr_write(kRingSize, kRingSlots);
  d.csr_write(kCtrl, kCtrlIrqDoneEn | kCtrlIrqErrorEn);
}

// Soft reset (CTRL.soft_reset, with `ctrl_bits` written alongside), polled until it is
// over. False if it has not ended after 10,000 polls.
inline bool soft_reset(Device& d, uint32_t ctrl_bits = 0) {
  using namespace isa::csr;
  d.csr_write(kCtrl, kCtrlSoftReset | ctrl_bits);
  for (int polls = 0; d.csr_read(kCtrl) & kCtrlSoftReset;) {
    if (++polls >= 10000) return false;
  }
  return true;
}

// Writes the commands at the ring tail, rings the doorbell, waits for done or error.
// Returns the ring slot of the first command.
inline uint32_t run_commands(Device& d, const std::vector<isa::Words>& cmds,
                             uint64_t max_cycles = 2'000'000) {
  using namespace isa::csr;
  uint32_t tail = d.csr_read(kRingTail);
  const uint32_t first = tail;
  for (const isa::Words& w : cmds) {
    uint8_t bytes[32];
    std::memcpy(bytes, w.data(), 32);
    d.mem_write(kRingAddr + 32ull * tail, bytes, 32);
    tail = (tail + 1) % kRingSlots;
  }
  d.csr_write(kStatus, kStatusDone);  // clear a previous done
  d.csr_write(kRingTail, tail);
  d.csr_write(kDoorbell, 1);
  d.run_until_done(max_cycles);
  return first;
}

}  // namespace tessera::systest
