#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# verilator --lint-only -Wall over all of rtl/, each module in turn as the top; zero warnings.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mapfile -t FILES < <("$ROOT/scripts/rtl_files.sh")
fail=0
n=0
for f in "${FILES[@]}"; do
  mod="$(basename "$f" .sv)"
  [[ "$mod" == *_pkg ]] && continue
  n=$((n + 1))
  if ! out="$(verilator --lint-only -Wall --assert -I"$ROOT/rtl/common" "$ROOT/rtl/lint.vlt" \
      "${FILES[@]}" --top-module "$mod" 2>&1)"; then
    echo "FAIL $mod"
    echo "$out"
    fail=$((fail + 1))
  elif [[ -n "$out" ]]; then
    echo "FAIL $mod (output not empty)"
    echo "$out"
    fail=$((fail + 1))
  fi
done
echo "lint: $n modules, $fail failing"
[[ $n -gt 0 && $fail -eq 0 ]]
