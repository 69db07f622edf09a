"""Results store: atomic row files, de-duplication, crash-safe compaction, resume bookkeeping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litedse.errors import InputError
from litedse.batch.run import run_batch
from litedse.batch.store import Store, comparable
from test_batch import fake_task, fake_tasks


def _row(i: int, cls: str = "lite", status: str = "optimal", **extra) -> dict:
    return {"key": f"k{i:03d}", "class": cls, "status": status, "objective_value": 1000.0 + i, **extra}


def test_rows_round_trip_and_nested_values_become_json(tmp_path):
    store = Store(tmp_path / "s").create()
    store.write([_row(1, workloads_json=[{"name": "w", "replicas": 3}], design_links=8)])
    store.write([_row(2, cls="monolithic", status="infeasible", error="demand 5 > 3 tokens/s")])
    got = store.read()
    assert list(zip(got["key"], got["class"])) == [("k001", "lite"), ("k002", "monolithic")]
    assert got.loc[0, "workloads_json"] == '[{"name": "w", "replicas": 3}]'
    assert got.loc[0, "design_links"] == 8
    assert got.loc[1, "error"] == "demand 5 > 3 tokens/s"
    assert math.isnan(got.loc[1, "design_links"])  # absent column of a failure row is null
    assert store.done() == {("k001", "lite"), ("k002", "monolithic")}


def test_latest_row_wins_and_crashed_tasks_are_not_done(tmp_path):
    store = Store(tmp_path / "s").create()
    store.write([_row(1, status="error", error="KilledWorker")])
    assert store.done() == set()                      # a crash is retried by --resume
    assert store.done(final_only=False) == {("k001", "lite")}
    store.write([_row(1, status="optimal")])
    got = store.read()
    assert len(got) == 1 and got.loc[0, "status"] == "optimal"
    assert store.done() == {("k001", "lite")}
    # a crash record written later (clock stepped back, or a stale driver) never hides the result
    store.write([_row(1, status="error", error="late")])
    assert store.read().loc[0, "status"] == "optimal"


def test_half_written_files_are_never_read(tmp_path):
    store = Store(tmp_path / "s").create()
    store.write([_row(1)])
    # what a SIGKILL during a write leaves: a truncated temp file under the temp name
    (store.parts_dir / ".tmp-deadbeef.parquet").write_bytes(b"PAR1\x00\x01truncated")
    assert len(store.read()) == 1
    store.compact()
    assert not list(store.parts_dir.glob(".tmp-*"))
    assert len(store.read()) == 1


@pytest.mark.parametrize("crash", ["write", "unlink-one"])
def test_compaction_killed_midway_loses_and_duplicates_nothing(tmp_path, crash):
    store = Store(tmp_path / "s").create()
    for i in range(5):
        store.write([_row(i), _row(i, cls="monolithic", objective_value=2000.0 + i)])
    before = comparable(store.read())
    with pytest.raises(RuntimeError):
        store.compact(_crash_after=crash)
    assert len(store.files()) >= 2                    # rows exist twice on disk...
    assert comparable(store.read()).equals(before)    # ...but are read once
    store.compact()
    assert len(store.files()) == 1
    assert comparable(store.read()).equals(before)


def test_mixed_types_in_one_column_survive_compaction(tmp_path):
    store = Store(tmp_path / "s").create()
    store.write([_row(1, **{"sweep:technology.design.package": "cowos-s"})])
    store.write([_row(2, **{"sweep:technology.design.package": 3.5})])
    store.compact()
    got = store.read()
    assert sorted(got["sweep:technology.design.package"].astype(str)) == ["3.5", "cowos-s"]


def test_reading_a_missing_store_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no results store"):
        Store(tmp_path / "nope").read()
    with pytest.raises(InputError, match="no results store"):
        Store(tmp_path).read()                    # a directory, but not a store


ops = st.lists(st.one_of(
    st.tuples(st.just("write"), st.integers(0, 6), st.sampled_from(["lite", "monolithic"]), st.integers(0, 99)),
    st.tuples(st.just("compact"), st.sampled_from([None, "write", "unlink-one"]), st.just(""), st.just(0)),
), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None)
@given(ops)
def test_store_equals_a_dict_of_latest_writes(tmp_path_factory, sequence):
    """Any interleaving of writes and (possibly interrupted) compactions reads back as the
    last value written for each (key, class): the model is a plain dict."""
    store = Store(tmp_path_factory.mktemp("s")).create()
    model = {}
    for op, a, b, c in sequence:
        if op == "write":
            store.write([_row(a, cls=b, objective_value=float(c))])
            model[(f"k{a:03d}", b)] = float(c)
        else:
            try:
                store.compact(_crash_after=a)
            except RuntimeError:
                pass
    got = store.read()
    values = got["objective_value"] if len(got) else []
    assert dict(zip(zip(got["key"], got["class"]), values)) == model
    assert not got.duplicated(["key", "class"]).any()


def _store_with_rows(tmp_path, n=3):
    path = tmp_path / "store"
    run_batch(fake_tasks(n), path, task_fn=fake_task, workers=0, progress=False, compact=False)
    return Store(path)


@pytest.mark.parametrize("damage", ["truncated", "zero-byte", "foreign"])
def test_a_damaged_part_file_is_quarantined_and_its_rows_run_again(tmp_path, damage):
    """Issue 14: one truncated or zero-byte part made resume and report fail with a pyarrow
    traceback, and a foreign Parquet file was merged as a junk row."""
    import pandas as pd

    store = _store_with_rows(tmp_path)
    parts = sorted(store.parts_dir.glob("*.parquet"))
    assert len(parts) == 6
    victim = parts[0]
    if damage == "truncated":
        victim.write_bytes(victim.read_bytes()[:40])
    elif damage == "zero-byte":
        victim.write_bytes(b"")
    else:
        victim.unlink()
        pd.DataFrame({"a": [1, 2]}).to_parquet(store.parts_dir / victim.name)
    with pytest.warns(UserWarning, match="quarantine"):
        rows = store.read()
    assert len(rows) == 5 and not rows.duplicated(["key", "class"]).any()
    assert (store.quarantine_dir / victim.name).exists()
    assert len(store.read()) == 5                           # quarantined once, read cleanly after
    # the report reads it, and a resume runs the lost task again: one row per (key, class)
    from click.testing import CliRunner

    from litedse.cli import main

    res = CliRunner().invoke(main, ["report", str(store.path), "--out", str(tmp_path / "report")])
    assert res.exit_code == 0, res.output
    summary = run_batch(fake_tasks(3), store.path, task_fn=fake_task, workers=0, progress=False, resume=True)
    assert summary.ran == 1
    final = pd.read_parquet(store.data_dir)                 # what any Parquet reader sees
    assert len(final) == 6 and not final.duplicated(["key", "class"]).any()


def test_a_second_writer_waits_for_no_one_and_exits_2(tmp_path):
    """Issue 14: two batch processes on one store both ran every task and left duplicates."""
    store = Store(tmp_path / "store")
    with store.lock():                                      # another batch holds the store
        with pytest.raises(InputError, match="another batch is writing"):
            run_batch(fake_tasks(1), store.path, task_fn=fake_task, workers=0, progress=False)
    run_batch(fake_tasks(1), store.path, task_fn=fake_task, workers=0, progress=False)   # free again
    assert len(store.read()) == 2
