// SPDX-License-Identifier: Apache-2.0
// Configuration lookup and the backend registry behind make_device().
#include "tessera/device.hpp"

#include <map>
#include <mutex>

#include "tessera/bridge_device.hpp"
#include "tessera/func_device.hpp"

namespace tessera {
namespace {

std::unique_ptr<Device> make_func(const ChipConfig& cfg, const DeviceOptions& opt) {
  return std::make_unique<FuncDevice>(cfg, opt);
}

std::unique_ptr<Device> make_serial(const ChipConfig& cfg, const DeviceOptions& opt) {
  if (opt.port.empty()) {
    throw std::invalid_argument("serial backend needs a port: serial:/dev/ttyUSB0");
  }
  return std::make_unique<BridgeDevice>(
      cfg, std::make_unique<SerialTransport>(opt.port, opt.baud, opt.clock_hz));
}

struct Registry {
  std::mutex mu;
  std::map<std::string, DeviceFactory, std::less<>> factories{{"func", &make_func},
                                                              {"serial", &make_serial}};
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

const ChipConfig& find_config(std::string_view name) {
  for (const ChipConfig& c : kChipConfigs) {
    if (c.name == name) return c;
  }
  throw std::invalid_argument("unknown configuration '" + std::string(name) +
                              "' (known: " + config_names() + ")");
}

std::string config_names() {
  std::string s;
  for (const ChipConfig& c : kChipConfigs) {
    if (!s.empty()) s += ", ";
    s += std::string(c.name);
  }
  return s;
}

void register_backend(std::string_view name, DeviceFactory factory) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.factories[std::string(name)] = factory;
}

bool backend_available(std::string_view name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  return r.factories.find(name) != r.factories.end();
}

std::unique_ptr<Device> make_device(std::string_view config_name, std::string_view backend,
                                    const DeviceOptions& options) {
  const ChipConfig& cfg = find_config(config_name);
  DeviceOptions opt = options;
  std::string_view name = backend;
  if (const size_t colon = backend.find(':'); colon != std::string_view::npos) {
    name = backend.substr(0, colon);
    opt.port = std::string(backend.substr(colon + 1));
  }
  DeviceFactory f = nullptr;
  {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.factories.find(name);
    if (it != r.factories.end()) f = it->second;
  }
  if (!f) {
    if (name == "sim") throw std::runtime_error("simulation backend not built");
    throw std::invalid_argument("unknown backend '" + std::string(backend) +
                                "' (known: func, sim, serial:<port>)");
  }
  return f(cfg, opt);
}

}  // namespace tessera
