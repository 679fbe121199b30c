// SPDX-License-Identifier: Apache-2.0
// Attention on the whole chip: Runtime::attention_forward and attention_backward on the
// simulated ts_top under random AXI stalls and latencies, bit for bit against the same
// kernels on the functional model (whose accuracy test_attention checks against the FP64
// reference): O, lse, dQ, dK, dV, FLAGS and the PERF byte counters. Several key blocks per
// query block (online-softmax rescaling, K/V double buffering), causal tiles crossing the
// diagonal, unequal sequence lengths, FP16 and BF16.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>
#include <random>
#include <vector>

#include "chip_fixture.hpp"
#include "rt_util.hpp"
#include "tessera/func_device.hpp"
#include "tessera/golden/arith.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera::systest {
namespace {

struct Shape {
  uint32_t heads, seq_q, seq_k, d;
  bool causal;
  isa::Dtype dt;
  uint32_t block_q = 0, block_k = 0;
};

struct Result {
  std::vector<uint8_t> o, lse, dq, dk, dv;
  AttentionStats fwd, bwd;
};

std::vector<uint16_t> random_codes(std::mt19937_64& r, isa::Dtype dt, size_t n) {
  const golden::Fmt16 f = dt == isa::Dtype::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16;
  std::normal_distribution<float> nd(0.0f, 1.5f);
  std::vector<uint16_t> v(n);
  for (auto& c : v) {
    const float x = nd(r);
    uint32_t b;
    std::memcpy(&b, &x, 4);
    c = golden::fp_narrow(f, b).bits;
  }
  return v;
}

// Forward with O in the input format (as training keeps it), then the backward pass.
Result run(Device& dev, const Shape& s, uint64_t seed) {
  Runtime rt(dev);
  std::mt19937_64 r(seed);
  const size_t nq = size_t(s.heads) * s.seq_q * s.d, nk = size_t(s.heads) * s.seq_k * s.d;
  const auto q = random_codes(r, s.dt, nq), k = random_codes(r, s.dt, nk),
             v = random_codes(r, s.dt, nk), d_o = random_codes(r, s.dt, nq);
  AttentionArgs a;
  a.heads = s.heads;
  a.seq_q = s.seq_q;
  a.seq_k = s.seq_k;
  a.head_dim = s.d;
  a.dtype = s.dt;
  a.out = s.dt == isa::Dtype::kBf16 ? isa::StoreFormat::kBf16 : isa::StoreFormat::kFp16;
  a.causal = s.causal;
  a.block_q = s.block_q;
  a.block_k = s.block_k;
  a.q = rt.alloc(nq * 2);
  a.k = rt.alloc(nk * 2);
  a.v = rt.alloc(nk * 2);
  a.o = rt.alloc(nq * 2);
  a.lse = rt.alloc(size_t(s.heads) * s.seq_q * 4);
  a.d_o = rt.alloc(nq * 2);
  a.dq = rt.alloc(nq * 4);
  a.dk = rt.alloc(nk * 4);
  a.dv = rt.alloc(nk * 4);
  rt.write(a.q, q.data(), nq * 2);
  rt.write(a.k, k.data(), nk * 2);
  rt.write(a.v, v.data(), nk * 2);
  rt.write(a.d_o, d_o.data(), nq * 2);
  Result res;
  res.fwd = rt.attention_forward(a);
  a.out = isa::StoreFormat::kRaw;
  res.bwd = rt.attention_backward(a);
  res.o = rt.read(a.o);
  res.lse = rt.read(*a.lse);
  res.dq = rt.read(a.dq);
  res.dk = rt.read(a.dk);
  res.dv = rt.read(a.dv);
  return res;
}

void expect_same_bytes(const char* what, const std::vector<uint8_t>& chip,
                       const std::vector<uint8_t>& func, size_t elem) {
  ASSERT_EQ(chip.size(), func.size()) << what;
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < chip.size(); i += elem) {
    if (std::memcmp(&chip[i], &func[i], elem) != 0 && bad++ == 0) first = i / elem;
  }
  EXPECT_EQ(bad, 0u) << what << ": " << bad << " elements differ, first at " << first;
}

void expect_same_run(const char* what, const RunStats& chip, const RunStats& func) {
  EXPECT_EQ(chip.flags, func.flags) << what << " FLAGS";
  EXPECT_EQ(chip.commands, func.commands) << what << " commands";
  for (uint32_t k : {isa::kPerfFetched, isa::kPerfBytesRead, isa::kPerfBytesWritten}) {
    EXPECT_EQ(chip.perf[k], func.perf[k]) << what << " PERF[" << k << "]";
  }
}

void check(const char* config, const Shape& s, uint64_t seed) {
  SCOPED_TRACE(std::string(config) + " heads " + std::to_string(s.heads) + " seq " +
               std::to_string(s.seq_q) + "x" + std::to_string(s.seq_k) + " d " +
               std::to_string(s.d) + (s.causal ? " causal" : ""));
  const std::unique_ptr<Device> chip = make_sim(config, random_bus_options(seed));
  FuncDevice func(find_config(config), test::func_options(seed));
  const Result c = run(*chip, s, seed), f = run(func, s, seed);
  expect_same_bytes("O", c.o, f.o, 2);
  expect_same_bytes("lse", c.lse, f.lse, 4);
  expect_same_bytes("dQ", c.dq, f.dq, 4);
  expect_same_bytes("dK", c.dk, f.dk, 4);
  expect_same_bytes("dV", c.dv, f.dv, 4);
  expect_same_run("forward", c.fwd.run, f.fwd.run);
  expect_same_run("backward", c.bwd.run, f.bwd.run);
  std::cout << "[ cycles   ] " << config << " " << c.fwd.plan.describe() << ": forward "
            << c.fwd.run.cycles << ", backward " << c.bwd.run.cycles << " simulated"
            << std::endl;
}

// tiny (Dim 4): several key and query blocks, causal tiles crossing the diagonal, seq_k >
// seq_q (keys no query sees), BF16.
TEST(ChipAttention, TinyMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  check("tiny", {2, 13, 13, 8, true, isa::Dtype::kFp16, 4, 4}, seed);
  check("tiny", {1, 9, 17, 16, true, isa::Dtype::kBf16, 8, 4}, seed + 1);
}

// default (Dim 16): one head of the benchmark's shape class, the runtime's own plan.
TEST(ChipAttention, DefaultMatchesFunctionalModel) {
  check("default", {1, 64, 64, 64, true, isa::Dtype::kFp16}, test::seed());
}

}  // namespace
}  // namespace tessera::systest
