// SPDX-License-Identifier: Apache-2.0
// ISA encodings against the docs/isa.md field tables, reserved bits, fetch-time checks.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "tessera/device.hpp"
#include "tessera/isa.hpp"
#include "test_util.hpp"

namespace tessera::isa {
namespace {

const ChipConfig& cfg() { return find_config("default"); }

TEST(Isa, FieldPositionsFollowTheDoc) {
  LoadCmd l;
  l.tok.push_next = true;
  l.to_acc = true;
  l.dram_addr = 0x12345678;
  l.stride = 0x9abcdef0;
  l.rows = 0x1234;
  l.bytes = 0x5678;
  l.sram_addr = 0xdeadbeef;
  Words w = l.encode();
  EXPECT_EQ(w[0], 0x01u | (1u << 11) | (1u << 12));
  EXPECT_EQ(w[1], 0x12345678u);
  EXPECT_EQ(w[2], 0x9abcdef0u);
  EXPECT_EQ(w[3], 0x56781234u);  // rows 15:0, bytes 31:16
  EXPECT_EQ(w[4], 0xdeadbeefu);
  l.to_acc = false;
  l.expand8 = true;
  EXPECT_EQ(l.encode()[0], 0x01u | (1u << 11) | (1u << 13));

  StoreCmd s;
  s.tok.pop_prev = true;
  s.format = StoreFormat::kInt8;
  s.rows = 3;
  s.cols = 5;
  s.acc_addr = 77;
  s.mult = -2;
  s.shift = -31;
  s.zero_point = -128;
  w = s.encode();
  EXPECT_EQ(w[0], 0x02u | (1u << 8) | (3u << 12));
  EXPECT_EQ(w[3], 3u | (5u << 16));
  EXPECT_EQ(w[4], 77u);
  EXPECT_EQ(w[5], 0xfffffffeu);
  EXPECT_EQ(w[6], (uint32_t(-31) & 0x3fu) | (0x80u << 8));

  GemmCmd g;
  g.tok.pop_prev = true;
  g.tok.push_prev = true;
  g.dtype = Dtype::kBf16;
  g.a_trans = true;
  g.b_trans = true;
  g.accumulate = true;
  g.m = 0x1111;
  g.n = 0x2222;
  g.k = 0x3333;
  g.a_addr = 1;
  g.b_addr = 2;
  g.c_addr = 3;
  g.a_stride = 4;
  g.b_stride = 5;
  g.c_stride = 6;
  w = g.encode();
  EXPECT_EQ(w[0],
            0x03u | (1u << 8) | (1u << 10) | (1u << 12) | (1u << 14) | (1u << 15) | (1u << 16));
  EXPECT_EQ(w[1], 0x22221111u);
  EXPECT_EQ(w[2], 0x3333u);
  EXPECT_EQ(w[3], 1u);
  EXPECT_EQ(w[4], 2u);
  EXPECT_EQ(w[5], 3u);
  EXPECT_EQ(w[6], 4u | (5u << 16));
  EXPECT_EQ(w[7], 6u);
}

TEST(Isa, RandomRoundTrip) {
  std::mt19937_64 r(test::seed());
  for (int i = 0; i < 2000; ++i) {
    LoadCmd l;
    l.tok = Tokens::from_bits(uint32_t(r()) & (kPopNext | kPushNext));
    l.to_acc = r() & 1;
    l.expand8 = r() & 1;
    l.dram_addr = uint32_t(r());
    l.stride = uint32_t(r());
    l.rows = uint16_t(r());
    l.bytes = uint16_t(r());
    l.sram_addr = uint32_t(r());
    ASSERT_TRUE(LoadCmd::decode(l.encode()) == l);
    StoreCmd s;
    s.tok = Tokens::from_bits(uint32_t(r()) & (kPopPrev | kPushPrev));
    s.format = StoreFormat(r() % 4);
    s.dram_addr = uint32_t(r());
    s.stride = uint32_t(r());
    s.rows = uint16_t(r());
    s.cols = uint16_t(r());
    s.acc_addr = uint32_t(r());
    s.mult = int32_t(r());
    s.shift = int8_t(int(r() % 64) - 32);
    s.zero_point = int8_t(r());
    ASSERT_TRUE(StoreCmd::decode(s.encode()) == s);
    GemmCmd g;
    g.tok = Tokens::from_bits(uint32_t(r()) & kTokenMask);
    g.dtype = Dtype(r() % 3);
    g.a_trans = r() & 1;
    g.b_trans = r() & 1;
    g.accumulate = r() & 1;
    g.m = uint16_t(r());
    g.n = uint16_t(r());
    g.k = uint16_t(r());
    g.a_addr = uint32_t(r());
    g.b_addr = uint32_t(r());
    g.c_addr = uint32_t(r());
    g.a_stride = uint16_t(r());
    g.b_stride = uint16_t(r());
    g.c_stride = uint16_t(r());
    ASSERT_TRUE(GemmCmd::decode(g.encode()) == g);
  }
}

TEST(Isa, NamesAreDistinct) {
  std::set<std::string> names;
  for (int c = 0; c <= 10; ++c) {
    names.insert(err_name(ErrCode(c)));
    EXPECT_STRNE(err_description(ErrCode(c)), "unknown error code");
  }
  EXPECT_EQ(names.size(), 11u);
  EXPECT_STREQ(err_name(ErrCode::kSram), "Sram");
  EXPECT_STREQ(unit_name(Unit::kExec), "execute");
}

// Small legal commands that the checks below perturb.
LoadCmd good_load() {
  LoadCmd l;
  l.dram_addr = 0x1000;
  l.stride = 64;
  l.rows = 4;
  l.bytes = 64;  // 2 scratchpad rows per host row at Dim 16
  l.sram_addr = 10;
  return l;
}
StoreCmd good_store() {
  StoreCmd s;
  s.dram_addr = 0x1000;
  s.stride = 128;
  s.rows = 4;
  s.cols = 32;
  s.acc_addr = 10;
  return s;
}
GemmCmd good_gemm() {
  GemmCmd g;
  g.m = 20;
  g.n = 17;
  g.k = 33;
  g.a_addr = 0;
  g.a_stride = 3;
  g.b_addr = 100;
  g.b_stride = 2;
  g.c_addr = 0;
  g.c_stride = 2;
  return g;
}

TEST(Isa, LegalCommandsPass) {
  EXPECT_EQ(check_command(good_load().encode(), cfg()), ErrCode::kNone);
  EXPECT_EQ(check_command(good_store().encode(), cfg()), ErrCode::kNone);
  EXPECT_EQ(check_command(good_gemm().encode(), cfg()), ErrCode::kNone);
}

TEST(Isa, EveryReservedBitIsRefused) {
  for (const Words& base : {good_load().encode(), good_store().encode(), good_gemm().encode()}) {
    const Words mask = reserved_mask(opcode_of(base));
    int tried = 0;
    for (int word = 0; word < 8; ++word) {
      for (int bit = 0; bit < 32; ++bit) {
        if (!((mask[word] >> bit) & 1u)) continue;
        Words w = base;
        w[word] |= 1u << bit;
        ++tried;
        EXPECT_EQ(check_command(w, cfg()), ErrCode::kReserved)
            << describe(base) << " word " << word << " bit " << bit;
      }
    }
    EXPECT_GT(tried, 0);
  }
  // Token flags of a queue that does not exist.
  Words w = good_load().encode();
  w[0] |= kPopPrev;
  EXPECT_EQ(check_command(w, cfg()), ErrCode::kReserved);
  w = good_store().encode();
  w[0] |= kPushNext;
  EXPECT_EQ(check_command(w, cfg()), ErrCode::kReserved);
}

TEST(Isa, OpcodesAndPriority) {
  for (uint32_t op : {0x00u, 0x06u, 0x80u, 0xffu}) {
    Words w{};
    w[0] = op;
    EXPECT_EQ(check_command(w, cfg()), ErrCode::kOpcode) << op;
  }
  // VEC (0x05) is known only with a vector unit (its field checks: ChipErrors.VecRefusals
  // and VecSoftmax.Refusals).
  ChipConfig no_vec = cfg();
  no_vec.vec = 0;
  no_vec.vec_divsqrt = 0;
  Words vw{};
  vw[0] = 0x05;
  EXPECT_EQ(check_command(vw, no_vec), ErrCode::kOpcode);
  EXPECT_EQ(check_command(vw, cfg()), ErrCode::kDims);  // rows = cols = 0
  // ADAMW (0x04) is known only with an AdamW unit (test_adamw_device.cpp has its checks).
  ChipConfig no_adamw = cfg();
  no_adamw.adamw_lanes = 0;
  Words aw{};
  aw[0] = 0x04;
  EXPECT_EQ(check_command(aw, no_adamw), ErrCode::kOpcode);
  EXPECT_EQ(check_command(aw, cfg()), ErrCode::kDims);  // n = 0
  // Reserved beats Dims beats Sram beats Dtype.
  GemmCmd g = good_gemm();
  g.dtype = Dtype(3);
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kDtype);
  g.c_addr = cfg().acc_rows;
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kSram);
  g.m = 0;
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kDims);
  Words w = g.encode();
  w[7] |= 1u << 31;
  EXPECT_EQ(check_command(w, cfg()), ErrCode::kReserved);
}

