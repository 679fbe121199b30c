// SPDX-License-Identifier: Apache-2.0
// tb::LockstepDevice: one Device made of two, the RTL chip and its gate netlist, driven
// with the same calls. Everything the host can observe is compared: every CSR read (which
// includes STATUS, the error codes and the performance counters), every host-memory read,
// every IRQ wait and the cycle count after each wait. The first difference throws
// NetlistMismatch naming the access and both values. Both sides use the same DeviceOptions
// (seed, stalls, latencies), so their memory models make the same choices as long as the
// two chips issue the same requests on the same cycles.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tessera/device.hpp"

namespace tessera::tb {

class NetlistMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LockstepDevice final : public Device {
 public:
  // rtl: the reference; netlist: the device under test. Same configuration.
  LockstepDevice(std::unique_ptr<Device> rtl, std::unique_ptr<Device> netlist)
      : rtl_(std::move(rtl)), nl_(std::move(netlist)) {
    same_cycles("construction");
  }

  using Device::mem_read;
  using Device::mem_write;

  const ChipConfig& config() const override { return rtl_->config(); }

  void csr_write(uint32_t addr, uint32_t value) override {
    rtl_->csr_write(addr, value);
    nl_->csr_write(addr, value);
    same_cycles("csr_write(" + hex(addr) + ")");
  }

  uint32_t csr_read(uint32_t addr) override {
    const uint32_t a = rtl_->csr_read(addr);
    const uint32_t b = nl_->csr_read(addr);
    if (a != b) {
      fail("csr_read(" + hex(addr) + "): RTL " + hex(a) + ", netlist " + hex(b));
    }
    same_cycles("csr_read(" + hex(addr) + ")");
    return a;
  }

  void mem_write(uint64_t addr, const uint8_t* data, size_t n) override {
    rtl_->mem_write(addr, data, n);
    nl_->mem_write(addr, data, n);
  }

  void mem_read(uint64_t addr, uint8_t* out, size_t n) const override {
    rtl_->mem_read(addr, out, n);
    std::vector<uint8_t> b(n);
    nl_->mem_read(addr, b.data(), n);
    for (size_t i = 0; i < n; ++i) {
      if (out[i] != b[i]) {
        char m[160];
        std::snprintf(m, sizeof m,
                      "host memory at 0x%llx (byte %zu of a %zu-byte read): RTL 0x%02x, "
                      "netlist 0x%02x",
                      static_cast<unsigned long long>(addr + i), i, n, out[i], b[i]);
        fail(m);
      }
    }
  }

  bool wait_irq(uint64_t max_cycles) override {
    const bool a = rtl_->wait_irq(max_cycles);
    const bool b = nl_->wait_irq(max_cycles);
    if (a != b) {
      fail(std::string("wait_irq: RTL ") + (a ? "raised" : "no IRQ") + ", netlist " +
           (b ? "raised" : "no IRQ"));
    }
    same_cycles("wait_irq");
    return a;
  }

  // Both sides run; a timeout must happen on both or on neither.
  void run_until_done(uint64_t max_cycles) override {
    std::optional<DeviceTimeout> ta, tb;
    try {
      rtl_->run_until_done(max_cycles);
    } catch (const DeviceTimeout& e) {
      ta.emplace(e);
    }
    try {
      nl_->run_until_done(max_cycles);
    } catch (const DeviceTimeout& e) {
      tb.emplace(e);
    }
    if (ta.has_value() != tb.has_value()) {
      fail(std::string("run_until_done: ") + (ta ? "RTL timed out (" : "netlist timed out (") +
           (ta ? ta->what() : tb->what()) + "), the other finished");
    }
    same_cycles("run_until_done");
    if (ta) throw *ta;
  }

  uint64_t cycles() const override { return rtl_->cycles(); }
  std::string backend() const override { return "netlist"; }

  // The two sides (e.g. to inject the same bus errors into both memory models).
  Device& rtl() { return *rtl_; }
  Device& netlist() { return *nl_; }

 private:
  static std::string hex(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw NetlistMismatch("netlist differs from the RTL (" + std::string(rtl_->config().name) +
                          ", cycle " + std::to_string(rtl_->cycles()) + "): " + what);
  }

  void same_cycles(const std::string& after) const {
    if (rtl_->cycles() != nl_->cycles()) {
      fail("after " + after + ": RTL at cycle " + std::to_string(rtl_->cycles()) +
           ", netlist at cycle " + std::to_string(nl_->cycles()));
    }
  }

  std::unique_ptr<Device> rtl_;
  std::unique_ptr<Device> nl_;
};

}  // namespace tessera::tb
