// SPDX-License-Identifier: Apache-2.0
// bench_mmu: streams 64 back-to-back DIM x DIM x (K = 8*DIM) tiles through ts_mmu (each
// output tile = 8 weight tiles x DIM activation rows, weights double-buffered), checks
// every result against the golden model, and prints one JSON line per configuration.
// mode "normal": activation rows as A; mode "atrans": the same job with the activations
// streamed transposed (cfg bit 3: each weight tile's DIM rows are one group of A^T rows).
// DIM 4 and 8 always; DIM 16 when the slow models are built (-DTESSERA_SLOW_MODELS=ON).
// Usage: bench_mmu [tiles=64] [seed=1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#ifdef TS_BENCH_MMU_D16
#include "Vts_mmu_d16.h"
#endif
#include "Vts_mmu_d4.h"
#include "Vts_mmu_d8.h"
#include "mmu_driver.hpp"

namespace {

using namespace tessera;

const char* dtype_name(golden::MmuDtype dt) {
  switch (dt) {
    case golden::MmuDtype::kFp16: return "fp16";
    case golden::MmuDtype::kBf16: return "bf16";
    default: return "int8";
  }
}

template <class VTop>
void bench(int dim, golden::MmuDtype dt, bool a_trans, int out_tiles, uint64_t seed) {
  constexpr int kKSteps = 8;  // K = 8 * DIM: 8 weight tiles per output tile
  std::mt19937_64 rng(seed);
  std::vector<mmu::Tile> tiles;
  for (int t = 0; t < out_tiles * kKSteps; ++t) {
    mmu::Tile tl{golden::mmu_cfg(dt, false, a_trans), std::vector<uint16_t>(size_t(dim) * dim),
                 std::vector<uint16_t>(size_t(dim) * dim)};
    auto lane = [&]() -> uint16_t {
      if (dt == golden::MmuDtype::kInt8) return uint16_t(rng() & 0xff);
      // finite values of moderate magnitude
      if (dt == golden::MmuDtype::kBf16) return uint16_t((rng() & 0x807f) | ((110 + rng() % 30) << 7));
      return uint16_t((rng() & 0x83ff) | ((8 + rng() % 14) << 10));
    };
    for (auto& x : tl.w) x = lane();
    for (auto& x : tl.a) x = lane();
    tiles.push_back(std::move(tl));
  }
  tb::Sim<VTop> sim("bench_mmu_d" + std::to_string(dim) + (a_trans ? "_atrans" : ""),
                    uint32_t(seed));
  sim.reset();
  const auto gold = mmu::golden_rows(dim, tiles);
  const uint64_t c_start = sim.cycles();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = mmu::run_tiles(sim, dim, tiles, {}, rng, gold.size(), 0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t mismatches = r.rows.size() == gold.size() ? 0 : 1;
  for (size_t i = 0; i < std::min(r.rows.size(), gold.size()); ++i) {
    for (int n = 0; n < dim; ++n) {
      mismatches += r.rows[i].data[n] != gold[i].data[n] || r.rows[i].flags[n] != gold[i].flags[n];
    }
  }
  const uint64_t macs = uint64_t(out_tiles) * dim * dim * (uint64_t(kKSteps) * dim);
  const double util = double(macs) / (double(dim) * dim * double(r.cycles));
  // sim_cycles_per_second counts every simulated cycle (incl. the drain) over the wall
  // time of the stream loop (model + driver), single thread.
  const uint64_t sim_cycles = sim.cycles() - c_start;
  std::printf(
      "{\"bench\":\"mmu\",\"dim\":%d,\"dtype\":\"%s\",\"mode\":\"%s\",\"tiles\":%d,\"k\":%d,"
      "\"weight_tiles\":%zu,"
      "\"cycles\":%llu,\"useful_mac_cycles\":%llu,\"utilization\":%.4f,"
      "\"sim_cycles\":%llu,\"wall_s\":%.3f,\"sim_cycles_per_second\":%.0f,\"mismatches\":%llu}\n",
      dim, dtype_name(dt), a_trans ? "atrans" : "normal", out_tiles, kKSteps * dim, tiles.size(),
      (unsigned long long)r.cycles,
      (unsigned long long)(macs / (uint64_t(dim) * dim)), util, (unsigned long long)sim_cycles,
      secs, double(sim_cycles) / secs, (unsigned long long)mismatches);
  std::fflush(stdout);
  if (mismatches) std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const int tiles = argc > 1 ? std::atoi(argv[1]) : 64;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 1;
  for (bool a_trans : {false, true}) {
    for (auto dt : {golden::MmuDtype::kFp16, golden::MmuDtype::kBf16, golden::MmuDtype::kInt8}) {
      bench<Vts_mmu_d4>(4, dt, a_trans, tiles, seed);
      bench<Vts_mmu_d8>(8, dt, a_trans, tiles, seed);
#ifdef TS_BENCH_MMU_D16
      bench<Vts_mmu_d16>(16, dt, a_trans, tiles, seed);
#endif
    }
  }
  return 0;
}
