// SPDX-License-Identifier: Apache-2.0
// System tests of the ADAMW command on the whole chip (rtl/optim/ts_adamw in ts_top):
// STEP and SCAN against the bit-exact per-element golden (golden::adamw_element /
// adamw_scan, golden::AdamWSumSq), the skip of a step over non-finite gradients, every
// refusal, AXI errors and stalls, and Runtime::adamw_step against the functional model.
#include <cmath>
#include <cstring>
#include <functional>

#include "chip_fixture.hpp"
#include "rt_util.hpp"
#include "tessera/adamw.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"
#include "tessera/golden/adamw.hpp"
#include "tessera/golden/arith.hpp"

namespace tessera::systest {
namespace {

using golden::AdamWScalarBits;
using golden::Fmt16;
using golden::GradFmt;

constexpr uint32_t kScalarAddr = 0x1100'0000u;

struct Tensor {
  uint32_t n = 0;
  uint32_t g = 0, p = 0, m = 0, v = 0, p16 = 0;
};

struct StepMode {
  GradFmt gfmt = GradFmt::kFp32;
  bool p16 = false;
  Fmt16 p16fmt = Fmt16::kFp16;
  bool decay = false;
  bool skip = false;
};

isa::Words adamw_words(bool step, const StepMode& md, bool clear, const Tensor& t,
                       uint32_t scalars) {
  isa::AdamwCmd c;
  c.step = step;
  c.gfmt = md.gfmt;
  c.clear = clear;
  c.skip = md.skip;
  c.p16 = md.p16;
  c.p16fmt = md.p16fmt;
  c.decay = md.decay;
  c.n = t.n;
  c.g_addr = t.g;
  c.p_addr = t.p;
  c.m_addr = t.m;
  c.v_addr = t.v;
  c.p16_addr = t.p16;
  c.scalars_addr = scalars;
  return c.encode();
}

uint32_t fbits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Host-side state of one tensor: what the chip's memory must hold.
struct HostTensor {
  Tensor t;
  std::vector<uint32_t> g, p, m, v;
  std::vector<uint16_t> p16;
};

class ChipAdamW : public ::testing::Test {
 protected:
  void make(const std::string& config, DeviceOptions opt = {}) {
    opt.seed = test::seed();
    if (opt.mem_latency == 100) opt.mem_latency = 20;
    dev_ = make_sim(config, opt);
    setup_chip(*dev_);
    rng_.seed(opt.seed);
    lanes_ = isa::adamw_scan_lanes(dev_->config());  // the SCAN's accumulators
  }

  // A tensor of n elements at the next free 64-byte-aligned addresses, random contents
  // (p, m, v and the grads: roughly N(0, 1) scaled; v >= 0), guard bytes after each range.
  HostTensor alloc(uint32_t n, GradFmt gfmt) {
    HostTensor h;
    h.t.n = n;
    auto place = [&](uint32_t bytes) {
      const uint32_t a = next_;
      next_ = (next_ + bytes + 64 + 63) & ~63u;  // 64 guard bytes
      return a;
    };
    const uint32_t gb = gfmt == GradFmt::kFp32 ? 4 : 2;
    h.t.g = place(n * gb);
    h.t.p = place(4 * n);
    h.t.m = place(4 * n);
    h.t.v = place(4 * n);
    h.t.p16 = place(2 * n);
    std::normal_distribution<float> nd(0.f, 1.f);
    h.g.resize(n);
    h.p.resize(n);
    h.m.resize(n);
    h.v.resize(n);
    h.p16.assign(n, 0xa5a5);
    for (uint32_t i = 0; i < n; i++) {
      const float g = nd(rng_) * 1e3f;  // loss-scaled gradient
      h.g[i] = gfmt == GradFmt::kFp32 ? fbits(g)
               : gfmt == GradFmt::kBf16 ? (fbits(g) >> 16)
                                        : golden::fp_narrow(Fmt16::kFp16, fbits(g)).bits;
      h.p[i] = fbits(nd(rng_) * 0.1f);
      h.m[i] = fbits(nd(rng_) * 0.01f);
      h.v[i] = fbits(std::fabs(nd(rng_)) * 1e-4f);
    }
    write(h, gfmt);
    // Guards: a byte pattern after every range (checked by expect_memory).
    for (uint32_t a : {h.t.g + n * gb, h.t.p + 4 * n, h.t.m + 4 * n, h.t.v + 4 * n,
                       h.t.p16 + 2 * n}) {
      dev_->mem_write(a, std::vector<uint8_t>(64, 0x5c));
    }
    return h;
  }

