// SPDX-License-Identifier: Apache-2.0
// Yosys gate netlists of every arith unit simulated in lockstep with the RTL.
#include <random>
#include <sstream>
#include <tuple>

#include "Vnl_ts_fp32_add.h"
#include "Vnl_ts_fp32_add_s4.h"
#include "Vnl_ts_fp32_div.h"
#include "Vnl_ts_fp32_div_pipe.h"
#include "Vnl_ts_fp32_mul.h"
#include "Vnl_ts_fp32_sqrt.h"
#include "Vnl_ts_fp32_sqrt_pipe.h"
#include "Vnl_ts_fp_mul16.h"
#include "Vnl_ts_fp_mul16_s2.h"
#include "Vnl_ts_fp_narrow.h"
#include "Vnl_ts_fp_widen.h"
#include "Vnl_ts_int8_mac.h"
#include "Vnl_ts_int_requant.h"
#include "Vnl_ts_int_requant_s4.h"
#include "Vts_fp32_add.h"
#include "Vts_fp32_add_s4.h"
#include "Vts_fp32_div.h"
#include "Vts_fp32_div_pipe.h"
#include "Vts_fp32_mul.h"
#include "Vts_fp32_sqrt.h"
#include "Vts_fp32_sqrt_pipe.h"
#include "Vts_fp_mul16.h"
#include "Vts_fp_mul16_s2.h"
#include "Vts_fp_narrow.h"
#include "Vts_fp_widen.h"
#include "Vts_int8_mac.h"
#include "Vts_int_requant.h"
#include "Vts_int_requant_s4.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

constexpr uint64_t kCycles = 100000;

template <class Tuple>
std::string describe(const Tuple& t) {
  std::ostringstream os;
  std::apply([&os](const auto&... v) { ((os << std::hex << "0x" << uint64_t(v) << " "), ...); },
             t);
  return os.str();
}

// Drives the same random inputs into both models every cycle and compares every
// output after every edge. drive(rtl, net, rng) sets inputs on both; outputs(top)
// returns a comparable tuple of the outputs that must match.
template <class VR, class VN, class Drive, class Outputs>
void lockstep(uint64_t seed, Drive drive, Outputs outputs, uint64_t min_results = kCycles / 20) {
  tb::Sim<VR> rtl(test_name() + ".rtl", uint32_t(seed));
  tb::Sim<VN> net(test_name() + ".net", uint32_t(seed) + 1);
  rtl.reset();
  net.reset();
  std::mt19937_64 rng(seed);
  uint64_t checked = 0;
  try {
    for (uint64_t c = 0; c < kCycles; ++c) {
      drive(rtl.top(), net.top(), rng);
      rtl.eval();
      net.eval();
      rtl.tick();
      net.tick();
      auto r = outputs(rtl.top());
      auto n = outputs(net.top());
      if (r != n) {
        FAIL() << "netlist differs from RTL at cycle " << c << ": rtl " << describe(r)
               << "netlist " << describe(n);
      }
      checked += rtl.top().out_valid_o;
    }
  } catch (const tb::AssertionFailure& e) {
    FAIL() << e.what();
  }
  EXPECT_GE(checked, min_results) << "too few results compared";
  ::testing::Test::RecordProperty("results", std::to_string(checked));
}

template <class T>
auto fp_outputs(const T& t) {
  return std::make_tuple(t.out_valid_o, t.out_valid_o ? t.res_o : 0u,
                         t.out_valid_o ? t.flags_o : 0);
}

// One driver for the adder's builds (Stages 1, and 4 with its datapath cut three times).
template <class VR, class VN>
void fp32_add_lockstep() {
  lockstep<VR, VN>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        uint32_t a = fp32_random(rng), b = fp32_random(rng);
        bool v = rng() % 8 != 0, s = rng() % 2;
        r.in_valid_i = n.in_valid_i = v;
        r.a_i = n.a_i = a;
        r.b_i = n.b_i = b;
        r.sub_i = n.sub_i = s;
      },
      [](const auto& t) { return fp_outputs(t); });
}

TEST(Netlist, Fp32Add) { fp32_add_lockstep<Vts_fp32_add, Vnl_ts_fp32_add>(); }

TEST(Netlist, Fp32AddPipelined) { fp32_add_lockstep<Vts_fp32_add_s4, Vnl_ts_fp32_add_s4>(); }

TEST(Netlist, Fp32Mul) {
  lockstep<Vts_fp32_mul, Vnl_ts_fp32_mul>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        auto [a, b] = fp32_pair_edges(rng, false);
        bool v = rng() % 8 != 0;
        r.in_valid_i = n.in_valid_i = v;
        r.a_i = n.a_i = a;
        r.b_i = n.b_i = b;
      },
      [](const auto& t) { return fp_outputs(t); });
}

// One driver for the FP16/BF16 multiplier's builds (Stages 1, and 2 cut after the product).
template <class VR, class VN>
void fp_mul16_lockstep() {
  lockstep<VR, VN>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        uint16_t a = uint16_t(rng()), b = uint16_t(rng());
        bool v = rng() % 8 != 0, f = rng() % 2;
        r.in_valid_i = n.in_valid_i = v;
        r.fmt_i = n.fmt_i = f;
        r.a_i = n.a_i = a;
        r.b_i = n.b_i = b;
      },
      [](const auto& t) { return fp_outputs(t); });
}

TEST(Netlist, FpMul16) { fp_mul16_lockstep<Vts_fp_mul16, Vnl_ts_fp_mul16>(); }

