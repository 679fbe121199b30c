// SPDX-License-Identifier: Apache-2.0
// FpgaLockstep: ts_fpga_top's RTL and the Verilated Yosys netlist of its own logic (UART
// receiver and transmitter, host bridge, on-chip memory controller, reset synchroniser,
// LEDs; the chip ts_top and the SRAM arrays kept as RTL: their netlists are checked by
// the chip's lockstep tests and tests/mem) as one model for tb::Sim. Clock, reset and the
// UART pin drive both; every evaluation compares the outputs (uart_tx_o, led_o) once a
// reset has been released and has passed the reset synchroniser (4 clock edges; before
// that, and while the pin is low, the two models' random register values and their
// scheduling of the asynchronous reset differ), and the first difference throws
// tb::NetlistMismatch. Built by tests/fpga (test_fpga_netlist).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "Vnl_ts_fpga_top_t.h"
#include "Vts_fpga_top.h"
#include "lockstep_device.hpp"
#include "verilated.h"

namespace tessera::tb {

class FpgaLockstep {
 public:
  FpgaLockstep(VerilatedContext* ctx, const char* name)
      : rtl_(std::make_unique<Vts_fpga_top>(zero_init(ctx), (std::string(name) + "_rtl").c_str())),
        net_(std::make_unique<Vnl_ts_fpga_top_t>(ctx, (std::string(name) + "_net").c_str())) {}

  // Ports (as a Verilated model's): inputs set by the caller, outputs after eval().
  uint8_t clk_i = 0, rst_ni = 1, uart_rx_i = 1;
  uint8_t uart_tx_o = 1, led_o = 0;

  void eval() {
    rtl_->clk_i = net_->clk_i = clk_i;
    rtl_->rst_ni = net_->rst_ni = rst_ni;
    rtl_->uart_rx_i = net_->uart_rx_i = uart_rx_i;
    rtl_->eval();
    net_->eval();
    if (!rst_ni) {
      reset_seen_ = true;
      edges_ = 0;
    } else if (clk_i && !last_clk_ && edges_ < 4) {
      ++edges_;  // rising edges since the reset was released
    }
    last_clk_ = clk_i;
    // A harness that never resets would compare nothing: every test runs far longer.
    if (!reset_seen_ && evals_ > 100000) {
      throw NetlistMismatch("ts_fpga_top lockstep: no reset in 100,000 evaluations, so "
                            "nothing was compared");
    }
    if (reset_seen_ && edges_ >= 4 &&
        (rtl_->uart_tx_o != net_->uart_tx_o || rtl_->led_o != net_->led_o)) {
      throw NetlistMismatch("ts_fpga_top netlist differs from the RTL at evaluation " +
                            std::to_string(evals_) + ": uart_tx_o " +
                            std::to_string(rtl_->uart_tx_o) + " / " +
                            std::to_string(net_->uart_tx_o) + ", led_o " +
                            std::to_string(rtl_->led_o) + " / " + std::to_string(net_->led_o) +
                            " (RTL / netlist)");
    }
    uart_tx_o = rtl_->uart_tx_o;
    led_o = rtl_->led_o;
    ++evals_;
  }
  void final() {
    rtl_->final();
    net_->final();
  }

 private:
  // Both models start with every register and RAM bit at 0. With random initial values
  // the two differ where nothing was written yet: the GEMM test reads its output buffer
  // before the run (to check later that nothing beside the result changed), and the two
  // on-chip RAMs then answered with different random bytes.
  static VerilatedContext* zero_init(VerilatedContext* ctx) {
    ctx->randReset(0);
    return ctx;
  }

  std::unique_ptr<Vts_fpga_top> rtl_;
  std::unique_ptr<Vnl_ts_fpga_top_t> net_;
  uint64_t evals_ = 0;
  bool reset_seen_ = false;
  unsigned edges_ = 0;
  uint8_t last_clk_ = 0;
};

}  // namespace tessera::tb