  void write(const HostTensor& h, GradFmt gfmt) {
    const uint32_t n = h.t.n;
    if (gfmt == GradFmt::kFp32) {
      dev_->mem_write(h.t.g, reinterpret_cast<const uint8_t*>(h.g.data()), 4ull * n);
    } else {
      std::vector<uint16_t> g16(h.g.begin(), h.g.end());
      dev_->mem_write(h.t.g, reinterpret_cast<const uint8_t*>(g16.data()), 2ull * n);
    }
    dev_->mem_write(h.t.p, reinterpret_cast<const uint8_t*>(h.p.data()), 4ull * n);
    dev_->mem_write(h.t.m, reinterpret_cast<const uint8_t*>(h.m.data()), 4ull * n);
    dev_->mem_write(h.t.v, reinterpret_cast<const uint8_t*>(h.v.data()), 4ull * n);
    dev_->mem_write(h.t.p16, reinterpret_cast<const uint8_t*>(h.p16.data()), 2ull * n);
  }

  // Compares the chip's memory with the host state, guards included.
  void expect_memory(const HostTensor& h, GradFmt gfmt, const std::string& what) {
    const uint32_t n = h.t.n;
    auto rd32 = [&](uint32_t a) {
      std::vector<uint32_t> v(n);
      dev_->mem_read(a, reinterpret_cast<uint8_t*>(v.data()), 4ull * n);
      return v;
    };
    std::vector<uint16_t> p16(n);
    dev_->mem_read(h.t.p16, reinterpret_cast<uint8_t*>(p16.data()), 2ull * n);
    const std::vector<uint32_t> p = rd32(h.t.p), m = rd32(h.t.m), v = rd32(h.t.v);
    size_t bad = 0;
    for (uint32_t i = 0; i < n && bad < 5; i++) {
      if (p[i] != h.p[i] || m[i] != h.m[i] || v[i] != h.v[i] || p16[i] != h.p16[i]) {
        ADD_FAILURE() << what << ": element " << i << " of " << n << std::hex << ": p "
                      << p[i] << " want " << h.p[i] << ", m " << m[i] << " want " << h.m[i]
                      << ", v " << v[i] << " want " << h.v[i] << ", p16 " << p16[i]
                      << " want " << h.p16[i];
        bad++;
      }
    }
    const uint32_t gb = gfmt == GradFmt::kFp32 ? 4 : 2;
    for (uint32_t a : {h.t.g + n * gb, h.t.p + 4 * n, h.t.m + 4 * n, h.t.v + 4 * n,
                       h.t.p16 + 2 * n}) {
      EXPECT_EQ(dev_->mem_read(a, 64), std::vector<uint8_t>(64, 0x5c))
          << what << ": guard bytes after a range at 0x" << std::hex << a << " changed";
    }
  }

  void put_scalars(const AdamWScalarBits& s) {
    const uint32_t w[8] = {s.inv_loss_scale, s.decay, s.one_minus_b1, s.b2,
                           s.one_minus_b2,   s.bc2_sqrt, s.eps,        s.neg_step};
    dev_->mem_write(kScalarAddr, reinterpret_cast<const uint8_t*>(w), 32);
  }

  static AdamWScalarBits scalars(uint64_t step, double loss_scale, const StepMode& md) {
    AdamWHyper hy;
    hy.lr = 1e-3;
    hy.weight_decay = md.decay ? 0.01 : 0.0;
    return scalar_bits(adamw_scalars(hy, step, loss_scale), md.gfmt, md.p16fmt);
  }

