// SPDX-License-Identifier: Apache-2.0
// tessera gemm / bench gemm: one GEMM on a device backend through the runtime, checked
// bit for bit against golden::gemm and within the OpenBLAS gamma_K bound.
#include "tessera/golden/gemm.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "tessera/device.hpp"
#include "tessera/reference/arith.hpp"
#include "tessera/reference/gemm.hpp"
#include "tessera/runtime.hpp"

namespace tessera::cli {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct GemmOptions {
  uint32_t m = 0, n = 0, k = 0;
  std::string dtype = "fp16", out = "raw", config = "default", backend, trace;
  uint64_t seed = 1;
  bool a_trans = false, b_trans = false, accumulate = false, json = false, help = false;
  unsigned mem_latency = 100;
  unsigned baud = 115200;
  int32_t rq_mult = 1 << 30;
  int rq_shift = -8, rq_zp = 0;
};

isa::Dtype parse_dtype(const std::string& s) {
  if (s == "fp16") return isa::Dtype::kFp16;
  if (s == "bf16") return isa::Dtype::kBf16;
  if (s == "int8") return isa::Dtype::kInt8;
  throw UsageError{"--dtype must be fp16, bf16 or int8 (got '" + s + "')"};
}

isa::StoreFormat parse_out(const std::string& s) {
  if (s == "raw") return isa::StoreFormat::kRaw;
  if (s == "fp16") return isa::StoreFormat::kFp16;
  if (s == "bf16") return isa::StoreFormat::kBf16;
  if (s == "int8") return isa::StoreFormat::kInt8;
  throw UsageError{"--out must be raw, fp16, bf16 or int8 (got '" + s + "')"};
}

// sim, netlist, func, or serial:<tty>.
bool backend_name_ok(const std::string& b) {
  return b == "sim" || b == "netlist" || b == "func" ||
         (b.rfind("serial:", 0) == 0 && b.size() > 7);
}

GemmOptions parse(const std::vector<std::string>& args, const char* usage, bool bench) {
  GemmOptions o;
  po::options_description desc(usage);
  auto add = desc.add_options();
  add("help,h", "show this help");
  if (bench) {
    add("m", po::value<uint32_t>(&o.m)->default_value(512), "rows of A and C");
    add("n", po::value<uint32_t>(&o.n)->default_value(512), "columns of B and C");
    add("k", po::value<uint32_t>(&o.k)->default_value(512), "inner dimension");
  } else {
    add("m", po::value<uint32_t>(&o.m)->required(), "rows of A and C (required)");
    add("n", po::value<uint32_t>(&o.n)->required(), "columns of B and C (required)");
    add("k", po::value<uint32_t>(&o.k)->required(), "inner dimension (required)");
  }
  add("dtype", po::value<std::string>(&o.dtype)->default_value("fp16"), "fp16, bf16 or int8");
  add("out", po::value<std::string>(&o.out)->default_value("raw"),
      "output: raw (FP32/INT32 sums), fp16, bf16 (FP dtypes) or int8 (requantized)");
  add("a-trans", po::bool_switch(&o.a_trans), "A stored K x M");
  add("b-trans", po::bool_switch(&o.b_trans), "B stored N x K");
  add("accumulate", po::bool_switch(&o.accumulate), "D = A B + C with a random C");
  add("rq-mult", po::value<int32_t>(&o.rq_mult)->default_value(1 << 30),
      "--out int8: Q0.31 multiplier (per tensor)");
  add("rq-shift", po::value<int>(&o.rq_shift)->default_value(-8), "--out int8: shift [-31, 30]");
  add("rq-zp", po::value<int>(&o.rq_zp)->default_value(0), "--out int8: zero point");
  add("config", po::value<std::string>(&o.config)->default_value("default"),
      ("chip configuration: " + config_names()).c_str());
  add("backend", po::value<std::string>(&o.backend),
      "sim (Verilated chip), netlist (the Verilated chip in lockstep with its Yosys gate "
      "netlist, every CSR and memory read compared; tiny), func (ISA-level model) or "
      "serial:<tty> (a board behind the UART bridge, docs/fpga.md); default sim if built, "
      "else func");
  add("baud", po::value<unsigned>(&o.baud)->default_value(115200), "serial backend: baud rate");
  add("trace", po::value<std::string>(&o.trace),
      "FST waveform file (sim backend; netlist backend: of its RTL side)");
  add("mem-latency", po::value<unsigned>(&o.mem_latency)->default_value(100),
      "host memory latency in cycles");
  add("seed", po::value<uint64_t>(&o.seed)->default_value(1), "random seed of the operands");
  if (bench) add("json", po::bool_switch(&o.json), "print one JSON object");
  po::variables_map vm;
  if (!parse_args(desc, args, vm)) {
    o.help = true;
    return o;
  }
  if (o.m == 0 || o.n == 0 || o.k == 0) throw UsageError{"--m, --n and --k must be at least 1"};
  if (o.m > 65535 || o.n > 65535 || o.k > 65535) {
    throw UsageError{"--m, --n and --k must be at most 65535"};
  }
  parse_dtype(o.dtype);
  parse_out(o.out);
  if (o.backend.empty()) o.backend = backend_available("sim") ? "sim" : "func";
  if (!backend_name_ok(o.backend)) {
    throw UsageError{"--backend must be sim, netlist, func or serial:<tty> (got '" + o.backend +
                     "')"};
  }
  if (!o.trace.empty() && o.backend != "sim" && o.backend != "netlist") {
    throw UsageError{"--trace needs --backend sim or netlist"};
  }
  require_config(o.config);
  const bool is_int = o.dtype == "int8";
  if (is_int && (o.out == "fp16" || o.out == "bf16")) {
    throw UsageError{"--dtype int8 outputs raw or int8"};
  }
  if (!is_int && o.out == "int8") throw UsageError{"--out int8 needs --dtype int8"};
  if (o.rq_shift < -31 || o.rq_shift > 30) throw UsageError{"--rq-shift must be in [-31, 30]"};
  if (o.rq_zp < -128 || o.rq_zp > 127) throw UsageError{"--rq-zp must be in [-128, 127]"};
  return o;
}

// Finite operands of moderate magnitude (no overflow; cancellation possible).
uint16_t random_code(std::mt19937_64& r, isa::Dtype dt) {
  if (dt == isa::Dtype::kInt8) return uint16_t(int16_t(int8_t(r())));
  const uint16_t sign = uint16_t((r() & 1u) << 15);
  if (r() % 32 == 0) return sign;
  if (dt == isa::Dtype::kFp16) return uint16_t(sign | ((9 + r() % 12) << 10) | (r() & 0x3ffu));
  return uint16_t(sign | ((121 + r() % 12) << 7) | (r() & 0x7fu));
}

struct Outcome {
  RunStats st;
  GemmPlan plan;
  double device_seconds = 0, wall_seconds = 0;
  uint64_t golden_mismatches = 0, bound_violations = 0, checked = 0;
  bool flags_match = true;
  uint8_t golden_flags = 0;
  std::string first_problem;
};

Outcome run(const GemmOptions& o) {
  Progress prog;
  Outcome res;
  const auto t_start = Clock::now();
  DeviceOptions dopt;
  dopt.trace_path = o.trace;
  dopt.seed = o.seed;
  dopt.mem_latency = o.mem_latency;
  dopt.baud = o.baud;
  std::unique_ptr<Device> dev = make_device(o.config, o.backend, dopt);
  RuntimeOptions ropt;
  if (const auto mem = dev->memory_range()) {  // a board: its on-chip RAM only
    ropt.dram_base = mem->base;
    ropt.dram_size = mem->size;
    ropt.ring_slots = 32;
  }
  if (prog.tty()) {
    ropt.progress = [](uint64_t fetched, uint64_t total) {
      std::fprintf(stderr, "\r\033[Kdevice: %llu / %llu commands fetched",
                   static_cast<unsigned long long>(fetched),
                   static_cast<unsigned long long>(total));
      std::fflush(stderr);
    };
  }
  Runtime rt(*dev, ropt);
  const isa::Dtype dt = parse_dtype(o.dtype);
  const isa::StoreFormat out = parse_out(o.out);
  const uint64_t M = o.m, N = o.n, K = o.k, es = elem_bytes(dt);
  std::mt19937_64 r(o.seed);
  std::vector<uint16_t> a(M * K), b(K * N);
  for (auto& x : a) x = random_code(r, dt);
  for (auto& x : b) x = random_code(r, dt);
  std::vector<uint32_t> cin(o.accumulate ? M * N : 0);
  for (auto& x : cin) {
    if (dt == isa::Dtype::kInt8) {
      x = uint32_t(int32_t(r() % 200001) - 100000);
    } else {
      const float f = float(int(r() % 2001) - 1000) / 64.0f;
      std::memcpy(&x, &f, 4);
    }
  }
  auto bytes16 = [&](const std::vector<uint16_t>& v) {
    std::vector<uint8_t> h;
    h.reserve(v.size() * es);
    for (uint16_t x : v) {
      h.push_back(uint8_t(x));
      if (es == 2) h.push_back(uint8_t(x >> 8));
    }
    return h;
  };
  GemmArgs g;
  g.dtype = dt;
  g.m = o.m;
  g.n = o.n;
  g.k = o.k;
  g.a_trans = o.a_trans;
  g.b_trans = o.b_trans;
  g.out = out;
  g.rq = {o.rq_mult, o.rq_shift, o.rq_zp};
  g.a = rt.alloc(M * K * es);
  g.b = rt.alloc(K * N * es);
  g.d = rt.alloc(M * N * isa::format_bytes(out));
  rt.write(g.a, bytes16(a).data(), g.a.size);
  rt.write(g.b, bytes16(b).data(), g.b.size);
  if (o.accumulate) {
    g.c = rt.alloc(M * N * 4);
    rt.write(*g.c, cin.data(), M * N * 4);  // little-endian host
  }
  prog.phase("device: running");
  const auto t0 = Clock::now();
  res.st = rt.gemm(g, &res.plan);
  res.device_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::vector<uint8_t> got = rt.read(g.d);

  prog.phase("checking against the golden model");
  golden::GemmSpec s;
  s.dim = int(dev->config().dim);
  s.dtype = golden::MmuDtype(uint8_t(dt));
  s.m = o.m;
  s.n = o.n;
  s.k = o.k;
  s.a_trans = o.a_trans;
  s.b_trans = o.b_trans;
  s.a = a.data();
  s.b = b.data();
  s.c = o.accumulate ? cin.data() : nullptr;
  const golden::GemmResult gr = golden::gemm(s);
  uint8_t flags = gr.flags;
  const std::vector<uint8_t> want = golden::gemm_output(gr.acc, golden::OutFormat(uint8_t(out)),
                                                        {o.rq_mult, o.rq_shift, o.rq_zp}, &flags);
  res.golden_flags = flags;
  res.flags_match = res.st.flags == flags;
  const size_t ob = isa::format_bytes(out);
  for (size_t i = 0; i < M * N; ++i) {
    if (std::memcmp(&got[i * ob], &want[i * ob], ob) != 0) {
      if (res.golden_mismatches == 0) {
        res.first_problem = "golden mismatch at element (" + std::to_string(i / N) + ", " +
                            std::to_string(i % N) + ")";
      }
      ++res.golden_mismatches;
    }
  }

  prog.phase("checking against OpenBLAS");
  if (dt == isa::Dtype::kInt8) {
    std::vector<int8_t> ai(a.size()), bi(b.size());
    for (size_t i = 0; i < a.size(); ++i) ai[i] = int8_t(a[i]);
    for (size_t i = 0; i < b.size(); ++i) bi[i] = int8_t(b[i]);
    std::vector<int32_t> ci(cin.begin(), cin.end());
    const auto ref =
        ref::int_gemm(o.m, o.n, o.k, o.a_trans, o.b_trans, ai, bi, o.accumulate ? &ci : nullptr);
    for (size_t i = 0; i < ref.size(); ++i) {
      const int32_t exact = int32_t(uint32_t(uint64_t(ref[i])));  // INT32 wraps
      bool ok;
      if (out == isa::StoreFormat::kRaw) {
        int32_t v;
        std::memcpy(&v, &got[4 * i], 4);
        ok = v == exact;
      } else {
        ok = int8_t(got[i]) ==
             int8_t(ref::int_requant(exact, o.rq_mult, o.rq_shift, o.rq_zp, -128, 127).bits);
      }
      ++res.checked;
      if (!ok && res.bound_violations++ == 0 && res.first_problem.empty()) {
        res.first_problem = "integer reference mismatch at element " + std::to_string(i);
      }
    }
  } else {
    ref::GemmInputs in;
    in.m = o.m;
    in.n = o.n;
    in.k = o.k;
    in.a_trans = o.a_trans;
    in.b_trans = o.b_trans;
    const auto e = dt == isa::Dtype::kFp16 ? ref::Elem::kFp16 : ref::Elem::kBf16;
    in.a = ref::widen(e, a);
    in.b = ref::widen(e, b);
    for (uint32_t x : cin) {
      float f;
      std::memcpy(&f, &x, 4);
      in.c.push_back(f);
    }
    const ref::BoundCheck chk = ref::check_bound(ref::blas_gemm(in), int(out), got);
    res.bound_violations = chk.violations;
    res.checked = chk.checked;
    if (chk.violations && res.first_problem.empty()) res.first_problem = chk.first;
  }
  prog.done();
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return res;
}

struct Metrics {
  double ideal, util, roof, roof_ratio, cps;
  uint64_t dram_bytes;
};

Metrics metrics(const GemmOptions& o, const Outcome& r) {
  const ChipConfig& cfg = find_config(o.config);
  Metrics m;
  m.ideal = double(o.m) * o.n * o.k / (double(cfg.dim) * cfg.dim);
  m.dram_bytes = r.st.perf[isa::kPerfBytesRead] + r.st.perf[isa::kPerfBytesWritten];
  m.roof = std::max(m.ideal, double(m.dram_bytes) / cfg.bus_bytes);
  const double cyc = double(r.st.cycles);
  m.util = cyc > 0 ? m.ideal / cyc : 0;
  m.roof_ratio = cyc > 0 ? m.roof / cyc : 0;
  m.cps = r.device_seconds > 0 ? cyc / r.device_seconds : 0;
  return m;
}

uint64_t mismatches(const Outcome& r) {
  return r.golden_mismatches + r.bound_violations + (r.flags_match ? 0 : 1);
}

void print_json(const GemmOptions& o, const Outcome& r) {
  const Metrics m = metrics(o, r);
  auto perf = [&](uint32_t c) { return static_cast<unsigned long long>(r.st.perf[c]); };
  std::printf(
      "{\"bench\":\"gemm\",\"config\":\"%s\",\"backend\":\"%s\",\"m\":%u,\"n\":%u,\"k\":%u,"
      "\"dtype\":\"%s\",\"out\":\"%s\",\"a_trans\":%s,\"b_trans\":%s,\"accumulate\":%s,"
      "\"seed\":%llu,\"mem_latency\":%u,\"cycles\":%llu,\"ideal_cycles\":%.1f,"
      "\"utilization\":%.4f,\"roofline_bound_cycles\":%.1f,\"roofline_ratio\":%.4f,"
      "\"dram_bytes\":%llu,\"macs\":%llu,\"commands\":%zu,\"sim_cycles_per_second\":%.0f,"
      "\"wall_seconds\":%.3f,\"flags\":%u,\"golden_mismatches\":%llu,"
      "\"bound_violations\":%llu,\"flags_match\":%s,\"mismatches\":%llu,\"plan\":\"%s\","
      "\"units\":{\"load_busy\":%llu,\"load_wait\":%llu,\"exec_busy\":%llu,\"exec_wait\":%llu,"
      "\"store_busy\":%llu,\"store_wait\":%llu,\"mmu_active\":%llu}}\n",
      o.config.c_str(), o.backend.c_str(), o.m, o.n, o.k, o.dtype.c_str(), o.out.c_str(),
      o.a_trans ? "true" : "false", o.b_trans ? "true" : "false", o.accumulate ? "true" : "false",
      static_cast<unsigned long long>(o.seed), o.mem_latency,
      static_cast<unsigned long long>(r.st.cycles), m.ideal, m.util, m.roof, m.roof_ratio,
      static_cast<unsigned long long>(m.dram_bytes),
      static_cast<unsigned long long>(r.st.perf[isa::kPerfMacs]), r.st.commands, m.cps,
      r.wall_seconds, r.st.flags, static_cast<unsigned long long>(r.golden_mismatches),
      static_cast<unsigned long long>(r.bound_violations), r.flags_match ? "true" : "false",
      static_cast<unsigned long long>(mismatches(r)), json_escape(r.plan.describe()).c_str(),
      perf(isa::kPerfLoadBusy), perf(isa::kPerfLoadWait), perf(isa::kPerfExecBusy),
      perf(isa::kPerfExecWait), perf(isa::kPerfStoreBusy), perf(isa::kPerfStoreWait),
      perf(isa::kPerfMmuActive));
}

void print_summary(const GemmOptions& o, const Outcome& r) {
  const Metrics m = metrics(o, r);
  const bool ok = mismatches(r) == 0;
  std::printf("tessera gemm: %ux%ux%u %s%s%s%s -> %s on '%s' (%s backend), seed %llu\n", o.m, o.n,
              o.k, o.dtype.c_str(), o.a_trans ? " A^T" : "", o.b_trans ? " B^T" : "",
              o.accumulate ? " +C" : "", o.out.c_str(), o.config.c_str(), o.backend.c_str(),
              static_cast<unsigned long long>(o.seed));
  std::printf("  plan:        %s; %zu commands\n", r.plan.describe().c_str(), r.st.commands);
  std::printf("  cycles:      %llu%s (ideal %.0f, utilization %.3f, roofline ratio %.3f)\n",
              static_cast<unsigned long long>(r.st.cycles),
              o.backend == "func" ? " (functional-model estimate)" : "", m.ideal, m.util,
              m.roof_ratio);
  std::printf("  golden:      %llu of %llu elements differ (bit-exact), FLAGS 0x%02x %s\n",
              static_cast<unsigned long long>(r.golden_mismatches),
              static_cast<unsigned long long>(uint64_t(o.m) * o.n), r.st.flags,
              r.flags_match ? "match" : "DIFFER");
  std::printf("  reference:   %llu of %llu outside %s\n",
              static_cast<unsigned long long>(r.bound_violations),
              static_cast<unsigned long long>(r.checked),
              o.dtype == "int8" ? "the exact integer result" : "the OpenBLAS gamma_K bound");
  if (!r.first_problem.empty()) std::printf("  first:       %s\n", r.first_problem.c_str());
  std::printf("%s (%.2f s)\n", ok ? "PASS" : "FAIL", r.wall_seconds);
}

}  // namespace

