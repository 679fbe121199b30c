// SPDX-License-Identifier: Apache-2.0
// Driver and C++ layout models for ts_lsu_tb_top (ts_load + ts_store + scratchpad +
// accumulator): commands, completions, backdoor access, background traffic, AXI memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "axi_mem.hpp"
#include "axi_port.hpp"
#include "sim.hpp"
#include "tessera/golden/arith.hpp"

namespace tessera::test {

struct LoadCmd {
  bool acc = false, expand8 = false;
  uint64_t dram = 0, stride = 0;
  uint32_t rows = 1, bytes = 2, sram = 0;
  unsigned elem() const { return acc ? 4 : expand8 ? 1 : 2; }
  // SRAM rows per host row.
  uint32_t n(unsigned dim) const { return (bytes / elem() + dim - 1) / dim; }
  std::string show() const {
    std::ostringstream os;
    os << "LOAD " << (acc ? "acc" : expand8 ? "spad/expand8" : "spad") << std::hex
       << " dram=0x" << dram << std::dec << " rows=" << rows << " bytes=" << bytes
       << " stride=" << stride << " sram=" << sram;
    return os.str();
  }
};

enum StoreFmt : uint32_t { kRaw = 0, kFp16 = 1, kBf16 = 2, kInt8 = 3 };

struct StoreCmd {
  uint32_t fmt = kRaw;
  uint64_t dram = 0, stride = 0;
  uint32_t rows = 1, cols = 1, acc = 0;
  int32_t mult = 0x40000000;
  int shift = 0;
  int8_t zp = 0;
  unsigned elem() const { return fmt == kRaw ? 4 : fmt == kInt8 ? 1 : 2; }
  uint32_t bytes() const { return cols * elem(); }
  uint32_t na(unsigned dim) const { return (cols + dim - 1) / dim; }
  std::string show() const {
    static const char* names[] = {"raw", "fp16", "bf16", "int8"};
    std::ostringstream os;
    os << "STORE " << names[fmt] << std::hex << " dram=0x" << dram << std::dec
       << " rows=" << rows << " cols=" << cols << " stride=" << stride << " acc=" << acc;
    if (fmt == kInt8) os << " mult=" << mult << " shift=" << shift << " zp=" << int(zp);
    return os.str();
  }
};

struct Done {
  uint32_t status = 0;
  uint64_t addr = 0;
  uint64_t cycles = 0;  // command accepted -> completion valid
  uint64_t start = 0;   // cycle of the command handshake (streams)
};

// ts_dma status codes (docs/dma.md).
enum : uint32_t {
  kOk = 0, kWindow = 1, kRSlvErr = 3, kRDecErr = 4, kBSlvErr = 5, kBDecErr = 6, kAborted = 7
};

// Element value of a store, and the bytes it writes (little endian).
inline void store_elem(uint32_t fmt, uint32_t v, const StoreCmd& c, uint8_t* out,
                       uint8_t* flags) {
  using golden::Fmt16;
  switch (fmt) {
    case kRaw:
      for (int k = 0; k < 4; ++k) out[k] = uint8_t(v >> (8 * k));
      break;
    case kFp16:
    case kBf16: {
      const auto r = golden::fp_narrow(fmt == kFp16 ? Fmt16::kFp16 : Fmt16::kBf16, v);
      out[0] = uint8_t(r.bits);
      out[1] = uint8_t(r.bits >> 8);
      *flags |= r.flags;
      break;
    }
    default: {
      const auto r = golden::int_requant(int32_t(v), c.mult, c.shift, c.zp, -128, 127);
      out[0] = uint8_t(r.q);
      break;
    }
  }
}

template <class Top, unsigned Dim, unsigned SpRows, unsigned AccRows>
class LsuDriver {
 public:
  static constexpr unsigned kDim = Dim, kSpRows = SpRows, kAccRows = AccRows;
  static constexpr unsigned kNb = 2 * Dim;  // bus bytes
  // Accumulator row used by accumulating background traffic (never a test target).
  static constexpr unsigned kScratchAcc = AccRows - 1;

