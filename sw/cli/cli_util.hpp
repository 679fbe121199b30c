// SPDX-License-Identifier: Apache-2.0
// Small pieces shared by the CLI's subcommands: progress on a terminal, JSON strings.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace tessera::cli {

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
