// SPDX-License-Identifier: Apache-2.0
// Encodings of the docs/isa.md commands, reserved-bit masks and names for messages.
#include "tessera/isa.hpp"

#include <cstdio>

namespace tessera::isa {

Queue queue_of(Opcode op) {
  switch (op) {
    case Opcode::kLoad:
      return Queue::kLoad;
    case Opcode::kGemm:
      return Queue::kExec;
    case Opcode::kStore:
      return Queue::kStore;
  }
  return Queue::kExec;
}

uint32_t Tokens::bits() const {
  return (pop_prev ? kPopPrev : 0) | (pop_next ? kPopNext : 0) | (push_prev ? kPushPrev : 0) |
         (push_next ? kPushNext : 0);
}

Tokens Tokens::from_bits(uint32_t w0) {
  Tokens t;
  t.pop_prev = w0 & kPopPrev;
  t.pop_next = w0 & kPopNext;
  t.push_prev = w0 & kPushPrev;
  t.push_next = w0 & kPushNext;
  return t;
}

static bool tok_eq(const Tokens& a, const Tokens& b) { return a.bits() == b.bits(); }

const char* err_name(ErrCode c) {
  switch (c) {
    case ErrCode::kNone:
      return "None";
    case ErrCode::kOpcode:
      return "Opcode";
    case ErrCode::kReserved:
      return "Reserved";
    case ErrCode::kDims:
      return "Dims";
    case ErrCode::kSram:
      return "Sram";
    case ErrCode::kDtype:
      return "Dtype";
    case ErrCode::kWindow:
      return "Window";
    case ErrCode::kBus:
      return "Bus";
    case ErrCode::kRing:
      return "Ring";
    case ErrCode::kToken:
      return "Token";
    case ErrCode::kMmu:
      return "Mmu";
  }
  return "unknown";
}

const char* err_description(ErrCode c) {
  switch (c) {
    case ErrCode::kNone:
      return "no error";
    case ErrCode::kOpcode:
      return "unknown opcode";
    case ErrCode::kReserved:
      return "a reserved bit is set, or a token flag the queue does not have";
    case ErrCode::kDims:
      return "a zero size, bytes not a multiple of the element, expand8 with the accumulator, "
             "a GEMM stride smaller than its stored row, or an INT8 shift outside [-31, 30]";
    case ErrCode::kSram:
      return "the command's scratchpad or accumulator rows leave the SRAM (however large)";
    case ErrCode::kDtype:
      return "GEMM dtype 3";
    case ErrCode::kWindow:
      return "the host range is not inside one window with the needed permission";
    case ErrCode::kBus:
      return "AXI SLVERR/DECERR response";
    case ErrCode::kRing:
      return "bad ring: RING_TAIL or RING_HEAD >= RING_SIZE, RING_SIZE = 0 or > 65536, or ring "
             "outside the read windows";
    case ErrCode::kToken:
      return "a token counter would overflow";
    case ErrCode::kMmu:
      return "the matrix unit refused the configuration";
  }
  return "unknown error code";
}

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::kNone:
      return "none";
    case Unit::kFetch:
      return "fetch";
    case Unit::kLoad:
      return "load";
    case Unit::kExec:
      return "execute";
    case Unit::kStore:
      return "store";
  }
  return "unknown";
}

const char* opcode_name(uint32_t op) {
  switch (op) {
    case 0x01:
      return "LOAD";
    case 0x02:
      return "STORE";
    case 0x03:
      return "GEMM";
    default:
      return "unknown";
  }
}

const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::kFp16:
      return "fp16";
    case Dtype::kBf16:
      return "bf16";
    case Dtype::kInt8:
      return "int8";
  }
  return "dtype3";
}

const char* format_name(StoreFormat f) {
  switch (f) {
    case StoreFormat::kRaw:
      return "raw";
    case StoreFormat::kFp16:
      return "fp16";
    case StoreFormat::kBf16:
      return "bf16";
    case StoreFormat::kInt8:
      return "int8";
  }
  return "?";
}

uint32_t format_bytes(StoreFormat f) {
  switch (f) {
    case StoreFormat::kRaw:
      return 4;
    case StoreFormat::kFp16:
    case StoreFormat::kBf16:
      return 2;
    case StoreFormat::kInt8:
      return 1;
  }
  return 4;
}

Words LoadCmd::encode() const {
  Words w{};
  w[0] = uint32_t(Opcode::kLoad) | tok.bits() | (to_acc ? 1u << 12 : 0) | (expand8 ? 1u << 13 : 0);
  w[1] = dram_addr;
  w[2] = stride;
  w[3] = uint32_t(rows) | (uint32_t(bytes) << 16);
  w[4] = sram_addr;
  return w;
}

LoadCmd LoadCmd::decode(const Words& w) {
  LoadCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.to_acc = (w[0] >> 12) & 1u;
  c.expand8 = (w[0] >> 13) & 1u;
  c.dram_addr = w[1];
  c.stride = w[2];
  c.rows = uint16_t(w[3]);
  c.bytes = uint16_t(w[3] >> 16);
  c.sram_addr = w[4];
  return c;
}

