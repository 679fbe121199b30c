// SPDX-License-Identifier: Apache-2.0
// Yosys gate netlists of ts_mmu (DIM=4; the default PEs and the FPGA configurations' PEs,
// MulStages 2 and AddStages 3) simulated in lockstep with the RTL.
#include <gtest/gtest.h>

#include <random>
#include <tuple>

#include "Vnl_ts_mmu.h"
#include "Vnl_ts_mmu_m2a3.h"
#include "Vts_mmu_d4.h"
#include "Vts_mmu_d4_m2a3.h"
#include "mmu_driver.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

constexpr int kDim = 4;

template <class T>
auto outputs(const T& t) {
  std::vector<uint32_t> v = {t.w_ready_o, t.a_ready_o, t.o_valid_o, t.flags_o, t.err_o,
                             t.err_code_o};
  if (t.o_valid_o) {
    v.push_back(t.o_last_o);
    for (int l = 0; l < kDim; ++l) v.push_back(mmu::get_field(t.o_data_o, 32 * l, 32));
    v.push_back(uint32_t(t.o_flags_o));
  }
  return v;
}

// Random legal traffic: offers held until accepted, random lanes of every data type,
// random configurations (both transpositions; illegal ones included), a_last mostly at
// the end of a group of kDim rows (so transposed-activation tiles are well formed) and
// sometimes inside one (the ErrAGroup path), random output stalls and clears.
template <class VR, class VN>
void lockstep_random() {
  const uint64_t seed = test::seed();
  const uint64_t cycles = vectors(30000);
  tb::Sim<VR> rtl(test_name() + ".rtl", uint32_t(seed));
  tb::Sim<VN> net(test_name() + ".net", uint32_t(seed) + 1);
  rtl.reset();
  net.reset();
  std::mt19937_64 rng(seed);
  bool w_hold = false, a_hold = false;
  uint64_t results = 0;
  uint8_t cfg = 0;
  int wrow = 0, arow = 0;
  uint64_t last_mid = 0, last_end = 0, at_tiles = 0;
  try {
    for (uint64_t c = 0; c < cycles; ++c) {
      auto& r = rtl.top();
      auto& n = net.top();
      if (!w_hold) {
        const bool v = rng() % 4 != 0;
        r.w_valid_i = n.w_valid_i = v;
        if (wrow == 0) {
          cfg = uint8_t(rng() % 16 < 14 ? rng() % 3 | (rng() % 2) << 2 | (rng() % 2) << 3
                                        : rng() % 16);
        }
        r.w_cfg_i = n.w_cfg_i = cfg;
        const uint64_t d = rng();
        r.w_data_i = n.w_data_i = d;
      }
      if (!a_hold) {
        const bool v = rng() % 8 != 0;
        r.a_valid_i = n.a_valid_i = v;
        const bool last = arow % kDim == kDim - 1 ? rng() % 3 == 0 : rng() % 40 == 0;
        r.a_last_i = n.a_last_i = last;
        const uint64_t d = rng();
        r.a_data_i = n.a_data_i = d;
      }
      const bool o_rdy = rng() % 3 != 0, clr = rng() % 500 == 0;
      r.o_ready_i = n.o_ready_i = o_rdy;
      r.clear_i = n.clear_i = clr;
      rtl.eval();
      net.eval();
      const auto ro = outputs(r), no = outputs(n);
      ASSERT_EQ(ro, no) << "netlist differs from RTL at cycle " << c;
      w_hold = r.w_valid_i && !r.w_ready_o;
      a_hold = r.a_valid_i && !r.a_ready_o;
      if (r.w_valid_i && r.w_ready_o) {
        at_tiles += wrow == 0 && (cfg & 8) && (cfg & 3) != 3;
        wrow = (wrow + 1) % kDim;
      }
      if (r.a_valid_i && r.a_ready_o) {
        if (r.a_last_i) (arow % kDim == kDim - 1 ? last_end : last_mid)++;
        arow = r.a_last_i ? 0 : arow + 1;
      }
      results += r.o_valid_o && o_rdy;
      rtl.tick();
      net.tick();
    }
  } catch (const tb::AssertionFailure& e) {
    FAIL() << e.what();
  }
  EXPECT_GE(results, cycles / 20) << "too few results compared";
  EXPECT_GE(last_end, 100u) << "too few whole tiles";
  EXPECT_GE(at_tiles, 100u) << "too few transposed-activation tiles";
  EXPECT_GE(last_mid, 10u) << "too few a_last inside a group";
  ::testing::Test::RecordProperty("results", std::to_string(results));
}

TEST(MmuNetlist, LockstepRandom) { lockstep_random<Vts_mmu_d4, Vnl_ts_mmu>(); }

// The FPGA configurations' processing elements (MulStages 2, AddStages 3).
TEST(MmuNetlist, LockstepRandomMul2Add3) { lockstep_random<Vts_mmu_d4_m2a3, Vnl_ts_mmu_m2a3>(); }

}  // namespace
}  // namespace tessera::test
