"""Solver speed and scale (issue 17): whole-process `litedse solve` on design spaces of 1e5 .. 1e8
(SKU, mapping) columns, for one workload, three workloads and five workloads with max_designs = 2
(and that five-workload instance narrowed until its enumeration can be run: "five-narrow"), each
with --method milp, enumerate and auto side by side in one run.

Every run is its own `python -m litedse solve --format json --threads 1` process, timed by
/usr/bin/time (wall and peak RSS of that process alone). The scaled instances are made here from
the shipped ones (instances/llama3-70b-serving.toml; instances/fleet.toml; the fleet plus the
workloads of instances/mixtral-8x7b-serving.toml and instances/llama3-405b-serving.toml) by widening
their design-space axes (die-area step down to 1 mm^2, clock levels, HBM stack counts, and every
pipeline depth up to 16 where those are not enough) until the (SKU, mapping) count is near the
target, and written to a temporary directory; nothing large is shipped.

The machine is shared: the 1-minute load average before each run is printed with it, and the
ratios compare runs of the same instance made one after another.

Run:    python3 benchmarks/bench_scale.py                       (the README's table; about 15 min)
        python3 benchmarks/bench_scale.py --sizes 1e5,1e6 --kinds single
        python3 benchmarks/bench_scale.py --sizes 1e8 --kinds single --methods auto
Enumeration runs whose combination count after pruning (read from the auto run) exceeds
--enumerate-limit are skipped and their time estimated at the enumerator's rate measured in the
same table (printed as "~").
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import describe

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
METHODS = ("milp", "enumerate", "auto")
KINDS = ("single", "three", "five", "five-narrow")
# the 5-workload instance narrowed until the enumerator can be run (2.4e8 combinations after
# pruning, about two minutes): where the "auto at least 20x faster than enumerate" is
# measured, not estimated; its size is fixed, whatever --sizes says
NARROW = {"die_area_mm2": {"values": [300, 600]}, "clock": [1.0], "hbm_stacks": {"values": [4, 8]}}
# axis choices the scaled spaces are made of: die-area step [mm^2] over 100..800, clock levels, HBM
# stack counts; the column count grows about as (areas x clocks x stack counts), so the choice
# nearest to the target is picked from that estimate and then counted exactly
AREA_STEPS = (350, 175, 100, 70, 50, 35, 25, 20, 14, 10, 7, 5, 3, 2, 1)
CLOCKS = ((1.0,), (0.9, 1.0), (0.8, 0.9, 1.0), (0.7, 0.8, 0.9, 1.0), (0.6, 0.7, 0.8, 0.9, 1.0),
          (0.5, 0.6, 0.7, 0.8, 0.9, 1.0))
HBM_STACKS = ((4, 8), (2, 4, 6, 8), (1, 2, 3, 4, 5, 6, 7, 8))
# pipeline depths of every workload's mappings: the preset's (powers of two up to 16) or every depth
# up to 16, which multiplies the mappings by about 3 (how a single workload reaches 1e8 columns)
PP_CHOICES = (None, tuple(range(1, 17)))


def base_instance(kind: str) -> dict:
    from litedse.inputs.instance import read_instance_toml

    if kind == "single":
        return read_instance_toml(INSTANCES / "llama3-70b-serving.toml")
    kind = "five" if kind == "five-narrow" else kind
    data = read_instance_toml(INSTANCES / "fleet.toml")
    if kind == "five":
        for name in ("mixtral-8x7b-serving", "llama3-405b-serving"):
            data["workload"] += read_instance_toml(INSTANCES / f"{name}.toml")["workload"]
        data["name"] = "fleet-5"
        data["design_space"]["max_designs"] = 2
        data["constraints"]["power_budget_w"] = 6.0e7      # the two added workloads need about 30 MW more
    return data


def columns_of(data: dict) -> int:
    """(SKU, mapping) columns the builder will enumerate: feasible SKUs x mappings per workload."""
    from litedse.columns.skus import sku_set
    from litedse.inputs.instance import instance_from_dict
    from litedse.workload.models import resolve_model
    from litedse.workload.performance import MAX_PACKAGES_PER_REPLICA, candidate_mappings

    inst = instance_from_dict(data)
    n_skus = len(sku_set(inst).table)
    maps = sum(len(candidate_mappings(w, resolve_model(w.model, w.name), inst.performance,
                                      MAX_PACKAGES_PER_REPLICA)["tp"]) for w in inst.workloads)
    return n_skus * maps


def scaled(kind: str, target: float) -> tuple[dict, int]:
    """The base instance with the axes whose estimated column count is nearest to ``target``
    (log scale), and its exact count."""
    if kind == "five-narrow":
        data = base_instance("five")
        data["design_space"].update(copy.deepcopy(NARROW))
        return data, columns_of(data)
    base = base_instance(kind)

    def variant(step, clocks, stacks, pp):
        data = copy.deepcopy(base)
        ds = data["design_space"]
        ds["die_area_mm2"] = {"start": 100, "stop": 800, "step": step}
        ds["clock"] = list(clocks)
        ds["hbm_stacks"] = {"values": list(stacks)}
        ds["max_grid_skus"] = 10**8
        ds["max_columns"] = 10**9
        if pp:
            for w in data["workload"]:
                w["mapping"] = {**w.get("mapping", {}), "pp": list(pp)}
        return data

    def areas(step):
        return len(range(100, 801, step))

    ref = (50, CLOCKS[0], HBM_STACKS[-1])
    units = areas(ref[0]) * len(ref[1]) * len(ref[2])
    per_unit = {pp: columns_of(variant(*ref, pp)) / units for pp in PP_CHOICES}
    options = [(step, clocks, stacks, pp) for step in AREA_STEPS for clocks in CLOCKS for stacks in HBM_STACKS
               for pp in PP_CHOICES]
    pick = min(options, key=lambda o: (round(abs(math.log(per_unit[o[3]] * areas(o[0]) * len(o[1]) * len(o[2])
                                                          / target)), 1), o[3] is not None))
    data = variant(*pick)
    return data, columns_of(data)


def toml_text(data: dict) -> str:
    """A minimal TOML writer for instance tables (scalars, lists, tables, arrays of tables)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    def table(prefix: str, d: dict, out: list) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _tables(v)}
        if prefix:
            out.append(f"[{prefix}]")
        out += [f"{k} = {value(v)}" for k, v in scalars.items()]
        for k, v in d.items():
            if isinstance(v, dict) and not prefix.startswith("workload"):
                table(f"{prefix}.{k}" if prefix else k, v, out)
            elif _tables(v):
                for item in v:
                    out.append(f"[[{prefix + '.' if prefix else ''}{k}]]")
                    out += [f"{kk} = {value(vv)}" for kk, vv in item.items()]

    def _tables(v):
        return isinstance(v, list) and v and all(isinstance(x, dict) for x in v)

    lines: list[str] = []
    table("", data, lines)
    return "\n".join(lines) + "\n"