TEST(Isa, DimsChecks) {
  const uint32_t D = cfg().dim;
  auto load_err = [](LoadCmd l) { return check_command(l.encode(), cfg()); };
  LoadCmd l = good_load();
  l.rows = 0;
  EXPECT_EQ(load_err(l), ErrCode::kDims);
  l = good_load();
  l.bytes = 0;
  EXPECT_EQ(load_err(l), ErrCode::kDims);
  l = good_load();
  l.bytes = 63;  // not a multiple of 2
  EXPECT_EQ(load_err(l), ErrCode::kDims);
  l.expand8 = true;  // 1-byte elements: fine
  EXPECT_EQ(load_err(l), ErrCode::kNone);
  l = good_load();
  l.to_acc = true;
  l.bytes = 62;  // not a multiple of 4
  EXPECT_EQ(load_err(l), ErrCode::kDims);
  l.bytes = 64;
  EXPECT_EQ(load_err(l), ErrCode::kNone);
  l.expand8 = true;  // expand8 with the accumulator
  EXPECT_EQ(load_err(l), ErrCode::kDims);
  l = good_load();
  l.stride = 0;  // host strides are not checked: rows may overlap (e.g. a broadcast)
  EXPECT_EQ(load_err(l), ErrCode::kNone);
  l = good_load();
  l.rows = 65535;
  l.bytes = 2 * D * 2;  // 65535 * 2 rows: larger than the scratchpad, a range error
  l.stride = l.bytes;
  l.sram_addr = 0;
  EXPECT_EQ(load_err(l), ErrCode::kSram);
  l.bytes += 1;  // but a size error comes first
  EXPECT_EQ(load_err(l), ErrCode::kDims);

  StoreCmd s = good_store();
  s.cols = 0;
  EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kDims);
  s = good_store();
  s.stride = 0;  // not checked
  EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kNone);
  s = good_store();
  s.rows = 0;
  EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kDims);
  s = good_store();
  s.rows = 65535;  // larger than the accumulator: Sram
  EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kSram);
  // Shift codes 31 and -32 of an INT8 store: Dims (before Sram); other formats ignore it.
  s = good_store();
  s.format = StoreFormat::kInt8;
  s.stride = 32;
  for (int sh : {-32, 31}) {
    s.shift = int8_t(sh);
    EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kDims) << sh;
    s.acc_addr = cfg().acc_rows;
    EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kDims) << sh;
    s.acc_addr = 0;
    s.format = StoreFormat::kFp16;
    EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kNone) << sh;
    s.format = StoreFormat::kInt8;
  }
  for (int sh : {-31, 30}) {
    s.shift = int8_t(sh);
    EXPECT_EQ(check_command(s.encode(), cfg()), ErrCode::kNone) << sh;
  }

  for (int field = 0; field < 6; ++field) {
    GemmCmd g = good_gemm();
    switch (field) {
      case 0:
        g.m = 0;
        break;
      case 1:
        g.n = 0;
        break;
      case 2:
        g.k = 0;
        break;
      case 3:
        g.a_stride = 2;
        break;  // K = 33 needs 3 rows
      case 4:
        g.b_stride = 1;
        break;  // N = 17 needs 2 rows
      case 5:
        g.c_stride = 1;
        break;
    }
    EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kDims) << field;
  }
  GemmCmd g = good_gemm();
  g.a_trans = true;  // A stored K x M = 33 x 20: width 2 rows, stride 3 fine
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kNone);
  g.b_trans = true;  // B stored N x K = 17 x 33: width 3, stride 2 too small
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kDims);
  g = good_gemm();
  g.m = 65535;  // C: 65535 x 2 accumulator rows, larger than the accumulator: Sram
  g.a_trans = true;
  g.a_stride = 4096;
  EXPECT_EQ(check_command(g.encode(), cfg()), ErrCode::kSram);
}

