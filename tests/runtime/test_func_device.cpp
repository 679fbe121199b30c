// SPDX-License-Identifier: Apache-2.0
// FuncDevice behind the CSR map: identification, LOAD/STORE layouts, STATUS/IRQ, and the
// ordering that tokens give (and its absence without them).
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "rt_util.hpp"
#include "tessera/func_device.hpp"
#include "tessera/golden/gemm.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

namespace c = isa::csr;

TEST(FuncDevice, IdentificationAndConfig) {
  for (const ChipConfig& cfg : kChipConfigs) {
    FuncDevice d(cfg);
    EXPECT_EQ(d.csr_read(c::kId), 0x54534152u);
    EXPECT_EQ(d.csr_read(c::kVersion), 0x00010000u);
    EXPECT_EQ(d.csr_read(c::kCfgDim),
              cfg.dim | (cfg.bus_bytes << 8) | (cfg.windows << 16) | (cfg.adamw_lanes << 20) |
                  (cfg.vec << 24) | (cfg.vec_divsqrt << 25));
    EXPECT_EQ(d.csr_read(c::kCfgSpadRows), cfg.spad_rows);
    EXPECT_EQ(d.csr_read(c::kCfgAccRows), cfg.acc_rows);
    EXPECT_EQ(d.csr_read(0x0fc), 0u);  // unmapped
    d.csr_write(0x0fc, 123);
    EXPECT_EQ(d.csr_read(0x0fc), 0u);
    d.csr_write(c::kRingBase, 0x12345677);
    EXPECT_EQ(d.csr_read(c::kRingBase), 0x12345660u);  // low 5 bits read 0
    d.csr_write(c::kCtrl, c::kCtrlSoftReset | c::kCtrlIrqDoneEn | c::kCtrlPerfClear);
    EXPECT_EQ(d.csr_read(c::kCtrl), c::kCtrlIrqDoneEn);  // reset and perf_clear read 0
    d.csr_write(c::win_base(1), 0x100);
    d.csr_write(c::win_last(1), 0x1ff);
    d.csr_write(c::win_perm(1), 0xff);
    EXPECT_EQ(d.csr_read(c::win_base(1)), 0x100u);
    EXPECT_EQ(d.csr_read(c::win_last(1)), 0x1ffu);
    EXPECT_EQ(d.csr_read(c::win_perm(1)), 3u);
  }
}

TEST(FuncDevice, UnwrittenHostMemoryReadsBackground) {
  FuncDevice d(find_config("tiny"));
  const auto v = d.mem_read(0x12345, 8);
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(v[i], FuncDevice::background(0x12345 + i));
  d.mem_write(0x12346, std::vector<uint8_t>{7});
  EXPECT_EQ(d.mem_read(0x12346, 1)[0], 7);
  EXPECT_EQ(d.mem_read(0x12347, 1)[0], FuncDevice::background(0x12347));
}

// A runtime with a bare stream of hand-made commands.
struct Rig {
  explicit Rig(const char* cfg = "default", DeviceOptions o = {})
      : dev(find_config(cfg), o), rt(dev, opts()) {}
  static RuntimeOptions opts() {
    RuntimeOptions o;
    o.reset_on_error = false;
    o.timeout_cycles = 100000;
    return o;
  }
  FuncDevice dev;
  Runtime rt;
};

