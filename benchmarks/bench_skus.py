"""SKU-table evaluation rate: how many package designs ``evaluate_skus`` derives per second on one core.

Run: python benchmarks/bench_skus.py [N]
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse.presets import technology  # noqa: E402
from litedse.tech.sku import evaluate_skus  # noqa: E402


def main(n: int = 200_000) -> None:
    rng = np.random.default_rng(0)
    design = dict(die_area_mm2=rng.uniform(100, 850, n), dies_per_package=rng.integers(1, 3, n),
                  hbm_stacks=rng.integers(0, 13, n), hbm=rng.choice(["hbm3", "hbm3e-8hi", "hbm3e-12hi", "hbm4"], n),
                  links=rng.integers(0, 33, n), interconnect=rng.choice(["cpo", "electrical"], n),
                  clock=rng.choice([0.7, 0.8, 0.9, 1.0], n))
    tech = technology()[0]
    evaluate_skus({k: v[:1000] for k, v in design.items()}, tech)  # warm-up
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        table = evaluate_skus(design, tech)
        best = min(best, time.perf_counter() - t0)
    print(f"machine: {describe()}")
    print(f"evaluate_skus: {n:,} SKUs in {best:.3f} s (best of 3) = {n / best:,.0f} SKUs/s on one core; "
          f"{int(table['feasible'].sum()):,} feasible")
    print(f"target: >= 100,000 SKUs in < 1 s -> {'met' if n / best >= 100_000 else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