  LsuDriver(tb::Sim<Top>& sim, const tb::AxiMemConfig& cfg, uint64_t seed)
      : sp(SpRows, std::vector<uint16_t>(Dim)), acc(AccRows, std::vector<uint32_t>(Dim)),
        sim_(sim), mem_(cfg), rng_(seed) {
    Top& t = sim_.top();
    t.cfg_win_we_i = 0;
    t.ld_cmd_valid_i = 0;
    t.ld_abort_i = 0;
    t.ld_done_ready_i = 0;
    t.st_cmd_valid_i = 0;
    t.st_abort_i = 0;
    t.st_done_ready_i = 0;
    t.bd_sp_valid_i = 0;
    t.bd_sp_we_i = 0;
    t.bd_acc_w_valid_i = 0;
    t.bd_acc_r_valid_i = 0;
  }

  tb::AxiMem& mem() { return mem_; }
  tb::Sim<Top>& sim() { return sim_; }

  // Background traffic: scratchpad port-1 reads (bank conflicts for the load),
  // accumulating writes to kScratchAcc (stall the accumulator read port; take the write
  // port from the load) and accumulator reads (take the read port from the store).
  void set_traffic(double p_sp, double p_acc) {
    p_sp_ = p_sp;
    p_acc_ = p_acc;
    for (int n = 0; (p_sp == 0 && sp_busy_) || (p_acc == 0 && accr_busy_); ++n) {
      cycle();
      if (n > 1000) throw tb::Timeout("background request never granted");
    }
  }

  // One clock cycle: traffic, memory model, design.
  void cycle() {
    Top& t = sim_.top();
    if (p_sp_ > 0 && !sp_busy_ && chance(p_sp_)) {
      sp_busy_ = true;
      t.bd_sp_valid_i = 1;
      t.bd_sp_we_i = 0;
      t.bd_sp_addr_i = uint32_t(rng_() % SpRows);
    }
    const bool bg_w = p_acc_ > 0 && chance(p_acc_);
    if (bg_w) {
      t.bd_acc_w_valid_i = 1;
      t.bd_acc_w_mode_i = 2;  // INT32 accumulate
      t.bd_acc_w_addr_i = kScratchAcc;
      tb::bytes_to_sig(std::vector<uint8_t>(4 * Dim, 1), t.bd_acc_w_data_i);
    }
    if (p_acc_ > 0 && !accr_busy_ && chance(p_acc_)) {
      accr_busy_ = true;
      t.bd_acc_r_valid_i = 1;
      t.bd_acc_r_addr_i = uint32_t(rng_() % AccRows);
    }
    mem_.drive(bus_);
    tb::axi_drive(t, bus_);
    sim_.eval();
    tb::axi_sample(t, bus_, kNb);
    ld_cmd_fire = t.ld_cmd_valid_i && t.ld_cmd_ready_o;
    st_cmd_fire = t.st_cmd_valid_i && t.st_cmd_ready_o;
    ld_done_fire = t.ld_done_valid_o && t.ld_done_ready_i;
    st_done_fire = t.st_done_valid_o && t.st_done_ready_i;
    if (ld_done_fire) ld_done_ = {t.ld_done_status_o, t.ld_done_addr_o, 0};
    if (st_done_fire) st_done_ = {t.st_done_status_o, t.st_done_addr_o, 0};
    if (t.st_flags_valid_o) flags |= uint8_t(t.st_flags_o);
    if (bus_.r_valid && bus_.r_ready) {
      if (r_beats++ == r_mark) r_first = sim_.cycles();
      r_last = sim_.cycles();
    }
    if (bus_.w_valid && bus_.w_ready) {
      if (w_beats++ == w_mark) w_first = sim_.cycles();
      w_last = sim_.cycles();
    }
    if (sp_busy_ && t.bd_sp_ready_o) {
      sp_busy_ = false;
      ++bg_sp_grants;
    }
    if (accr_busy_ && t.bd_acc_r_ready_o) accr_busy_ = false;
    mem_.edge(bus_);
    sim_.tick();
    t.bd_sp_valid_i = sp_busy_;
    t.bd_acc_r_valid_i = accr_busy_;
    if (bg_w) t.bd_acc_w_valid_i = 0;
  }

