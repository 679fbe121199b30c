// SPDX-License-Identifier: Apache-2.0
// Small pieces shared by the CLI's subcommands: option parsing, configuration names,
// progress on a terminal, JSON strings.
#pragma once

#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "tessera/device.hpp"

namespace tessera::cli {

// Parses a subcommand's arguments into vm. With --help, prints the options and returns
// false (nothing is checked); a bad command line throws UsageError with Boost's message.
inline bool parse_args(const boost::program_options::options_description& desc,
                       const std::vector<std::string>& args,
                       boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::command_line_parser(args).options(desc).run(), vm);
    if (vm.count("help")) {
      std::cout << desc;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError{e.what()};
  }
  return true;
}

// A named configuration must exist: UsageError naming the known ones otherwise.
inline void require_config(const std::string& name) {
  try {
    find_config(name);
  } catch (const std::invalid_argument& e) {
    throw UsageError{e.what()};
  }
}

// One status line on stderr, rewritten in place, when stderr is a terminal; nothing
// otherwise (logs and CTest output stay clean).
class Progress {
 public:
  Progress() : tty_(isatty(2)) {}
  void phase(const char* what) {
    if (!tty_) return;
    std::fprintf(stderr, "\r\033[K%s", what);
    std::fflush(stderr);
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }
  bool tty() const { return tty_; }

 private:
  bool tty_;
};

inline std::string json_escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    o += ch;
  }
  return o;
}

}  // namespace tessera::cli
