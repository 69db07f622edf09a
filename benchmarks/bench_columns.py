"""Column evaluation rate: how many (SKU, mapping) columns ``evaluate_columns`` evaluates per second
on one core, for serving, decode, prefill and training workloads.

Run: OMP_NUM_THREADS=1 python benchmarks/bench_columns.py [N_SKUS]
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse import presets  # noqa: E402
from litedse.workload.performance import MAX_PACKAGES_PER_REPLICA  # noqa: E402
from litedse.tech.sku import evaluate_skus  # noqa: E402
from litedse.workload.models import resolve_model  # noqa: E402
from litedse.workload.performance import MAPPING_KEYS, candidate_mappings, evaluate_columns  # noqa: E402
from litedse.workload.spec import WorkloadSpec  # noqa: E402

WORKLOADS = [
    WorkloadSpec(name="llama3-70b", kind="serving", input_tokens=2048, output_tokens=256, ttft_s=2.0,
                 tpot_s=0.05, demand_requests_per_s=100.0),
    WorkloadSpec(name="llama3-70b", kind="serving", serving_mode="disaggregated", input_tokens=2048,
                 output_tokens=256, demand_requests_per_s=100.0),
    WorkloadSpec(name="mixtral-8x7b", kind="decode", precision="fp8", input_tokens=1024, output_tokens=256,
                 demand_tokens_per_s=1e5),
    WorkloadSpec(name="llama3-8b", kind="prefill", input_tokens=4096, demand_tokens_per_s=1e6),
    WorkloadSpec(name="gpt3-175b", kind="training", sequence_length=2048, global_batch=1536,
                 train_tokens=3e11, time_budget_days=30.0),
]


def main(n_skus: int = 5000) -> None:
    rng = np.random.default_rng(0)
    design = dict(die_area_mm2=rng.uniform(100, 850, n_skus), dies_per_package=rng.integers(1, 3, n_skus),
                  hbm_stacks=rng.integers(1, 9, n_skus), hbm=rng.choice(["hbm3", "hbm3e-12hi"], n_skus),
                  links=rng.integers(4, 33, n_skus), interconnect=rng.choice(["cpo", "electrical"], n_skus),
                  clock=rng.choice([0.8, 1.0], n_skus))
    skus = evaluate_skus(design, presets.technology()[0])
    perf = presets.performance()[0]
    print(f"machine: {describe()}")
    for w in WORKLOADS:
        model = resolve_model(w.model, w.name)
        maps = candidate_mappings(w, model, perf, MAX_PACKAGES_PER_REPLICA)
        n_maps = len(maps["tp"])
        rows = np.repeat(np.arange(n_skus), n_maps)
        idx = np.tile(np.arange(n_maps), n_skus)
        sku_cols = {k: v[rows] for k, v in skus.items() if isinstance(v, np.ndarray) and v.dtype != object}
        mapping = {k: maps[k][idx] for k in MAPPING_KEYS}
        n = len(rows)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            out = evaluate_columns(sku_cols, mapping, w, model, perf)
            best = min(best, time.perf_counter() - t0)
        rate = n / best
        label = f"{w.kind}{'/' + w.serving_mode if w.kind == 'serving' else ''} {w.name}"
        print(f"{label:36s} {n:>10,} columns ({n_skus:,} SKUs x {n_maps} mappings) in {best:.3f} s "
              f"= {rate:>12,.0f} columns/s; {int(out['fits'].sum()):,} fit "
              f"[target 1,000,000/s: {'met' if rate >= 1e6 else 'NOT met'}]")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
