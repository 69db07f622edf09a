"""Instance files: resolution of presets and overrides, range notation, and every kind of bad input
(exit code 2, one line naming file, key, value and expectation, no traceback)."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from litedse.cli import main
from litedse.errors import InputError
from litedse.inputs.instance import instance_from_dict, load_instance

GOOD = textwrap.dedent("""
    name = "t"
    [technology.node.n4]
    defect_density_per_cm2 = 0.05
    [design_space]
    die_area_mm2 = [200, 800, 100]
    hbm_stacks = [2, 6]
    links = [0, 16, 8]
    clock = [0.8, 1.0]
    [[workload]]
    name = "llama3-70b"
    kind = "serving"
    input_tokens = 1024
    output_tokens = 256
    demand_requests_per_s = 10
""")

WORKLOAD = GOOD[GOOD.index("[[workload]]"):]


def _write(tmp_path, text, name="inst.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_overrides_and_ranges_resolve(tmp_path):
    inst = load_instance(_write(tmp_path, GOOD))
    assert inst.technology["node"]["n4"]["defect_density_per_cm2"] == 0.05
    assert inst.technology_sources["node"]["n4"]["defect_density_per_cm2"].startswith("instance file")
    # an untouched value keeps the preset and its source
    assert inst.technology["node"]["n7"]["defect_density_per_cm2"] == 0.09
    assert "AnandTech" in inst.technology_sources["node"]["n7"]["defect_density_per_cm2"]
    ds = inst.design_space
    assert ds.die_area_mm2 == [200, 300, 400, 500, 600, 700, 800]
    assert ds.hbm_stacks == [2, 3, 4, 5, 6]          # two numbers: inclusive integer range
    assert ds.links == [0, 8, 16]                   # three numbers: start, stop, step
    assert ds.clock == [0.8, 1.0]                   # clock: always values
    assert ds.grid_size() == 7 * 2 * 5 * 1 * 3 * 2 * 2 * 3          # x 3 topologies by default


def test_table_range_notation_and_values():
    inst = instance_from_dict({"design_space": {"die_area_mm2": {"start": 100, "stop": 250, "step": 75},
                                                "links": {"values": [2, 4]}},
                               "workload": [_serving()]})
    assert inst.design_space.die_area_mm2 == [100, 175, 250]
    assert inst.design_space.links == [2, 4]


def test_new_collection_entry_needs_every_field():
    hbm5 = {"capacity_gb": 64.0, "bandwidth_gb_s": 3000.0, "energy_pj_per_bit": 2.5, "cost_usd_per_gb": 25.0,
            "phy_shoreline_mm": 12.0, "phy_area_mm2": 18.0, "footprint_mm2": 120.0, "failures_per_year": 0.007}
    inst = instance_from_dict({"technology": {"hbm": {"hbm5": hbm5}}, "design_space": {"hbm": ["hbm5"]},
                               "workload": [_serving()]})
    assert inst.technology["hbm"]["hbm5"]["bandwidth_gb_s"] == 3000.0
    partial = {k: v for k, v in hbm5.items() if k != "footprint_mm2"}
    with pytest.raises(InputError, match="footprint_mm2"):
        instance_from_dict({"technology": {"hbm": {"hbm5": partial}}, "workload": [_serving()]})


def test_key_is_stable_and_sensitive(tmp_path):
    a = load_instance(_write(tmp_path, GOOD, "a.toml"))
    b = load_instance(_write(tmp_path, GOOD, "b.toml"))
    c = load_instance(_write(tmp_path, GOOD.replace("0.05", "0.06"), "c.toml"))
    assert a.key() == b.key() != c.key()


def test_check_prints_resolved_json(tmp_path):
    res = CliRunner().invoke(main, ["check", str(_write(tmp_path, GOOD)), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["technology"]["values"]["node"]["n4"]["defect_density_per_cm2"] == 0.05
    assert doc["design_space"]["grid_skus"] == 7 * 2 * 5 * 3 * 2 * 2 * 3
    assert doc["workload"][0]["input_tokens"] == 1024


def _serving(**extra):
    return {"name": "llama3-70b", "kind": "serving", "input_tokens": 1024, "output_tokens": 256,
            "demand_requests_per_s": 10, **extra}


# (file text, substrings the one-line message must contain)
BAD = {
    "toml_syntax": ("name = \n[design_space", ["TOML syntax error", "line 1"]),
    "unknown_top_key": ("desing_space = {}\n" + WORKLOAD, ["desing_space", "did you mean 'design_space'"]),
    "unknown_workload_key": (WORKLOAD + "input_token = 5\n", ["workload.0.input_token", "did you mean 'input_tokens'"]),
    "unknown_technology_key": ("[technology.node.n4]\ndefect_density = 0.1\n" + WORKLOAD,
                               ["technology.node.n4.defect_density", "did you mean 'defect_density_per_cm2'"]),
    "unknown_technology_section": ("[technology.silicom]\nx = 1\n" + WORKLOAD, ["technology.silicom", "did you mean 'silicon'"]),
    "wrong_type_technology": ("[technology.silicon]\nwafer_diameter_mm = \"big\"\n" + WORKLOAD,
                              ["technology.silicon.wafer_diameter_mm", "'big'", "a number"]),
    "wrong_type_workload": (WORKLOAD.replace("input_tokens = 1024", "input_tokens = \"long\""),
                            ["workload.0.input_tokens", "'long'"]),
    "negative_technology": ("[technology.node.n4]\nwafer_cost_usd = -5.0\n" + WORKLOAD,
                            ["technology.node.n4.wafer_cost_usd", "-5.0", ">= 0"]),
    "negative_demand": (WORKLOAD.replace("demand_requests_per_s = 10", "demand_requests_per_s = -10"),
                        ["workload.0.demand_requests_per_s", "-10", "greater than 0"]),
    "fraction_out_of_range": ("[technology.power]\naverage_utilization = 1.5\n" + WORKLOAD,
                              ["technology.power.average_utilization", "1.5", "fraction"]),
    "unknown_preset": ("[technology]\npreset = \"n2-future\"\n" + WORKLOAD, ["technology.preset", "n2-future", "default"]),
    "unknown_enum": ("[technology.silicon]\nyield_model = \"gauss\"\n" + WORKLOAD, ["yield_model", "gauss", "poisson"]),
    "unknown_hbm": ("[design_space]\nhbm = [\"hbm9\"]\n" + WORKLOAD, ["design_space.hbm", "hbm9", "hbm3e-12hi"]),
    "bad_range": ("[design_space]\ndie_area_mm2 = [800, 100, 50]\n" + WORKLOAD, ["design_space.die_area_mm2", "start <= stop"]),
    "negative_area": ("[design_space]\ndie_area_mm2 = [-100]\n" + WORKLOAD, ["design_space.die_area_mm2", "-100"]),
    "bad_interconnect": ("[design_space]\ninterconnect = [\"copper\"]\n" + WORKLOAD, ["design_space.interconnect", "copper"]),
    "no_workload": ("name = \"x\"\n", ["workload", "at least one"]),
    "missing_kind_field": (WORKLOAD.replace("output_tokens = 256\n", ""), ["workload.0.output_tokens", "serving"]),
    "missing_demand": (WORKLOAD.replace("demand_requests_per_s = 10\n", ""), ["workload.0", "demand"]),
    "bad_kind": (WORKLOAD.replace("\"serving\"", "\"chatting\""), ["workload.0.kind", "chatting"]),
    "duplicate_workload": (WORKLOAD + WORKLOAD, ["workload.1.name", "duplicate"]),
    "bad_objective": ("[objective]\nminimize = \"speed\"\n" + WORKLOAD, ["objective.minimize", "speed"]),
    "negative_budget": ("[constraints]\nbudget_usd = -1\n" + WORKLOAD, ["constraints.budget_usd", "-1"]),
    "pue_below_one": ("[technology.power]\npue = 0.9\n" + WORKLOAD, ["technology.power.pue", "0.9", ">= 1"]),
    "bad_mapping_key": (WORKLOAD + "[workload.mapping]\ntpp = [1]\n", ["workload.0.mapping.tpp", "did you mean 'tp'"]),
    "zero_mapping": (WORKLOAD + "[workload.mapping]\ntp = [0]\n", ["workload.0.mapping.tp.0", "0"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_instance_exit_2_one_line(tmp_path, case):
    text, needles = BAD[case]
    path = _write(tmp_path, text)
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2, (case, res.output)
    err = res.stderr.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith(f"error: {path}"), err
    for needle in needles:
        assert needle in err, (case, err)
    assert res.stdout == ""  # nothing half-written


def test_missing_file_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["check", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2
    assert res.stderr.strip() == f"error: {tmp_path / 'nope.toml'}: file not found"


def test_bad_input_via_python_m_has_no_traceback(tmp_path):
    import subprocess
    import sys

    path = _write(tmp_path, BAD["unknown_top_key"][0])
    proc = subprocess.run([sys.executable, "-m", "litedse", "check", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "did you mean" in proc.stderr


def _main_job():
    from litedse.inputs.instance import read_instance_toml

    return read_instance_toml("instances/llama3-70b-serving.toml")


@pytest.mark.parametrize("change, key, needle", [
    (lambda d: d.setdefault("performance", {}).setdefault("stack", {}).setdefault("batching", {}).update(
        batch_values=[-4]), "performance.stack.batching.batch_values", "positive integers"),
    (lambda d: d.setdefault("performance", {}).setdefault("stack", {}).setdefault("batching", {}).update(
        mode="dynamic"), "performance.stack.batching.mode", "inflight"),
    (lambda d: d.setdefault("performance", {}).update(serving_stack="tgi-2022"), "performance.serving_stack",
     "trtllm-2025"),
    (lambda d: d.setdefault("performance", {}).setdefault("efficiency", {}).update(scaleup_network=1.5),
     "performance.efficiency.scaleup_network", "fraction"),
    (lambda d: d.setdefault("performance", {}).setdefault("stack", {}).setdefault("efficiency", {}).setdefault("default", {}).update(hbm=0.0),
     "performance.stack.efficiency.default.hbm", "(0, 1]"),
    (lambda d: d["workload"][0].update(output_tokens=True), "workload.0.output_tokens", "true/false"),
    (lambda d: d["workload"][0].update(demand_requests_per_s=True), "workload.0.demand_requests_per_s", "true/false"),
    (lambda d: d["workload"][0].update(model={"layers": 80, "hidden": 100, "heads": 3000, "vocab": 1000}),
     "workload.0.model", "must divide hidden"),
    (lambda d: d["workload"][0].update(model={"layers": 80, "hidden": 8192, "heads": 64, "kv_heads": 6, "vocab": 1000}),
     "workload.0.model", "kv_heads"),
    (lambda d: d["workload"][0].setdefault("mapping", {}).update(tp=[3]), "workload.0.mapping.tp", "divide the attention heads"),
    # found by tests/test_fuzz_inputs.py: an infinite stack count crashed the integer check
    (lambda d: d["design_space"].update(hbm_stacks=float("inf")), "design_space.hbm_stacks", "integers"),
])
def test_wrong_values_that_were_read_as_right_ones_are_refused(change, key, needle):
    """Issue 14's wrong-answer inputs: each is one InputError naming the file, the key and the value."""
    data = _main_job()
    change(data)
    with pytest.raises(InputError) as err:
        instance_from_dict(data, source="main.toml")
    text = str(err.value)
    assert text.startswith(f"main.toml: {key}") and needle in text and "\n" not in text, text