  void set_window(uint32_t idx, uint64_t base, uint64_t last, bool rd, bool wr) {
    Top& t = sim_.top();
    t.cfg_win_we_i = 1;
    t.cfg_win_idx_i = idx;
    t.cfg_win_base_i = uint32_t(base);
    t.cfg_win_last_i = uint32_t(last);
    t.cfg_win_perm_i = (rd ? 1 : 0) | (wr ? 2 : 0);
    cycle();
    t.cfg_win_we_i = 0;
  }

  void offer_load(const LoadCmd& c) {
    Top& t = sim_.top();
    t.ld_cmd_valid_i = 1;
    t.ld_cmd_target_i = c.acc;
    t.ld_cmd_expand8_i = c.expand8;
    t.ld_cmd_dram_addr_i = uint32_t(c.dram);
    t.ld_cmd_stride_i = uint32_t(c.stride);
    t.ld_cmd_rows_i = c.rows;
    t.ld_cmd_bytes_i = c.bytes;
    t.ld_cmd_sram_addr_i = c.sram;
  }
  void offer_store(const StoreCmd& c) {
    Top& t = sim_.top();
    t.st_cmd_valid_i = 1;
    t.st_cmd_format_i = c.fmt;
    t.st_cmd_dram_addr_i = uint32_t(c.dram);
    t.st_cmd_stride_i = uint32_t(c.stride);
    t.st_cmd_rows_i = c.rows;
    t.st_cmd_cols_i = c.cols;
    t.st_cmd_acc_addr_i = c.acc;
    t.st_cmd_mult_i = uint32_t(c.mult);
    t.st_cmd_shift_i = uint32_t(c.shift) & 63;
    t.st_cmd_zp_i = uint8_t(c.zp);
  }

