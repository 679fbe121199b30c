// SPDX-License-Identifier: Apache-2.0
// Yosys netlists in lockstep with the RTL, Dim 4: ts_load with one DMA and with two
// (Dmas = 2), ts_store with two (its converters kept as RTL: their own netlists are
// checked by the arithmetic tests). Each drives its own AXI memory model (same seed, same
// error region); the SRAM ready inputs are random; abort_i is raised for a few cycles after
// an error completion, as ts_ctrl does; every output is compared every cycle. (ts_store
// with one DMA runs as a netlist inside the tiny chip's, ctest -L netlist.)
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "Vnl_ts_load.h"
#include "Vnl_ts_load_d2.h"
#include "Vts_load.h"
#include "Vts_load_d2.h"
#include "Vnl_ts_store_d2.h"
#include "Vts_store_d2.h"
#include "axi_port.hpp"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

struct Inputs {
  bool win_we = false;
  uint32_t win_idx = 0, win_base = 0, win_last = 0, win_perm = 0;
  bool valid = false, acc = false, x8 = false, done_ready = false;
  uint32_t dram = 0, stride = 0, rows = 0, bytes = 0, sram = 0;
  bool sp_ready = false, acc_ready = false, abort = false;
};

template <class Top>
void apply(Top& t, const Inputs& in) {
  t.cfg_win_we_i = in.win_we;
  t.cfg_win_idx_i = in.win_idx;
  t.cfg_win_base_i = in.win_base;
  t.cfg_win_last_i = in.win_last;
  t.cfg_win_perm_i = in.win_perm;
  t.cmd_valid_i = in.valid;
  t.cmd_target_i = in.acc;
  t.cmd_expand8_i = in.x8;
  t.cmd_dram_addr_i = in.dram;
  t.cmd_stride_i = in.stride;
  t.cmd_rows_i = in.rows;
  t.cmd_bytes_i = in.bytes;
  t.cmd_sram_addr_i = in.sram;
  t.done_ready_i = in.done_ready;
  t.sp_ready_i = in.sp_ready;
  t.acc_ready_i = in.acc_ready;
  t.abort_i = in.abort;
}

constexpr const char* kOutNames[] = {"ar_valid", "ar_addr", "ar_len", "ar_id", "r_ready",
                                     "cmd_ready", "done_valid", "done_status", "done_addr",
                                     "sp_valid", "sp_addr", "sp_data", "acc_valid",
                                     "acc_addr", "acc_lo", "acc_hi", "busy"};

template <class Top>
std::vector<uint64_t> outputs(const Top& t, const tb::AxiBus& b) {
  std::vector<uint8_t> a;
  tb::sig_to_bytes(t.acc_data_o, a, 16);
  uint64_t lo = 0, hi = 0;
  for (int k = 0; k < 8; ++k) {
    lo |= uint64_t(a[k]) << (8 * k);
    hi |= uint64_t(a[8 + k]) << (8 * k);
  }
  const bool sv = t.sp_valid_o, av = t.acc_valid_o, dv = t.done_valid_o;
  return {b.ar_valid, b.ar_valid ? b.ar_addr : 0, b.ar_valid ? b.ar_len : 0,
          b.ar_valid ? b.ar_id : 0, b.r_ready, t.cmd_ready_o, dv,
          dv ? uint64_t(t.done_status_o) : 0, dv ? uint64_t(t.done_addr_o) : 0, sv,
          sv ? uint64_t(t.sp_addr_o) : 0, sv ? uint64_t(t.sp_data_o) : 0, av,
          av ? uint64_t(t.acc_addr_o) : 0, av ? lo : 0, av ? hi : 0, t.busy_o};
}

