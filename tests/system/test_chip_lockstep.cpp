// SPDX-License-Identifier: Apache-2.0
// tb::LockstepDevice, the comparison behind the netlist backend, shown able to fail: two
// RTL chips made to differ in one way each (memory latency, a CSR, host memory) must be
// reported, naming what differs; two identical ones run a GEMM without a report.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "chip_fixture.hpp"
#include "gemm_case.hpp"
#include "lockstep_device.hpp"
#include "tessera/device.hpp"
#include "tessera/sim_backend.hpp"

namespace tessera::systest {
namespace {

std::unique_ptr<tb::LockstepDevice> pair(unsigned latency_a, unsigned latency_b) {
  register_sim_backend();
  DeviceOptions a, b;
  a.mem_latency = latency_a;
  b.mem_latency = latency_b;
  return std::make_unique<tb::LockstepDevice>(make_device("tiny", "sim", a),
                                              make_device("tiny", "sim", b));
}

test::Case small_gemm() {
  test::Case c;
  c.config = "tiny";
  c.m = 9;
  c.n = 7;
  c.k = 13;
  return c;
}

// The message of the NetlistMismatch that f() throws ("" if none).
template <class F>
std::string mismatch(F f) {
  try {
    f();
  } catch (const tb::NetlistMismatch& e) {
    return e.what();
  }
  return "";
}

TEST(LockstepDevice, IdenticalChipsAgree) {
  const auto d = pair(20, 20);
  const test::CaseResult r = test::run_gemm_case(*d, small_gemm(), 7);
  EXPECT_FALSE(r.d_with_guards.empty());
  EXPECT_GT(d->cycles(), 0u);
}

TEST(LockstepDevice, ReportsACycleDifference) {
  const auto d = pair(20, 21);  // one cycle more per memory access on one side
  const std::string m = mismatch([&] { test::run_gemm_case(*d, small_gemm(), 7); });
  EXPECT_NE(m.find("netlist differs from the RTL (tiny"), std::string::npos) << m;
  EXPECT_NE(m.find("at cycle"), std::string::npos) << m;
}

TEST(LockstepDevice, ReportsACsrDifference) {
  const auto d = pair(20, 20);
  d->netlist().csr_write(isa::csr::kRingBase, 0x2000'0000u);
  const std::string m = mismatch([&] { d->csr_read(isa::csr::kRingBase); });
  EXPECT_NE(m.find("csr_read("), std::string::npos) << m;
  EXPECT_NE(m.find("netlist 0x20000000"), std::string::npos) << m;
}

TEST(LockstepDevice, ReportsAMemoryDifference) {
  const auto d = pair(20, 20);
  const uint8_t one = 1;
  d->mem_write(0x1000'0000u, std::vector<uint8_t>(64, 0));
  d->netlist().mem_write(0x1000'0021u, &one, 1);
  const std::string m = mismatch([&] { d->mem_read(0x1000'0000u, 64); });
  EXPECT_NE(m.find("host memory at 0x10000021 (byte 33 of a 64-byte read): RTL 0x00, "
                   "netlist 0x01"),
            std::string::npos)
      << m;
}

}  // namespace
}  // namespace tessera::systest
