"""`litedse uncertainty` on the main job: 256 samples of every uncertain parameter, lite vs
monolithic, one solve per (sample, class), with 2 local Dask workers (cluster start-up included,
as a user sees it), and a second run with the same seed that must give the same P and quantiles.
Also the full sensitivity tornado of the same pair, for the report's cost.

Run: python benchmarks/bench_uncertainty.py [INSTANCE] [--samples N] [--workers W]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

from litedse.batch.uncertainty import probability_sentence, run_uncertainty  # noqa: E402
from litedse.inputs.instance import load_instance  # noqa: E402
from litedse.results.sensitivity import sensitivity, verdict_sentence  # noqa: E402

MAIN_JOB = Path(__file__).resolve().parents[1] / "instances" / "llama3-70b-serving.toml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("instance", nargs="?", default=str(MAIN_JOB))
    ap.add_argument("--samples", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--classes", default="lite,monolithic")
    args = ap.parse_args()
    inst = load_instance(args.instance)
    classes = args.classes.split(",")
    print(f"machine: {describe()}; load average before: {os.getloadavg()[0]:.2f}")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("first", "same seed"):
            t0 = time.perf_counter()
            run = run_uncertainty(inst, classes, args.samples, seed=0, store=str(Path(tmp) / label),
                                  workers=args.workers)
            wall = time.perf_counter() - t0
            runs.append(run)
            print(f"{label:>9} (load {os.getloadavg()[0]:.1f}): {args.samples} samples x 2 classes = "
                  f"{2 * args.samples} solves in {wall:.1f} s on {run.batch.workers} workers "
                  f"(planning {run.timings['plan_s']:.1f} s, first row after {run.batch.first_row_s:.1f} s): "
                  f"{60 * 2 * args.samples / wall:.0f} solves/min")
    print(probability_sentence(runs[0]))
    same = runs[0].summary == runs[1].summary
    print(f"same seed, same P and quantiles: {same}")
    t0 = time.perf_counter()
    frame = sensitivity(inst, classes, threads=1)
    print(f"full tornado: {len(frame)} parameters, {frame.attrs['solves']} solves in {time.perf_counter() - t0:.1f} s "
          f"(load {os.getloadavg()[0]:.1f}); {verdict_sentence(frame)}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