// An RTL model and its netlist, each on its own AXI memory model (same configuration and
// seed, the same bus-error byte at 0x3100), both reset; the random source of the stimulus.
template <class Rtl, class Net>
struct Lockstep {
  static tb::AxiMemConfig seeded(tb::AxiMemConfig c, uint64_t seed) {
    c.seed = seed;
    return c;
  }
  explicit Lockstep(const tb::AxiMemConfig& cfg)
      : s(seed()), rtl(test_name() + ".rtl", uint32_t(s)),
        net(test_name() + ".net", uint32_t(s) + 1), mem_r(seeded(cfg, s)), mem_n(seeded(cfg, s)),
        rng(s) {
    for (tb::AxiMem* m : {&mem_r, &mem_n}) m->inject_error(0x3100, 0x3101, tb::kSlvErr);
    rtl.reset();
    net.reset();
  }
  // The outputs of both in one cycle, equal item by item.
  ::testing::AssertionResult same(const std::vector<uint64_t>& r, const std::vector<uint64_t>& n,
                                  const char* const* names) const {
    for (size_t i = 0; i < r.size(); ++i) {
      if (r[i] != n[i]) {
        return ::testing::AssertionFailure() << "netlist differs from RTL at cycle " << c
                                             << " on " << names[i] << ": " << n[i] << " vs "
                                             << r[i];
      }
    }
    return ::testing::AssertionSuccess();
  }
  // A completion taken: counted; a failure (not an abort, 7) stops the queue, so abort_i
  // is raised for a while (a command offered meanwhile is still taken, as ts_ctrl hands
  // over one already issued).
  void completed(uint32_t status) {
    ++done;
    errors += status != 0 && status != 7;  // refused or failed
    aborted += status == 7;
    if (status != 0 && status != 7) abort_left = 8 + unsigned(rng() % 24);
  }
  // abort_i for this cycle.
  bool abort() {
    if (abort_left == 0) return false;
    --abort_left;
    return true;
  }
  // Memory models' outputs onto their buses; then both designs evaluated.
  void drive() {
    mem_r.drive(bus_r);
    mem_n.drive(bus_n);
  }
  void eval() {
    rtl.eval();
    net.eval();
  }
  // Memory models and designs to the next cycle.
  void edge() {
    mem_r.edge(bus_r);
    mem_n.edge(bus_n);
    rtl.tick();
    net.tick();
    ++c;
  }
  uint64_t s;
  tb::Sim<Rtl> rtl;
  tb::Sim<Net> net;
  tb::AxiMem mem_r, mem_n;
  tb::AxiBus bus_r, bus_n;
  std::mt19937_64 rng;
  uint64_t c = 0;
  uint64_t done = 0, errors = 0, aborted = 0;
  unsigned abort_left = 0;
};

template <class Rtl, class Net>
void lockstep_random_commands() {
  tb::AxiMemConfig cfg;
  cfg.data_bytes = 8;
  cfg.read_latency = 6;
  cfg.ar_stall = cfg.r_stall = 0.3;
  Lockstep<Rtl, Net> x(cfg);
  auto& rtl = x.rtl;
  auto& net = x.net;
  auto& rng = x.rng;
  Inputs in;
  uint64_t sp_rows = 0, acc_rows = 0;
  while (x.done < 150 && x.c < 400000) {
    in.win_we = x.c < 1;
    in.win_idx = 0;
    in.win_base = 0x1000;
    in.win_last = 0x3fff;
    in.win_perm = 1;
    if (x.c >= 1 && !in.valid && rtl->cmd_ready_o && !rtl->done_valid_o && rng() % 3 == 0) {
      in.valid = true;
      const unsigned kind = unsigned(rng() % 3);
      in.acc = kind == 2;
      in.x8 = kind == 1;
      const unsigned es = kind == 2 ? 4 : kind == 1 ? 1 : 2;
      const uint32_t cap = kind == 2 ? 64 : 256;
      const uint32_t ne = 1 + uint32_t(rng() % 40);
      in.bytes = ne * es;
      const uint32_t n = (ne + 3) / 4;
      in.rows = 1 + uint32_t(rng() % std::min<uint32_t>(cap / n, 5));
      in.stride = in.bytes + uint32_t(rng() % 40);
      in.sram = uint32_t(rng() % (cap - in.rows * n + 1));
      const uint32_t span = (in.rows - 1) * in.stride + in.bytes;
      in.dram = 0x1000 + uint32_t(rng() % (0x3000 - span + 0x400));  // some refused
    }
    in.done_ready = rng() % 2;
    in.sp_ready = rng() % 4 != 0;
    in.acc_ready = rng() % 4 != 0;
    in.abort = x.abort();
    apply(rtl.top(), in);
    apply(net.top(), in);
    x.drive();
    tb::axi_drive_r(rtl.top(), x.bus_r);
    tb::axi_drive_r(net.top(), x.bus_n);
    x.eval();
    tb::axi_sample_r(rtl.top(), x.bus_r);
    tb::axi_sample_r(net.top(), x.bus_n);
    ASSERT_TRUE(x.same(outputs(rtl.top(), x.bus_r), outputs(net.top(), x.bus_n), kOutNames));
    if (in.valid && rtl->cmd_ready_o) in.valid = false;
    if (rtl->done_valid_o && in.done_ready) x.completed(rtl->done_status_o);
    sp_rows += rtl->sp_valid_o && in.sp_ready;
    acc_rows += rtl->acc_valid_o && in.acc_ready;
    x.edge();
  }
  EXPECT_EQ(x.done, 150u);
  EXPECT_GT(sp_rows, 500u);
  EXPECT_GT(acc_rows, 100u);
  EXPECT_GT(x.errors, 0u) << "no refused or failed command: error paths not compared";
  EXPECT_LT(x.errors, 100u);
  EXPECT_GT(x.aborted, 0u) << "no LOAD was aborted: abort paths not compared";
  ::testing::Test::RecordProperty("cycles", std::to_string(x.c));
}

