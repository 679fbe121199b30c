#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set-up, build, then the tessera self-check of the simulated chip.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh" >/dev/null
exec "$BUILD/sw/tessera" selfcheck "$@"
