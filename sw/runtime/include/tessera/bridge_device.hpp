// SPDX-License-Identifier: Apache-2.0
// BridgeDevice: a Tessera chip on an FPGA board behind ts_uart_bridge (docs/fpga.md), over
// any byte transport: a POSIX serial port (SerialTransport, backend "serial:<tty>") or the
// bit-level simulated UART of the FPGA test (tb/uart_sim.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/device.hpp"

namespace tessera {

// The bridge protocol failed: no or short response (timeout), a bad sync byte or
// checksum in the response, or a request the bridge refused (status byte). One line.
class BridgeError : public std::runtime_error {
 public:
  BridgeError(const std::string& msg, int status = -1) : std::runtime_error(msg), status(status) {}
  int status;  // the bridge's status byte for a refused request; -1 for a wire error
};

// A byte pipe to the board.
class ByteTransport {
 public:
  virtual ~ByteTransport() = default;
  virtual void write(const uint8_t* data, size_t n) = 0;
  // Reads up to n bytes; returns fewer when the line stays quiet longer than the
  // transport's gap timeout (after everything written has been sent).
  virtual size_t read(uint8_t* out, size_t n) = 0;
  // Waits until the bridge has abandoned any partial request (its frame timeout, 1024
  // byte times) and discards whatever was received.
  virtual void resync() = 0;
  // Device clock cycles so far (simulation: exact; serial: wall time x clock estimate).
  virtual uint64_t cycles() const = 0;
  virtual std::string name() const = 0;
};

// A POSIX tty (termios raw 8N1, no flow control) at `baud`.
class SerialTransport final : public ByteTransport {
 public:
  // Throws std::runtime_error naming the port if it cannot be opened or configured.
  SerialTransport(const std::string& port, unsigned baud, double clock_hz,
                  unsigned gap_ms = 500);
  ~SerialTransport() override;
  SerialTransport(const SerialTransport&) = delete;
  SerialTransport& operator=(const SerialTransport&) = delete;
  void write(const uint8_t* data, size_t n) override;
  size_t read(uint8_t* out, size_t n) override;
  void resync() override;
  uint64_t cycles() const override;
  std::string name() const override { return "serial:" + port_; }

 private:
  std::string port_;
  unsigned baud_;
  double clock_hz_;
  unsigned gap_ms_;
  int fd_ = -1;
  std::chrono::steady_clock::time_point t0_;
};

// The protocol's constants (docs/fpga.md "Protocol"; rtl/fpga/ts_uart_bridge.sv).
namespace bridge {
inline constexpr uint8_t kReqSync = 0x5A;
inline constexpr uint8_t kRespSync = 0xA5;
inline constexpr uint8_t kVersion = 0x01;
inline constexpr size_t kMaxLen = 256;  // bytes per MEM_READ / MEM_WRITE request
enum Op : uint8_t { kInfo = 0x01, kCsrRead = 0x02, kCsrWrite = 0x03, kMemRead = 0x04, kMemWrite = 0x05 };
enum Status : uint8_t { kOk = 0x00, kBadCrc = 0x01, kBadOp = 0x02, kBadAddr = 0x03, kBusErr = 0x04 };
// CRC-8, polynomial 0x07, initial value `crc`, no reflection, no final xor.
uint8_t crc8(const uint8_t* p, size_t n, uint8_t crc = 0);
const char* op_name(uint8_t op);
const char* status_name(uint8_t status);
// The bytes of one request: sync, op, addr (LE), len, payload, crc.
std::vector<uint8_t> encode(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload,
                            size_t n);
struct Info {
  uint8_t version = 0;
  bool irq = false;
  uint32_t ram_base = 0, ram_bytes = 0;
};
}  // namespace bridge

class BridgeDevice final : public Device {
 public:
  // Reads INFO (protocol version, memory) and the chip's ID and CFG_* CSRs; throws
  // std::runtime_error if the chip is not configuration `cfg` (naming the one it is).
  BridgeDevice(const ChipConfig& cfg, std::unique_ptr<ByteTransport> transport);

  const ChipConfig& config() const override { return cfg_; }
  std::string backend() const override { return transport_->name(); }
  uint64_t cycles() const override { return transport_->cycles(); }
  std::optional<MemoryRange> memory_range() const override {
    return MemoryRange{info_.ram_base, info_.ram_bytes};
  }

  void csr_write(uint32_t addr, uint32_t value) override;
  uint32_t csr_read(uint32_t addr) override;
  using Device::mem_read;
  using Device::mem_write;
  void mem_write(uint64_t addr, const uint8_t* data, size_t n) override;
  void mem_read(uint64_t addr, uint8_t* out, size_t n) const override;
  // Polls INFO's irq bit.
  bool wait_irq(uint64_t max_cycles) override;
  // Polls STATUS.
  void run_until_done(uint64_t max_cycles) override;

  bridge::Info info() const;
  ByteTransport& transport() { return *transport_; }

  // One request; returns the status byte and fills `resp` (resp_n bytes, status 0 only).
  // Throws BridgeError only for wire errors (timeout, sync, checksum).
  uint8_t transact(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload, size_t n,
                   uint8_t* resp, size_t resp_n) const;

 private:
  // transact(), throwing BridgeError for a non-zero status as well.
  void call(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload, size_t n,
            uint8_t* resp, size_t resp_n) const;

  const ChipConfig& cfg_;
  std::unique_ptr<ByteTransport> transport_;
  bridge::Info info_;
  mutable bool need_resync_ = false;
};

}  // namespace tessera
