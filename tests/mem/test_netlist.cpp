// SPDX-License-Identifier: Apache-2.0
// Yosys netlist of ts_spad (default parameters) in lockstep with the RTL.
#include <gtest/gtest.h>

#include <random>

#include "Vnl_ts_spad.h"
#include "Vts_spad.h"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

TEST(SpadNetlist, LockstepRandomTraffic) {
  const uint64_t s = seed();
  tb::Sim<Vts_spad> rtl(test_name() + ".rtl", uint32_t(s));
  tb::Sim<Vnl_ts_spad> net(test_name() + ".net", uint32_t(s) + 1);
  rtl.reset();
  net.reset();
  std::mt19937_64 rng(s);
  // Fill every row first so that reads compare defined data (RAMs start random).
  uint64_t reads = 0, conflicts = 0;
  uint32_t valid = 0, we = 0, addr = 0;
  uint64_t wd[2] = {0, 0};
  for (int c = 0; c < 50000; ++c) {
    // Held requests stay; free ports draw new ones (port p: addr bits [4p+3:4p]).
    for (unsigned p = 0; p < 2; ++p) {
      if (!((valid >> p) & 1)) {
        const bool v = c < 16 ? p == 0 : rng() % 4 != 0;
        valid = (valid & ~(1u << p)) | (uint32_t(v) << p);
        we = (we & ~(1u << p)) | (uint32_t(c < 16 ? 1 : rng() % 3 == 0) << p);
        addr = (addr & ~(0xfu << (4 * p))) | (uint32_t(c < 16 ? c : rng() % 16) << (4 * p));
        wd[p] = rng();
      }
    }
    rtl->req_valid_i = net->req_valid_i = valid;
    rtl->req_we_i = net->req_we_i = we;
    rtl->req_addr_i = net->req_addr_i = addr;
    for (unsigned w = 0; w < 4; ++w)
      rtl->req_wdata_i[w] = net->req_wdata_i[w] = uint32_t(wd[w / 2] >> (32 * (w % 2)));
    rtl.eval();
    net.eval();
    ASSERT_EQ(rtl->req_ready_o, net->req_ready_o) << "cycle " << c;
    ASSERT_EQ(rtl->conflict_o, net->conflict_o) << "cycle " << c;
    const uint32_t grant = rtl->req_ready_o;
    conflicts += __builtin_popcount(rtl->conflict_o);
    valid &= ~grant;
    rtl.tick();
    net.tick();
    ASSERT_EQ(rtl->rsp_valid_o, net->rsp_valid_o) << "cycle " << c;
    for (unsigned p = 0; p < 2; ++p) {
      if ((rtl->rsp_valid_o >> p) & 1) {
        for (unsigned w = 0; w < 2; ++w)
          ASSERT_EQ(rtl->rsp_rdata_o[2 * p + w], net->rsp_rdata_o[2 * p + w]) << "cycle " << c;
        ++reads;
      }
    }
  }
  EXPECT_GT(reads, 20000u);
  EXPECT_GT(conflicts, 5000u);
}

}  // namespace
}  // namespace tessera::test
