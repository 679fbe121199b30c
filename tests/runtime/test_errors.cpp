// SPDX-License-Identifier: Apache-2.0
// Every error code of docs/isa.md on the functional device: the command is refused and
// does nothing, ERR_CODE/ERR_CMD/ERR_ADDR and STATUS report it, its queue (or the fetcher)
// stops while the others go on, nothing outside is written, and a soft reset recovers.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "rt_util.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera {
namespace {

namespace c = isa::csr;
using isa::ErrCode;
using isa::Unit;

struct Rig {
  explicit Rig(DeviceOptions o = {}) : dev(find_config("fpga"), o), rt(dev, opts()) {
    src = rt.alloc(4096);
    dst = rt.alloc(4096);
    std::vector<uint8_t> v(4096);
    for (size_t i = 0; i < v.size(); ++i) v[i] = uint8_t(i * 7 + 1);
    rt.write(src, v.data(), v.size());
  }
  static RuntimeOptions opts() {
    RuntimeOptions o;
    o.reset_on_error = false;
    o.timeout_cycles = 100000;
    return o;
  }
  isa::LoadCmd load(uint32_t sram, uint32_t dram = 0) const {
    isa::LoadCmd l;
    l.dram_addr = dram ? dram : src.addr;
    l.stride = 16;
    l.rows = 4;
    l.bytes = 16;  // one scratchpad row per host row (Dim 8)
    l.sram_addr = sram;
    return l;
  }
  isa::GemmCmd gemm(uint32_t c_addr) const {
    isa::GemmCmd g;
    g.m = 4;
    g.n = 8;
    g.k = 8;
    g.a_addr = 0;
    g.b_addr = 0;
    g.c_addr = c_addr;
    g.a_stride = g.b_stride = g.c_stride = 1;
    return g;
  }
  isa::StoreCmd store(uint32_t acc, uint32_t dram = 0) const {
    isa::StoreCmd s;
    s.dram_addr = dram ? dram : dst.addr;
    s.stride = 32;
    s.rows = 4;
    s.cols = 8;
    s.acc_addr = acc;
    return s;
  }
  // Runs the raw stream, expects DeviceError with `code` from `unit` at stream index
  // `index`, and ERR_CMD = the ring slot of that command.
  DeviceError expect_error(const CommandStream& s, ErrCode code, Unit unit, int64_t index) {
    const uint32_t slot0 = dev.csr_read(c::kRingTail);  // where this stream starts
    try {
      rt.run(s);
    } catch (const DeviceError& e) {
      EXPECT_EQ(e.code, code) << e.what();
      EXPECT_EQ(e.unit, unit) << e.what();
      EXPECT_EQ(e.command, index) << e.what();
      EXPECT_NE(std::string(e.what()).find(isa::err_name(code)), std::string::npos);
      const uint32_t st = dev.csr_read(c::kStatus);
      EXPECT_TRUE(st & c::kStatusError);
      // done is set too once everything else has quiesced (here: at once, nothing waits).
      EXPECT_TRUE(st & c::kStatusDone);
      EXPECT_TRUE(dev.irq());
      EXPECT_EQ(dev.csr_read(c::kErrCode), uint32_t(code) | (uint32_t(unit) << 8));
      if (index >= 0) {
        EXPECT_EQ(dev.csr_read(c::kErrCmd), (slot0 + uint32_t(index)) % rt.options().ring_slots);
      }
      return e;
    }
    ADD_FAILURE() << "no DeviceError";
    return DeviceError("", ErrCode::kNone, Unit::kNone, -1, 0);
  }
  // After a soft reset the chip computes again (a LOAD/GEMM/STORE stream, checked).
  void expect_recovery() {
    rt.recover();
    EXPECT_EQ(dev.csr_read(c::kStatus), 0u);
    EXPECT_EQ(dev.csr_read(c::kErrCode), 0u);
    for (int t = 0; t < 4; ++t) EXPECT_EQ(dev.token(isa::TokenCounter(t)), 0u);
    CommandStream s(dev.config());
    s.load(load(0));
    s.gemm(gemm(0));
    s.store(store(0));
    EXPECT_NO_THROW(rt.run(s));
  }
  FuncDevice dev;
  Runtime rt;
  Buffer src, dst;
};

std::vector<uint16_t> spad_rows(const FuncDevice& d, uint32_t first, uint32_t n) {
  const uint32_t D = d.config().dim;
  return {d.spad().begin() + first * D, d.spad().begin() + (first + n) * D};
}

TEST(Errors, FetchErrorsStopTheFetcher) {
  struct Bad {
    ErrCode code;
    isa::Words w;
  };
  Rig base;
  isa::Words opcode{};
  opcode[0] = 0x07;
  isa::Words reserved = base.gemm(100).encode();
  reserved[7] |= 1u << 20;
  isa::LoadCmd dims = base.load(50);
  dims.bytes = 15;  // not a multiple of 2
  isa::StoreCmd sram = base.store(base.dev.config().acc_rows - 1);
  isa::GemmCmd dtype = base.gemm(100);
  dtype.dtype = isa::Dtype(3);
  for (const Bad& b : {Bad{ErrCode::kOpcode, opcode}, Bad{ErrCode::kReserved, reserved},
                       Bad{ErrCode::kDims, dims.encode()}, Bad{ErrCode::kSram, sram.encode()},
                       Bad{ErrCode::kDtype, dtype.encode()}}) {
    SCOPED_TRACE(isa::err_name(b.code));
    Rig g;
    CommandStream s(g.dev.config());
    s.raw(g.load(20).encode());  // before the bad one: runs
    s.raw(b.w);
    s.raw(g.load(40).encode());  // after it: never fetched
    const auto acc_before = g.dev.acc();
    const auto spad40 = spad_rows(g.dev, 40, 4);
    const auto dst_before = g.rt.read(g.dst);
    g.expect_error(s, b.code, Unit::kFetch, 1);
    EXPECT_TRUE(g.dev.csr_read(c::kStatus) & c::kStatusFetchStopped);
    EXPECT_EQ(g.dev.csr_read(c::kRingHead), 2u);  // the refused command was read
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), 0u);
    EXPECT_EQ(g.dev.csr_read(c::perf_lo(isa::kPerfFetched)), 1u);
    EXPECT_EQ(spad_rows(g.dev, 20, 1)[0], uint16_t(1 | (8 << 8)));  // first LOAD ran
    EXPECT_EQ(spad_rows(g.dev, 40, 4), spad40);
    EXPECT_EQ(g.dev.acc(), acc_before);
    EXPECT_EQ(g.rt.read(g.dst), dst_before);
    // Clearing ERR_CODE clears the error but does not restart the fetcher.
    g.dev.csr_write(c::kErrCode, 0);
    EXPECT_FALSE(g.dev.csr_read(c::kStatus) & c::kStatusError);
    g.dev.csr_write(c::kDoorbell, 1);
    EXPECT_EQ(g.dev.csr_read(c::kRingHead), 2u);
    g.expect_recovery();
  }
}