  // The golden update of h (in place); returns the OR of the element flags.
  static uint8_t golden_step(HostTensor& h, const AdamWScalarBits& s, const StepMode& md) {
    uint8_t flags = 0;
    for (uint32_t i = 0; i < h.t.n; i++) {
      const golden::AdamWElement e = golden::adamw_element(s, h.g[i], h.p[i], h.m[i], h.v[i]);
      h.p[i] = e.p;
      h.m[i] = e.m;
      h.v[i] = e.v;
      if (md.p16) h.p16[i] = e.p16;
      flags |= e.flags;
    }
    return flags;
  }

  void expect_ok() {
    EXPECT_EQ(dev_->csr_read(isa::csr::kErrCode), 0u)
        << "ERR_ADDR 0x" << std::hex << dev_->csr_read(isa::csr::kErrAddr);
  }

  std::unique_ptr<Device> dev_;
  std::mt19937_64 rng_;
  uint32_t lanes_ = 0;
  uint32_t next_ = 0x1200'0000u;
};

TEST_F(ChipAdamW, ConfigReportsLanes) {
  make("tiny");
  const ChipConfig& c = dev_->config();
  EXPECT_GT(c.adamw_lanes, 0u);
  EXPECT_EQ(dev_->csr_read(isa::csr::kCfgDim),
            c.dim | (c.bus_bytes << 8) | (c.windows << 16) | (c.adamw_lanes << 20) |
                  (c.vec << 24) | (c.vec_divsqrt << 25));
}

// STEP over tensors of awkward sizes in every gradient format and with both copies,
// repeated with the state fed back, against the golden element model.
TEST_F(ChipAdamW, StepMatchesGoldenBitForBit) {
  make("tiny");
  const GradFmt fmts[] = {GradFmt::kFp32, GradFmt::kFp16, GradFmt::kBf16};
  const uint32_t sizes[] = {1, 3, 17, 64, 129, 1000};
  uint64_t step = 1;
  for (GradFmt gf : fmts) {
    for (uint32_t n : sizes) {
      StepMode md;
      md.gfmt = gf;
      md.p16 = (n % 2) == 1;
      md.p16fmt = (n % 3) == 0 ? Fmt16::kBf16 : Fmt16::kFp16;
      md.decay = n != 64;
      HostTensor h = alloc(n, gf);
      for (int rep = 0; rep < 2; rep++, step++) {
        const AdamWScalarBits s = scalars(step, 1024.0, md);
        put_scalars(s);
        dev_->csr_write(isa::csr::kFlags, 0x1f);
        run_commands(*dev_, {adamw_words(true, md, false, h.t, kScalarAddr)});
        expect_ok();
        const uint8_t flags = golden_step(h, s, md);
        expect_memory(h, gf, "gfmt " + std::to_string(int(gf)) + " n " + std::to_string(n));
        EXPECT_EQ(dev_->csr_read(isa::csr::kFlags), flags) << "n " << n;
        EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwStatus) & isa::csr::kAdamwStatusSkipped, 0u);
      }
    }
  }
}

// What a run of SCANs must leave: the golden sum of squares, non-finite and FLAGS.
struct Scan {
  golden::AdamWSumSq sum;
  bool nonfinite = false;
  uint8_t flags = 0;
  explicit Scan(uint32_t lanes) : sum(lanes) {}
  void add(const AdamWScalarBits& s, const std::vector<uint32_t>& g) {
    for (size_t i = 0; i < g.size(); i++) {
      const golden::AdamWScan r = golden::adamw_scan(s, g[i]);
      sum.add(i, r.gsq);
      nonfinite |= r.nonfinite;
      flags |= r.flags;
    }
  }
};