TEST(LsuNetlist, LoadLockstepRandomCommands) { lockstep_random_commands<Vts_load, Vnl_ts_load>(); }
TEST(LsuNetlist, LoadTwoDmasLockstepRandomCommands) {
  lockstep_random_commands<Vts_load_d2, Vnl_ts_load_d2>();
}

// ---------------------------------------------------------------------------------------
// ts_store, Dmas = 2.

struct StInputs {
  bool win_we = false;
  uint32_t win_base = 0, win_last = 0, win_perm = 0;
  bool valid = false, done_ready = false, acc_ready = false, abort = false;
  uint32_t fmt = 0, dram = 0, stride = 0, rows = 0, cols = 0, acc = 0, mult = 0, shift = 0,
           zp = 0;
  bool rsp_valid = false;
  std::vector<uint8_t> rsp;  // accumulator row, 16 bytes
};

template <class Top>
void apply_st(Top& t, const StInputs& in, const tb::AxiBus& b) {
  t.cfg_win_we_i = in.win_we;
  t.cfg_win_idx_i = 0;
  t.cfg_win_base_i = in.win_base;
  t.cfg_win_last_i = in.win_last;
  t.cfg_win_perm_i = in.win_perm;
  t.cmd_valid_i = in.valid;
  t.cmd_format_i = in.fmt;
  t.cmd_dram_addr_i = in.dram;
  t.cmd_stride_i = in.stride;
  t.cmd_rows_i = in.rows;
  t.cmd_cols_i = in.cols;
  t.cmd_acc_addr_i = in.acc;
  t.cmd_mult_i = in.mult;
  t.cmd_shift_i = in.shift;
  t.cmd_zp_i = in.zp;
  t.abort_i = in.abort;
  t.done_ready_i = in.done_ready;
  t.acc_r_ready_i = in.acc_ready;
  t.acc_rsp_valid_i = in.rsp_valid;
  tb::bytes_to_sig(in.rsp, t.acc_rsp_data_i);
  tb::axi_drive_w(t, b);  // ts_store has no AR/R
}

constexpr const char* kStOutNames[] = {"aw_valid", "aw_addr", "aw_len", "aw_id", "w_valid",
                                       "w_data", "w_strb", "w_last", "b_ready", "cmd_ready",
                                       "done_valid", "done_status", "done_addr", "acc_r_valid",
                                       "acc_r_addr", "flags_valid", "flags", "busy"};

template <class Top>
std::vector<uint64_t> st_outputs(const Top& t) {
  const bool aw = t.m_axi_aw_valid_o, w = t.m_axi_w_valid_o, dv = t.done_valid_o,
             rv = t.acc_r_valid_o, fv = t.flags_valid_o;
  // W bytes without their strobe are not written: unreset registers may fill them, and
  // the two models start from different random register contents.
  uint64_t w_mask = 0;
  for (int k = 0; k < 8; ++k)
    if ((t.m_axi_w_strb_o >> k) & 1) w_mask |= uint64_t(0xff) << (8 * k);
  return {aw, aw ? uint64_t(t.m_axi_aw_addr_o) : 0, aw ? uint64_t(t.m_axi_aw_len_o) : 0,
          aw ? uint64_t(t.m_axi_aw_id_o) : 0, w, w ? uint64_t(t.m_axi_w_data_o) & w_mask : 0,
          w ? uint64_t(t.m_axi_w_strb_o) : 0, w ? uint64_t(t.m_axi_w_last_o) : 0,
          t.m_axi_b_ready_o, t.cmd_ready_o, dv, dv ? uint64_t(t.done_status_o) : 0,
          dv ? uint64_t(t.done_addr_o) : 0, rv, rv ? uint64_t(t.acc_r_addr_o) : 0, fv,
          fv ? uint64_t(t.flags_o) : 0, t.busy_o};
}