TEST(Netlist, FpMul16Pipelined) { fp_mul16_lockstep<Vts_fp_mul16_s2, Vnl_ts_fp_mul16_s2>(); }

TEST(Netlist, FpWiden) {
  lockstep<Vts_fp_widen, Vnl_ts_fp_widen>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        uint16_t a = uint16_t(rng());
        bool v = rng() % 8 != 0, f = rng() % 2;
        r.in_valid_i = n.in_valid_i = v;
        r.fmt_i = n.fmt_i = f;
        r.a_i = n.a_i = a;
      },
      [](const auto& t) { return fp_outputs(t); });
}

TEST(Netlist, FpNarrow) {
  lockstep<Vts_fp_narrow, Vnl_ts_fp_narrow>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        uint32_t a = fp32_random(rng);
        bool v = rng() % 8 != 0, f = rng() % 2;
        r.in_valid_i = n.in_valid_i = v;
        r.fmt_i = n.fmt_i = f;
        r.a_i = n.a_i = a;
      },
      [](const auto& t) { return fp_outputs(t); });
}

// Iterative units: an offer is held until accepted; new operands only after that.
TEST(Netlist, Fp32Div) {
  bool pending = false;  // the current offer has not been accepted yet
  lockstep<Vts_fp32_div, Vnl_ts_fp32_div>(
      seed(),
      [&pending](auto& r, auto& n, auto& rng) {
        if (!pending) {
          auto [a, b] = fp32_pair_edges(rng, true);
          r.a_i = n.a_i = a;
          r.b_i = n.b_i = b;
          r.in_valid_i = n.in_valid_i = 1;
        }
        pending = !r.in_ready_o;  // in_ready_o depends on state only
      },
      [](const auto& t) { return std::tuple_cat(std::make_tuple(t.in_ready_o), fp_outputs(t)); },
      kCycles / 30);  // one result per 29 cycles
}

TEST(Netlist, Fp32Sqrt) {
  bool pending = false;
  lockstep<Vts_fp32_sqrt, Vnl_ts_fp32_sqrt>(
      seed(),
      [&pending](auto& r, auto& n, auto& rng) {
        if (!pending) {
          uint32_t a = fp32_random(rng) & (rng() % 4 ? 0x7fffffffu : 0xffffffffu);
          r.a_i = n.a_i = a;
          r.in_valid_i = n.in_valid_i = 1;
        }
        pending = !r.in_ready_o;
      },
      [](const auto& t) { return std::tuple_cat(std::make_tuple(t.in_ready_o), fp_outputs(t)); },
      kCycles / 30);  // one result per 29 cycles
}

// Pipelined divider and square root (default BitsPerStage): one offer per cycle, gaps.
TEST(Netlist, Fp32DivPipe) {
  lockstep<Vts_fp32_div_pipe, Vnl_ts_fp32_div_pipe>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        auto [a, b] = fp32_pair_edges(rng, true);
        bool v = rng() % 8 != 0;
        r.in_valid_i = n.in_valid_i = v;
        r.a_i = n.a_i = a;
        r.b_i = n.b_i = b;
      },
      [](const auto& t) { return fp_outputs(t); });
}

TEST(Netlist, Fp32SqrtPipe) {
  lockstep<Vts_fp32_sqrt_pipe, Vnl_ts_fp32_sqrt_pipe>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        uint32_t a = fp32_random(rng) & (rng() % 4 ? 0x7fffffffu : 0xffffffffu);
        bool v = rng() % 8 != 0;
        r.in_valid_i = n.in_valid_i = v;
        r.a_i = n.a_i = a;
      },
      [](const auto& t) { return fp_outputs(t); });
}

TEST(Netlist, Int8Mac) {
  lockstep<Vts_int8_mac, Vnl_ts_int8_mac>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        bool v = rng() % 8 != 0;
        uint8_t a = uint8_t(rng()), b = uint8_t(rng());
        uint32_t acc = uint32_t(rng());
        r.in_valid_i = n.in_valid_i = v;
        r.a_i = n.a_i = a;
        r.b_i = n.b_i = b;
        r.acc_i = n.acc_i = acc;
      },
      [](const auto& t) {
        return std::make_tuple(t.out_valid_o, t.out_valid_o ? t.acc_o : 0u);
      });
}

template <class R, class N>
void requant_lockstep() {
  lockstep<R, N>(
      seed(),
      [](auto& r, auto& n, auto& rng) {
        bool v = rng() % 8 != 0;
        uint32_t x = uint32_t(rng()) >> (rng() % 32), m = uint32_t(rng());
        uint8_t s = uint8_t(rng() % 64), lo = uint8_t(rng()), hi = uint8_t(rng());
        uint32_t zp = uint32_t(rng() % 256) - 128;
        r.in_valid_i = n.in_valid_i = v;
        r.x_i = n.x_i = x;
        r.mult_i = n.mult_i = m;
        r.shift_i = n.shift_i = s;
        r.zero_point_i = n.zero_point_i = zp;
        r.act_min_i = n.act_min_i = lo;
        r.act_max_i = n.act_max_i = hi;
      },
      [](const auto& t) {
        return std::make_tuple(t.out_valid_o, t.out_valid_o ? t.q_o : 0,
                               t.out_valid_o ? t.err_o : 0);
      });
}

TEST(Netlist, IntRequant) { requant_lockstep<Vts_int_requant, Vnl_ts_int_requant>(); }
// Stages = 4: the three internal cuts.
TEST(Netlist, IntRequantPipelined) {
  requant_lockstep<Vts_int_requant_s4, Vnl_ts_int_requant_s4>();
}

}  // namespace
}  // namespace tessera::test
