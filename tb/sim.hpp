// SPDX-License-Identifier: Apache-2.0
// tb::Sim<VTop>: owns a Verilated model, its context and an optional FST trace.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "verilated.h"
#include "verilated_fst_c.h"

namespace tessera::tb {

// Thrown when an RTL assertion ($error / $fatal) fires during a tick.
class AssertionFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by run_until when the predicate does not hold within the timeout.
class Timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// True when waveforms are requested for this run (TESSERA_TRACE=1 or a file name).
inline bool trace_requested() {
  const char* t = std::getenv("TESSERA_TRACE");
  return t != nullptr && *t != '\0' && std::string(t) != "0";
}

// True when the model has an rst_ni port (RAM templates have none).
template <class T, class = void>
struct HasRstNi : std::false_type {};
template <class T>
struct HasRstNi<T, std::void_t<decltype(std::declval<T&>().rst_ni)>> : std::true_type {};

// True when the model was Verilated with tracing (--trace-fst); the whole-chip netlist
// model is built without it by default (cmake/TesseraModels.cmake).
template <class T, class = void>
struct HasTrace : std::false_type {};
template <class T>
struct HasTrace<
    T, std::void_t<decltype(std::declval<T&>().trace(static_cast<VerilatedFstC*>(nullptr), 0))>>
    : std::true_type {};

// Models must have a clk_i port and may have rst_ni. Every RTL model is built with
// --trace-fst, --assert and --x-initial unique, so registers start from random values
// (seeded).
template <class VTop>
class Sim {
 public:
  // name: names the trace file (<TESSERA_TRACE_DIR or .>/<name>.fst).
  // trace: explicit FST file (e.g. the CLI's --trace); "" = TESSERA_TRACE decides.
  explicit Sim(const std::string& name, uint32_t seed = 1, const std::string& trace = "")
      : ctx_(std::make_unique<VerilatedContext>()), name_(name) {
    // Keep the process alive on $error so a failed assertion fails the test with a
    // message instead of aborting the whole test binary.
    ctx_->fatalOnError(false);
    ctx_->randReset(2);
    ctx_->randSeed(static_cast<int>(seed & 0x7fffffff));
    ctx_->traceEverOn(true);
    top_ = std::make_unique<VTop>(ctx_.get(), "TOP");
    if (!trace.empty()) {
      open_trace(trace);
    } else if (HasTrace<VTop>::value && trace_requested()) {
      namespace fs = std::filesystem;
      const char* dir = std::getenv("TESSERA_TRACE_DIR");
      open_trace((fs::path(dir != nullptr ? dir : ".") / (name_ + ".fst")).string());
    }
    top_->clk_i = 0;
    if constexpr (HasRstNi<VTop>::value) top_->rst_ni = 1;
    top_->eval();
    check();
  }

  ~Sim() {
    // The thread's current context may belong to a Sim destroyed already; Verilator
    // 5.006 then hangs in the model's destructor, so point it at ours first.
    Verilated::threadContextp(ctx_.get());
    if (tfp_) tfp_->close();
    top_->final();
    top_.reset();
  }

  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;

  VTop& top() { return *top_; }
  VTop* operator->() { return top_.get(); }
  VerilatedContext& context() { return *ctx_; }
  uint64_t cycles() const { return cycles_; }
  const std::string& trace_path() const { return trace_path_; }

  // Re-evaluates combinational logic after inputs changed between edges.
  void eval() {
    Verilated::threadContextp(ctx_.get());
    top_->eval();
    check();
  }

  // n full clock cycles: rising edge, then falling edge. Inputs set before tick() are
  // sampled at the rising edge; outputs read after tick() are post-edge values.
  void tick(uint64_t n = 1) {
    for (uint64_t i = 0; i < n; ++i) {
      top_->clk_i = 1;
      step();
      top_->clk_i = 0;
      step();
      ++cycles_;
    }
  }

  // Asserts the asynchronous active-low reset for `cycles` cycles, then releases it.
  void reset(uint64_t cycles = 4) {
    if constexpr (HasRstNi<VTop>::value) {
      top_->rst_ni = 0;
      eval();
      tick(cycles);
      top_->rst_ni = 1;
      eval();
    } else {
      tick(cycles);
    }
  }

  // Ticks until pred() holds; returns the cycles waited. Throws Timeout otherwise.
  template <class Pred>
  uint64_t run_until(Pred pred, uint64_t timeout) {
    for (uint64_t n = 0; n <= timeout; ++n) {
      if (pred()) return n;
      tick();
    }
    throw Timeout(name_ + ": condition not reached within " + std::to_string(timeout) +
                  " cycles");
  }

 private:
  void open_trace(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path p(path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    if constexpr (HasTrace<VTop>::value) {
      trace_path_ = p.string();
      tfp_ = std::make_unique<VerilatedFstC>();
      top_->trace(tfp_.get(), 99);
      tfp_->open(trace_path_.c_str());
    } else {
      throw std::invalid_argument(name_ + ": cannot write " + p.string() +
                                  ": this model is built without waveform tracing");
    }
  }

  void step() {
    // Several models may share this thread; $error reports to the thread's context.
    Verilated::threadContextp(ctx_.get());
    top_->eval();
    ctx_->timeInc(1);
    if (tfp_) tfp_->dump(ctx_->time());
    check();
  }

  void check() {
    if (ctx_->gotError()) {
      ctx_->gotError(false);
      throw AssertionFailure(name_ + ": RTL assertion failed at cycle " +
                             std::to_string(cycles_) + " (see the message above)");
    }
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<VTop> top_;
  std::unique_ptr<VerilatedFstC> tfp_;
  std::string name_;
  std::string trace_path_;
  uint64_t cycles_ = 0;
};

}  // namespace tessera::tb
