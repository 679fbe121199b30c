// SPDX-License-Identifier: Apache-2.0
// tessera selfcheck / bench arith: every rtl/arith unit vs golden vs independent reference.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "arith_units.hpp"
#include "cli_util.hpp"
#include "commands.hpp"

namespace tessera::cli {
namespace {

namespace po = boost::program_options;
using namespace tb::arith;  // NOLINT: unit descriptors and generators

struct Row {
  std::string unit;
  Stats st;
  std::vector<std::string> mismatches;  // first few, for the report
};

template <class Unit, class Gen>
Row run_unit(const std::string& name, uint64_t n, uint64_t seed, Gen gen) {
  Row row{name, {}, {}};
  tb::Sim<typename Unit::Top> sim("selfcheck." + name, uint32_t(seed));
  sim.reset();
  row.st = check_random<Unit>(sim, n, seed, gen, 0.0, [&row](const std::string& m) {
    if (row.mismatches.size() < 5) row.mismatches.push_back(m);
  });
  return row;
}

std::vector<Row> run_all(uint64_t n, uint64_t seed) {
  std::vector<Row> rows;
  for (Fmt16 f : {Fmt16::kFp16, Fmt16::kBf16}) {
    const std::string fn = fmt_name(f);
    rows.push_back(run_unit<Widen>("fp_widen." + fn, n, seed,
                                   [f](std::mt19937_64& r) { return WidenIn{f, uint16_t(r())}; }));
    rows.push_back(run_unit<Narrow>("fp_narrow." + fn, n, seed,
                                    [f](std::mt19937_64& r) { return narrow_random(r, f); }));
    rows.push_back(run_unit<Mul16>("fp_mul16." + fn, n, seed,
                                   [f](std::mt19937_64& r) { return mul16_random(r, f); }));
  }
  rows.push_back(run_unit<Add>("fp32_add", n, seed, add_random));
  rows.push_back(run_unit<Mul32>("fp32_mul", n, seed,
                                 [](std::mt19937_64& r) { return fp32_pair_edges(r, false); }));
  rows.push_back(run_unit<Div>("fp32_div", n, seed,
                               [](std::mt19937_64& r) { return fp32_pair_edges(r, true); }));
  rows.push_back(run_unit<Sqrt>("fp32_sqrt", n, seed, sqrt_random));
  rows.push_back(run_unit<Mac>("int8_mac", n, seed, mac_random));
  rows.push_back(run_unit<Requant>("int_requant", n, seed, requant_random));
  return rows;
}

struct Options {
  uint64_t vectors = 0;
  uint64_t seed = 0;
  bool json = false;
  bool help = false;
};

Options parse(const std::vector<std::string>& args, const char* usage, uint64_t dflt_vectors,
              bool allow_json) {
  Options o;
  po::options_description desc(usage);
  desc.add_options()("help,h", "show this help")(
      "vectors,n", po::value<uint64_t>(&o.vectors)->default_value(dflt_vectors),
      "random vectors per operation")(
      "seed,s", po::value<uint64_t>(&o.seed)->default_value(1), "random seed (replayable)");
  if (allow_json) desc.add_options()("json", po::bool_switch(&o.json), "print JSON lines");
  po::variables_map vm;
  o.help = !parse_args(desc, args, vm);
  if (!o.help && o.vectors == 0) throw UsageError{"--vectors must be at least 1"};
  return o;
}

void print_json(const Row& r, uint64_t seed) {
  const double vps = r.st.sim_seconds > 0 ? double(r.st.vectors) / r.st.sim_seconds : 0;
  const double cps = r.st.sim_seconds > 0 ? double(r.st.cycles) / r.st.sim_seconds : 0;
  std::printf(
      "{\"bench\":\"arith\",\"unit\":\"%s\",\"seed\":%llu,\"vectors\":%llu,\"cycles\":%llu,"
      "\"sim_seconds\":%.4f,\"vectors_per_second\":%.0f,\"sim_cycles_per_second\":%.0f,"
      "\"mismatches\":%llu}\n",
      r.unit.c_str(), static_cast<unsigned long long>(seed),
      static_cast<unsigned long long>(r.st.vectors), static_cast<unsigned long long>(r.st.cycles),
      r.st.sim_seconds, vps, cps,
      static_cast<unsigned long long>(r.st.rtl_vs_golden + r.st.golden_vs_ref));
}

}  // namespace

int selfcheck(const std::vector<std::string>& args) {
  Options o = parse(args,
                    "usage: tessera selfcheck [options]\n\n"
                    "Streams random vectors through every arithmetic unit of the Verilated\n"
                    "chip and checks each result bit for bit (flags included) against the\n"
                    "golden model and an independent reference (host IEEE FP32, _Float16,\n"
                    "MPFR, exact integers). Exit code 0 when everything agrees.\n\noptions",
                    100000, true);
  if (o.help) return 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Row> rows = run_all(o.vectors, o.seed);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t total = 0, bad = 0;
  if (!o.json) {
    std::printf("Tessera arithmetic self-check: %llu random vectors per operation, seed %llu\n",
                static_cast<unsigned long long>(o.vectors),
                static_cast<unsigned long long>(o.seed));
    std::printf("RTL (Verilated) vs golden model vs independent reference, bit for bit\n\n");
    std::printf("%-18s %10s %12s %12s %12s %14s\n", "operation", "vectors", "rtl!=golden",
                "golden!=ref", "cycles", "sim vectors/s");
  }
  for (const Row& r : rows) {
    total += r.st.vectors;
    const uint64_t mism = r.st.rtl_vs_golden + r.st.golden_vs_ref + (r.st.stalled ? 1 : 0);
    bad += mism;
    if (o.json) {
      print_json(r, o.seed);
    } else {
      const double vps = r.st.sim_seconds > 0 ? double(r.st.vectors) / r.st.sim_seconds : 0;
      std::printf("%-18s %10llu %12llu %12llu %12llu %14.0f%s\n", r.unit.c_str(),
                  static_cast<unsigned long long>(r.st.vectors),
                  static_cast<unsigned long long>(r.st.rtl_vs_golden),
                  static_cast<unsigned long long>(r.st.golden_vs_ref),
                  static_cast<unsigned long long>(r.st.cycles), vps,
                  r.st.stalled ? "  STALLED" : "");
    }
    for (const std::string& m : r.mismatches) std::fprintf(stderr, "  mismatch %s: %s\n", r.unit.c_str(), m.c_str());
  }
  if (!o.json) {
    std::printf("\n%s: %zu operations, %llu vectors, %llu mismatches (%.1f s)\n",
                bad == 0 ? "PASS" : "FAIL", rows.size(), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(bad), wall);
  }
  return bad == 0 ? 0 : 1;
}

int bench_arith(const std::vector<std::string>& args) {
  Options o = parse(args,
                    "usage: tessera bench arith [options]\n\n"
                    "Prints one JSON object per arithmetic operation: vectors and simulated\n"
                    "cycles per wall second through the Verilated unit (single thread,\n"
                    "checking excluded from the timing), and mismatches found.\n\noptions",
                    1000000, false);
  if (o.help) return 0;
  uint64_t bad = 0;
  for (const Row& r : run_all(o.vectors, o.seed)) {
    print_json(r, o.seed);
    bad += r.st.rtl_vs_golden + r.st.golden_vs_ref + (r.st.stalled ? 1 : 0);
  }
  return bad == 0 ? 0 : 1;
}

}  // namespace tessera::cli
