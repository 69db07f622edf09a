"""Design-solver benchmark (issue 4), all in one run on this machine:

1. whole-process wall time of `litedse solve` on the README's main job (target < 5 s) and on the
   fleet instance (target < 30 s), interpreter start-up and imports included;
2. on the fleet instance, the MILP against the exhaustive enumeration over the same pruned columns:
   equal objectives and the speed-up of the MILP (target >= 20x).

Run: python3 benchmarks/bench_solve.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from _machine import describe

ROOT = Path(__file__).resolve().parents[1]
MAIN_JOB = ROOT / "instances" / "llama3-70b-serving.toml"
FLEET = ROOT / "instances" / "fleet.toml"


def whole_process_s(path: Path, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "litedse", "solve", str(path), "--format", "json"],
                              capture_output=True, text=True)
        best = min(best, time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"litedse solve {path} failed: {proc.stderr}")
    return best


def main() -> None:
    from litedse.optimize.enumerate import solve_enumerate
    from litedse.inputs.instance import load_instance
    from litedse.optimize.milp import DesignModel
    from litedse.solve import solve_instance

    print(f"machine: {describe()}")
    t_main = whole_process_s(MAIN_JOB)
    t_fleet = whole_process_s(FLEET, repeats=1)
    print(f"litedse solve {MAIN_JOB.name}: {t_main:.2f} s whole process (best of 3; target < 5 s)")
    print(f"litedse solve {FLEET.name}: {t_fleet:.2f} s whole process (target < 30 s)")

    res = solve_instance(load_instance(FLEET))
    problem = res.problem
    t0 = time.perf_counter()
    milp = DesignModel(problem).solve(threads=1)
    t_milp = time.perf_counter() - t0
    t0 = time.perf_counter()
    enum = solve_enumerate(problem)
    t_enum = time.perf_counter() - t0
    combos = enum.solver.get("combinations")
    print(f"fleet: {res.columns_enumerated:,} columns enumerated, {problem.n_columns:,} kept after exact pruning, "
          f"{combos:,} column combinations")
    print(f"fleet MILP (Pyomo build + HiGHS, 1 thread): {t_milp:.3f} s, objective {milp.objective_value:,.2f}")
    print(f"fleet enumeration (numpy):                 {t_enum:.3f} s, objective {enum.objective_value:,.2f}")
    equal = abs(milp.objective_value - enum.objective_value) <= 1e-6 * abs(enum.objective_value)
    print(f"objectives equal to 1e-6: {equal}; MILP speed-up over enumeration: {t_enum / t_milp:.1f}x (target >= 20x)")


if __name__ == "__main__":
    main()
