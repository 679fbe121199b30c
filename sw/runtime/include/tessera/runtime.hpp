// SPDX-License-Identifier: Apache-2.0
// Runtime: the host driver over a Device: windows, device-buffer allocator, command ring,
// error reporting, GEMM of any shape tiled automatically for the configuration, the
// AdamW optimizer step (ADAMW commands, loss scaling, clipping by the global norm) and the
// vector kernels (VEC commands).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/adamw.hpp"
#include "tessera/command_stream.hpp"
#include "tessera/device.hpp"
#include "tessera/isa.hpp"

namespace tessera {

// The chip reported an error (ERR_CODE) while running a command stream.
class DeviceError : public std::runtime_error {
 public:
  DeviceError(const std::string& msg, isa::ErrCode code, isa::Unit unit, int64_t command,
              uint32_t addr)
      : std::runtime_error(msg), code(code), unit(unit), command(command), addr(addr) {}
  isa::ErrCode code;
  isa::Unit unit;
  int64_t command;  // index in the submitted stream (-1: not a command, e.g. a ring error)
  uint32_t addr;    // ERR_ADDR
};

// A device buffer: a byte range of host memory inside the runtime's DRAM window.
struct Buffer {
  uint32_t addr = 0;
  uint32_t size = 0;
};

struct RuntimeOptions {
  uint32_t dram_base = 0x10000000u;  // the window the runtime programs (window 0, RW)
  uint32_t dram_size = 0x40000000u;
  uint32_t ring_slots = 4096;   // commands in the ring (32 bytes each)
  uint64_t timeout_cycles = 0;  // per run; 0: derived from the stream
  bool reset_on_error = true;   // soft-reset (and re-arm) before throwing DeviceError
  // Called while waiting (about every `progress_interval` cycles): commands fetched so far
  // and in total. Not called by a device that finishes at the doorbell (FuncDevice).
  std::function<void(uint64_t fetched, uint64_t total)> progress;
  uint64_t progress_interval = 200000;
};

// Counters of one run (PERF after a perf_clear at submission).
struct RunStats {
  uint64_t cycles = 0;  // device cycles from the doorbell to done (sum over ring chunks)
  std::array<uint64_t, isa::kPerfCount> perf{};
  uint32_t flags = 0;  // FLAGS of this run
  size_t commands = 0;
};

// ---------------------------------------------------------------------------------------
// GEMM tiling plan (see docs/runtime.md). C is cut into blocks of bm x bn (bn a multiple
// of Dim); each block's K range into groups (multiples of Dim, the last one excepted).
// Group g's A and B blocks are loaded into scratchpad slot g mod spad_slots; block c
// accumulates in accumulator slot c mod acc_slots. The first groups of the first block
// ramp up (2 Dim, 4 Dim, ... up to kb) so that the array starts early.
struct GemmShape {
  uint32_t m = 0, n = 0, k = 0;
  isa::Dtype dtype = isa::Dtype::kFp16;
  bool a_trans = false, b_trans = false, accumulate = false;
};

struct GemmPlan {
  uint32_t bm = 0, bn = 0, kb = 0, kb_first = 0;
  uint32_t spad_slots = 0, acc_slots = 0;
  uint32_t spad_slot_rows = 0, acc_slot_rows = 0;
  uint32_t a_slot_rows = 0;  // B's part of a slot starts here
  // B panel mode (panels > 0): the whole K x bn panel of B for a column block is loaded
  // once, into one of `panels` buffers of `panel_rows` rows at the start of the
  // scratchpad, and reused by every M block of that column; the slots then hold A only
  // and start after the panels. Column blocks are the outer loop.
  uint32_t panels = 0, panel_rows = 0;
  // M blocks of the last column block: bm rows each, then the last 2 bm rows or less are
  // halved down to `m_tail_min` rows (0: no halving), so that the STORE of the last block,
  // which nothing hides, is short (B panel mode only).
  uint32_t m_tail_min = 0;
  // The very last K group's GEMM is split into row parts of `last_rows` rows (a multiple
  // of Dim; 0: not split), each followed by the STORE of its rows, so that a part's STORE
  // runs while the array computes the next part and only the last part's STORE is left
  // after the array has finished.
  uint32_t last_rows = 0;
  // The last column block is cut into column blocks of `n_tail` columns (a multiple of
  // Dim; 0: not cut), the M tail above applying to the last of them (B panel mode only).
  uint32_t n_tail = 0;
  // The first block's first K groups (multiples of Dim, growing to kb): empty means
  // kb_first, then doubling up to kb.
  std::vector<uint32_t> ramp;
  // K group sizes of block `block` (in order, summing to k).
  std::vector<uint32_t> k_groups(uint32_t k, size_t block) const;
  // Row counts of the M blocks (in order, summing to m) of a column block.
  std::vector<uint32_t> m_blocks(uint32_t m, bool last_column) const;
  // Column counts of the column blocks (in order, summing to n) in B panel mode.
  std::vector<uint32_t> n_blocks(uint32_t n) const;
  std::string describe() const;
};

// Largest blocks that fit two scratchpad and two accumulator slots (targets: bm = bn =
// 128, kb = max(128, 8 Dim)). Throws std::invalid_argument for an empty shape.
GemmPlan plan_gemm(const ChipConfig& cfg, const GemmShape& shape);

struct Requant {
  int32_t mult = 1 << 30;  // Q0.31
  int shift = 0;           // [-31, 30]
  int32_t zero_point = 0;  // [-128, 127]
};

// D = op(A) op(B) (+ C). Host layouts are dense row-major: A is M x K (K x M with
// a_trans), B is K x N (N x K with b_trans), 2-byte FP16/BF16 codes or 1-byte INT8;
// C (optional) M x N raw FP32/INT32; D M x N in `out` (raw: 4 bytes, FP16/BF16: 2,
// INT8: 1). Requantisation is per tensor (the ISA has no per-channel STORE yet).
struct GemmArgs {
  isa::Dtype dtype = isa::Dtype::kFp16;
  uint32_t m = 0, n = 0, k = 0;
  bool a_trans = false, b_trans = false;
  Buffer a, b;
  std::optional<Buffer> c;  // accumulate into C (may be the same buffer as d)
  Buffer d;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
  Requant rq;
  std::optional<GemmPlan> plan;  // override the automatic plan
};

uint32_t elem_bytes(isa::Dtype d);  // 2, 2, 1

// ---------------------------------------------------------------------------------------
// AdamW (docs/runtime.md "adamw_step"). One parameter tensor: FP32 master weights p, FP32
// moments m and v (zero before the first step, as PyTorch's state), the gradient g of n
// elements in AdamWStepOptions::grad_fmt (as backward produced it, i.e. still multiplied by
// the loss scale) and optionally the FP16/BF16 copy of p that the next forward pass reads.
// Every buffer must start on a 64-byte boundary (Runtime::alloc's default) and hold n
// elements; no two ranges (of any tensors) may overlap.
struct AdamWTensor {
  Buffer p, m, v, g;
  std::optional<Buffer> p16;
  uint32_t n = 0;
};

struct AdamWStepOptions {
  golden::GradFmt grad_fmt = golden::GradFmt::kFp32;  // g of every tensor
  golden::Fmt16 p16_fmt = golden::Fmt16::kBf16;       // format of the p16 copies (RNE)
  // Static loss scale (the gradients are divided by it), used when `scaler` is null.
  double loss_scale = 1.0;
  // Dynamic loss scaling (torch.amp.GradScaler): the step uses scaler->scale(), is skipped
  // (nothing written) when an unscaled gradient is Inf or NaN, and scaler->update(found_inf)
  // is called after it, as scaler.step(opt); scaler.update() do.
  GradScaler* scaler = nullptr;
  // torch.nn.utils.clip_grad_norm_(params, max_grad_norm) on the unscaled gradients: one
  // SCAN pass over all tensors, then the coefficient is folded into inv_loss_scale. A
  // non-finite gradient then skips the step (with or without a scaler).
  std::optional<double> max_grad_norm;
};

struct AdamWResult {
  bool skipped = false;             // non-finite gradient: p, m, v, p16 untouched
  std::optional<double> grad_norm;  // with max_grad_norm: sqrt(ADAMW_SUMSQ), the global L2
                                    // norm of the unscaled gradients (Inf / NaN if non-finite)
  std::optional<double> clip_coef;  // with max_grad_norm and not skipped
  double loss_scale = 1.0;          // the scale this step's gradients carried
  double new_loss_scale = 1.0;      // after scaler->update() (= loss_scale without scaler)
  float grad_scale = 1.0f;          // the inv_loss_scale scalar the STEPs used
  RunStats stats;                   // every run of the step: cycles, PERF summed, FLAGS ORed
  RunStats step_stats;              // the run that held the STEPs (with the SCANs if fused)
};

// ---------------------------------------------------------------------------------------
// Scaled dot-product attention on the chip (docs/attention.md): matrix-unit GEMMs and
// vector-unit passes, tiled with an online softmax (running max m, running sum l) so the
// sequence length is not limited by SRAM. Tensors are dense row-major per head:
// Q [heads][seq_q][head_dim], K and V [heads][seq_k][head_dim], O and dO like Q, in
// `dtype` (FP16 or BF16) for Q, K, V, dO; O, dQ, dK, dV in `out` (raw FP32, FP16, BF16).
//   S = scale Q K^T (causal: key j hidden from query i when j > i, top-left aligned),
//   P = softmax(S), O = P V, lse_i = log sum_j e^(S_ij) (FP32, -Inf for a row with no key).
struct AttentionArgs {
  uint32_t heads = 1, seq_q = 0, seq_k = 0, head_dim = 0;
  isa::Dtype dtype = isa::Dtype::kFp16;
  isa::StoreFormat out = isa::StoreFormat::kFp16;
  std::optional<float> scale;  // default: fl(1 / sqrt(head_dim))
  bool causal = false;
  // Forward: q, k, v in; o out; lse (heads * seq_q FP32) out, optional.
  // Backward: q, k, v, o, d_o and lse (the forward's) in; dq, dk, dv out.
  Buffer q, k, v, o;
  std::optional<Buffer> lse;
  Buffer d_o, dq, dk, dv;
  // Block sizes (query rows, key rows per tile); 0: chosen by plan_attention.
  uint32_t block_q = 0, block_k = 0;
};

struct AttentionPlan {
  uint32_t block_q = 0, block_k = 0;
  std::string describe() const;
};

// Forward and backward statistics of one attention call.
struct AttentionStats {
  RunStats run;             // the chip's run(s): cycles, PERF, FLAGS
  AttentionPlan plan;
  uint64_t macs = 0;        // useful matrix-unit MACs (causal: visible scores only)
  uint64_t dram_bytes = 0;  // bytes of the tensors read and written once
};

// ---------------------------------------------------------------------------------------
// Vector kernels on the vector unit (docs/vec.md "Runtime ops").
//
// Row softmax: y[r] = softmax(scale * x[r] with the mask's hidden elements at -Inf), x and
// y dense row-major rows x cols, x FP32, y in `out` (raw FP32, FP16 or BF16, RNE).
// Defined extremes: +-Inf logits count as +-FLT_MAX (several +Inf share the row equally);
// a row whose elements are all hidden gives zeros (and raises NV in FLAGS); NaN in a row
// gives NaN in that row. cols must fit one accumulator half (Runtime::softmax_max_cols).
struct SoftmaxArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, y;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
  float scale = 1.0f;
  bool causal = false;       // hides c > r + causal_offset (r: the row index in x)
  int32_t causal_offset = 0;
  std::optional<uint32_t> valid_cols;  // hides c >= valid_cols (padding)
};

