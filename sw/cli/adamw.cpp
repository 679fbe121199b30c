// SPDX-License-Identifier: Apache-2.0
// tessera adamw / bench adamw: AdamW optimizer steps on a device backend through
// Runtime::adamw_step, checked bit for bit against golden::adamw_element run on the host
// and compared with the FP64 reference (tessera::ref::adamw_step_fp64).
#include "tessera/adamw.hpp"

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "tessera/device.hpp"
#include "tessera/golden/adamw.hpp"
#include "tessera/reference/adamw.hpp"
#include "tessera/runtime.hpp"

namespace tessera::cli {
namespace {

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct AdamwOptions {
  uint32_t n = 0, steps = 1, tensors = 1;
  std::string grad_dtype = "fp32", p16 = "bf16", config = "default", backend;
  uint64_t seed = 1;
  AdamWHyper hyper;
  double loss_scale = 0;  // 0: default (1, or 65536 with --grad-scaler)
  bool grad_scaler = false;
  std::optional<double> max_grad_norm;
  uint32_t inf_every = 0;
  unsigned mem_latency = 100;
  double fmax_mhz = 0;
  bool json = false, help = false, bench = false;
};

golden::GradFmt parse_gfmt(const std::string& s) {
  if (s == "fp32") return golden::GradFmt::kFp32;
  if (s == "fp16") return golden::GradFmt::kFp16;
  if (s == "bf16") return golden::GradFmt::kBf16;
  throw UsageError{"--grad-dtype must be fp32, fp16 or bf16 (got '" + s + "')"};
}

// nullopt: no p16 copy.
std::optional<golden::Fmt16> parse_p16(const std::string& s) {
  if (s == "fp16") return golden::Fmt16::kFp16;
  if (s == "bf16") return golden::Fmt16::kBf16;
  if (s == "none") return std::nullopt;
  throw UsageError{"--p16 must be fp16, bf16 or none (got '" + s + "')"};
}

AdamwOptions parse(const std::vector<std::string>& args, const char* usage, bool bench) {
  AdamwOptions o;
  o.bench = bench;
  double max_norm = -1;
  po::options_description desc(usage);
  auto add = desc.add_options();
  add("help,h", "show this help");
  if (bench) {
    add("n", po::value<uint32_t>(&o.n)->default_value(1u << 20), "elements of the tensor");
  } else {
    add("n", po::value<uint32_t>(&o.n)->required(),
        "elements of the first tensor (required); tensor i has n + i, moved up by one where "
        "that is a multiple of the AdamW lanes");
    add("steps", po::value<uint32_t>(&o.steps)->required(), "optimizer steps (required)");
    add("tensors", po::value<uint32_t>(&o.tensors)->default_value(1), "parameter tensors");
    add("inf-every", po::value<uint32_t>(&o.inf_every)->default_value(0),
        "put an Inf into one gradient every K-th step (needs --grad-scaler or --max-grad-norm)");
  }
  add("grad-scaler", po::bool_switch(&o.grad_scaler),
      bench ? "dynamic loss scaling: measure the fused SCAN + STEP(skip) stream"
            : "dynamic loss scaling (GradScaler defaults; skip steps with Inf/NaN gradients)");
  add("max-grad-norm", po::value<double>(&max_norm),
      bench ? "clip by the global norm: measure the SCAN run and the STEP run together"
            : "clip the gradients to this global L2 norm (clip_grad_norm_)");
  add("grad-dtype", po::value<std::string>(&o.grad_dtype)->default_value("fp32"),
      "gradient format: fp32, fp16 or bf16");
  add("p16", po::value<std::string>(&o.p16)->default_value("bf16"),
      "16-bit copy of the parameters: fp16, bf16 or none");
  add("loss-scale", po::value<double>(&o.loss_scale),
      "static loss scale the gradients carry (default 1; --grad-scaler: its initial scale, "
      "default 65536)");
  add("lr", po::value<double>(&o.hyper.lr)->default_value(1e-3), "learning rate");
  add("beta1", po::value<double>(&o.hyper.beta1)->default_value(0.9), "beta1");
  add("beta2", po::value<double>(&o.hyper.beta2)->default_value(0.999), "beta2");
  add("eps", po::value<double>(&o.hyper.eps)->default_value(1e-8), "eps");
  add("weight-decay", po::value<double>(&o.hyper.weight_decay)->default_value(0.01),
      "decoupled weight decay (0: no decay pass)");
  add("config", po::value<std::string>(&o.config)->default_value("default"),
      ("chip configuration: " + config_names()).c_str());
  add("backend", po::value<std::string>(&o.backend),
      "sim (Verilated chip) or func (ISA-level model); default sim if built, else func");
  add("mem-latency", po::value<unsigned>(&o.mem_latency)->default_value(100),
      "host memory latency in cycles");
  add("seed", po::value<uint64_t>(&o.seed)->default_value(1), "random seed");
  if (bench) {
    add("fmax-mhz", po::value<double>(&o.fmax_mhz), "clock for updates_per_second");
    add("json", po::bool_switch(&o.json), "print one JSON object");
  }
  po::variables_map vm;
  if (!parse_args(desc, args, vm)) {
    o.help = true;
    return o;
  }
  if (o.n == 0) throw UsageError{"--n must be at least 1"};
  if (!bench && o.steps == 0) throw UsageError{"--steps must be at least 1"};
  if (o.tensors == 0 || o.tensors > 1024) throw UsageError{"--tensors must be in [1, 1024]"};
  if (uint64_t(o.n) + o.tensors + 1 > 0x3fffffffull / 4) {
    throw UsageError{"--n is too large for the 1 GiB DRAM window"};
  }
  parse_gfmt(o.grad_dtype);
  parse_p16(o.p16);
  if (vm.count("max-grad-norm")) {
    if (!(max_norm >= 0)) throw UsageError{"--max-grad-norm must be >= 0"};
    o.max_grad_norm = max_norm;
  }
  if (vm.count("loss-scale") && !(std::isfinite(o.loss_scale) && o.loss_scale > 0)) {
    throw UsageError{"--loss-scale must be finite and > 0"};
  }
  if (!vm.count("loss-scale")) o.loss_scale = o.grad_scaler ? 65536.0 : 1.0;
  if (o.inf_every && !o.grad_scaler && !o.max_grad_norm) {
    throw UsageError{"--inf-every needs --grad-scaler or --max-grad-norm (else NaN parameters)"};
  }
  if (vm.count("fmax-mhz") && !(o.fmax_mhz > 0)) throw UsageError{"--fmax-mhz must be > 0"};
  try {  // hyper-parameters: refused here with adamw_scalars' message
    adamw_scalars(o.hyper, 1, o.loss_scale);
  } catch (const std::invalid_argument& e) {
    throw UsageError{e.what()};
  }
  if (o.backend.empty()) o.backend = backend_available("sim") ? "sim" : "func";
  if (o.backend != "sim" && o.backend != "func") {
    throw UsageError{"--backend must be sim or func (got '" + o.backend + "')"};
  }
  require_config(o.config);
  return o;
}

uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float bits_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Host copy of one tensor: the golden FP32 state, the FP64 reference state and the
// gradients of the current step as stored (FP32 bits or 16-bit codes) and widened.
struct HostTensor {
  uint32_t n;
  AdamWTensor dev;
  std::vector<uint32_t> p, m, v, grad;
  std::vector<uint16_t> p16;
  std::vector<double> rp, rm, rv, g_wide;
  ref::AdamWBound bound{0};
};

struct Outcome {
  uint32_t lanes = 0;
  uint64_t steps_done = 0, steps_skipped = 0;
  uint64_t mismatches = 0, checked = 0, bound_violations = 0;
  double max_dp = 0, max_ratio = 0;  // |p - p_fp64| and |p - p_fp64| / bound
  bool bound_checked = false;
  std::string first_problem;
  RunStats last;  // the last step's STEP run
  bool last_skipped = false;  // the last step was skipped (non-finite gradients)
  double final_scale = 0;
  double wall_seconds = 0;
};

Outcome run(const AdamwOptions& o) {
  const auto t_start = Clock::now();
  Outcome res;
  DeviceOptions dopt;
  dopt.seed = o.seed;
  dopt.mem_latency = o.mem_latency;
  std::unique_ptr<Device> dev = make_device(o.config, o.backend, dopt);
  Runtime rt(*dev);
  res.lanes = rt.adamw_lanes();
  const golden::GradFmt gf = parse_gfmt(o.grad_dtype);
  const std::optional<golden::Fmt16> p16 = parse_p16(o.p16);
  const uint32_t gb = isa::grad_bytes(gf);
  std::mt19937_64 r(o.seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);

  std::vector<HostTensor> ts(o.tensors);
  for (uint32_t i = 0; i < o.tensors; ++i) {
    HostTensor& t = ts[i];
    t.n = o.n;
    if (!o.bench) {
      t.n = o.n + i;
      if (res.lanes > 1 && t.n % res.lanes == 0) ++t.n;
    }
    const size_t n = t.n;
    t.p.resize(n);
    t.m.assign(n, 0);
    t.v.assign(n, 0);
    t.grad.resize(n);
    t.p16.assign(n, 0);
    t.rp.resize(n);
    t.rm.assign(n, 0.0);
    t.rv.assign(n, 0.0);
    t.g_wide.resize(n);
    t.bound = ref::AdamWBound(n);
    for (size_t e = 0; e < n; ++e) {
      const float x = float(uni(r));
      t.p[e] = f32_bits(x);
      t.rp[e] = x;
    }
    if (o.bench) {  // a mid-training state: non-zero moments
      for (size_t e = 0; e < n; ++e) {
        t.m[e] = f32_bits(float(uni(r) * 1e-3));
        t.v[e] = f32_bits(float(std::fabs(uni(r)) * 1e-6));
        t.rm[e] = bits_f32(t.m[e]);
        t.rv[e] = bits_f32(t.v[e]);
      }
    }
    t.dev.n = t.n;
    t.dev.p = rt.alloc(4 * n);
    t.dev.m = rt.alloc(4 * n);
    t.dev.v = rt.alloc(4 * n);
    t.dev.g = rt.alloc(gb * n);
    if (p16) t.dev.p16 = rt.alloc(2 * n);
    rt.write(t.dev.p, t.p.data(), 4 * n);  // little-endian host
    rt.write(t.dev.m, t.m.data(), 4 * n);
    rt.write(t.dev.v, t.v.data(), 4 * n);
  }

  std::optional<GradScaler> dev_scaler, host_scaler;
  if (o.grad_scaler) {
    dev_scaler.emplace(o.loss_scale);
    host_scaler.emplace(o.loss_scale);
  }
  AdamWStepOptions so;
  so.grad_fmt = gf;
  so.p16_fmt = p16.value_or(golden::Fmt16::kBf16);
  so.loss_scale = o.loss_scale;
  so.scaler = dev_scaler ? &*dev_scaler : nullptr;
  so.max_grad_norm = o.max_grad_norm;
  res.bound_checked = !o.max_grad_norm;
  auto problem = [&](const std::string& what) {
    if (res.first_problem.empty()) res.first_problem = what;
  };

  uint64_t t = 1;  // PyTorch's state["step"] of the next update
  for (uint32_t it = 0; it < o.steps; ++it) {
    const double ls = host_scaler ? host_scaler->scale() : o.loss_scale;
    // Gradients: |g| in [1e-4, 1] (unscaled), times the loss scale, in the chosen format.
    for (HostTensor& h : ts) {
      for (uint32_t e = 0; e < h.n; ++e) {
        const double mag = std::pow(10.0, -4.0 * std::fabs(uni(r)));
        const float x = float((uni(r) < 0 ? -mag : mag) * ls);
        uint32_t code = f32_bits(x);
        if (gf != golden::GradFmt::kFp32) {
          code =
              golden::fp_narrow(
                  gf == golden::GradFmt::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16, code)
                  .bits;
        }
        h.grad[e] = code;
      }
    }
    if (o.inf_every && it % o.inf_every == o.inf_every - 1) {
      HostTensor& h = ts[r() % ts.size()];
      h.grad[r() % h.n] = gf == golden::GradFmt::kFp32   ? 0x7f800000u
                          : gf == golden::GradFmt::kFp16 ? 0x7c00u
                                                         : 0x7f80u;
    }
    for (HostTensor& h : ts) {
      std::vector<uint8_t> bytes(size_t(h.n) * gb);
      for (uint32_t e = 0; e < h.n; ++e) {
        for (uint32_t k = 0; k < gb; ++k) bytes[size_t(e) * gb + k] = uint8_t(h.grad[e] >> (8 * k));
        const uint32_t wide =
            gf == golden::GradFmt::kFp32
                ? h.grad[e]
                : golden::fp_widen(
                      gf == golden::GradFmt::kBf16 ? golden::Fmt16::kBf16 : golden::Fmt16::kFp16,
                      uint16_t(h.grad[e]))
                      .bits;
        h.g_wide[e] = bits_f32(wide);
      }
      rt.write(h.dev.g, bytes.data(), bytes.size());
    }

    // Host golden model of the step.
    const AdamWScalars sc = adamw_scalars(o.hyper, t, ls);
    golden::AdamWScalarBits sb = scalar_bits(sc, gf, p16.value_or(golden::Fmt16::kFp16));
    const bool scan = o.grad_scaler || o.max_grad_norm;
    bool found_inf = false;
    std::optional<double> norm, coef;
    if (scan) {
      golden::AdamWSumSq acc(isa::adamw_scan_lanes(rt.config()));
      for (const HostTensor& h : ts) {
        for (uint32_t e = 0; e < h.n; ++e) {
          const golden::AdamWScan s = golden::adamw_scan(sb, h.grad[e]);
          found_inf = found_inf || s.nonfinite;
          acc.add(e, s.gsq);
        }
      }
      const uint32_t sum = acc.sumsq();
      if (o.max_grad_norm) {
        norm = std::sqrt(double(bits_f32(sum)));
        if (!found_inf) {
          coef = clip_coefficient(*norm, *o.max_grad_norm);
          sb.inv_loss_scale = f32_bits(combined_grad_scale(double(sc.inv_loss_scale), *coef));
        }
      }
    }
    const bool skip = scan && found_inf;

    const AdamWResult got = rt.adamw_step(
        [&] {
          std::vector<AdamWTensor> v;
          for (const HostTensor& h : ts) v.push_back(h.dev);
          return v;
        }(),
        o.hyper, t, so);
    // The bench measures what the step costs on the chip: with clipping, the SCAN run and
    // the STEP run; otherwise the run that held the STEPs (with the SCANs if fused).
    res.last = o.max_grad_norm ? got.stats : got.step_stats;
    res.last_skipped = got.skipped;
    const std::string at = "step " + std::to_string(it + 1);
    if (got.skipped != skip) problem(at + ": device skipped " + std::to_string(got.skipped));
    const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    if (norm && (!got.grad_norm || !same(*got.grad_norm, *norm))) {
      ++res.mismatches;
      problem(at + ": gradient norm differs from the golden sum of squares");
    }
    if (host_scaler) {
      host_scaler->update(found_inf);
      if (got.new_loss_scale != host_scaler->scale()) {
        ++res.mismatches;
        problem(at + ": loss scale differs");
      }
    }
    if (!skip) {
      for (HostTensor& h : ts) {
        for (uint32_t e = 0; e < h.n; ++e) {
          const golden::AdamWElement x =
              golden::adamw_element(sb, h.grad[e], h.p[e], h.m[e], h.v[e]);
          h.p[e] = x.p;
          h.m[e] = x.m;
          h.v[e] = x.v;
          h.p16[e] = x.p16;
        }
        const double inv = coef ? *coef / ls : 1.0 / ls;
        ref::adamw_step_fp64(h.rp, h.rm, h.rv, h.g_wide, o.hyper, t, inv, h.bound);
      }
      ++t;
      ++res.steps_done;
    } else {
      ++res.steps_skipped;
    }
    // Every step, every element, bit for bit (a skipped step: unchanged).
    for (size_t i = 0; i < ts.size(); ++i) {
      HostTensor& h = ts[i];
      std::vector<uint32_t> dp(h.n), dm(h.n), dv(h.n);
      std::vector<uint16_t> d16(p16 ? h.n : 0);
      rt.read(h.dev.p, dp.data(), 4 * size_t(h.n));
      rt.read(h.dev.m, dm.data(), 4 * size_t(h.n));
      rt.read(h.dev.v, dv.data(), 4 * size_t(h.n));
      if (p16) rt.read(*h.dev.p16, d16.data(), 2 * size_t(h.n));
      for (uint32_t e = 0; e < h.n; ++e) {
        ++res.checked;
        // p16 is written by the first non-skipped step; before it the buffer is unset.
        const bool p16_bad = p16 && res.steps_done > 0 && d16[e] != h.p16[e];
        if (dp[e] != h.p[e] || dm[e] != h.m[e] || dv[e] != h.v[e] || p16_bad) {
          if (res.mismatches++ == 0) {
            char buf[160];
            std::snprintf(buf, sizeof buf,
                          "%s: tensor %zu element %u: p %08x/%08x m %08x/%08x v %08x/%08x "
                          "(device/golden)",
                          at.c_str(), i, e, dp[e], h.p[e], dm[e], h.m[e], dv[e], h.v[e]);
            problem(buf);
          }
        }
      }
    }
  }
  for (const HostTensor& h : ts) {
    for (uint32_t e = 0; e < h.n; ++e) {
      const double d = std::fabs(double(bits_f32(h.p[e])) - h.rp[e]);
      res.max_dp = std::max(res.max_dp, d);
      if (res.bound_checked && h.bound.p[e] > 0) {
        res.max_ratio = std::max(res.max_ratio, d / h.bound.p[e]);
      }
      if (res.bound_checked && d > h.bound.p[e]) ++res.bound_violations;
    }
  }
  res.final_scale = dev_scaler ? dev_scaler->scale() : o.loss_scale;
  res.wall_seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  return res;
}

uint64_t failures(const Outcome& r) { return r.mismatches + r.bound_violations; }

}  // namespace

int adamw(const std::vector<std::string>& args) {
  const AdamwOptions o =
      parse(args,
            "usage: tessera adamw --n N --steps T [options]\n\n"
            "Runs T AdamW steps (Runtime::adamw_step) over random tensors on a device\n"
            "backend, checks p, m, v and the 16-bit copy bit for bit against the golden\n"
            "per-element model after every step, and reports the largest |p - p_fp64|\n"
            "against the FP64 reference (and its running error bound). Exit 0 when all agree.\n\n"
            "options",
            false);
  if (o.help) return 0;
  const Outcome r = run(o);
  std::printf(
      "tessera adamw: %u step(s), %u tensor(s) from n = %u, grad %s, p16 %s on '%s' "
      "(%s backend, %u AdamW lanes), seed %llu\n",
      o.steps, o.tensors, o.n, o.grad_dtype.c_str(), o.p16.c_str(), o.config.c_str(),
      o.backend.c_str(), r.lanes, static_cast<unsigned long long>(o.seed));
  char scale[64] = "";
  if (o.grad_scaler) std::snprintf(scale, sizeof scale, ", final loss scale %g", r.final_scale);
  std::printf("  steps:       %llu applied, %llu skipped (non-finite gradients)%s\n",
              static_cast<unsigned long long>(r.steps_done),
              static_cast<unsigned long long>(r.steps_skipped), scale);
  std::printf("  golden:      %llu mismatches in %llu element checks (bit-exact)\n",
              static_cast<unsigned long long>(r.mismatches),
              static_cast<unsigned long long>(r.checked));
  if (r.bound_checked) {
    std::printf(
        "  reference:   max |p - p_fp64| = %.3g, largest error / bound %.3g, %llu outside "
        "the bound\n",
        r.max_dp, r.max_ratio, static_cast<unsigned long long>(r.bound_violations));
  } else {
    std::printf("  reference:   max |p - p_fp64| = %.3g (clipped: no error bound)\n", r.max_dp);
  }
  std::printf("  last STEP:   %llu cycles%s\n", static_cast<unsigned long long>(r.last.cycles),
              o.backend == "func" ? " (functional-model estimate)" : "");
  if (!r.first_problem.empty()) std::printf("  first:       %s\n", r.first_problem.c_str());
  std::printf("%s (%.2f s)\n", failures(r) == 0 ? "PASS" : "FAIL", r.wall_seconds);
  if (failures(r) != 0) {
    std::fprintf(
        stderr, "tessera: adamw: %s\n",
        r.first_problem.empty() ? "outside the FP64 error bound" : r.first_problem.c_str());
  }
  return failures(r) == 0 ? 0 : 1;
}

int bench_adamw(const std::vector<std::string>& args) {
  const AdamwOptions o =
      parse(args,
            "usage: tessera bench adamw [options]\n\n"
            "Runs one AdamW step over one tensor of n elements (static loss scale: one STEP;\n"
            "--grad-scaler: SCAN + STEP(skip) in one stream; --max-grad-norm: a SCAN run and a\n"
            "STEP run) and reports its cycles, elements per cycle, bytes read and written (PERF), the\n"
            "bound max(ceil(n / lanes), max(bytes read, bytes written) / bus bytes) (AXI read\n"
            "and write channels independent), its ratio to the cycles, and mismatches\n"
            "against the golden model.\n\n"
            "options",
            true);
  if (o.help) return 0;
  const Outcome r = run(o);
  const ChipConfig& cfg = find_config(o.config);
  const double cyc = double(r.last.cycles);
  const uint64_t rd = r.last.perf[isa::kPerfBytesRead], wr = r.last.perf[isa::kPerfBytesWritten];
  // A skipped step runs no update: its bound is the SCAN's bytes alone.
  const double ideal = r.lanes && !r.last_skipped ? std::ceil(double(o.n) / r.lanes) : 0;
  const double bw = double(std::max(rd, wr)) / cfg.bus_bytes;
  const double shared = double(rd + wr) / cfg.bus_bytes;
  const double bound = std::max(ideal, bw);
  const double ratio = cyc > 0 ? bound / cyc : 0;
  const double epc = cyc > 0 ? o.n / cyc : 0;
  char ups[32] = "null", fmax[32] = "null";
  if (o.fmax_mhz > 0 && cyc > 0) std::snprintf(ups, sizeof ups, "%.4g", epc * o.fmax_mhz * 1e6);
  if (o.fmax_mhz > 0) std::snprintf(fmax, sizeof fmax, "%g", o.fmax_mhz);
  if (o.json) {
    std::printf(
        "{\"bench\":\"adamw\",\"config\":\"%s\",\"backend\":\"%s\",\"n\":%u,\"grad_dtype\":\"%s\","
        "\"p16\":\"%s\",\"lanes\":%u,\"bus_bytes\":%u,\"seed\":%llu,\"mem_latency\":%u,"
        "\"cycles\":%llu,\"elements_per_cycle\":%.4f,\"bytes_read\":%llu,\"bytes_written\":%llu,"
        "\"ideal_cycles\":%.1f,\"bandwidth_bound_cycles\":%.1f,\"shared_bus_bound_cycles\":%.1f,"
        "\"bound_cycles\":%.1f,\"ratio\":%.4f,\"fmax_mhz\":%s,\"updates_per_second\":%s,"
        "\"flags\":%u,\"skipped\":%s,\"mismatches\":%llu,\"wall_seconds\":%.3f}\n",
        o.config.c_str(), o.backend.c_str(), o.n, o.grad_dtype.c_str(), o.p16.c_str(), r.lanes,
        cfg.bus_bytes, static_cast<unsigned long long>(o.seed), o.mem_latency,
        static_cast<unsigned long long>(r.last.cycles), epc, static_cast<unsigned long long>(rd),
        static_cast<unsigned long long>(wr), ideal, bw, shared, bound, ratio, fmax, ups,
        r.last.flags, r.last_skipped ? "true" : "false",
        static_cast<unsigned long long>(failures(r)), r.wall_seconds);
  } else {
    std::printf("tessera bench adamw: n = %u, grad %s, p16 %s on '%s' (%s backend, %u lanes)\n",
                o.n, o.grad_dtype.c_str(), o.p16.c_str(), o.config.c_str(), o.backend.c_str(),
                r.lanes);
    std::printf("  cycles:      %llu (%.3f elements/cycle)%s\n",
                static_cast<unsigned long long>(r.last.cycles), epc,
                o.backend == "func" ? " (functional-model estimate)" : "");
    std::printf("  bytes:       %llu read, %llu written\n", static_cast<unsigned long long>(rd),
                static_cast<unsigned long long>(wr));
    std::printf("  bound:       %.0f cycles (lanes %.0f, bandwidth %.0f), ratio %.3f\n", bound,
                ideal, bw, ratio);
    if (o.fmax_mhz > 0) std::printf("  updates/s:   %s at %.0f MHz\n", ups, o.fmax_mhz);
    std::printf("%s: %llu mismatches\n", failures(r) == 0 ? "PASS" : "FAIL",
                static_cast<unsigned long long>(failures(r)));
  }
  return failures(r) == 0 ? 0 : 1;
}

}  // namespace tessera::cli
