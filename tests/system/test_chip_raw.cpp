// SPDX-License-Identifier: Apache-2.0
// System tests on raw command lists: the chip's CSRs, one GEMM block end to end, and every
// refusal of docs/isa.md, on the tiny configuration.
#include <cstring>

#include "chip_fixture.hpp"
#include "rt_util.hpp"
#include "tessera/golden/gemm.hpp"

namespace tessera::systest {
namespace {

using isa::csr::kCfgDim;
using isa::csr::kErrCode;
using isa::csr::kStatus;

class ChipRaw : public ::testing::Test {
 protected:
  void SetUp() override {
    dev_ = make_chip("tiny", test::seed());
    setup_chip(*dev_);
    dim_ = dev_->config().dim;
  }
  std::unique_ptr<Device> dev_;
  uint32_t dim_ = 0;
};

TEST_F(ChipRaw, CsrIdentityAndConfig) {
  EXPECT_EQ(dev_->csr_read(isa::csr::kId), isa::csr::kIdValue);
  EXPECT_EQ(dev_->csr_read(isa::csr::kVersion), isa::csr::kVersionValue);
  const ChipConfig& c = dev_->config();
  EXPECT_EQ(dev_->csr_read(kCfgDim),
            c.dim | (c.bus_bytes << 8) | (c.windows << 16) | (c.adamw_lanes << 20) |
                (c.vec ? isa::csr::kCfgDimVec : 0u) |
                (c.vec_divsqrt ? isa::csr::kCfgDimVecDivsqrt : 0u));
  EXPECT_EQ(dev_->csr_read(isa::csr::kCfgSpadRows), c.spad_rows);
  EXPECT_EQ(dev_->csr_read(isa::csr::kCfgAccRows), c.acc_rows);
  EXPECT_EQ(dev_->csr_read(isa::csr::win_last(0)), kWinLast);
}

// C = A.B for one block: LOAD A, LOAD B (push), GEMM (pop, push), STORE (pop).
void run_block(Device& d, uint32_t dim, isa::Dtype dt, uint16_t m, uint16_t n, uint16_t k,
               std::mt19937_64& rng) {
  const bool bf16 = dt == isa::Dtype::kBf16;
  std::vector<uint16_t> a = test::random_codes(rng, dt, size_t(m) * k, false);
  std::vector<uint16_t> b = test::random_codes(rng, dt, size_t(k) * n, false);
  const uint32_t aaddr = 0x1001'0000, baddr = 0x1002'0000, caddr = 0x1003'0000;
  d.mem_write(aaddr, test::to_host(dt, a));
  d.mem_write(baddr, test::to_host(dt, b));
  const uint32_t ka = isa::ceil_div(k, dim), nb = isa::ceil_div(n, dim);
  isa::LoadCmd la;
  la.dram_addr = aaddr;
  la.stride = 2u * k;
  la.rows = m;
  la.bytes = uint16_t(2 * k);
  la.sram_addr = 0;
  isa::LoadCmd lb;
  lb.tok.push_next = true;
  lb.dram_addr = baddr;
  lb.stride = 2u * n;
  lb.rows = k;
  lb.bytes = uint16_t(2 * n);
  lb.sram_addr = 512;
  isa::GemmCmd g;
  g.tok.pop_prev = true;
  g.tok.push_next = true;
  g.dtype = dt;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a_addr = 0;
  g.b_addr = 512;
  g.c_addr = 0;
  g.a_stride = uint16_t(ka);
  g.b_stride = uint16_t(nb);
  g.c_stride = uint16_t(nb);
  isa::StoreCmd s;
  s.tok.pop_prev = true;
  s.dram_addr = caddr;
  s.stride = 4u * n;
  s.rows = m;
  s.cols = n;
  s.acc_addr = 0;
  run_commands(d, {la.encode(), lb.encode(), g.encode(), s.encode()});
  ASSERT_EQ(d.csr_read(kErrCode), 0u) << "error " << d.csr_read(kErrCode);
  ASSERT_TRUE(d.csr_read(kStatus) & isa::csr::kStatusDone);

  golden::GemmSpec spec;
  spec.dim = int(dim);
  spec.dtype = bf16 ? golden::MmuDtype::kBf16 : golden::MmuDtype::kFp16;
  spec.m = m;
  spec.n = n;
  spec.k = k;
  spec.a = a.data();
  spec.b = b.data();
  const golden::GemmResult want = golden::gemm(spec);
  std::vector<uint8_t> got = d.mem_read(caddr, size_t(m) * n * 4);
  size_t bad = 0;
  for (size_t i = 0; i < size_t(m) * n; ++i) {
    uint32_t v;
    std::memcpy(&v, &got[4 * i], 4);
    if (v != want.acc[i] && bad++ < 5) {
      ADD_FAILURE() << "C[" << i / n << "][" << i % n << "] = 0x" << std::hex << v
                    << ", golden 0x" << want.acc[i];
    }
  }
  EXPECT_EQ(bad, 0u);
}

TEST_F(ChipRaw, OneBlockFp16) {
  std::mt19937_64 rng(test::seed());
  run_block(*dev_, dim_, isa::Dtype::kFp16, 5, 6, 7, rng);
}

TEST_F(ChipRaw, OneBlockBf16Awkward) {
  std::mt19937_64 rng(test::seed() + 1);
  run_block(*dev_, dim_, isa::Dtype::kBf16, 17, 9, 13, rng);
}

// ------------------------------------------------------------------ refusals
// Each case: the error CSRs name the code, unit and command, the IRQ is up, nothing was
// written to host memory, and after a soft reset the chip runs a GEMM correctly.
class ChipErrors : public ChipRaw {
 protected:
  static constexpr uint32_t kProbe = 0x1008'0000;  // a store destination, must stay untouched

