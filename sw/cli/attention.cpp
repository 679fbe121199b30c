// SPDX-License-Identifier: Apache-2.0
// tessera attention / bench attention: multi-head scaled dot-product attention, forward
// and optionally backward, through Runtime::attention_forward / attention_backward on a
// device backend. The outputs are checked byte for byte against the same kernels on the
// functional model (the chip's golden model: golden::gemm and golden::vec_run per
// command) and against the FP64 reference (tessera::ref, OpenBLAS products) within its
// proven FP32 tolerance (docs/vec_reference.md).
#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "tessera/device.hpp"
#include "tessera/golden/arith.hpp"
#include "tessera/reference/vec.hpp"
#include "tessera/runtime.hpp"

namespace tessera::cli {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct AttnOptions {
  uint32_t seq = 0, seq_k = 0, heads = 0, head_dim = 0, block_q = 0, block_k = 0;
  std::string dtype = "fp16", config = "default", backend;
  bool causal = false, backward = false, json = false, help = false;
  uint64_t seed = 1;
  unsigned mem_latency = 100;
};

AttnOptions parse(const std::vector<std::string>& args, const char* usage, bool bench) {
  AttnOptions o;
  po::options_description desc(usage);
  auto add = desc.add_options();
  add("help,h", "show this help");
  if (bench) {
    add("seq", po::value<uint32_t>(&o.seq)->default_value(512), "query sequence length");
    add("heads", po::value<uint32_t>(&o.heads)->default_value(8), "heads");
    add("head-dim", po::value<uint32_t>(&o.head_dim)->default_value(64), "head dimension");
  } else {
    add("seq", po::value<uint32_t>(&o.seq)->required(), "query sequence length (required)");
    add("heads", po::value<uint32_t>(&o.heads)->required(), "heads (required)");
    add("head-dim", po::value<uint32_t>(&o.head_dim)->required(), "head dimension (required)");
  }
  add("seq-k", po::value<uint32_t>(&o.seq_k), "key/value sequence length (default: --seq)");
  add("causal", po::bool_switch(&o.causal), "causal mask (key j hidden from query i if j > i)");
  add("backward", po::bool_switch(&o.backward),
      bench ? "also measure the backward pass (dQ, dK, dV): a second JSON line"
            : "also run the backward pass (dQ, dK, dV) from the forward's O and lse");
  add("dtype", po::value<std::string>(&o.dtype)->default_value("fp16"),
      "Q, K, V, dO format: fp16 or bf16");
  add("block-q", po::value<uint32_t>(&o.block_q)->default_value(0),
      "query rows per tile (0: the runtime's plan)");
  add("block-k", po::value<uint32_t>(&o.block_k)->default_value(0),
      "key rows per tile (0: the runtime's plan)");
  add("config", po::value<std::string>(&o.config)->default_value("default"),
      ("chip configuration: " + config_names()).c_str());
  add("backend", po::value<std::string>(&o.backend),
      "sim (Verilated chip) or func (ISA-level model); default sim if built, else func");
  add("mem-latency", po::value<unsigned>(&o.mem_latency)->default_value(100),
      "host memory latency in cycles");
  add("seed", po::value<uint64_t>(&o.seed)->default_value(1), "random seed of the tensors");
  if (bench) add("json", po::bool_switch(&o.json), "print JSON lines (one per direction)");
  po::variables_map vm;
  if (!parse_args(desc, args, vm)) {
    o.help = true;
    return o;
  }
  if (!vm.count("seq-k")) o.seq_k = o.seq;
  if (o.seq == 0 || o.seq_k == 0 || o.heads == 0 || o.head_dim == 0) {
    throw UsageError{"--seq, --seq-k, --heads and --head-dim must be at least 1"};
  }
  if (o.dtype != "fp16" && o.dtype != "bf16") {
    throw UsageError{"--dtype must be fp16 or bf16 (got '" + o.dtype + "')"};
  }
  // Q, K, V, O (FP32), dO, dQ, dK, dV (FP32) must fit the 1 GiB DRAM window.
  const double bytes = double(o.heads) * o.head_dim * (14.0 * o.seq + 12.0 * o.seq_k);
  if (bytes > double(1u << 29)) throw UsageError{"the tensors exceed 512 MiB of device memory"};
  if (o.backend.empty()) o.backend = backend_available("sim") ? "sim" : "func";
  if (o.backend != "sim" && o.backend != "func") {
    throw UsageError{"--backend must be sim or func (got '" + o.backend + "')"};
  }
  require_config(o.config);
  return o;
}

isa::Dtype dtype_of(const AttnOptions& o) {
  return o.dtype == "bf16" ? isa::Dtype::kBf16 : isa::Dtype::kFp16;
}
golden::Fmt16 fmt_of(isa::Dtype dt) {
  return dt == isa::Dtype::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16;
}
double widen(golden::Fmt16 f, uint16_t c) {
  const uint32_t b = golden::fp_widen(f, c).bits;
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

// The tensors of one run, as 16-bit codes (inputs) and as read back (bytes).
struct Inputs {
  std::vector<uint16_t> q, k, v, d_o;
};

struct DeviceResult {
  AttentionStats fwd, bwd;
  std::vector<uint8_t> o, lse, dq, dk, dv;
  double device_seconds = 0;  // in the runtime calls (the simulation itself)
};

DeviceResult run_on(const AttnOptions& o, const std::string& backend, const Inputs& in,
                    Progress& prog) {
  DeviceOptions dopt;
  dopt.seed = o.seed;
  dopt.mem_latency = o.mem_latency;
  std::unique_ptr<Device> dev = make_device(o.config, backend, dopt);
  RuntimeOptions ropt;
  if (prog.tty() && backend == "sim") {
    ropt.progress = [](uint64_t fetched, uint64_t total) {
      std::fprintf(stderr, "\r\033[Kdevice: %llu / %llu commands fetched",
                   static_cast<unsigned long long>(fetched),
                   static_cast<unsigned long long>(total));
      std::fflush(stderr);
    };
  }
  Runtime rt(*dev, ropt);
  const isa::Dtype dt = dtype_of(o);
  const size_t nq = size_t(o.heads) * o.seq * o.head_dim;
  const size_t nk = size_t(o.heads) * o.seq_k * o.head_dim;
  const size_t nl = size_t(o.heads) * o.seq;
  AttentionArgs a;
  a.heads = o.heads;
  a.seq_q = o.seq;
  a.seq_k = o.seq_k;
  a.head_dim = o.head_dim;
  a.dtype = dt;
  a.causal = o.causal;
  a.block_q = o.block_q;
  a.block_k = o.block_k;
  // Forward alone: O in FP32 (checked against the reference's FP32 tolerance). Before a
  // backward pass: O in the input format, as training keeps it.
  a.out = o.backward ? (dt == isa::Dtype::kBf16 ? isa::StoreFormat::kBf16
                                                : isa::StoreFormat::kFp16)
                     : isa::StoreFormat::kRaw;
  const size_t ob = isa::format_bytes(a.out);
  a.q = rt.alloc(nq * 2);
  a.k = rt.alloc(nk * 2);
  a.v = rt.alloc(nk * 2);
  a.o = rt.alloc(nq * ob);
  a.lse = rt.alloc(nl * 4);
  rt.write(a.q, in.q.data(), nq * 2);  // little-endian host
  rt.write(a.k, in.k.data(), nk * 2);
  rt.write(a.v, in.v.data(), nk * 2);
  DeviceResult res;
  std::string what = backend + ": forward";
  prog.phase(what.c_str());
  auto t0 = Clock::now();
  res.fwd = rt.attention_forward(a);
  res.device_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  res.o = rt.read(a.o);
  res.lse = rt.read(*a.lse);
  if (o.backward) {
    a.d_o = rt.alloc(nq * 2);
    a.dq = rt.alloc(nq * 4);
    a.dk = rt.alloc(nk * 4);
    a.dv = rt.alloc(nk * 4);
    rt.write(a.d_o, in.d_o.data(), nq * 2);
    a.out = isa::StoreFormat::kRaw;
    what = backend + ": backward";
    prog.phase(what.c_str());
    t0 = Clock::now();
    res.bwd = rt.attention_backward(a);
    res.device_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    res.dq = rt.read(a.dq);
    res.dk = rt.read(a.dk);
    res.dv = rt.read(a.dv);
  }
  return res;
}

struct Check {
  uint64_t golden_mismatches = 0;  // bytes-level element differences to the functional model
  bool golden_checked = false, flags_match = true;
  uint64_t checked = 0, violations = 0;  // against the FP64 reference's tolerance
  double max_abs_err = 0, max_err_over_tol = 0;
  std::string first_problem;
  void problem(const std::string& s) {
    if (first_problem.empty()) first_problem = s;
  }
};

// Element-wise byte comparison of two outputs of `eb` bytes per element.
void compare_golden(Check& c, const char* name, const std::vector<uint8_t>& got,
                    const std::vector<uint8_t>& want, size_t eb) {
  for (size_t i = 0; i * eb < got.size(); ++i) {
    if (std::memcmp(&got[i * eb], &want[i * eb], eb) != 0) {
      if (c.golden_mismatches++ == 0) {
        c.problem(std::string("functional-model mismatch in ") + name + " at element " +
                  std::to_string(i));
      }
    }
  }
}

// FP32 results against the FP64 reference within the tolerance (NaN where either is NaN;
// an infinite reference exactly).
void compare_ref(Check& c, const char* name, const std::vector<uint8_t>& got,
                 const std::vector<double>& ref, const std::vector<double>& tol) {
  for (size_t i = 0; i < ref.size(); ++i) {
    float g;
    std::memcpy(&g, &got[4 * i], 4);
    const double err = std::fabs(double(g) - ref[i]);
    bool ok;
    if (std::isnan(ref[i]) || std::isnan(tol[i])) {
      ok = std::isnan(g);
    } else if (std::isinf(ref[i])) {
      ok = double(g) == ref[i];
    } else {
      ok = err <= tol[i];
      c.max_abs_err = std::max(c.max_abs_err, err);
      if (tol[i] > 0) c.max_err_over_tol = std::max(c.max_err_over_tol, err / tol[i]);
    }
    ++c.checked;
    if (!ok && c.violations++ == 0) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "%s[%zu] = %.9g, FP64 reference %.9g, tolerance %.3g", name,
                    i, double(g), ref[i], tol[i]);
      c.problem(buf);
    }
  }
}

