// SPDX-License-Identifier: Apache-2.0
// The vector unit on the whole chip: random VEC command streams and the runtime's vector
// kernels (softmax, GELU, residual add, layer norm backward, cross-entropy) on the
// simulated ts_top, bit for bit against the functional model (golden::vec_run): the
// accumulator (stored raw), the scratchpad rows VEC wrote (read back through a GEMM with
// the identity), FLAGS; under random AXI stalls and latencies, with a STORE draining one
// accumulator half while VEC reads the other.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <random>
#include <vector>

#include "chip_fixture.hpp"
#include "rt_util.hpp"
#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"

namespace tessera::systest {
namespace {

uint32_t random_fp32(std::mt19937_64& r) {
  static const uint32_t kSpecial[] = {0u,          0x80000000u, 0x7f800000u, 0xff800000u,
                                      0x7fc00000u, 0x00000001u, 0x7f7fffffu, 0xff7fffffu};
  if (r() % 16 == 0) return kSpecial[r() % 8];
  const uint32_t e = 110 + uint32_t(r() % 30);  // |x| in about [2^-17, 2^12]
  return uint32_t((r() & 0x80000000u) | (e << 23) | (r() & 0x7fffffu));
}

// A legal random VEC command within the layout of run_stream (A at 0, B at 1/4 of the
// accumulator, D in place or at the upper half, vectors near the top; SPAD D at row 0).
isa::VecCmd random_vec(std::mt19937_64& r, const ChipConfig& cfg) {
  const uint32_t D = cfg.dim, quarter = cfg.acc_rows / 4;
  isa::VecCmd c;
  const uint32_t shapes[] = {1, 3, D - 1, D, D + 1, 2 * D + 3};
  c.rows = uint16_t(shapes[r() % 6]);
  c.cols = uint16_t(shapes[r() % 6]);
  const uint32_t w = isa::ceil_div(c.cols, D);
  c.stride = uint16_t(w + r() % 2);
  c.op1 = uint8_t(r() % 6);
  c.bsrc = uint8_t(r() % 4);
  c.fn = uint8_t(r() % 6);
  c.red = uint8_t(r() % 4);
  c.racc = r() % 2;
  c.sat = r() % 2;
  c.mask = uint8_t(r() % 3);
  c.moff = int16_t(int(r() % 9) - 4);
  c.dst = uint8_t(r() % 4);
  if (c.dst == isa::vec::kNoDst && c.red == isa::vec::kNoRed) c.red = isa::vec::kRedSum;
  c.a_addr = 0;
  c.b_addr = c.bsrc == isa::vec::kMat ? quarter : 3 * quarter;
  c.d_addr = c.dst == isa::vec::kAcc ? (r() % 2 ? 0 : 2 * quarter) : 0;
  c.r_addr = 3 * quarter + 8;
  c.imm = random_fp32(r);
  return c;
}

struct StreamResult {
  std::vector<uint8_t> acc, spad;
  uint32_t flags = 0;
};

// LOAD random FP32 rows over the whole accumulator, zeros (or random FP16 values of
// magnitude 2^-5 .. 4) over the scratchpad window that VEC may write and the identity
// elsewhere in the scratchpad; then the commands; then STORE the accumulator raw and read
// the window back exactly (FP16 x 1.0 summed with zeros) through GEMM(window, identity).
StreamResult run_stream(Device& dev, const std::function<void(CommandStream&)>& emit,
                        uint64_t seed, bool random_window = false) {
  const ChipConfig& cfg = dev.config();
  const uint32_t D = cfg.dim, acc_rows = cfg.acc_rows;
  Runtime rt(dev);
  std::mt19937_64 r(seed);
  std::vector<uint32_t> init(size_t(acc_rows) * D);
  for (auto& v : init) v = random_fp32(r);
  const uint32_t sp_rows = 64, sp_cols = 4 * D;  // read-back window of the scratchpad
  const uint32_t id_n = sp_cols;                  // identity: id_n x id_n FP16
  std::vector<uint16_t> ident(size_t(id_n) * id_n, 0);
  for (uint32_t i = 0; i < id_n; ++i) ident[size_t(i) * id_n + i] = 0x3c00;  // 1.0
  const Buffer b_init = rt.alloc(init.size() * 4), b_id = rt.alloc(ident.size() * 2),
               b_acc = rt.alloc(init.size() * 4), b_sp = rt.alloc(size_t(sp_rows) * sp_cols * 4);
  rt.write(b_init, init.data(), init.size() * 4);
  rt.write(b_id, ident.data(), ident.size() * 2);
  CommandStream s(cfg);
  isa::LoadCmd la;
  la.to_acc = true;
  la.dram_addr = b_init.addr;
  la.stride = D * 4;
  la.rows = uint16_t(acc_rows);
  la.bytes = uint16_t(D * 4);
  s.load(la);
  // The scratchpad read-back window starts as zeros (its power-on contents are random and
  // differ between the chip and the model).
  const uint32_t sp_w = isa::ceil_div(sp_cols, D);
  std::vector<uint8_t> zeros(size_t(sp_rows) * sp_cols * 2, 0);
  if (random_window) {
    for (size_t i = 0; i < zeros.size(); i += 2) {  // sign, exponent 2^-5 .. 2^1, mantissa
      const uint16_t h = uint16_t((r() % 2) << 15 | (10 + r() % 7) << 10 | (r() & 0x3ff));
      std::memcpy(&zeros[i], &h, 2);
    }
  }
  const Buffer b_zero = rt.alloc(zeros.size());
  rt.write(b_zero, zeros.data(), zeros.size());
  isa::LoadCmd lz;
  lz.dram_addr = b_zero.addr;
  lz.stride = sp_cols * 2;
  lz.rows = uint16_t(sp_rows);
  lz.bytes = uint16_t(sp_cols * 2);
  lz.sram_addr = 0;
  s.load(lz);
  isa::LoadCmd li;
  li.dram_addr = b_id.addr;
  li.stride = id_n * 2;
  li.rows = uint16_t(id_n);
  li.bytes = uint16_t(id_n * 2);
  li.sram_addr = cfg.spad_rows / 2;  // identity, K x N with N = id_n
  s.load(li);
  emit(s);
  isa::StoreCmd st;
  st.dram_addr = b_acc.addr;
  st.stride = D * 4;
  st.rows = uint16_t(acc_rows);
  st.cols = uint16_t(D);
  st.acc_addr = 0;
  s.store(st);
  isa::GemmCmd g;  // C = spad[0 .. sp_rows) (as FP16, sp_cols wide) x I
  g.dtype = isa::Dtype::kFp16;
  g.m = uint16_t(sp_rows);
  g.n = uint16_t(sp_cols);
  g.k = uint16_t(sp_cols);
  g.a_addr = 0;
  g.a_stride = uint16_t(sp_w);
  g.b_addr = cfg.spad_rows / 2;
  g.b_stride = uint16_t(sp_w);
  g.c_addr = 0;
  g.c_stride = uint16_t(sp_w);
  s.gemm(g);
  isa::StoreCmd sg;
  sg.dram_addr = b_sp.addr;
  sg.stride = sp_cols * 4;
  sg.rows = uint16_t(sp_rows);
  sg.cols = uint16_t(sp_cols);
  sg.acc_addr = 0;
  s.store(sg);
  StreamResult out;
  out.flags = rt.run(s).flags;
  out.acc = rt.read(b_acc);
  out.spad = rt.read(b_sp);
  return out;
}

void compare(const StreamResult& chip, const StreamResult& func) {
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < chip.acc.size(); ++i) {
    if (chip.acc[i] != func.acc[i] && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0u) << "accumulator differs, first at row " << first / 4;
  bad = 0;
  for (size_t i = 0; i < chip.spad.size(); ++i) {
    if (chip.spad[i] != func.spad[i] && bad++ == 0) first = i;
  }
  EXPECT_EQ(bad, 0u) << "scratchpad read-back differs, first at byte " << first;
  EXPECT_EQ(chip.flags, func.flags) << "FLAGS chip vs functional model";
}

// Runs emit's commands inside run_stream on the simulated chip (random AXI stalls and
// latencies from seed) and on the functional model, and compares what they leave. On a
// difference it lists the commands and returns false.
bool same_as_model(const char* config, uint64_t seed,
                   const std::function<void(CommandStream&)>& emit, bool random_window) {
  const ChipConfig& cfg = find_config(config);
  const std::unique_ptr<Device> chip = make_sim(config, random_bus_options(seed));
  const StreamResult got = run_stream(*chip, emit, seed, random_window);
  FuncDevice func(cfg, test::func_options(seed));
  const StreamResult want = run_stream(func, emit, seed, random_window);
  compare(got, want);
  if (!::testing::Test::HasFailure()) return true;
  CommandStream listing(cfg);
  emit(listing);
  for (const isa::Words& w : listing.words()) std::cout << "  " << isa::describe(w) << "\n";
  return false;
}

void random_streams(const char* config, int streams, int per_stream) {
  const uint64_t s0 = test::seed();
  for (int i = 0; i < streams; ++i) {
    const uint64_t seed = s0 + uint64_t(i);
    std::mt19937_64 r(seed);
    const ChipConfig& cfg = find_config(config);
    std::vector<isa::VecCmd> cmds;
    for (int k = 0; k < per_stream; ++k) cmds.push_back(random_vec(r, cfg));
    SCOPED_TRACE("stream seed " + std::to_string(seed));
    auto emit = [&](CommandStream& s) {
      for (const isa::VecCmd& c : cmds) s.vec(c);
    };
    if (!same_as_model(config, seed, emit, false)) return;
  }
}

TEST(ChipVec, RandomCommandsTiny) { random_streams("tiny", 6, 12); }
TEST(ChipVec, RandomCommandsDefault) { random_streams("default", 2, 12); }

// A random GEMM over the scratchpad window and the accumulator: operands and result at
// a few bases, so that the VEC commands after it sometimes touch its rows and sometimes
// not (docs/isa.md "Overlap in the execute queue").
isa::GemmCmd random_gemm(std::mt19937_64& r, const ChipConfig& cfg) {
  const uint32_t D = cfg.dim, quarter = cfg.acc_rows / 4;
  const uint32_t shapes[] = {1, 3, D - 1, D, D + 1, 2 * D + 3};
  const uint32_t sp_bases[] = {0, 48, 96};
  isa::GemmCmd g;
  g.dtype = r() % 2 ? isa::Dtype::kFp16 : isa::Dtype::kBf16;
  g.m = uint16_t(shapes[r() % 6]);
  g.n = uint16_t(shapes[r() % 6]);
  g.k = uint16_t(shapes[r() % 6]);
  g.a_addr = sp_bases[r() % 3];
  g.a_stride = uint16_t(isa::ceil_div(g.k, D));
  g.b_addr = sp_bases[r() % 3];
  g.b_stride = uint16_t(isa::ceil_div(g.n, D));
  g.c_addr = quarter * uint32_t(r() % 3);
  g.c_stride = uint16_t(isa::ceil_div(g.n, D));
  g.accumulate = r() % 2;
  return g;
}

// GEMMs with VEC commands behind them that may run beside them: the chip must wait
// exactly where a VEC touches the GEMM's rows, and the shared SRAM ports must lose
// nothing. Accumulator, scratchpad window and FLAGS as the functional model.
void mixed_streams(const char* config, int streams, int per_stream) {
  const uint64_t s0 = test::seed();
  const ChipConfig& cfg = find_config(config);
  const uint32_t quarter = cfg.acc_rows / 4;
  const uint32_t vec_d_sp[] = {0, 48, 96};
  for (int i = 0; i < streams; ++i) {
    const uint64_t seed = s0 + uint64_t(i);
    std::mt19937_64 r(seed);
    std::vector<isa::GemmCmd> gemms;
    std::vector<isa::VecCmd> vecs;
    for (int k = 0; k < per_stream; ++k) {
      gemms.push_back(random_gemm(r, cfg));
      isa::VecCmd v = random_vec(r, cfg);
      v.a_addr = quarter * uint32_t(r() % 3);
      if (v.dst == isa::vec::kSpadFp16 || v.dst == isa::vec::kSpadBf16) {
        v.d_addr = vec_d_sp[r() % 3];
      }
      vecs.push_back(v);
    }
    SCOPED_TRACE("mixed stream seed " + std::to_string(seed));
    auto emit = [&](CommandStream& s) {
      for (int k = 0; k < per_stream; ++k) {
        s.gemm(gemms[size_t(k)]);
        s.vec(vecs[size_t(k)]);
      }
    };
    if (!same_as_model(config, seed, emit, true)) return;
  }
}

TEST(ChipVec, BesideGemmTiny) { mixed_streams("tiny", 8, 10); }
TEST(ChipVec, BesideGemmDefault) { mixed_streams("default", 2, 10); }

// The GEMM of the overlap tests on tiny: m x n x n with n = 4 Dim (w = 4 rows per matrix
// row) on whatever the scratchpad holds; A spad [0, m w), B spad [m w, m w + n w),
// C acc [0, m w).
constexpr uint32_t kOverlapM = 24;
isa::GemmCmd overlap_gemm(const ChipConfig& cfg) {
  const uint32_t n = 4 * cfg.dim, w = 4;
  isa::GemmCmd g;
  g.m = uint16_t(kOverlapM);
  g.n = g.k = uint16_t(n);
  g.a_stride = g.b_stride = g.c_stride = uint16_t(w);
  g.b_addr = kOverlapM * w;
  return g;
}

// Simulated cycles of emit's commands alone on a fresh tiny chip (exact, no stalls).
uint64_t tiny_cycles(const std::function<void(CommandStream&)>& emit) {
  const std::unique_ptr<Device> chip = make_sim("tiny", DeviceOptions{});
  Runtime rt(*chip);
  CommandStream s(chip->config());
  emit(s);
  return rt.run(s).cycles;
}

// Each way a VEC can touch a GEMM's rows, right behind it: it must wait for the GEMM (or
// the result differs from the functional model, which runs them one after the other).
TEST(ChipVec, BesideGemmHazards) {
  const ChipConfig& cfg = find_config("tiny");
  const uint32_t D = cfg.dim, m = kOverlapM, n = 4 * D, w = n / D, half = cfg.acc_rows / 2;
  const isa::GemmCmd g = overlap_gemm(cfg);
  struct Case {
    const char* what;
    uint32_t a, d;
    uint8_t dst, red;
    uint32_t r;
    bool tail;
  };
  const Case cases[] = {
      {"VEC reads C", m * w / 2, half, isa::vec::kAcc, isa::vec::kNoRed, 0, true},
      {"VEC writes C", half, m * w / 2, isa::vec::kAcc, isa::vec::kNoRed, 0, true},
      {"VEC reduces into C", half, 0, isa::vec::kNoDst, isa::vec::kRedSum, m * w - 1, true},
      {"VEC writes A", half, m * w / 2, isa::vec::kSpadFp16, isa::vec::kNoRed, 0, true},
      {"VEC writes B", half, m * w + n * w / 2, isa::vec::kSpadBf16, isa::vec::kNoRed, 0, true},
      // Other rows, but v is the last execute command: it pushes the token the final STORE
      // of the accumulator waits for, and that STORE must not start before the GEMM ends.
      {"VEC pushes a token", half, half + 32, isa::vec::kAcc, isa::vec::kNoRed, 0, false},
  };
  const uint64_t seed = test::seed();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    isa::VecCmd v;  // 8 x n, D = A (pass)
    v.rows = 8;
    v.cols = uint16_t(n);
    v.stride = uint16_t(w);
    v.a_addr = c.a;
    v.d_addr = c.d;
    v.dst = c.dst;
    v.red = c.red;
    v.r_addr = c.r;
    isa::VecCmd tail;  // a last small VEC carries the token that orders the initial
    tail.rows = 1;     // accumulator LOAD before the final STORE, so that v pushes none
    tail.cols = uint16_t(D);
    tail.stride = 1;
    tail.a_addr = half + 100;
    tail.dst = isa::vec::kNoDst;
    tail.red = isa::vec::kRedSum;
    tail.r_addr = half + 120;
    auto emit = [&](CommandStream& s) {
      s.gemm(g);
      s.vec(v);
      if (c.tail) s.vec(tail);
    };
    same_as_model("tiny", seed, emit, true);
  }
}

// The overlap happens: a VEC on rows the GEMM does not touch finishes under it, one that
// reads the GEMM's result waits for it. Simulated cycles are exact.
TEST(ChipVec, BesideGemmOverlaps) {
  const ChipConfig& cfg = find_config("tiny");
  const uint32_t D = cfg.dim, m = kOverlapM, n = 4 * D, w = n / D, half = cfg.acc_rows / 2;
  auto cycles = [&](uint32_t vec_a) {
    isa::VecCmd v;  // D = A (pass), m x n, in place
    v.rows = uint16_t(m);
    v.cols = uint16_t(n);
    v.stride = uint16_t(w);
    v.a_addr = v.d_addr = vec_a;
    v.dst = isa::vec::kAcc;
    return tiny_cycles([&](CommandStream& s) {
      s.gemm(overlap_gemm(cfg));  // C[0 .. m w) = A B
      s.vec(v);
    });
  };
  const uint64_t beside = cycles(half), after = cycles(0);
  std::cout << "[ cycles   ] GEMM then VEC: on other rows " << beside << ", on its result "
            << after << std::endl;
  // The pass reads m * w rows after its latency; at least half of that is hidden.
  EXPECT_LT(beside + m * w / 2, after);
}

// GEMMs back to back (docs/isa.md "Overlap in the execute queue": the execute unit takes
// the next GEMM while the previous one drains): random data types (so the tile
// configuration changes between neighbours), transposes and accumulation, C blocks that
// overlap so that a GEMM accumulates onto rows its predecessor has just written.
// Accumulator, scratchpad window and FLAGS as the functional model, which runs them one
// after the other.
void gemm_streams(const char* config, int streams, int per_stream) {
  const uint64_t s0 = test::seed();
  const ChipConfig& cfg = find_config(config);
  const uint32_t D = cfg.dim;
  const isa::Dtype dtypes[] = {isa::Dtype::kFp16, isa::Dtype::kBf16, isa::Dtype::kInt8};
  for (int i = 0; i < streams; ++i) {
    const uint64_t seed = s0 + uint64_t(i);
    std::mt19937_64 r(seed);
    std::vector<isa::GemmCmd> gemms;
    for (int k = 0; k < per_stream; ++k) {
      isa::GemmCmd g = random_gemm(r, cfg);
      g.dtype = dtypes[r() % 3];
      g.a_trans = r() % 4 == 0;  // A stored K x M
      g.b_trans = r() % 4 == 0;  // B stored N x K
      g.a_stride = uint16_t(isa::ceil_div(g.a_trans ? g.m : g.k, D));
      g.b_stride = uint16_t(isa::ceil_div(g.b_trans ? g.k : g.n, D));
      g.c_addr = uint32_t(r() % 3) * (cfg.acc_rows / 4) + uint32_t(r() % 2) * D;
      gemms.push_back(g);
    }
    SCOPED_TRACE("GEMM stream seed " + std::to_string(seed));
    auto emit = [&](CommandStream& s) {
      for (const isa::GemmCmd& g : gemms) s.gemm(g);
    };
    if (!same_as_model(config, seed, emit, true)) return;
  }
}

TEST(ChipVec, BackToBackGemmsTiny) { gemm_streams("tiny", 8, 12); }
TEST(ChipVec, BackToBackGemmsDefault) { gemm_streams("default", 2, 12); }

// The overlap happens: a second identical GEMM right behind the first costs its array
// cycles and at most a few more; the first one's drain (2 Dim + 1 cycles through the
// array) and the second one's first weight tile (Dim rows) are hidden. Simulated cycles
// are exact.
TEST(ChipVec, BackToBackGemmsOverlap) {
  const ChipConfig& cfg = find_config("tiny");
  const uint32_t D = cfg.dim, m = kOverlapM, w = 4;
  auto cycles = [&](int count) {
    return tiny_cycles([&](CommandStream& s) {
      for (int i = 0; i < count; ++i) s.gemm(overlap_gemm(cfg));
    });
  };
  const uint64_t one = cycles(1), two = cycles(2), array = uint64_t(m) * w * w;
  std::cout << "[ cycles   ] one GEMM " << one << ", two back to back " << two
            << ", array rows of one " << array << std::endl;
  EXPECT_GE(two - one, array);
  EXPECT_LE(two - one, array + D / 2);
}

// The byte images a run leaves (its outputs, read back) and its counters, on the chip and
// on the functional model: equal bytes, FLAGS and the fetch / traffic PERF counters.
void expect_same_run(const char* config, const char* what, uint64_t seed,
                     const std::function<std::vector<uint8_t>(Runtime&, RunStats*)>& go) {
  SCOPED_TRACE(std::string(config) + " " + what);
  const ChipConfig& cfg = find_config(config);
  const std::unique_ptr<Device> chip = make_sim(config, random_bus_options(seed));
  FuncDevice func(cfg, test::func_options(seed));
  Runtime rc(*chip), rf(func);
  RunStats sc, sf;
  const std::vector<uint8_t> bc = go(rc, &sc), bf = go(rf, &sf);
  EXPECT_EQ(bc, bf) << what << " output differs";
  EXPECT_EQ(sc.flags, sf.flags);
  for (uint32_t k : {isa::kPerfFetched, isa::kPerfBytesRead, isa::kPerfBytesWritten}) {
    EXPECT_EQ(sc.perf[k], sf.perf[k]) << "PERF[" << k << "]";
  }
  std::cout << "[ cycles   ] " << config << " " << what << ": " << sc.cycles << " simulated, "
            << sc.commands << " commands" << std::endl;
}

// Runtime::softmax over several accumulator blocks (the STORE of one half runs while VEC
// works on the other), causal, FP16 output: memory, FLAGS and exact PERF as the model.
TEST(ChipVec, SoftmaxMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  for (const char* config : {"tiny", "default"}) {
    const ChipConfig& cfg = find_config(config);
    const uint32_t cols = 3 * cfg.dim + 5, rows = (cfg.acc_rows / 2) / 4 * 3 / 4 + 3;
    std::mt19937_64 r(seed);
    std::vector<float> x(size_t(rows) * cols);
    std::normal_distribution<float> nd(0.0f, 6.0f);
    for (auto& v : x) v = nd(r);
    expect_same_run(config, "softmax", seed, [&](Runtime& rt, RunStats* st) {
      const Buffer bx = rt.alloc(x.size() * 4), by = rt.alloc(x.size() * 2);
      rt.write(bx, x.data(), x.size() * 4);
      SoftmaxArgs a;
      a.rows = rows;
      a.cols = cols;
      a.x = bx;
      a.y = by;
      a.out = isa::StoreFormat::kFp16;
      a.scale = 0.25f;
      a.causal = true;
      *st = rt.softmax(a);
      return rt.read(by);
    });
  }
}

std::vector<float> normal_floats(uint64_t seed, size_t n, float mean, float sd) {
  std::mt19937_64 r(seed);
  std::normal_distribution<float> nd(mean, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = nd(r);
  return v;
}

Buffer put_floats(Runtime& rt, const std::vector<float>& v) {
  const Buffer b = rt.alloc(v.size() * 4);
  rt.write(b, v.data(), v.size() * 4);
  return b;
}

// Appends the bytes of buffer b to out.
void append(Runtime& rt, const Buffer& b, size_t bytes, std::vector<uint8_t>& out) {
  std::vector<uint8_t> v(bytes);
  rt.read(b, v.data(), bytes);
  out.insert(out.end(), v.begin(), v.end());
}

// GELU forward (FP32 and BF16 outputs) and backward (two elementwise blocks on tiny), with
// x spread past the clamp and exp's overflow (and +-Inf, NaN) on the chip as on the model.
TEST(ChipVec, GeluMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  for (const char* config : {"tiny", "default"}) {
    const ChipConfig& cfg = find_config(config);
    const uint32_t rows = 20, cols = 3 * cfg.dim + 5;
    const size_t n = size_t(rows) * cols;
    std::vector<float> x = normal_floats(seed, n, 0.0f, 8.0f);
    x[0] = std::numeric_limits<float>::infinity();
    x[1] = -std::numeric_limits<float>::infinity();
    x[2] = std::numeric_limits<float>::quiet_NaN();
    x[3] = -30.0f;
    const std::vector<float> dy = normal_floats(seed + 1, n, 0.0f, 1.0f);
    for (isa::StoreFormat f : {isa::StoreFormat::kRaw, isa::StoreFormat::kBf16}) {
      expect_same_run(config, "gelu", seed, [&](Runtime& rt, RunStats* st) {
        const Buffer bx = put_floats(rt, x), by = rt.alloc(n * 4);
        GeluArgs a;
        a.rows = rows;
        a.cols = cols;
        a.x = bx;
        a.y = by;
        a.out = f;
        *st = rt.gelu(a);
        std::vector<uint8_t> out;
        append(rt, by, n * isa::format_bytes(f), out);
        return out;
      });
    }
    expect_same_run(config, "gelu_backward", seed, [&](Runtime& rt, RunStats* st) {
      const Buffer bx = put_floats(rt, x), bdy = put_floats(rt, dy), bdx = rt.alloc(n * 4);
      GeluBackwardArgs a;
      a.rows = rows;
      a.cols = cols;
      a.x = bx;
      a.dy = bdy;
      a.dx = bdx;
      *st = rt.gelu_backward(a);
      std::vector<uint8_t> out;
      append(rt, bdx, n * 4, out);
      return out;
    });
  }
}

TEST(ChipVec, ResidualAddMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  for (const char* config : {"tiny", "default"}) {
    const ChipConfig& cfg = find_config(config);
    const uint32_t rows = 7, cols = 2 * cfg.dim + 3;
    const size_t n = size_t(rows) * cols;
    const std::vector<float> x = normal_floats(seed, n, 0.0f, 50.0f);
    const std::vector<float> r = normal_floats(seed + 1, n, 0.0f, 50.0f);
    expect_same_run(config, "residual_add", seed, [&](Runtime& rt, RunStats* st) {
      const Buffer bx = put_floats(rt, x), br = put_floats(rt, r), by = rt.alloc(n * 2);
      ResidualAddArgs a;
      a.rows = rows;
      a.cols = cols;
      a.x = bx;
      a.r = br;
      a.y = by;
      a.out = isa::StoreFormat::kFp16;
      *st = rt.residual_add(a);
      std::vector<uint8_t> out;
      append(rt, by, n * 2, out);
      return out;
    });
  }
}

// Layer norm forward then backward (two row blocks on tiny: the dgamma / dbeta row sums by
// halving and their fold across blocks): dx, dgamma, dbeta.
TEST(ChipVec, LayerNormBackwardMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  for (const char* config : {"tiny", "default"}) {
    const ChipConfig& cfg = find_config(config);
    const uint32_t rows = 9, cols = 2 * cfg.dim + 1;
    const size_t n = size_t(rows) * cols;
    const std::vector<float> x = normal_floats(seed, n, 0.5f, 3.0f);
    const std::vector<float> dy = normal_floats(seed + 1, n, 0.0f, 1.0f);
    const std::vector<float> gamma = normal_floats(seed + 2, cols, 1.0f, 0.5f);
    const std::vector<float> beta(cols, 0.0f);
    expect_same_run(config, "layernorm_backward", seed, [&](Runtime& rt, RunStats* st) {
      const Buffer bx = put_floats(rt, x), bdy = put_floats(rt, dy), bg = put_floats(rt, gamma),
                   bb = put_floats(rt, beta), by = rt.alloc(n * 4), bm = rt.alloc(rows * 4),
                   brs = rt.alloc(rows * 4), bdx = rt.alloc(n * 4), bdg = rt.alloc(cols * 4),
                   bdb = rt.alloc(cols * 4);
      LayerNormArgs f;
      f.rows = rows;
      f.cols = cols;
      f.x = bx;
      f.gamma = bg;
      f.beta = bb;
      f.y = by;
      f.mean = bm;
      f.rstd = brs;
      rt.layernorm(f);
      LayerNormBackwardArgs a;
      a.rows = rows;
      a.cols = cols;
      a.x = bx;
      a.gamma = bg;
      a.mean = bm;
      a.rstd = brs;
      a.dy = bdy;
      a.dx = bdx;
      a.dgamma = bdg;
      a.dbeta = bdb;
      *st = rt.layernorm_backward(a);
      std::vector<uint8_t> out;
      append(rt, bdx, n * 4, out);
      append(rt, bdg, cols * 4, out);
      append(rt, bdb, cols * 4, out);
      return out;
    });
  }
}

// Cross-entropy forward (per-row loss and mean, from the chip's row max and sum) and
// backward (the one-hot rows, the ignored rows zeroed), with +Inf and NaN rows.
TEST(ChipVec, CrossEntropyMatchesFunctionalModel) {
  const uint64_t seed = test::seed();
  for (const char* config : {"tiny", "default"}) {
    const ChipConfig& cfg = find_config(config);
    const uint32_t rows = 6, cols = 2 * cfg.dim + 3;
    std::vector<float> z = normal_floats(seed, size_t(rows) * cols, 0.0f, 4.0f);
    z[cols + 1] = std::numeric_limits<float>::infinity();
    z[3 * cols + 2] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<int64_t> labels = {0, 1, -100, 2, int64_t(cols) - 1, -100};
    expect_same_run(config, "softmax_cross_entropy", seed, [&](Runtime& rt, RunStats* st) {
      const Buffer bz = put_floats(rt, z);
      CrossEntropyArgs a;
      a.rows = rows;
      a.cols = cols;
      a.logits = bz;
      a.labels = labels;
      const CrossEntropyResult res = rt.softmax_cross_entropy(a);
      *st = res.stats;
      std::vector<uint8_t> out(res.loss.size() * 4 + 4);
      std::memcpy(out.data(), res.loss.data(), res.loss.size() * 4);
      std::memcpy(out.data() + res.loss.size() * 4, &res.mean, 4);
      return out;
    });
    expect_same_run(config, "softmax_cross_entropy_backward", seed,
                    [&](Runtime& rt, RunStats* st) {
                      const Buffer bz = put_floats(rt, z), bd = rt.alloc(z.size() * 4);
                      CrossEntropyArgs a;
                      a.rows = rows;
                      a.cols = cols;
                      a.logits = bz;
                      a.labels = labels;
                      a.dloss = 0.5f;
                      a.dlogits = bd;
                      *st = rt.softmax_cross_entropy_backward(a);
                      std::vector<uint8_t> out;
                      append(rt, bd, z.size() * 4, out);
                      return out;
                    });
  }
}

}  // namespace
}  // namespace tessera::systest
