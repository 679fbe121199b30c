// SPDX-License-Identifier: Apache-2.0
// Encodings of the docs/isa.md commands, reserved-bit masks and names for messages, on the
// generated field layout and tables of tessera/isa_gen.hpp (config/isa.toml).
#include "tessera/isa.hpp"

#include <cstdio>

namespace tessera::isa {

namespace {

const OpcodeInfo* opcode_info(uint32_t op) {
  for (const OpcodeInfo& i : kOpcodes) {
    if (uint32_t(i.op) == op) return &i;
  }
  return nullptr;
}

template <size_t N, typename T>
const T* entry(const T (&table)[N], uint32_t code) {
  return code < N ? &table[code] : nullptr;
}

}  // namespace

Queue queue_of(Opcode op) {
  const OpcodeInfo* i = opcode_info(uint32_t(op));
  return i ? i->queue : Queue::kExec;
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
  const ErrInfo* e = entry(kErrors, uint32_t(c));
  return e ? e->name : "unknown";
}

const char* err_description(ErrCode c) {
  const ErrInfo* e = entry(kErrors, uint32_t(c));
  return e ? e->message : "unknown error code";
}

const char* unit_name(Unit u) {
  const char* const* n = entry(kUnitNames, uint32_t(u));
  return n ? *n : "unknown";
}

const char* opcode_name(uint32_t op) {
  const OpcodeInfo* i = opcode_info(op);
  return i ? i->name : "unknown";
}

const char* dtype_name(Dtype d) {
  const char* const* n = entry(kDtypeNames, uint32_t(d));
  return n ? *n : "dtype3";
}

const char* format_name(StoreFormat f) {
  const FormatInfo* i = entry(kFormats, uint32_t(f));
  return i ? i->name : "?";
}

uint32_t format_bytes(StoreFormat f) {
  const FormatInfo* i = entry(kFormats, uint32_t(f));
  return i ? i->bytes : 4;
}

Words LoadCmd::encode() const {
  using namespace field;
  Words w{};
  w[0] = uint32_t(Opcode::kLoad) | tok.bits();
  kLoadTarget.put(w, to_acc);
  kLoadExpand8.put(w, expand8);
  kLoadDramAddr.put(w, dram_addr);
  kLoadStride.put(w, stride);
  kLoadRows.put(w, rows);
  kLoadBytes.put(w, bytes);
  kLoadSramAddr.put(w, sram_addr);
  return w;
}

LoadCmd LoadCmd::decode(const Words& w) {
  using namespace field;
  LoadCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.to_acc = kLoadTarget.get(w);
  c.expand8 = kLoadExpand8.get(w);
  c.dram_addr = kLoadDramAddr.get(w);
  c.stride = kLoadStride.get(w);
  c.rows = uint16_t(kLoadRows.get(w));
  c.bytes = uint16_t(kLoadBytes.get(w));
  c.sram_addr = kLoadSramAddr.get(w);
  return c;
}

bool LoadCmd::operator==(const LoadCmd& o) const {
  return tok_eq(tok, o.tok) && to_acc == o.to_acc && expand8 == o.expand8 &&
         dram_addr == o.dram_addr && stride == o.stride && rows == o.rows && bytes == o.bytes &&
         sram_addr == o.sram_addr;
}

Words StoreCmd::encode() const {
  using namespace field;
  Words w{};
  w[0] = uint32_t(Opcode::kStore) | tok.bits();
  kStoreFormat.put(w, uint32_t(format));
  kStoreDramAddr.put(w, dram_addr);
  kStoreStride.put(w, stride);
  kStoreRows.put(w, rows);
  kStoreCols.put(w, cols);
  kStoreAccAddr.put(w, acc_addr);
  kStoreMult.put(w, uint32_t(mult));
  kStoreShift.put(w, uint32_t(uint8_t(shift)));
  kStoreZeroPoint.put(w, uint32_t(uint8_t(zero_point)));
  return w;
}

StoreCmd StoreCmd::decode(const Words& w) {
  using namespace field;
  StoreCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.format = StoreFormat(kStoreFormat.get(w));
  c.dram_addr = kStoreDramAddr.get(w);
  c.stride = kStoreStride.get(w);
  c.rows = uint16_t(kStoreRows.get(w));
  c.cols = uint16_t(kStoreCols.get(w));
  c.acc_addr = kStoreAccAddr.get(w);
  c.mult = int32_t(kStoreMult.get(w));
  // Sign-extend the shift field (two's complement of its width).
  const int32_t sh = int32_t(kStoreShift.get(w));
  const int32_t half = 1 << (kStoreShift.width - 1);
  c.shift = int8_t(sh >= half ? sh - 2 * half : sh);
  c.zero_point = int8_t(uint8_t(kStoreZeroPoint.get(w)));
  return c;
}

bool StoreCmd::operator==(const StoreCmd& o) const {
  return tok_eq(tok, o.tok) && format == o.format && dram_addr == o.dram_addr &&
         stride == o.stride && rows == o.rows && cols == o.cols && acc_addr == o.acc_addr &&
         mult == o.mult && shift == o.shift && zero_point == o.zero_point;
}

Words GemmCmd::encode() const {
  using namespace field;
  Words w{};
  w[0] = uint32_t(Opcode::kGemm) | tok.bits();
  kGemmDtype.put(w, uint32_t(dtype));
  kGemmATrans.put(w, a_trans);
  kGemmBTrans.put(w, b_trans);
  kGemmAccumulate.put(w, accumulate);
  kGemmM.put(w, m);
  kGemmN.put(w, n);
  kGemmK.put(w, k);
  kGemmAAddr.put(w, a_addr);
  kGemmBAddr.put(w, b_addr);
  kGemmCAddr.put(w, c_addr);
  kGemmAStride.put(w, a_stride);
  kGemmBStride.put(w, b_stride);
  kGemmCStride.put(w, c_stride);
  return w;
}

GemmCmd GemmCmd::decode(const Words& w) {
  using namespace field;
  GemmCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.dtype = Dtype(kGemmDtype.get(w));
  c.a_trans = kGemmATrans.get(w);
  c.b_trans = kGemmBTrans.get(w);
  c.accumulate = kGemmAccumulate.get(w);
  c.m = uint16_t(kGemmM.get(w));
  c.n = uint16_t(kGemmN.get(w));
  c.k = uint16_t(kGemmK.get(w));
  c.a_addr = kGemmAAddr.get(w);
  c.b_addr = kGemmBAddr.get(w);
  c.c_addr = kGemmCAddr.get(w);
  c.a_stride = uint16_t(kGemmAStride.get(w));
  c.b_stride = uint16_t(kGemmBStride.get(w));
  c.c_stride = uint16_t(kGemmCStride.get(w));
  return c;
}

bool GemmCmd::operator==(const GemmCmd& o) const {
  return tok_eq(tok, o.tok) && dtype == o.dtype && a_trans == o.a_trans && b_trans == o.b_trans &&
         accumulate == o.accumulate && m == o.m && n == o.n && k == o.k && a_addr == o.a_addr &&
         b_addr == o.b_addr && c_addr == o.c_addr && a_stride == o.a_stride &&
         b_stride == o.b_stride && c_stride == o.c_stride;
}

const char* grad_fmt_name(golden::GradFmt f) {
  switch (f) {
    case golden::GradFmt::kFp32:
      return "fp32";
    case golden::GradFmt::kFp16:
      return "fp16";
    case golden::GradFmt::kBf16:
      return "bf16";
  }
  return "gfmt3";
}

Words AdamwCmd::encode() const {
  using namespace field;
  Words w{};
  w[0] = uint32_t(Opcode::kAdamw) | tok.bits();
  kAdamwStep.put(w, step);
  kAdamwGfmt.put(w, uint32_t(gfmt));
  kAdamwClear.put(w, clear);
  kAdamwSkip.put(w, skip);
  kAdamwP16.put(w, p16);
  kAdamwP16fmt.put(w, uint32_t(p16fmt));
  kAdamwDecay.put(w, decay);
  kAdamwN.put(w, n);
  kAdamwGAddr.put(w, g_addr);
  kAdamwPAddr.put(w, p_addr);
  kAdamwMAddr.put(w, m_addr);
  kAdamwVAddr.put(w, v_addr);
  kAdamwP16Addr.put(w, p16_addr);
  kAdamwScalarsAddr.put(w, scalars_addr);
  return w;
}

AdamwCmd AdamwCmd::decode(const Words& w) {
  using namespace field;
  AdamwCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.step = kAdamwStep.get(w);
  c.gfmt = golden::GradFmt(kAdamwGfmt.get(w));
  c.clear = kAdamwClear.get(w);
  c.skip = kAdamwSkip.get(w);
  c.p16 = kAdamwP16.get(w);
  c.p16fmt = golden::Fmt16(kAdamwP16fmt.get(w));
  c.decay = kAdamwDecay.get(w);
  c.n = kAdamwN.get(w);
  c.g_addr = kAdamwGAddr.get(w);
  c.p_addr = kAdamwPAddr.get(w);
  c.m_addr = kAdamwMAddr.get(w);
  c.v_addr = kAdamwVAddr.get(w);
  c.p16_addr = kAdamwP16Addr.get(w);
  c.scalars_addr = kAdamwScalarsAddr.get(w);
  return c;
}

bool AdamwCmd::operator==(const AdamwCmd& o) const {
  return tok_eq(tok, o.tok) && step == o.step && gfmt == o.gfmt && clear == o.clear &&
         skip == o.skip && p16 == o.p16 && p16fmt == o.p16fmt && decay == o.decay && n == o.n &&
         g_addr == o.g_addr && p_addr == o.p_addr && m_addr == o.m_addr && v_addr == o.v_addr &&
         p16_addr == o.p16_addr && scalars_addr == o.scalars_addr;
}

Words VecCmd::encode() const {
  using namespace field;
  Words w{};
  w[0] = uint32_t(Opcode::kVec) | tok.bits();
  kVecOp1.put(w, op1);
  kVecBsrc.put(w, bsrc);
  kVecFn.put(w, fn);
  kVecRed.put(w, red);
  kVecRacc.put(w, racc);
  kVecSat.put(w, sat);
  kVecMask.put(w, mask);
  kVecDst.put(w, dst);
  kVecRows.put(w, rows);
  kVecCols.put(w, cols);
  kVecAAddr.put(w, a_addr);
  kVecBAddr.put(w, b_addr);
  kVecDAddr.put(w, d_addr);
  kVecRAddr.put(w, r_addr);
  kVecStride.put(w, stride);
  kVecMoff.put(w, uint16_t(moff));
  kVecImm.put(w, imm);
  return w;
}

VecCmd VecCmd::decode(const Words& w) {
  using namespace field;
  VecCmd c;
  c.tok = Tokens::from_bits(w[0]);
  c.op1 = uint8_t(kVecOp1.get(w));
  c.bsrc = uint8_t(kVecBsrc.get(w));
  c.fn = uint8_t(kVecFn.get(w));
  c.red = uint8_t(kVecRed.get(w));
  c.racc = kVecRacc.get(w);
  c.sat = kVecSat.get(w);
  c.mask = uint8_t(kVecMask.get(w));
  c.dst = uint8_t(kVecDst.get(w));
  c.rows = uint16_t(kVecRows.get(w));
  c.cols = uint16_t(kVecCols.get(w));
  c.a_addr = kVecAAddr.get(w);
  c.b_addr = kVecBAddr.get(w);
  c.d_addr = kVecDAddr.get(w);
  c.r_addr = kVecRAddr.get(w);
  c.stride = uint16_t(kVecStride.get(w));
  c.moff = int16_t(uint16_t(kVecMoff.get(w)));
  c.imm = kVecImm.get(w);
  return c;
}

bool VecCmd::operator==(const VecCmd& o) const {
  return encode() == o.encode();
}

Words reserved_mask(uint32_t opcode) {
  const OpcodeInfo* i = opcode_info(opcode);
  if (i) return i->reserved;
  Words m{};
  m.fill(0xffffffffu);
  return m;
}

std::string describe(const Words& w) {
  char buf[320];
  const Tokens t = Tokens::from_bits(w[0]);
  char tk[64];
  std::snprintf(tk, sizeof tk, "%s%s%s%s", t.pop_prev ? " pop_prev" : "",
                t.pop_next ? " pop_next" : "", t.push_prev ? " push_prev" : "",
                t.push_next ? " push_next" : "");
  switch (opcode_of(w)) {
    case uint32_t(Opcode::kLoad): {
      LoadCmd c = LoadCmd::decode(w);
      std::snprintf(buf, sizeof buf, "LOAD %s%s dram=0x%08x stride=%u rows=%u bytes=%u sram=%u%s",
                    c.to_acc ? "acc" : "spad", c.expand8 ? " expand8" : "", c.dram_addr, c.stride,
                    c.rows, c.bytes, c.sram_addr, tk);
      break;
    }
    case uint32_t(Opcode::kStore): {
      StoreCmd c = StoreCmd::decode(w);
      std::snprintf(buf, sizeof buf, "STORE %s dram=0x%08x stride=%u rows=%u cols=%u acc=%u%s",
                    format_name(c.format), c.dram_addr, c.stride, c.rows, c.cols, c.acc_addr, tk);
      break;
    }
    case uint32_t(Opcode::kGemm): {
      GemmCmd c = GemmCmd::decode(w);
      std::snprintf(buf, sizeof buf, "GEMM %s%s%s%s m=%u n=%u k=%u a=%u/%u b=%u/%u c=%u/%u%s",
                    dtype_name(c.dtype), c.a_trans ? " a_trans" : "", c.b_trans ? " b_trans" : "",
                    c.accumulate ? " acc" : "", c.m, c.n, c.k, c.a_addr, c.a_stride, c.b_addr,
                    c.b_stride, c.c_addr, c.c_stride, tk);
      break;
    }
    case uint32_t(Opcode::kAdamw): {
      AdamwCmd c = AdamwCmd::decode(w);
      if (!c.step) {
        std::snprintf(buf, sizeof buf, "ADAMW SCAN %s%s n=%u g=0x%08x scalars=0x%08x%s",
                      grad_fmt_name(c.gfmt), c.clear ? " clear" : "", c.n, c.g_addr, c.scalars_addr,
                      tk);
      } else {
        char p16[40] = "";
        if (c.p16) {
          std::snprintf(p16, sizeof p16, " p16(%s)=0x%08x",
                        c.p16fmt == golden::Fmt16::kBf16 ? "bf16" : "fp16", c.p16_addr);
        }
        std::snprintf(buf, sizeof buf,
                      "ADAMW STEP %s%s%s n=%u g=0x%08x p=0x%08x m=0x%08x v=0x%08x%s "
                      "scalars=0x%08x%s",
                      grad_fmt_name(c.gfmt), c.skip ? " skip" : "", c.decay ? " decay" : "", c.n,
                      c.g_addr, c.p_addr, c.m_addr, c.v_addr, p16, c.scalars_addr, tk);
      }
      break;
    }
    case uint32_t(Opcode::kVec): {
      static const char* const kOp1[] = {"pass", "add", "sub", "mul", "max", "min", "op6", "op7"};
      static const char* const kBsrc[] = {"mat", "row", "col", "imm"};
      static const char* const kFn[] = {"", " exp", " recip", " rsqrt", " rfp16", " rbf16",
                                        " fn6", " fn7"};
      static const char* const kRed[] = {"", " max", " sum", " sumsq"};
      static const char* const kMask[] = {"", " causal", " pad", " mask3"};
      static const char* const kDst[] = {"none", "acc", "spad-fp16", "spad-bf16"};
      VecCmd c = VecCmd::decode(w);
      std::snprintf(buf, sizeof buf,
                    "VEC %s(%s)%s%s%s%s rows=%u cols=%u a=%u b=%u %s=%u stride=%u s%s=%u "
                    "moff=%d imm=0x%08x%s",
                    kOp1[c.op1 & 7], kBsrc[c.bsrc & 3], c.sat ? " sat" : "", kMask[c.mask & 3],
                    kFn[c.fn & 7], kRed[c.red & 3], c.rows, c.cols, c.a_addr, c.b_addr,
                    kDst[c.dst & 3], c.d_addr, c.stride, c.racc ? "+" : "", c.r_addr, c.moff,
                    c.imm, tk);
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

// Sizes, then the format, then (last, docs/isa.md) the alignment of all six address
// words whatever the mode: the fetcher checks the words, not what the mode uses.
ErrCode check_adamw(const AdamwCmd& c) {
  if (c.n == 0) return ErrCode::kDims;
  if (uint32_t(c.gfmt) == 3) return ErrCode::kDtype;
  const uint32_t any = c.g_addr | c.p_addr | c.m_addr | c.v_addr | c.p16_addr | c.scalars_addr;
  if (any % kAdamwAlign != 0) return ErrCode::kAlign;
  return ErrCode::kNone;
}

// docs/vec.md: sizes and the row stride, the four regions (A; B unless op1 = PASS or
// bsrc = IMM; D unless dst = NONE; s unless red = NONE), then the operation codes.
ErrCode check_vec(const VecCmd& c, const ChipConfig& cfg) {
  if (c.rows == 0 || c.cols == 0) return ErrCode::kDims;
  const uint64_t w = ceil_div(c.cols, cfg.dim);
  if (c.rows > 1 && c.stride < w) return ErrCode::kDims;
  bool fits = region_fits(c.a_addr, c.rows, c.stride, w, cfg.acc_rows);
  if (c.op1 != vec::kPass && c.bsrc != vec::kImm) {
    if (c.bsrc == vec::kMat) fits = fits && region_fits(c.b_addr, c.rows, c.stride, w, cfg.acc_rows);
    if (c.bsrc == vec::kRow) fits = fits && region_fits(c.b_addr, 1, 0, ceil_div(c.rows, cfg.dim), cfg.acc_rows);
    if (c.bsrc == vec::kCol) fits = fits && region_fits(c.b_addr, 1, 0, w, cfg.acc_rows);
  }
  if (c.dst != vec::kNoDst) {
    fits = fits && region_fits(c.d_addr, c.rows, c.stride, w,
                               c.dst == vec::kAcc ? cfg.acc_rows : cfg.spad_rows);
  }
  if (c.red != vec::kNoRed) {
    fits = fits && region_fits(c.r_addr, 1, 0, ceil_div(c.rows, cfg.dim), cfg.acc_rows);
  }
  if (!fits) return ErrCode::kSram;
  if (c.op1 > vec::kMin || c.fn > vec::kRbf16 || c.mask > vec::kPad ||
      (c.dst == vec::kNoDst && c.red == vec::kNoRed) ||
      (!cfg.vec_divsqrt && (c.fn == vec::kRecip || c.fn == vec::kRsqrt))) {
    return ErrCode::kVop;
  }
  return ErrCode::kNone;
}

}  // namespace

ErrCode check_command(const Words& w, const ChipConfig& cfg) {
  const uint32_t op = opcode_of(w);
  if (!opcode_info(op)) return ErrCode::kOpcode;
  if (op == uint32_t(Opcode::kAdamw) && cfg.adamw_lanes == 0) return ErrCode::kOpcode;
  if (op == uint32_t(Opcode::kVec) && !cfg.vec) return ErrCode::kOpcode;
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
    case Opcode::kAdamw:
      return check_adamw(AdamwCmd::decode(w));
    case Opcode::kVec:
      return check_vec(VecCmd::decode(w), cfg);
  }
  return ErrCode::kOpcode;
}

}  // namespace tessera::isa