struct Outcome {
  DeviceResult dev;
  Check check;
  double wall_seconds = 0;
};

Outcome run(const AttnOptions& o) {
  const auto t_start = Clock::now();
  Progress prog;
  Outcome res;
  const isa::Dtype dt = dtype_of(o);
  const golden::Fmt16 f16 = fmt_of(dt);
  const size_t nq = size_t(o.heads) * o.seq * o.head_dim;
  const size_t nk = size_t(o.heads) * o.seq_k * o.head_dim;
  std::mt19937_64 r(o.seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto tensor = [&](size_t n) {
    std::vector<uint16_t> t(n);
    for (auto& x : t) {
      const float f = nd(r);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      x = golden::fp_narrow(f16, b).bits;
    }
    return t;
  };
  Inputs in;
  in.q = tensor(nq);
  in.k = tensor(nk);
  in.v = tensor(nk);
  if (o.backward) in.d_o = tensor(nq);
  res.dev = run_on(o, o.backend, in, prog);
  Check& c = res.check;

  // The same kernels on the functional model: every output byte and FLAGS must agree.
  if (o.backend != "func") {
    const DeviceResult g = run_on(o, "func", in, prog);
    prog.phase("checking against the functional model");
    c.golden_checked = true;
    compare_golden(c, "O", res.dev.o, g.o, o.backward ? 2 : 4);
    compare_golden(c, "lse", res.dev.lse, g.lse, 4);
    c.flags_match = res.dev.fwd.run.flags == g.fwd.run.flags;
    if (o.backward) {
      compare_golden(c, "dQ", res.dev.dq, g.dq, 4);
      compare_golden(c, "dK", res.dev.dk, g.dk, 4);
      compare_golden(c, "dV", res.dev.dv, g.dv, 4);
      c.flags_match = c.flags_match && res.dev.bwd.run.flags == g.bwd.run.flags;
    }
    if (!c.flags_match) c.problem("FLAGS differ from the functional model's");
  }

  // The FP64 reference within the tolerance of the chip's algorithm (its key block and
  // the rounding of P, dS, dO to the 16-bit operand format).
  prog.phase("checking against the FP64 reference");
  auto widen_all = [&](const std::vector<uint16_t>& t) {
    std::vector<double> w(t.size());
    for (size_t i = 0; i < t.size(); ++i) w[i] = widen(f16, t[i]);
    return w;
  };
  const std::vector<double> q = widen_all(in.q), k = widen_all(in.k), v = widen_all(in.v);
  ref::AttnShape s;
  s.heads = o.heads;
  s.seq_q = o.seq;
  s.seq_k = o.seq_k;
  s.head_dim = o.head_dim;
  s.scale = double(float(1.0 / std::sqrt(double(o.head_dim))));
  s.causal = o.causal;
  ref::AttnModel m;
  m.block = res.dev.fwd.plan.block_k;
  m.op_u = dt == isa::Dtype::kBf16 ? 0x1p-8 : 0x1p-11;
  m.op_eta = dt == isa::Dtype::kBf16 ? 0x1p-134 : 0x1p-25;
  const ref::AttnFwd rf = ref::attention_forward(q, k, v, s);
  const ref::AttnFwd tf = ref::attention_forward_tolerance(q, k, v, s, m);
  if (!o.backward) compare_ref(c, "O", res.dev.o, rf.o, tf.o);
  compare_ref(c, "lse", res.dev.lse, rf.lse, tf.lse);
  if (o.backward) {
    std::vector<double> out(nq), lse(rf.lse.size()), d_o = widen_all(in.d_o);
    for (size_t i = 0; i < nq; ++i) {
      uint16_t code;
      std::memcpy(&code, &res.dev.o[2 * i], 2);
      out[i] = widen(f16, code);
    }
    for (size_t i = 0; i < lse.size(); ++i) {
      float x;
      std::memcpy(&x, &res.dev.lse[4 * i], 4);
      lse[i] = x;
    }
    m.block = res.dev.bwd.plan.block_k;
    const ref::AttnBwd rb = ref::attention_backward(q, k, v, out, d_o, lse, s);
    const ref::AttnBwd tb = ref::attention_backward_tolerance(q, k, v, out, d_o, lse, s, m);
    compare_ref(c, "dQ", res.dev.dq, rb.dq, tb.dq);
    compare_ref(c, "dK", res.dev.dk, rb.dk, tb.dk);
    compare_ref(c, "dV", res.dev.dv, rb.dv, tb.dv);
  }
  prog.done();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return res;
}

uint64_t failures(const Check& c) {
  return c.golden_mismatches + c.violations + (c.flags_match ? 0 : 1);
}

// Roofline of one direction: the matrix unit's useful MACs at Dim^2 per cycle, or the
// tensors' bytes (each read or written once) at the bus width, whichever is larger.
struct Metrics {
  double ideal, bw, roof, ratio, util;
};
Metrics metrics(const ChipConfig& cfg, const AttentionStats& st) {
  Metrics m;
  m.ideal = double(st.macs) / (double(cfg.dim) * cfg.dim);
  m.bw = double(st.dram_bytes) / cfg.bus_bytes;
  m.roof = std::max(m.ideal, m.bw);
  const double cyc = double(st.run.cycles);
  m.ratio = cyc > 0 ? m.roof / cyc : 0;
  m.util = cyc > 0 ? m.ideal / cyc : 0;
  return m;
}

std::string shape_text(const AttnOptions& o) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%u heads, seq %u x %u, head dim %u, %s%s", o.heads, o.seq,
                o.seq_k, o.head_dim, o.dtype.c_str(), o.causal ? ", causal" : "");
  return buf;
}

