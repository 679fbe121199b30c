// SPDX-License-Identifier: Apache-2.0
// The UART bridge protocol (docs/fpga.md) and BridgeDevice, the runtime's Device over it.
#include "tessera/bridge_device.hpp"

#include <algorithm>
#include <cstdio>

#include "tessera/isa.hpp"

namespace tessera {
namespace bridge {

uint8_t crc8(const uint8_t* p, size_t n, uint8_t crc) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b) crc = uint8_t((crc & 0x80) ? (crc << 1) ^ 0x07 : crc << 1);
  }
  return crc;
}

const char* op_name(uint8_t op) {
  switch (op) {
    case kInfo: return "INFO";
    case kCsrRead: return "CSR_READ";
    case kCsrWrite: return "CSR_WRITE";
    case kMemRead: return "MEM_READ";
    case kMemWrite: return "MEM_WRITE";
    default: return "unknown op";
  }
}

const char* status_name(uint8_t status) {
  switch (status) {
    case kOk: return "ok";
    case kBadCrc: return "bad checksum";
    case kBadOp: return "bad opcode";
    case kBadAddr: return "address out of range";
    case kBusErr: return "bus error";
    default: return "unknown status";
  }
}

std::vector<uint8_t> encode(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload,
                            size_t n) {
  std::vector<uint8_t> f;
  f.reserve(8 + n);
  for (uint8_t b : {kReqSync, op, uint8_t(addr), uint8_t(addr >> 8), uint8_t(addr >> 16),
                    uint8_t(addr >> 24), len}) {
    f.push_back(b);
  }
  for (size_t i = 0; i < n; ++i) f.push_back(payload[i]);
  f.push_back(crc8(f.data() + 1, f.size() - 1));
  return f;
}

}  // namespace bridge

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%08llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

BridgeDevice::BridgeDevice(const ChipConfig& cfg, std::unique_ptr<ByteTransport> transport)
    : cfg_(cfg), transport_(std::move(transport)) {
  transport_->resync();  // a previous host may have left a partial request
  info_ = info();
  if (info_.version != bridge::kVersion) {
    throw std::runtime_error(transport_->name() + ": bridge protocol version " +
                             std::to_string(info_.version) + ", this host speaks " +
                             std::to_string(bridge::kVersion));
  }
  namespace c = isa::csr;
  if (csr_read(c::kId) != c::kIdValue) {
    throw std::runtime_error(transport_->name() + ": chip ID is not 'TSAR'");
  }
  const uint32_t dim_csr = csr_read(c::kCfgDim);
  const uint32_t spad = csr_read(c::kCfgSpadRows), acc = csr_read(c::kCfgAccRows);
  auto matches = [&](const ChipConfig& k) {
    return (dim_csr & 0xff) == k.dim && ((dim_csr >> 8) & 0xff) == k.bus_bytes &&
           ((dim_csr >> 16) & 0xf) == k.windows &&
           ((dim_csr >> c::kCfgDimAdamwLanesLsb) & 0xf) == k.adamw_lanes &&
           ((dim_csr & c::kCfgDimVec) != 0) == bool(k.vec) &&
           ((dim_csr & c::kCfgDimVecDivsqrt) != 0) == bool(k.vec_divsqrt) &&
           spad == k.spad_rows && acc == k.acc_rows;
  };
  if (!matches(cfg)) {
    std::string is = "matches no named configuration";
    for (const ChipConfig& k : kChipConfigs) {
      if (matches(k)) is = "is configuration '" + std::string(k.name) + "'";
    }
    throw std::runtime_error(transport_->name() + ": the chip (Dim " +
                             std::to_string(dim_csr & 0xff) + ", " + std::to_string(spad) +
                             " scratchpad rows, " + std::to_string(acc) +
                             " accumulator rows) " + is + ", not '" + std::string(cfg.name) +
                             "'");
  }
}

uint8_t BridgeDevice::transact(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload,
                               size_t n, uint8_t* resp, size_t resp_n) const {
  if (need_resync_) {
    transport_->resync();
    need_resync_ = false;
  }
  const std::vector<uint8_t> req = bridge::encode(op, addr, len, payload, n);
  transport_->write(req.data(), req.size());
  auto what = [&] { return transport_->name() + ": " + bridge::op_name(op) + " " + hex(addr); };
  auto wire_error = [&](const std::string& m) {
    need_resync_ = true;
    return BridgeError(what() + ": " + m);
  };
  uint8_t head[2];
  const size_t got = transport_->read(head, 2);
  if (got < 2) throw wire_error(got == 0 ? "no response (timeout)" : "response cut short (timeout)");
  if (head[0] != bridge::kRespSync) throw wire_error("bad response sync byte " + hex(head[0]));
  const size_t body = head[1] == bridge::kOk ? resp_n : 0;
  std::vector<uint8_t> rest(body + 1);
  if (transport_->read(rest.data(), rest.size()) < rest.size()) {
    throw wire_error("response cut short (timeout)");
  }
  uint8_t crc = bridge::crc8(&head[1], 1);
  crc = bridge::crc8(rest.data(), body, crc);
  if (crc != rest[body]) throw wire_error("response checksum mismatch");
  std::copy(rest.begin(), rest.begin() + body, resp);
  return head[1];
}