  // cmd_index: ring slot of the failing command (-1: not checked).
  void expect_error(isa::ErrCode code, isa::Unit unit, int cmd_index) {
    const uint32_t st = dev_->csr_read(kStatus);
    EXPECT_TRUE(st & isa::csr::kStatusError) << "STATUS 0x" << std::hex << st;
    const uint32_t e = dev_->csr_read(kErrCode);
    EXPECT_EQ(e & 0xff, uint32_t(code)) << "ERR_CODE 0x" << std::hex << e << " ("
                                         << isa::err_name(isa::ErrCode(e & 0xff)) << ")";
    EXPECT_EQ((e >> 8) & 0xf, uint32_t(unit));
    if (cmd_index >= 0) {
      EXPECT_EQ(dev_->csr_read(isa::csr::kErrCmd), uint32_t(cmd_index));
    }
    EXPECT_TRUE(dev_->wait_irq(10)) << "IRQ not raised";
  }
  void expect_probe_untouched() {
    std::vector<uint8_t> got = dev_->mem_read(kProbe, 256);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], tb::AxiMem::background(kProbe + i)) << "host byte " << i << " written";
    }
  }
  // Soft reset: errors, queues, ring head/tail cleared; windows, ring base/size and IRQ
  // enables kept (and rewritten into the DMAs), so no set-up is repeated.
  void recover_and_check() {
    ASSERT_TRUE(soft_reset(*dev_, isa::csr::kCtrlIrqDoneEn | isa::csr::kCtrlIrqErrorEn))
        << "soft reset never finished";
    EXPECT_EQ(dev_->csr_read(kErrCode), 0u);
    EXPECT_EQ(dev_->csr_read(isa::csr::kRingHead), 0u);
    EXPECT_EQ(dev_->csr_read(isa::csr::kRingTail), 0u);
    EXPECT_EQ(dev_->csr_read(isa::csr::kRingBase), kRingAddr);
    EXPECT_EQ(dev_->csr_read(isa::csr::win_perm(0)), 3u);
    std::mt19937_64 rng(test::seed() + 7);
    run_block(*dev_, dim_, isa::Dtype::kFp16, 6, 5, 9, rng);
  }
  // A store of one row to the probe, after the bad command: must never run.
  isa::Words probe_store() const {
    isa::StoreCmd s;
    s.dram_addr = kProbe;
    s.stride = 64;
    s.rows = 1;
    s.cols = 8;
    return s.encode();
  }
  isa::LoadCmd good_load() const {
    isa::LoadCmd l;
    l.dram_addr = 0x1001'0000;
    l.stride = 16;
    l.rows = 2;
    l.bytes = 16;
    return l;
  }
};

