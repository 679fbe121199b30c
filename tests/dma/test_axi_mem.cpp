// SPDX-License-Identifier: Apache-2.0
// tb::AxiMem self-tests: a C++ master reads and writes through it under stalls, latency,
// bandwidth caps and out-of-order responses; broken masters make the checker fire.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "axi_mem.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

using tb::AxiBus;
using tb::AxiMem;
using tb::AxiMemConfig;
using tb::ProtocolError;

// A well-behaved C++ master: one AR and one AW stream with several IDs, checks data.
struct Master {
  AxiMem& mem;
  AxiBus bus;
  std::mt19937_64 rng;
  uint64_t cycles = 0;
  explicit Master(AxiMem& m, uint64_t seed) : mem(m), rng(seed) {
    bus.w_data.assign(m.config().data_bytes, 0);
  }
  void cycle() {
    mem.drive(bus);
    mem.edge(bus);
    ++cycles;
  }
};

TEST(AxiMem, BackdoorAndBackground) {
  AxiMem mem(AxiMemConfig{});
  EXPECT_EQ(mem.byte(0x1234), AxiMem::background(0x1234));
  mem.write(0xfff, {1, 2, 3});
  EXPECT_EQ(mem.read(0xffe, 5), (std::vector<uint8_t>{AxiMem::background(0xffe), 1, 2, 3,
                                                        AxiMem::background(0x1002)}));
}

