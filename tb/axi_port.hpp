// SPDX-License-Identifier: Apache-2.0
// Connects an AxiMem to a Verilated top whose AXI4 master ports follow the house naming
// (m_axi_ar_valid_o, m_axi_r_data_i, ...), and runs one cycle of model + design.
#pragma once

#include <cstdint>
#include <vector>

#include "axi_mem.hpp"
#include "sim.hpp"
#include "verilated.h"

namespace tessera::tb {

// Byte vector <-> Verilated signal of any width (IData, QData or VlWide<N>).
inline void sig_to_bytes(uint32_t s, std::vector<uint8_t>& out, unsigned n) {
  out.resize(n);
  for (unsigned k = 0; k < n; ++k) out[k] = k < 4 ? uint8_t(s >> (8 * k)) : 0;
}
inline void sig_to_bytes(uint64_t s, std::vector<uint8_t>& out, unsigned n) {
  out.resize(n);
  for (unsigned k = 0; k < n; ++k) out[k] = k < 8 ? uint8_t(s >> (8 * k)) : 0;
}
template <std::size_t N>
void sig_to_bytes(const VlWide<N>& s, std::vector<uint8_t>& out, unsigned n) {
  out.resize(n);
  for (unsigned k = 0; k < n; ++k) out[k] = k / 4 < N ? uint8_t(s[k / 4] >> (8 * (k % 4))) : 0;
}
inline void bytes_to_sig(const std::vector<uint8_t>& in, uint32_t& s) {
  s = 0;
  for (size_t k = 0; k < in.size() && k < 4; ++k) s |= uint32_t(in[k]) << (8 * k);
}
inline void bytes_to_sig(const std::vector<uint8_t>& in, uint64_t& s) {
  s = 0;
  for (size_t k = 0; k < in.size() && k < 8; ++k) s |= uint64_t(in[k]) << (8 * k);
}
template <std::size_t N>
void bytes_to_sig(const std::vector<uint8_t>& in, VlWide<N>& s) {
  for (std::size_t i = 0; i < N; ++i) s[i] = 0;
  for (size_t k = 0; k < in.size() && k / 4 < N; ++k) s[k / 4] |= uint32_t(in[k]) << (8 * (k % 4));
}

// Slave outputs of `bus` into the top's inputs: read channels, write channels, or both
// (the _r / _w halves serve tops with only one direction).
template <class Top>
void axi_drive_r(Top& t, const AxiBus& b) {
  t.m_axi_ar_ready_i = b.ar_ready;
  t.m_axi_r_valid_i = b.r_valid;
  t.m_axi_r_id_i = b.r_id;
  t.m_axi_r_resp_i = b.r_resp;
  t.m_axi_r_last_i = b.r_last;
  bytes_to_sig(b.r_data, t.m_axi_r_data_i);
}
template <class Top>
void axi_drive_w(Top& t, const AxiBus& b) {
  t.m_axi_aw_ready_i = b.aw_ready;
  t.m_axi_w_ready_i = b.w_ready;
  t.m_axi_b_valid_i = b.b_valid;
  t.m_axi_b_id_i = b.b_id;
  t.m_axi_b_resp_i = b.b_resp;
}
template <class Top>
void axi_drive(Top& t, const AxiBus& b) {
  axi_drive_r(t, b);
  axi_drive_w(t, b);
}

// The top's master outputs into `bus`, likewise.
template <class Top>
void axi_sample_r(const Top& t, AxiBus& b) {
  b.ar_valid = t.m_axi_ar_valid_o;
  b.ar_id = t.m_axi_ar_id_o;
  b.ar_addr = t.m_axi_ar_addr_o;
  b.ar_len = t.m_axi_ar_len_o;
  b.ar_size = t.m_axi_ar_size_o;
  b.ar_burst = t.m_axi_ar_burst_o;
  b.r_ready = t.m_axi_r_ready_o;
}
template <class Top>
void axi_sample_w(const Top& t, AxiBus& b, unsigned data_bytes) {
  b.aw_valid = t.m_axi_aw_valid_o;
  b.aw_id = t.m_axi_aw_id_o;
  b.aw_addr = t.m_axi_aw_addr_o;
  b.aw_len = t.m_axi_aw_len_o;
  b.aw_size = t.m_axi_aw_size_o;
  b.aw_burst = t.m_axi_aw_burst_o;
  b.w_valid = t.m_axi_w_valid_o;
  sig_to_bytes(t.m_axi_w_data_o, b.w_data, data_bytes);
  b.w_strb = t.m_axi_w_strb_o;
  b.w_last = t.m_axi_w_last_o;
  b.b_ready = t.m_axi_b_ready_o;
}
template <class Top>
void axi_sample(const Top& t, AxiBus& b, unsigned data_bytes) {
  axi_sample_r(t, b);
  axi_sample_w(t, b, data_bytes);
}

// One cycle: model outputs -> design, eval, sample the master, model edge, clock edge.
// Set the design's other inputs before calling.
template <class Top>
void axi_cycle(Sim<Top>& sim, AxiMem& mem, AxiBus& bus) {
  mem.drive(bus);
  axi_drive(sim.top(), bus);
  sim.eval();
  axi_sample(sim.top(), bus, mem.config().data_bytes);
  mem.edge(bus);
  sim.tick();
}

}  // namespace tessera::tb