void print_json(const AttnOptions& o, const Outcome& r, const char* dir, const AttentionStats& st) {
  const ChipConfig& cfg = find_config(o.config);
  const Metrics m = metrics(cfg, st);
  auto perf = [&](uint32_t c) { return static_cast<unsigned long long>(st.run.perf[c]); };
  const double cps = r.dev.device_seconds > 0
                         ? double(r.dev.fwd.run.cycles + r.dev.bwd.run.cycles) /
                               r.dev.device_seconds
                         : 0;
  std::printf(
      "{\"bench\":\"attention\",\"direction\":\"%s\",\"config\":\"%s\",\"backend\":\"%s\","
      "\"heads\":%u,\"seq_q\":%u,\"seq_k\":%u,\"head_dim\":%u,\"dtype\":\"%s\",\"causal\":%s,"
      "\"seed\":%llu,\"mem_latency\":%u,\"plan\":\"%s\",\"cycles\":%llu,\"macs\":%llu,"
      "\"ideal_cycles\":%.1f,\"utilization\":%.4f,\"dram_bytes\":%llu,"
      "\"bandwidth_bound_cycles\":%.1f,\"roofline_bound_cycles\":%.1f,\"roofline_ratio\":%.4f,"
      "\"bytes_read\":%llu,\"bytes_written\":%llu,\"commands\":%zu,\"flags\":%u,"
      "\"golden_checked\":%s,\"mismatches\":%llu,\"max_abs_err_fp64\":%.4g,"
      "\"max_err_over_tolerance\":%.4g,\"sim_cycles_per_second\":%.0f,\"wall_seconds\":%.3f,"
      "\"units\":{\"load_busy\":%llu,\"load_wait\":%llu,\"exec_busy\":%llu,\"exec_wait\":%llu,"
      "\"store_busy\":%llu,\"store_wait\":%llu,\"mmu_active\":%llu}}\n",
      dir, o.config.c_str(), o.backend.c_str(), o.heads, o.seq, o.seq_k, o.head_dim,
      o.dtype.c_str(), o.causal ? "true" : "false", static_cast<unsigned long long>(o.seed),
      o.mem_latency, json_escape(st.plan.describe()).c_str(),
      static_cast<unsigned long long>(st.run.cycles), static_cast<unsigned long long>(st.macs),
      m.ideal, m.util, static_cast<unsigned long long>(st.dram_bytes), m.bw, m.roof, m.ratio,
      perf(isa::kPerfBytesRead), perf(isa::kPerfBytesWritten), st.run.commands, st.run.flags,
      r.check.golden_checked ? "true" : "false",
      static_cast<unsigned long long>(failures(r.check)), r.check.max_abs_err,
      r.check.max_err_over_tol, cps, r.wall_seconds, perf(isa::kPerfLoadBusy),
      perf(isa::kPerfLoadWait), perf(isa::kPerfExecBusy), perf(isa::kPerfExecWait),
      perf(isa::kPerfStoreBusy), perf(isa::kPerfStoreWait), perf(isa::kPerfMmuActive));
}

