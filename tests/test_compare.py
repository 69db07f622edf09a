"""Design classes and the Lite vs monolithic comparison (litedse.inputs.classes, litedse.results.compare, the
compare and pareto CLIs)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from litedse.inputs.classes import parse_class_list, resolve_class
from litedse.results.compare import compare_instance
from litedse.results.documents import SOLVE_SCHEMA_VERSION
from litedse.errors import InputError
from litedse.inputs.instance import instance_from_dict, read_instance_toml
from litedse.solve import solve_instance

INSTANCE = "instances/llama3-70b-serving.toml"


SMALL_GRID = {"die_area_mm2": [200, 300, 700, 800], "hbm_stacks": [2, 4, 6, 8], "links": [0, 8]}
# reliability.repair_hours of presets/technology/default.toml ("assumption"), which INSTANCE keeps
REPAIR_H = 4.0


def small_data():
    """The README's main job on a 4 x 2 x 4 x 2 grid (fast enough for tests)."""
    d = read_instance_toml(INSTANCE)
    d["design_space"].update({**{k: list(v) for k, v in SMALL_GRID.items()}, "dies_per_package": [1, 2]})
    return d


def small_toml(path):
    """INSTANCE's file with SMALL_GRID's axes written in, at ``path`` (for the CLIs)."""
    text = open(INSTANCE).read()
    for key, values in SMALL_GRID.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {values}", text)
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def inst():
    return instance_from_dict(small_data())


@pytest.fixture(scope="module")
def comp(inst):
    return compare_instance(inst, ["lite", "monolithic", "free", "h100"], threads=1)


def test_classes_filter_the_instance_grid(inst):
    lite = resolve_class(inst, "lite")
    assert lite.design_space["die_area_mm2"] == [200.0, 300.0]          # <= 300 mm^2 (classes.toml)
    assert lite.design_space["dies_per_package"] == [1] and lite.design_space["interconnect"] == ["cpo"]
    mono = resolve_class(inst, "monolithic")
    assert mono.design_space["die_area_mm2"] == [700.0, 800.0]         # >= 600 mm^2
    assert mono.design_space["interconnect"] == ["electrical"]
    assert "dies_per_package" not in mono.design_space                # one or two dies
    assert resolve_class(inst, "free").solve_kwargs() == {"design_space": None}
    assert resolve_class(inst, "h100").solve_kwargs() == {"sku": "h100"}
    assert all(lite.sources[k] for k in ("die_area_mm2_max", "dies_per_package", "interconnect"))


def test_instance_class_tables_override_the_presets():
    d = small_data()
    d["classes"] = {"lite": {"die_area_mm2": [200]}, "quarter": {"sku": "b200"}}
    inst = instance_from_dict(d)
    lite = resolve_class(inst, "lite")
    assert lite.design_space["die_area_mm2"] == [200.0]
    assert lite.sources["die_area_mm2"] == "instance file" and "die_area_mm2_max" not in lite.sources
    assert lite.design_space["interconnect"] == ["cpo"]               # preset keys not overridden stay
    assert resolve_class(inst, "quarter").solve_kwargs() == {"sku": "b200"}
    assert parse_class_list("lite,quarter", inst) == ["lite", "quarter"]


def test_unknown_class_and_empty_filter_are_input_errors(inst):
    with pytest.raises(InputError):
        parse_class_list("lite,tiny", inst)
    d = small_data()
    d["design_space"]["die_area_mm2"] = [400, 500]
    with pytest.raises(InputError, match="keeps no die_area_mm2"):
        resolve_class(instance_from_dict(d), "lite")


def test_each_class_is_its_own_optimal_solve(inst, comp):
    for name in ("lite", "h100"):
        ref = solve_instance(inst, threads=1, **resolve_class(inst, name).solve_kwargs())
        assert comp.classes[name].metrics["capex_usd"] == pytest.approx(ref.solution.capex_usd, rel=1e-9)
    # free contains lite and monolithic (their axes are subsets of the instance's): never worse
    free = comp.classes["free"].metrics["objective"]
    assert free <= comp.classes["lite"].metrics["objective"] * (1 + 1e-9)
    assert free <= comp.classes["monolithic"].metrics["objective"] * (1 + 1e-9)
    lite_doc = comp.classes["lite"].doc
    assert all(d["die_area_mm2"] <= 300 and d["dies_per_package"] == 1 and d["interconnect"] == "cpo"
               for d in lite_doc["designs"])
    assert all(d["die_area_mm2"] >= 600 and d["interconnect"] == "electrical"
               for d in comp.classes["monolithic"].doc["designs"])