TEST_F(ChipAdamW, ScanSumsSquaresAcrossTensorsAndFindsNonFinite) {
  make("tiny");
  StepMode md;
  md.gfmt = GradFmt::kBf16;
  const AdamWScalarBits s = scalars(1, 65536.0, md);
  put_scalars(s);
  HostTensor a = alloc(333, md.gfmt), b = alloc(70, md.gfmt);
  Scan want(lanes_);
  want.add(s, a.g);
  want.add(s, b.g);
  dev_->csr_write(isa::csr::kFlags, 0x1f);
  run_commands(*dev_, {adamw_words(false, md, true, a.t, kScalarAddr),
                       adamw_words(false, md, false, b.t, kScalarAddr)});
  expect_ok();
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwSumsq), want.sum.sumsq());
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwStatus), 0u);
  EXPECT_EQ(dev_->csr_read(isa::csr::kFlags), want.flags);
  expect_memory(a, md.gfmt, "scan writes nothing");
  expect_memory(b, md.gfmt, "scan writes nothing");

  // An Inf gradient in the second tensor; a clearing scan starts over.
  b.g[41] = 0x7f80;  // BF16 +Inf
  write(b, md.gfmt);
  Scan want2(lanes_);
  want2.add(s, a.g);
  want2.add(s, b.g);
  run_commands(*dev_, {adamw_words(false, md, true, a.t, kScalarAddr),
                       adamw_words(false, md, false, b.t, kScalarAddr)});
  expect_ok();
  EXPECT_TRUE(want2.nonfinite);
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwSumsq), want2.sum.sumsq());
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwStatus), isa::csr::kAdamwStatusNonfinite);
}

// SCAN finds an Inf, STEP with skip writes nothing; after a clean clearing SCAN it runs.
TEST_F(ChipAdamW, SkipLeavesStateBitIdentical) {
  make("tiny");
  StepMode md;
  md.gfmt = GradFmt::kFp16;
  md.p16 = true;
  md.skip = true;
  md.decay = true;
  const AdamWScalarBits s = scalars(3, 256.0, md);
  put_scalars(s);
  HostTensor h = alloc(257, md.gfmt);
  h.g[200] = 0x7e00;  // FP16 NaN
  write(h, md.gfmt);
  run_commands(*dev_, {adamw_words(false, md, true, h.t, kScalarAddr),
                       adamw_words(true, md, false, h.t, kScalarAddr)});
  expect_ok();
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwStatus),
            isa::csr::kAdamwStatusNonfinite | isa::csr::kAdamwStatusSkipped);
  expect_memory(h, md.gfmt, "skipped step");

  h.g[200] = 0x3c00;  // 1.0
  write(h, md.gfmt);
  run_commands(*dev_, {adamw_words(false, md, true, h.t, kScalarAddr),
                       adamw_words(true, md, false, h.t, kScalarAddr)});
  expect_ok();
  EXPECT_EQ(dev_->csr_read(isa::csr::kAdamwStatus), 0u);
  golden_step(h, s, md);
  expect_memory(h, md.gfmt, "step after a clean scan");
}

