// SPDX-License-Identifier: Apache-2.0
// ts_int8_mac (exhaustive operand pairs) and ts_int_requant (TFLite requantisation).
#include "Vts_int8_mac.h"
#include "Vts_int_requant.h"
#include "harness.hpp"
#include "test_util.hpp"

namespace tessera::test {
namespace {

struct MacIn {
  int8_t a, b;
  int32_t acc;
};

struct Mac {
  using Top = Vts_int8_mac;
  using In = MacIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 8;
  static void drive(Top& t, const In& in) {
    t.a_i = uint8_t(in.a);
    t.b_i = uint8_t(in.b);
    t.acc_i = uint32_t(in.acc);
  }
  static Out read(const Top& t) { return {t.acc_o, 0}; }
  static Out golden(const In& in) { return {uint32_t(golden::int8_mac(in.a, in.b, in.acc)), 0}; }
  static Out reference(const In& in) { return {uint32_t(ref::int8_mac(in.a, in.b, in.acc)), 0}; }
  static bool is_nan(uint32_t) { return false; }
  static uint32_t qnan() { return 0; }
  static std::string show(const In& in) {
    return std::to_string(in.a) + " * " + std::to_string(in.b) + " + " + std::to_string(in.acc);
  }
};

struct ReqIn {
  int32_t x, mult;
  int shift;
  int32_t zp;
  int8_t lo, hi;
};

struct Requant {
  using Top = Vts_int_requant;
  using In = ReqIn;
  static constexpr bool kIterative = false;
  static constexpr int kDigits = 2;
  static void drive(Top& t, const In& in) {
    t.x_i = uint32_t(in.x);
    t.mult_i = uint32_t(in.mult);
    t.shift_i = uint8_t(in.shift) & 0x3f;
    t.zero_point_i = uint32_t(in.zp);
    t.act_min_i = uint8_t(in.lo);
    t.act_max_i = uint8_t(in.hi);
  }
  static Out read(const Top& t) { return {t.q_o, static_cast<uint8_t>(t.err_o)}; }
  static Out golden(const In& in) {
    auto r = golden::int_requant(in.x, in.mult, in.shift, in.zp, in.lo, in.hi);
    return {uint32_t(uint8_t(r.q)), uint8_t(r.err)};
  }
  static Out reference(const In& in) {
    return ref::int_requant(in.x, in.mult, in.shift, in.zp, in.lo, in.hi);
  }
  static bool is_nan(uint32_t) { return false; }
  static uint32_t qnan() { return 0; }
  static std::string show(const In& in) {
    return "x=" + std::to_string(in.x) + " m=" + std::to_string(in.mult) +
           " s=" + std::to_string(in.shift) + " zp=" + std::to_string(in.zp) + " [" +
           std::to_string(in.lo) + "," + std::to_string(in.hi) + "]";
  }
};

TEST(Int8Mac, AllOperandPairs) {
  // All 65,536 int8 pairs, each against accumulators at the int32 wrap edges.
  tb::Sim<Vts_int8_mac> sim(test_name());
  sim.reset();
  std::vector<MacIn> in;
  for (int a = -128; a < 128; ++a)
    for (int b = -128; b < 128; ++b)
      for (int32_t acc : {0, -1, INT32_MAX, INT32_MIN, INT32_MAX - 16383, 12345})
        in.push_back({int8_t(a), int8_t(b), acc});
  std::mt19937_64 rng(10);
  Stats st;
  check_stream<Mac>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(Int8Mac, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_int8_mac> sim(test_name(), uint32_t(seed));
  sim.reset();
  auto gen = [](std::mt19937_64& rng) {
    return MacIn{int8_t(rng()), int8_t(rng()), int32_t(uint32_t(rng()))};
  };
  expect_clean(check_random<Mac>(sim, n, seed, gen), n);
}

// TFLite-style multipliers in [2^30, 2^31), shifts in the legal range, zero points and
// clamp ranges as a real model would use them; plus raw random operands.
ReqIn random_requant(std::mt19937_64& rng) {
  ReqIn in;
  in.x = int32_t(uint32_t(rng()));
  if (rng() % 2) in.x >>= rng() % 31;  // accumulator magnitudes of every size
  in.mult = (rng() % 8) ? int32_t((1u << 30) + (uint32_t(rng()) & 0x3fffffffu))
                        : int32_t(uint32_t(rng()));
  in.shift = int(rng() % 40) - 33;  // mostly right shifts, a few left, some illegal
  if (rng() % 8 == 0) in.shift = int(rng() % 32);
  in.zp = (rng() % 8) ? int32_t(rng() % 256) - 128 : int32_t(uint32_t(rng()));
  int lo = int(rng() % 256) - 128, hi = int(rng() % 256) - 128;
  if (rng() % 2) {
    lo = -128;
    hi = 127;
  }
  if (lo > hi && rng() % 2) std::swap(lo, hi);
  in.lo = int8_t(lo);
  in.hi = int8_t(hi);
  return in;
}

TEST(IntRequant, EdgeCases) {
  tb::Sim<Vts_int_requant> sim(test_name());
  sim.reset();
  std::vector<ReqIn> in;
  const int32_t xs[] = {0, 1, -1, 2, -2, 3, -3, 127, -128, 1 << 30, -(1 << 30), INT32_MAX,
                        INT32_MIN, INT32_MIN + 1, 0x40000000, 0x3fffffff};
  const int32_t ms[] = {0, 1, INT32_MAX, INT32_MIN, 1 << 30, (1 << 30) + 1, 0x7fff0000, -1};
  for (int32_t x : xs)
    for (int32_t m : ms)
      for (int s = -32; s <= 31; ++s)
        for (int32_t zp : {0, -128, 127, INT32_MAX})
          in.push_back({x, m, s, zp, int8_t(-128), int8_t(127)});
  // Exact ties of the rounding divide: x = (2k+1) * 2^(rs-1) with multiplier 2^31-1.
  for (int rs = 1; rs <= 31; ++rs)
    for (int k = -4; k <= 4; ++k) {
      int64_t x = (2 * int64_t(k) + 1) << (rs - 1);
      if (x >= INT32_MIN && x <= INT32_MAX) in.push_back({int32_t(x), INT32_MIN, -rs, 0, -128, 127});
    }
  std::mt19937_64 rng(11);
  Stats st;
  check_stream<Requant>(sim, in, 0.0, rng, &st);
  expect_clean(st, in.size());
}

TEST(IntRequant, PerChannel) {
  // 64 output channels, each with its own multiplier and shift (as the MMU's
  // per-channel requantisation streams them), checked over random accumulators.
  const uint64_t seed = test::seed();
  std::mt19937_64 rng(seed);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  std::vector<std::pair<int32_t, int>> chan(64);
  for (auto& c : chan) c = {int32_t((1u << 30) + (uint32_t(rng()) & 0x3fffffffu)), -int(rng() % 20)};
  std::vector<ReqIn> in;
  for (int row = 0; row < 2000; ++row)
    for (int c = 0; c < 64; ++c)
      in.push_back({int32_t(uint32_t(rng())) >> (rng() % 24), chan[c].first, chan[c].second, 3,
                    int8_t(-128), int8_t(127)});
  Stats st;
  check_stream<Requant>(sim, in, 0.1, rng, &st);
  expect_clean(st, in.size());
}

TEST(IntRequant, Random) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(1000000);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Requant>(sim, n, seed, random_requant), n);
}

TEST(IntRequantSlow, Random1e8) {
  const uint64_t seed = test::seed();
  const uint64_t n = vectors(100000000);
  tb::Sim<Vts_int_requant> sim(test_name(), uint32_t(seed));
  sim.reset();
  expect_clean(check_random<Requant>(sim, n, seed, random_requant), n);
}

}  // namespace
}  // namespace tessera::test