TEST(Isa, SramChecks) {
  const ChipConfig& c = cfg();
  LoadCmd l = good_load();  // 4 rows x 2 = 8 scratchpad rows
  l.sram_addr = c.spad_rows - 8;
  EXPECT_EQ(check_command(l.encode(), c), ErrCode::kNone);
  l.sram_addr += 1;
  EXPECT_EQ(check_command(l.encode(), c), ErrCode::kSram);
  l.sram_addr = 0xffffffffu;  // no 32-bit wrap
  EXPECT_EQ(check_command(l.encode(), c), ErrCode::kSram);
  l = good_load();
  l.to_acc = true;  // 4 rows x 1 accumulator row
  l.sram_addr = c.acc_rows - 4;
  EXPECT_EQ(check_command(l.encode(), c), ErrCode::kNone);
  l.sram_addr += 1;
  EXPECT_EQ(check_command(l.encode(), c), ErrCode::kSram);

  StoreCmd s = good_store();  // 4 rows x 2 accumulator rows
  s.acc_addr = c.acc_rows - 8;
  EXPECT_EQ(check_command(s.encode(), c), ErrCode::kNone);
  s.acc_addr += 1;
  EXPECT_EQ(check_command(s.encode(), c), ErrCode::kSram);

  GemmCmd g = good_gemm();  // A: 20 rows, stride 3, width 3: last row 57..59
  g.a_addr = c.spad_rows - 60;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kNone);
  g.a_addr += 1;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kSram);
  g = good_gemm();  // B: 33 rows, stride 2, width 2: 66 rows
  g.b_addr = c.spad_rows - 66;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kNone);
  g.b_addr += 1;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kSram);
  g = good_gemm();  // C: 20 rows, stride 2, width 2: 40 rows
  g.c_addr = c.acc_rows - 40;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kNone);
  g.c_addr += 1;
  EXPECT_EQ(check_command(g.encode(), c), ErrCode::kSram);
}

}  // namespace
}  // namespace tessera::isa
