// SPDX-License-Identifier: Apache-2.0
// Device: what the runtime needs from a Tessera chip (CSR access, host memory behind its
// AXI master, IRQ / completion waits), implemented by the ISA-level functional model
// (FuncDevice) and by the Verilated chip (SimDevice), and the factory that makes them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/configs.hpp"

namespace tessera {

// The device did not reach STATUS.done / STATUS.error within the allowed cycles (for the
// functional model: it stopped with queues waiting on tokens that never come).
class DeviceTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Device {
 public:
  virtual ~Device() = default;

  virtual const ChipConfig& config() const = 0;

  // AXI4-Lite CSR access (byte addresses of docs/isa.md).
  virtual void csr_write(uint32_t addr, uint32_t value) = 0;
  virtual uint32_t csr_read(uint32_t addr) = 0;

  // Host memory that the chip reaches through its AXI master (backdoor access, no cycles).
  virtual void mem_write(uint64_t addr, const uint8_t* data, size_t n) = 0;
  virtual void mem_read(uint64_t addr, uint8_t* out, size_t n) const = 0;
  void mem_write(uint64_t addr, const std::vector<uint8_t>& bytes) {
    mem_write(addr, bytes.data(), bytes.size());
  }
  std::vector<uint8_t> mem_read(uint64_t addr, size_t n) const {
    std::vector<uint8_t> v(n);
    mem_read(addr, v.data(), n);
    return v;
  }

  // Advances the device until irq_o is high (true) or max_cycles have passed (false).
  virtual bool wait_irq(uint64_t max_cycles) = 0;
  // Advances the device until STATUS.done or STATUS.error is set; throws DeviceTimeout
  // after max_cycles. Does not clear either bit.
  virtual void run_until_done(uint64_t max_cycles) = 0;

  // Device clock cycles since construction (SimDevice: simulated cycles; FuncDevice: its
  // timing estimate, see func_device.hpp).
  virtual uint64_t cycles() const = 0;

  // Name of the backend ("func", "sim", "serial:/dev/ttyUSB0") for reports.
  virtual std::string backend() const = 0;

  // The host memory the device really has, when it is bounded (a board's on-chip RAM
  // behind the UART bridge); nullopt: any address a window allows (the models). A host
  // driver sizes its DRAM window and ring to fit it.
  struct MemoryRange {
    uint32_t base = 0;
    uint32_t size = 0;
  };
  virtual std::optional<MemoryRange> memory_range() const { return std::nullopt; }
};

// Options passed to a backend when it is created.
struct DeviceOptions {
  std::string trace_path;          // sim: FST waveform file ("" = no trace)
  uint64_t seed = 1;               // sim: random stalls / initial values; func: SRAM fill
  unsigned mem_latency = 100;      // cycles from request to first beat / B (both backends)
  double mem_bytes_per_cycle = 0;  // sim: bandwidth cap of the memory model (0: bus width)
  bool a_trans_supported = true;   // func: model a matrix unit that accepts a_trans
  int mem_write_latency = -1;      // sim: cycles from the last W beat to B (-1: mem_latency)
  // sim: probability (0..1) that the memory model holds off a handshake, per AXI channel.
  double ar_stall = 0, aw_stall = 0, w_stall = 0, r_stall = 0, b_stall = 0;
  std::string port;          // serial: the tty ("serial:<port>" sets it, docs/fpga.md)
  unsigned baud = 115200;    // serial: line rate (8N1)
  double clock_hz = 12e6;    // serial: board clock, converts wall time into device cycles
};

// Looks up a named configuration of config/configs.toml; throws std::invalid_argument
// naming the known configurations.
const ChipConfig& find_config(std::string_view name);
std::string config_names();  // "tiny, fpga, default, large"

// Backend registry. "func" and "serial" (a board behind the UART bridge, docs/fpga.md) are
// built in; the simulation library registers "sim" by calling register_backend("sim",
// factory) (e.g. from the CLI's main when it is linked in). A backend name "NAME:ARG"
// selects backend NAME with DeviceOptions::port = ARG ("serial:/dev/ttyUSB0").
using DeviceFactory = std::unique_ptr<Device> (*)(const ChipConfig&, const DeviceOptions&);
void register_backend(std::string_view name, DeviceFactory factory);
bool backend_available(std::string_view name);

// Creates a device. Throws std::invalid_argument for an unknown configuration or backend
// name, std::runtime_error("simulation backend not built") for "sim" until registered.
std::unique_ptr<Device> make_device(std::string_view config_name, std::string_view backend,
                                    const DeviceOptions& options = {});

}  // namespace tessera
