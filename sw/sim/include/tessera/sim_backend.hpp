// SPDX-License-Identifier: Apache-2.0
// Registers the Verilated chip as the runtime's "sim" backend.
#pragma once

#include <string>

namespace tessera {

// Makes make_device(config, "sim") create a SimDevice, and make_device(config, "netlist")
// that chip in lockstep with its gate netlist (call once, e.g. from main).
void register_sim_backend();
// The configurations whose models are built in ("tiny, default").
std::string sim_config_names();
// The configurations whose gate netlists are built in ("tiny"; "none").
std::string netlist_config_names();

}  // namespace tessera
