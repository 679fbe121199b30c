// SPDX-License-Identifier: Apache-2.0
// ts_acc: accumulate-on-write (FP32 via golden::fp32_add, INT32 wrapping) and overwrite,
// back-to-back hazards on the same rows, reads in between; a read stalled by an
// accumulating write wins the next cycle. Both variants: AddStages 1 (forwarding, any row
// every cycle; Acc.*) and AddStages 4 (registered RAM data, cut adder; a row in flight
// makes its next accumulation or read wait; AccPipelined.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <random>
#include <vector>

#include "Vts_acc.h"
#include "Vts_acc_s4.h"
#include "sim.hpp"
#include "tessera/golden/arith.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

constexpr unsigned kDim = 4, kDepth = 16;
using Row = std::array<uint32_t, kDim>;

// FP32 operands that reach every adder path: specials, cancellation, ties, random bits.
uint32_t fp32_operand(std::mt19937_64& rng) {
  static const uint32_t specials[] = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000,
                                      0x7f800001, 0x00000001, 0x007fffff, 0x7f7fffff, 0x3f800000};
  const uint32_t r = uint32_t(rng());
  switch (rng() % 8) {
    case 0: return specials[rng() % 10];
    case 1: return (r & 0x807fffffu) | (uint32_t(120 + rng() % 16) << 23);  // near 1.0
    case 2: return r & 0x80ffffffu;                                          // tiny
    default: return r;
  }
}

struct AccModel {
  std::array<Row, kDepth> rows{};
  uint8_t flags = 0;
  void write(unsigned mode, unsigned addr, const Row& d) {
    for (unsigned l = 0; l < kDim; ++l) {
      uint32_t& x = rows[addr][l];
      if (mode == 0) {
        x = d[l];
      } else if (mode == 1) {
        const auto r = golden::fp32_add(x, d[l]);
        x = r.bits;
        flags |= r.flags;
      } else {
        x = x + d[l];
      }
    }
  }
};

// Top: the model; kStages: its AddStages. With kStages >= 2 a write is in flight for the
// 2 + kStages cycles after the one it was accepted in.
template <class Top, unsigned kStages>
class AccBench {
 public:
  static constexpr unsigned kInFlight = kStages == 1 ? 0 : 2 + kStages;

  explicit AccBench(uint64_t s) : sim(test_name(), uint32_t(s)), rng(s) {
    auto& t = sim.top();
    t.w_valid_i = 0;
    t.r_valid_i = 0;
    t.flags_clr_i = 0;
    sim.reset();
    for (unsigned a = 0; a < kDepth; ++a) {  // known contents
      Row d;
      for (auto& x : d) x = fp32_operand(rng);
      step(true, 0, a, d, false, 0);
    }
    t.flags_clr_i = 1;
    step(false, 0, 0, {}, false, 0);
    t.flags_clr_i = 0;
    model.flags = 0;
  }

  // One cycle. Returns whether the read was accepted (w_taken: the write). Checks the
  // handshakes against the arbitration rule and the previous read's data.
  bool step(bool wv, unsigned mode, unsigned waddr, const Row& d, bool rv, unsigned raddr) {
    auto& t = sim.top();
    t.w_valid_i = wv;
    t.w_mode_i = mode;
    t.w_addr_i = waddr;
    for (unsigned l = 0; l < kDim; ++l) t.w_data_i[l] = d[l];
    t.r_valid_i = rv;
    t.r_addr_i = raddr;
    sim.eval();
    // An accumulating write waits for a read that was stalled last cycle, or while its row
    // is in flight; an overwrite waits only for a waiting read whose row is in flight.
    const bool w_haz = in_flight(waddr), r_haz = in_flight(raddr);
    EXPECT_EQ(bool(t.w_ready_o),
              !((mode != 0 && ((read_waited && rv) || w_haz)) || (read_waited && rv && r_haz)))
        << "write ready, mode " << mode << " row " << waddr;
    w_taken = wv && t.w_ready_o;
    const bool r_acc = rv && t.r_ready_o;
    EXPECT_EQ(bool(t.r_ready_o), !(w_taken && mode != 0) && !r_haz)
        << "read stalls for an accumulation or its row in flight, row " << raddr;
    read_waited = rv && !r_acc;
    if (kInFlight) {
      flight.push_front(w_taken ? int(waddr) : -1);
      flight.resize(kInFlight, -1);
    }
    Row snap{};
    if (r_acc) snap = model.rows[raddr];  // writes of this cycle are ordered after the read
    if (w_taken) {
      model.write(mode, waddr, d);
      ++writes;
    }
    sim.tick();
    EXPECT_EQ(bool(t.rsp_valid_o), r_acc);
    if (r_acc) {
      for (unsigned l = 0; l < kDim; ++l) {
        if (t.rsp_data_o[l] != snap[l] && mismatches++ < 10)
          ADD_FAILURE() << "row " << raddr << " lane " << l << ": rtl 0x" << std::hex
                        << t.rsp_data_o[l] << ", model 0x" << snap[l];
      }
      ++reads;
    }
    return r_acc;
  }

