"""The example notebooks in examples/ run as plain Python and produce what they say."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def test_sweep_hbm_price_runs_and_plots_both_sides(tmp_path):
    png = tmp_path / "sweep.png"
    env = {**os.environ, "MPLBACKEND": "Agg", "SWEEP_SMALL": "1", "SWEEP_PRICES": "5,30", "SWEEP_OUT": str(png),
           "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    run = subprocess.run([sys.executable, "examples/sweep_hbm_price.py"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = run.stdout.split("sweep data (CSV):\n", 1)[1].split("plot written", 1)[0]
    sweep = pd.read_csv(io.StringIO(csv))
    assert list(sweep["hbm_usd_per_gb"]) == [5.0, 30.0]
    # a dearer part never makes an optimum cheaper, and the Lite cluster holds more HBM: it pays more of the rise
    for side in ("lite_capex_usd", "monolithic_capex_usd"):
        assert sweep[side].iloc[1] > sweep[side].iloc[0]
    rise = sweep[["lite_capex_usd", "monolithic_capex_usd"]].diff().iloc[1]
    assert rise["lite_capex_usd"] > rise["monolithic_capex_usd"]
    assert (sweep["ratio"] - sweep["lite_capex_usd"] / sweep["monolithic_capex_usd"]).abs().max() < 1e-12
    assert sweep["verdict"].str.contains("lite costs").all()