TEST(FuncDevice, LoadLayoutAndPadding) {
  std::mt19937_64 r(test::seed());
  Rig g("fpga");  // Dim 8
  const uint32_t D = 8;
  const Buffer src = g.rt.alloc(4096);
  std::vector<uint8_t> host(4096);
  for (auto& b : host) b = uint8_t(r());
  g.rt.write(src, host.data(), host.size());
  struct L {
    bool acc, e8;
    uint16_t rows, bytes;
    uint32_t stride, off, sram;
  };
  for (const L& l : {L{false, false, 3, 22, 40, 1, 5}, L{false, true, 4, 9, 9, 3, 100},
                     L{true, false, 2, 36, 100, 2, 7}, L{false, false, 1, 16, 16, 0, 0}}) {
    CommandStream s(g.dev.config());
    isa::LoadCmd cmd;
    cmd.to_acc = l.acc;
    cmd.expand8 = l.e8;
    cmd.dram_addr = src.addr + l.off;
    cmd.stride = l.stride;
    cmd.rows = l.rows;
    cmd.bytes = l.bytes;
    cmd.sram_addr = l.sram;
    s.load(cmd);
    g.rt.run(s);
    const uint32_t esz = l.acc ? 4 : l.e8 ? 1 : 2;
    const uint32_t elems = l.bytes / esz, per = (elems + D - 1) / D;
    for (uint32_t row = 0; row < l.rows; ++row) {
      for (uint32_t e = 0; e < per * D; ++e) {
        const size_t at = size_t(l.sram + row * per) * D + e;
        const uint8_t* p = &host[l.off + row * l.stride];
        if (l.acc) {
          uint32_t want = 0;
          if (e < elems) std::memcpy(&want, p + 4 * e, 4);
          ASSERT_EQ(g.dev.acc()[at], want) << row << " " << e;
        } else if (l.e8) {
          ASSERT_EQ(g.dev.spad()[at], e < elems ? uint16_t(int16_t(int8_t(p[e]))) : 0);
        } else {
          ASSERT_EQ(g.dev.spad()[at], e < elems ? uint16_t(p[2 * e] | (p[2 * e + 1] << 8)) : 0);
        }
      }
    }
  }
  EXPECT_GT(g.dev.csr_read(c::perf_lo(isa::kPerfBytesRead)), 0u);
}

TEST(FuncDevice, StoreFormatsAndStrides) {
  std::mt19937_64 r(test::seed());
  Rig g("fpga");
  const Buffer src = g.rt.alloc(4096), dst = g.rt.alloc(8192), zero = g.rt.alloc(16);
  g.rt.write(zero, std::vector<uint8_t>(16, 0).data(), 16);
  std::vector<uint32_t> vals(20 * 16);
  for (auto& v : vals) v = uint32_t(r());
  vals[3] = 0x7f800001u;  // sNaN: NV when narrowed
  g.rt.write(src, test::words_to_bytes(vals).data(), vals.size() * 4);
  for (isa::StoreFormat f : {isa::StoreFormat::kRaw, isa::StoreFormat::kFp16,
                             isa::StoreFormat::kBf16, isa::StoreFormat::kInt8}) {
    const uint32_t rows = 5, cols = 11, eb = isa::format_bytes(f), stride = cols * eb + 7;
    CommandStream s(g.dev.config());
    isa::LoadCmd z;  // zeros in scratchpad row 0, which the carrier GEMM reads: no flags
    z.dram_addr = zero.addr;
    z.stride = z.bytes = 16;
    z.rows = 1;
    s.load(z);
    isa::LoadCmd l;  // 5 rows of 11 words into the accumulator (2 rows each)
    l.to_acc = true;
    l.dram_addr = src.addr;
    l.stride = 64;
    l.rows = uint16_t(rows);
    l.bytes = uint16_t(cols * 4);
    l.sram_addr = 3;
    s.load(l);
    isa::GemmCmd carrier;  // carries the LOAD's token to the STORE (unrelated rows)
    carrier.m = carrier.n = carrier.k = 1;
    carrier.a_addr = carrier.b_addr = 0;
    carrier.c_addr = 200;
    carrier.a_stride = carrier.b_stride = carrier.c_stride = 1;
    s.gemm(carrier);
    isa::StoreCmd st;
    st.format = f;
    st.dram_addr = dst.addr + 1;
    st.stride = stride;
    st.rows = uint16_t(rows);
    st.cols = uint16_t(cols);
    st.acc_addr = 3;
    st.mult = 1 << 30;
    st.shift = -3;
    st.zero_point = 5;
    s.store(st);
    const std::vector<uint8_t> before = g.rt.read(dst);
    const RunStats rs = g.rt.run(s);
    const std::vector<uint8_t> after = g.rt.read(dst);
    std::vector<uint32_t> acc;
    for (uint32_t row = 0; row < rows; ++row) {
      for (uint32_t e = 0; e < cols; ++e) acc.push_back(vals[row * 16 + e]);
    }
    uint8_t flags = 0;
    const auto want =
        golden::gemm_output(acc, golden::OutFormat(uint8_t(f)), {1 << 30, -3, 5}, &flags);
    for (uint32_t i = 0; i < after.size(); ++i) {
      const int64_t rel = int64_t(i) - 1;
      const uint32_t row = rel < 0 ? 0 : uint32_t(rel) / stride;
      const uint32_t col = rel < 0 ? 0 : uint32_t(rel) % stride;
      if (rel >= 0 && row < rows && col < cols * eb) {
        ASSERT_EQ(after[i], want[row * cols * eb + col]) << isa::format_name(f) << " " << i;
      } else {
        ASSERT_EQ(after[i], before[i]) << "written outside at byte " << i;
      }
    }
    EXPECT_EQ(rs.flags, uint32_t(flags));
  }
}