void print_summary(const AttnOptions& o, const Outcome& r) {
  const ChipConfig& cfg = find_config(o.config);
  const Check& c = r.check;
  std::printf("tessera attention: %s on '%s' (%s backend), seed %llu\n", shape_text(o).c_str(),
              o.config.c_str(), o.backend.c_str(), static_cast<unsigned long long>(o.seed));
  const char* est = o.backend == "func" ? " (functional-model estimate)" : "";
  auto line = [&](const char* dir, const AttentionStats& st) {
    const Metrics m = metrics(cfg, st);
    std::printf("  %-9s %s; %zu commands, %llu cycles%s (roofline %.0f, ratio %.3f)\n", dir,
                st.plan.describe().c_str(), st.run.commands,
                static_cast<unsigned long long>(st.run.cycles), est, m.roof, m.ratio);
  };
  line("forward:", r.dev.fwd);
  if (o.backward) line("backward:", r.dev.bwd);
  if (c.golden_checked) {
    std::printf("  golden:    %llu elements differ from the functional model (bit-exact), "
                "FLAGS %s\n",
                static_cast<unsigned long long>(c.golden_mismatches),
                c.flags_match ? "match" : "DIFFER");
  } else {
    std::printf("  golden:    not compared (the func backend is the functional model)\n");
  }
  std::printf("  reference: %llu of %llu outside the FP64 tolerance (%s); max |err| %.3g, "
              "largest err / tolerance %.3g\n",
              static_cast<unsigned long long>(c.violations),
              static_cast<unsigned long long>(c.checked),
              o.backward ? "lse, dQ, dK, dV" : "O, lse", c.max_abs_err, c.max_err_over_tol);
  if (!c.first_problem.empty()) std::printf("  first:     %s\n", c.first_problem.c_str());
  std::printf("%s (%.2f s)\n", failures(c) == 0 ? "PASS" : "FAIL", r.wall_seconds);
}