def test_metrics_and_ratios_by_hand(comp):
    for name, cr in comp.classes.items():
        doc, m = cr.doc, cr.metrics
        # silicon, stacks, links: packages x per-package figures of the design card
        assert m["silicon_area_mm2"] == pytest.approx(sum(d["packages"] * d["dies_per_package"] * d["die_area_mm2"]
                                                          for d in doc["designs"]))
        assert m["hbm_stacks"] == sum(d["packages"] * d["hbm_stacks"] for d in doc["designs"])
        assert m["packages"] == doc["totals"]["packages"]
        w = doc["workloads"][0]
        assert m["capacity_share_per_failure"] == pytest.approx(1.0 / w["replicas"])
        assert m["usd_per_throughput"] == pytest.approx(doc["totals"]["capex_usd"] / w["throughput"])
        # expected replica downtime: packages per replica x failures/yr x repair hours
        per_replica = w["packages"] / w["replicas"]
        assert m["blast_radius_h_per_yr"] == pytest.approx(per_replica * doc["designs"][0]["failures_per_year"] * REPAIR_H)
        # breakdowns add up to the totals
        assert sum(cr.cost_breakdown.values()) == pytest.approx(doc["totals"]["capex_usd"], rel=1e-9)
        assert sum(cr.power_breakdown.values()) == pytest.approx(doc["totals"]["facility_power_w"], rel=1e-9)
        assert cr.cost_breakdown["nre"] == pytest.approx(0.0, abs=1e-3)   # include_nre is off
    r = comp.ratios()
    base = comp.classes["monolithic"].metrics
    for name, cr in comp.classes.items():
        assert r[name]["capex_usd"] == pytest.approx(cr.metrics["capex_usd"] / base["capex_usd"])
        assert r[name]["facility_power_w"] == pytest.approx(cr.metrics["facility_power_w"] / base["facility_power_w"])
    assert r["monolithic"]["tco_usd"] == 1.0


def test_compare_cli_json_csv_table():
    from litedse.cli import main

    runner = CliRunner()
    res = runner.invoke(main, ["compare", INSTANCE, "--classes", "lite,h100", "--baseline", "h100",
                               "--format", "json", "--threads", "1"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["classes"]) == {"lite", "h100"} and doc["baseline"] == "h100"
    for name, c in doc["classes"].items():
        assert c["schema_version"] == SOLVE_SCHEMA_VERSION and c["status"] == "optimal" and c["designs"]
        assert doc["ratios"][name]["capex_usd"] == pytest.approx(
            c["totals"]["capex_usd"] / doc["classes"]["h100"]["totals"]["capex_usd"])
    csv = runner.invoke(main, ["compare", INSTANCE, "--classes", "lite,h100", "--baseline", "h100",
                               "--format", "csv", "--threads", "1"])
    df = pd.read_csv(io.StringIO(csv.stdout))
    assert list(df["class"]) == ["lite", "h100"]
    assert df.set_index("class").loc["lite", "capex_usd"] == pytest.approx(doc["classes"]["lite"]["totals"]["capex_usd"])
    bad = runner.invoke(main, ["compare", INSTANCE, "--classes", "lite,nope"])
    assert bad.exit_code == 2 and "nope" in bad.output and "Traceback" not in bad.output


def test_pareto_cli_table_is_the_plot(tmp_path):
    from litedse.cli import main

    path = small_toml(tmp_path / "small.toml")
    out, plot = tmp_path / "front.csv", tmp_path / "front.svg"
    res = CliRunner().invoke(main, ["pareto", str(path), "--x", "cost", "--y", "power", "--out", str(out),
                                    "--plot", str(plot), "--threads", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    doc = json.loads(res.stdout)
    assert len(df) == sum(len(c["points"]) for c in doc["classes"].values()) >= 2
    assert plot.read_text().lstrip().startswith(("<?xml", "<svg"))
    for name, c in doc["classes"].items():
        got = df[df["class"] == name][["cost", "power"]].to_numpy()
        want = np.array([[p["values"]["cost"], p["values"]["power"]] for p in c["points"]])
        assert np.allclose(np.sort(got, axis=0), np.sort(want, axis=0), rtol=1e-12)


def test_instance_front_points_resolve_to_themselves(inst):
    """On a real instance: each point of the (SKU-bound pruned) front, re-solved on the full model
    with its own y as the epsilon bound, is feasible and has the same x; no point dominates another."""
    from litedse.optimize.milp import ParetoModel
    from litedse.optimize.pareto import pareto_front
    from litedse.optimize.problem import blast_radius_per_column
    from litedse.optimize.verify import verify
    from litedse.results.fronts import instance_problem

    for name, (x, y) in (("monolithic", ("cost", "blast_radius")), ("free", ("cost", "blast_radius"))):
        p = instance_problem(inst, x, y, resolve_class(inst, name))
        front = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1)
        assert front.complete and len(front.points) >= 2
        v = np.array([[pt.values[x], pt.values[y]] for pt in front.points])
        assert np.all(np.diff(v[:, 0]) > 0) and np.all(np.diff(v[:, 1]) < 0)   # sorted, strictly trading off
        for pt in front.points:
            pm = ParetoModel(p, x, y, blast_radius_per_column(p, REPAIR_H))
            pm.set_pareto_bound(y, pt.values[y])
            sol = pm.solve(threads=1)
            assert sol.feasible and verify(p, pt.solution) == []
            got = {"cost": sol.capex_usd, "power": sol.facility_power_w}[x]
            assert got == pytest.approx(pt.values[x], rel=1e-7)


def test_every_class_preset_value_has_a_source():
    import tomllib
    from importlib import resources

    tree = tomllib.loads(resources.files("litedse.presets").joinpath("classes.toml").read_text())
    assert {"lite", "monolithic", "free"} <= set(tree)
    for name, table in tree.items():
        for key, leaf in table.items():
            assert {"value", "source"} <= set(leaf) <= {"value", "source", "range", "distribution", "range_source"}, (name, key)
            assert leaf["source"].strip(), (name, key)


def test_an_unknown_baseline_exits_2_before_any_solve():
    """Issue 14: `compare --baseline h900` exited 0 with ratios to nothing."""
    res = CliRunner().invoke(main_cli(), ["compare", INSTANCE, "--baseline", "h900"])
    assert res.exit_code == 2 and "--baseline" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def main_cli():
    from litedse.cli import main

    return main