// Softmax backward: dx = y (.) (dy - rowsum(dy (.) y)) for y = softmax(x), all rows x cols,
// y and dy FP32, dx in `out`.
struct SoftmaxBackwardArgs {
  uint32_t rows = 0, cols = 0;
  Buffer y, dy, dx;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

// Layer norm over each row (PyTorch LayerNorm forward, biased variance): mean = sum(x)/n,
// var = sum((x - mean)^2)/n, rstd = 1/sqrt(var + eps), y = (x - mean) * rstd * gamma + beta,
// n = cols. x rows x cols FP32; gamma, beta cols FP32; y in `out`; mean and rstd (rows
// FP32 each, optional) are what the backward pass needs. Division by n is multiplication
// by fl(1/n) (exact when n is a power of two).
struct LayerNormArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, gamma, beta, y;
  std::optional<Buffer> mean, rstd;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
  float eps = 1e-5f;
};

// GELU, tanh form (PyTorch approximate='tanh'), elementwise over rows x cols FP32 x, y in
// `out`: y = 0.5 x (1 + tanh z), z = k (x + a x^3), evaluated for a unit with exp and
// reciprocal only (ref::GeluForm::kExpRecip): y = x s, s = 1 / (1 + e^(-2z)). The rows are
// contiguous, so any cols is taken (the kernel views x as one long vector). Defined
// extremes: y(+Inf) = +Inf, y(-Inf) = -0, NaN -> NaN; x is first clamped to >= -20
// (y(-20) is -0 in FP32 already), so no Inf * 0 arises. y may be x itself.
struct GeluArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, y;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

