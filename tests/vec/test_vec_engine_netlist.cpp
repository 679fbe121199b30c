// SPDX-License-Identifier: Apache-2.0
// The Yosys netlist of ts_vec (Dim 4, dividers) in lockstep with the RTL: every output
// compared every cycle under random commands, data and port refusals.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "Vnl_ts_vec.h"
#include "Vts_vec.h"
#include "sim.hpp"
#include "test_util.hpp"
#include "vec_engine_lockstep.hpp"

namespace tessera::test {
namespace {

TEST(VecEngineNetlist, LockstepSlow) {
  vec_lockstep<Vts_vec, Vnl_ts_vec>(seed(), vectors(20000));
}

}  // namespace
}  // namespace tessera::test
