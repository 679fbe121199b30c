// SPDX-License-Identifier: Apache-2.0
// Testbench of ts_vec: models the accumulator (read response one cycle after an accepted
// read, random read refusals, random write refusals) and the scratchpad write port.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "sim.hpp"
#include "tessera/golden/vec.hpp"

namespace tessera::test {

// 32-bit word i of a Verilator port (a plain integer up to 64 bits, VlWide above).
template <class T>
uint32_t port_word(const T& v, int i) {
  if constexpr (std::is_integral_v<T>) {
    return uint32_t(uint64_t(v) >> (32 * i));
  } else {
    return v[size_t(i)];
  }
}

template <class T>
void set_port_word(T& v, int i, uint32_t x) {
  if constexpr (std::is_integral_v<T>) {
    const uint64_t mask = uint64_t(0xffffffffu) << (32 * i);
    v = T((uint64_t(v) & ~mask) | (uint64_t(x) << (32 * i)));
  } else {
    v[size_t(i)] = x;
  }
}

// Probabilities (0..1) of the ports' ready signals, per cycle.
struct VecPorts {
  double r_ready = 1.0;
  double acc_w_ready = 1.0;
  double sp_w_ready = 1.0;
  double done_ready = 1.0;
};

template <class V>
class VecEngineTb {
  tb::Sim<V> sim_;
  int dim_;

 public:
  VecEngineTb(int dim, size_t acc_rows, size_t sp_rows, uint64_t seed)
      : sim_(test_name_or("vec_engine"), uint32_t(seed)),
        dim_(dim),
        acc(acc_rows * size_t(dim)),
        spad(sp_rows * size_t(dim)) {
    auto& t = sim_.top();
    t.cmd_valid_i = 0;
    t.acc_r_ready_i = 0;
    t.acc_rsp_valid_i = 0;
    t.acc_w_ready_i = 0;
    t.sp_w_ready_i = 0;
    t.done_ready_i = 0;
    rng_.seed(seed ^ 0x5eedu);
    sim_.reset();
  }

  tb::Sim<V>& sim() { return sim_; }
  VecPorts ports;
  std::vector<uint32_t> acc;
  std::vector<uint16_t> spad;

  // Runs the commands as one stream (cmd_valid_i held while commands remain), returns
  // each command's done flags. Fails the test on a timeout.
  std::vector<uint8_t> run(const std::vector<golden::VecCmd>& cmds, uint64_t timeout = 200000) {
    std::deque<golden::VecCmd> q(cmds.begin(), cmds.end());
    std::vector<uint8_t> flags;
    auto& t = sim_.top();
    bool rsp = false;
    std::vector<uint32_t> rsp_row(size_t(dim_), 0);
    uint64_t n = 0;
    idle_cmd_cycles = 0;
    while (flags.size() < cmds.size()) {
      if (++n > timeout) {
        ADD_FAILURE() << "ts_vec: timeout after " << timeout << " cycles";
        return flags;
      }
      // Inputs of this cycle.
      if (!q.empty()) drive_cmd(q.front());
      t.cmd_valid_i = !q.empty();
      t.acc_rsp_valid_i = rsp;
      for (int i = 0; i < dim_; ++i) {
        set_port_word(t.acc_rsp_data_i, i, rsp ? rsp_row[size_t(i)] : uint32_t(rng_()));
      }
      t.acc_r_ready_i = coin(ports.r_ready);
      t.acc_w_ready_i = coin(ports.acc_w_ready);
      t.sp_w_ready_i = coin(ports.sp_w_ready);
      t.done_ready_i = coin(ports.done_ready);
      sim_.eval();
      // Handshakes of this cycle: the read sees the writes of earlier cycles only.
      rsp = t.acc_r_valid_o && t.acc_r_ready_i;
      if (rsp) {
        const size_t row = t.acc_r_addr_o;
        for (int i = 0; i < dim_; ++i) rsp_row[size_t(i)] = acc.at(row * size_t(dim_) + size_t(i));
        ++reads;
      }
      if (t.acc_w_valid_o && t.acc_w_ready_i) {
        const size_t row = t.acc_w_addr_o;
        for (int i = 0; i < dim_; ++i) {
          acc.at(row * size_t(dim_) + size_t(i)) = port_word(t.acc_w_data_o, i);
        }
        ++writes;
      }
      if (t.sp_w_valid_o && t.sp_w_ready_i) {
        const size_t row = t.sp_w_addr_o;
        for (int i = 0; i < dim_; ++i) {
          spad.at(row * size_t(dim_) + size_t(i)) =
              uint16_t(port_word(t.sp_w_data_o, i / 2) >> (16 * (i % 2)));
        }
        ++writes;
      }
      if (t.done_valid_o && t.done_ready_i) flags.push_back(uint8_t(t.done_flags_o));
      if (t.cmd_valid_i && t.cmd_ready_o) q.pop_front();
      if (!q.empty() && !t.busy_o && !t.cmd_ready_o) ++idle_cmd_cycles;
      sim_.tick();
    }
    t.cmd_valid_i = 0;
    t.acc_rsp_valid_i = rsp;
    sim_.eval();
    cycles_last = n;
    return flags;
  }

  uint64_t cycles_last = 0;
  uint64_t idle_cmd_cycles = 0;
  uint64_t reads = 0;
  uint64_t writes = 0;

 private:
  static std::string test_name_or(const std::string& d) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info == nullptr) return d;
    std::string n = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : n) {
      if (c == '/') c = '_';
    }
    return n;
  }

  bool coin(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  void drive_cmd(const golden::VecCmd& c) {
    auto& t = sim_.top();
    t.cmd_op1_i = uint8_t(c.op1);
    t.cmd_bsrc_i = uint8_t(c.bsrc);
    t.cmd_fn_i = uint8_t(c.fn);
    t.cmd_red_i = uint8_t(c.red);
    t.cmd_racc_i = c.racc;
    t.cmd_sat_i = c.sat;
    t.cmd_mask_i = uint8_t(c.mask);
    t.cmd_dst_i = uint8_t(c.dst);
    t.cmd_rows_i = c.rows;
    t.cmd_cols_i = c.cols;
    t.cmd_a_addr_i = c.a_addr;
    t.cmd_b_addr_i = c.b_addr;
    t.cmd_d_addr_i = c.d_addr;
    t.cmd_r_addr_i = c.r_addr;
    t.cmd_stride_i = c.stride;
    t.cmd_moff_i = uint16_t(c.moff);
    t.cmd_imm_i = c.imm;
  }

  std::mt19937_64 rng_{0x5eedu};
};

}  // namespace tessera::test