  bool in_flight(unsigned addr) const {
    return std::find(flight.begin(), flight.end(), int(addr)) != flight.end();
  }

  // Reads every row back (after the pipeline drains) and compares.
  void check_all() {
    for (unsigned i = 0; i < 3 + kInFlight; ++i) step(false, 0, 0, {}, false, 0);
    for (unsigned a = 0; a < kDepth; ++a) step(false, 0, 0, {}, true, a);
    step(false, 0, 0, {}, false, 0);
    EXPECT_EQ(sim.top().flags_o, model.flags) << "sticky flags differ from the golden OR";
  }

  Row random_row(unsigned mode) {
    Row d;
    for (auto& x : d) x = mode == 2 ? uint32_t(rng()) : fp32_operand(rng);
    return d;
  }

  tb::Sim<Top> sim;
  std::mt19937_64 rng;
  AccModel model;
  uint64_t writes = 0, reads = 0, mismatches = 0;
  bool w_taken = false, read_waited = false;
  std::deque<int> flight;  // rows accepted in the last kInFlight cycles, newest first
};

using AccFwd = AccBench<Vts_acc, 1>;
using AccPipe = AccBench<Vts_acc_s4, 4>;

template <class B>
void mixed_modes_with_hazards() {
  B b(seed());
  const uint64_t n = vectors(40000);
  bool rv = false, wv = false;  // requests hold until accepted
  unsigned ra = 0, wa = 0, mode = 0;
  Row wd{};
  for (uint64_t i = 0; i < n; ++i) {
    if (!wv) {
      wv = b.rng() % 10 != 0;
      mode = unsigned(b.rng() % 3);
      // Few rows: consecutive writes to the same row exercise S2 and S3 forwarding (or,
      // pipelined, the waits for a row in flight).
      wa = unsigned(b.rng() % (b.rng() % 2 ? 2 : kDepth));
      wd = b.random_row(mode);
    }
    if (!rv) {
      rv = b.rng() % 2;
      ra = unsigned(b.rng() % (b.rng() % 2 ? 2 : kDepth));
    }
    if (b.step(wv, mode, wa, wd, rv, ra)) rv = false;
    if (b.w_taken) wv = false;
    if (::testing::Test::HasFailure()) break;
  }
  while (rv) rv = !b.step(false, 0, 0, {}, true, ra);  // a pending read is kept until taken
  b.check_all();
  EXPECT_EQ(b.mismatches, 0u);
  EXPECT_GT(b.reads, n / 10);
}

TEST(Acc, MixedModesWithHazardsBitExact) { mixed_modes_with_hazards<AccFwd>(); }
TEST(AccPipelined, MixedModesWithHazardsBitExact) { mixed_modes_with_hazards<AccPipe>(); }

// Accumulations sustained into 1..3, 7 and all rows in turn (a write offered every cycle
// until taken). With forwarding: one per cycle whatever the rows. Pipelined: write i of row
// r can go kInFlight + 1 = 3 + AddStages cycles after the previous write of r (it is in
// flight until then), so that many rows in turn take one per cycle and fewer take `rows`
// per kInFlight + 1 cycles.
template <class B>
void accumulation_rate() {
  for (unsigned rows : {1u, 2u, 3u, 7u, kDepth}) {
    B b(seed());
    const uint64_t c0 = b.sim.cycles();
    const uint64_t n = 4000;
    const uint64_t gap = B::kInFlight + 1;
    std::vector<uint64_t> last(kDepth, 0);
    uint64_t expect = 0;  // the cycle the write goes in, from the rule above
    for (uint64_t i = 0; i < n; ++i) {
      const unsigned mode = i % 7 == 6 ? 2 : 1, row = unsigned(i % rows);
      const auto d = b.random_row(mode);
      expect = i == 0 ? 0 : expect + 1;
      if (i >= rows) expect = std::max(expect, last[row] + gap);
      last[row] = expect;
      do {
        b.step(true, mode, row, d, false, 0);
        if (b.sim.cycles() - c0 > 20 * n) FAIL() << "write never accepted";
      } while (!b.w_taken);
      EXPECT_EQ(b.sim.cycles() - c0, expect + 1) << "write " << i << " into " << rows << " rows";
      if (::testing::Test::HasFailure()) return;
    }
    if (rows >= gap) {
      EXPECT_EQ(b.sim.cycles() - c0, n) << "a write per cycle";
    }
    EXPECT_EQ(b.writes, n + kDepth);
    b.check_all();
    EXPECT_EQ(b.mismatches, 0u) << rows << " rows";
  }
}

