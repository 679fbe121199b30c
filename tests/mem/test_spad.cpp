// SPDX-License-Identifier: Apache-2.0
// ts_spad: random multi-port traffic with bank conflicts against a row model;
// round-robin fairness; the request-stability assertion.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "Vts_spad_p3.h"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

constexpr unsigned kPorts = 3, kBanks = 4, kRows = 32, kWords = 2;  // Dim 4: 64-bit rows

struct Req {
  bool valid = false, we = false;
  uint32_t addr = 0;
  uint64_t data = 0;
  uint64_t waited = 0;
};

TEST(Spad, RandomTrafficWithConflicts) {
  const uint64_t s = seed();
  tb::Sim<Vts_spad_p3> sim(test_name(), uint32_t(s));
  auto& t = sim.top();
  sim.reset();
  std::mt19937_64 rng(s);
  std::vector<uint64_t> mem(kRows);
  std::vector<Req> req(kPorts);
  std::vector<bool> rsp_expected(kPorts);
  std::vector<uint64_t> rsp_data(kPorts);
  // Fill the RAM through port 0.
  for (uint32_t a = 0; a < kRows; ++a) {
    mem[a] = rng();
    t.req_valid_i = 1;
    t.req_we_i = 1;
    t.req_addr_i = a;
    t.req_wdata_i[0] = uint32_t(mem[a]);
    t.req_wdata_i[1] = uint32_t(mem[a] >> 32);
    sim.eval();
    ASSERT_EQ(t.req_ready_o & 1, 1u);
    sim.tick();
  }
  uint64_t served = 0, conflicts = 0, reads_checked = 0, max_wait = 0;
  for (int c = 0; c < 30000; ++c) {
    uint32_t valid = 0, we = 0, addr = 0;
    for (unsigned p = 0; p < kPorts; ++p) {
      if (!req[p].valid && rng() % 4 != 0) {  // busy ports; same bank often
        req[p].valid = true;
        req[p].we = rng() % 3 == 0;
        req[p].addr = uint32_t(rng() % 2 ? rng() % kRows : (rng() % (kRows / kBanks)) * kBanks);
        req[p].data = rng();
        req[p].waited = 0;
      }
      valid |= uint32_t(req[p].valid) << p;
      we |= uint32_t(req[p].we) << p;
      addr |= req[p].addr << (5 * p);
      t.req_wdata_i[p * kWords] = uint32_t(req[p].data);
      t.req_wdata_i[p * kWords + 1] = uint32_t(req[p].data >> 32);
    }
    t.req_valid_i = valid;
    t.req_we_i = we;
    t.req_addr_i = addr;
    sim.eval();
    const uint32_t grant = t.req_ready_o;
    // At most one grant per bank; every waiting port shows a conflict.
    std::vector<int> bank_users(kBanks);
    for (unsigned p = 0; p < kPorts; ++p) {
      if (!req[p].valid) continue;
      const bool g = (grant >> p) & 1;
      EXPECT_EQ(((t.conflict_o >> p) & 1) != 0, !g);
      if (g) {
        ++bank_users[req[p].addr % kBanks];
        ++served;
        if (req[p].we) {
          mem[req[p].addr] = req[p].data;
        } else {
          rsp_expected[p] = true;
          rsp_data[p] = mem[req[p].addr];
        }
        max_wait = std::max(max_wait, req[p].waited);
        req[p].valid = false;
      } else {
        ++conflicts;
        ++req[p].waited;
      }
    }
    for (int u : bank_users) ASSERT_LE(u, 1);
    // Writes granted this cycle to rows read this cycle: impossible (one bank, one grant).
    sim.tick();
    for (unsigned p = 0; p < kPorts; ++p) {
      ASSERT_EQ(((t.rsp_valid_o >> p) & 1) != 0, bool(rsp_expected[p])) << "cycle " << c;
      if (rsp_expected[p]) {
        const uint64_t got =
            uint64_t(t.rsp_rdata_o[p * kWords]) | uint64_t(t.rsp_rdata_o[p * kWords + 1]) << 32;
        ASSERT_EQ(got, rsp_data[p]) << "port " << p << " cycle " << c;
        ++reads_checked;
      }
      rsp_expected[p] = false;
    }
  }
  EXPECT_GT(conflicts, 5000u);
  EXPECT_GT(reads_checked, 10000u);
  // Round-robin: a waiting port is served within Ports - 1 lost arbitrations.
  EXPECT_LE(max_wait, kPorts - 1);
  ::testing::Test::RecordProperty("served", std::to_string(served));
}

TEST(Spad, AssertionFiresOnWithdrawnRequest) {
  tb::Sim<Vts_spad_p3> sim(test_name(), uint32_t(seed()));
  auto& t = sim.top();
  sim.reset();
  // Ports 0 and 1 both want bank 0; the loser withdraws its request.
  t.req_valid_i = 3;
  t.req_we_i = 0;
  t.req_addr_i = 0 | (4u << 5);
  sim.eval();
  ASSERT_EQ(__builtin_popcount(t.req_ready_o & 3), 1);
  sim.tick();
  t.req_valid_i = 0;
  EXPECT_THROW(sim.tick(), tb::AssertionFailure);
}

}  // namespace
}  // namespace tessera::test
