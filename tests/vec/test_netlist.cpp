// SPDX-License-Identifier: Apache-2.0
// Yosys netlists of the rtl/vec units in lockstep with the RTL: every output compared
// every cycle under random operands (specials included) and random idle cycles.
#include <gtest/gtest.h>

#include <random>

#include "Vnl_ts_vec_exp.h"
#include "Vts_vec_exp.h"
#include "fp_operands.hpp"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

TEST(VecExpNetlist, LockstepRandom) {
  const uint64_t s = seed();
  tb::Sim<Vts_vec_exp> rtl(test_name() + ".rtl", uint32_t(s));
  tb::Sim<Vnl_ts_vec_exp> net(test_name() + ".net", uint32_t(s) + 1);
  rtl.reset();
  net.reset();
  std::mt19937_64 r(s);
  uint64_t outs = 0;
  const uint64_t n = vectors(100000);
  for (uint64_t c = 0; c < n; ++c) {
    const bool v = r() % 8 != 0;
    // Half the operands where e^x is finite and not 1, the rest from the shared mix.
    const uint32_t x = r() % 2 ? tb::arith::fp32_random(r)
                               : uint32_t((r() & 0x807fffffu) | ((94 + r() % 40) << 23));
    rtl->in_valid_i = net->in_valid_i = v;
    rtl->x_i = net->x_i = x;
    rtl.tick();
    net.tick();
    ASSERT_EQ(rtl->out_valid_o, net->out_valid_o) << "cycle " << c;
    if (rtl->out_valid_o) {
      ASSERT_EQ(rtl->res_o, net->res_o) << "cycle " << c;
      ASSERT_EQ(rtl->flags_o, net->flags_o) << "cycle " << c;
      ++outs;
    }
  }
  EXPECT_GT(outs, n / 2);
}

}  // namespace
}  // namespace tessera::test
