"""MILP vs exhaustive enumeration on generated design problems of growing size.

For each size: columns, combinations of one column per workload, enumeration time, MILP time
(unpruned, then after exact pruning), the speed-up of the MILP over enumeration, and an assertion
that all three give the same objective (1e-6 relative).

    python benchmarks/bench_solvers.py [--quick] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _machine import describe  # noqa: E402
from problems import random_problem  # noqa: E402

from litedse.optimize.enumerate import solve_enumerate  # noqa: E402
from litedse.optimize.milp import solve_milp  # noqa: E402
from litedse.optimize.prune import prune_columns  # noqa: E402

# (die designs, SKUs per die, workloads, max columns per (SKU, workload), objective, K, NRE, budgets)
SIZES = [
    (2, 2, 2, 4, "cost", 1, False, None),
    (3, 3, 2, 8, "tco", 2, True, 3.0),
    (4, 4, 3, 6, "cost", 2, True, 2.0),
    (5, 4, 3, 10, "power", 2, True, 2.0),
    (6, 5, 3, 12, "cost", 2, True, 2.0),
    (6, 5, 4, 6, "tco", 2, True, 2.0),
    (3, 3, 2, 6, "demand_scale", 2, True, 1.5),
    (4, 3, 3, 5, "demand_scale", 2, True, 1.5),
    (5, 4, 3, 8, "demand_scale", 2, True, 1.5),
]


def same(a, b) -> bool:
    return a.status == b.status and (a.status == "infeasible"
                                     or abs(a.objective_value - b.objective_value) <= 1e-6 * max(1.0, abs(b.objective_value)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the first three sizes")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(f"# bench_solvers on {describe()}")
    print(f"{'dies':>4} {'skus':>4} {'W':>2} {'objective':>12} {'K':>2} {'columns':>7} {'kept':>5} {'combos':>11} "
          f"{'enum_s':>8} {'milp_s':>8} {'pruned_s':>8} {'speedup':>8} {'status':>10}")
    for dies, spd, nw, cols, objective, K, nre, budget in SIZES[:3] if args.quick else SIZES:
        p = random_problem(np.random.default_rng(args.seed), n_dies=dies, skus_per_die=spd, n_workloads=nw,
                           cols_per_pair=cols, objective=objective, max_designs=K, charge_nre=nre,
                           budget_factor=budget, power_factor=None if budget is None else 2 * budget, racks=True)
        combos = int(np.prod([np.sum(p.col_workload == w) for w in range(nw)], dtype=object))
        t = time.perf_counter()
        brute = solve_enumerate(p)
        enum_s = time.perf_counter() - t
        t = time.perf_counter()
        milp = solve_milp(p, threads=args.threads)
        milp_s = time.perf_counter() - t
        t = time.perf_counter()
        pr = prune_columns(p)
        pruned = solve_milp(pr.problem, threads=args.threads)
        pruned_s = time.perf_counter() - t
        assert same(milp, brute), (milp.objective_value, brute.objective_value)
        assert same(pruned, brute), (pruned.objective_value, brute.objective_value)
        print(f"{dies:>4} {p.n_skus:>4} {nw:>2} {objective:>12} {K:>2} {p.n_columns:>7} {pr.problem.n_columns:>5} "
              f"{combos:>11,} {enum_s:>8.3f} {milp_s:>8.3f} {pruned_s:>8.3f} {enum_s / milp_s:>7.1f}x {milp.status:>10}")


if __name__ == "__main__":
    main()
