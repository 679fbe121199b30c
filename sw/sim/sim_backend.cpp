// SPDX-License-Identifier: Apache-2.0
// The "sim" backend: a SimDevice over the Verilated ts_top_<config> models built into this
// library (TESSERA_SIM_CONFIGS), registered with the runtime's device registry.
#include "tessera/sim_backend.hpp"

#include <memory>
#include <stdexcept>
#include <string>

#include "sim_device.hpp"
#include "tessera/device.hpp"
#include "ts_sim_models.hpp"  // generated: includes and TS_SIM_MODELS(X)

namespace tessera {
namespace {

std::unique_ptr<Device> make_sim(const ChipConfig& cfg, const DeviceOptions& opt) {
#define TS_MAKE(NAME)                                                                       \
  if (cfg.name == #NAME) {                                                                   \
    return std::make_unique<tb::SimDevice<Vts_top_##NAME>>(cfg, opt, "tessera_" #NAME);     \
  }
  TS_SIM_MODELS(TS_MAKE)
#undef TS_MAKE
  throw std::invalid_argument("configuration '" + std::string(cfg.name) +
                              "' is not built into this simulator (built: " +
                              sim_config_names() + "; see TESSERA_SIM_CONFIGS)");
}

}  // namespace

std::string sim_config_names() {
  std::string s;
#define TS_NAME(NAME) s += (s.empty() ? "" : ", ") + std::string(#NAME);
  TS_SIM_MODELS(TS_NAME)
#undef TS_NAME
  return s;
}

void register_sim_backend() { register_backend("sim", &make_sim); }

}  // namespace tessera
