// SPDX-License-Identifier: Apache-2.0
// The "sim" backend: a SimDevice over the Verilated ts_top_<config> models built into this
// library (TESSERA_SIM_CONFIGS), registered with the runtime's device registry; and the
// "netlist" backend: that chip in lockstep with the Verilated Yosys gate netlist of the
// same configuration (TESSERA_NETLIST_CONFIGS), every observable compared (LockstepDevice).
#include "tessera/sim_backend.hpp"

#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>

#include "lockstep_device.hpp"
#include "sim_device.hpp"
#include "tessera/device.hpp"
#include "ts_sim_models.hpp"  // generated: includes and TS_SIM_MODELS(X)

namespace tessera {
namespace {

std::unique_ptr<Device> make_sim(const ChipConfig& cfg, const DeviceOptions& opt) {
#define TS_MAKE(NAME)                                                                   \
  if (cfg.name == #NAME) {                                                              \
    return std::make_unique<tb::SimDevice<Vts_top_##NAME>>(cfg, opt, "tessera_" #NAME); \
  }
  TS_SIM_MODELS(TS_MAKE)
#undef TS_MAKE
  throw std::invalid_argument("configuration '" + std::string(cfg.name) +
                              "' is not built into this simulator (built: " + sim_config_names() +
                              "; see TESSERA_SIM_CONFIGS)");
}

std::unique_ptr<Device> make_netlist(const ChipConfig& cfg, const DeviceOptions& opt) {
  // With a trace requested, the netlist's goes next to the RTL's (x.fst -> x_netlist.fst)
  // if its model has tracing (TESSERA_NETLIST_TRACE); the RTL's is written either way.
  DeviceOptions nl_opt = opt;
  std::string& t = nl_opt.trace_path;
  if (!t.empty()) {
    const bool fst = t.size() > 4 && t.compare(t.size() - 4, 4, ".fst") == 0;
    t.insert(fst ? t.size() - 4 : t.size(), "_netlist");
  }
#define TS_MAKE(NAME)                                                           \
  if (cfg.name == #NAME) {                                                      \
    if (!tb::HasTrace<Vnl_ts_top_##NAME>::value) t.clear();                     \
    return std::make_unique<tb::LockstepDevice>(                                \
        make_sim(cfg, opt), std::make_unique<tb::SimDevice<Vnl_ts_top_##NAME>>( \
                                cfg, nl_opt, "tessera_" #NAME "_netlist"));     \
  }
  TS_NETLIST_MODELS(TS_MAKE)
#undef TS_MAKE
  throw std::invalid_argument("configuration '" + std::string(cfg.name) +
                              "' has no gate netlist in this simulator (built: " +
                              netlist_config_names() + "; see TESSERA_NETLIST_CONFIGS)");
}

// "a, b" ("none" for an empty list).
std::string join_names(std::initializer_list<const char*> names) {
  std::string s;
  for (const char* n : names) s += (s.empty() ? "" : ", ") + std::string(n);
  return s.empty() ? "none" : s;
}

}  // namespace

#define TS_NAME(NAME) #NAME,
std::string netlist_config_names() { return join_names({TS_NETLIST_MODELS(TS_NAME)}); }
std::string sim_config_names() { return join_names({TS_SIM_MODELS(TS_NAME)}); }
#undef TS_NAME

void register_sim_backend() {
  register_backend("sim", &make_sim);
  register_backend("netlist", &make_netlist);
}

}  // namespace tessera