  // Runs a load and/or a store (concurrently when both) to their completions.
  void run(const LoadCmd* ld, const StoreCmd* st, Done* ld_done, Done* st_done,
           uint64_t timeout = 2000000) {
    Top& t = sim_.top();
    if (ld) offer_load(*ld);
    if (st) offer_store(*st);
    t.ld_done_ready_i = 1;
    t.st_done_ready_i = 1;
    bool ld_acc = !ld, st_acc = !st, ld_end = !ld, st_end = !st;
    uint64_t ld_c0 = 0, st_c0 = 0;
    const uint64_t c_start = sim_.cycles();
    while (!(ld_end && st_end)) {
      cycle();
      if (ld_cmd_fire) {
        ld_acc = true;
        t.ld_cmd_valid_i = 0;
        ld_c0 = sim_.cycles();
      }
      if (st_cmd_fire) {
        st_acc = true;
        t.st_cmd_valid_i = 0;
        st_c0 = sim_.cycles();
      }
      if (ld_done_fire) {
        if (!ld_acc || ld_end) throw std::runtime_error("load completion without a command");
        ld_end = true;
        *ld_done = ld_done_;
        ld_done->cycles = sim_.cycles() - 1 - ld_c0;
      }
      if (st_done_fire) {
        if (!st_acc || st_end) throw std::runtime_error("store completion without a command");
        st_end = true;
        *st_done = st_done_;
        st_done->cycles = sim_.cycles() - 1 - st_c0;
      }
      if (sim_.cycles() - c_start > timeout) throw tb::Timeout("command did not complete");
    }
    t.ld_done_ready_i = 0;
    t.st_done_ready_i = 0;
  }
  // Commands of one kind (LOADs or STOREs) back to back: the next one is offered in the
  // cycle after the previous one was accepted, completions are taken in order. After an error
  // completion no further command is offered (one already offered stays until accepted) and
  // the unit's abort input is raised, as ts_ctrl does when the queue stops; it is lowered once
  // the unit is idle. Returns one record per accepted command (cycles: its handshake -> its
  // completion).
  template <class Cmd>
  std::vector<Done> stream(const std::vector<Cmd>& cmds, uint64_t timeout = 2000000) {
    constexpr bool kStore = std::is_same_v<Cmd, StoreCmd>;
    Top& t = sim_.top();
    auto& valid = kStore ? t.st_cmd_valid_i : t.ld_cmd_valid_i;
    auto& ready = kStore ? t.st_done_ready_i : t.ld_done_ready_i;
    auto& abort = kStore ? t.st_abort_i : t.ld_abort_i;
    const bool& cmd_fire = kStore ? st_cmd_fire : ld_cmd_fire;
    const bool& done_fire = kStore ? st_done_fire : ld_done_fire;
    auto offer = [&](const Cmd& c) {
      if constexpr (kStore) offer_store(c); else offer_load(c);
    };
    std::vector<Done> out;
    std::vector<uint64_t> c0;
    bool stopped = false;
    size_t next = 0;
    if (!cmds.empty()) offer(cmds[next++]);
    ready = 1;
    const uint64_t c_start = sim_.cycles();
    uint64_t& max_in_flight = kStore ? max_stores_in_flight : max_loads_in_flight;
    while (valid || out.size() < c0.size()) {
      cycle();
      if (cmd_fire) {
        c0.push_back(sim_.cycles());
        max_in_flight = std::max<uint64_t>(max_in_flight, c0.size() - out.size());
        valid = 0;
        if (!stopped && next < cmds.size()) offer(cmds[next++]);
      }
      if (done_fire) {
        if (out.size() >= c0.size()) throw std::runtime_error("completion without a command");
        Done d = kStore ? st_done_ : ld_done_;
        d.cycles = sim_.cycles() - 1 - c0[out.size()];
        d.start = c0[out.size()];
        out.push_back(d);
        if (d.status != kOk) {
          stopped = true;
          abort = 1;
        }
      }
      if (sim_.cycles() - c_start > timeout) throw tb::Timeout("command stream did not complete");
    }
    ready = 0;
    for (int n = 0; kStore ? t.st_busy_o : t.ld_busy_o; ++n) {
      if (n > 1000) throw tb::Timeout("unit busy after its last completion");
      cycle();
    }
    abort = 0;
    return out;
  }
  std::vector<Done> load_stream(const std::vector<LoadCmd>& cmds) { return stream(cmds); }
  std::vector<Done> store_stream(const std::vector<StoreCmd>& cmds) { return stream(cmds); }
  Done load(const LoadCmd& c) {
    Done d;
    run(&c, nullptr, &d, nullptr);
    return d;
  }
  Done store(const StoreCmd& c) {
    Done d;
    run(nullptr, &c, nullptr, &d);
    return d;
  }

  void settle(int n = 8) {
    for (int i = 0; i < n; ++i) cycle();
  }

  // ---- backdoor (background traffic must be off)
  std::vector<uint16_t> sp_read(uint32_t row) {
    Top& t = sim_.top();
    t.bd_sp_we_i = 0;
    sp_request(row);
    sim_.eval();
    std::vector<uint8_t> b;
    tb::sig_to_bytes(t.bd_sp_rsp_data_o, b, kNb);
    std::vector<uint16_t> v(Dim);
    for (unsigned l = 0; l < Dim; ++l) v[l] = uint16_t(b[2 * l] | (b[2 * l + 1] << 8));
    return v;
  }
  void sp_write(uint32_t row, const std::vector<uint16_t>& v) {
    Top& t = sim_.top();
    std::vector<uint8_t> b(kNb);
    for (unsigned l = 0; l < Dim; ++l) {
      b[2 * l] = uint8_t(v[l]);
      b[2 * l + 1] = uint8_t(v[l] >> 8);
    }
    t.bd_sp_we_i = 1;
    tb::bytes_to_sig(b, t.bd_sp_wdata_i);
    sp_request(row);
    t.bd_sp_we_i = 0;
  }
  std::vector<uint32_t> acc_read(uint32_t row) {
    Top& t = sim_.top();
    accr_busy_ = true;
    t.bd_acc_r_valid_i = 1;
    t.bd_acc_r_addr_i = row;
    for (int n = 0; accr_busy_; ++n) {
      if (n > 1000) throw tb::Timeout("accumulator read never granted");
      raw_cycle();
    }
    sim_.eval();
    if (!t.bd_acc_rsp_valid_o) throw std::runtime_error("no accumulator backdoor response");
    std::vector<uint8_t> b;
    tb::sig_to_bytes(t.bd_acc_rsp_data_o, b, 4 * Dim);
    std::vector<uint32_t> v(Dim);
    for (unsigned l = 0; l < Dim; ++l)
      v[l] = uint32_t(b[4 * l]) | uint32_t(b[4 * l + 1]) << 8 | uint32_t(b[4 * l + 2]) << 16 |
             uint32_t(b[4 * l + 3]) << 24;
    return v;
  }
  void acc_write(uint32_t row, const std::vector<uint32_t>& v) {
    Top& t = sim_.top();
    std::vector<uint8_t> b(4 * Dim);
    for (unsigned l = 0; l < Dim; ++l)
      for (int k = 0; k < 4; ++k) b[4 * l + k] = uint8_t(v[l] >> (8 * k));
    t.bd_acc_w_valid_i = 1;
    t.bd_acc_w_mode_i = 0;
    t.bd_acc_w_addr_i = row;
    tb::bytes_to_sig(b, t.bd_acc_w_data_i);
    raw_cycle();
    t.bd_acc_w_valid_i = 0;
  }

