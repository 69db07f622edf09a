"""Calibration report: the performance model's prediction of every row of the calibration tables in
shared/reference/hardware.md (Korthikanti et al. 2022 training; TensorRT-LLM v0.5 inference) with
the measured value and the error.

Run: python benchmarks/calibration.py [--perf-override section.key=value ...]
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse import presets  # noqa: E402
from litedse.workload import calibration  # noqa: E402


def main(argv: list[str]) -> int:
    perf = presets.load("performance", "default")[0]
    for item in argv:
        path, value = item.split("=", 1)
        *heads, leaf = path.split(".")
        node = perf
        for h in heads:
            node = node[h]
        node[leaf] = float(value)
    t0 = time.perf_counter()
    rows = calibration.table(perf)
    elapsed = time.perf_counter() - t0
    print(f"machine: {describe()}")
    print(f"{'source':34s} {'row':40s} {'metric':12s} {'predicted':>11s} {'measured':>11s} {'error':>8s} {'bound':>6s}")
    worst = {}
    for r in rows:
        ok = abs(r["error"]) <= r["bound"]
        print(f"{r['table']:34s} {r['row']:40s} {r['metric']:12s} {r['predicted']:11.4g} {r['measured']:11.4g} "
              f"{100 * r['error']:+7.1f}% {100 * r['bound']:5.0f}%{'' if ok else '  OUT OF BOUND'}")
        group = r["table"][:2]
        worst[group] = max(worst.get(group, 0.0), abs(r["error"]))
    print("worst error: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in worst.items())
          + f"; {len(rows)} rows in {elapsed * 1e3:.0f} ms")
    return 0 if all(abs(r["error"]) <= r["bound"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