TEST(Acc, OneRowPerCycleSustained) { accumulation_rate<AccFwd>(); }
TEST(AccPipelined, AccumulationRateFollowsRowsInFlight) { accumulation_rate<AccPipe>(); }

// A reader that asks every cycle beside a write stream that accumulates every cycle gets
// every other cycle (each read waits exactly one cycle); the writes get the others, and
// overwrites never wait. The writes go to rows 0..7 in turn and the reads to rows 8..15
// (no row in flight is read; a row is written every 16 cycles, so never waits for itself).
// Nothing is lost: every row is checked at the end.
template <class B>
void read_beside_accumulation() {
  B b(seed());
  const uint64_t n = 2000;
  uint64_t reads = 0, writes = 0, waits = 0;
  bool wv = false;
  unsigned mode = 1, wa = kDepth / 2 - 1, ra = kDepth / 2;
  Row wd{};
  for (uint64_t i = 0; i < n; ++i) {
    if (!wv) {
      wv = true;
      mode = i % 5 == 4 ? 2 : 1;
      wa = (wa + 1) % (kDepth / 2);
      wd = b.random_row(mode);
    }
    if (b.step(true, mode, wa, wd, true, ra)) {
      ++reads;
      ra = kDepth / 2 + (ra + 1) % (kDepth / 2);
    }
    if (b.w_taken) {
      ++writes;
      wv = false;
    } else {
      ++waits;
    }
  }
  EXPECT_EQ(reads, n / 2) << "a read every other cycle";
  EXPECT_EQ(writes, n / 2);
  EXPECT_EQ(waits, n / 2);
  while (wv) {  // the write left waiting goes in (no read this time)
    b.step(true, mode, wa, wd, false, 0);
    wv = !b.w_taken;
  }
  // Overwrites beside the same reader (other rows): neither side ever waits.
  for (uint64_t i = 0; i < 100; ++i) {
    EXPECT_TRUE(b.step(true, 0, unsigned(i % (kDepth / 2)), b.random_row(0), true, ra));
    EXPECT_TRUE(b.w_taken);
    ra = kDepth / 2 + (ra + 1) % (kDepth / 2);
  }
  b.check_all();
  EXPECT_EQ(b.mismatches, 0u);
}

TEST(Acc, ReadBesideAccumulationIsNotStarved) { read_beside_accumulation<AccFwd>(); }
TEST(AccPipelined, ReadBesideAccumulationIsNotStarved) { read_beside_accumulation<AccPipe>(); }

// Pipelined: a read of a row just accumulated waits until the row is written back, then
// returns the new value; a stream of overwrites to that row is held back meanwhile (the
// waiting read has priority), so the read is not starved.
TEST(AccPipelined, ReadOfRowInFlightWaitsForItsResult) {
  AccPipe b(seed());
  const Row d = b.random_row(1);
  b.step(true, 1, 5, d, false, 0);
  ASSERT_TRUE(b.w_taken);
  unsigned waited = 0;
  // The read asks every cycle; overwrites of row 5 are offered beside it every cycle.
  while (!b.step(true, 0, 5, b.random_row(0), true, 5)) {
    ++waited;
    ASSERT_LT(waited, 20u) << "read starved";
  }
  // Row 5 is in flight for kInFlight (2 + 4) cycles after its accumulation: the read waits
  // that long; the first overwrite goes in beside the first attempt (the read had not
  // waited yet), which keeps the row in flight one cycle longer, until the read's priority
  // holds the later ones back.
  EXPECT_EQ(waited, AccPipe::kInFlight + 1u);
  b.check_all();
  EXPECT_EQ(b.mismatches, 0u);
}

TEST(Acc, AssertionFiresOnReservedMode) {
  AccFwd b(seed());
  EXPECT_THROW(b.step(true, 3, 0, Row{}, false, 0), tb::AssertionFailure);
}

}  // namespace
}  // namespace tessera::test