  // ---- C++ layout models (docs/isa.md)
  std::vector<std::vector<uint16_t>> sp;
  std::vector<std::vector<uint32_t>> acc;

  void model_load(const LoadCmd& c) {
    const unsigned es = c.elem();
    const uint32_t ne = c.bytes / es, n = c.n(Dim);
    for (uint32_t r = 0; r < c.rows; ++r)
      for (uint32_t i = 0; i < n; ++i)
        for (unsigned l = 0; l < Dim; ++l) {
          const uint32_t e = i * Dim + l;
          uint32_t v = 0;
          if (e < ne) {
            const uint64_t a = c.dram + r * c.stride + uint64_t(e) * es;
            for (unsigned k = 0; k < es; ++k) v |= uint32_t(mem_.byte(a + k)) << (8 * k);
            if (c.expand8) v = uint16_t(int16_t(int8_t(v)));
          }
          if (c.acc) {
            acc[c.sram + r * n + i][l] = v;
          } else {
            sp[c.sram + r * n + i][l] = uint16_t(v);
          }
        }
  }

  // Expected host bytes of a store (address -> byte) and the flags it raises.
  void model_store(const StoreCmd& c, std::vector<std::pair<uint64_t, uint8_t>>& out,
                   uint8_t* fl) const {
    const uint32_t na = c.na(Dim);
    const unsigned es = c.elem();
    for (uint32_t r = 0; r < c.rows; ++r)
      for (uint32_t e = 0; e < c.cols; ++e) {
        const uint32_t v = acc[c.acc + r * na + e / Dim][e % Dim];
        uint8_t b[4];
        store_elem(c.fmt, v, c, b, fl);
        for (unsigned k = 0; k < es; ++k)
          out.emplace_back(c.dram + r * c.stride + uint64_t(e) * es + k, b[k]);
      }
  }

  // Fills both memories (model and RTL) with values that exercise every conversion.
  void fill_random() {
    for (uint32_t r = 0; r < SpRows; ++r) {
      for (auto& v : sp[r]) v = uint16_t(rng_());
      sp_write(r, sp[r]);
    }
    for (uint32_t r = 0; r < AccRows; ++r) {
      for (auto& v : acc[r]) v = interesting();
      acc_write(r, acc[r]);
    }
  }
  uint32_t interesting() {
    const uint32_t k = uint32_t(rng_() % 16);
    const uint32_t s = uint32_t(rng_() & 1) << 31;
    switch (k) {
      case 0: return uint32_t(rng_());
      case 1: return s | 0x7f800000u;                                // inf
      case 2: return s | 0x7f800000u | (1 + uint32_t(rng_() % 0x7fffff));  // NaN (q/s)
      case 3: return s;                                              // zero
      case 4: return s | uint32_t(rng_() % 0x800000);                // FP32 subnormal
      case 5: case 6: case 7: {                                      // near FP16 range
        const uint32_t e = 127 - 28 + uint32_t(rng_() % 46);
        return s | e << 23 | uint32_t(rng_() & 0x7fffff);
      }
      case 8: case 9: {                                              // BF16 edges
        const uint32_t e = (rng_() & 1) ? 254 - uint32_t(rng_() % 2) : 1 + uint32_t(rng_() % 2);
        return s | e << 23 | uint32_t(rng_() & 0x7fffff);
      }
      case 10: case 11: return uint32_t(int32_t(rng_() % 2000001) - 1000000);  // INT32
      case 12: return uint32_t(int32_t(rng_() % 257) - 128);
      default: return uint32_t(rng_()) >> (rng_() % 32);
    }
  }

