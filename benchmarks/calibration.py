"""Calibration report: the performance model's prediction of every row of the calibration tables in
shared/reference/hardware.md (Korthikanti et al. 2022 training; TensorRT-LLM v0.5 inference) with
the measured value and the error.

Run: python benchmarks/calibration.py [section.key=value ...]   (override preset values)
     python benchmarks/calibration.py --fit                        (re-derive the fitted values)
     python benchmarks/calibration.py --holdout                    (fit on some rows, predict the others)

--fit re-runs the calibration: a minimax coordinate search (numpy only) of the C1 parameters on the
Korthikanti rows, then of the C2 parameters on the TensorRT-LLM rows, starting from the preset.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse import presets  # noqa: E402
from litedse.workload import calibration  # noqa: E402


C1_PARAMS = {("efficiency", "compute_training"): (0.3, 1.0), ("efficiency", "gemm_half_width"): (0.0, 2000.0)}
C2_PARAMS = {("efficiency", "compute_prefill"): (0.2, 1.0), ("efficiency", "compute_decode"): (0.2, 1.0),
             ("efficiency", "hbm"): (0.3, 1.0), ("efficiency", "gqa_kv_reread_fraction"): (0.0, 1.0),
             ("latency", "layer_overhead_decode_s"): (0.0, 1e-4), ("latency", "layer_overhead_prefill_s"): (0.0, 5e-4)}


def _objective(perf, rows) -> float:
    errors = [calibration.predict(r, perf) / r.measured - 1.0 for r in rows]
    return max(abs(e) for e in errors) + 0.1 * (sum(e * e for e in errors) / len(errors)) ** 0.5


def fit(perf: dict, params: dict, rows, rounds: int = 5, points: int = 9) -> float:
    """Minimax coordinate search: each round tries ``points`` values of each parameter in a window
    around its current value (clipped to its bounds) and keeps the best; the window halves per round."""
    import numpy as np

    best = _objective(perf, rows)
    span = {k: (hi - lo) / 2 for k, (lo, hi) in params.items()}
    for _ in range(rounds):
        for (sec, key), (lo, hi) in params.items():
            centre = perf[sec][key]
            for value in np.linspace(max(lo, centre - span[(sec, key)]), min(hi, centre + span[(sec, key)]), points):
                perf[sec][key] = float(value)
                score = _objective(perf, rows)
                if score < best - 1e-12:
                    best, centre = score, float(value)
            perf[sec][key] = centre
            span[(sec, key)] /= 2
    return best


HOLDOUTS = (  # (parameters, rows fitted on, rows predicted)
    (C1_PARAMS, ("22B", "175B"), ("530B", "1T")),
    (C2_PARAMS, ("C2(b)", "C2(d)"), ("C2(c)",)),
)


def holdout() -> None:
    """Out-of-sample check: fit on one part of a table, report the error on the rest."""
    for params, fit_on, predict_on in HOLDOUTS:
        perf = presets.load("performance", "default")[0]
        pick = lambda keys: [r for r in calibration.ROWS  # noqa: E731
                             if any(r.table.startswith(k) or r.label.startswith(k) for k in keys)
                             and r.table[:2] == ("C1" if params is C1_PARAMS else "C2")]
        fit(perf, params, pick(fit_on))
        errors = [calibration.predict(r, perf) / r.measured - 1.0 for r in pick(predict_on)]
        print(f"fit on {', '.join(fit_on)} -> predict {', '.join(predict_on)}: "
              f"worst held-out error {100 * max(abs(e) for e in errors):.1f}% over {len(errors)} rows "
              f"({', '.join(f'{100 * e:+.1f}%' for e in errors)})")


def main(argv: list[str]) -> int:
    perf = presets.load("performance", "default")[0]
    if "--holdout" in argv:
        holdout()
        return 0
    if "--fit" in argv:
        argv = [a for a in argv if a != "--fit"]
        c1 = [r for r in calibration.ROWS if r.table.startswith("C1")]
        c2 = [r for r in calibration.ROWS if r.table.startswith("C2")]
        t0 = time.perf_counter()
        s1 = fit(perf, C1_PARAMS, c1)
        s2 = fit(perf, C2_PARAMS, c2)
        print(f"fitted in {time.perf_counter() - t0:.0f} s (objective = max |error| + 0.1 rms): C1 {s1:.4f}, C2 {s2:.4f}")
        for (sec, key) in (*C1_PARAMS, *C2_PARAMS):
            print(f"  performance.{sec}.{key} = {perf[sec][key]:.4g}")
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
    print(calibration.HEADER)
    worst = {}
    for r in rows:
        print(calibration.format_row(r))
        group = r["table"][:2]
        worst[group] = max(worst.get(group, 0.0), abs(r["error"]))
    print("worst error: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in worst.items())
          + f"; {len(rows)} rows in {elapsed * 1e3:.0f} ms")
    return 0 if all(calibration.within_bound(r) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
