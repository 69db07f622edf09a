"""Calibration report: the performance model's prediction of every row of the calibration tables in
shared/reference/hardware.md (C1 Korthikanti et al. 2022 training; C2 TensorRT-LLM v0.5 inference, the
2023 serving stack) and of the current-engine rows of litedse/presets/calibration/serving_rows.toml
(S: TensorRT-LLM 0.14-1.2 perf-overview tables on A100, H100, H200 and B200, the trtllm-2025 stack),
with the measured value and the error; for S the mean absolute error on the rows fitted and on the
rows kept out of the fit.

Run: python benchmarks/calibration.py [section.key=value ...]   (override performance preset values)
     python benchmarks/calibration.py --fit                        (re-derive the fitted values)
     python benchmarks/calibration.py --holdout                    (fit on some rows, predict the others)
     python benchmarks/calibration.py --rows                       (also print every S row)

--fit re-runs the calibration: a coordinate search (numpy only) of the C1 parameters on the
Korthikanti rows, of the C2 parameters on the TensorRT-LLM v0.5 rows, and of the S parameters (the
trtllm-2025 efficiencies per architecture and its iteration overhead) on the S rows of the engine
versions in calibration.FIT_VERSIONS, starting from the presets.
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse import presets  # noqa: E402
from litedse.workload import calibration  # noqa: E402


# parameter paths: ("perf", section, key) in the performance preset, ("stack", name, *path) in a
# serving stack; values: bounds
C1_PARAMS = {("perf", "efficiency", "compute_training"): (0.3, 1.0),
             ("perf", "efficiency", "gemm_half_width"): (0.0, 2000.0)}
C2_PARAMS = {("stack", "trtllm-2023", "efficiency", "default", "compute_prefill"): (0.2, 1.0),
             ("stack", "trtllm-2023", "efficiency", "default", "compute_decode"): (0.2, 1.0),
             ("stack", "trtllm-2023", "efficiency", "default", "hbm"): (0.3, 1.0),
             ("stack", "trtllm-2023", "attention", "gqa_kv_reread_fraction"): (0.0, 1.0),
             ("stack", "trtllm-2023", "overhead", "layer_decode_s"): (0.0, 1e-4),
             ("stack", "trtllm-2023", "overhead", "layer_prefill_s"): (0.0, 5e-4)}
ARCH = {"a100": "ampere", "h100": "hopper", "h200": "hopper", "b200": "blackwell"}
S_PARAMS = {("stack", "trtllm-2025", "efficiency", arch, key): (0.2, 1.0)
            for arch in ("ampere", "hopper", "blackwell") for key in ("compute_prefill", "compute_decode", "hbm")}
S_PARAMS[("stack", "trtllm-2025", "overhead", "iteration_s")] = (0.0, 5e-3)


def _node(state, path):
    perf, stacks = state
    node = perf if path[0] == "perf" else stacks[path[1]]
    for part in path[1 if path[0] == "perf" else 2:-1]:
        node = node[part]
    return node, path[-1]


def _minimax(errors) -> float:
    errors = np.asarray(errors)
    return float(np.max(np.abs(errors)) + 0.1 * np.sqrt(np.mean(errors ** 2)))


def _mean_abs(errors) -> float:
    errors = np.asarray(errors)
    return float(np.mean(np.abs(errors)) + 0.1 * np.sqrt(np.mean(errors ** 2)))


def _errors(state, rows):
    perf, stacks = state
    if rows and isinstance(rows[0], calibration.ServingRow):
        return calibration.serving_errors(rows, perf, stacks)
    return [calibration.predict(r, perf, stacks) / r.measured - 1.0 for r in rows]


def fit(state, params: dict, rows, score=_minimax, rounds: int = 5, points: int = 9) -> float:
    """Coordinate search: each round tries ``points`` values of each parameter in a window around its
    current value (clipped to its bounds) and keeps the best ``score`` of the rows' errors; the
    window halves per round. A per-architecture efficiency is scored on its architecture's rows only."""
    span = {k: (hi - lo) / 2 for k, (lo, hi) in params.items()}
    for _ in range(rounds):
        for path, (lo, hi) in params.items():
            sub = rows
            if path[0] == "stack" and "efficiency" in path and path[3] in ARCH.values() and isinstance(
                    rows[0], calibration.ServingRow):
                sub = [r for r in rows if ARCH[r.sku] == path[3]]
            node, key = _node(state, path)
            centre = node[key]
            best = score(_errors(state, sub))
            for value in np.linspace(max(lo, centre - span[path]), min(hi, centre + span[path]), points):
                node[key] = float(value)
                value_score = score(_errors(state, sub))
                if value_score < best - 1e-12:
                    best, centre = value_score, float(value)
            node[key] = centre
            span[path] /= 2
    return score(_errors(state, rows))