TEST_F(ChipErrors, UnknownOpcode) {
  isa::Words w{};
  w[0] = 0x07;
  uint32_t slot = run_commands(*dev_, {good_load().encode(), w, probe_store()});
  expect_error(isa::ErrCode::kOpcode, isa::Unit::kFetch, int(slot) + 1);
  expect_probe_untouched();
  recover_and_check();
}

TEST_F(ChipErrors, ReservedBitAndForeignTokenFlag) {
  isa::Words w = good_load().encode();
  w[7] = 1;
  uint32_t slot = run_commands(*dev_, {w, probe_store()});
  expect_error(isa::ErrCode::kReserved, isa::Unit::kFetch, int(slot) + 0);
  expect_probe_untouched();
  recover_and_check();
  isa::Words t = good_load().encode();
  t[0] |= isa::kPopPrev;  // a load has no previous queue
  slot = run_commands(*dev_, {t, probe_store()});
  expect_error(isa::ErrCode::kReserved, isa::Unit::kFetch, int(slot) + 0);
  recover_and_check();
}

TEST_F(ChipErrors, ZeroAndMisfitSizes) {
  isa::LoadCmd l = good_load();
  l.rows = 0;
  uint32_t slot = run_commands(*dev_, {l.encode(), probe_store()});
  expect_error(isa::ErrCode::kDims, isa::Unit::kFetch, int(slot) + 0);
  expect_probe_untouched();
  recover_and_check();
  isa::GemmCmd g;
  g.m = 4;
  g.n = 0;
  g.k = 4;
  g.a_stride = g.b_stride = g.c_stride = 1;
  slot = run_commands(*dev_, {g.encode(), probe_store()});
  expect_error(isa::ErrCode::kDims, isa::Unit::kFetch, int(slot) + 0);
  recover_and_check();
}

// VEC (docs/vec.md): every refusal the fetcher makes, with the code the functional model's
// check gives; each stops before the probe store, and the chip recovers.
TEST_F(ChipErrors, VecRefusals) {
  const ChipConfig& cfg = dev_->config();
  isa::VecCmd ok;
  ok.rows = 3;
  ok.cols = uint16_t(2 * dim_ + 1);
  ok.stride = 3;
  ok.a_addr = 0;
  ok.d_addr = 0;
  ok.op1 = isa::vec::kAdd;
  ok.bsrc = isa::vec::kImm;
  ASSERT_EQ(isa::check_command(ok.encode(), cfg), isa::ErrCode::kNone);
  struct Bad {
    const char* what;
    isa::Words w;
    isa::ErrCode code;
  };
  std::vector<Bad> cases;
  auto with = [&](const char* what, isa::ErrCode code, auto edit) {
    isa::VecCmd c = ok;
    edit(c);
    cases.push_back({what, c.encode(), code});
  };
  with("op1 6", isa::ErrCode::kVop, [](isa::VecCmd& c) { c.op1 = 6; });
  with("fn 7", isa::ErrCode::kVop, [](isa::VecCmd& c) { c.fn = 7; });
  with("mask 3", isa::ErrCode::kVop, [](isa::VecCmd& c) { c.mask = 3; });
  with("no dst, no red", isa::ErrCode::kVop, [](isa::VecCmd& c) { c.dst = isa::vec::kNoDst; });
  with("rows 0", isa::ErrCode::kDims, [](isa::VecCmd& c) { c.rows = 0; });
  with("cols 0", isa::ErrCode::kDims, [](isa::VecCmd& c) { c.cols = 0; });
  with("stride < row width", isa::ErrCode::kDims, [](isa::VecCmd& c) { c.stride = 2; });
  with("A past the end", isa::ErrCode::kSram,
       [&](isa::VecCmd& c) { c.a_addr = cfg.acc_rows - 8; });
  with("B past the end", isa::ErrCode::kSram, [&](isa::VecCmd& c) {
    c.bsrc = isa::vec::kMat;
    c.b_addr = cfg.acc_rows - 5;
  });
  with("Brow past the end", isa::ErrCode::kSram, [&](isa::VecCmd& c) {
    c.bsrc = isa::vec::kRow;
    c.b_addr = cfg.acc_rows;
  });
  with("SPAD D past the end", isa::ErrCode::kSram, [&](isa::VecCmd& c) {
    c.dst = isa::vec::kSpadFp16;
    c.d_addr = cfg.spad_rows - 6;
  });
  with("s past the end", isa::ErrCode::kSram, [&](isa::VecCmd& c) {
    c.red = isa::vec::kRedSum;
    c.r_addr = cfg.acc_rows;
  });
  with("Sram before Vop", isa::ErrCode::kSram, [&](isa::VecCmd& c) {
    c.op1 = 7;
    c.a_addr = cfg.acc_rows;
  });
  isa::Words reserved = ok.encode();
  reserved[0] |= 1u << 30;
  cases.push_back({"reserved bit", reserved, isa::ErrCode::kReserved});
  for (const Bad& b : cases) {
    SCOPED_TRACE(b.what);
    EXPECT_EQ(isa::check_command(b.w, cfg), b.code) << "functional model";
    const uint32_t slot = run_commands(*dev_, {good_load().encode(), b.w, probe_store()});
    expect_error(b.code, isa::Unit::kFetch, int(slot) + 1);
    expect_probe_untouched();
    recover_and_check();
  }
}