// Tokens make a LOAD that overwrites a buffer wait until the GEMM reading it is done;
// without them the functional model (which runs the load queue ahead) computes with the
// new data: the test shows both, so it can fail.
TEST(FuncDevice, TokensOrderLoadsAfterGemm) {
  for (bool with_tokens : {true, false}) {
    Rig g("tiny");  // Dim 4
    const Buffer a1 = g.rt.alloc(32), a2 = g.rt.alloc(32), b = g.rt.alloc(32), d = g.rt.alloc(64);
    auto fp16 = [](std::initializer_list<uint16_t> v) {
      std::vector<uint8_t> o;
      for (uint16_t x : v) {
        o.push_back(uint8_t(x));
        o.push_back(uint8_t(x >> 8));
      }
      return o;
    };
    const uint16_t one = 0x3c00, two = 0x4000;
    g.rt.write(a1, fp16({one, one, one, one}).data(), 8);
    g.rt.write(a2, fp16({two, two, two, two}).data(), 8);
    g.rt.write(b, fp16({one, 0, 0, 0, one, 0, 0, 0, one, 0, 0, 0, one, 0, 0, 0}).data(), 32);
    auto ld = [](uint32_t dram, uint16_t rows, uint16_t bytes, uint32_t sram) {
      isa::LoadCmd l;
      l.dram_addr = dram;
      l.stride = bytes;
      l.rows = rows;
      l.bytes = bytes;
      l.sram_addr = sram;
      return l;
    };
    isa::LoadCmd la = ld(a1.addr, 1, 8, 0), lb = ld(b.addr, 4, 8, 10), la2 = ld(a2.addr, 1, 8, 0);
    isa::GemmCmd gm;
    gm.m = 1;
    gm.n = 1;
    gm.k = 4;
    gm.a_addr = 0;
    gm.b_addr = 10;
    gm.c_addr = 0;
    gm.a_stride = gm.b_stride = gm.c_stride = 1;
    isa::StoreCmd st;
    st.dram_addr = d.addr;
    st.stride = 4;
    st.rows = 1;
    st.cols = 1;
    st.acc_addr = 0;
    if (with_tokens) {
      lb.tok.push_next = true;  // A and B are in
      gm.tok.pop_prev = true;
      gm.tok.push_prev = true;  // done with A
      gm.tok.push_next = true;  // C is ready
      la2.tok.pop_next = true;  // waits for the GEMM before overwriting A
      st.tok.pop_prev = true;
    }
    CommandStream s(g.dev.config());
    for (const isa::Words& w : {la.encode(), lb.encode(), gm.encode(), la2.encode(), st.encode()}) {
      s.raw(w);
    }
    if (with_tokens) {
      EXPECT_NO_THROW(s.validate());
      g.rt.run(s);
      float f;
      const auto out = g.rt.read(d);
      std::memcpy(&f, out.data(), 4);
      EXPECT_EQ(f, 4.0f);  // 1+1+1+1 from the first A
      for (int t = 0; t < 4; ++t) EXPECT_EQ(g.dev.token(isa::TokenCounter(t)), 0u);
    } else {
      // No tokens: the store may even run before the GEMM; the result is not the ordered
      // one (the model schedules the load queue first).
      g.rt.run(s);
      float f;
      const auto out = g.rt.read(d);
      std::memcpy(&f, out.data(), 4);
      EXPECT_NE(f, 4.0f);
    }
  }
}

