"""litedse uncertainty: samples in their ranges, the same seed gives the same statistics, a SIGKILLed
run resumes with no sample lost or repeated, and the statistics match a hand count."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from litedse.batch.store import Store
from litedse.batch.uncertainty import run_uncertainty, to_ranges, unit_samples
from litedse.cli import main
from litedse.inputs.instance import load_instance
from litedse.inputs.uncertainty import parameters
from litedse.results.uncertainty import summarize

from test_sensitivity import KEY, TWIN

PARAMS = [KEY, "technology.host.cost_usd", "technology.package.cowos-s.final_test_usd"]


@pytest.fixture(scope="module")
def twin_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("unc") / "twin.toml"
    path.write_text(TWIN)
    return path


def test_samples_lie_in_their_ranges_and_follow_their_distribution(twin_path):
    pars = parameters(load_instance(twin_path))
    u, sampler = unit_samples(256, len(pars), seed=3)
    x = to_ranges(u, pars)
    assert sampler == "sobol" and x.shape == (256, len(pars))
    for j, p in enumerate(pars):
        assert np.all((p.range.low <= x[:, j]) & (x[:, j] <= p.range.high)), p.key
        if p.range.distribution == "loguniform":  # the median of a log-uniform is the geometric mean
            assert np.median(x[:, j]) == pytest.approx(np.sqrt(p.range.low * p.range.high), rel=0.1)
        else:
            assert np.median(x[:, j]) == pytest.approx(0.5 * (p.range.low + p.range.high), rel=0.1)
    assert unit_samples(12, 3, seed=0)[1] == "lhs"


def test_summary_against_a_hand_count():
    import pandas as pd

    frame = pd.DataFrame({"p": [1.0, 2.0, 3.0, 4.0, 5.0], "metric:a": [1.0, 2.0, 3.0, np.inf, np.nan],
                          "metric:b": [2.0, 2.5, 2.0, 1.0, 1.0]})
    s = summarize(frame, ["p"], ("a", "b"))
    assert (s["samples"], s["decided"], s["failed"], s["both_feasible"]) == (5, 4, 1, 3)
    assert s["p_a_wins"] == 0.5                                   # samples 0 and 1 of 4 decided
    assert s["ratio_quantiles"]["0.5"] == pytest.approx(0.8)      # ratios 0.5, 0.8, 1.5
    assert s["attribution"][0]["spearman_rho"] == pytest.approx(1.0)


def test_same_seed_same_statistics_and_a_hand_check(twin_path):
    inst = load_instance(twin_path)
    one = run_uncertainty(inst, ["a", "b"], 8, seed=7, params=PARAMS, workers=0)
    two = run_uncertainty(inst, ["a", "b"], 8, seed=7, params=PARAMS, workers=0)
    other = run_uncertainty(inst, ["a", "b"], 8, seed=8, params=PARAMS, workers=0)
    assert one.summary == two.summary and one.samples.equals(two.samples)
    assert not one.samples[PARAMS].equals(other.samples[PARAMS])
    # the twin classes differ only by the HBM price: "a" wins exactly where it pays less than $15/GB
    expect = (one.samples[KEY] < 15.0).mean()
    assert one.summary["p_a_wins"] == expect


def test_sigkill_then_resume_loses_and_repeats_no_sample(twin_path, tmp_path):
    store = tmp_path / "store"
    args = [sys.executable, "-m", "litedse", "uncertainty", str(twin_path), "--classes", "a,b", "--samples", "32",
            "--seed", "5", "--workers", "0", "--store", str(store), "--no-progress", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    parts = store / "parts"
    while time.time() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(Store(store).read())
    assert 4 <= before < 64
    res = CliRunner().invoke(main, [*args[3:], "--resume"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert (doc["solves_reused"], doc["solves_run"]) == (before, 64 - before)
    rows = Store(store).read()
    assert len(rows) == 64 and not rows.duplicated(["key", "class"]).any()
    fresh = run_uncertainty(load_instance(twin_path), ["a", "b"], 32, seed=5, workers=0)
    assert doc["p_a_wins"] == fresh.summary["p_a_wins"]
    assert doc["ratio_quantiles"] == pytest.approx(fresh.summary["ratio_quantiles"], rel=1e-12)
    assert doc["samples"] == 32 and doc["failed"] == 0


def test_resume_without_store_and_bad_params_exit_2(twin_path):
    runner = CliRunner()
    for extra, needle in ((["--resume"], "--resume needs the --store"),
                          (["--params", "technology.host.cost_usdd"], "not an uncertain parameter")):
        res = runner.invoke(main, ["uncertainty", str(twin_path), "--classes", "a,b", "--samples", "4", *extra])
        assert res.exit_code == 2 and needle in res.output and res.output.count("\n") == 1