// Writes random bursts then reads them back, comparing with a byte map; every knob on.
void write_read_roundtrip(const AxiMemConfig& cfg, uint64_t seed, int bursts) {
  AxiMem mem(cfg);
  Master m(mem, seed);
  const unsigned nb = cfg.data_bytes;
  std::map<uint64_t, uint8_t> expect;
  std::mt19937_64& rng = m.rng;
  struct Req { uint64_t addr; uint32_t len, id; };
  std::vector<Req> reqs;
  for (int i = 0; i < bursts; ++i) {
    uint64_t addr = 0x10000 + (rng() % 0x4000) * nb;
    uint32_t len = uint32_t(rng() % 16);
    // stay inside the 4 KiB page
    const uint64_t page_end = (addr | 0xfff) + 1;
    if (addr + uint64_t(len + 1) * nb > page_end) len = uint32_t((page_end - addr) / nb - 1);
    reqs.push_back({addr, len, uint32_t(rng() % 4)});
  }
  // Write phase: AW then W beats (W may also run ahead of AW: every other burst).
  size_t aw_i = 0, w_i = 0, w_beat = 0, b_got = 0;
  std::vector<std::vector<uint8_t>> wdata;
  std::vector<std::vector<uint64_t>> strbs;
  for (auto& r : reqs) {
    std::vector<uint8_t> d((r.len + 1) * nb);
    for (auto& x : d) x = uint8_t(rng());
    wdata.push_back(d);
    std::vector<uint64_t> st(r.len + 1);
    for (auto& x : st) x = (nb == 64) ? ~0ull : ((1ull << nb) - 1) & (rng() | rng());
    strbs.push_back(st);
  }
  while (b_got < reqs.size()) {
    AxiBus& b = m.bus;
    b.aw_valid = aw_i < reqs.size();
    if (b.aw_valid) {
      b.aw_addr = reqs[aw_i].addr;
      b.aw_len = reqs[aw_i].len;
      b.aw_id = reqs[aw_i].id;
      b.aw_size = uint32_t(__builtin_ctz(nb));
      b.aw_burst = 1;
    }
    b.w_valid = w_i < reqs.size() && w_i <= aw_i;
    if (b.w_valid) {
      for (unsigned k = 0; k < nb; ++k) b.w_data[k] = wdata[w_i][w_beat * nb + k];
      b.w_strb = strbs[w_i][w_beat];
      b.w_last = w_beat == reqs[w_i].len;
    }
    b.b_ready = rng() % 3 != 0;
    b.r_ready = false;
    mem.drive(b);
    const AxiBus snap = b;  // what the model saw this cycle
    const bool aw_fire = b.aw_valid && b.aw_ready;
    const bool w_fire = b.w_valid && b.w_ready;
    const bool b_fire = b.b_valid && b.b_ready;
    if (w_fire) {
      for (unsigned k = 0; k < nb; ++k)
        if ((b.w_strb >> k) & 1) expect[reqs[w_i].addr + w_beat * nb + k] = b.w_data[k];
    }
    mem.edge(snap);
    if (aw_fire) ++aw_i;
    if (w_fire && ++w_beat > reqs[w_i].len) {
      w_beat = 0;
      ++w_i;
    }
    if (b_fire) {
      EXPECT_EQ(b.b_resp, tb::kOkay);
      ++b_got;
    }
    ASSERT_LT(m.cycles++, 200000u) << "write phase hangs";
  }
  // Read phase: all ARs issued as fast as accepted; R beats matched per ID in order.
  size_t ar_i = 0, r_bursts = 0;
  std::map<uint32_t, std::vector<std::pair<size_t, uint32_t>>> per_id;  // id -> (req, beat)
  uint64_t bad = 0, order_changes = 0;
  uint32_t last_id = ~0u;
  while (r_bursts < reqs.size()) {
    AxiBus& b = m.bus;
    b.aw_valid = b.w_valid = false;
    b.ar_valid = ar_i < reqs.size();
    if (b.ar_valid) {
      b.ar_addr = reqs[ar_i].addr;
      b.ar_len = reqs[ar_i].len;
      b.ar_id = reqs[ar_i].id;
      b.ar_size = uint32_t(__builtin_ctz(nb));
      b.ar_burst = 1;
    }
    b.r_ready = rng() % 4 != 0;
    mem.drive(b);
    const AxiBus snap = b;  // what the model saw this cycle
    if (b.ar_valid && b.ar_ready) per_id[b.ar_id].push_back({ar_i++, 0});
    if (b.r_valid && b.r_ready) {
      auto& q = per_id[b.r_id];
      ASSERT_FALSE(q.empty()) << "R beat for an ID with no burst";
      auto& [ri, beat] = q.front();
      if (b.r_id != last_id && beat == 0) ++order_changes;
      last_id = b.r_id;
      for (unsigned k = 0; k < nb; ++k) {
        const uint64_t a = reqs[ri].addr + beat * nb + k;
        const auto it = expect.find(a);
        const uint8_t want = it == expect.end() ? AxiMem::background(a) : it->second;
        bad += b.r_data[k] != want;
      }
      EXPECT_EQ(b.r_last, beat == reqs[ri].len);
      if (++beat > reqs[ri].len) {
        q.erase(q.begin());
        ++r_bursts;
      }
    }
    mem.edge(snap);
    ASSERT_LT(m.cycles++, 400000u) << "read phase hangs";
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_TRUE(mem.idle());
  mem.check_idle();
  EXPECT_EQ(mem.stats().ar, reqs.size());
  EXPECT_EQ(mem.stats().aw, reqs.size());
}

TEST(AxiMem, RoundTripAllKnobs) {
  const uint64_t s = seed();
  for (unsigned nb : {8u, 32u}) {
    AxiMemConfig cfg;
    cfg.data_bytes = nb;
    cfg.read_latency = 37;
    cfg.write_latency = 11;
    cfg.bytes_per_cycle = nb * 0.6;
    cfg.ar_stall = cfg.aw_stall = cfg.w_stall = cfg.r_stall = cfg.b_stall = 0.3;
    cfg.out_of_order = true;
    cfg.seed = s;
    write_read_roundtrip(cfg, s, 200);
  }
}

// Latency: the first R beat appears read_latency cycles after AR acceptance; bandwidth cap
// limits beats per cycle.
TEST(AxiMem, LatencyAndBandwidth) {
  for (unsigned lat : {1u, 5u, 100u}) {
    AxiMemConfig cfg;
    cfg.read_latency = lat;
    cfg.bytes_per_cycle = 4;  // half of the 8-byte bus
    AxiMem mem(cfg);
    AxiBus b;
    b.w_data.assign(8, 0);
    uint64_t t = 0, t_ar = 0, t_first = 0, t_last = 0, beats = 0;
    b.ar_valid = true;
    b.ar_addr = 0x1000;
    b.ar_len = 63;
    b.ar_size = 3;
    b.r_ready = true;
    for (; t < 2000 && beats < 64; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.ar_valid && b.ar_ready) {
        t_ar = t;
        b.ar_valid = false;
      } else if (b.r_valid) {
        if (beats == 0) t_first = t;
        t_last = t;
        ++beats;
      }
      mem.edge(snap);
    }
    ASSERT_EQ(beats, 64u);
    EXPECT_GE(t_first - t_ar, lat);
    EXPECT_LE(t_first - t_ar, lat + 2);
    const double rate = 63.0 / double(t_last - t_first);
    EXPECT_NEAR(rate, 0.5, 0.05) << "bandwidth cap of 4 B/cycle on an 8 B bus";
  }
}