// The runtime refuses shapes it cannot run (std::invalid_argument): a usage error here.
Outcome run_checked(const AttnOptions& o) {
  try {
    return run(o);
  } catch (const std::invalid_argument& e) {
    throw UsageError{e.what()};
  }
}

}  // namespace

int attention(const std::vector<std::string>& args) {
  const AttnOptions o =
      parse(args,
            "usage: tessera attention --seq S --heads H --head-dim D [options]\n\n"
            "Runs softmax(scale Q K^T + mask) V (scale 1/sqrt(D)) over random Q, K, V on a\n"
            "device backend through the runtime (tiled, online softmax), and with --backward\n"
            "also dQ, dK, dV. Checks every output byte and FLAGS against the functional model\n"
            "and the FP32 outputs against the FP64 reference within its proven tolerance.\n"
            "Exit 0 when all agree.\n\n"
            "options",
            false);
  if (o.help) return 0;
  const Outcome r = run_checked(o);
  print_summary(o, r);
  if (failures(r.check) != 0) std::fprintf(stderr, "tessera: attention: %s\n", r.check.first_problem.c_str());
  return failures(r.check) == 0 ? 0 : 1;
}

int bench_attention(const std::vector<std::string>& args) {
  const AttnOptions o =
      parse(args,
            "usage: tessera bench attention [options]\n\n"
            "Runs attention forward (default 8 heads, seq 512, head dim 64, fp16) and with\n"
            "--backward the backward pass, and reports per direction the cycles, the useful\n"
            "MACs, the roofline bound max(MACs / Dim^2, tensor bytes / bus bytes) and its\n"
            "ratio to the cycles, and the mismatches against the functional model and the\n"
            "FP64 reference (one JSON line per direction with --json).\n\n"
            "options",
            true);
  if (o.help) return 0;
  const Outcome r = run_checked(o);
  if (o.json) {
    print_json(o, r, "forward", r.dev.fwd);
    if (o.backward) print_json(o, r, "backward", r.dev.bwd);
  } else {
    print_summary(o, r);
  }
  return failures(r.check) == 0 ? 0 : 1;
}

}  // namespace tessera::cli