// GELU backward: dx = dy * dy/dx(x), kExpRecip form: dy/dx = s + x s q k2 (1 + 3 a x^2),
// q = e s (= 1 - s), k2 = 2k, e = e^(-2z) saturated at FLT_MAX. x is clamped to [-20, 20]
// first (beyond, dy/dx is 0 or 1 to FP32 precision), so +-Inf give dx = dy * (1 or ~0).
// x, dy FP32; dx in `out`; dx may be dy itself.
struct GeluBackwardArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, dy, dx;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

// y = x + r elementwise (FP32 in, y in `out`); y may be x or r itself.
struct ResidualAddArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, r, y;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

// Layer norm backward (PyTorch's): with xh = (x - mean) rstd and g = dy gamma,
//   dx = rstd (g - sum(g)/n - xh sum(g xh)/n), dgamma = sum_rows dy xh, dbeta = sum_rows dy.
// x, dy rows x cols FP32; gamma, dgamma, dbeta cols FP32; mean and rstd rows FP32 (as
// Runtime::layernorm saved them); dx in `out` (may be dy itself). Division by n is a
// multiplication by fl(1/n). cols <= Runtime::layernorm_backward_max_cols().
struct LayerNormBackwardArgs {
  uint32_t rows = 0, cols = 0;
  Buffer x, gamma, mean, rstd, dy, dx, dgamma, dbeta;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

// Softmax cross-entropy with integer labels (PyTorch cross_entropy, reduction='mean'):
// loss_i = logsumexp(z_i) - z_i[label_i], mean over the rows whose label is not
// ignore_index; dlogits = dloss / count * (softmax(z_i) - onehot(label_i)), 0 for ignored
// rows and when every row is ignored (mean = 0 then). logits rows x cols FP32, labels on
// the host (rows entries, each ignore_index or in [0, cols)). Extremes as
// ref::softmax_cross_entropy_forward: +Inf logits share the probability (loss log k when
// the label is one of k +Inf entries, +Inf otherwise), a -Inf label logit gives +Inf, NaN
// in a row makes that row's loss (and the mean) NaN. cols <= cross_entropy_max_cols().
struct CrossEntropyArgs {
  uint32_t rows = 0, cols = 0;
  Buffer logits;
  std::vector<int64_t> labels;
  int64_t ignore_index = -100;
  // Backward only: the incoming gradient of the mean loss, and dlogits (in `out`; may be
  // logits itself).
  float dloss = 1.0f;
  Buffer dlogits;
  isa::StoreFormat out = isa::StoreFormat::kRaw;
};

struct CrossEntropyResult {
  std::vector<float> loss;  // per row (0 for ignored rows)
  float mean = 0;
  uint32_t count = 0;       // rows not ignored
  RunStats stats;
};

class Runtime {
 public:
  // Soft-resets the device, programs window 0 = [dram_base, dram_base + dram_size) with
  // read and write permission, allocates the ring there and enables both IRQs.
  explicit Runtime(Device& dev, RuntimeOptions opt = {});

