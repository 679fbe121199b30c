// SPDX-License-Identifier: Apache-2.0
// Subcommands of the tessera CLI; each parses its own options and returns an exit code.
#pragma once

#include <string>
#include <vector>

namespace tessera::cli {

// Thrown for bad command lines; main prints "tessera: <message>" and exits with 2.
struct UsageError {
  std::string message;
};

int selfcheck(const std::vector<std::string>& args);   // tessera selfcheck
int bench_arith(const std::vector<std::string>& args);  // tessera bench arith
int gemm(const std::vector<std::string>& args);         // tessera gemm
int bench_gemm(const std::vector<std::string>& args);   // tessera bench gemm
int demo(const std::vector<std::string>& args);         // tessera demo
int adamw(const std::vector<std::string>& args);        // tessera adamw
int bench_adamw(const std::vector<std::string>& args);  // tessera bench adamw
int attention(const std::vector<std::string>& args);        // tessera attention
int bench_attention(const std::vector<std::string>& args);  // tessera bench attention

}  // namespace tessera::cli
