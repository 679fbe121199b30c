// SPDX-License-Identifier: Apache-2.0
// Yosys netlist of ts_adamw_lane (default DivBits) in lockstep with the RTL: every output
// compared every cycle under random operands (specials included), scalars and modes.
#include <gtest/gtest.h>

#include <random>

#include "Vnl_ts_adamw_lane.h"
#include "Vts_adamw_lane.h"
#include "sim.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

uint32_t operand(std::mt19937_64& r) {
  static const uint32_t special[] = {0u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                     0x7f800001u, 0x00000001u, 0x007fffffu, 0x7f7fffffu};
  if (r() % 8 == 0) return special[r() % 9];
  // Exponents near 127 most of the time so that the arithmetic is exercised, not only
  // the special paths.
  const uint32_t e = r() % 4 == 0 ? uint32_t(r() % 256) : 100 + uint32_t(r() % 40);
  return uint32_t((r() & 0x80000000u) | (e << 23) | (r() & 0x7fffffu));
}

TEST(AdamWLaneNetlist, LockstepRandom) {
  const uint64_t s = seed();
  tb::Sim<Vts_adamw_lane> rtl(test_name() + ".rtl", uint32_t(s));
  tb::Sim<Vnl_ts_adamw_lane> net(test_name() + ".net", uint32_t(s) + 1);
  rtl.reset();
  net.reset();
  std::mt19937_64 r(s);
  uint64_t outs = 0;
  const uint64_t n = vectors(60000);
  for (uint64_t c = 0; c < n; ++c) {
    if (c % 5000 == 0) {  // new scalars and modes (between bursts: the pipe drains first)
      for (int i = 0; i < 60; ++i) {
        rtl->in_valid_i = net->in_valid_i = 0;
        rtl.tick();
        net.tick();
      }
      rtl->gfmt_i = net->gfmt_i = uint8_t(r() % 3);
      rtl->p16fmt_i = net->p16fmt_i = r() & 1;
      rtl->decay_en_i = net->decay_en_i = r() & 1;
      rtl->inv_ls_i = net->inv_ls_i = operand(r);
      rtl->decay_i = net->decay_i = operand(r);
      rtl->omb1_i = net->omb1_i = operand(r);
      rtl->b2_i = net->b2_i = operand(r);
      rtl->omb2_i = net->omb2_i = operand(r);
      rtl->bc2s_i = net->bc2s_i = operand(r);
      rtl->eps_i = net->eps_i = operand(r);
      rtl->nstep_i = net->nstep_i = operand(r);
    }
    const bool v = r() % 8 != 0;
    rtl->in_valid_i = net->in_valid_i = v;
    rtl->grad_i = net->grad_i = operand(r);
    rtl->p_i = net->p_i = operand(r);
    rtl->m_i = net->m_i = operand(r);
    rtl->v_i = net->v_i = operand(r);
    rtl.tick();
    net.tick();
    ASSERT_EQ(rtl->out_valid_o, net->out_valid_o) << "cycle " << c;
    ASSERT_EQ(rtl->scan_valid_o, net->scan_valid_o) << "cycle " << c;
    ASSERT_EQ(rtl->flags_o, net->flags_o) << "cycle " << c;
    ASSERT_EQ(rtl->scan_flags_o, net->scan_flags_o) << "cycle " << c;
    if (rtl->out_valid_o) {
      ASSERT_EQ(rtl->p_o, net->p_o) << "cycle " << c;
      ASSERT_EQ(rtl->m_o, net->m_o) << "cycle " << c;
      ASSERT_EQ(rtl->v_o, net->v_o) << "cycle " << c;
      ASSERT_EQ(rtl->p16_o, net->p16_o) << "cycle " << c;
      ++outs;
    }
    if (rtl->scan_valid_o) {
      ASSERT_EQ(rtl->scan_g_o, net->scan_g_o) << "cycle " << c;
      ASSERT_EQ(rtl->scan_gsq_o, net->scan_gsq_o) << "cycle " << c;
      ASSERT_EQ(rtl->scan_nonfinite_o, net->scan_nonfinite_o) << "cycle " << c;
    }
  }
  EXPECT_GT(outs, n / 2);
}

}  // namespace
}  // namespace tessera::test