TEST(Errors, WindowRefusesLoadAndStore) {
  Rig g;
  // LOAD from below the window: refused, load queue stops, execute goes on.
  {
    CommandStream s(g.dev.config());
    const uint32_t outside = g.rt.options().dram_base - 64;
    s.raw(g.load(30, outside).encode());
    s.raw(g.load(60).encode());   // same queue, after it: not run
    s.raw(g.gemm(200).encode());  // execute queue, no tokens: runs
    const auto spad_before = g.dev.spad();
    const auto acc200 =
        std::vector<uint32_t>(g.dev.acc().begin() + 200 * 8, g.dev.acc().begin() + 204 * 8);
    g.expect_error(s, ErrCode::kWindow, Unit::kLoad, 0);
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), outside);
    EXPECT_EQ(g.dev.spad(), spad_before);
    EXPECT_NE(std::vector<uint32_t>(g.dev.acc().begin() + 200 * 8, g.dev.acc().begin() + 204 * 8),
              acc200);
    EXPECT_EQ(g.dev.csr_read(c::perf_lo(isa::kPerfMacs)), 4u * 8 * 8);
    g.expect_recovery();
  }
  // STORE into a read-only window; and a range straddling two windows.
  g.dev.csr_write(c::win_base(1), 0x80000000u);
  g.dev.csr_write(c::win_last(1), 0x80000fffu);
  g.dev.csr_write(c::win_perm(1), c::kPermRead);
  for (uint32_t w : {2u, 3u}) {  // two adjacent read-write windows
    g.dev.csr_write(c::win_base(w), 0x80000000u + 0x1000u * (w - 1));
    g.dev.csr_write(c::win_last(w), 0x80000fffu + 0x1000u * (w - 1));
    g.dev.csr_write(c::win_perm(w), c::kPermRead | c::kPermWrite);
  }
  for (uint32_t addr : {0x80000100u, 0x80001ff0u}) {
    CommandStream s(g.dev.config());
    s.raw(g.store(0, addr).encode());
    const auto before = g.dev.mem_read(0x80000000u, 0x3000);
    g.expect_error(s, ErrCode::kWindow, Unit::kStore, 0);
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), addr);
    EXPECT_EQ(g.dev.mem_read(0x80000000u, 0x3000), before);
    g.expect_recovery();
  }
  // Inside the read-write window: accepted.
  CommandStream s(g.dev.config());
  s.raw(g.store(0, 0x80001000u).encode());
  EXPECT_NO_THROW(g.rt.run(s));
  EXPECT_TRUE(g.dev.page_written_by_chip(0x80001000u >> 12));
}

