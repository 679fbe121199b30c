// SPDX-License-Identifier: Apache-2.0
// The Tessera command set and CSR map of docs/isa.md: the five commands with their
// 32-byte encodings, checks and names. The constants (opcodes, token flags, command fields,
// error and unit codes, formats, CSR addresses and bits, counters) come from
// config/isa.toml through the generated tessera/isa_gen.hpp, as the RTL's do (ts_isa_pkg).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "tessera/configs.hpp"
#include "tessera/golden/adamw.hpp"
#include "tessera/isa_gen.hpp"

namespace tessera::isa {

// Queues in pipeline order: load -> execute -> store.
Queue queue_of(Opcode op);

struct Tokens {
  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;
  uint32_t bits() const;
  static Tokens from_bits(uint32_t word0);
  bool any() const { return pop_prev || pop_next || push_prev || push_next; }
};

const char* err_name(ErrCode c);           // "Sram"
const char* err_description(ErrCode c);    // one line (config/isa.toml error message)
const char* unit_name(Unit u);             // "execute"
const char* opcode_name(uint32_t opcode);  // "GEMM", or "unknown"

const char* dtype_name(Dtype d);
const char* format_name(StoreFormat f);
uint32_t format_bytes(StoreFormat f);  // bytes per output element in host memory

// CSR addresses of the register arrays (the other addresses and bits: isa_gen.hpp).
namespace csr {
constexpr uint32_t win_base(uint32_t i) { return kWinBase + kWinBaseStride * i; }
constexpr uint32_t win_last(uint32_t i) { return kWinLast + kWinLastStride * i; }
constexpr uint32_t win_perm(uint32_t i) { return kWinPerm + kWinPermStride * i; }
constexpr uint32_t perf_lo(uint32_t c) { return kPerf + kPerfStride * c; }
constexpr uint32_t perf_hi(uint32_t c) { return kPerf + kPerfStride * c + 4; }
// WIN_PERM bits.
constexpr uint32_t kPermRead = kWinPermRead;
constexpr uint32_t kPermWrite = kWinPermWrite;
}  // namespace csr

// LOAD (0x01): host memory -> scratchpad (target 0) or accumulator (target 1).
struct LoadCmd {
  Tokens tok;
  bool to_acc = false;   // target
  bool expand8 = false;  // scratchpad only: INT8 bytes sign-extended to 16-bit lanes
  uint32_t dram_addr = 0;
  uint32_t stride = 0;
  uint16_t rows = 0;
  uint16_t bytes = 0;
  uint32_t sram_addr = 0;
  Words encode() const;
  static LoadCmd decode(const Words& w);
  bool operator==(const LoadCmd& o) const;
};

// STORE (0x02): accumulator -> host memory with output conversion.
struct StoreCmd {
  Tokens tok;
  StoreFormat format = StoreFormat::kRaw;
  uint32_t dram_addr = 0;
  uint32_t stride = 0;
  uint16_t rows = 0;
  uint16_t cols = 0;
  uint32_t acc_addr = 0;
  int32_t mult = 0;       // INT8: Q0.31 multiplier
  int8_t shift = 0;       // INT8: 6-bit signed field, legal range [-31, 30]
  int8_t zero_point = 0;  // INT8
  Words encode() const;
  static StoreCmd decode(const Words& w);
  bool operator==(const StoreCmd& o) const;
};

// GEMM (0x03): C (+)= op(A) op(B) on the matrix unit.
struct GemmCmd {
  Tokens tok;
  Dtype dtype = Dtype::kFp16;  // encode() writes the raw code; decode() may yield 3
  bool a_trans = false;
  bool b_trans = false;
  bool accumulate = false;
  uint16_t m = 0, n = 0, k = 0;
  uint32_t a_addr = 0, b_addr = 0, c_addr = 0;
  uint16_t a_stride = 0, b_stride = 0, c_stride = 0;
  Words encode() const;
  static GemmCmd decode(const Words& w);
  bool operator==(const GemmCmd& o) const;
};

// ADAMW (0x04): streaming AdamW over host memory (SCAN: gradients only; STEP: update).
struct AdamwCmd {
  Tokens tok;
  bool step = false;  // 0 SCAN, 1 STEP
  // encode() writes the raw code; decode() may yield 3.
  golden::GradFmt gfmt = golden::GradFmt::kFp32;
  bool clear = false;  // SCAN: zero ADAMW_SUMSQ / nonfinite first
  bool skip = false;   // STEP: do nothing if ADAMW_STATUS.nonfinite
  bool p16 = false;    // STEP: also write the 16-bit copy of p
  golden::Fmt16 p16fmt = golden::Fmt16::kFp16;
  bool decay = false;  // STEP: p = p * decay
  uint32_t n = 0;
  uint32_t g_addr = 0, p_addr = 0, m_addr = 0, v_addr = 0, p16_addr = 0, scalars_addr = 0;
  Words encode() const;
  static AdamwCmd decode(const Words& w);
  bool operator==(const AdamwCmd& o) const;
};

// VEC (0x05): one pass of the vector unit over an FP32 matrix in the accumulator
// (docs/vec.md). The field codes are the ISA's; encode() writes them raw, decode() may
// yield codes that check_command() refuses (Vop).
namespace vec {
enum Op1 : uint8_t { kPass = 0, kAdd = 1, kSub = 2, kMul = 3, kMax = 4, kMin = 5 };
enum Bsrc : uint8_t { kMat = 0, kRow = 1, kCol = 2, kImm = 3 };
enum Fn : uint8_t { kNone = 0, kExp = 1, kRecip = 2, kRsqrt = 3, kRfp16 = 4, kRbf16 = 5 };
enum Red : uint8_t { kNoRed = 0, kRedMax = 1, kRedSum = 2, kRedSumSq = 3 };
enum Mask : uint8_t { kNoMask = 0, kCausal = 1, kPad = 2 };
enum Dst : uint8_t { kNoDst = 0, kAcc = 1, kSpadFp16 = 2, kSpadBf16 = 3 };
}  // namespace vec

struct VecCmd {
  Tokens tok;
  uint8_t op1 = vec::kPass, bsrc = vec::kMat, fn = vec::kNone, red = vec::kNoRed;
  bool racc = false;  // combine the reduction with the old s
  bool sat = false;   // +-Inf after op1 -> +-FLT_MAX
  uint8_t mask = vec::kNoMask, dst = vec::kAcc;
  uint16_t rows = 0, cols = 0;
  uint32_t a_addr = 0, b_addr = 0, d_addr = 0, r_addr = 0;
  uint16_t stride = 0;
  int16_t moff = 0;
  uint32_t imm = 0;  // FP32 bits
  Words encode() const;
  static VecCmd decode(const Words& w);
  bool operator==(const VecCmd& o) const;
};

// Bytes per gradient element of an ADAMW gfmt (FP32 4, FP16/BF16 2).
inline uint32_t grad_bytes(golden::GradFmt f) { return f == golden::GradFmt::kFp32 ? 4 : 2; }
const char* grad_fmt_name(golden::GradFmt f);  // "fp32", "fp16", "bf16" ("gfmt3")
// Bytes of the ADAMW scalar block and the alignment of every ADAMW host address.
inline constexpr uint32_t kAdamwScalarBytes = 32;
inline constexpr uint32_t kAdamwAlign = 64;
// ADAMW SCAN's sum-of-squares accumulators (docs/isa.md "ADAMW"): one per FP32 element of
// a bus beat; gradient i of a SCAN goes into accumulator i mod adamw_scan_lanes.
inline uint32_t adamw_scan_lanes(const ChipConfig& c) { return c.bus_bytes / 4; }

inline uint32_t opcode_of(const Words& w) { return w[0] & kOpcodeMask; }

// Bits of each word that the command does not define (must be 0; else ErrReserved),
// including token flags the command's queue does not have. All ones for an unknown opcode.
Words reserved_mask(uint32_t opcode);

// One-line human-readable rendering of a command ("GEMM fp16 m=128 ...").
std::string describe(const Words& w);

inline uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

// The checks the fetcher applies to a command before dispatching it (docs/isa.md error
// codes 1-5, 11 and 12). When several fail, the lowest code wins: Opcode, Reserved, Dims,
// Sram, Dtype; Align (ADAMW only) and Vop (VEC only) are checked last. ADAMW is an unknown
// opcode (Opcode) when cfg.adamw_lanes == 0, VEC when !cfg.vec. kNone: the command may be dispatched (window, bus, token and
// matrix-unit checks happen later, in the queues).
ErrCode check_command(const Words& w, const ChipConfig& cfg);

}  // namespace tessera::isa
