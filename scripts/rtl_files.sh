#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints every RTL source, packages first (other files refer to them): rtl/ and the files
# generated from config/configs.toml, config/isa.toml and scripts/gen_vec_tables.py (into
# $TS_GEN_DIR, default build/generated).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GEN="${TS_GEN_DIR:-$ROOT/build/generated}"
python3 "$ROOT/scripts/gen_config.py" --sv-dir "$GEN/rtl" --cpp-dir "$GEN/include"
python3 "$ROOT/scripts/gen_isa.py" --sv-dir "$GEN/rtl" --cpp-dir "$GEN/include"
python3 "$ROOT/scripts/gen_vec_tables.py" --sv-dir "$GEN/rtl" --cpp-dir "$GEN/include"
{ find "$ROOT/rtl" "$GEN/rtl" -name '*_pkg.sv' | sort; }
{ find "$ROOT/rtl" "$GEN/rtl" -name '*.sv' ! -name '*_pkg.sv' | sort; }