void BridgeDevice::call(uint8_t op, uint32_t addr, uint8_t len, const uint8_t* payload,
                        size_t n, uint8_t* resp, size_t resp_n) const {
  const uint8_t st = transact(op, addr, len, payload, n, resp, resp_n);
  if (st != bridge::kOk) {
    std::string m = transport_->name() + ": " + bridge::op_name(op) + " " + hex(addr);
    if (op == bridge::kMemRead || op == bridge::kMemWrite) m += " +" + std::to_string(len + 1);
    m += std::string(" refused: ") + bridge::status_name(st);
    if (st == bridge::kBadAddr && (op == bridge::kMemRead || op == bridge::kMemWrite)) {
      m += " (board memory " + hex(info_.ram_base) + ".." +
           hex(uint64_t(info_.ram_base) + info_.ram_bytes - 1) + ")";
    }
    throw BridgeError(m, st);
  }
}

bridge::Info BridgeDevice::info() const {
  uint8_t r[10];
  call(bridge::kInfo, 0, 0, nullptr, 0, r, sizeof r);
  bridge::Info i;
  i.version = r[0];
  i.irq = r[1] & 1;
  i.ram_base = uint32_t(r[2]) | uint32_t(r[3]) << 8 | uint32_t(r[4]) << 16 | uint32_t(r[5]) << 24;
  i.ram_bytes = uint32_t(r[6]) | uint32_t(r[7]) << 8 | uint32_t(r[8]) << 16 | uint32_t(r[9]) << 24;
  return i;
}

void BridgeDevice::csr_write(uint32_t addr, uint32_t value) {
  const uint8_t p[4] = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16),
                        uint8_t(value >> 24)};
  call(bridge::kCsrWrite, addr, 0, p, 4, nullptr, 0);
}

uint32_t BridgeDevice::csr_read(uint32_t addr) {
  uint8_t r[4];
  call(bridge::kCsrRead, addr, 0, nullptr, 0, r, 4);
  return uint32_t(r[0]) | uint32_t(r[1]) << 8 | uint32_t(r[2]) << 16 | uint32_t(r[3]) << 24;
}

void BridgeDevice::mem_write(uint64_t addr, const uint8_t* data, size_t n) {
  while (n > 0) {
    const size_t k = std::min(n, bridge::kMaxLen);
    if (addr > 0xffffffffu) throw BridgeError(transport_->name() + ": address " + hex(addr) + " beyond 32 bits");
    call(bridge::kMemWrite, uint32_t(addr), uint8_t(k - 1), data, k, nullptr, 0);
    addr += k;
    data += k;
    n -= k;
  }
}

void BridgeDevice::mem_read(uint64_t addr, uint8_t* out, size_t n) const {
  while (n > 0) {
    const size_t k = std::min(n, bridge::kMaxLen);
    if (addr > 0xffffffffu) throw BridgeError(transport_->name() + ": address " + hex(addr) + " beyond 32 bits");
    call(bridge::kMemRead, uint32_t(addr), uint8_t(k - 1), nullptr, 0, out, k);
    addr += k;
    out += k;
    n -= k;
  }
}

bool BridgeDevice::wait_irq(uint64_t max_cycles) {
  const uint64_t t0 = cycles();
  for (;;) {
    if (info().irq) return true;
    if (cycles() - t0 >= max_cycles) return false;
  }
}

void BridgeDevice::run_until_done(uint64_t max_cycles) {
  namespace c = isa::csr;
  const uint64_t t0 = cycles();
  for (;;) {
    const uint32_t st = csr_read(c::kStatus);
    if (st & (c::kStatusDone | c::kStatusError)) return;
    if (cycles() - t0 > max_cycles) {
      throw DeviceTimeout(transport_->name() + ": chip not done after " +
                          std::to_string(max_cycles) + " cycles (STATUS " + hex(st) + ")");
    }
  }
}

}  // namespace tessera
