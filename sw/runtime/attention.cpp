// SPDX-License-Identifier: Apache-2.0
// Attention as matrix-unit GEMMs and vector-unit passes, tiled with an online softmax
// (docs/attention.md).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernel_util.hpp"
#include "tessera/runtime.hpp"

namespace tessera {
using namespace kernel;

namespace {

constexpr float kFltMax = std::numeric_limits<float>::max();

// Accumulator and scratchpad rows of one tile of the forward pass (docs/attention.md).
struct FwdRows {
  uint64_t acc_half = 0, spad = 0;
};
FwdRows fwd_rows(const ChipConfig& cfg, uint64_t bq, uint64_t bk, uint64_t d) {
  const uint64_t D = cfg.dim, ws = (bk + D - 1) / D, wd = (d + D - 1) / D, vr = (bq + D - 1) / D;
  return {bq * ws + bq * wd + 5 * vr, 2 * bq * wd + 4 * bk * wd + bq * ws};
}

// Backward: the whole accumulator holds S/P, dP, two dQ blocks, dK, dV and the per-row
// vectors; the scratchpad two Q and dO slots, K, V, the P and dS operands and a Dim x Dim
// identity.
struct BwdRows {
  uint64_t acc = 0, spad = 0;
};
BwdRows bwd_rows(const ChipConfig& cfg, uint64_t bq, uint64_t bk, uint64_t d) {
  const uint64_t D = cfg.dim, ws = (bk + D - 1) / D, wd = (d + D - 1) / D, vr = (bq + D - 1) / D;
  return {2 * bq * ws + 2 * bq * wd + 2 * bk * wd + 4 * vr,
          4 * bq * wd + 2 * bk * wd + 2 * bq * ws + D};
}

// Query block [i0, i0 + nq) visits keys [0, key_end): all of them, or (causal) up to the
// diagonal, the key blocks that cross it computed whole.
uint32_t key_end(const AttentionArgs& a, uint32_t i0, uint32_t nq) {
  return a.causal ? std::min(a.seq_k, i0 + nq) : a.seq_k;
}

// Array cycles of one GEMM (docs/chip.md: M rows per weight tile, ~51 cycles per command).
double gemm_cycles(uint64_t m, uint64_t n, uint64_t k, uint64_t D) {
  return double(m) * double((n + D - 1) / D) * double((k + D - 1) / D) + 51.0;
}
// Cycles of one VEC pass over rows x cols (one read per row block, ~30 cycles of latency
// and handshake) and the share of one MAT / COL operand.
double vec_cycles(uint64_t rows, uint64_t cols, uint64_t D, bool two_reads = false) {
  return double(rows) * double((cols + D - 1) / D) * (two_reads ? 2.0 : 1.0) + 30.0;
}

bool valid_format(isa::StoreFormat f) {
  return f == isa::StoreFormat::kRaw || f == isa::StoreFormat::kFp16 ||
         f == isa::StoreFormat::kBf16;
}

float attn_scale(const AttentionArgs& a) {
  return a.scale ? *a.scale : float(1.0 / std::sqrt(double(a.head_dim)));
}

}  // namespace

std::string AttentionPlan::describe() const {
  return "block_q=" + std::to_string(block_q) + " block_k=" + std::to_string(block_k);
}

AttentionPlan Runtime::plan_attention(const AttentionArgs& a, bool backward) const {
  const ChipConfig& cfg = config();
  const uint64_t D = cfg.dim, d = a.head_dim;
  auto fits = [&](uint64_t bq, uint64_t bk) {
    if (backward) {
      const BwdRows r = bwd_rows(cfg, bq, bk, d);
      return r.acc <= cfg.acc_rows && r.spad <= cfg.spad_rows;
    }
    const FwdRows r = fwd_rows(cfg, bq, bk, d);
    return r.acc_half <= cfg.acc_rows / 2 && r.spad <= cfg.spad_rows;
  };
  // Estimated exec cycles per tile (backward: the execute queue runs GEMM and VEC one
  // after the other; forward: pipelined), over block sizes Dim * 2^i (and the whole
  // sequence when it is shorter).
  auto cands = [&](uint32_t seq, uint32_t fixed) {
    std::vector<uint64_t> c;
    if (fixed) return std::vector<uint64_t>{std::min<uint64_t>(fixed, seq)};
    for (uint64_t b = D; b <= 512; b *= 2) c.push_back(std::min<uint64_t>(b, seq));
    for (uint64_t b = D / 2; b >= 1; b /= 2) c.push_back(std::min<uint64_t>(b, seq));
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    return c;
  };
  AttentionPlan best;
  double best_cost = 0;
  for (uint64_t bq : cands(a.seq_q, a.block_q)) {
    for (uint64_t bk : cands(a.seq_k, a.block_k)) {
      if (!fits(bq, bk)) continue;
      double cyc;
      if (backward) {
        cyc = 5 * gemm_cycles(bq, bk, d, D) + 4 * vec_cycles(bq, bk, D) +
              vec_cycles(bq, bk, D, true);
      } else {
        // A tile's vector passes run beside the next tile's S GEMM (software pipeline).
        const double vec = 2 * vec_cycles(bq, bk, D) + vec_cycles(bq, d, D) +
                           3 * vec_cycles(1, bq, D);
        cyc = std::max(gemm_cycles(bq, bk, d, D), vec) + gemm_cycles(bq, bk, d, D);
      }
      // The tiles the kernel visits (causal: those with a visible score, the diagonal ones
      // computed whole), plus per query block the last passes and the output's store. The
      // useful MACs are the same for every candidate, so the cost is the cycles.
      const uint64_t blocks_q = (a.seq_q + bq - 1) / bq;
      uint64_t tiles = 0;
      for (uint32_t i0 = 0; i0 < a.seq_q; i0 += uint32_t(bq)) {
        tiles += (key_end(a, i0, std::min(uint32_t(bq), a.seq_q - i0)) + bk - 1) / bk;
      }
      const double cost = cyc * double(tiles) + 200.0 * double(blocks_q);
      if (best.block_q == 0 || cost < best_cost) {
        best = {uint32_t(bq), uint32_t(bk)};
        best_cost = cost;
      }
    }
  }
  return best;
}

namespace {

struct Checked {
  uint64_t qn, kn, on, lsen;  // bytes of Q (and dO), K (and V), O (and dQ), lse
  uint32_t eb, ob;
};

Checked check_attention(const char* op, const AttentionArgs& a, bool vec, bool divsqrt,
                        const std::string& backend, bool backward) {
  if (!vec) bad(op, "the device has no vector unit (CFG_DIM.vec = 0, " + backend + " backend)");
  if (!divsqrt) bad(op, "the device's vector unit has no RECIP (CFG_DIM.vec_divsqrt = 0)");
  if (a.heads == 0 || a.seq_q == 0 || a.seq_k == 0 || a.head_dim == 0) {
    bad(op, "heads, seq_q, seq_k and head_dim must be at least 1");
  }
  if (a.seq_q > 32767 || a.seq_k > 32767) {
    bad(op, "seq_q and seq_k must be below 32768 (the causal mask's 16-bit offset)");
  }
  if (a.head_dim > 4096) bad(op, "head_dim must be at most 4096");
  if (a.dtype != isa::Dtype::kFp16 && a.dtype != isa::Dtype::kBf16) {
    bad(op, "dtype must be FP16 or BF16");
  }
  if (!valid_format(a.out)) bad(op, "the output format must be raw FP32, FP16 or BF16");
  const float scale = attn_scale(a);
  if (!(std::abs(scale) <= kFltMax)) bad(op, "scale must be finite");
  Checked c;
  c.eb = 2;
  c.ob = isa::format_bytes(a.out);
  c.qn = uint64_t(a.heads) * a.seq_q * a.head_dim * c.eb;
  c.kn = uint64_t(a.heads) * a.seq_k * a.head_dim * c.eb;
  c.on = uint64_t(a.heads) * a.seq_q * a.head_dim * c.ob;
  c.lsen = uint64_t(a.heads) * a.seq_q * 4;
  auto need = [&](const Buffer& b, uint64_t n, const char* name, const char* what) {
    if (b.size < n) bad(op, std::string("buffer ") + name + " is smaller than " + what);
  };
  need(a.q, c.qn, "q", "heads*seq_q*head_dim elements");
  need(a.k, c.kn, "k", "heads*seq_k*head_dim elements");
  need(a.v, c.kn, "v", "heads*seq_k*head_dim elements");
  struct Out {
    const Buffer* b;
    uint64_t n;
    const char* name;
  };
  std::vector<Out> ins = {{&a.q, c.qn, "q"}, {&a.k, c.kn, "k"}, {&a.v, c.kn, "v"}};
  std::vector<Out> outs;
  if (!backward) {
    need(a.o, c.on, "o", "heads*seq_q*head_dim outputs");
    outs.push_back({&a.o, c.on, "o"});
    if (a.lse) {
      need(*a.lse, c.lsen, "lse", "heads*seq_q FP32 values");
      outs.push_back({&*a.lse, c.lsen, "lse"});
    }
  } else {
    if (!a.lse) bad(op, "lse (the forward pass's) is required");
    need(a.o, uint64_t(a.heads) * a.seq_q * a.head_dim * c.eb, "o",
         "heads*seq_q*head_dim elements of dtype");
    need(a.d_o, c.qn, "d_o", "heads*seq_q*head_dim elements");
    need(*a.lse, c.lsen, "lse", "heads*seq_q FP32 values");
    ins.push_back({&a.o, c.qn, "o"});
    ins.push_back({&a.d_o, c.qn, "d_o"});
    ins.push_back({&*a.lse, c.lsen, "lse"});
    need(a.dq, c.on, "dq", "heads*seq_q*head_dim outputs");
    need(a.dk, uint64_t(a.heads) * a.seq_k * a.head_dim * c.ob, "dk",
         "heads*seq_k*head_dim outputs");
    need(a.dv, uint64_t(a.heads) * a.seq_k * a.head_dim * c.ob, "dv",
         "heads*seq_k*head_dim outputs");
    outs.push_back({&a.dq, c.on, "dq"});
    outs.push_back({&a.dk, uint64_t(a.heads) * a.seq_k * a.head_dim * c.ob, "dk"});
    outs.push_back({&a.dv, uint64_t(a.heads) * a.seq_k * a.head_dim * c.ob, "dv"});
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    for (const Out& in : ins) {
      if (overlaps(*outs[i].b, outs[i].n, *in.b, in.n)) {
        bad(op, std::string("output ") + outs[i].name + " overlaps input " + in.name);
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (overlaps(*outs[i].b, outs[i].n, *outs[j].b, outs[j].n)) {
        bad(op, std::string("outputs ") + outs[j].name + " and " + outs[i].name + " overlap");
      }
    }
  }
  return c;
}

isa::LoadCmd load_spad(uint64_t host, uint32_t rows, uint32_t bytes, uint32_t stride,
                       uint32_t spad) {
  isa::LoadCmd ld = load_acc(host, rows, bytes, stride, spad);
  ld.to_acc = false;
  return ld;
}

isa::GemmCmd gemm_cmd(isa::Dtype dt, uint32_t m, uint32_t n, uint32_t k, uint32_t a,
                      uint32_t as, bool at, uint32_t b, uint32_t bs, bool bt, uint32_t c,
                      uint32_t cs, bool acc) {
  isa::GemmCmd g;
  g.dtype = dt;
  g.m = uint16_t(m);
  g.n = uint16_t(n);
  g.k = uint16_t(k);
  g.a_addr = a;
  g.a_stride = uint16_t(as);
  g.a_trans = at;
  g.b_addr = b;
  g.b_stride = uint16_t(bs);
  g.b_trans = bt;
  g.c_addr = c;
  g.c_stride = uint16_t(cs);
  g.accumulate = acc;
  return g;
}

// A VEC over a per-row vector of n elements (one 1 x n matrix).
isa::VecCmd vec_vector(uint8_t op1, uint8_t bsrc, uint32_t a, uint32_t b, uint32_t d,
                       uint32_t n, uint32_t dim) {
  return vec_cmd(op1, bsrc, a, b, d, 1, n, isa::ceil_div(n, dim));
}

uint8_t spad_dst(isa::Dtype dt) {
  return dt == isa::Dtype::kBf16 ? isa::vec::kSpadBf16 : isa::vec::kSpadFp16;
}

}  // namespace

AttentionStats Runtime::attention_forward(const AttentionArgs& a) {
  constexpr const char* kOp = "attention_forward";
  const Checked ck = check_attention(kOp, a, vec_, vec_divsqrt_, dev_.backend(), false);
  const ChipConfig& cfg = config();
  const AttentionPlan plan = plan_attention(a, false);
  if (plan.block_q == 0) {
    bad(kOp, "no block sizes fit this device for head_dim " + std::to_string(a.head_dim) +
                 (a.block_q || a.block_k ? " and the requested blocks" : ""));
  }
  const uint32_t D = cfg.dim, d = a.head_dim, half = cfg.acc_rows / 2;
  const uint32_t bq = plan.block_q, bk = plan.block_k;
  const uint32_t wd = isa::ceil_div(d, D), ws = isa::ceil_div(bk, D), vr = isa::ceil_div(bq, D);
  const float scale = attn_scale(a);
  const uint32_t row_bytes = d * 2, out_row = d * ck.ob;

  // Scratchpad: Q slots, K slots, V slots, then P.
  const uint32_t q_slot = bq * wd, k_slot = bk * wd;
  const uint32_t sp_q = 0, sp_k = 2 * q_slot, sp_v = sp_k + 2 * k_slot, sp_p = sp_v + 2 * k_slot;

  // The tiles in order: per head, per query block, its key blocks (causal: up to the
  // diagonal). Accumulator half h holds S buffer h (tile i's S is in buffer i % 2, so that
  // a tile's vector passes and the next tile's S GEMM use different halves), then O, m,
  // m_old, l, alpha and 1/l of the query blocks b with b % 2 = h.
  struct Tile {
    uint32_t h, i0, nq, j0, nk;
    uint64_t blk;
    bool first, last;
  };
  std::vector<Tile> tiles;
  uint64_t blk = 0;
  for (uint32_t h = 0; h < a.heads; ++h) {
    for (uint32_t i0 = 0; i0 < a.seq_q; i0 += bq, ++blk) {
      const uint32_t nq = std::min(bq, a.seq_q - i0);
      const uint32_t j_end = key_end(a, i0, nq);
      for (uint32_t j0 = 0; j0 < j_end; j0 += bk) {
        tiles.push_back(
            {h, i0, nq, j0, std::min(bk, a.seq_k - j0), blk, j0 == 0, j0 + bk >= j_end});
      }
    }
  }
  struct BlockRows {
    uint32_t o, m, mo, l, al, rl;
  };
  auto block_rows = [&](uint64_t b) {
    const uint32_t o = uint32_t(b % 2) * half + bq * ws, m = o + bq * wd;
    return BlockRows{o, m, m + vr, m + 2 * vr, m + 3 * vr, m + 4 * vr};
  };
  auto q_sp = [&](const Tile& t) { return sp_q + uint32_t(t.blk % 2) * q_slot; };
  auto k_sp = [&](size_t i) { return sp_k + uint32_t(i % 2) * k_slot; };
  auto v_sp = [&](size_t i) { return sp_v + uint32_t(i % 2) * k_slot; };
  auto s_acc = [&](size_t i) { return uint32_t(i % 2) * half; };

  Scratch scratch(*this);
  const Buffer ml = scratch.alloc(2 * ck.lsen);  // m then l per (head, query)
  CommandStream s(cfg);
  uint64_t macs = 0;
  // Tile i's loads and S = Q_i K_j^T (FP32 sums) into S buffer i % 2.
  auto scores = [&](size_t i) {
    const Tile& t = tiles[i];
    const uint64_t qh = a.q.addr + uint64_t(t.h) * a.seq_q * row_bytes;
    const uint64_t kh = a.k.addr + uint64_t(t.h) * a.seq_k * row_bytes;
    const uint64_t vh = a.v.addr + uint64_t(t.h) * a.seq_k * row_bytes;
    if (t.first) {
      s.load(load_spad(qh + uint64_t(t.i0) * row_bytes, t.nq, row_bytes, row_bytes, q_sp(t)));
    }
    s.load(load_spad(kh + uint64_t(t.j0) * row_bytes, t.nk, row_bytes, row_bytes, k_sp(i)));
    s.load(load_spad(vh + uint64_t(t.j0) * row_bytes, t.nk, row_bytes, row_bytes, v_sp(i)));
    s.gemm(gemm_cmd(a.dtype, t.nq, t.nk, d, q_sp(t), wd, false, k_sp(i), wd, true, s_acc(i), ws,
                    false));
  };
  // Tile i's softmax update and O = O alpha + P V_j; after the block's last tile, O / l
  // and the stores.
  auto update = [&](size_t i) {
    const Tile& t = tiles[i];
    const BlockRows hf = block_rows(t.blk);
    const uint32_t nq = t.nq, nk = t.nk, sa = s_acc(i);
    if (!t.first) s.vec(vec_vector(isa::vec::kPass, isa::vec::kImm, hf.m, 0, hf.mo, nq, D));
    // S = sat(scale S), hidden -> -Inf, in place; m = max(m_old, rowmax S).
    isa::VecCmd v = vec_cmd(scale == 1.0f ? isa::vec::kPass : isa::vec::kMul, isa::vec::kImm, sa,
                            0, sa, nq, nk, ws);
    v.imm = bits_of(scale);
    v.sat = true;
    if (a.causal && t.j0 + nk - 1 > t.i0) {  // the tile crosses the diagonal
      v.mask = isa::vec::kCausal;
      v.moff = int16_t(int32_t(t.i0) - int32_t(t.j0));
    }
    v.red = isa::vec::kRedMax;
    v.racc = !t.first;
    v.r_addr = hf.m;
    s.vec(v);
    if (!t.first) {
      // alpha = e^(m_old - m); l = l alpha.
      isa::VecCmd al = vec_vector(isa::vec::kSub, isa::vec::kCol, hf.mo, hf.m, hf.al, nq, D);
      al.fn = isa::vec::kExp;
      s.vec(al);
      s.vec(vec_vector(isa::vec::kMul, isa::vec::kCol, hf.l, hf.al, hf.l, nq, D));
    }
    // P = e^(S - m) (hidden: e^-Inf = 0) into the scratchpad; l (+)= rowsum P (FP32).
    v = vec_cmd(isa::vec::kSub, isa::vec::kRow, sa, hf.m, sp_p, nq, nk, ws);
    v.fn = isa::vec::kExp;
    v.dst = spad_dst(a.dtype);
    v.red = isa::vec::kRedSum;
    v.racc = !t.first;
    v.r_addr = hf.l;
    s.vec(v);
    // O = O alpha + P V_j.
    if (!t.first) s.vec(vec_cmd(isa::vec::kMul, isa::vec::kRow, hf.o, hf.al, hf.o, nq, d, wd));
    s.gemm(gemm_cmd(a.dtype, nq, d, nk, sp_p, ws, false, v_sp(i), wd, false, hf.o, wd, !t.first));
    for (uint32_t r = 0; r < nq; ++r) {
      const uint64_t qi = t.i0 + r;
      macs += 2 * uint64_t(d) *
              (a.causal ? std::min<uint64_t>(nk, qi + 1 > t.j0 ? qi + 1 - t.j0 : 0) : nk);
    }
    if (!t.last) return;
    // O = O / max(l, 1) (l >= 1 unless no key is visible: then O = 0).
    isa::VecCmd rl = vec_vector(isa::vec::kMax, isa::vec::kImm, hf.l, 0, hf.rl, nq, D);
    rl.imm = bits_of(1.0f);
    rl.fn = isa::vec::kRecip;
    s.vec(rl);
    s.vec(vec_cmd(isa::vec::kMul, isa::vec::kRow, hf.o, hf.rl, hf.o, nq, d, wd));
    // m and l are stored from copies (m_old, alpha <- m, l in one pass), so that the passes
    // writing m and l push no token and may run beside the next tile's GEMM (docs/isa.md).
    s.vec(vec_cmd(isa::vec::kPass, isa::vec::kImm, hf.m, 0, hf.mo, 2, nq, 2 * vr));
    const uint64_t orow = uint64_t(t.h) * a.seq_q + t.i0;
    s.store(store_acc(a.o.addr + orow * out_row, nq, d, out_row, hf.o, a.out));
    s.store(store_acc(ml.addr + orow * 4, 1, nq, nq * 4, hf.mo, isa::StoreFormat::kRaw));
    s.store(store_acc(ml.addr + ck.lsen + orow * 4, 1, nq, nq * 4, hf.al,
                      isa::StoreFormat::kRaw));
  };
  // Software pipeline: tile i+1's S GEMM is queued before tile i's vector passes, which run
  // beside it on the other S buffer (docs/attention.md).
  if (!tiles.empty()) scores(0);
  for (size_t i = 0; i < tiles.size(); ++i) {
    if (i + 1 < tiles.size()) scores(i + 1);
    update(i);
  }
  AttentionStats st;
  st.plan = plan;
  st.macs = macs;
  st.dram_bytes = ck.qn + 2 * ck.kn + ck.on + (a.lse ? ck.lsen : 0);
  st.run = run(s);
  if (a.lse) {
    // lse = fl(m + log l) on the host (the vector unit has no log); l = 0: -Inf. A row
    // max of FLT_MAX is a saturated +Inf (or overflowed) score: lse = +Inf, the limit.
    const size_t n = size_t(a.heads) * a.seq_q;
    std::vector<float> m(n), l(n), lse(n);
    read(ml, m.data(), n * 4);
    read(ml, l.data(), n * 4, n * 4);
    constexpr float kInf = std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) {
      lse[i] = l[i] == 0.0f    ? -kInf
               : m[i] == kFltMax ? kInf
                                 : float(double(m[i]) + std::log(double(l[i])));
    }
    write(*a.lse, lse.data(), n * 4);
  }
  return st;
}

AttentionStats Runtime::attention_backward(const AttentionArgs& a) {
  constexpr const char* kOp = "attention_backward";
  const Checked ck = check_attention(kOp, a, vec_, vec_divsqrt_, dev_.backend(), true);
  const ChipConfig& cfg = config();
  const AttentionPlan plan = plan_attention(a, true);
  if (plan.block_q == 0) {
    bad(kOp, "no block sizes fit this device for head_dim " + std::to_string(a.head_dim) +
                 (a.block_q || a.block_k ? " and the requested blocks" : ""));
  }
  const uint32_t D = cfg.dim, d = a.head_dim;
  const uint32_t bq = plan.block_q, bk = plan.block_k;
  const uint32_t wd = isa::ceil_div(d, D), ws = isa::ceil_div(bk, D), vr = isa::ceil_div(bq, D);
  const float scale = attn_scale(a);
  const uint32_t row_bytes = d * 2, out_row = d * ck.ob, f32_row = d * 4;

  // Accumulator: S/P, dP, two dQ blocks, dK, dV, two (lse, D) vector pairs.
  const uint32_t s_acc = 0, dp_acc = bq * ws, dq_acc = 2 * bq * ws;
  const uint32_t dk_acc = dq_acc + 2 * bq * wd, dv_acc = dk_acc + bk * wd;
  const uint32_t vec_acc = dv_acc + bk * wd;  // + p * 2 vr: lse, + vr: D
  // Scratchpad: Q and dO slots, K, V, P and dS operands, the identity.
  const uint32_t sp_q = 0, sp_do = 2 * bq * wd, sp_k = 4 * bq * wd, sp_v = sp_k + bk * wd;
  const uint32_t sp_p = sp_v + bk * wd, sp_ds = sp_p + bq * ws, sp_id = sp_ds + bq * ws;

  const uint64_t hq = uint64_t(a.seq_q) * d, hk = uint64_t(a.seq_k) * d;
  Scratch scratch(*this);
  const Buffer id = scratch.alloc(uint64_t(D) * D * 2);
  const Buffer dvec = scratch.alloc(ck.lsen);                  // D per (head, query)
  const Buffer dq32 = scratch.alloc(uint64_t(a.heads) * hq * 4);  // dQ partial sums
  {
    // A Dim x Dim identity in `dtype`: O I and dO I, one column block of Dim at a time,
    // bring O and dO into the accumulator exactly (x * 1 + zeros).
    std::vector<uint16_t> eye(size_t(D) * D, 0);
    const uint16_t one = a.dtype == isa::Dtype::kBf16 ? 0x3f80 : 0x3c00;
    for (uint32_t i = 0; i < D; ++i) eye[size_t(i) * D + i] = one;
    write(id, eye.data(), eye.size() * 2);
  }
  // Key rows no query sees (causal, seq_k > seq_q) get zero gradients, written here.
  if (a.causal && a.seq_k > a.seq_q) {
    const std::vector<uint8_t> zero(uint64_t(a.seq_k - a.seq_q) * out_row, 0);
    for (uint32_t h = 0; h < a.heads; ++h) {
      const uint64_t off = (uint64_t(h) * a.seq_k + a.seq_q) * out_row;
      write(a.dk, zero.data(), zero.size(), off);
      write(a.dv, zero.data(), zero.size(), off);
    }
  }

  CommandStream s(cfg);
  uint64_t macs = 0, step = 0;
  s.load(load_spad(id.addr, D, D * 2, D * 2, sp_id));
  for (uint32_t h = 0; h < a.heads; ++h) {
    const uint64_t qh = a.q.addr + h * hq * 2, doh = a.d_o.addr + h * hq * 2;
    const uint64_t oh = a.o.addr + h * hq * 2;
    const uint64_t kh = a.k.addr + h * hk * 2, vh = a.v.addr + h * hk * 2;
    const uint64_t lseh = a.lse->addr + uint64_t(h) * a.seq_q * 4;
    const uint64_t dh = dvec.addr + uint64_t(h) * a.seq_q * 4;
    const uint64_t dq32h = dq32.addr + h * hq * 4;
    // Prologue: D_i = rowsum(dO_i (.) O_i) in FP32, per query block, into `dvec`.
    for (uint32_t i0 = 0, b = 0; i0 < a.seq_q; i0 += bq, ++b) {
      const uint32_t nq = std::min(bq, a.seq_q - i0);
      const uint32_t x_sp = sp_q + (b % 2) * bq * wd, y_sp = sp_do + (b % 2) * bq * wd;
      const uint32_t x_acc = dq_acc, y_acc = dq_acc + bq * wd;
      // D goes through the S or dP rows (the main loop only LOADs the vector slots: a
      // LOAD after a STORE of the same rows would need a GEMM between them).
      const uint32_t d_acc = b % 2 ? dp_acc : s_acc;
      s.load(load_spad(oh + uint64_t(i0) * row_bytes, nq, row_bytes, row_bytes, x_sp));
      s.load(load_spad(doh + uint64_t(i0) * row_bytes, nq, row_bytes, row_bytes, y_sp));
      for (uint32_t cb = 0; cb < wd; ++cb) {
        const uint32_t w = std::min(D, d - cb * D);
        s.gemm(gemm_cmd(a.dtype, nq, w, w, x_sp + cb, wd, false, sp_id, 1, false, x_acc + cb, wd, false));
        s.gemm(gemm_cmd(a.dtype, nq, w, w, y_sp + cb, wd, false, sp_id, 1, false, y_acc + cb, wd, false));
      }
      isa::VecCmd v = vec_cmd(isa::vec::kMul, isa::vec::kMat, y_acc, x_acc, 0, nq, d, wd);
      v.dst = isa::vec::kNoDst;
      v.red = isa::vec::kRedSum;
      v.r_addr = d_acc;
      s.vec(v);
      s.store(store_acc(dh + uint64_t(i0) * 4, 1, nq, nq * 4, d_acc, isa::StoreFormat::kRaw));
    }
    for (uint32_t j0 = 0; j0 < a.seq_k; j0 += bk) {
      const uint32_t nk = std::min(bk, a.seq_k - j0);
      // Query blocks that see a key of this block (causal: queries i >= j0).
      const uint32_t i_first = a.causal ? j0 / bq * bq : 0;
      if (i_first >= a.seq_q) break;  // no query sees these keys: zeros, written above
      s.load(load_spad(kh + uint64_t(j0) * row_bytes, nk, row_bytes, row_bytes, sp_k));
      s.load(load_spad(vh + uint64_t(j0) * row_bytes, nk, row_bytes, row_bytes, sp_v));
      for (uint32_t i0 = i_first; i0 < a.seq_q; i0 += bq, ++step) {
        const uint32_t nq = std::min(bq, a.seq_q - i0), p = uint32_t(step % 2);
        const bool first_i = i0 == i_first, first_j = j0 == 0;
        // The last key block this query block sees.
        const uint32_t j_last = (a.causal ? std::min(a.seq_k, i0 + nq) - 1 : a.seq_k - 1) / bk * bk;
        const bool last_j = j0 == j_last;
        const uint32_t q_sp = sp_q + p * bq * wd, do_sp = sp_do + p * bq * wd;
        const uint32_t dq = dq_acc + p * bq * wd, lse_acc = vec_acc + p * 2 * vr,
                       d_acc = lse_acc + vr;
        s.load(load_spad(qh + uint64_t(i0) * row_bytes, nq, row_bytes, row_bytes, q_sp));
        s.load(load_spad(doh + uint64_t(i0) * row_bytes, nq, row_bytes, row_bytes, do_sp));
        if (!first_j) s.load(load_acc(dq32h + uint64_t(i0) * f32_row, nq, f32_row, f32_row, dq));
        // S = scale Q_i K_j^T (sat, causal mask); P = e^(S - lse) in FP32, and as an operand.
        s.gemm(gemm_cmd(a.dtype, nq, nk, d, q_sp, wd, false, sp_k, wd, true, s_acc, ws, false));
        // (After a GEMM: the prologue's STOREs of D must reach host memory first.)
        s.load(load_acc(lseh + uint64_t(i0) * 4, 1, nq * 4, nq * 4, lse_acc));
        s.load(load_acc(dh + uint64_t(i0) * 4, 1, nq * 4, nq * 4, d_acc));
        isa::VecCmd v = vec_cmd(scale == 1.0f ? isa::vec::kPass : isa::vec::kMul,
                                isa::vec::kImm, s_acc, 0, s_acc, nq, nk, ws);
        v.imm = bits_of(scale);
        v.sat = true;
        if (a.causal && j0 + nk - 1 > i0) {
          v.mask = isa::vec::kCausal;
          v.moff = int16_t(int32_t(i0) - int32_t(j0));
        }
        s.vec(v);
        v = vec_cmd(isa::vec::kSub, isa::vec::kRow, s_acc, lse_acc, s_acc, nq, nk, ws);
        v.fn = isa::vec::kExp;
        s.vec(v);
        v = vec_cmd(isa::vec::kPass, isa::vec::kImm, s_acc, 0, sp_p, nq, nk, ws);
        v.dst = spad_dst(a.dtype);
        s.vec(v);
        // dV_j (+)= P^T dO_i; dP = dO_i V_j^T.
        s.gemm(gemm_cmd(a.dtype, nk, d, nq, sp_p, ws, true, do_sp, wd, false, dv_acc, wd, !first_i));
        s.gemm(gemm_cmd(a.dtype, nq, nk, d, do_sp, wd, false, sp_v, wd, true, dp_acc, ws, false));
        // dS = P (.) (dP - D_i), as an operand.
        s.vec(vec_cmd(isa::vec::kSub, isa::vec::kRow, dp_acc, d_acc, dp_acc, nq, nk, ws));
        v = vec_cmd(isa::vec::kMul, isa::vec::kMat, dp_acc, s_acc, sp_ds, nq, nk, ws);
        v.dst = spad_dst(a.dtype);
        s.vec(v);
        // dQ_i (+)= dS K_j; dK_j (+)= dS^T Q_i (both scaled at the end).
        s.gemm(gemm_cmd(a.dtype, nq, d, nk, sp_ds, ws, false, sp_k, wd, false, dq, wd, !first_j));
        s.gemm(gemm_cmd(a.dtype, nk, d, nq, sp_ds, ws, true, q_sp, wd, false, dk_acc, wd, !first_i));
        if (last_j) {
          isa::VecCmd sc = vec_cmd(isa::vec::kMul, isa::vec::kImm, dq, 0, dq, nq, d, wd);
          sc.imm = bits_of(scale);
          s.vec(sc);
          const uint64_t orow = uint64_t(h) * a.seq_q + i0;
          s.store(store_acc(a.dq.addr + orow * out_row, nq, d, out_row, dq, a.out));
        } else {
          s.store(store_acc(dq32h + uint64_t(i0) * f32_row, nq, d, f32_row, dq,
                            isa::StoreFormat::kRaw));
        }
        for (uint32_t r = 0; r < nq; ++r) {
          const uint64_t qi = i0 + r;
          macs += 5 * uint64_t(d) *
                  (a.causal ? std::min<uint64_t>(nk, qi + 1 > j0 ? qi + 1 - j0 : 0) : nk);
        }
      }
      isa::VecCmd sc = vec_cmd(isa::vec::kMul, isa::vec::kImm, dk_acc, 0, dk_acc, nk, d, wd);
      sc.imm = bits_of(scale);
      s.vec(sc);
      const uint64_t krow = uint64_t(h) * a.seq_k + j0;
      s.store(store_acc(a.dk.addr + krow * out_row, nk, d, out_row, dk_acc, a.out));
      s.store(store_acc(a.dv.addr + krow * out_row, nk, d, out_row, dv_acc, a.out));
    }
  }
  AttentionStats st;
  st.plan = plan;
  st.macs = macs;
  // Q, K, V, O, dO and lse read; dQ, dK, dV written.
  st.dram_bytes = 3 * ck.qn + 2 * ck.kn + ck.lsen + ck.on + 2 * (ck.kn / 2 * ck.ob);
  st.run = run(s);
  return st;
}

}  // namespace tessera
