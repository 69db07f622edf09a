"""Batch runs: kill -9 and resume, a separately started Dask scheduler, failures as rows."""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from litedse.batch.run import run_batch, run_task
from litedse.batch.store import Store, comparable

TESTS_DIR = Path(__file__).parent


# ---- a cheap deterministic task function standing in for a solve ----------------------------------

def fake_task(task: dict) -> list[dict]:
    """Row values are a hash of the task, so a clean run and a resumed run must agree exactly."""
    time.sleep(task["options"].get("sleep_s", 0.0))
    if task["options"].get("explode_on") == task["point"]:
        raise ZeroDivisionError("boom")
    h = int(hashlib.sha256(f"{task['key']}/{task['class']}".encode()).hexdigest()[:8], 16)
    # the environment a local worker runs in must be this process's: Dask's nanny default
    # MALLOC_TRIM_THRESHOLD_=65536 made solves 1.6x slower, and a row from a worker that has it
    # would differ from the clean in-process run of the kill/resume test
    return [{"status": "optimal", "objective_name": "cost", "objective_value": float(h % 100_000),
             "design_links": h % 33, "env_malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_")}]


def fake_tasks(n: int, sleep_s: float = 0.0, classes=("lite", "monolithic"), **options) -> list[dict]:
    return [{"key": hashlib.sha256(str(i).encode()).hexdigest(), "class": c, "source": "fake.toml", "point": i,
             "sweep": {"workload.0.demand_tokens_per_s": 1e5 * (i + 1)},
             "options": {"sleep_s": sleep_s, **options}}
            for i in range(n) for c in classes]


def _env() -> dict:
    # worker processes unpickle ``test_batch.fake_task`` by module name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS_DIR), env.get("PYTHONPATH", "")])
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- tests -------------------------------------------------------------------------------------------

def test_a_failing_task_is_a_row_and_the_batch_goes_on(tmp_path):
    tasks = fake_tasks(4, classes=("lite",), explode_on=2)
    tasks.append({**tasks[0], "key": "input:abc", "point": None, "input_error": "bad.toml: not TOML"})
    summary = run_batch(tasks, tmp_path / "s", task_fn=fake_task, workers=0, progress=False)
    got = Store(tmp_path / "s").read().set_index("key")
    assert summary.ran == 5 and summary.by_status == {"optimal": 3, "error": 1, "input_error": 1}
    assert got.loc[tasks[2]["key"], "status"] == "error"
    assert "ZeroDivisionError: boom" in got.loc[tasks[2]["key"], "error"]
    assert got.loc["input:abc", "error"] == "bad.toml: not TOML"
    # the error row is retried by a resume and replaced, not duplicated
    tasks[2]["options"] = {}
    again = run_batch(tasks, tmp_path / "s", task_fn=fake_task, workers=0, progress=False, resume=True)
    assert again.ran == 1 and again.skipped == 4
    got = Store(tmp_path / "s").read()
    assert len(got) == 5 and set(got["status"]) == {"optimal", "input_error"}


def test_a_store_with_rows_needs_resume(tmp_path):
    from litedse.errors import InputError

    run_batch(fake_tasks(1), tmp_path / "s", task_fn=fake_task, workers=0, progress=False)
    with pytest.raises(InputError, match="--resume"):
        run_batch(fake_tasks(1), tmp_path / "s", task_fn=fake_task, workers=0, progress=False)


def test_run_task_pins_the_rows_to_their_task():
    task = fake_tasks(1, classes=("lite",))[0]
    rows = run_task(lambda t: [{"key": "other", "class": "other", "status": "optimal"}], task)
    assert rows[0]["key"] == task["key"] and rows[0]["class"] == "lite"
    assert rows[0]["sweep:workload.0.demand_tokens_per_s"] == 1e5