TEST(LsuNetlist, StoreTwoDmasLockstepRandomCommands) {
  tb::AxiMemConfig cfg;
  cfg.data_bytes = 8;
  cfg.write_latency = 12;
  cfg.aw_stall = cfg.w_stall = cfg.b_stall = 0.3;
  Lockstep<Vts_store_d2, Vnl_ts_store_d2> x(cfg);
  auto& rtl = x.rtl;
  auto& net = x.net;
  auto& rng = x.rng;
  std::vector<std::vector<uint8_t>> acc(64, std::vector<uint8_t>(16));
  for (auto& row : acc)
    for (auto& b : row) b = uint8_t(rng());
  StInputs in;
  in.rsp.assign(16, 0);
  uint64_t beats = 0, two = 0;
  while (x.done < 150 && x.c < 400000) {
    in.win_we = x.c < 1;
    in.win_base = 0x1000;
    in.win_last = 0x3fff;
    in.win_perm = 2;
    if (x.c >= 1 && !in.valid && rng() % 3 == 0) {
      in.valid = true;
      in.fmt = uint32_t(rng() % 4);
      in.cols = 1 + uint32_t(rng() % 40);
      const uint32_t na = (in.cols + 3) / 4, es = in.fmt == 0 ? 4 : in.fmt == 3 ? 1 : 2;
      in.rows = 1 + uint32_t(rng() % std::min<uint32_t>(64 / na, 5));
      in.acc = uint32_t(rng() % (64 - in.rows * na + 1));
      in.stride = in.cols * es + uint32_t(rng() % 40);
      const uint32_t span = (in.rows - 1) * in.stride + in.cols * es;
      in.dram = 0x1000 + uint32_t(rng() % (0x3000 - span + 0x400));  // some refused
      in.mult = uint32_t(rng());
      in.shift = uint32_t(int(rng() % 62) - 31) & 63;
      in.zp = uint32_t(rng() % 256);
    }
    in.done_ready = rng() % 2;
    in.acc_ready = rng() % 4 != 0;
    in.abort = x.abort();
    x.drive();
    apply_st(rtl.top(), in, x.bus_r);
    apply_st(net.top(), in, x.bus_n);
    x.eval();
    tb::axi_sample_w(rtl.top(), x.bus_r, 8);
    tb::axi_sample_w(net.top(), x.bus_n, 8);
    ASSERT_TRUE(x.same(st_outputs(rtl.top()), st_outputs(net.top()), kStOutNames));
    const bool fire = in.valid && rtl->cmd_ready_o;
    if (fire) in.valid = false;
    two += rtl->busy_o && fire;  // taken while the unit was busy with another
    if (rtl->done_valid_o && in.done_ready) x.completed(rtl->done_status_o);
    beats += x.bus_r.w_valid && x.bus_r.w_ready;
    // The accumulator answers an accepted read in the next cycle.
    in.rsp_valid = rtl->acc_r_valid_o && in.acc_ready;
    if (in.rsp_valid) in.rsp = acc[rtl->acc_r_addr_o % 64];
    x.edge();
  }
  EXPECT_EQ(x.done, 150u);
  EXPECT_GT(beats, 1000u);
  EXPECT_GT(two, 10u) << "STOREs never overlapped";
  EXPECT_GT(x.errors, 0u) << "no refused or failed command: error paths not compared";
  EXPECT_LT(x.errors, 100u);
  EXPECT_GT(x.aborted, 0u) << "no STORE was aborted: abort paths not compared";
  ::testing::Test::RecordProperty("cycles", std::to_string(x.c));
}

}  // namespace
}  // namespace tessera::test