TEST(FuncDevice, WaitingOnTokensStopsAndSoftResetRecovers) {
  Rig g("tiny");
  isa::GemmCmd gm;
  gm.m = gm.n = gm.k = 1;
  gm.a_stride = gm.b_stride = gm.c_stride = 1;
  gm.tok.pop_prev = true;  // no LOAD will ever push
  CommandStream s(g.dev.config());
  s.raw(gm.encode());
  EXPECT_THROW(g.rt.run(s), DeviceTimeout);
  const uint32_t st = g.dev.csr_read(c::kStatus);
  EXPECT_TRUE(st & c::kStatusBusy);
  EXPECT_TRUE(st & c::kStatusWaitExec);
  EXPECT_FALSE(st & (c::kStatusDone | c::kStatusError | c::kStatusWaitLoad));
  EXPECT_EQ(g.dev.csr_read(c::kRingHead), 1u);
  g.rt.recover();
  EXPECT_EQ(g.dev.csr_read(c::kStatus), 0u);
  EXPECT_EQ(g.dev.csr_read(c::kRingHead), 0u);
  // Back in service: a GEMM stream runs.
  gm.tok.pop_prev = false;
  CommandStream ok(g.dev.config());
  ok.gemm(gm);
  EXPECT_NO_THROW(g.rt.run(ok));
}

TEST(FuncDevice, DoneIrqAndW1C) {
  Rig g("tiny");
  g.dev.csr_write(c::kCtrl, 0);  // IRQs off: done is still set, irq stays low
  isa::GemmCmd gm;
  gm.m = gm.n = gm.k = 1;
  gm.a_stride = gm.b_stride = gm.c_stride = 1;
  const Buffer ring{g.dev.csr_read(c::kRingBase), 64};
  const isa::Words w = gm.encode();
  g.dev.mem_write(ring.addr, test::words_to_bytes({w.begin(), w.end()}));
  g.dev.csr_write(c::kRingTail, 1);
  g.dev.csr_write(c::kDoorbell, 1);
  EXPECT_EQ(g.dev.csr_read(c::kStatus) & (c::kStatusDone | c::kStatusBusy), c::kStatusDone);
  EXPECT_FALSE(g.dev.irq());
  g.dev.csr_write(c::kCtrl, c::kCtrlIrqDoneEn);
  EXPECT_TRUE(g.dev.irq());
  g.dev.csr_write(c::kStatus, c::kStatusError);  // not W1C: nothing happens
  EXPECT_TRUE(g.dev.irq());
  g.dev.csr_write(c::kStatus, c::kStatusDone);
  EXPECT_FALSE(g.dev.irq());
  EXPECT_EQ(g.dev.csr_read(c::kStatus), 0u);
  EXPECT_EQ(g.dev.csr_read(c::perf_lo(isa::kPerfFetched)), 1u);
  EXPECT_EQ(g.dev.csr_read(c::perf_lo(isa::kPerfMacs)), 1u);
}

// PERF bytes: LOAD reads count whole bus beats (unaligned or odd rows cost every beat
// they touch) plus 32 bytes per command fetched; writes count the bytes stored.
TEST(FuncDevice, PerfBytesCountBusBeats) {
  Rig g("fpga");
  const uint32_t B = g.dev.config().bus_bytes;
  const Buffer src = g.rt.alloc(4096, 64), dst = g.rt.alloc(4096, 64);
  CommandStream s(g.dev.config());
  isa::LoadCmd l;
  l.dram_addr = src.addr + 3;
  l.stride = 40;
  l.rows = 3;
  l.bytes = 22;
  s.load(l);
  isa::StoreCmd st;
  st.dram_addr = dst.addr + 1;
  st.stride = 64;
  st.rows = 2;
  st.cols = 5;
  st.format = isa::StoreFormat::kFp16;
  s.store(st);
  const RunStats rs = g.rt.run(s);
  uint64_t beats = 0;
  for (uint32_t r = 0; r < l.rows; ++r) {
    const uint64_t a = l.dram_addr + r * l.stride;
    beats += (a % B + l.bytes + B - 1) / B;
  }
  EXPECT_EQ(rs.perf[isa::kPerfBytesRead], beats * B + 2 * isa::kCmdBytes);
  EXPECT_EQ(rs.perf[isa::kPerfBytesWritten], 2u * 5 * 2);
}