  // Every scratchpad and accumulator row against the models. Returns mismatches.
  int check_srams(const std::string& what, int max_report = 5) {
    set_traffic(0, 0);
    int bad = 0;
    for (uint32_t r = 0; r < SpRows; ++r) {
      const auto got = sp_read(r);
      if (got != sp[r] && bad++ < max_report)
        ADD_FAILURE() << what << ": scratchpad row " << r << " lane0 0x" << std::hex << got[0]
                      << " expected 0x" << sp[r][0] << std::dec << " (" << diff(got, sp[r]) << ")";
    }
    for (uint32_t r = 0; r < AccRows; ++r) {
      if (r == kScratchAcc) continue;
      const auto got = acc_read(r);
      if (got != acc[r] && bad++ < max_report)
        ADD_FAILURE() << what << ": accumulator row " << r << " (" << diff(got, acc[r]) << ")";
    }
    return bad;
  }
  // Reads back rows [lo, hi) of one memory into the model (a failed command leaves them
  // partially written); the others must equal the model.
  void adopt_rows(bool is_acc, uint32_t lo, uint32_t hi) {
    set_traffic(0, 0);
    for (uint32_t r = lo; r < hi; ++r) {
      if (is_acc) acc[r] = acc_read(r);
      else sp[r] = sp_read(r);
    }
  }

  uint8_t flags = 0;  // OR of st_flags_o while st_flags_valid_o
  uint64_t r_beats = 0, w_beats = 0;
  // Cycles of the first and last R / W beat since mark_beats() (data-phase throughput).
  uint64_t r_first = 0, r_last = 0, w_first = 0, w_last = 0;
  void mark_beats() {
    r_mark = r_beats;
    w_mark = w_beats;
  }
  uint64_t bg_sp_grants = 0;
  // Commands accepted and not completed, at a handshake.
  uint64_t max_loads_in_flight = 0, max_stores_in_flight = 0;
  bool ld_cmd_fire = false, st_cmd_fire = false, ld_done_fire = false, st_done_fire = false;

 private:
  template <class V>
  static std::string diff(const V& a, const V& b) {
    std::ostringstream os;
    os << "lanes differ:";
    for (size_t l = 0; l < a.size(); ++l)
      if (a[l] != b[l]) os << " " << l << ":0x" << std::hex << a[l] << "/0x" << b[l] << std::dec;
    return os.str();
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  void raw_cycle() {
    const double a = p_sp_, b = p_acc_;
    p_sp_ = p_acc_ = 0;
    cycle();
    p_sp_ = a;
    p_acc_ = b;
  }
  void sp_request(uint32_t row) {
    Top& t = sim_.top();
    sp_busy_ = true;
    t.bd_sp_valid_i = 1;
    t.bd_sp_addr_i = row;
    for (int n = 0; sp_busy_; ++n) {
      if (n > 1000) throw tb::Timeout("scratchpad port 1 never granted");
      raw_cycle();
    }
  }

  tb::Sim<Top>& sim_;
  tb::AxiMem mem_;
  tb::AxiBus bus_;
  std::mt19937_64 rng_;
  double p_sp_ = 0, p_acc_ = 0;
  uint64_t r_mark = ~0ull, w_mark = ~0ull;
  bool sp_busy_ = false, accr_busy_ = false;
  Done ld_done_, st_done_;
};

}  // namespace tessera::test
