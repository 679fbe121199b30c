// SPDX-License-Identifier: Apache-2.0
// tessera: command-line entry point; dispatches to subcommands.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tessera/device.hpp"
// The simulation backend registers itself here when it is linked in: the sim library
// defines TESSERA_SIM_BACKEND and tessera::register_sim_backend(), which calls
// tessera::register_backend("sim", factory). Without it, '--backend sim' reports
// "simulation backend not built".
#ifdef TESSERA_SIM_BACKEND
#include "tessera/sim_backend.hpp"
#endif

namespace {

constexpr const char* kUsage =
    "usage: tessera <command> [options]\n"
    "\n"
    "commands:\n"
    "  demo           GEMMs in FP16, BF16 and INT8 on the simulated chip, checked, with\n"
    "                 a table of cycles and utilization (the README's main command)\n"
    "  selfcheck      run every arithmetic unit of the simulated chip against its\n"
    "                 golden model and an independent reference; print a summary\n"
    "  gemm           one GEMM on the chip (or its functional model), checked against\n"
    "                 the golden model and OpenBLAS\n"
    "  adamw          AdamW optimizer steps on the chip (or its functional model), each\n"
    "                 checked bit for bit against the golden model, vs the FP64 reference\n"
    "  attention      multi-head attention forward (and --backward) on the chip, checked\n"
    "                 bit for bit against the functional model, vs the FP64 reference\n"
    "  bench arith    simulation throughput of the arithmetic units (JSON lines)\n"
    "  bench gemm     GEMM cycles, utilization and roofline ratio (JSON with --json)\n"
    "  bench adamw    AdamW STEP cycles, bytes and bandwidth-bound ratio (JSON with --json)\n"
    "  bench attention  attention cycles and roofline ratio per direction (JSON with --json)\n"
    "\n"
    "Run 'tessera <command> --help' for the options of a command.\n"
    "'--device <backend>' (e.g. serial:/dev/ttyUSB0, a board behind the UART bridge,\n"
    "docs/fpga.md) anywhere on the line is the command's --backend.\n";

// "--device X" / "--device=X" anywhere on the line (e.g. "tessera --device
// serial:/dev/ttyUSB0 gemm ...") is the subcommand's "--backend X".
std::vector<std::string> device_to_backend(std::vector<std::string> args) {
  std::string device;
  for (size_t i = 0; i < args.size();) {
    if (args[i] == "--device" && i + 1 < args.size()) {
      device = args[i + 1];
      args.erase(args.begin() + long(i), args.begin() + long(i) + 2);
    } else if (args[i].rfind("--device=", 0) == 0) {
      device = args[i].substr(9);
      args.erase(args.begin() + long(i));
    } else {
      ++i;
    }
  }
  if (!device.empty() && !args.empty()) {
    const size_t at = (args[0] == "bench" && args.size() > 1) ? 2 : 1;
    args.insert(args.begin() + long(at), {"--backend", device});
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args = device_to_backend({argv + 1, argv + argc});
#ifdef TESSERA_SIM_BACKEND
  tessera::register_sim_backend();
#endif
  try {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      std::cout << kUsage;
      return args.empty() ? 2 : 0;
    }
    const std::string cmd = args[0];
    if (cmd == "selfcheck") {
      return tessera::cli::selfcheck({args.begin() + 1, args.end()});
    }
    if (cmd == "gemm") return tessera::cli::gemm({args.begin() + 1, args.end()});
    if (cmd == "demo") return tessera::cli::demo({args.begin() + 1, args.end()});
    if (cmd == "adamw") return tessera::cli::adamw({args.begin() + 1, args.end()});
    if (cmd == "attention") return tessera::cli::attention({args.begin() + 1, args.end()});
    if (cmd == "bench") {
      if (args.size() < 2 || args[1] == "--help" || args[1] == "-h") {
        std::cout << "usage: tessera bench arith|gemm|adamw|attention [options]\n"
                     "Run 'tessera bench <name> --help' for the options.\n";
        return args.size() < 2 ? 2 : 0;
      }
      if (args[1] == "arith") return tessera::cli::bench_arith({args.begin() + 2, args.end()});
      if (args[1] == "gemm") return tessera::cli::bench_gemm({args.begin() + 2, args.end()});
      if (args[1] == "adamw") return tessera::cli::bench_adamw({args.begin() + 2, args.end()});
      if (args[1] == "attention") {
        return tessera::cli::bench_attention({args.begin() + 2, args.end()});
      }
      throw tessera::cli::UsageError{"unknown benchmark '" + args[1] +
                                     "' (known: arith, gemm, adamw, attention)"};
    }
    throw tessera::cli::UsageError{"unknown command '" + cmd + "' (see tessera --help)"};
  } catch (const tessera::cli::UsageError& e) {
    std::cerr << "tessera: " << e.message << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tessera: error: " << e.what() << "\n";
    return 1;
  }
}
