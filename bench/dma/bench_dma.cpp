// SPDX-License-Identifier: Apache-2.0
// bench_dma: DMA bandwidth (64 KiB DRAM->SRAM and SRAM->DRAM, 100-cycle memory latency,
// no stalls) for 64/128/256-bit data widths, and the accumulator's sustained rows per
// cycle. Prints one JSON line per measurement. Usage: bench_dma [latency]
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "Vbench_acc16.h"
#include "Vbench_dma128.h"
#include "Vbench_dma256.h"
#include "Vbench_dma64.h"
#include "axi_mem.hpp"
#include "dma_driver.hpp"
#include "sim.hpp"
#include "tessera/golden/arith.hpp"

namespace {

using namespace tessera;

constexpr uint64_t kBytes = 64 * 1024;
constexpr uint64_t kSrc = 0x100000, kDst = 0x200000;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print_line(const char* dir, unsigned bits, unsigned latency, const tb::DmaResult& r,
                uint64_t mismatches, double cps) {
  const double bpc = double(kBytes) / double(r.cycles);
  const double peak = bits / 8.0;
  std::printf(
      "{\"bench\":\"dma\",\"direction\":\"%s\",\"data_width_bits\":%u,\"bytes\":%llu,"
      "\"latency\":%u,\"cycles\":%llu,\"bytes_per_cycle\":%.3f,\"peak_bytes_per_cycle\":%.1f,"
      "\"ratio\":%.4f,\"status\":%u,\"mismatches\":%llu,\"sim_cycles_per_second\":%.0f}\n",
      dir, bits, (unsigned long long)kBytes, latency, (unsigned long long)r.cycles, bpc, peak,
      bpc / peak, r.status, (unsigned long long)mismatches, cps);
}

template <class Top>
int bench_width(unsigned bits, unsigned latency) {
  const unsigned nb = bits / 8;
  tb::Sim<Top> sim("bench_dma" + std::to_string(bits), 1);
  tb::AxiMemConfig cfg;
  cfg.data_bytes = nb;
  cfg.read_latency = cfg.write_latency = latency;
  cfg.max_reads = cfg.max_writes = 64;
  tb::DmaDriver<Top> drv(sim, cfg, 1);
  sim.reset();
  drv.set_window(0, kSrc, kSrc + kBytes - 1, true, false);
  drv.set_window(1, kDst, kDst + kBytes - 1, true, true);
  std::mt19937_64 rng(bits);
  std::vector<uint8_t> src(kBytes);
  for (auto& b : src) b = uint8_t(rng());
  drv.mem().write(kSrc, src);

  // 16 rows of 4 KiB: 64 KiB, every burst at its 4 KiB or 256-beat limit.
  tb::DmaDesc d;
  d.dram = kSrc;
  d.rows = 16;
  d.bpr = 4096;
  d.stride = 4096;
  d.sram = 0;
  auto t0 = std::chrono::steady_clock::now();
  uint64_t c0 = sim.cycles();
  const tb::DmaResult rd = drv.run(d);
  double cps = double(sim.cycles() - c0) / seconds_since(t0);
  uint64_t bad = 0;
  for (uint32_t row = 0; row < kBytes / nb; ++row) {
    const auto got = drv.sram_read(row);
    for (unsigned k = 0; k < nb; ++k) bad += got[k] != src[row * nb + k];
  }
  print_line("dram_to_sram", bits, latency, rd, bad, cps);

  d.to_dram = true;
  d.dram = kDst;
  t0 = std::chrono::steady_clock::now();
  c0 = sim.cycles();
  const tb::DmaResult wr = drv.run(d);
  cps = double(sim.cycles() - c0) / seconds_since(t0);
  drv.settle();
  const auto out = drv.mem().read(kDst, kBytes);
  bad = 0;
  for (uint64_t i = 0; i < kBytes; ++i) bad += out[i] != src[i];
  drv.mem().check_idle();
  print_line("sram_to_dram", bits, latency, wr, bad, cps);
  return (rd.status == 0 && wr.status == 0 && bad == 0) ? 0 : 1;
}

// Accumulator: FP32 accumulate-on-write every cycle into random rows (many hazards),
// checked against golden::fp32_add; rows per cycle over the whole stream.
int bench_acc() {
  constexpr unsigned kDim = 16, kDepth = 64;
  constexpr uint64_t kRows = 200000;
  tb::Sim<Vbench_acc16> sim("bench_acc", 1);
  auto& t = sim.top();
  t.w_valid_i = 0;
  t.r_valid_i = 0;
  t.flags_clr_i = 0;
  sim.reset();
  std::mt19937_64 rng(7);
  std::vector<std::array<uint32_t, kDim>> model(kDepth);
  auto rnd = [&rng]() { return uint32_t(rng() & 0xbfffffffu); };  // finite, any sign
  for (unsigned a = 0; a < kDepth; ++a) {
    t.w_valid_i = 1;
    t.w_mode_i = 0;
    t.w_addr_i = a;
    for (unsigned l = 0; l < kDim; ++l) t.w_data_i[l] = model[a][l] = rnd();
    sim.tick();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = sim.cycles();
  uint64_t accepted = 0;
  while (accepted < kRows) {
    const unsigned a = unsigned(rng() % kDepth);
    t.w_valid_i = 1;
    t.w_mode_i = 1;
    t.w_addr_i = a;
    for (unsigned l = 0; l < kDim; ++l) {
      const uint32_t x = rnd();
      t.w_data_i[l] = x;
      model[a][l] = golden::fp32_add(model[a][l], x).bits;
    }
    sim.eval();
    accepted += t.w_ready_o;
    sim.tick();
  }
  t.w_valid_i = 0;
  sim.tick(3);  // pipeline drain: the last row is written back
  const uint64_t cycles = sim.cycles() - c0;
  const double cps = double(cycles) / seconds_since(t0);
  uint64_t bad = 0;
  for (unsigned a = 0; a < kDepth; ++a) {
    t.r_valid_i = 1;
    t.r_addr_i = a;
    sim.tick();
    for (unsigned l = 0; l < kDim; ++l) bad += t.rsp_data_o[l] != model[a][l];
  }
  std::printf(
      "{\"bench\":\"acc\",\"dim\":%u,\"mode\":\"fp32\",\"rows\":%llu,\"cycles\":%llu,"
      "\"rows_per_cycle\":%.4f,\"pipeline_drain_cycles\":3,\"mismatches\":%llu,"
      "\"sim_cycles_per_second\":%.0f}\n",
      kDim, (unsigned long long)kRows, (unsigned long long)cycles,
      double(kRows) / double(cycles), (unsigned long long)bad, cps);
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned latency = argc > 1 ? unsigned(std::strtoul(argv[1], nullptr, 0)) : 100;
  int rc = 0;
  rc |= bench_width<Vbench_dma64>(64, latency);
  rc |= bench_width<Vbench_dma128>(128, latency);
  rc |= bench_width<Vbench_dma256>(256, latency);
  rc |= bench_acc();
  return rc;
}