// Every refusal: nothing is read or written, the error names the check.
TEST_F(ChipAdamW, RefusalsTouchNothing) {
  make("tiny");
  StepMode md;
  md.p16 = true;
  md.decay = true;
  put_scalars(scalars(1, 1.0, md));
  HostTensor h = alloc(100, md.gfmt);
  struct Case {
    const char* what;
    isa::ErrCode err;
    isa::Unit unit;
    uint32_t addr;  // ERR_ADDR for Window
    std::function<void(isa::Words&)> edit;
  };
  const uint32_t outside = 0x2000'0000u;
  const std::vector<Case> cases = {
      {"reserved bit", isa::ErrCode::kReserved, isa::Unit::kFetch, 0,
       [](isa::Words& w) { w[0] |= 1u << 20; }},
      {"n = 0", isa::ErrCode::kDims, isa::Unit::kFetch, 0,
       [](isa::Words& w) { w[1] = 0; }},
      {"gfmt 3", isa::ErrCode::kDtype, isa::Unit::kFetch, 0,
       [](isa::Words& w) { isa::field::kAdamwGfmt.put(w, 3); }},
      {"p misaligned", isa::ErrCode::kAlign, isa::Unit::kFetch, 0,
       [](isa::Words& w) { w[3] += 4; }},
      {"scalars misaligned", isa::ErrCode::kAlign, isa::Unit::kFetch, 0,
       [](isa::Words& w) { w[7] += 32; }},
      {"scalars outside", isa::ErrCode::kWindow, isa::Unit::kExec, outside,
       [&](isa::Words& w) { w[7] = outside; }},
      {"g outside", isa::ErrCode::kWindow, isa::Unit::kExec, outside,
       [&](isa::Words& w) { w[2] = outside; }},
      {"v past the window", isa::ErrCode::kWindow, isa::Unit::kExec, kWinLast + 1 - 64,
       [&](isa::Words& w) { w[5] = kWinLast + 1 - 64; }},
      {"p16 outside", isa::ErrCode::kWindow, isa::Unit::kExec, outside,
       [&](isa::Words& w) { w[6] = outside; }},
      {"n wraps the address space", isa::ErrCode::kWindow, isa::Unit::kExec, 0,
       [&](isa::Words& w) { w[1] = 0x8000'0000u; }},
  };
  for (const Case& c : cases) {
    isa::Words w = adamw_words(true, md, false, h.t, kScalarAddr);
    c.edit(w);
    const uint64_t rd0 = dev_->csr_read(isa::csr::kPerf + 8 * isa::kPerfBytesRead);
    const uint32_t slot = run_commands(*dev_, {w});
    const uint32_t code = dev_->csr_read(isa::csr::kErrCode);
    EXPECT_EQ(code & 0xff, uint32_t(c.err)) << c.what;
    EXPECT_EQ((code >> 8) & 0xf, uint32_t(c.unit)) << c.what;
    EXPECT_EQ(dev_->csr_read(isa::csr::kErrCmd), slot) << c.what;
    if (c.err == isa::ErrCode::kWindow && c.addr != 0) {
      EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), c.addr) << c.what;
    }
    if (c.unit == isa::Unit::kExec) {
      EXPECT_EQ(dev_->csr_read(isa::csr::kPerf + 8 * isa::kPerfBytesRead) - rd0, 32u)
          << c.what << ": only the command itself may be read";
    }
    expect_memory(h, md.gfmt, c.what);
    // Re-arm: soft reset (it clears the error), ring and window again.
    ASSERT_TRUE(soft_reset(*dev_)) << "soft reset never finished";
    EXPECT_EQ(dev_->csr_read(isa::csr::kErrCode), 0u) << c.what;
    setup_chip(*dev_);
  }
}