  Device& device() { return dev_; }
  const ChipConfig& config() const { return dev_.config(); }
  const RuntimeOptions& options() const { return opt_; }

  // Device buffers (first fit, `align` a power of two). Throws std::bad_alloc when full.
  Buffer alloc(size_t bytes, size_t align = 64);
  void free(const Buffer& b);
  void write(const Buffer& b, const void* data, size_t n, size_t offset = 0);
  void read(const Buffer& b, void* out, size_t n, size_t offset = 0) const;
  std::vector<uint8_t> read(const Buffer& b) const;

  // Writes the stream into the ring (in chunks of ring_slots - 1 commands if needed),
  // rings the doorbell and waits for done. Throws DeviceError (message: stream index,
  // command, error name and meaning, unit, ERR_ADDR) or DeviceTimeout.
  RunStats run(const CommandStream& s);

  // The command stream of a GEMM (for inspection and tests); the plan used is returned.
  CommandStream build_gemm(const GemmArgs& g, GemmPlan* plan = nullptr) const;
  RunStats gemm(const GemmArgs& g, GemmPlan* plan = nullptr);

  // One AdamW optimizer step (step >= 1: PyTorch's state["step"] after its increment; do
  // not advance it when the result says `skipped`, as PyTorch does not when GradScaler
  // skips optimizer.step()). Throws std::invalid_argument, before anything reaches the
  // chip, for bad tensors (n == 0, short or unaligned buffers, overlaps, outside the DRAM
  // window), bad hyper-parameters (adamw_scalars), a bad max_grad_norm or a device without
  // an AdamW unit (CFG_DIM.adamw_lanes = 0); DeviceError / DeviceTimeout from the chip.
  AdamWResult adamw_step(const std::vector<AdamWTensor>& tensors, const AdamWHyper& hyper,
                         uint64_t step, const AdamWStepOptions& options = {});
  // ADAMW lanes the device reports (CFG_DIM.adamw_lanes; 0: no AdamW unit).
  uint32_t adamw_lanes() const { return adamw_lanes_; }

