"""Uncertainty declarations: every assumption or low-confidence preset value has a valid range, the
loader refuses bad ranges naming file and key, and an instance's [uncertainty] table overrides or
adds ranges (bad entries: exit 2, one line)."""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from litedse import presets
from litedse.cli import main
from litedse.errors import InputError
from litedse.inputs.instance import instance_from_dict, load_instance
from litedse.inputs.points import with_values
from litedse.inputs.uncertainty import parameters

BASE = textwrap.dedent("""
    name = "u"
    [technology.node.n4]
    defect_density_per_cm2 = 0.05
    [design_space]
    die_area_mm2 = [200, 800, 200]
    hbm_stacks = [2, 6]
    [[workload]]
    name = "llama3-70b"
    kind = "serving"
    input_tokens = 1024
    output_tokens = 256
    demand_requests_per_s = 10
""")
PRESETS = (("technology", "default"), ("", "catalog"), ("", "classes"))
MARKS = ("assumption", "low confidence", "uncertain", "[nf]")


def _leaves(tree, prefix=()):
    for key, node in tree.items():
        if isinstance(node, dict) and "value" in node:
            yield ".".join(prefix + (key,)), node
        elif isinstance(node, dict):
            yield from _leaves(node, prefix + (key,))


@pytest.mark.parametrize("kind,name", PRESETS)
def test_every_assumption_has_a_range_with_its_source(kind, name):
    declared = presets.ranges(kind, name)
    for path, leaf in _leaves(presets._read(kind, name)):
        value = leaf["value"]
        numeric = isinstance(value, float)  # integer counts carry no range (documented)
        if numeric and any(m in leaf["source"].lower() for m in MARKS):
            assert path in declared, path
        if path in declared:
            rng = declared[path]
            assert rng.low <= value <= rng.high and rng.low < rng.high, path
            assert rng.source.strip(), path


def test_bad_preset_range_names_file_and_key():
    node = {"value": 5.0, "source": "x", "range": [6.0, 9.0], "range_source": "assumption"}
    with pytest.raises(InputError, match=r"default\.toml: a\.b: default outside its range \(got 5\.0\)"):
        presets.ranges_of_tree({"a": {"b": node}}, file="default.toml")
    for bad, needle in (({"range": [9.0, 6.0]}, "low > high"), ({"range": [1.0]}, "bad range"),
                        ({"distribution": "normal"}, "unknown distribution"), ({"range_source": ""}, "without its source"),
                        ({"range": [0.0, 9.0], "distribution": "loguniform"}, "must be positive")):
        with pytest.raises(InputError, match=needle):
            presets.ranges_of_tree({"a": {"b": {**node, "range": [1.0, 9.0], **bad}}}, file="f.toml")


def test_instance_ranges_preset_override_and_fixed_values(tmp_path):
    path = tmp_path / "u.toml"
    path.write_text(BASE + textwrap.dedent("""
        [uncertainty]
        "technology.host.cost_usd" = [10000.0, 30000.0]
        "technology.node.n4.defect_density_per_cm2" = { range = [0.03, 0.1], distribution = "triangular" }
    """))
    inst = load_instance(path)
    host = inst.uncertainty["technology.host.cost_usd"]
    assert (host.low, host.high, host.distribution) == (10000.0, 30000.0, "uniform")
    assert host.source == f"instance file {path}"
    d0 = inst.uncertainty["technology.node.n4.defect_density_per_cm2"]
    assert (d0.low, d0.high, d0.distribution) == (0.03, 0.1, "triangular")
    # untouched preset range in force; the key excludes ranges
    assert inst.uncertainty["technology.interconnect.cpo.cost_usd_per_link"].high == 600.0
    assert inst.key() == load_instance(_plain(tmp_path)).key()
    # without the table, the instance's 0.05 lies outside the preset's [0.06, 0.12]: fixed, not uncertain
    assert "technology.node.n4.defect_density_per_cm2" not in load_instance(_plain(tmp_path)).uncertainty