// Out-of-order: with different IDs a later burst overtakes an earlier one sometimes.
TEST(AxiMem, OutOfOrderAcrossIds) {
  AxiMemConfig cfg;
  cfg.out_of_order = true;
  cfg.read_latency = 3;
  cfg.r_stall = 0.7;  // both bursts become ready while the first beat is held off
  cfg.seed = seed();
  AxiMem mem(cfg);
  AxiBus b;
  int overtakes = 0;
  for (int trial = 0; trial < 50; ++trial) {
    // Two single-beat reads, IDs 1 then 2, issued back to back.
    std::vector<uint32_t> order;
    int issued = 0;
    for (int t = 0; t < 100 && order.size() < 2; ++t) {
      b.ar_valid = issued < 2;
      b.ar_id = uint32_t(issued + 1);
      b.ar_addr = 0x2000 + 8 * uint32_t(issued);
      b.ar_len = 0;
      b.ar_size = 3;
      b.r_ready = true;
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.ar_valid && b.ar_ready) ++issued;
      if (b.r_valid && b.r_ready) order.push_back(b.r_id);
      mem.edge(snap);
    }
    ASSERT_EQ(order.size(), 2u);
    overtakes += order[0] == 2;
  }
  EXPECT_GT(overtakes, 5);
  EXPECT_LT(overtakes, 45);
}

TEST(AxiMem, ErrorInjection) {
  AxiMemConfig cfg;
  AxiMem mem(cfg);
  mem.inject_error(0x2ff8, 0x3000, tb::kDecErr);
  mem.inject_error(0x5000, 0x5100, tb::kSlvErr);
  AxiBus b;
  b.w_data.assign(8, 0xee);
  // Read of a burst touching 0x2ff8 gets DECERR on every beat.
  b.ar_valid = true;
  b.ar_addr = 0x2fe0;
  b.ar_len = 3;
  b.ar_size = 3;
  b.r_ready = true;
  int beats = 0;
  for (int t = 0; t < 100 && beats < 4; ++t) {
    mem.drive(b);
    const AxiBus snap = b;  // what the model saw this cycle
    if (b.ar_valid && b.ar_ready) b.ar_valid = false;
    if (b.r_valid) {
      EXPECT_EQ(b.r_resp, tb::kDecErr);
      ++beats;
    }
    mem.edge(snap);
  }
  EXPECT_EQ(beats, 4);
  // Write into the SLVERR range: B says SLVERR and memory is unchanged.
  const auto before = mem.read(0x5000, 16);
  b.aw_valid = true;
  b.aw_addr = 0x5000;
  b.aw_len = 1;
  b.aw_size = 3;
  b.w_strb = 0xff;
  int wb = 0;
  bool got_b = false;
  b.b_ready = true;
  for (int t = 0; t < 100 && !got_b; ++t) {
    b.w_valid = wb < 2;
    b.w_last = wb == 1;
    mem.drive(b);
    const AxiBus snap = b;  // what the model saw this cycle
    const bool w_fire = b.w_valid && b.w_ready;
    if (b.aw_valid && b.aw_ready) b.aw_valid = false;
    if (b.b_valid) {
      EXPECT_EQ(b.b_resp, tb::kSlvErr);
      got_b = true;
    }
    mem.edge(snap);
    wb += w_fire;
  }
  EXPECT_TRUE(got_b);
  EXPECT_EQ(mem.read(0x5000, 16), before);
  EXPECT_EQ(mem.stats().b_errors, 1u);
  EXPECT_EQ(mem.stats().r_error_beats, 4u);
}

// ---- The protocol checker catches broken masters.

// Runs `body` against a model; expects a ProtocolError mentioning `what`.
template <class Body>
void expect_violation(const std::string& what, Body body, double stall = 0.0) {
  AxiMemConfig cfg;
  cfg.ar_stall = cfg.aw_stall = cfg.w_stall = stall;
  AxiMem mem(cfg);
  AxiBus b;
  b.w_data.assign(8, 0);
  try {
    body(mem, b);
    mem.check_idle();
    FAIL() << "no violation reported; expected: " << what;
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    EXPECT_FALSE(mem.violations().empty());
  }
}

