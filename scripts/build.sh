#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs dependencies (scripts/setup.sh), configures and builds into build/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/setup.sh"
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
jobs="${TESSERA_JOBS:-$(nproc)}"
cmake --build "$BUILD" -j "$jobs"