def _plain(tmp_path):
    p = tmp_path / "plain.toml"
    p.write_text(BASE)
    return p


@pytest.mark.parametrize("entry,needle", [
    ('"technology.host.cost_usdd" = [1.0, 2.0]', "unknown key path (did you mean 'technology.host.cost_usd'?)"),
    ('"workload.0.input_tokens" = [1.0, 2.0]', "unknown key path"),
    ('"technology.host.cost_usd" = [30000.0, 10000.0]', "range low > high"),
    ('"technology.host.cost_usd" = [20000.0, 30000.0]', "default outside its range (got 14000.0)"),
    ('"technology.power.average_utilization" = [0.5, 1.5]', "expected a fraction in [0, 1]"),
    ('"technology.host.pcie_lanes" = [64, 256]', "integer parameters are not supported"),
    ('"technology.host" = [1.0, 2.0]', "not a number"),
])
def test_bad_uncertainty_entry_exit_2_one_line(tmp_path, entry, needle):
    path = tmp_path / "bad.toml"
    path.write_text(BASE + "[uncertainty]\n" + entry + "\n")
    res = CliRunner().invoke(main, ["check", str(path)])
    assert res.exit_code == 2
    line = res.output.strip()
    assert "\n" not in line and "Traceback" not in line
    assert str(path) in line and "uncertainty." in line and needle in line, line


def test_with_values_copies_and_checks_the_range(tmp_path):
    inst = load_instance(_plain(tmp_path))
    out = with_values(inst, {"technology.host.cost_usd": 9000.0})
    assert out.technology["host"]["cost_usd"] == 9000.0 and inst.technology["host"]["cost_usd"] == 14000.0
    assert out.key() != inst.key()
    with pytest.raises(InputError, match="outside its range"):
        with_values(inst, {"technology.host.cost_usd": 1.0})
    with pytest.raises(InputError, match="did you mean 'technology.host.cost_usd'"):
        parameters(inst, ["technology.host.cost_usdd"])
    p = parameters(inst, ["technology.host.cost_usd"])[0]
    assert (p.default, p.unit) == (14000.0, "USD")


def test_check_json_lists_the_ranges(tmp_path):
    import json

    res = CliRunner().invoke(main, ["check", str(_plain(tmp_path)), "--format", "json"])
    assert res.exit_code == 0, res.output
    unc = json.loads(res.output)["uncertainty"]
    assert unc["technology.host.cost_usd"] == {"low": 8000.0, "high": 25000.0, "distribution": "uniform",
                                              "range_source": presets.ranges("technology", "default")["host.cost_usd"].source}


def test_instance_from_dict_table_must_be_a_table():
    import tomllib

    raw = tomllib.loads(BASE)
    raw["uncertainty"] = ["technology.host.cost_usd"]
    with pytest.raises(InputError, match="uncertainty"):
        instance_from_dict(raw)


def test_serving_stack_ranges_are_read_under_performance_stack(monkeypatch):
    """The loader is ready for ranges in the performance and serving-stack presets (the lead adds
    them): a declared range appears under its instance key path."""
    import tomllib

    declared = presets.Range(low=0.5, high=1.0, source="test")
    real = presets.ranges

    def fake(kind, name):
        if kind == "serving":
            return {"kv_cache.pool_fraction": declared}
        return real(kind, name)

    monkeypatch.setattr(presets, "ranges", fake)
    inst = instance_from_dict(tomllib.loads(BASE))
    assert inst.uncertainty["performance.stack.kv_cache.pool_fraction"] == declared
    p = parameters(inst, ["performance.stack.kv_cache.pool_fraction"])[0]
    assert p.default == inst.performance["stack"]["kv_cache"]["pool_fraction"]
    assert with_values(inst, {p.key: 0.75}).performance["stack"]["kv_cache"]["pool_fraction"] == 0.75