def test_a_design_space_too_large_to_evaluate_is_refused_at_load_with_its_estimate():
    """Issue 14: a 12M-SKU space reached 8 GiB in two minutes while `check` called it valid."""
    data = _main_job()
    data["design_space"]["die_area_mm2"] = [100, 800, 0.05]          # 14,001 areas
    with pytest.raises(InputError) as err:
        instance_from_dict(data, source="main.toml")
    assert "design space too large" in str(err.value) and "GB" in str(err.value)
    data["design_space"]["max_grid_skus"] = 10 ** 8                   # raised on purpose: accepted
    assert instance_from_dict(data, source="main.toml").design_space.grid_size() > 2_000_000


def test_too_many_columns_are_refused_before_any_evaluation_with_the_estimate():
    """Issue 14's resource guard on time: SKUs x mappings above design_space.max_columns is one
    line with the column count (3,816 SKUs x 35 mappings of the main job) and an estimated time."""
    from litedse.columns.build import build

    data = _main_job()
    data["design_space"]["max_columns"] = 100_000
    with pytest.raises(InputError) as err:
        build(instance_from_dict(data, source="main.toml"))
    text = str(err.value)
    assert text.startswith("main.toml: design_space.max_columns") and "133560" in text and "3,816 SKUs x 35" in text
    assert "\n" not in text
