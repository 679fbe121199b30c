#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: set-up, build, then every CTest test except the `slow` label.
# Extra arguments go to ctest (e.g. scripts/test.sh -L arith). A run in which no test
# ran is a failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh"
jobs="${TESSERA_JOBS:-$(nproc)}"
if [[ $# -eq 0 ]]; then
  set -- -LE slow
fi
cd "$BUILD"
ctest --output-on-failure --no-tests=error -j "$jobs" "$@"
