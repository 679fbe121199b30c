// SPDX-License-Identifier: Apache-2.0
// Runtime::gemm on the simulated chip under random AXI stalls and memory latencies:
// bit-exact against golden::gemm (FLAGS included) and within the OpenBLAS bound, the same
// memory image and counters as the functional model, and recovery from errors.
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "chip_fixture.hpp"
#include "gemm_case.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"

namespace tessera::systest {
namespace {

using isa::Dtype;
using isa::StoreFormat;
using test::Case;

// Random bus: every AXI channel stalls 0-90 % of the time, read and write latencies 1-120.
DeviceOptions random_bus(uint64_t seed) {
  std::mt19937_64 r(seed ^ 0x5ee5a11bull);
  auto p = [&] { return double(r() % 91) / 100.0; };
  DeviceOptions o;
  o.seed = seed;
  o.ar_stall = p();
  o.aw_stall = p();
  o.w_stall = p();
  o.r_stall = p();
  o.b_stall = p();
  o.mem_latency = 1 + unsigned(r() % 120);
  o.mem_write_latency = 1 + int(r() % 120);
  return o;
}

std::string str(const DeviceOptions& o) {
  char b[160];
  std::snprintf(b, sizeof b,
                "stalls ar %.2f aw %.2f w %.2f r %.2f b %.2f, latency read %u write %d", o.ar_stall,
                o.aw_stall, o.w_stall, o.r_stall, o.b_stall, o.mem_latency, o.mem_write_latency);
  return b;
}

// The case on the chip (checked against golden and OpenBLAS), then on the functional model
// with the same data: D with its guards, FLAGS and the exact counters must be identical.
void run_on_chip(const Case& c, uint64_t seed) {
  const DeviceOptions bus = random_bus(seed);
  SCOPED_TRACE(test::str(c) + ", " + str(bus));
  std::cout << "[ case     ] " << test::str(c) << ", " << str(bus) << std::endl;
  const std::unique_ptr<Device> chip = make_sim(c.config, bus);
  const test::CaseResult got = test::run_gemm_case(*chip, c, seed);
  if (::testing::Test::HasFailure()) return;
  FuncDevice func(find_config(c.config), test::func_options(seed));
  const test::CaseResult want = test::run_gemm_case(func, c, seed);
  ASSERT_EQ(got.d_with_guards.size(), want.d_with_guards.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < got.d_with_guards.size(); ++i) {
    if (got.d_with_guards[i] != want.d_with_guards[i] && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0u) << "memory images differ, first at byte " << first << " of D's buffer";
  EXPECT_EQ(got.flags, want.flags) << "FLAGS chip vs functional model";
  for (uint32_t k :
       {isa::kPerfFetched, isa::kPerfMacs, isa::kPerfBytesRead, isa::kPerfBytesWritten}) {
    EXPECT_EQ(got.stats.perf[k], want.stats.perf[k]) << "PERF[" << k << "]";
  }
  std::cout << "[ cycles   ] " << got.stats.cycles << " simulated (" << got.stats.commands
            << " commands), functional-model estimate " << want.stats.cycles << std::endl;
}

Case mk(const char* cfg, Dtype dt, uint32_t m, uint32_t n, uint32_t k, bool at, bool bt,
        StoreFormat out, bool acc, bool in_place = false, bool specials = false) {
  Case c;
  c.config = cfg;
  c.dt = dt;
  c.m = m;
  c.n = n;
  c.k = k;
  c.at = at;
  c.bt = bt;
  c.out = out;
  c.acc = acc;
  c.in_place = in_place;
  c.specials = specials;
  return c;
}

constexpr Dtype kF16 = Dtype::kFp16, kB16 = Dtype::kBf16, kI8 = Dtype::kInt8;
constexpr StoreFormat kRaw = StoreFormat::kRaw, kOutF16 = StoreFormat::kFp16,
                      kOutB16 = StoreFormat::kBf16, kOutI8 = StoreFormat::kInt8;

// The default run on `tiny` (Dim 4): sizes from {1, 3, 5, 17, 31, 33, 257}, every dtype,
// transpose, output format and accumulation (in place too), and special values (NaN, Inf
// in the padding columns: FLAGS must not see them).
const Case kTinyCases[] = {
    mk("tiny", kF16, 33, 17, 31, false, false, kRaw, false),
    mk("tiny", kB16, 17, 33, 5, true, false, kOutF16, false),
    mk("tiny", kI8, 31, 17, 33, false, true, kRaw, true),
    mk("tiny", kI8, 17, 3, 257, true, false, kOutI8, false),
    mk("tiny", kF16, 1, 33, 17, true, true, kOutB16, true),
    mk("tiny", kB16, 3, 1, 33, false, false, kRaw, true, true),
    mk("tiny", kF16, 5, 31, 3, false, true, kOutF16, false),
    mk("tiny", kB16, 33, 5, 17, true, true, kOutB16, true),
    mk("tiny", kI8, 1, 1, 1, false, false, kOutI8, true),
    mk("tiny", kF16, 257, 5, 3, false, false, kRaw, true),
    mk("tiny", kI8, 3, 31, 5, true, true, kOutI8, true),
    mk("tiny", kI8, 5, 17, 31, false, false, kRaw, true, true),
    mk("tiny", kF16, 9, 13, 21, false, false, kOutF16, true, false, true),
    mk("tiny", kB16, 7, 5, 18, true, false, kRaw, false, false, true),
};

class ChipGemm : public ::testing::TestWithParam<int> {};

TEST_P(ChipGemm, Tiny) { run_on_chip(kTinyCases[GetParam()], test::seed()); }

INSTANTIATE_TEST_SUITE_P(Shapes, ChipGemm,
                         ::testing::Range(0, int(sizeof kTinyCases / sizeof kTinyCases[0])));

// The `default` configuration (Dim 16, 32-byte bus): several blocks and K groups.
TEST(ChipGemmDefault, Fp16_128x96x80) {
  run_on_chip(mk("default", kF16, 128, 96, 80, false, true, kOutF16, false), test::seed());
}

TEST(ChipGemmDefault, Int8_80x72x100) {
  run_on_chip(mk("default", kI8, 80, 72, 100, true, false, kOutI8, true), test::seed());
}

// A = +Inf, B = 1 (N = 1): the real column is Inf with no flag; the array's padding
// columns compute Inf*0 = NaN (NV), which must not reach FLAGS. B = 0: NaN, NV.
TEST(ChipFlags, PaddingColumnsRaiseNoFlags) {
  const std::unique_ptr<Device> chip = make_sim("tiny", random_bus(test::seed()));
  Runtime rt(*chip);
  GemmArgs g;
  g.m = 3;
  g.n = 1;
  g.k = 2;
  g.a = rt.alloc(12);
  g.b = rt.alloc(4);
  g.d = rt.alloc(12);
  const uint8_t inf[12] = {0, 0x7c, 0, 0x7c, 0, 0x7c, 0, 0x7c, 0, 0x7c, 0, 0x7c};
  rt.write(g.a, inf, 12);
  for (uint8_t hi : {uint8_t(0x3c), uint8_t(0)}) {
    const uint8_t b[4] = {0, hi, 0, hi};
    rt.write(g.b, b, 4);
    const RunStats st = rt.gemm(g);
    uint32_t d0;
    rt.read(g.d, &d0, 4);
    EXPECT_EQ(d0, hi ? 0x7f800000u : 0x7fc00000u);
    EXPECT_EQ(st.flags, hi ? 0u : uint32_t(golden::kFlagNv)) << "B = " << int(hi);
  }
}

// ------------------------------------------------------------------ recovery
// A GEMM after an error must be correct: the soft reset waited for the running commands,
// cleared the stopped queues and tokens, kept the windows.
void expect_good_gemm(Device& dev, uint64_t seed) {
  test::run_gemm_case(dev, mk("tiny", kB16, 9, 6, 11, false, true, kOutB16, true), seed);
}

TEST(ChipRecovery, WindowErrorThenGemm) {
  const uint64_t seed = test::seed();
  std::unique_ptr<Device> chip = make_sim("tiny", random_bus(seed));
  Runtime rt(*chip);
  // A GEMM whose D lies outside the runtime's window: the first STORE is refused while
  // loads and GEMMs of later blocks are still running.
  GemmArgs g;  // three C blocks on tiny
  g.m = 100;
  g.n = 9;
  g.k = 20;
  g.a = rt.alloc(size_t(g.m) * g.k * 2);
  g.b = rt.alloc(size_t(g.k) * g.n * 2);
  g.d = Buffer{0x0000'7000u, g.m * g.n * 4};
  try {
    rt.gemm(g);
    FAIL() << "no DeviceError";
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    EXPECT_EQ(e.code, isa::ErrCode::kWindow) << m;
    EXPECT_EQ(e.unit, isa::Unit::kStore) << m;
    EXPECT_EQ(e.addr, 0x7000u) << m;
    for (const char* part : {"Window", "store unit", "STORE", "0x7000", "window"}) {
      EXPECT_NE(m.find(part), std::string::npos) << "'" << part << "' not in: " << m;
    }
    std::cout << "[ message  ] " << m << std::endl;
  }
  // Runtime::gemm soft-reset the chip (reset_on_error): it is back in service.
  using namespace isa::csr;
  EXPECT_EQ(chip->csr_read(kErrCode), 0u);
  EXPECT_EQ(chip->csr_read(kStatus) & (kStatusError | kStatusBusy | kStatusFetchStopped), 0u);
  EXPECT_EQ(chip->csr_read(kFlags), 0u);
  EXPECT_EQ(chip->csr_read(perf_lo(isa::kPerfMacs)), 0u);
  EXPECT_EQ(chip->csr_read(win_perm(0)), kPermRead | kPermWrite);
  expect_good_gemm(*chip, seed + 1);
}

TEST(ChipRecovery, DecodeErrorAndTokenWaitThenGemm) {
  const uint64_t seed = test::seed();
  std::unique_ptr<Device> chip = make_sim("tiny", random_bus(seed));
  RuntimeOptions ro;
  ro.timeout_cycles = 50'000;
  Runtime rt(*chip, ro);
  const Buffer src = rt.alloc(4096);
  isa::LoadCmd l;
  l.dram_addr = src.addr;
  l.stride = l.bytes = 64;
  l.rows = 8;
  {  // a Dims error (INT8 shift code 31) after two loads
    CommandStream s(chip->config());
    s.raw(l.encode());
    s.raw(l.encode());
    isa::StoreCmd st;
    st.dram_addr = src.addr;
    st.stride = 8;
    st.rows = st.cols = 1;
    st.format = StoreFormat::kInt8;
    st.shift = 31;
    s.raw(st.encode());
    try {
      rt.run(s);
      ADD_FAILURE() << "no DeviceError";
    } catch (const DeviceError& e) {
      EXPECT_EQ(e.code, isa::ErrCode::kDims) << e.what();
      EXPECT_EQ(e.unit, isa::Unit::kFetch) << e.what();
      EXPECT_EQ(e.command, 2) << e.what();
    }
  }
  expect_good_gemm(*chip, seed + 1);
  rt.recover();  // the check ran its own Runtime on the chip: re-arm the ring for ours
  {              // a GEMM waiting on a token that never comes, behind a running LOAD
    CommandStream s(chip->config());
    s.raw(l.encode());
    isa::GemmCmd gm;
    gm.m = gm.n = gm.k = 4;
    gm.a_stride = gm.b_stride = gm.c_stride = 1;
    gm.tok.pop_prev = true;
    s.raw(gm.encode());
    EXPECT_THROW(rt.run(s), DeviceTimeout);
  }
  expect_good_gemm(*chip, seed + 2);
}

// ------------------------------------------------------------------ slow sweep
// Random shapes (sizes around Dim and up to 300), options, configurations and buses;
// TESSERA_VECTORS cases (default 300, about 20 s).
TEST(ChipSlow, RandomSweep) {
  std::mt19937_64 r(test::seed());
  const uint64_t n = test::vectors(300);
  for (uint64_t i = 0; i < n; ++i) {
    const char* cfg = r() % 4 == 0 ? "default" : "tiny";
    const uint32_t D = find_config(cfg).dim;
    const uint32_t sizes[] = {1, 2, 3, D - 1, D, D + 1, 17, 31, 33, 2 * D + 1, 65, 129};
    Case c;
    c.config = cfg;
    c.dt = Dtype(r() % 3);
    c.m = sizes[r() % 12];
    c.n = sizes[r() % 12];
    c.k = r() % 8 == 0 ? 257 : sizes[r() % 12];
    c.at = r() & 1;
    c.bt = r() & 1;
    c.acc = r() % 3 == 0;
    c.specials = c.dt != kI8 && r() % 6 == 0;
    const auto fs = test::formats(c.dt);
    c.out = fs[r() % fs.size()];
    c.in_place = c.acc && c.out == kRaw && (r() & 1);  // C and D share the raw layout
    std::cout << "[ sweep    ] case " << i << " of " << n << std::endl;
    run_on_chip(c, r());
    if (HasFailure()) return;
  }
}

TEST(ChipSlow, LargeDefault) {
  std::mt19937_64 r(test::seed());
  run_on_chip(mk("default", kB16, 300, 200, 257, false, false, kOutB16, true), r());
  run_on_chip(mk("default", kI8, 257, 130, 300, true, true, kRaw, false), r());
}

}  // namespace
}  // namespace tessera::systest