TEST(Errors, BusErrors) {
  {  // LOAD: address of the first burst with SLVERR, bus-aligned
    Rig g;
    g.dev.inject_bus_error(g.src.addr + 40, g.src.addr + 41);  // inside row 2
    CommandStream s(g.dev.config());
    s.raw(g.load(30).encode());
    g.expect_error(s, ErrCode::kBus, Unit::kLoad, 0);
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), g.src.addr + 32);
    g.dev.clear_bus_errors();
    g.expect_recovery();
  }
  {  // STORE
    Rig g;
    g.dev.inject_bus_error(g.dst.addr + 70, g.dst.addr + 71);
    CommandStream s(g.dev.config());
    s.raw(g.store(0).encode());
    g.expect_error(s, ErrCode::kBus, Unit::kStore, 0);
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), g.dst.addr + 64);
    g.dev.clear_bus_errors();
    g.expect_recovery();
  }
  {  // fetch of slot 1
    Rig g;
    const uint32_t ring = g.dev.csr_read(c::kRingBase);
    g.dev.inject_bus_error(ring + 32, ring + 33);
    CommandStream s(g.dev.config());
    s.raw(g.load(30).encode());
    s.raw(g.load(40).encode());
    g.expect_error(s, ErrCode::kBus, Unit::kFetch, 1);
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), ring + 32);
    EXPECT_TRUE(g.dev.csr_read(c::kStatus) & c::kStatusFetchStopped);
    g.dev.clear_bus_errors();
    g.expect_recovery();
  }
}

TEST(Errors, RingChecks) {
  for (int kind = 0; kind < 5; ++kind) {
    SCOPED_TRACE(kind);
    Rig g;
    const uint32_t base = g.dev.csr_read(c::kRingBase);
    switch (kind) {
      case 0:
        g.dev.csr_write(c::kRingTail, g.rt.options().ring_slots);
        break;
      case 1:
        g.dev.csr_write(c::kRingSize, 0);
        break;
      case 2:
        g.dev.csr_write(c::kRingBase, 0x20);
        break;  // outside every window
      case 3:   // window without read permission
        g.dev.csr_write(c::win_perm(0), c::kPermWrite);
        g.dev.csr_write(c::kRingTail, 1);
        break;
      case 4: {  // RING_HEAD (3) not below a smaller RING_SIZE (2), tail fine
        CommandStream s(g.dev.config());
        for (uint32_t i = 0; i < 3; ++i) s.raw(g.load(4 * i).encode());
        g.rt.run(s);
        g.dev.csr_write(c::kRingSize, 2);
        g.dev.csr_write(c::kRingTail, 1);
        break;
      }
    }
    g.dev.csr_write(c::kDoorbell, 1);
    const uint32_t st = g.dev.csr_read(c::kStatus);
    EXPECT_TRUE(st & c::kStatusError);
    EXPECT_TRUE(st & c::kStatusDone);           // the doorbell was ignored: quiet at once
    EXPECT_FALSE(st & c::kStatusFetchStopped);  // a ring error does not stop the fetcher
    EXPECT_EQ(g.dev.csr_read(c::kErrCmd), kind == 4 ? 3u : 0u);  // = RING_HEAD
    EXPECT_EQ(g.dev.csr_read(c::kErrCode),
              uint32_t(ErrCode::kRing) | (uint32_t(Unit::kFetch) << 8));
    EXPECT_EQ(g.dev.csr_read(c::kErrAddr), kind == 2 ? 0x20u : base);
    EXPECT_EQ(g.dev.csr_read(c::perf_lo(isa::kPerfFetched)), kind == 4 ? 3u : 0u);
    g.dev.csr_write(c::kRingBase, base);
    g.dev.csr_write(c::kRingSize, g.rt.options().ring_slots);
    g.dev.csr_write(c::win_perm(0), c::kPermRead | c::kPermWrite);
    g.expect_recovery();
  }
}