int gemm(const std::vector<std::string>& args) {
  const GemmOptions o = parse(args,
                              "usage: tessera gemm --m M --n N --k K [options]\n\n"
                              "Runs D = op(A) op(B) (+ C) with random operands on a device\n"
                              "backend through the host runtime, and checks D bit for bit\n"
                              "against the golden model (and FLAGS) and against OpenBLAS\n"
                              "within gamma_K (INT8: exact integers). Exit 0 when all agree.\n\n"
                              "options",
                              false);
  if (o.help) return 0;
  const Outcome r = run(o);
  print_summary(o, r);
  return mismatches(r) == 0 ? 0 : 1;
}

int bench_gemm(const std::vector<std::string>& args) {
  const GemmOptions o = parse(args,
                              "usage: tessera bench gemm [options]\n\n"
                              "Runs one GEMM (default 512x512x512 fp16) and reports device\n"
                              "cycles, ideal cycles M*N*K/Dim^2, utilization, the roofline bound\n"
                              "max(ideal, DRAM bytes / bus bytes per cycle) and its ratio,\n"
                              "simulation speed and mismatches (golden + reference).\n\n"
                              "options",
                              true);
  if (o.help) return 0;
  const Outcome r = run(o);
  if (o.json) {
    print_json(o, r);
  } else {
    print_summary(o, r);
  }
  return mismatches(r) == 0 ? 0 : 1;
}

}  // namespace tessera::cli