// After an error the chip is `done` once the other queues have drained, but not while a
// queue that is not stopped waits on a token.
TEST(FuncDevice, DoneAfterErrorOnceQuiet) {
  Rig g("tiny");
  isa::LoadCmd bad;
  bad.dram_addr = 0x10;  // outside the window: Window, load queue stops
  bad.stride = bad.bytes = 16;
  bad.rows = 1;
  isa::GemmCmd gm;
  gm.m = gm.n = gm.k = 1;
  gm.a_stride = gm.b_stride = gm.c_stride = 1;
  CommandStream s(g.dev.config());
  s.raw(bad.encode());
  s.raw(gm.encode());  // execute queue: runs
  EXPECT_THROW(g.rt.run(s), DeviceError);
  uint32_t st = g.dev.csr_read(c::kStatus);
  EXPECT_EQ(st & (c::kStatusDone | c::kStatusError | c::kStatusBusy),
            c::kStatusDone | c::kStatusError);
  g.rt.recover();
  gm.tok.pop_prev = true;  // waits for a LOAD that is refused: never done
  CommandStream t(g.dev.config());
  t.raw(bad.encode());
  t.raw(gm.encode());
  EXPECT_THROW(g.rt.run(t), DeviceError);
  st = g.dev.csr_read(c::kStatus);
  EXPECT_EQ(st & (c::kStatusDone | c::kStatusError | c::kStatusBusy | c::kStatusWaitExec),
            c::kStatusError | c::kStatusBusy | c::kStatusWaitExec);
}

// More commands than a queue holds, interleaved so that they only work if the fetcher
// keeps dispatching while queues drain; then a ring smaller than the stream (chunks).
TEST(FuncDevice, QueueDepthAndRingWrap) {
  RuntimeOptions ro = Rig::opts();
  ro.ring_slots = 7;  // forces chunks and wrap-around
  FuncDevice dev(find_config("tiny"));
  Runtime rt(dev, ro);
  const uint32_t n = 40;
  const Buffer src = rt.alloc(n * 8), dst = rt.alloc(n * 4);
  std::vector<uint8_t> host(n * 8, 0);
  for (uint32_t i = 0; i < n; ++i) {
    host[8 * i] = 0;
    host[8 * i + 1] = uint8_t(0x3c + (i % 3) * 4);  // 1, 2, 4 (FP16)
  }
  rt.write(src, host.data(), host.size());
  GemmArgs ga;
  ga.m = n;
  ga.n = 1;
  ga.k = 4;
  ga.a = src;
  const Buffer b = rt.alloc(8);
  const std::vector<uint8_t> ones{0, 0x3c, 0, 0, 0, 0, 0, 0};  // column (1, 0, 0, 0)
  rt.write(b, ones.data(), 8);
  ga.b = b;
  ga.d = dst;
  GemmPlan p = plan_gemm(dev.config(), {n, 1, 4, isa::Dtype::kFp16});
  p.bm = 1;  // 40 blocks: 120+ commands through a 7-slot ring and 2-deep queues
  p.acc_slot_rows = 1;
  ga.plan = p;
  rt.gemm(ga);
  const auto out = rt.read(dst);
  for (uint32_t i = 0; i < n; ++i) {
    float f;
    std::memcpy(&f, &out[4 * i], 4);
    EXPECT_EQ(f, float(1 << (i % 3))) << i;
  }
}

}  // namespace
}  // namespace tessera