TEST(Errors, TokenOverflow) {
  Rig g;
  CommandStream s(g.dev.config());
  for (int i = 0; i < 257; ++i) {
    isa::LoadCmd l = g.load(uint32_t(i % 8) * 4);
    l.tok.push_next = true;  // nobody pops: the 256th push overflows
    s.raw(l.encode());
  }
  g.expect_error(s, ErrCode::kToken, Unit::kLoad, 255);
  EXPECT_EQ(g.dev.token(isa::kTokLtoE), 255u);
  EXPECT_EQ(g.dev.csr_read(c::kRingHead), 257u);  // the fetcher went on
  g.expect_recovery();
}

TEST(Errors, MatrixUnitRefusesATransWhenUnsupported) {
  DeviceOptions o;
  o.a_trans_supported = false;
  Rig g(o);
  CommandStream s(g.dev.config());
  isa::GemmCmd gm = g.gemm(100);
  gm.a_trans = true;
  s.raw(gm.encode());
  s.raw(g.gemm(200).encode());  // same queue: not run
  s.raw(g.load(30).encode());   // load queue goes on
  const auto acc_before = g.dev.acc();
  g.expect_error(s, ErrCode::kMmu, Unit::kExec, 0);
  EXPECT_EQ(g.dev.acc(), acc_before);
  EXPECT_EQ(spad_rows(g.dev, 30, 1)[0], uint16_t(1 | (8 << 8)));
  g.expect_recovery();
  // The same GEMM is accepted by a device whose matrix unit has a_trans.
  Rig ok;
  CommandStream t(ok.dev.config());
  t.gemm(gm);
  EXPECT_NO_THROW(ok.rt.run(t));
}

TEST(Errors, FirstErrorIsKept) {
  Rig g;
  CommandStream s(g.dev.config());
  s.raw(g.load(30, 0x40).encode());  // Window (load queue)
  g.expect_error(s, ErrCode::kWindow, Unit::kLoad, 0);
  // A later decode error stops the fetcher but ERR_* keep the first error.
  CommandStream t(g.dev.config());
  isa::Words bad{};
  bad[0] = 0x09;
  t.raw(bad);
  try {
    g.rt.run(t);
    ADD_FAILURE() << "no error";
  } catch (const DeviceError& e) {
    EXPECT_EQ(e.code, ErrCode::kWindow);
    EXPECT_EQ(e.command, -1);  // slot 0 belongs to the earlier stream
  }
  EXPECT_TRUE(g.dev.csr_read(c::kStatus) & c::kStatusFetchStopped);
  EXPECT_EQ(g.dev.csr_read(c::kErrCmd), 0u);
  g.expect_recovery();
}

TEST(Errors, MessageNamesCommandAndError) {
  Rig g;
  CommandStream s(g.dev.config());
  s.load(g.load(0));
  s.gemm(g.gemm(0));
  isa::StoreCmd st = g.store(0, 0x7000);  // outside the window
  s.store(st);
  try {
    g.rt.run(s);
    FAIL() << "no error";
  } catch (const DeviceError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("command 2 of 3"), std::string::npos) << m;
    EXPECT_NE(m.find("Window"), std::string::npos) << m;
    EXPECT_NE(m.find("STORE"), std::string::npos) << m;
    EXPECT_NE(m.find("0x7000"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace tessera