TEST_F(ChipErrors, SramOutOfRange) {
  isa::LoadCmd l = good_load();
  l.sram_addr = dev_->config().spad_rows - 1;  // two rows from the last one
  uint32_t slot = run_commands(*dev_, {l.encode(), probe_store()});
  expect_error(isa::ErrCode::kSram, isa::Unit::kFetch, int(slot) + 0);
  expect_probe_untouched();
  recover_and_check();
  isa::StoreCmd s = isa::StoreCmd::decode(probe_store());
  s.acc_addr = dev_->config().acc_rows;  // one past the accumulator
  slot = run_commands(*dev_, {s.encode()});
  expect_error(isa::ErrCode::kSram, isa::Unit::kFetch, int(slot) + 0);
  expect_probe_untouched();
  recover_and_check();
}

TEST_F(ChipErrors, BadDtype) {
  isa::GemmCmd g;
  g.m = g.n = g.k = 4;
  g.a_stride = g.b_stride = g.c_stride = 1;
  isa::Words w = g.encode();
  w[0] |= 3u << 12;
  uint32_t slot = run_commands(*dev_, {w, probe_store()});
  expect_error(isa::ErrCode::kDtype, isa::Unit::kFetch, int(slot) + 0);
  expect_probe_untouched();
  recover_and_check();
}

TEST_F(ChipErrors, DmaOutsideWindows) {
  isa::LoadCmd l = good_load();
  l.dram_addr = 0x2000'0000;  // no window there
  uint32_t slot = run_commands(*dev_, {good_load().encode(), l.encode(), probe_store()});
  expect_error(isa::ErrCode::kWindow, isa::Unit::kLoad, int(slot) + 1);
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), 0x2000'0000u);
  recover_and_check();
  isa::StoreCmd s = isa::StoreCmd::decode(probe_store());
  s.dram_addr = kWinLast - 8;  // the row crosses the window's end
  slot = run_commands(*dev_, {s.encode()});
  expect_error(isa::ErrCode::kWindow, isa::Unit::kStore, int(slot) + 0);
  recover_and_check();
}

TEST_F(ChipErrors, BusErrorOnLoad) {
  for (tb::AxiMem* m : sim_memories(*dev_)) {
    m->inject_error(0x1001'0000, 0x1001'0fff, tb::AxiResp::kSlvErr);
  }
  uint32_t slot = run_commands(*dev_, {good_load().encode(), probe_store()});
  expect_error(isa::ErrCode::kBus, isa::Unit::kLoad, int(slot) + 0);
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr) & ~0xfu, 0x1001'0000u);
  for (tb::AxiMem* m : sim_memories(*dev_)) m->clear_errors();
  recover_and_check();
}

