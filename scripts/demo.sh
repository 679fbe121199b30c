#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: set-up, build, then GEMMs in FP16, BF16 and INT8 on the simulated chip
# (default configuration), each checked bit for bit, with a table of cycles and utilization.
# Arguments go to 'tessera demo' (e.g. --config tiny --size 64).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TESSERA_BUILD_DIR:-$ROOT/build}"
"$ROOT/scripts/build.sh" >/dev/null
exec "$BUILD/sw/tessera" demo "$@"
