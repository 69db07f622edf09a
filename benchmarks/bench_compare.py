"""``litedse compare`` on the README's main job (target: the side-by-side table in under 15 s), and
the Pareto front of the lite and monolithic classes (cost vs power).

Run: python benchmarks/bench_compare.py [INSTANCE]
Times: whole process of the CLI (interpreter start, imports, column building, four MILPs, table) and
the library calls alone, per class.
"""

import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _machine import describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 15.0


def main(instance: str = str(ROOT / "instances" / "llama3-70b-serving.toml")) -> None:
    print(f"machine: {describe()}")
    classes = "lite,monolithic,free,h100"
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-W", "ignore", "-m", "litedse", "compare", instance, "--classes", classes],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr)
        raise SystemExit(f"compare failed with exit code {proc.returncode}")
    print(f"litedse compare {Path(instance).name} --classes {classes}: {wall:.2f} s whole process "
          f"(target < {TARGET_S:.0f} s -> {'met' if wall < TARGET_S else 'NOT met'})")

    warnings.simplefilter("ignore")
    from litedse.inputs.instance import load_instance
    from litedse.results.compare import compare_instance
    from litedse.results.fronts import pareto_instance

    inst = load_instance(instance)
    comp = compare_instance(inst, classes.split(","))
    for name, cr in comp.classes.items():
        s = cr.doc["solver"]
        print(f"  {name:<11} {cr.doc['status']:<8} wall {s['wall_s']:.2f} s, columns {s['columns_enumerated']:,} "
              f"enumerated -> {s['columns_kept']:,} kept, capex {cr.metrics.get('capex_usd') or float('nan'):,.0f} USD")
    ratio = comp.ratios()["lite"]
    print(f"  lite/monolithic: capex x{ratio['capex_usd']:.3f}, facility power x{ratio['facility_power_w']:.3f}"
          if ratio["capex_usd"] is not None else "  lite/monolithic: n/a")
    print(f"library compare: {comp.wall_s:.2f} s")

    t0 = time.perf_counter()
    fronts = pareto_instance(inst, "cost", "power", ["lite", "monolithic"])
    wall = time.perf_counter() - t0
    for name, (f, p) in fronts.items():
        per = f.wall_s / max(f.solves, 1)
        print(f"  pareto {name:<11} {len(f.points)} points, {f.solves} solves, {f.wall_s:.2f} s "
              f"({per * 1000:.0f} ms per solve; {f.columns} columns, {f.columns_swept} after the SKU bounds; "
              f"model build {f.build_s:.2f} s)")
    print(f"pareto cost vs power, lite + monolithic: {wall:.2f} s")
    bench_generated_front()


def bench_generated_front(seed: int = 3) -> None:
    """Exact front of a generated problem vs the brute-force front of every column combination."""
    import itertools

    import numpy as np
    from problems import random_problem

    from litedse.optimize.designs import evaluate_designs
    from litedse.optimize.pareto import pareto_front
    from litedse.optimize.prune import min_replicas, usable_columns

    p = random_problem(np.random.default_rng(seed), n_dies=8, skus_per_die=3, n_workloads=3, cols_per_pair=3,
                       max_designs=2)
    t0 = time.perf_counter()
    front = pareto_front(p, "cost", "power", repair_hours=4.0, threads=1)
    t_front = time.perf_counter() - t0
    t0 = time.perf_counter()
    per_w = [np.flatnonzero((p.col_workload == w) & usable_columns(p)) for w in range(p.n_workloads)]
    C = np.array(list(itertools.product(*per_w)), dtype=np.int64)
    ev = evaluate_designs(p, C, min_replicas(p)[C])
    pts = np.stack([ev["capex"], ev["facility"]], axis=1)[ev["ok"]]
    o = np.lexsort((pts[:, 1], pts[:, 0]))
    pts = pts[o]
    best = np.minimum.accumulate(pts[:, 1])
    keep = np.ones(len(pts), dtype=bool)
    keep[1:] = pts[1:, 1] < best[:-1]
    brute = np.unique(pts[keep], axis=0)
    t_brute = time.perf_counter() - t0
    got = np.array([[pt.values["cost"], pt.values["power"]] for pt in front.points])
    same = got.shape == brute.shape and np.allclose(got, brute, rtol=1e-9)
    print(f"generated problem ({p.n_columns} columns, {len(C):,} combinations): exact front {len(front.points)} points, "
          f"{front.solves} solves, {t_front:.2f} s (model swept with {front.columns_swept} columns); "
          f"brute force {t_brute:.2f} s; identical: {same}")


if __name__ == "__main__":
    main(*sys.argv[1:])
