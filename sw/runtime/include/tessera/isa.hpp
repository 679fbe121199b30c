// SPDX-License-Identifier: Apache-2.0
// The Tessera command set and CSR map of docs/isa.md: opcodes, token flags, error codes,
// CSR addresses and the three commands with their 32-byte encodings.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "tessera/configs.hpp"

namespace tessera::isa {

using Words = std::array<uint32_t, 8>;  // one command, little-endian words
constexpr uint32_t kCmdBytes = 32;

enum class Opcode : uint8_t { kLoad = 0x01, kStore = 0x02, kGemm = 0x03 };

// Word 0 token flags (VTA-style dependency tokens).
constexpr uint32_t kPopPrev = 1u << 8;
constexpr uint32_t kPopNext = 1u << 9;
constexpr uint32_t kPushPrev = 1u << 10;
constexpr uint32_t kPushNext = 1u << 11;
constexpr uint32_t kTokenMask = 0xf00u;

// Queues in pipeline order: load -> execute -> store.
enum class Queue : uint8_t { kLoad = 0, kExec = 1, kStore = 2 };
Queue queue_of(Opcode op);

// Token counters, indexed as in the chip: L->E, E->L, E->S, S->E.
enum TokenCounter : uint8_t { kTokLtoE = 0, kTokEtoL = 1, kTokEtoS = 2, kTokStoE = 3 };
constexpr uint32_t kTokenMax = 255;  // 8-bit counters

struct Tokens {
  bool pop_prev = false, pop_next = false, push_prev = false, push_next = false;
  uint32_t bits() const;
  static Tokens from_bits(uint32_t word0);
  bool any() const { return pop_prev || pop_next || push_prev || push_next; }
};

// ERR_CODE[7:0].
enum class ErrCode : uint8_t {
  kNone = 0,
  kOpcode = 1,
  kReserved = 2,
  kDims = 3,
  kSram = 4,
  kDtype = 5,
  kWindow = 6,
  kBus = 7,
  kRing = 8,
  kToken = 9,
  kMmu = 10,
};
// ERR_CODE[11:8].
enum class Unit : uint8_t { kNone = 0, kFetch = 1, kLoad = 2, kExec = 3, kStore = 4 };

const char* err_name(ErrCode c);           // "Sram"
const char* err_description(ErrCode c);    // one line from the docs/isa.md table
const char* unit_name(Unit u);             // "execute"
const char* opcode_name(uint32_t opcode);  // "GEMM", or "unknown"

// GEMM dtype, STORE format.
enum class Dtype : uint8_t { kFp16 = 0, kBf16 = 1, kInt8 = 2 };
enum class StoreFormat : uint8_t { kRaw = 0, kFp16 = 1, kBf16 = 2, kInt8 = 3 };
const char* dtype_name(Dtype d);
const char* format_name(StoreFormat f);
uint32_t format_bytes(StoreFormat f);  // bytes per output element in host memory

// CSR addresses (AXI4-Lite byte addresses).
namespace csr {
constexpr uint32_t kId = 0x000;
constexpr uint32_t kVersion = 0x004;
constexpr uint32_t kCfgDim = 0x008;
constexpr uint32_t kCfgSpadRows = 0x00c;
constexpr uint32_t kCfgAccRows = 0x010;
constexpr uint32_t kCtrl = 0x020;
constexpr uint32_t kStatus = 0x024;
constexpr uint32_t kErrCode = 0x028;
constexpr uint32_t kErrCmd = 0x02c;
constexpr uint32_t kErrAddr = 0x030;
constexpr uint32_t kRingBase = 0x040;
constexpr uint32_t kRingSize = 0x044;
constexpr uint32_t kRingHead = 0x048;
constexpr uint32_t kRingTail = 0x04c;
constexpr uint32_t kDoorbell = 0x050;
constexpr uint32_t kFlags = 0x060;
constexpr uint32_t win_base(uint32_t i) { return 0x080 + 16 * i; }
constexpr uint32_t win_last(uint32_t i) { return 0x084 + 16 * i; }
constexpr uint32_t win_perm(uint32_t i) { return 0x088 + 16 * i; }
constexpr uint32_t perf_lo(uint32_t c) { return 0x100 + 8 * c; }
constexpr uint32_t perf_hi(uint32_t c) { return 0x104 + 8 * c; }

constexpr uint32_t kIdValue = 0x54534152u;  // "TSAR"
constexpr uint32_t kVersionValue = 0x00010000u;

// CTRL bits.
constexpr uint32_t kCtrlSoftReset = 1u << 0;
constexpr uint32_t kCtrlIrqDoneEn = 1u << 1;
constexpr uint32_t kCtrlIrqErrorEn = 1u << 2;
constexpr uint32_t kCtrlPerfClear = 1u << 3;
// STATUS bits.
constexpr uint32_t kStatusBusy = 1u << 0;
constexpr uint32_t kStatusDone = 1u << 1;
constexpr uint32_t kStatusError = 1u << 2;
constexpr uint32_t kStatusWaitLoad = 1u << 3;
constexpr uint32_t kStatusWaitExec = 1u << 4;
constexpr uint32_t kStatusWaitStore = 1u << 5;
constexpr uint32_t kStatusFetchStopped = 1u << 6;
// WIN_PERM bits.
constexpr uint32_t kPermRead = 1u << 0;
constexpr uint32_t kPermWrite = 1u << 1;
}  // namespace csr

// PERF[c] counters.
enum Perf : uint32_t {
  kPerfCycles = 0,
  kPerfBusy = 1,
  kPerfFetched = 2,
  kPerfLoadBusy = 3,
  kPerfLoadWait = 4,
  kPerfExecBusy = 5,
  kPerfExecWait = 6,
  kPerfStoreBusy = 7,
  kPerfStoreWait = 8,
  kPerfMmuActive = 9,
  kPerfMacs = 10,
  kPerfBytesRead = 11,
  kPerfBytesWritten = 12,
  kPerfCount = 13,
};

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

inline uint32_t opcode_of(const Words& w) { return w[0] & 0xffu; }

// Bits of each word that the command does not define (must be 0; else ErrReserved),
// including token flags the command's queue does not have. All ones for an unknown opcode.
Words reserved_mask(uint32_t opcode);

// One-line human-readable rendering of a command ("GEMM fp16 m=128 ...").
std::string describe(const Words& w);

inline uint32_t ceil_div(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

// The checks the fetcher applies to a command before dispatching it (docs/isa.md error
// codes 1-5). When several fail, the lowest code wins: Opcode, Reserved, Dims, Sram, Dtype.
// kNone: the command may be dispatched (window, bus, token and matrix-unit checks happen
// later, in the queues).
ErrCode check_command(const Words& w, const ChipConfig& cfg);

}  // namespace tessera::isa
