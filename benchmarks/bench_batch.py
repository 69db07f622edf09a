"""Batch throughput: the shipped study's wall time with 1 and 2 local Dask workers, solves per minute.

Each run writes a fresh store in a temporary directory (cluster start-up included in the wall time,
as a user sees it); the two stores must hold the same rows. A run with ``--serial`` adds the same
study solved in this process without Dask, to show the cluster's overhead.

Run: python benchmarks/bench_batch.py [STUDY] [--serial]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse.batch.run import run_batch  # noqa: E402
from litedse.batch.store import Store, comparable  # noqa: E402
from litedse.batch.study import plan  # noqa: E402

DEFAULT_STUDY = Path(__file__).resolve().parents[1] / "instances" / "studies" / "llama3-70b-defects-optics-demand.toml"


def main(study: Path, serial: bool) -> None:
    t0 = time.perf_counter()
    tasks = plan([str(study)])
    plan_s = time.perf_counter() - t0
    print(f"machine: {describe()}; load average before: {os.getloadavg()[0]:.2f}")
    print(f"study: {study.name}: {len(tasks)} solves ({len({t['key'] for t in tasks})} points x "
          f"{len({t['class'] for t in tasks})} classes), planned and validated in {plan_s:.2f} s")
    runs = [("serial, no Dask", 0)] if serial else []
    runs += [("1 worker", 1), ("2 workers", 2)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, workers in runs:
            store = Path(tmp) / f"w{workers}"
            summary = run_batch(tasks, store, workers=workers, progress=False)
            rows = Store(store).read()
            solver_s = float(rows["solver_wall_s"].fillna(0).sum()) if "solver_wall_s" in rows else 0.0
            if "error" in rows and rows["error"].notna().any() and not rows["status"].eq("infeasible").all():
                print(f"  first error: {rows['error'].dropna().iloc[0]}")
            results[workers] = (summary.wall_s, comparable(rows))
            steady = 60 * (len(tasks) - 1) / max(summary.wall_s - summary.first_row_s, 1e-9)
            print(f"{label:>16} (load {os.getloadavg()[0]:.1f}): wall {summary.wall_s:6.1f} s = "
                  f"{60 * len(tasks) / summary.wall_s:6.1f} solves/min; first row after {summary.first_row_s:4.1f} s, "
                  f"then {steady:6.1f} solves/min; statuses {dict(sorted(summary.by_status.items()))}; "
                  f"sum of solver wall {solver_s:.1f} s")
        w1, w2 = results[1], results[2]
        same = w1[1].astype(str).equals(w2[1].astype(str))
        print(f"speed-up 2 workers vs 1: {w1[0] / w2[0]:.2f}x; rows identical between runs: {same}")
        if 0 in results:
            print(f"Dask overhead, 1 worker vs serial: {w1[0] - results[0][0]:+.1f} s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(Path(args[0]) if args else DEFAULT_STUDY, "--serial" in sys.argv)