// AXI error responses: on the scalar block, in the middle of a read stream (g, p) and on a
// write-only range (p16: its B). The command ends with Bus (unit execute) and ERR_ADDR the
// first failing beat (reads) or the range's base (writes); the chip drains and goes quiet; after
// a soft reset the next STEP is bit-exact again.
TEST_F(ChipAdamW, BusErrorsStopCleanly) {
  make("tiny");
  const std::vector<tb::AxiMem*> mems = sim_memories(*dev_);
  StepMode md;
  md.p16 = true;
  md.decay = true;
  const AdamWScalarBits s = scalars(2, 1.0, md);
  const uint32_t B = dev_->config().bus_bytes;
  struct Case {
    const char* what;
    uint32_t Tensor::*range;  // nullptr: the scalar block
    uint32_t offset;          // bytes into the range
    bool write;
  };
  const Case cases[] = {{"scalar block", nullptr, 8, false},
                        {"g, beat 37", &Tensor::g, 37 * B + 3, false},
                        {"p, beat 90", &Tensor::p, 90 * B, false},
                        {"p16 write", &Tensor::p16, 64 * B + 1, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    put_scalars(s);
    HostTensor h = alloc(300, md.gfmt);
    const uint32_t base = c.range ? h.t.*c.range : kScalarAddr;
    const uint32_t at = base + c.offset;
    for (tb::AxiMem* m : mems) m->inject_error(at, at + 1, tb::AxiResp::kSlvErr);
    const uint32_t slot = run_commands(*dev_, {adamw_words(true, md, false, h.t, kScalarAddr)});
    const uint32_t code = dev_->csr_read(isa::csr::kErrCode);
    EXPECT_EQ(code & 0xff, uint32_t(isa::ErrCode::kBus));
    EXPECT_EQ((code >> 8) & 0xf, uint32_t(isa::Unit::kExec));
    EXPECT_EQ(dev_->csr_read(isa::csr::kErrCmd), slot);
    // Reads: the first beat that came back with the error (the memory model answers a
    // whole burst with it, bursts being at most 16 beats); writes: the range's base.
    const uint32_t ea = dev_->csr_read(isa::csr::kErrAddr);
    if (c.write) {
      EXPECT_EQ(ea, base);
    } else {
      EXPECT_EQ(ea % B, 0u);
      EXPECT_LE(ea, at);
      EXPECT_GE(ea, base);
      EXPECT_LT(at - ea, 16 * B) << std::hex << "ERR_ADDR 0x" << ea << ", error at 0x" << at;
    }
    EXPECT_EQ(dev_->csr_read(isa::csr::kStatus) & isa::csr::kStatusBusy, 0u) << "not quiet";
    if (!c.range) expect_memory(h, md.gfmt, "scalar error: nothing written");
    for (tb::AxiMem* m : mems) m->clear_errors();
    ASSERT_TRUE(soft_reset(*dev_)) << "soft reset never finished";
    setup_chip(*dev_);
    HostTensor k = alloc(45, md.gfmt);
    run_commands(*dev_, {adamw_words(true, md, false, k.t, kScalarAddr)});
    expect_ok();
    golden_step(k, s, md);
    expect_memory(k, md.gfmt, "the step after the reset");
  }
}

// Random AXI stalls on every channel and a long memory latency change no bit.
TEST_F(ChipAdamW, StallsChangeNothing) {
  DeviceOptions opt;
  opt.mem_latency = 37;
  opt.ar_stall = 0.3;
  opt.aw_stall = 0.3;
  opt.w_stall = 0.3;
  opt.r_stall = 0.3;
  opt.b_stall = 0.3;
  make("tiny", opt);
  StepMode md;
  md.p16 = true;
  md.decay = true;
  const AdamWScalarBits s = scalars(7, 1.0, md);
  put_scalars(s);
  HostTensor a = alloc(777, md.gfmt), b = alloc(51, md.gfmt);
  run_commands(*dev_, {adamw_words(true, md, false, a.t, kScalarAddr),
                       adamw_words(true, md, false, b.t, kScalarAddr)});
  expect_ok();
  golden_step(a, s, md);
  golden_step(b, s, md);
  expect_memory(a, md.gfmt, "a");
  expect_memory(b, md.gfmt, "b");
}

// Runtime::adamw_step on the chip and on the functional model from the same data, on the
// large (default) configuration with two lanes: GradScaler with Inf gradients injected on
// some steps (skipped: nothing written), clipping by the global norm on others, p16 copies.
// After every step the memory images (p, m, v, p16 and the guards behind them), the result
// (skipped, norm, scales), FLAGS and the byte counters must be identical.
TEST_F(ChipAdamW, RuntimeStepsMatchFunctionalModel) {
  const uint64_t seed = test::seed();
  DeviceOptions opt;
  opt.seed = seed;
  opt.mem_latency = 60;
  const std::unique_ptr<Device> chip = make_sim("default", opt);
  FuncDevice func(find_config("default"), test::func_options(seed));
  Runtime rc(*chip), rf(func);
  ASSERT_EQ(rc.adamw_lanes(), 2u);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  const uint32_t sizes[] = {1000, 37, 4097};
  const GradFmt gf = GradFmt::kBf16;
  struct Both {
    std::vector<AdamWTensor> c, f;
  } t;
  auto alloc2 = [&](uint32_t bytes) {
    return std::make_pair(rc.alloc(bytes + 64), rf.alloc(bytes + 64));
  };
  for (uint32_t n : sizes) {
    AdamWTensor a, b;
    a.n = b.n = n;
    std::tie(a.p, b.p) = alloc2(4 * n);
    std::tie(a.m, b.m) = alloc2(4 * n);
    std::tie(a.v, b.v) = alloc2(4 * n);
    std::tie(a.g, b.g) = alloc2(2 * n);
    Buffer pc, pf;
    std::tie(pc, pf) = alloc2(2 * n);
    a.p16 = pc;
    b.p16 = pf;
    std::vector<uint32_t> p(n + 16);
    for (auto& x : p) x = fbits(nd(rng) * 0.1f);
    const std::vector<uint8_t> zeros(4 * n + 64, 0);
    for (auto* rt : {&rc, &rf}) {
      const AdamWTensor& x = rt == &rc ? a : b;
      rt->write(x.p, p.data(), 4 * n + 64);
      rt->write(x.m, zeros.data(), 4 * n + 64);
      rt->write(x.v, zeros.data(), 4 * n + 64);
      rt->write(*x.p16, zeros.data(), 2 * n + 64);
    }
    t.c.push_back(a);
    t.f.push_back(b);
  }
  GradScaler sc_c(1024.0, 2.0, 0.5, 3), sc_f(1024.0, 2.0, 0.5, 3);
  AdamWHyper hy;
  hy.lr = 1e-2;
  uint64_t step = 1;
  for (int it = 0; it < 10; it++) {
    // Gradients: loss-scaled normals; an Inf on iterations 2 and 6.
    for (size_t k = 0; k < t.c.size(); k++) {
      const uint32_t n = t.c[k].n;
      std::vector<uint16_t> g(n);
      for (auto& x : g) x = uint16_t(fbits(nd(rng) * float(sc_c.scale())) >> 16);
      if ((it == 2 || it == 6) && k == 1) g[n / 2] = 0x7f80;
      rc.write(t.c[k].g, g.data(), 2 * n);
      rf.write(t.f[k].g, g.data(), 2 * n);
    }
    AdamWStepOptions oc, of;
    oc.grad_fmt = of.grad_fmt = gf;
    oc.scaler = &sc_c;
    of.scaler = &sc_f;
    if (it % 3 == 1) oc.max_grad_norm = of.max_grad_norm = 0.5;
    const AdamWResult a = rc.adamw_step(t.c, hy, step, oc);
    const AdamWResult b = rf.adamw_step(t.f, hy, step, of);
    SCOPED_TRACE("iteration " + std::to_string(it));
    EXPECT_EQ(a.skipped, b.skipped);
    EXPECT_EQ(a.skipped, it == 2 || it == 6);
    EXPECT_EQ(a.grad_norm.has_value(), b.grad_norm.has_value());
    if (a.grad_norm && b.grad_norm && std::isfinite(*b.grad_norm)) {
      EXPECT_EQ(*a.grad_norm, *b.grad_norm);
    }
    EXPECT_EQ(a.new_loss_scale, b.new_loss_scale);
    EXPECT_EQ(a.grad_scale, b.grad_scale);
    EXPECT_EQ(a.stats.flags, b.stats.flags);
    for (uint32_t k : {isa::kPerfBytesRead, isa::kPerfBytesWritten}) {
      EXPECT_EQ(a.stats.perf[k], b.stats.perf[k]) << "PERF[" << k << "]";
    }
    for (size_t k = 0; k < t.c.size(); k++) {
      const uint32_t n = t.c[k].n;
      for (auto pick : {&AdamWTensor::p, &AdamWTensor::m, &AdamWTensor::v}) {
        std::vector<uint8_t> x(4 * n + 64), y(4 * n + 64);
        rc.read(t.c[k].*pick, x.data(), x.size());
        rf.read(t.f[k].*pick, y.data(), y.size());
        EXPECT_EQ(x, y) << "tensor " << k;
      }
      std::vector<uint8_t> x(2 * n + 64), y(2 * n + 64);
      rc.read(*t.c[k].p16, x.data(), x.size());
      rf.read(*t.f[k].p16, y.data(), y.size());
      EXPECT_EQ(x, y) << "p16 of tensor " << k;
    }
    if (::testing::Test::HasFailure()) return;
    if (!a.skipped) step++;
  }
}

// 1000 optimizer steps through Runtime::adamw_step on the default configuration (two
// lanes), tensors of sizes that are not multiples of the lanes, the state fed back: every
// step's p, m, v and p16 against the golden element model run on the host (the gradients
// change every step; FP16, loss scale 1024, weight decay, BF16 copies).
TEST_F(ChipAdamW, ThousandSteps) {
  const uint64_t seed = test::seed();
  DeviceOptions opt;
  opt.seed = seed;
  opt.mem_latency = 30;
  const std::unique_ptr<Device> chip = make_sim("default", opt);
  Runtime rt(*chip);
  ASSERT_EQ(rt.adamw_lanes(), 2u);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  struct T {
    AdamWTensor t;
    std::vector<uint32_t> p, m, v;
    std::vector<uint16_t> p16, g;
  };
  std::vector<T> ts;
  for (uint32_t n : {37u, 61u, 131u}) {
    T x;
    x.t.n = n;
    x.t.p = rt.alloc(4 * n);
    x.t.m = rt.alloc(4 * n);
    x.t.v = rt.alloc(4 * n);
    x.t.g = rt.alloc(2 * n);
    x.t.p16 = rt.alloc(2 * n);
    x.p.resize(n);
    for (auto& e : x.p) e = fbits(nd(rng) * 0.1f);
    x.m.assign(n, 0);
    x.v.assign(n, 0);
    x.p16.assign(n, 0);
    x.g.resize(n);
    rt.write(x.t.p, x.p.data(), 4 * n);
    rt.write(x.t.m, x.m.data(), 4 * n);
    rt.write(x.t.v, x.v.data(), 4 * n);
    ts.push_back(x);
  }
  AdamWHyper hy;
  hy.lr = 1e-3;
  hy.weight_decay = 0.01;
  AdamWStepOptions o;
  o.grad_fmt = GradFmt::kFp16;
  o.p16_fmt = Fmt16::kBf16;
  o.loss_scale = 1024.0;
  uint64_t cycles = 0;
  for (uint64_t step = 1; step <= 1000; step++) {
    std::vector<AdamWTensor> args;
    for (T& x : ts) {
      for (auto& e : x.g) e = golden::fp_narrow(Fmt16::kFp16, fbits(nd(rng) * 1024.f)).bits;
      rt.write(x.t.g, x.g.data(), 2 * x.t.n);
      args.push_back(x.t);
    }
    const AdamWResult r = rt.adamw_step(args, hy, step, o);
    ASSERT_FALSE(r.skipped);
    cycles += r.stats.cycles;
    AdamWScalarBits s = scalar_bits(adamw_scalars(hy, step, o.loss_scale), o.grad_fmt, o.p16_fmt);
    for (size_t k = 0; k < ts.size(); k++) {
      T& x = ts[k];
      const uint32_t n = x.t.n;
      std::vector<uint32_t> p(n), m(n), v(n);
      std::vector<uint16_t> p16(n);
      rt.read(x.t.p, p.data(), 4 * n);
      rt.read(x.t.m, m.data(), 4 * n);
      rt.read(x.t.v, v.data(), 4 * n);
      rt.read(*x.t.p16, p16.data(), 2 * n);
      for (uint32_t i = 0; i < n; i++) {
        const golden::AdamWElement e = golden::adamw_element(s, x.g[i], x.p[i], x.m[i], x.v[i]);
        x.p[i] = e.p;
        x.m[i] = e.m;
        x.v[i] = e.v;
        x.p16[i] = e.p16;
      }
      ASSERT_EQ(p, x.p) << "p of tensor " << k << " after step " << step;
      ASSERT_EQ(m, x.m) << "m of tensor " << k << " after step " << step;
      ASSERT_EQ(v, x.v) << "v of tensor " << k << " after step " << step;
      ASSERT_EQ(p16, x.p16) << "p16 of tensor " << k << " after step " << step;
    }
  }
  std::cout << "[ cycles   ] " << cycles << " simulated over 1000 steps" << std::endl;
}

}  // namespace
}  // namespace tessera::systest