def median_run(runs: list[dict]) -> dict:
    """The run of median wall time among ``runs`` (whole-process solves of one method)."""
    return sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]


def run_once(path: Path, method: str) -> dict:
    """One whole-process solve: wall [s], peak RSS [MB], the solve JSON's solver block, objective."""
    load = os.getloadavg()[0]
    with tempfile.NamedTemporaryFile(suffix=".time") as tf:
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", tf.name, sys.executable, "-m", "litedse", "solve", str(path),
               "--format", "json", "--threads", "1", "--method", method]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall = time.perf_counter() - t0
        _, rss_kb = Path(tf.name).read_text().split()[-2:]
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{path.name} --method {method} failed ({proc.returncode}): {proc.stderr[-500:]}")
    doc = json.loads(proc.stdout)
    return {"wall_s": wall, "rss_mb": int(rss_kb) / 1024, "load": load, "solver": doc["solver"],
            "objective": doc["objective"]["value"], "status": doc["status"]}


def combinations_of(reason: str) -> int | None:
    m = re.search(r"auto: ([\d,]+) combinations", reason or "")
    return int(m.group(1).replace(",", "")) if m else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e5,1e6,1e7", help="target column counts, comma-separated")
    ap.add_argument("--kinds", default=",".join(KINDS), help="single, three, five")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--enumerate-limit", type=float, default=3e7,
                    help="skip enumerate runs above this many combinations after pruning (estimated instead)")
    ap.add_argument("--repeats", type=int, default=1,
                    help="median of this many runs per method (the methods take turns)")
    ap.add_argument("--warmup", type=int, default=1,
                    help="untimed runs of each instance before the timed ones (file caches, so that the "
                         "first method timed does not pay them alone)")
    ap.add_argument("--json", type=Path, default=None, help="also write every run as JSON")
    args = ap.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    methods = [m for m in ("auto", "milp", "enumerate") if m in args.methods.split(",")]   # auto first: its count
    print(f"machine: {describe()}; load average (1/5/15 min) at start: {os.getloadavg()}")
    print("each run: one `python -m litedse solve --threads 1` process; wall and peak RSS from /usr/bin/time")
    head = (f"{'instance':<8} {'target':>6} {'columns':>11} {'kept':>6} {'combos':>10} {'vars':>6} {'rows':>6} "
            f"{'auto->':>9} {'milp s':>7} {'enum s':>8} {'auto s':>7} {'enum/milp':>9} {'auto/best':>9} "
            f"{'RSS MB':>7} {'load':>5} objective")
    print(head)
    records = []
    enum_rate = None                                  # combinations per second, from this table
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for size in sizes[:1] if kind == "five-narrow" else sizes:
                data, _ = scaled(kind, size)
                path = Path(tmp) / f"{kind}-{size:.0e}.toml"
                path.write_text(toml_text(data))
                res, runs = {}, {m: [] for m in methods}
                for _ in range(args.warmup):
                    run_once(path, "auto")
                # the methods take turns, one run each per round, so that the machine's drift
                # and the first run's cold caches fall on every method alike
                for _ in range(args.repeats):
                    for method in methods:
                        if method == "enumerate":
                            n = combinations_of(res.get("auto", {}).get("solver", {}).get("method_reason", ""))
                            if n is not None and n > args.enumerate_limit and kind != "five-narrow":
                                res[method] = {"skipped": True, "combinations": n,
                                               "wall_s": n / enum_rate if enum_rate else math.nan}
                                continue
                        runs[method].append(run_once(path, method))
                        res[method] = median_run(runs[method])
                for method in methods:
                    if method == "enumerate" and not res[method].get("skipped"):
                        n = combinations_of(res.get("auto", {}).get("solver", {}).get("method_reason", ""))
                        solve_s = res[method]["solver"]["solve_s"]
                        if n and solve_s > 0.05:
                            enum_rate = n / solve_s
                ref = res.get("auto") or res.get("milp") or res.get("enumerate")
                s = ref["solver"]
                milp = res.get("milp", {}).get("wall_s", math.nan)
                enum = res.get("enumerate", {}).get("wall_s", math.nan)
                auto = res.get("auto", {}).get("wall_s", math.nan)
                skipped = res.get("enumerate", {}).get("skipped")
                objs = {m: r["objective"] for m, r in res.items() if not r.get("skipped")}
                same = len({round(v, 6) for v in objs.values() if v is not None}) <= 1
                milp_model = res.get("milp", {}).get("solver", {})
                print(f"{kind:<8} {size:>6.0e} {s['columns_enumerated']:>11,} {s['columns_kept']:>6,} "
                      f"{combinations_of(res.get('auto', {}).get('solver', {}).get('method_reason', '')) or 0:>10.2e} "
                      f"{milp_model.get('variables') or 0:>6} {milp_model.get('constraints') or 0:>6} "
                      f"{res.get('auto', {}).get('solver', {}).get('method', '-'):>9} {milp:>7.2f} "
                      f"{('~' if skipped else '') + f'{enum:.1f}':>8} {auto:>7.2f} "
                      f"{('~' if skipped else '') + f'{enum / milp:.1f}':>9} {auto / min(milp, enum):>9.2f} "
                      f"{ref.get('rss_mb', 0):>7.0f} "
                      f"{ref['load']:>5.1f} {ref['objective']!s}{'' if same else ' MISMATCH ' + str(objs)}",
                      flush=True)
                records.append({"kind": kind, "target": size, "runs": res})
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, default=str))


if __name__ == "__main__":
    main()