TEST_F(ChipErrors, RingTailPastSize) {
  dev_->csr_write(isa::csr::kRingTail, kRingSlots);
  dev_->csr_write(isa::csr::kDoorbell, 1);
  dev_->run_until_done(1000);
  expect_error(isa::ErrCode::kRing, isa::Unit::kFetch, -1);
  recover_and_check();
}

TEST_F(ChipErrors, TokenOverflow) {
  // 256 loads each give the execute queue a token nobody takes: the 256th overflows.
  isa::LoadCmd l = good_load();
  l.tok.push_next = true;
  std::vector<isa::Words> batch(32, l.encode());
  for (int i = 0; i < 8; ++i) run_commands(*dev_, batch);
  expect_error(isa::ErrCode::kToken, isa::Unit::kLoad, -1);
  recover_and_check();
}

// The same with GEMMs, two of which are in flight at a time (docs/isa.md "Overlap in the
// execute queue"): the 256th push of E->S overflows while the next GEMM is already running
// beside it. That one completes without a second error, the chip goes quiet (no hang),
// the first error names the execute unit, and a soft reset returns the chip to service.
TEST_F(ChipErrors, TokenOverflowWithGemmInFlight) {
  isa::GemmCmd g;  // 1 x 1 x 1 on whatever the scratchpad holds
  g.m = g.n = g.k = 1;
  g.a_stride = g.b_stride = g.c_stride = 1;
  g.b_addr = 1;
  g.tok.push_next = true;
  // Each batch runs to done: 16 first, so that the 256th GEMM is the 16th of the eighth
  // batch of 32, with GEMMs behind it.
  run_commands(*dev_, std::vector<isa::Words>(16, g.encode()));
  const std::vector<isa::Words> batch(32, g.encode());
  for (int i = 0; i < 8; ++i) run_commands(*dev_, batch);
  expect_error(isa::ErrCode::kToken, isa::Unit::kExec, -1);
  recover_and_check();
}

// ------------------------------------------------------------------ two LOADs in flight
// On `default` (load_dmas = 2, docs/isa.md "Overlap in the load queue") a LOAD behind a
// failing one is already in flight when the failure completes. The accumulator shows what
// each LOAD wrote: rows are filled with a known pattern first and stored to host memory
// after the soft reset. (No probe STORE here: the store queue does not depend on the
// loads, so it goes on after a LOAD error, docs/isa.md "Errors".)
class ChipLoadPipe : public ChipErrors {
 protected:
  void SetUp() override {
    dev_ = make_chip("default", test::seed());
    setup_chip(*dev_);
    dim_ = dev_->config().dim;
    ASSERT_EQ(dev_->config().load_dmas, 2u);
  }
  static constexpr uint32_t kPatA = 0x1004'0000, kPatB = 0x1005'0000, kOut = 0x1006'0000;
  static constexpr uint16_t kRows = 8;
  uint32_t row_bytes() const { return 4 * dim_; }
  // A LOAD of kRows accumulator rows from `src` to rows [acc, acc + kRows).
  isa::LoadCmd acc_load(uint32_t src, uint32_t acc) const {
    isa::LoadCmd l;
    l.to_acc = true;
    l.dram_addr = src;
    l.stride = row_bytes();
    l.rows = kRows;
    l.bytes = uint16_t(row_bytes());
    l.sram_addr = acc;
    return l;
  }
  // Raw STORE of accumulator rows [acc, acc + kRows) to dst.
  isa::Words store_to(uint32_t dst, uint32_t acc) const {
    isa::StoreCmd s;
    s.dram_addr = dst;
    s.stride = row_bytes();
    s.rows = kRows;
    s.cols = uint16_t(dim_);
    s.acc_addr = acc;
    return s.encode();
  }
  // Accumulator rows [acc, acc + kRows) stored to kOut, read back.
  std::vector<uint8_t> acc_rows(uint32_t acc) {
    run_commands(*dev_, {store_to(kOut, acc)});
    EXPECT_EQ(dev_->csr_read(kErrCode), 0u);
    return dev_->mem_read(kOut, size_t(kRows) * row_bytes());
  }
  void SetUpPatterns() {
    std::mt19937_64 rng(test::seed() + 3);
    for (uint32_t base : {kPatA, kPatB}) {
      std::vector<uint8_t> v(size_t(kRows) * row_bytes());
      for (auto& b : v) b = uint8_t(rng());
      dev_->mem_write(base, v);
    }
    // Rows 0..kRows-1 and kRows..2kRows-1 start as pattern A.
    run_commands(*dev_, {acc_load(kPatA, 0).encode(), acc_load(kPatA, kRows).encode()});
    ASSERT_EQ(dev_->csr_read(kErrCode), 0u);
  }
  std::vector<uint8_t> pattern(uint32_t base) {
    return dev_->mem_read(base, size_t(kRows) * row_bytes());
  }
};