def test_sigkill_mid_run_then_resume_equals_a_clean_run(tmp_path):
    n = 30
    clean = tmp_path / "clean"
    run_batch(fake_tasks(n), clean, task_fn=fake_task, workers=0, progress=False)
    expected = comparable(Store(clean).read())
    assert len(expected) == 2 * n

    killed = tmp_path / "killed"
    script = ("import sys; from test_batch import fake_tasks, fake_task; from litedse.batch.run import run_batch; "
              f"run_batch(fake_tasks({n}, sleep_s=0.05), sys.argv[1], task_fn=fake_task, workers=2, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(killed)], env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = list((killed / "parts").glob("part-*.parquet")) if (killed / "parts").is_dir() else []
            if len(parts) >= 5:
                break
            assert proc.poll() is None, "batch ended before it could be killed"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its worker processes, at once
    finally:
        proc.wait(timeout=30)
    partial = Store(killed).read()
    assert 5 <= len(partial) < 2 * n, "the kill must land mid-run"

    summary = run_batch(fake_tasks(n), killed, task_fn=fake_task, workers=0, progress=False, resume=True)
    assert summary.skipped == len(partial) and summary.ran == 2 * n - len(partial)
    resumed = comparable(Store(killed).read())
    assert not resumed.duplicated(["key", "class"]).any()
    cols = sorted(expected.columns)
    assert sorted(resumed.columns) == cols
    assert resumed[cols].astype(str).equals(expected[cols].astype(str))


def test_separately_started_scheduler_gives_the_local_result(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen(["dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--no-dashboard", "--host", "127.0.0.1"],
                                      env=_env(), cwd=TESTS_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # a real study: two points of the small instance, solved remotely and locally
        base = _small_instance(tmp_path, "base.toml")
        study = tmp_path / "study.toml"
        # the second point's power budget cannot be met: an infeasible row must travel the same way
        study.write_text(f'base = "{base.name}"\n[sweep.zip]\n"workload.0.demand_requests_per_s" = [500, 2000]\n'
                         '"constraints.power_budget_w" = [1.0e9, 1.0e4]\n')
        from litedse.batch.study import plan

        from click.testing import CliRunner

        from litedse.cli import main

        result = CliRunner().invoke(main, ["batch", str(study), "--out", str(tmp_path / "real-remote"),
                                           "--scheduler", address, "--no-progress"])
        assert result.exit_code == 0, result.output
        run_batch(plan([str(study)]), tmp_path / "real-local", workers=0, progress=False)
        a, b = comparable(Store(tmp_path / "real-remote").read()), comparable(Store(tmp_path / "real-local").read())
        assert sorted(a["status"]) == ["infeasible", "optimal"]
        assert "power_budget_w" in a.loc[a["status"] == "infeasible", "error"].iloc[0]
        assert a.astype(str).equals(b.astype(str))
        workers = set(Store(tmp_path / "real-remote").read()["worker"])
        assert all(w.split(":")[1] != str(os.getpid()) for w in workers)  # really ran elsewhere
    finally:
        for p in reversed(procs):  # workers first: a worker whose scheduler vanished waits to reconnect
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


def test_study_report_ratios_winners_and_failures(tmp_path):
    import base64
    import re

    from litedse.batch.report import write_study_report

    store = Store(tmp_path / "s").create()
    d0s, demands = [0.05, 0.1, 0.2], [1e3, 1e4]
    for i, (d0, dem) in enumerate(itertools.product(d0s, demands)):
        sweep = {"sweep:technology.node.n4.defect_density_per_cm2": d0, "sweep:workload.0.demand_requests_per_s": dem}
        # monolithic capex grows faster with defect density: the verdict flips between d0 = 0.05 and 0.1
        lite, mono = 1000.0 * dem * (1 + 0.5 * d0), 1000.0 * dem * (0.9 + 2 * d0)
        store.write([{"key": f"k{i}", "class": "lite", "status": "optimal", "objective_name": "cost",
                      "objective_sense": "min", "objective_value": lite, "capex_usd": lite,
                      "facility_power_w": 2.0 * dem, **sweep}])
        if i == 5:
            store.write([{"key": f"k{i}", "class": "monolithic", "status": "infeasible",
                          "error": "demand exceeds the power budget by 12%", **sweep}])
        else:
            store.write([{"key": f"k{i}", "class": "monolithic", "status": "optimal", "objective_name": "cost",
                          "objective_sense": "min", "objective_value": mono, "capex_usd": mono,
                          "facility_power_w": 4.0 * dem, **sweep}])
    rep = write_study_report(tmp_path / "s", tmp_path / "r")
    ratios = rep["ratios"].set_index("key")
    # hand values: d0 = 0.05 -> 1.025 / 1.0; d0 = 0.1 -> 1.05 / 1.1
    assert ratios.loc["k0", "cost_ratio"] == pytest.approx(1.025)
    assert ratios.loc["k2", "cost_ratio"] == pytest.approx(1.05 / 1.1)
    assert ratios.loc["k1", "power_ratio"] == pytest.approx(0.5)
    assert math.isnan(ratios.loc["k5", "cost_ratio"])
    win = rep["winners"].set_index("key")["winner"]
    assert list(win[["k0", "k1"]]) == ["monolithic", "monolithic"]        # d0 = 0.05: 1.0 < 1.025
    assert list(win[["k2", "k3", "k4"]]) == ["lite", "lite", "lite"]
    assert win["k5"] == "lite"                                             # the only solved class
    html_text = (tmp_path / "r" / "study.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html_text)
    assert len(images) == 3            # two ratio plots (one per swept parameter) + the winner map
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" and len(i) > 1000 for i in images)
    assert "demand exceeds the power budget by 12%" in html_text
    # the reports' one stylesheet, the verdict first, and every wide table in a box that scrolls
    assert "td.num { text-align: right;" in html_text and html_text.count('<div class="scroll">') >= 4
    body = html_text[html_text.index("<body>"):]
    assert body.index('id="headline"') < body.index("<table") and "is cheaper than" in body
    assert "demand exceeds the power budget by 12%" in (tmp_path / "r" / "study.md").read_text()
    assert len(list((tmp_path / "r" / "figures").glob("*.svg"))) == 3


# ---- real solves ---------------------------------------------------------------------------------------

ROOT = TESTS_DIR.parent
SMALL_SPACE = ('[design_space]\ndie_area_mm2 = [200, 800, 200]\ndies_per_package = [1, 2]\nhbm_stacks = [2, 8, 2]\n'
               'hbm = ["hbm3e-12hi"]\nlinks = [0, 8]\ninterconnect = ["cpo", "electrical"]\nclock = [1.0]\n')


def _small_instance(tmp_path: Path, name: str, extra: str = "") -> Path:
    """The shipped llama3-70b serving instance on a coarse design space (solves in about a second)."""
    text = (ROOT / "instances" / "llama3-70b-serving.toml").read_text()
    head, rest = text.split("[design_space]", 1)
    rest = rest[rest.index("[[workload]]"):]
    path = tmp_path / name
    path.write_text(head + SMALL_SPACE + "\n" + rest + "\n" + extra)
    return path


def test_mixed_inputs_get_the_right_status_on_every_row(tmp_path):
    from click.testing import CliRunner

    from litedse.cli import main
    from litedse.inputs.instance import load_instance
    from litedse.results.documents import solve_document
    from litedse.solve import solve_instance

    good = _small_instance(tmp_path, "good.toml")
    infeasible = _small_instance(tmp_path, "infeasible.toml", "[constraints]\npower_budget_w = 1.0e4\n")
    (tmp_path / "broken.toml").write_text("name = 'x'\n[[workload]\nname =")
    (tmp_path / "schema.toml").write_text(good.read_text().replace("ttft_s = 1.0", "ttft = 1.0"))
    out = tmp_path / "store"
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "*.toml"), "--out", str(out), "--workers", "2",
                                       "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = Store(out).read().set_index("source")
    status = {Path(s).name: st for s, st in rows["status"].items()}
    assert status == {"good.toml": "optimal", "infeasible.toml": "infeasible", "broken.toml": "input_error",
                      "schema.toml": "input_error"}
    err = {Path(s).name: e for s, e in rows["error"].items()}
    assert "TOML syntax" in err["broken.toml"]
    assert "ttft" in err["schema.toml"]
    assert "power_budget_w" in err["infeasible.toml"] and not isinstance(err["good.toml"], str)
    # the row carries the solve's own numbers (solved again here, in this process)
    doc = solve_document(solve_instance(load_instance(good), threads=1))
    row = rows.loc[str(good)]
    assert row["objective_value"] == pytest.approx(doc["objective"]["value"], rel=1e-9)
    assert row["capex_usd"] == pytest.approx(doc["totals"]["capex_usd"], rel=1e-9)
    assert row["design_die_area_mm2"] == doc["designs"][0]["die_area_mm2"]
    assert row["design_packages"] == doc["designs"][0]["packages"]
    assert row["key"] == load_instance(good).key() and row["class"] == "instance"


def test_time_limit_reaches_the_solver_and_is_a_row(tmp_path, monkeypatch):
    """Whether HiGHS stops before its optimum under a tiny limit depends on presolve and load, so the
    solve is stubbed: the task must pass the limit and one thread, and record what comes back."""
    import types

    import litedse.batch.run
    from litedse.batch.study import plan

    seen = {}

    def stub(inst, **kwargs):
        seen.update(kwargs)
        doc = {"schema_version": 1, "instance": inst.name, "status": "time_limit",
               "objective": {"name": "cost", "value": None, "unit": "usd"}, "gap": None, "designs": [],
               "workloads": [], "totals": {}, "binding_constraints": [], "explanation": None,
               "solver": {"name": "highs", "method": "milp", "wall_s": 0.01}}
        return types.SimpleNamespace(doc=doc, solution=types.SimpleNamespace(explanation=""))

    monkeypatch.setattr(litedse.batch.run, "solve_instance", stub)
    monkeypatch.setattr(litedse.batch.run, "solve_document", lambda res: res.doc)
    good = _small_instance(tmp_path, "good.toml")
    summary = run_batch(plan([str(good)], options={"time_limit_s": 1e-4}), tmp_path / "tl", workers=0, progress=False)
    assert seen["time_limit_s"] == 1e-4 and seen["threads"] == 1 and seen["method"] == "auto"
    assert summary.by_status == {"time_limit": 1} and summary.failed == 1
    row = Store(tmp_path / "tl").read().iloc[0]
    assert row["status"] == "time_limit" and pd.isna(row["objective_value"]) and row["n_designs"] == 0


def test_instance_defined_class_restricts_the_design(tmp_path):
    from litedse.batch.study import plan

    path = _small_instance(tmp_path, "cls.toml", '[classes.small]\ndie_area_mm2 = [200]\ndies_per_package = [1]\n')
    run_batch(plan([str(path)], classes=["small", "instance"]), tmp_path / "s", workers=0, progress=False)
    rows = Store(tmp_path / "s").read().set_index("class")
    assert set(rows["status"]) == {"optimal"}
    assert rows.loc["small", "design_die_area_mm2"] == 200 and rows.loc["small", "design_dies_per_package"] == 1
    # restricting the space cannot lower the minimum cost
    assert rows.loc["small", "objective_value"] >= rows.loc["instance", "objective_value"] * (1 - 1e-9)


def test_repeated_kills_at_random_moments_then_resume(tmp_path):
    """Kill -9 a serial batch and its resumes again and again: during start-up, and after a random
    number of new rows (so mid-write or mid-compaction), then finish with a resume."""
    import random

    n = 40
    clean = tmp_path / "clean"
    run_batch(fake_tasks(n), clean, task_fn=fake_task, workers=0, progress=False)
    expected = comparable(Store(clean).read())
    store = tmp_path / "killed"
    script = ("import sys; from test_batch import fake_tasks, fake_task; from litedse.batch.run import run_batch; "
              f"run_batch(fake_tasks({n}, sleep_s=0.01), sys.argv[1], task_fn=fake_task, workers=0, "
              "progress=False, resume=True)")
    rng = random.Random(6)
    counts = []
    for round_ in range(3):
        # the store's own exists(): the root directory appears before parts/ does, so a bare
        # Path.exists() let read() raise in that window (the old flaky failure)
        before = len(Store(store)) if Store(store).exists() else 0
        proc = subprocess.Popen([sys.executable, "-c", script, str(store)], env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if round_ == 0:
            time.sleep(0.3)                       # still importing: nothing written yet
        else:
            target = before + rng.randint(2, 12)
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                if Store(store).exists() and len(Store(store)) >= target:  # readers are safe during writes
                    break
                time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        counts.append(len(Store(store)) if Store(store).exists() else 0)
    assert counts == sorted(counts) and 0 < counts[-1] < 2 * n, counts   # rows only accumulate; mid-run
    run_batch(fake_tasks(n), store, task_fn=fake_task, workers=0, progress=False, resume=True)
    got = comparable(Store(store).read())
    assert not got.duplicated(["key", "class"]).any()
    assert len(got) == 2 * n and got.astype(str).equals(expected[got.columns].astype(str))


def test_out_must_be_a_store_or_new(tmp_path):
    from litedse.errors import InputError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a results store"):
        run_batch(fake_tasks(1), tmp_path, task_fn=fake_task, workers=0, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
