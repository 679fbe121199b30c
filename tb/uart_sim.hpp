// SPDX-License-Identifier: Apache-2.0
// SimUart<VTop>: a bit-level UART (8N1, clk_div clocks per bit) on the uart_rx_i / uart_tx_o
// pins of a Verilated FPGA top, as the byte transport of the runtime's BridgeDevice, so the
// host side runs the same code as on a board's serial port (docs/fpga.md).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "sim.hpp"
#include "tessera/bridge_device.hpp"

namespace tessera::tb {

template <class VTop>
class SimUart final : public ByteTransport {
 public:
  // gap_cycles: read() gives up after this many quiet cycles once everything is sent.
  // bridge_timeout: the bridge's frame timeout (TimeoutCycles), waited out by resync().
  SimUart(const std::string& name, uint32_t seed, unsigned clk_div, uint64_t bridge_timeout,
          uint64_t gap_cycles = 0)
      : sim_(name, seed), div_(clk_div), bridge_timeout_(bridge_timeout),
        gap_(gap_cycles ? gap_cycles : 64ull * 10 * clk_div + 4096) {
    sim_.top().uart_rx_i = 1;
    sim_.reset(8);
    for (int i = 0; i < 16; ++i) cycle();
  }

  void write(const uint8_t* data, size_t n) override {
    for (size_t i = 0; i < n; ++i) out_.push_back({data[i], true});
  }

  size_t read(uint8_t* out, size_t n) override {
    size_t got = 0;
    uint64_t quiet = 0;
    while (got < n) {
      if (!in_.empty()) {
        out[got++] = in_.front();
        in_.pop_front();
        quiet = 0;
        continue;
      }
      if (tx_busy()) {
        quiet = 0;
      } else if (++quiet > gap_) {
        break;
      }
      cycle();
    }
    return got;
  }

  void resync() override {
    while (tx_busy()) cycle();
    for (uint64_t i = 0; i < bridge_timeout_ + 64ull * div_; ++i) cycle();
    in_.clear();
  }

  uint64_t cycles() const override { return sim_.cycles(); }
  std::string name() const override { return "simulated UART"; }

  Sim<VTop>& sim() { return sim_; }
  // Lets the model run n cycles (sending what is queued, receiving into the input queue).
  void idle(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) cycle();
  }
  // Sends one character with a wrong (low) stop bit: a framing error.
  void write_bad_stop(uint8_t byte) { out_.push_back({byte, false}); }
  size_t pending_input() const { return in_.size(); }
  // Removes and returns every byte received so far (non-blocking).
  std::vector<uint8_t> take_received() {
    std::vector<uint8_t> v(in_.begin(), in_.end());
    in_.clear();
    return v;
  }
  uint64_t bytes_sent() const { return sent_; }
  uint64_t bytes_received() const { return received_; }

 private:
  bool tx_busy() const { return bit_ > 0 || !out_.empty(); }

  // One clock: drive the host's TX line (the model's uart_rx_i), tick, sample uart_tx_o.
  void cycle() {
    if (bit_ == 0 && !out_.empty()) {
      const auto [byte, stop] = out_.front();
      shift_ = uint16_t((stop ? 0x200u : 0u) | unsigned(byte) << 1);
      out_.pop_front();
      bit_ = 10;
      phase_ = 0;
      ++sent_;
    }
    if (bit_ > 0) {
      sim_.top().uart_rx_i = shift_ & 1u;
      if (++phase_ == div_) {
        phase_ = 0;
        shift_ >>= 1;
        --bit_;
      }
    } else {
      sim_.top().uart_rx_i = 1;
    }
    sim_.tick();
    receive(sim_.top().uart_tx_o & 1u);
  }

  // Host receiver: start bit at a falling edge, bits sampled at their middles.
  void receive(bool line) {
    if (rx_bit_ < 0) {
      if (!line) {
        rx_bit_ = 0;
        rx_cnt_ = div_ / 2;
      }
      return;
    }
    if (rx_cnt_ > 0) {
      --rx_cnt_;
      return;
    }
    rx_cnt_ = div_ - 1;
    if (rx_bit_ == 0) {
      if (line) rx_bit_ = -1;  // glitch
      else rx_bit_ = 1, rx_byte_ = 0;
      return;
    }
    if (rx_bit_ <= 8) {
      rx_byte_ = uint8_t(rx_byte_ | (line ? 1u : 0u) << (rx_bit_ - 1));
      ++rx_bit_;
      return;
    }
    if (line) {  // stop bit; a framing error drops the byte
      in_.push_back(rx_byte_);
      ++received_;
    }
    rx_bit_ = -1;
  }

  Sim<VTop> sim_;
  unsigned div_;
  uint64_t bridge_timeout_, gap_;
  std::deque<std::pair<uint8_t, bool>> out_;  // byte, stop bit
  std::deque<uint8_t> in_;
  uint16_t shift_ = 0;
  unsigned bit_ = 0, phase_ = 0;
  int rx_bit_ = -1;
  unsigned rx_cnt_ = 0;
  uint8_t rx_byte_ = 0;
  uint64_t sent_ = 0, received_ = 0;
};

}  // namespace tessera::tb
