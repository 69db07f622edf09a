"""A 10-point exact Pareto front (cost, power) of the fleet instance (issue 17 target: < 30 s; 224-250 s
before), with and without HiGHS MIP starts, one after the other in this process on the same
Problem (the ratio is measured in one run; the machine is shared, so the load is printed).

Run: python3 benchmarks/bench_pareto_fleet.py [--points 10] [--class lite]
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
    args = ap.parse_args()
    process_threads(1)
    print(f"machine: {describe()}; load average at start: {os.getloadavg()}")
    inst = load_instance(ROOT / "instances" / "fleet.toml")
    t0 = time.perf_counter()
    p = instance_problem(inst, "cost", "power", None if args.cls is None else resolve_class(inst, args.cls))
    print(f"fleet Problem for (cost, power): {p.n_columns:,} columns, built in {time.perf_counter() - t0:.1f} s")
    fronts = {}
    for warm in (True, False):
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        f = pareto_front(p, "cost", "power", repair_hours=repair_hours_of(inst), max_points=args.points,
                         threads=1, warm_start=warm)
        wall = time.perf_counter() - t0
        fronts[warm] = f
        print(f"warm_start={warm!s:<5}: {len(f.points)} points, {f.solves} solves, {wall:.1f} s "
              f"(model build {f.build_s:.1f} s; {f.columns_swept:,} of {f.columns:,} columns swept), load {load:.1f}")
    same = [(a.values["cost"], a.values["power"]) for a in fronts[True].points] == \
           [(b.values["cost"], b.values["power"]) for b in fronts[False].points]
    print(f"same points: {same}")


if __name__ == "__main__":
    main()