bool LoadCmd::operator==(const LoadCmd& o) const {
  return tok_eq(tok, o.tok) && to_acc == o.to_acc && expand8 == o.expand8 &&
         dram_addr == o.dram_addr && stride == o.stride && rows == o.rows && bytes == o.bytes &&
         sram_addr == o.sram_addr;
}

Words StoreCmd::encode() const {
  Words w{};
  w[0] = uint32_t(Opcode::kStore) | tok.bits() | ((uint32_t(format) & 3u) << 12);
  w[1] = dram_addr;
  w[2] = stride;
  w[3] = uint32_t(rows) | (uint32_t(cols) << 16);
  w[4] = acc_addr;
  w[5] = uint32_t(mult);
  w[6] = (uint32_t(uint8_t(shift)) & 0x3fu) | (uint32_t(uint8_t(zero_point)) << 8);
  return w;
}

StoreCmd StoreCmd::decode(const Words& w) {
  StoreCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.format = StoreFormat((w[0] >> 12) & 3u);
  c.dram_addr = w[1];
  c.stride = w[2];
  c.rows = uint16_t(w[3]);
  c.cols = uint16_t(w[3] >> 16);
  c.acc_addr = w[4];
  c.mult = int32_t(w[5]);
  int32_t sh = int32_t(w[6] & 0x3fu);
  c.shift = int8_t(sh >= 32 ? sh - 64 : sh);  // 6-bit two's complement
  c.zero_point = int8_t(uint8_t(w[6] >> 8));
  return c;
}

bool StoreCmd::operator==(const StoreCmd& o) const {
  return tok_eq(tok, o.tok) && format == o.format && dram_addr == o.dram_addr &&
         stride == o.stride && rows == o.rows && cols == o.cols && acc_addr == o.acc_addr &&
         mult == o.mult && shift == o.shift && zero_point == o.zero_point;
}

Words GemmCmd::encode() const {
  Words w{};
  w[0] = uint32_t(Opcode::kGemm) | tok.bits() | ((uint32_t(dtype) & 3u) << 12) |
         (a_trans ? 1u << 14 : 0) | (b_trans ? 1u << 15 : 0) | (accumulate ? 1u << 16 : 0);
  w[1] = uint32_t(m) | (uint32_t(n) << 16);
  w[2] = k;
  w[3] = a_addr;
  w[4] = b_addr;
  w[5] = c_addr;
  w[6] = uint32_t(a_stride) | (uint32_t(b_stride) << 16);
  w[7] = c_stride;
  return w;
}

GemmCmd GemmCmd::decode(const Words& w) {
  GemmCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.dtype = Dtype((w[0] >> 12) & 3u);
  c.a_trans = (w[0] >> 14) & 1u;
  c.b_trans = (w[0] >> 15) & 1u;
  c.accumulate = (w[0] >> 16) & 1u;
  c.m = uint16_t(w[1]);
  c.n = uint16_t(w[1] >> 16);
  c.k = uint16_t(w[2]);
  c.a_addr = w[3];
  c.b_addr = w[4];
  c.c_addr = w[5];
  c.a_stride = uint16_t(w[6]);
  c.b_stride = uint16_t(w[6] >> 16);
  c.c_stride = uint16_t(w[7]);
  return c;
}

bool GemmCmd::operator==(const GemmCmd& o) const {
  return tok_eq(tok, o.tok) && dtype == o.dtype && a_trans == o.a_trans && b_trans == o.b_trans &&
         accumulate == o.accumulate && m == o.m && n == o.n && k == o.k && a_addr == o.a_addr &&
         b_addr == o.b_addr && c_addr == o.c_addr && a_stride == o.a_stride &&
         b_stride == o.b_stride && c_stride == o.c_stride;
}

Words reserved_mask(uint32_t opcode) {
  Words m{};
  switch (opcode) {
    case 0x01:  // LOAD: no previous queue
      m[0] = 0xffffc000u | kPopPrev | kPushPrev;
      m[5] = m[6] = m[7] = 0xffffffffu;
      break;
    case 0x02:  // STORE: no next queue
      m[0] = 0xffffc000u | kPopNext | kPushNext;
      m[6] = 0xffff00c0u;
      m[7] = 0xffffffffu;
      break;
    case 0x03:  // GEMM
      m[0] = 0xfffe0000u;
      m[2] = 0xffff0000u;
      m[7] = 0xffff0000u;
      break;
    default:
      m.fill(0xffffffffu);
      break;
  }
  return m;
}

