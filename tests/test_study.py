"""Study files: grid and zip expansion, key paths, validation before anything runs, batch planning."""

from __future__ import annotations

from pathlib import Path

import pytest

from litedse.errors import InputError
from litedse.batch.study import build_task_instance, load_study, plan, set_key_path

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "instances" / "llama3-70b-serving.toml"
D0 = "technology.node.n4.defect_density_per_cm2"
CPO = "technology.interconnect.cpo.cost_usd_per_link"
DEMAND = "workload.0.demand_requests_per_s"


def _study(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'base = "{BASE}"\n' + body)
    return path


def test_grid_times_zip_in_order_with_values_reaching_the_resolved_instance(tmp_path):
    path = _study(tmp_path, f'[sweep.grid]\n"{D0}" = [0.05, 0.2]\n"{DEMAND}" = [100, 300, 900]\n'
                            f'[sweep.zip]\n"{CPO}" = [100.0, 400.0]\n"workload.0.ttft_s" = [2.0, 0.5]\n')
    study = load_study(path)
    assert study.sweep_keys == [D0, DEMAND, CPO, "workload.0.ttft_s"]
    assert len(study.points) == 2 * 3 * 2
    # last grid key fastest, zipped rows innermost and taken together
    assert [tuple(p.sweep.values()) for p in study.points[:3]] == [
        (0.05, 100, 100.0, 2.0), (0.05, 100, 400.0, 0.5), (0.05, 300, 100.0, 2.0)]
    assert study.points[-1].sweep == {D0: 0.2, DEMAND: 900, CPO: 400.0, "workload.0.ttft_s": 0.5}
    assert len({p.key for p in study.points}) == 12
    tasks = plan([str(path)], classes=["lite", "monolithic"])
    assert len(tasks) == 24 and {t["class"] for t in tasks} == {"lite", "monolithic"}
    inst = build_task_instance(tasks[-1])
    assert inst.technology["node"]["n4"]["defect_density_per_cm2"] == 0.2
    assert inst.technology["interconnect"]["cpo"]["cost_usd_per_link"] == 400.0
    assert inst.workloads[0].demand_requests_per_s == 900
    assert inst.workloads[0].ttft_s == 0.5
    assert inst.key() == tasks[-1]["key"]


def test_unknown_key_path_is_an_input_error_naming_study_and_key(tmp_path):
    path = _study(tmp_path, '[sweep.grid]\n"technology.silicon.defect_density_per_cm2" = [0.05, 0.1]\n')
    with pytest.raises(InputError) as err:
        plan([str(path)])
    assert err.value.file == str(path)
    assert err.value.key == "technology.silicon.defect_density_per_cm2"
    assert "unknown key" in str(err.value)