namespace tessera::cli {

// tessera demo: GEMMs in all three data types on one configuration, each checked, with a
// table of cycles and utilization.
int demo(const std::vector<std::string>& args) {
  po::options_description desc(
      "usage: tessera demo [options]\n\n"
      "Runs FP16, BF16 and INT8 GEMMs (plain, transposed, accumulating, converted outputs)\n"
      "on the simulated chip (or the functional model), checks each bit for bit against\n"
      "the golden model and against OpenBLAS / exact integers, and prints a table.\n\n"
      "options");
  std::string config = "default", backend;
  uint32_t size = 128;
  uint64_t seed = 1;
  desc.add_options()("help,h", "show this help")(
      "config", po::value<std::string>(&config)->default_value("default"),
      ("chip configuration: " + config_names()).c_str())(
      "size", po::value<uint32_t>(&size)->default_value(128), "M = N = K of the square GEMMs")(
      "backend", po::value<std::string>(&backend),
      "sim (default if built), netlist, func or serial:<tty>")(
      "seed", po::value<uint64_t>(&seed)->default_value(1), "random seed of the operands");
  po::variables_map vm;
  if (!parse_args(desc, args, vm)) {
    return 0;
  }
  if (size == 0 || size > 4096) throw UsageError{"--size must be in [1, 4096]"};
  require_config(config);
  if (backend.empty()) backend = backend_available("sim") ? "sim" : "func";
  if (!backend_name_ok(backend)) {
    throw UsageError{"--backend must be sim, netlist, func or serial:<tty>"};
  }

  struct Case {
    const char* dtype;
    const char* out;
    bool a_trans, b_trans, accumulate;
    uint32_t m, n, k;
  };
  const uint32_t s = size, odd = size > 2 ? size - 1 : size;
  const std::vector<Case> cases = {
      {"fp16", "raw", false, false, false, s, s, s},
      {"bf16", "raw", false, false, false, s, s, s},
      {"int8", "raw", false, false, false, s, s, s},
      {"fp16", "fp16", true, false, false, odd, s + 1, s},
      {"bf16", "bf16", false, true, true, s, odd, s + 3},
      {"int8", "int8", false, false, true, s + 1, s, odd},
  };
  std::printf("tessera demo on '%s' (%s backend), seed %llu\n\n", config.c_str(), backend.c_str(),
              static_cast<unsigned long long>(seed));
  std::printf("| GEMM                          | cycles  | ideal   | utilization | checked     |\n");
  std::printf("|-------------------------------|---------|---------|-------------|-------------|\n");
  int failed = 0;
  for (const Case& c : cases) {
    GemmOptions o;
    o.m = c.m;
    o.n = c.n;
    o.k = c.k;
    o.dtype = c.dtype;
    o.out = c.out;
    o.a_trans = c.a_trans;
    o.b_trans = c.b_trans;
    o.accumulate = c.accumulate;
    o.config = config;
    o.backend = backend;
    o.seed = seed;
    const Outcome r = run(o);
    const Metrics m = metrics(o, r);
    const bool ok = mismatches(r) == 0;
    failed += ok ? 0 : 1;
    char what[64];
    std::snprintf(what, sizeof what, "%ux%ux%u %s%s%s%s -> %s", c.m, c.n, c.k, c.dtype,
                  c.a_trans ? " A^T" : "", c.b_trans ? " B^T" : "", c.accumulate ? " +C" : "",
                  c.out);
    std::printf("| %-29s | %7llu | %7.0f | %11.3f | %-11s |\n", what,
                static_cast<unsigned long long>(r.st.cycles), m.ideal, m.util,
                ok ? "bit-exact" : "MISMATCH");
  }
  std::printf("\n%s: %zu GEMMs, %d failed (bit-exact vs golden model, within the OpenBLAS "
              "gamma_K bound / exact integers)\n",
              failed == 0 ? "PASS" : "FAIL", cases.size(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace tessera::cli
