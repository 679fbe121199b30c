// SPDX-License-Identifier: Apache-2.0
// ts_sram single-port and 1R1W variants against a C++ array, random traffic.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "Vts_sram_1p.h"
#include "Vts_sram_2p.h"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

// Random reads and writes; a read's data is checked the cycle after, and must hold
// while no further read is issued.
template <class Top>
void random_traffic(bool two_port, uint64_t s) {
  tb::Sim<Top> sim(test_name(), uint32_t(s));
  auto& t = sim.top();
  std::mt19937_64 rng(s);
  std::vector<uint32_t> mem(16);
  for (uint32_t a = 0; a < 16; ++a) {  // known contents first
    mem[a] = uint32_t(rng());
    t.we_i = 1;
    t.re_i = 0;
    t.waddr_i = a;
    t.wdata_i = mem[a];
    sim.tick();
  }
  bool have = false;
  uint32_t expect = 0;
  uint64_t reads = 0, same_cycle = 0;
  for (int c = 0; c < 20000; ++c) {
    const bool we = rng() % 2, re = rng() % 3 != 0;
    const uint32_t wa = uint32_t(rng() % 16), ra = uint32_t(rng() % 16), wd = uint32_t(rng());
    t.we_i = we;
    t.re_i = re;
    t.waddr_i = wa;
    t.raddr_i = ra;
    t.wdata_i = wd;
    // Single port: a write wins and the read data holds. Two ports: read-first.
    const bool rd = re && (two_port || !we);
    const uint32_t addr = two_port ? ra : wa;
    if (rd) {
      expect = mem[addr];
      have = true;
      ++reads;
      same_cycle += two_port && we && wa == ra;
    }
    if (we) mem[wa] = wd;
    sim.tick();
    if (have) {
      ASSERT_EQ(t.rdata_o, expect) << "cycle " << c;
    }
  }
  EXPECT_GT(reads, 5000u);
  if (two_port) {
    EXPECT_GT(same_cycle, 100u);
  }
}

TEST(Sram, SinglePortRandom) { random_traffic<Vts_sram_1p>(false, seed()); }
TEST(Sram, TwoPortRandom) { random_traffic<Vts_sram_2p>(true, seed()); }

}  // namespace
}  // namespace tessera::test
