#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints every RTL source under rtl/, packages first (other files refer to them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
find "$ROOT/rtl" -name '*_pkg.sv' | sort
find "$ROOT/rtl" -name '*.sv' ! -name '*_pkg.sv' | sort