  // Attention (docs/attention.md). Throw std::invalid_argument, before anything reaches
  // the chip, for bad arguments; DeviceError / DeviceTimeout from the chip. The forward
  // pass computes lse on the host from the chip's per-row m and l (the vector unit has no
  // log): lse = fl(m + log l).
  AttentionStats attention_forward(const AttentionArgs& a);
  AttentionStats attention_backward(const AttentionArgs& a);
  AttentionPlan plan_attention(const AttentionArgs& a, bool backward) const;

  // Vector kernels (docs/vec.md). Throw std::invalid_argument, before anything reaches the
  // chip, for bad arguments or a device without a vector unit (CFG_DIM.vec = 0).
  CommandStream build_softmax(const SoftmaxArgs& a) const;
  RunStats softmax(const SoftmaxArgs& a);
  uint32_t softmax_max_cols() const;  // the longest row softmax takes on this device
  CommandStream build_softmax_backward(const SoftmaxBackwardArgs& a) const;
  RunStats softmax_backward(const SoftmaxBackwardArgs& a);
  CommandStream build_layernorm(const LayerNormArgs& a) const;
  RunStats layernorm(const LayerNormArgs& a);
  uint32_t layernorm_max_cols() const;
  RunStats gelu(const GeluArgs& a);
  RunStats gelu_backward(const GeluBackwardArgs& a);
  RunStats residual_add(const ResidualAddArgs& a);
  CommandStream build_gelu(const GeluArgs& a) const;
  CommandStream build_gelu_backward(const GeluBackwardArgs& a) const;
  CommandStream build_residual_add(const ResidualAddArgs& a) const;
  CommandStream build_layernorm_backward(const LayerNormBackwardArgs& a) const;
  RunStats layernorm_backward(const LayerNormBackwardArgs& a);
  uint32_t layernorm_backward_max_cols() const;
  // The forward pass runs the row max and sum on the chip and the log on the host (the
  // vector unit has no log): loss = fl(fl(log l) - fl(z_label - m)).
  CrossEntropyResult softmax_cross_entropy(const CrossEntropyArgs& a);
  RunStats softmax_cross_entropy_backward(const CrossEntropyArgs& a);
  uint32_t cross_entropy_max_cols() const;
  bool has_vec() const { return vec_; }
  bool has_vec_divsqrt() const { return vec_divsqrt_; }

  // Re-arms the chip after an error: soft reset (polled until CTRL.soft_reset reads 0),
  // ring registers, IRQ enables.
  void recover();

 private:
  void soft_reset();
  void init_chip();
  void check_gemm_args(const GemmArgs& g) const;
  void check_adamw_args(const std::vector<AdamWTensor>& t, const AdamWStepOptions& o) const;
  void write_adamw_scalars(const AdamWScalars& s, float inv_grad_scale);
  RunStats run_accumulate(const CommandStream& s, RunStats& total);
  [[noreturn]] void fail(const std::vector<size_t>& slot_to_index, size_t total);

  Device& dev_;
  RuntimeOptions opt_;
  std::map<uint32_t, uint32_t> free_;  // addr -> size
  Buffer ring_;
  uint32_t tail_ = 0;
  const CommandStream* fail_stream_ = nullptr;  // the stream being reported by fail()
  uint32_t adamw_lanes_ = 0;                    // CFG_DIM.adamw_lanes
  bool vec_ = false, vec_divsqrt_ = false;      // CFG_DIM.vec, CFG_DIM.vec_divsqrt
  std::optional<Buffer> adamw_scalars_;         // the 32-byte scalar block (64-aligned)
};

}  // namespace tessera