@pytest.mark.parametrize("body, key", [
    (f'[sweep.grid]\n"{D0}" = [0.1, -0.5]\n', D0),                                   # value out of range
    ('[sweep.grid]\n"workload.3.demand_requests_per_s" = [1.0]\n', "workload.3"),     # no 4th workload
    ('[sweep.grid]\n"workload.0.demand_per_s" = [1.0]\n', "workload.0.demand_per_s"),  # not a field
    (f'[sweep.zip]\n"{D0}" = [0.1, 0.2]\n"{CPO}" = [100.0]\n', "sweep.zip"),          # lengths differ
    (f'[sweep.grid]\n"{D0}" = []\n', D0),                                             # nothing to sweep
])
def test_bad_sweeps_fail_before_anything_runs(tmp_path, body, key):
    path = _study(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_study(path)
    assert err.value.file == str(path)
    assert key in str(err.value)


def test_set_key_path_creates_tables_but_not_array_entries():
    data = {"workload": [{"name": "a"}]}
    set_key_path(data, "technology.node.n4.defect_density_per_cm2", 0.07)
    set_key_path(data, "workload.0.ttft_s", 2.0)
    assert data == {"workload": [{"name": "a", "ttft_s": 2.0}],
                    "technology": {"node": {"n4": {"defect_density_per_cm2": 0.07}}}}
    with pytest.raises(ValueError, match="out of range"):
        set_key_path(data, "workload.1.ttft_s", 2.0)
    with pytest.raises(ValueError, match="not a table"):
        set_key_path(data, "workload.0.name.first", "x")


def test_plan_mixes_files_studies_and_globs_and_keeps_bad_files_as_tasks(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(BASE.read_text())
    (tmp_path / "broken.toml").write_text("name = 'x'\n[[workload]\nname=")          # TOML syntax error
    (tmp_path / "schema.toml").write_text("name = 'x'\n")                            # no workload
    study = _study(tmp_path, f'classes = ["lite"]\n[sweep.grid]\n"{DEMAND}" = [1000, 2000]\n', name="study.toml")
    tasks = plan([str(tmp_path / "*.toml")])
    by_source = {}
    for t in tasks:
        by_source.setdefault(Path(t["source"]).name, []).append(t)
    assert sorted(by_source) == ["broken.toml", "good.toml", "schema.toml", "study.toml"]
    assert [t.get("input_error") is not None for t in by_source["broken.toml"]] == [True]
    assert "workload" in by_source["schema.toml"][0]["input_error"]
    assert by_source["good.toml"][0]["class"] == "instance"
    assert [t["class"] for t in by_source["study.toml"]] == ["lite", "lite"]      # the study's own classes
    # point 0 of the study is the base instance itself: demand 1000 is already the base value
    assert by_source["study.toml"][0]["key"] == by_source["good.toml"][0]["key"]
    assert len(plan([str(good), str(good)])) == 1                                   # no repeats
    with pytest.raises(InputError, match="file not found"):
        plan([str(tmp_path / "missing.toml")])
    with pytest.raises(InputError, match="no file matches"):
        plan([str(tmp_path / "*.nothing")])
    assert {t["source"] for t in by_source["study.toml"]} == {str(study)}          # rows name the study file


def test_unknown_class_names_fail_at_planning(tmp_path):
    path = _study(tmp_path, f'classes = ["lite", "monolitic"]\n[sweep.grid]\n"{DEMAND}" = [100]\n')
    with pytest.raises(InputError, match="unknown design class.*monolitic"):
        plan([str(path)])
    assert len(plan([str(path)], classes=["lite", "monolithic", "h100"])) == 3


def test_shipped_study_is_valid_and_plans_27_points_times_2_classes(tmp_path):
    from click.testing import CliRunner

    from litedse.cli import main

    study = ROOT / "instances" / "studies" / "llama3-70b-defects-optics-demand.toml"
    result = CliRunner().invoke(main, ["batch", str(study), "--out", str(tmp_path / "s"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "54 solves planned" in result.output and "classes lite, monolithic" in result.output
    assert not (tmp_path / "s").exists()          # a dry run writes nothing
    tasks = plan([str(study)])
    assert len({t["key"] for t in tasks}) == 27


@pytest.mark.parametrize("study", sorted((ROOT / "instances" / "studies").glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_study_plans_lite_and_monolithic_points(study):
    tasks = plan([str(study)])
    assert tasks and {t["class"] for t in tasks} == {"lite", "monolithic"}
    assert len(tasks) == 2 * len({t["key"] for t in tasks})


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=10, deadline=None)
@given(d0=st.lists(st.sampled_from([0.02, 0.05, 0.1, 0.2, 0.3]), min_size=1, max_size=3, unique=True),
       demand=st.lists(st.integers(10, 5000), min_size=1, max_size=3, unique=True),
       zipped=st.integers(0, 3))
def test_points_are_the_product_each_combination_once(tmp_path_factory, d0, demand, zipped):
    tmp = tmp_path_factory.mktemp("study")
    body = f'[sweep.grid]\n"{D0}" = {d0}\n"{DEMAND}" = {demand}\n'
    ttft, cpo = [0.5 + i for i in range(zipped)], [100.0 * (i + 1) for i in range(zipped)]
    if zipped:
        body += f'[sweep.zip]\n"workload.0.ttft_s" = {ttft}\n"{CPO}" = {cpo}\n'
    study = load_study(_study(tmp, body))
    combos = [tuple(p.sweep.values()) for p in study.points]
    expected = [(a, b, *z) for a in d0 for b in demand for z in (list(zip(ttft, cpo)) or [()])]
    assert combos == expected
    assert len({p.key for p in study.points}) == len(expected)   # distinct values, distinct instances


def test_a_study_point_with_an_impossible_mapping_fails_the_dry_run(tmp_path):
    """Issue 14: a point with tp = [3] (not a divisor of the heads) passed `--dry-run`."""
    from pathlib import Path

    main_job = Path(__file__).resolve().parents[1] / "instances" / "llama3-70b-serving.toml"
    study = tmp_path / "s.toml"
    study.write_text(f'base = "{main_job}"\n[sweep.grid]\n"workload.0.mapping.tp" = [[1, 2], [3]]\n')
    with pytest.raises(InputError, match="mapping.tp"):
        load_study(study)