// A bus error in the first LOAD: it is reported (its slot, its address); the second LOAD,
// taken beside it, writes none of its rows.
TEST_F(ChipLoadPipe, BusErrorAbortsTheLoadBehind) {
  SetUpPatterns();
  for (tb::AxiMem* m : sim_memories(*dev_)) {
    m->inject_error(kPatB + 2 * row_bytes(), kPatB + 2 * row_bytes() + 3, tb::AxiResp::kSlvErr);
  }
  // LOAD 1 from pattern B (fails in its third row) to rows 0..; LOAD 2 from pattern B to
  // rows kRows.. (fine on its own: the error lies only in LOAD 1's source).
  isa::LoadCmd bad = acc_load(kPatB, 0);
  isa::LoadCmd next = acc_load(kPatB + 0x8000, kRows);
  dev_->mem_write(kPatB + 0x8000, pattern(kPatB));
  const uint32_t slot = run_commands(*dev_, {bad.encode(), next.encode()});
  expect_error(isa::ErrCode::kBus, isa::Unit::kLoad, int(slot));
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr) & ~uint32_t(31), kPatB + 2 * row_bytes());
  for (tb::AxiMem* m : sim_memories(*dev_)) m->clear_errors();
  ASSERT_TRUE(soft_reset(*dev_, isa::csr::kCtrlIrqDoneEn | isa::csr::kCtrlIrqErrorEn));
  EXPECT_EQ(acc_rows(kRows), pattern(kPatA)) << "the LOAD behind the failed one wrote rows";
  recover_and_check();
}

// The second LOAD leaves the windows: the error names it; the first one's rows are all
// written.
TEST_F(ChipLoadPipe, WindowErrorOnTheLoadBehind) {
  SetUpPatterns();
  isa::LoadCmd outside = acc_load(0x2000'0000, kRows);
  const uint32_t slot =
      run_commands(*dev_, {acc_load(kPatB, 0).encode(), outside.encode()});
  expect_error(isa::ErrCode::kWindow, isa::Unit::kLoad, int(slot) + 1);
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), 0x2000'0000u);
  ASSERT_TRUE(soft_reset(*dev_, isa::csr::kCtrlIrqDoneEn | isa::csr::kCtrlIrqErrorEn));
  EXPECT_EQ(acc_rows(0), pattern(kPatB));
  EXPECT_EQ(acc_rows(kRows), pattern(kPatA));
  recover_and_check();
}

