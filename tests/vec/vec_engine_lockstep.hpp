// SPDX-License-Identifier: Apache-2.0
// Two ts_vec models (RTL and netlist, or the RTL twice with different random initial
// register values) driven by the same random inputs, outputs compared every cycle.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "sim.hpp"
#include "test_util.hpp"
#include "vec_engine_tb.hpp"

namespace tessera::test {

// Every input random each cycle, except that a response comes exactly one cycle after
// an accepted read (the engine asserts it) and commands are legal for Dim 4 with rows and
// columns inside 256 accumulator / scratchpad rows. Both models see identical inputs.
template <class VA, class VB>
void vec_lockstep(uint64_t seed, uint64_t cycles) {
  constexpr int kDim = 4;
  tb::Sim<VA> a(test_name() + ".a", uint32_t(seed));
  tb::Sim<VB> b(test_name() + ".b", uint32_t(seed) + 7);
  a.reset();
  b.reset();
  std::mt19937_64 g(seed);
  bool rsp = false;
  uint64_t dones = 0, writes = 0;
  auto drive = [&](auto& t, uint64_t r0, uint64_t r1, uint64_t r2, uint64_t r3) {
    t.cmd_valid_i = (r0 & 7) == 0;
    t.cmd_op1_i = uint8_t((r0 >> 3) % 6);
    t.cmd_bsrc_i = uint8_t((r0 >> 6) & 3);
    t.cmd_fn_i = uint8_t((r0 >> 8) % 6);
    t.cmd_red_i = uint8_t((r0 >> 11) & 3);
    t.cmd_racc_i = (r0 >> 13) & 1;
    t.cmd_sat_i = (r0 >> 14) & 1;
    t.cmd_mask_i = uint8_t((r0 >> 15) % 3);
    t.cmd_dst_i = uint8_t(((r0 >> 17) & 3) | (((r0 >> 11) & 3) == 0 ? 1 : 0));
    t.cmd_rows_i = uint16_t(1 + (r0 >> 19) % 11);
    t.cmd_cols_i = uint16_t(1 + (r0 >> 23) % 11);
    t.cmd_a_addr_i = uint32_t((r0 >> 27) & 63);
    t.cmd_b_addr_i = uint32_t((r0 >> 33) & 63);
    t.cmd_d_addr_i = uint32_t((r0 >> 39) & 63);
    t.cmd_r_addr_i = uint32_t((r0 >> 45) & 63);
    t.cmd_stride_i = uint16_t(3 + ((r0 >> 51) & 3));
    t.cmd_moff_i = uint16_t(int((r0 >> 53) % 16) - 4);
    t.cmd_imm_i = uint32_t(r1);
    t.acc_rsp_valid_i = rsp;
    for (int i = 0; i < kDim; ++i) {
      set_port_word(t.acc_rsp_data_i, i, uint32_t((i & 1) ? (r2 >> 32) : (r3 >> (8 * i))));
    }
    t.acc_r_ready_i = ((r1 >> 32) & 3) != 0;
    t.acc_w_ready_i = ((r1 >> 34) & 3) != 0;
    t.sp_w_ready_i = ((r1 >> 36) & 3) != 0;
    t.done_ready_i = ((r1 >> 38) & 3) != 0;
  };
  for (uint64_t c = 0; c < cycles; ++c) {
    const uint64_t r0 = g(), r1 = g(), r2 = g(), r3 = g();
    drive(a.top(), r0, r1, r2, r3);
    drive(b.top(), r0, r1, r2, r3);
    a.eval();
    b.eval();
    auto& x = a.top();
    auto& y = b.top();
    const std::string at = " at cycle " + std::to_string(c);
    ASSERT_EQ(x.cmd_ready_o, y.cmd_ready_o) << at;
    ASSERT_EQ(x.busy_o, y.busy_o) << at;
    ASSERT_EQ(x.done_valid_o, y.done_valid_o) << at;
    ASSERT_EQ(x.acc_r_valid_o, y.acc_r_valid_o) << at;
    ASSERT_EQ(x.acc_w_valid_o, y.acc_w_valid_o) << at;
    ASSERT_EQ(x.sp_w_valid_o, y.sp_w_valid_o) << at;
    if (x.done_valid_o) {
      ASSERT_EQ(x.done_flags_o, y.done_flags_o) << at;
      dones += x.done_ready_i;
    }
    if (x.acc_r_valid_o) {
      ASSERT_EQ(x.acc_r_addr_o, y.acc_r_addr_o) << at;
    }
    if (x.acc_w_valid_o) {
      ASSERT_EQ(x.acc_w_addr_o, y.acc_w_addr_o) << at;
      for (int i = 0; i < kDim; ++i) {
        ASSERT_EQ(port_word(x.acc_w_data_o, i), port_word(y.acc_w_data_o, i)) << at;
      }
      writes += x.acc_w_ready_i;
    }
    if (x.sp_w_valid_o) {
      ASSERT_EQ(x.sp_w_addr_o, y.sp_w_addr_o) << at;
      ASSERT_EQ(uint64_t(x.sp_w_data_o), uint64_t(y.sp_w_data_o)) << at;
      writes += x.sp_w_ready_i;
    }
    rsp = x.acc_r_valid_o && x.acc_r_ready_i;
    a.tick();
    b.tick();
  }
  std::cout << "[ info     ] " << dones << " commands, " << writes << " writes compared"
            << std::endl;
  EXPECT_GT(dones, cycles / 2000);
}

}  // namespace tessera::test
