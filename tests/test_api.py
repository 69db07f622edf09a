"""The public Python API (litedse/__init__.py, litedse/api.py): what it returns, that it is what
the CLI prints, and that deriving an instance never changes its source."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litedse
from litedse.cli import main

INSTANCE = "instances/llama3-70b-serving.toml"
HBM_PRICE = "technology.hbm.hbm3e-12hi.cost_usd_per_gb"


@pytest.fixture(scope="module")
def inst():
    return litedse.load(INSTANCE)


def test_load_override_compare_in_a_few_lines_equals_the_cli(inst):
    # the acceptance test: at most 10 lines of API calls
    cheap = inst.with_overrides({HBM_PRICE: 10.0})
    table = litedse.compare(cheap, ["lite", "monolithic"]).table
    capex = table.loc["capex_usd"]
    # the same instance and override through the CLI's JSON
    out = CliRunner().invoke(main, ["compare", INSTANCE, "--classes", "lite,monolithic", "--format", "json",
                                    "--set", f"{HBM_PRICE}=10"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert isinstance(table, pd.DataFrame) and list(table.columns) == ["lite", "monolithic"]
    for name in ("lite", "monolithic"):
        assert capex[name] == doc["classes"][name]["totals"]["capex_usd"]
    # and the override did something: cheaper HBM makes both clusters cheaper than the shipped price
    shipped = CliRunner().invoke(main, ["compare", INSTANCE, "--classes", "lite,monolithic", "--format", "json"])
    base = json.loads(shipped.stdout)
    for name in ("lite", "monolithic"):
        assert capex[name] < base["classes"][name]["totals"]["capex_usd"]


def test_the_exports_are_the_documented_api():
    assert set(litedse.__all__) == {"__version__", "load", "Instance", "solve", "Solution", "compare", "Comparison",
                                    "pareto", "evaluate", "sensitivity", "uncertainty", "report", "InputError", "InfeasibleError",
                                    "InternalError", "SolverError", "LitedseError"}
    for name in litedse.__all__:
        assert getattr(litedse, name) is not None
        assert getattr(litedse, name).__doc__ or name == "__version__"
    # the submodule litedse/solve.py does not shadow the function once imported
    from litedse.solve import solve_instance  # noqa: F401

    assert callable(litedse.solve) and litedse.solve.__module__ == "litedse.api"


def test_solve_returns_frames_that_agree_with_its_document(inst):
    sol = litedse.solve(inst, design_class="monolithic")
    doc = json.loads(sol.to_json())
    assert sol.status == doc["status"] == "optimal"
    assert sol.objective == doc["objective"]["value"] == doc["totals"]["capex_usd"]
    assert len(sol.designs) == len(doc["designs"]) and sol.designs["packages"].sum() == doc["totals"]["packages"]
    wl = sol.workloads.iloc[0]
    assert wl["replicas"] * wl["throughput_per_replica"] == pytest.approx(wl["throughput"])
    assert wl["throughput"] >= wl["demand"]
    assert wl["tp"] == doc["workloads"][0]["mapping"]["tp"]
    assert sol.totals["facility_power_w"] == doc["totals"]["facility_power_w"]
    # the breakdown adds up to the totals
    assert sol.breakdown["capex_usd"].sum() == pytest.approx(sol.totals["capex_usd"], rel=1e-9)
    assert sol.breakdown["power_w"].sum() == pytest.approx(sol.totals["facility_power_w"], rel=1e-9)
    # a class restricts the space: the free optimum is no worse than the monolithic one
    assert litedse.solve(inst).objective <= sol.objective * (1 + 1e-9)


def test_pareto_and_evaluate_return_frames(inst):
    small = inst.with_overrides({"design_space.die_area_mm2": [200, 800], "design_space.hbm_stacks": [4, 8],
                                 "design_space.links": [0, 8]})
    df = litedse.pareto(small, "cost", "power", ["monolithic"], points=3)
    assert set(df["class"]) == {"monolithic"} and len(df) >= 1
    front = df.attrs["fronts"]["monolithic"]
    assert front["status"] == "optimal" and len(front["points"]) == len(df) and front["mode"] == "grid3"
    # points of a front are non-dominated: sorted by cost, power never rises
    d = df.sort_values("cost")
    assert (d["power"].diff().dropna() <= 1e-6 * d["power"].max()).all()
    ev = litedse.evaluate(inst, "h100", tp=2)
    assert list(ev["name"]) == [w.name for w in inst.workloads] and (ev["tp"] == 2).all()
    assert ev.attrs["sku"]["name"] == "h100" and ev.attrs["sku"]["peak_tflops_bf16"] == pytest.approx(989, rel=0.01)


def test_a_bad_override_is_one_input_error_naming_the_key(inst):
    with pytest.raises(litedse.InputError, match="no_such_section"):
        inst.with_overrides({"technology.no_such_section.x": 1.0})
    with pytest.raises(litedse.InputError, match="workload.5"):
        inst.with_overrides({"workload.5.demand_requests_per_s": 1.0})
    out = CliRunner().invoke(main, ["solve", INSTANCE, "--set", "technology.hbm.hbm3e-12hi.cost_usd_per_gb"])
    assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1 and "--set" in out.stderr


def test_instances_are_frozen(inst):
    with pytest.raises(AttributeError):
        inst.name = "other"


# ---- with_overrides never mutates its source -----------------------------------------------------

def _leaf_paths(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaf_paths(v, prefix + (k,))
    elif isinstance(tree, list) and tree and all(isinstance(v, dict) for v in tree):
        for i, v in enumerate(tree):
            yield from _leaf_paths(v, prefix + (i,))
    else:
        yield prefix


@pytest.fixture(scope="module")
def key_paths(inst):
    tech = [".".join(map(str, ("technology",) + p)) for p in _leaf_paths(inst.technology)]
    own = [".".join(map(str, p)) for p in _leaf_paths(inst.data) if p and p[0] != "technology"]
    return sorted(tech) + sorted(own) + ["technology.new_table.x", "workload.3.name", "design_space.links.0"]


VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**6), st.text(max_size=5),
                   st.booleans(), st.lists(st.integers(0, 64), max_size=3), st.just({"a": [1, {"b": 2}]}))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_with_overrides_never_mutates_its_source(inst, key_paths, data):
    paths = data.draw(st.lists(st.sampled_from(key_paths), min_size=1, max_size=3, unique=True))
    overrides = {p: data.draw(VALUES) for p in paths}
    before = (copy.deepcopy(inst.data), copy.deepcopy(inst.technology), copy.deepcopy(inst.resolved()), inst.key())
    given_overrides = copy.deepcopy(overrides)
    try:
        new = inst.with_overrides(overrides)
    except litedse.InputError:
        new = None
    assert (inst.data, inst.technology, inst.resolved(), inst.key()) == before
    assert _same(overrides, given_overrides)          # nor its argument
    if new is not None:
        assert new is not inst and new.overrides == {**inst.overrides, **overrides}
        # the new instance shares no table with its source: changing it leaves the source alone
        new.technology["hbm"]["hbm3e-12hi"]["cost_usd_per_gb"] = -1.0
        new.data.setdefault("technology", {})["poked"] = True
        assert (inst.data, inst.technology, inst.key()) == (before[0], before[1], before[3])


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def test_the_readme_python_example_runs_and_prints_its_verdict(capsys):
    text = open("README.md").read()
    block = text[text.index("<!-- api-example:start -->"):text.index("<!-- api-example:end -->")]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    printed = block.split("prints\n\n```\n", 1)[1].split("```", 1)[0].splitlines()
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == printed[0]                    # the verdict sentence
    assert out[-3:] == printed[-3:]                # the lite solve: status, objective, workload row


TINY = {"design_space.die_area_mm2": [300, 800], "design_space.hbm_stacks": [2, 4], "design_space.links": [0],
        "design_space.topology": ["switched"]}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=st.floats(2.0, 30.0), rise=st.floats(0.0, 20.0))
def test_a_dearer_hbm_never_makes_an_optimum_cheaper(inst, low, rise):
    tiny = inst.with_overrides(TINY)
    cheap = litedse.solve(tiny.with_overrides({HBM_PRICE: low}), design_class="monolithic")
    dear = litedse.solve(tiny.with_overrides({HBM_PRICE: low + rise}), design_class="monolithic")
    assert dear.objective >= cheap.objective * (1 - 1e-9)
    if rise > 0.01:   # every design of this space holds HBM (2 or 4 stacks): a real rise costs something
        assert dear.objective > cheap.objective


def test_sensitivity_through_the_api_equals_the_command():
    """litedse.sensitivity is what `litedse sensitivity --format json` prints (one price, two classes)."""
    path = "instances/paper/llama3-70b.toml"
    key = "technology.host.cost_usd"
    frame = litedse.sensitivity(litedse.load(path), ["lite", "h100"], params=[key])
    res = CliRunner().invoke(main, ["sensitivity", path, "--classes", "lite,h100", "--params", key, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    row = doc["parameters"][0]
    assert row["key"] == key and frame.attrs["ratio"] == doc["ratio"]
    assert frame.loc[frame["key"] == key, "ratio_low"].item() == row["ratio_low"]
    assert frame.loc[frame["key"] == key, "ratio_high"].item() == row["ratio_high"]