std::string describe(const Words& w) {
  char buf[256];
  const Tokens t = Tokens::from_bits(w[0]);
  char tk[64];
  std::snprintf(tk, sizeof tk, "%s%s%s%s", t.pop_prev ? " pop_prev" : "",
                t.pop_next ? " pop_next" : "", t.push_prev ? " push_prev" : "",
                t.push_next ? " push_next" : "");
  switch (opcode_of(w)) {
    case 0x01: {
      LoadCmd c = LoadCmd::decode(w);
      std::snprintf(buf, sizeof buf, "LOAD %s%s dram=0x%08x stride=%u rows=%u bytes=%u sram=%u%s",
                    c.to_acc ? "acc" : "spad", c.expand8 ? " expand8" : "", c.dram_addr, c.stride,
                    c.rows, c.bytes, c.sram_addr, tk);
      break;
    }
    case 0x02: {
      StoreCmd c = StoreCmd::decode(w);
      std::snprintf(buf, sizeof buf, "STORE %s dram=0x%08x stride=%u rows=%u cols=%u acc=%u%s",
                    format_name(c.format), c.dram_addr, c.stride, c.rows, c.cols, c.acc_addr, tk);
      break;
    }
    case 0x03: {
      GemmCmd c = GemmCmd::decode(w);
      std::snprintf(buf, sizeof buf, "GEMM %s%s%s%s m=%u n=%u k=%u a=%u/%u b=%u/%u c=%u/%u%s",
                    dtype_name(c.dtype), c.a_trans ? " a_trans" : "", c.b_trans ? " b_trans" : "",
                    c.accumulate ? " acc" : "", c.m, c.n, c.k, c.a_addr, c.a_stride, c.b_addr,
                    c.b_stride, c.c_addr, c.c_stride, tk);
      break;
    }
    default:
      std::snprintf(buf, sizeof buf, "opcode 0x%02x", opcode_of(w));
      break;
  }
  return buf;
}

}  // namespace tessera::isa

namespace tessera::isa {
namespace {

// Rows [addr, addr + (n-1)*stride + width) fit in `rows` (64-bit exact, n >= 1).
bool region_fits(uint64_t addr, uint64_t n, uint64_t stride, uint64_t width, uint64_t rows) {
  return addr + (n - 1) * stride + width <= rows;
}

ErrCode check_load(const LoadCmd& c, const ChipConfig& cfg) {
  if (c.rows == 0 || c.bytes == 0 || (c.to_acc && c.expand8)) return ErrCode::kDims;
  const uint32_t esz = c.to_acc ? 4 : c.expand8 ? 1 : 2;
  if (c.bytes % esz != 0) return ErrCode::kDims;  // host strides are not checked (any overlap)
  const uint64_t per_row = ceil_div(c.bytes, cfg.dim * esz);
  const uint64_t sram = c.to_acc ? cfg.acc_rows : cfg.spad_rows;
  if (!region_fits(c.sram_addr, c.rows, per_row, per_row, sram)) return ErrCode::kSram;
  return ErrCode::kNone;
}

ErrCode check_store(const StoreCmd& c, const ChipConfig& cfg) {
  if (c.rows == 0 || c.cols == 0) return ErrCode::kDims;
  // Shift codes -32 and 31 of the 6-bit field are outside int_requant's range.
  if (c.format == StoreFormat::kInt8 && (c.shift < -31 || c.shift > 30)) return ErrCode::kDims;
  const uint64_t per_row = ceil_div(c.cols, cfg.dim);
  if (!region_fits(c.acc_addr, c.rows, per_row, per_row, cfg.acc_rows)) return ErrCode::kSram;
  return ErrCode::kNone;
}

ErrCode check_gemm(const GemmCmd& c, const ChipConfig& cfg) {
  if (c.m == 0 || c.n == 0 || c.k == 0) return ErrCode::kDims;
  const uint32_t D = cfg.dim;
  // Stored operands: rows x width-in-SRAM-rows, and their row strides.
  const uint64_t ra = c.a_trans ? c.k : c.m, wa = ceil_div(c.a_trans ? c.m : c.k, D);
  const uint64_t rb = c.b_trans ? c.n : c.k, wb = ceil_div(c.b_trans ? c.k : c.n, D);
  const uint64_t rc = c.m, wc = ceil_div(c.n, D);
  if (c.a_stride < wa || c.b_stride < wb || c.c_stride < wc) return ErrCode::kDims;
  if (!region_fits(c.a_addr, ra, c.a_stride, wa, cfg.spad_rows) ||
      !region_fits(c.b_addr, rb, c.b_stride, wb, cfg.spad_rows) ||
      !region_fits(c.c_addr, rc, c.c_stride, wc, cfg.acc_rows)) {
    return ErrCode::kSram;
  }
  if (uint32_t(c.dtype) == 3) return ErrCode::kDtype;
  return ErrCode::kNone;
}

}  // namespace

ErrCode check_command(const Words& w, const ChipConfig& cfg) {
  const uint32_t op = opcode_of(w);
  if (op < 0x01 || op > 0x03) return ErrCode::kOpcode;
  const Words mask = reserved_mask(op);
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] & mask[i]) return ErrCode::kReserved;
  }
  switch (Opcode(op)) {
    case Opcode::kLoad:
      return check_load(LoadCmd::decode(w), cfg);
    case Opcode::kStore:
      return check_store(StoreCmd::decode(w), cfg);
    case Opcode::kGemm:
      return check_gemm(GemmCmd::decode(w), cfg);
  }
  return ErrCode::kOpcode;
}

}  // namespace tessera::isa
