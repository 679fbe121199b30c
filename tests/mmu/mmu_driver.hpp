// SPDX-License-Identifier: Apache-2.0
// Drives ts_mmu models (any DIM) through their three streams, with optional random stalls.
#pragma once

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "sim.hpp"
#include "tessera/golden/mmu.hpp"

namespace tessera::mmu {

// One weight tile and the activation rows that use it (rows of dim lanes, >= 1 row).
struct Tile {
  uint8_t cfg;
  std::vector<uint16_t> w;
  std::vector<uint16_t> a;
};

struct Stalls {
  double w = 0, a = 0, o = 0;  // probability of an idle cycle on each stream
};

struct RunResult {
  std::vector<golden::MmuRow> rows;
  uint64_t cycles = 0;          // from the first offer to the last result
  uint64_t a_rows = 0;          // activation rows accepted
  uint8_t sticky = 0;           // flags_o at the end
  bool err = false;
  uint8_t err_code = 0;
};

// Field access on Verilator ports of any width (CData..QData or VlWide).
template <class T>
void put_field(T& p, int lsb, int w, uint32_t v) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    const U mask = U((uint64_t(1) << w) - 1);
    p = T((U(p) & ~U(mask << lsb)) | U((U(v) & mask) << lsb));
  } else if ((lsb % 32) + w <= 32) {
    uint32_t& word = p[lsb / 32];
    const uint32_t mask = (w == 32) ? ~0u : (((1u << w) - 1) << (lsb % 32));
    word = (word & ~mask) | ((v << (lsb % 32)) & mask);
  } else {
    for (int b = 0; b < w; ++b) put_field(p, lsb + b, 1, (v >> b) & 1u);
  }
}

template <class T>
uint32_t get_field(const T& p, int lsb, int w) {
  if constexpr (std::is_integral_v<T>) {
    return uint32_t((uint64_t(p) >> lsb) & ((uint64_t(1) << w) - 1));
  } else if ((lsb % 32) + w <= 32) {
    const uint64_t word = p[lsb / 32];
    return uint32_t((word >> (lsb % 32)) & ((uint64_t(1) << w) - 1));
  } else {
    uint32_t v = 0;
    for (int b = 0; b < w; ++b) v |= get_field(p, lsb + b, 1) << b;
    return v;
  }
}

// Streams `tiles` through the model: weight rows on w_*, activation rows (a_last on the
// last row of each tile) on a_*, results collected from o_*. Valid holds until accepted.
// Stops after all expected results have arrived plus `tail` quiet cycles (so extra
// results are caught); throws on timeout.
template <class VTop>
RunResult run_tiles(tb::Sim<VTop>& sim, int dim, const std::vector<Tile>& tiles, Stalls st,
                    std::mt19937_64& rng, size_t expected_rows, uint64_t tail = 64) {
  auto& t = sim.top();
  struct Row {
    const uint16_t* lanes;
    uint8_t cfg;
    bool last;
  };
  std::vector<Row> wq, aq;
  for (const Tile& tl : tiles) {
    if (tl.w.size() != size_t(dim) * dim || tl.a.empty() || tl.a.size() % dim) {
      throw std::invalid_argument("run_tiles: bad tile shape");
    }
    for (int r = 0; r < dim; ++r) wq.push_back({&tl.w[size_t(r) * dim], tl.cfg, false});
    const size_t m = tl.a.size() / dim;
    for (size_t r = 0; r < m; ++r) aq.push_back({&tl.a[r * dim], tl.cfg, r + 1 == m});
  }
  std::uniform_real_distribution<double> u(0.0, 1.0);
  RunResult res;
  t.clear_i = 0;  // inputs start random (--x-initial unique)
  size_t wi = 0, ai = 0;
  bool w_hold = false, a_hold = false;
  uint64_t quiet = 0, c0 = sim.cycles(), last_out = c0;
  const uint64_t timeout = 2000 + 100 * (wq.size() + aq.size() + expected_rows) * (1 + dim / 8);
  while (true) {
    const bool w_off = wi < wq.size() && (w_hold || u(rng) >= st.w);
    const bool a_off = ai < aq.size() && (a_hold || u(rng) >= st.a);
    const bool o_rdy = u(rng) >= st.o;
    t.w_valid_i = w_off;
    if (w_off) {
      t.w_cfg_i = wq[wi].cfg;
      for (int l = 0; l < dim; ++l) put_field(t.w_data_i, 16 * l, 16, wq[wi].lanes[l]);
    }
    t.a_valid_i = a_off;
    if (a_off) {
      t.a_last_i = aq[ai].last;
      for (int l = 0; l < dim; ++l) put_field(t.a_data_i, 16 * l, 16, aq[ai].lanes[l]);
    }
    t.o_ready_i = o_rdy;
    sim.eval();
    const bool w_fire = w_off && t.w_ready_o;
    const bool a_fire = a_off && t.a_ready_o;
    w_hold = w_off && !w_fire;
    a_hold = a_off && !a_fire;
    wi += w_fire;
    ai += a_fire;
    res.a_rows += a_fire;
    if (t.o_valid_o && o_rdy) {
      golden::MmuRow r;
      r.data.resize(dim);
      r.flags.resize(dim);
      for (int l = 0; l < dim; ++l) {
        r.data[l] = get_field(t.o_data_o, 32 * l, 32);
        r.flags[l] = uint8_t(get_field(t.o_flags_o, 5 * l, 5));
      }
      r.last = t.o_last_o;
      res.rows.push_back(std::move(r));
      last_out = sim.cycles();
    }
    sim.tick();
    const bool done = wi == wq.size() && ai == aq.size() && res.rows.size() >= expected_rows;
    if (done && ++quiet > tail) break;
    if (sim.cycles() - c0 > timeout) {
      throw tb::Timeout("run_tiles: " + std::to_string(res.rows.size()) + " of " +
                        std::to_string(expected_rows) + " results after " +
                        std::to_string(sim.cycles() - c0) + " cycles");
    }
  }
  t.w_valid_i = 0;
  t.a_valid_i = 0;
  sim.eval();
  res.cycles = last_out + 1 - c0;
  res.sticky = uint8_t(t.flags_o);
  res.err = t.err_o;
  res.err_code = uint8_t(t.err_code_o);
  return res;
}

// Expected result rows of a job: the golden model tile by tile.
inline std::vector<golden::MmuRow> golden_rows(int dim, const std::vector<Tile>& tiles) {
  std::vector<golden::MmuRow> out;
  for (const Tile& tl : tiles) {
    auto r = golden::mmu_tile(dim, tl.cfg, tl.w, tl.a);
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

}  // namespace tessera::mmu
