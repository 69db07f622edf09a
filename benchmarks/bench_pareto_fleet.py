"""A 10-point exact Pareto front (cost, power) of the fleet instance (issue 17 target: < 30 s; 224-250 s
at the issue's start, 15-20 min after the serving model of issue 12), by the default method (each
lexicographic point by enumeration within Proposition 10's bounds where few enough combinations
remain, else by the MILP) and, with --milp, by the MILP alone (warm-started; with --cold also
without MIP starts), one after the other in this process on the same Problem (ratios are
measured in one run; the machine is shared, so the load is printed).

Run: python3 benchmarks/bench_pareto_fleet.py [--points 10] [--class lite] [--milp] [--cold]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from _machine import describe

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from litedse.inputs.classes import resolve_class
    from litedse.inputs.instance import load_instance
    from litedse.optimize.milp import process_threads
    from litedse.optimize.pareto import pareto_front
    from litedse.results.fronts import instance_problem
    from litedse.results.metrics import repair_hours_of

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=10, help="exact-front points (max_points)")
    ap.add_argument("--class", dest="cls", default=None, help="a design class (default: the instance as written)")
    ap.add_argument("--milp", action="store_true", help="also every point by the MILP (slow: minutes)")
    ap.add_argument("--cold", action="store_true", help="with --milp: also the MILP without MIP starts")
    args = ap.parse_args()
    process_threads(1)
    print(f"machine: {describe()}; load average at start: {os.getloadavg()}")
    inst = load_instance(ROOT / "instances" / "fleet.toml")
    t0 = time.perf_counter()
    p = instance_problem(inst, "cost", "power", None if args.cls is None else resolve_class(inst, args.cls))
    print(f"fleet Problem for (cost, power): {p.n_columns:,} columns, built in {time.perf_counter() - t0:.1f} s")
    runs = [("default", {})]
    if args.milp:
        runs.append(("milp, warm starts", {"enumerate_limit": 0}))
        if args.cold:
            runs.append(("milp, cold", {"enumerate_limit": 0, "warm_start": False}))
    fronts, walls = {}, {}
    for name, options in runs:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        f = pareto_front(p, "cost", "power", repair_hours=repair_hours_of(inst), max_points=args.points,
                         threads=1, **options)
        walls[name] = time.perf_counter() - t0
        fronts[name] = f
        print(f"{name:<18}: {len(f.points)} points, {f.solves} solves ({f.enumerated} by enumeration), "
              f"{walls[name]:.1f} s (model build {f.build_s:.1f} s; "
              f"{f.columns_swept:,} of {f.columns:,} columns swept), "
              f"load {load:.1f}")
    points = {name: [(a.values["cost"], a.values["power"]) for a in f.points] for name, f in fronts.items()}
    for name in list(fronts)[1:]:
        same = len(points[name]) == len(points["default"]) and all(
            abs(a - c) <= 1e-7 * abs(c) and abs(b - d) <= 1e-7 * abs(d)
            for (a, b), (c, d) in zip(points[name], points["default"]))
        print(f"{name}: same points as default: {same}; {walls[name] / walls['default']:.0f}x the default's time")

if __name__ == "__main__":
    main()
