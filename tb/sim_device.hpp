// SPDX-License-Identifier: Apache-2.0
// SimDevice<VTop>: the Verilated chip (a ts_top_<config> model) behind the runtime's
// Device interface, with an AXI4-Lite master for the CSRs and tb::AxiMem as host memory.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "axi_mem.hpp"
#include "axi_port.hpp"
#include "sim.hpp"
#include "tessera/device.hpp"
#include "tessera/isa.hpp"

namespace tessera::tb {

inline AxiMemConfig sim_mem_config(const ChipConfig& cfg, const DeviceOptions& opt) {
  AxiMemConfig m;
  m.data_bytes = cfg.bus_bytes;
  m.read_latency = opt.mem_latency;
  m.write_latency = opt.mem_write_latency >= 0 ? unsigned(opt.mem_write_latency) : opt.mem_latency;
  m.bytes_per_cycle = opt.mem_bytes_per_cycle;
  m.ar_stall = opt.ar_stall;
  m.aw_stall = opt.aw_stall;
  m.w_stall = opt.w_stall;
  m.r_stall = opt.r_stall;
  m.b_stall = opt.b_stall;
  m.seed = opt.seed;
  return m;
}

// The host-memory model behind a simulated chip, whatever its Verilated class (tests inject
// bus errors through it).
class SimMemory {
 public:
  virtual ~SimMemory() = default;
  virtual AxiMem& memory() = 0;
};

template <class VTop>
class SimDevice final : public Device, public SimMemory {
 public:
  SimDevice(const ChipConfig& cfg, const DeviceOptions& opt, const std::string& name)
      : cfg_(cfg), sim_(name, static_cast<uint32_t>(opt.seed), opt.trace_path),
        mem_(sim_mem_config(cfg, opt)) {
    VTop& t = sim_.top();
    t.s_axil_aw_valid_i = 0;
    t.s_axil_w_valid_i = 0;
    t.s_axil_w_strb_i = 0xf;
    t.s_axil_b_ready_i = 0;
    t.s_axil_ar_valid_i = 0;
    t.s_axil_r_ready_i = 0;
    sim_.reset(8);
    for (int i = 0; i < 8; ++i) cycle();
  }

  const ChipConfig& config() const override { return cfg_; }
  std::string backend() const override { return "sim"; }
  uint64_t cycles() const override { return sim_cycles_; }

  AxiMem& memory() override { return mem_; }
  Sim<VTop>& sim() { return sim_; }

  void csr_write(uint32_t addr, uint32_t value) override {
    VTop& t = sim_.top();
    bool aw_done = false, w_done = false;
    t.s_axil_aw_addr_i = addr & 0xfff;
    t.s_axil_w_data_i = value;
    t.s_axil_w_strb_i = 0xf;
    t.s_axil_b_ready_i = 1;
    uint64_t n = 0;
    while (!(aw_done && w_done)) {
      t.s_axil_aw_valid_i = !aw_done;
      t.s_axil_w_valid_i = !w_done;
      cycle([&] {
        if (t.s_axil_aw_valid_i && t.s_axil_aw_ready_o) aw_done = true;
        if (t.s_axil_w_valid_i && t.s_axil_w_ready_o) w_done = true;
      });
      guard(++n, "AW/W");
    }
    t.s_axil_aw_valid_i = 0;
    t.s_axil_w_valid_i = 0;
    bool b_done = false;
    uint32_t resp = 0;
    n = 0;
    while (!b_done) {
      cycle([&] {
        if (t.s_axil_b_valid_o) {
          b_done = true;
          resp = t.s_axil_b_resp_o;
        }
      });
      guard(++n, "B");
    }
    t.s_axil_b_ready_i = 0;
    if (resp != 0) throw std::runtime_error("CSR write to " + hex(addr) + " answered SLVERR");
  }

  uint32_t csr_read(uint32_t addr) override {
    VTop& t = sim_.top();
    t.s_axil_ar_addr_i = addr & 0xfff;
    t.s_axil_r_ready_i = 1;
    bool ar_done = false, r_done = false;
    uint32_t data = 0;
    uint64_t n = 0;
    while (!r_done) {
      t.s_axil_ar_valid_i = !ar_done;
      cycle([&] {
        if (t.s_axil_ar_valid_i && t.s_axil_ar_ready_o) ar_done = true;
        if (t.s_axil_r_valid_o) {
          r_done = true;
          data = t.s_axil_r_data_o;
        }
      });
      guard(++n, "R");
    }
    t.s_axil_ar_valid_i = 0;
    t.s_axil_r_ready_i = 0;
    return data;
  }

  void mem_write(uint64_t addr, const uint8_t* data, size_t n) override {
    mem_.write(addr, std::vector<uint8_t>(data, data + n));
  }
  void mem_read(uint64_t addr, uint8_t* out, size_t n) const override {
    std::vector<uint8_t> v = mem_.read(addr, n);
    std::copy(v.begin(), v.end(), out);
  }

  bool wait_irq(uint64_t max_cycles) override {
    for (uint64_t i = 0; i < max_cycles; ++i) {
      if (sim_.top().irq_o) return true;
      cycle();
    }
    return sim_.top().irq_o;
  }

  // Watches irq_o every cycle and reads STATUS when it rises or every 256 cycles, so the
  // wait costs the chip nothing and ends within a few cycles of done / error.
  void run_until_done(uint64_t max_cycles) override {
    const uint64_t start = sim_cycles_;
    bool irq_prev = false;
    uint64_t since = 0;
    for (;;) {
      const bool irq = sim_.top().irq_o;
      if ((irq && !irq_prev) || ++since >= 256) {
        since = 0;
        const uint32_t st = csr_read(isa::csr::kStatus);
        if (st & (isa::csr::kStatusDone | isa::csr::kStatusError)) return;
      }
      irq_prev = irq;
      if (sim_cycles_ - start > max_cycles) {
        throw DeviceTimeout("simulated chip not done after " + std::to_string(max_cycles) +
                            " cycles (STATUS " + hex(csr_read(isa::csr::kStatus)) + ")");
      }
      cycle();
    }
  }

 private:
  static std::string hex(uint32_t v) {
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
  }
  static void guard(uint64_t n, const char* what) {
    if (n > 10000) throw DeviceTimeout(std::string("AXI4-Lite ") + what + " handshake hung");
  }

  // One clock: memory model outputs -> design, eval, `at_edge` sees the pre-edge values
  // (handshakes), the model samples the master, clock edge.
  template <class F>
  void cycle(F at_edge) {
    mem_.drive(bus_);
    axi_drive(sim_.top(), bus_);
    sim_.eval();
    at_edge();
    axi_sample(sim_.top(), bus_, mem_.config().data_bytes);
    mem_.edge(bus_);
    sim_.tick();
    ++sim_cycles_;
  }
  void cycle() {
    cycle([] {});
  }

  const ChipConfig& cfg_;
  Sim<VTop> sim_;
  AxiMem mem_;
  AxiBus bus_;
  uint64_t sim_cycles_ = 0;
};

}  // namespace tessera::tb