TEST(AxiMemChecker, Catches4KiBCrossing) {
  expect_violation("4 KiB", [](AxiMem& mem, AxiBus& b) {
    b.aw_valid = true;
    b.aw_addr = 0x1ff8;  // 2 beats of 8 bytes: 0x1ff8 and 0x2000
    b.aw_len = 1;
    b.aw_size = 3;
    for (int t = 0; t < 10; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.aw_ready) b.aw_valid = false;
      mem.edge(snap);
    }
  });
  expect_violation("4 KiB", [](AxiMem& mem, AxiBus& b) {
    b.ar_valid = true;
    b.ar_addr = 0x0f04;  // unaligned start; beat 32 (0x1000) is past the page
    b.ar_len = 32;
    b.ar_size = 3;
    for (int t = 0; t < 10; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.ar_ready) b.ar_valid = false;
      mem.edge(snap);
    }
  });
}

TEST(AxiMemChecker, CatchesEarlyAndMissingWlast) {
  for (int bad_beat : {0, 3}) {  // WLAST on beat 0 of 4, or never on beat 3
    expect_violation("WLAST", [bad_beat](AxiMem& mem, AxiBus& b) {
      b.aw_valid = true;
      b.aw_addr = 0x100;
      b.aw_len = 3;
      b.aw_size = 3;
      b.w_strb = 0xff;
      int beat = 0;
      for (int t = 0; t < 20 && beat < 4; ++t) {
        b.w_valid = true;
        b.w_last = bad_beat == 0 ? beat == 0 : false;
        mem.drive(b);
        const AxiBus snap = b;  // what the model saw this cycle
        if (b.aw_ready) b.aw_valid = false;
        const bool fire = b.w_ready;
        mem.edge(snap);
        beat += fire;
      }
    });
  }
}

TEST(AxiMemChecker, CatchesUnstablePayloadAndDroppedValid) {
  // Payload changes while AWVALID waits (the model stalls ready most cycles).
  expect_violation("payload changed", [](AxiMem& mem, AxiBus& b) {
    b.aw_addr = 0x40;
    b.aw_size = 3;
    for (int t = 0; t < 200; ++t) {
      b.aw_valid = true;
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      const bool fire = b.aw_ready;
      b.aw_addr = fire ? b.aw_addr : b.aw_addr + 8;  // broken: moves while waiting
      mem.edge(snap);
      b.aw_valid = !fire;
    }
  }, 0.9);
  expect_violation("W payload changed", [](AxiMem& mem, AxiBus& b) {
    b.w_strb = 0xff;
    b.w_last = true;
    for (int t = 0; t < 200; ++t) {
      b.w_valid = true;
      b.w_data[0] = uint8_t(t);  // broken: data changes every cycle
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      mem.edge(snap);
    }
  }, 0.9);
  expect_violation("ARVALID dropped", [](AxiMem& mem, AxiBus& b) {
    b.ar_addr = 0x80;
    b.ar_size = 3;
    for (int t = 0; t < 200; ++t) {
      b.ar_valid = t % 2 == 0;  // broken: withdraws the request
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      mem.edge(snap);
    }
  }, 0.9);
}

TEST(AxiMemChecker, CatchesLeftoverTraffic) {
  expect_violation("unfinished", [](AxiMem& mem, AxiBus& b) {
    b.aw_valid = true;  // an AW whose data never comes
    b.aw_addr = 0x200;
    b.aw_size = 3;
    for (int t = 0; t < 5; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.aw_ready) b.aw_valid = false;
      mem.edge(snap);
    }
  });
}

TEST(AxiMemChecker, CatchesBadSizeAndStrobes) {
  expect_violation("wider than the bus", [](AxiMem& mem, AxiBus& b) {
    b.ar_valid = true;
    b.ar_size = 4;  // 16 bytes on an 8-byte bus
    for (int t = 0; t < 5; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.ar_ready) b.ar_valid = false;
      mem.edge(snap);
    }
  });
  expect_violation("WSTRB", [](AxiMem& mem, AxiBus& b) {
    b.aw_valid = true;
    b.aw_addr = 0x104;  // unaligned: lanes 0..3 of the first beat are not part of it
    b.aw_size = 3;
    b.w_valid = true;
    b.w_last = true;
    b.w_strb = 0x01;
    for (int t = 0; t < 5; ++t) {
      mem.drive(b);
      const AxiBus snap = b;  // what the model saw this cycle
      if (b.aw_ready) b.aw_valid = false;
      if (b.w_ready) b.w_valid = false;
      mem.edge(snap);
    }
  });
}

}  // namespace
}  // namespace tessera::test
