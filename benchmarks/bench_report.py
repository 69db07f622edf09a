"""``litedse report`` phase by phase: where its time goes (issue 15: the fleet report ran for more
than 13 minutes with no output). Times each step the library reports through its progress
callback: the class solves, each Pareto front, the die-area solves.

Run: python benchmarks/bench_report.py [INSTANCE] [--points N] [--no-die-curve] [--max-s S]
``--max-s`` stops after that many seconds (the step running then is named, with its elapsed time).
"""

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import describe  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("instance", nargs="?", default=str(ROOT / "instances" / "fleet.toml"))
    ap.add_argument("--points", type=int, default=None)
    ap.add_argument("--no-die-curve", action="store_true")
    ap.add_argument("--max-s", type=float, default=None)
    args = ap.parse_args()
    print(f"machine: {describe()}")
    import litedse

    t0 = time.perf_counter()
    inst = litedse.load(args.instance)
    state = {"last": time.perf_counter(), "what": "loading"}
    print(f"{time.perf_counter() - t0:8.1f} s  loaded {inst.name}", flush=True)

    def progress(done, total, what):
        now = time.perf_counter()
        print(f"{now - t0:8.1f} s  (+{now - state['last']:7.1f} s)  {done}/{total}  {what}", flush=True)
        state.update(last=now, what=what)

    if args.max_s:
        def stop():
            print(f"stopped after {args.max_s:.0f} s; running for {time.perf_counter() - state['last']:.0f} s: "
                  f"{state['what']}", flush=True)
            import os
            os._exit(0)
        threading.Timer(args.max_s, stop).start()
    with tempfile.TemporaryDirectory() as out:
        litedse.report(inst, out, points=args.points, die_curve=not args.no_die_curve, progress=progress)
    print(f"{time.perf_counter() - t0:8.1f} s  report written", flush=True)
    import os
    os._exit(0)


if __name__ == "__main__":
    main()