// ------------------------------------------------------------------ two STOREs in flight
// On `default` (store_dmas = 2, docs/isa.md "Overlap in the store queue") the STORE behind a
// failing one is already writing when the failure is known (the older one's B responses
// come after the newer one's writes went out). Accumulator rows hold pattern A; the two
// STOREs write them to kDst1 and kDst2, whose host memory starts as the model's background.
class ChipStorePipe : public ChipLoadPipe {
 protected:
  void SetUp() override {
    ChipLoadPipe::SetUp();
    ASSERT_EQ(dev_->config().store_dmas, 2u);
  }
  static constexpr uint32_t kDst1 = 0x1007'0000, kDst2 = 0x1007'1000;
  uint32_t dst_bytes() const { return kRows * row_bytes(); }
  // Host bytes of [dst - 256, dst + dst_bytes() + 256): background outside [dst, dst +
  // dst_bytes()); inside it, `whole` ? exactly pattern A : background or pattern A per byte,
  // with the bytes of the failed burst [hole, hole + row_bytes()) background.
  void expect_dst(uint32_t dst, bool whole, uint32_t hole = 0) {
    const std::vector<uint8_t> a = pattern(kPatA);
    const std::vector<uint8_t> got = dev_->mem_read(dst - 256, dst_bytes() + 512);
    uint64_t bad = 0;
    for (uint32_t i = 0; i < got.size(); ++i) {
      const uint32_t addr = dst - 256 + i;
      const uint8_t bg = tb::AxiMem::background(addr);
      const bool in = addr >= dst && addr < dst + dst_bytes();
      const bool in_hole = hole != 0 && addr >= hole && addr < hole + row_bytes();
      bool ok;
      if (!in || in_hole) ok = got[i] == bg;
      else if (whole) ok = got[i] == a[addr - dst];
      else ok = got[i] == bg || got[i] == a[addr - dst];
      if (!ok && bad++ < 5)
        ADD_FAILURE() << "host byte 0x" << std::hex << addr << " is 0x" << int(got[i]);
    }
    EXPECT_EQ(bad, 0u) << "destination 0x" << std::hex << dst;
  }
};

// A bus error in the first STORE: it is reported (its slot, the failing burst's address),
// the failing burst writes nothing, and the STORE behind it writes only its own destination.
TEST_F(ChipStorePipe, BusErrorInTheFirstStore) {
  SetUpPatterns();
  const uint32_t hole = kDst1 + 2 * row_bytes();  // the third row's burst
  for (tb::AxiMem* m : sim_memories(*dev_)) m->inject_error(hole, hole + 3, tb::AxiResp::kSlvErr);
  const uint32_t wr = isa::csr::kPerf + 8 * isa::kPerfBytesWritten;
  const uint32_t w0 = dev_->csr_read(wr);
  const uint32_t slot = run_commands(*dev_, {store_to(kDst1, 0), store_to(kDst2, kRows)});
  expect_error(isa::ErrCode::kBus, isa::Unit::kStore, int(slot));
  // The second STORE was in flight: it strobed bytes before the first one's error came back.
  EXPECT_GT(dev_->csr_read(wr) - w0, dst_bytes());
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), hole);
  for (tb::AxiMem* m : sim_memories(*dev_)) m->clear_errors();
  expect_dst(kDst1, false, hole);
  expect_dst(kDst2, false);
  recover_and_check();
}

// A bus error in the second STORE: the error names it; the first one's destination is whole.
TEST_F(ChipStorePipe, BusErrorInTheStoreBehind) {
  SetUpPatterns();
  const uint32_t hole = kDst2 + 2 * row_bytes();
  for (tb::AxiMem* m : sim_memories(*dev_)) m->inject_error(hole, hole + 3, tb::AxiResp::kDecErr);
  const uint32_t slot = run_commands(*dev_, {store_to(kDst1, 0), store_to(kDst2, kRows)});
  expect_error(isa::ErrCode::kBus, isa::Unit::kStore, int(slot) + 1);
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), hole);
  for (tb::AxiMem* m : sim_memories(*dev_)) m->clear_errors();
  expect_dst(kDst1, true);
  expect_dst(kDst2, false, hole);
  recover_and_check();
}

// The second STORE leaves the windows: the error names it and its address; the first one's
// destination is whole.
TEST_F(ChipStorePipe, WindowErrorOnTheStoreBehind) {
  SetUpPatterns();
  const uint32_t slot = run_commands(*dev_, {store_to(kDst1, 0), store_to(0x2000'0000, kRows)});
  expect_error(isa::ErrCode::kWindow, isa::Unit::kStore, int(slot) + 1);
  EXPECT_EQ(dev_->csr_read(isa::csr::kErrAddr), 0x2000'0000u);
  expect_dst(kDst1, true);
  recover_and_check();
}

}  // namespace
}  // namespace tessera::systest