HOLDOUTS = (  # (parameters, rows fitted on, rows predicted)
    (C1_PARAMS, ("22B", "175B"), ("530B", "1T")),
    (C2_PARAMS, ("C2(b)", "C2(d)"), ("C2(c)",)),
)


def _state():
    return presets.load("performance", "default")[0], calibration.stacks()


def holdout() -> None:
    """Out-of-sample check of C1 and C2: fit on one part of a table, report the error on the rest
    (the S rows are always reported fitted / kept out, see ``report_serving``)."""
    for params, fit_on, predict_on in HOLDOUTS:
        state = _state()
        pick = lambda keys: [r for r in calibration.ROWS  # noqa: E731
                             if any(r.table.startswith(k) or r.label.startswith(k) for k in keys)
                             and r.table[:2] == ("C1" if params is C1_PARAMS else "C2")]
        fit(state, params, pick(fit_on))
        errors = _errors(state, pick(predict_on))
        print(f"fit on {', '.join(fit_on)} -> predict {', '.join(predict_on)}: "
              f"worst held-out error {100 * max(abs(e) for e in errors):.1f}% over {len(errors)} rows "
              f"({', '.join(f'{100 * e:+.1f}%' for e in errors)})")


def report_serving(state, every_row: bool) -> dict:
    """S rows: mean absolute error fitted / kept out, per (GPU, precision, engine version), and
    with ``every_row`` each row."""
    if every_row:
        rows = calibration.serving_rows()
        for r, e in zip(rows, calibration.serving_errors(rows, *state)):
            print(f"S {r.label:52s} measured {r.measured:10.1f} predicted {r.measured * (1 + e):10.1f} "
                  f"{100 * e:+7.1f}%{'' if r.fitted else '  (kept out)'}")
    summary = calibration.serving_summary(*state)
    print("\n".join(calibration.format_serving_summary(summary)))
    return summary


def main(argv: list[str]) -> int:
    state = _state()
    perf = state[0]
    if "--holdout" in argv:
        holdout()
        return 0
    every_row = "--rows" in argv
    argv = [a for a in argv if a != "--rows"]
    if "--fit" in argv:
        argv = [a for a in argv if a != "--fit"]
        c1 = [r for r in calibration.ROWS if r.table.startswith("C1")]
        c2 = [r for r in calibration.ROWS if r.table.startswith("C2")]
        s_rows = [r for r in calibration.serving_rows() if r.fitted]
        t0 = time.perf_counter()
        s1 = fit(state, C1_PARAMS, c1)
        s2 = fit(state, C2_PARAMS, c2)
        s3 = fit(state, S_PARAMS, s_rows, score=_mean_abs, rounds=4)
        print(f"fitted in {time.perf_counter() - t0:.0f} s (C1, C2: max |error| + 0.1 rms; S: mean |error| + 0.1 rms): "
              f"C1 {s1:.4f}, C2 {s2:.4f}, S {s3:.4f}")
        for path in (*C1_PARAMS, *C2_PARAMS, *S_PARAMS):
            node, key = _node(state, path)
            where = f"performance.{'.'.join(path[1:])}" if path[0] == "perf" else f"serving/{path[1]}: {'.'.join(path[2:])}"
            print(f"  {where} = {node[key]:.4g}")
    for item in argv:
        path, value = item.split("=", 1)
        *heads, leaf = path.split(".")
        node = perf
        for h in heads:
            node = node[h]
        node[leaf] = float(value)
    t0 = time.perf_counter()
    rows = calibration.table(perf, state[1])
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
    serving = report_serving(state, every_row)
    ok = all(calibration.within_bound(r) for r in rows) and calibration.serving_within_bounds(serving)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
