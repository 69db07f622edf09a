"""litedse sensitivity: exact break-evens against a closed form, certification by independent
solves on a shipped instance, the JSON document and the bad-input path."""

from __future__ import annotations

import json
import math
import textwrap

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse.cli import main
from litedse.inputs.classes import resolve_class
from litedse.inputs.instance import load_instance
from litedse.inputs.points import with_values
from litedse.results import sensitivity as sens
from litedse.results.documents import SENSITIVITY_KEYS, sensitivity_document
from litedse.solve import solve_instance

# Two classes identical but for their HBM, and the two HBM generations identical but for their
# price per GB: class "a" pays p per GB (uncertain, default 20), class "b" pays 15. At any p the
# cheapest design of "a" costs what the same design costs "b" plus (p - 15) x its GB, so the
# optima are equal exactly at p = 15: "a" wins below, "b" above.
TWIN = textwrap.dedent("""
    name = "twin-hbm"
    [technology.hbm.hbm-x]
    capacity_gb = 36.0
    bandwidth_gb_s = 1200.0
    energy_pj_per_bit = 3.44
    cost_usd_per_gb = 20.0
    phy_shoreline_mm = 10.0
    phy_area_mm2 = 13.5
    footprint_mm2 = 110.0
    failures_per_year = 0.00675
    [design_space]
    die_area_mm2 = [600, 800, 200]
    dies_per_package = [1]
    hbm_stacks = [4, 8]
    hbm = ["hbm-x", "hbm3e-12hi"]
    links = [0]
    interconnect = ["electrical"]
    topology = ["switched"]
    [[workload]]
    name = "llama3-70b"
    kind = "serving"
    precision = "fp8"
    input_tokens = 1024
    output_tokens = 128
    demand_requests_per_s = 50
    [classes.a]
    hbm = ["hbm-x"]
    [classes.b]
    hbm = ["hbm3e-12hi"]
    [uncertainty]
    "technology.hbm.hbm-x.cost_usd_per_gb" = { range = [5.0, 30.0], range_source = "test" }
""")
KEY = "technology.hbm.hbm-x.cost_usd_per_gb"


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    path = tmp_path_factory.mktemp("twin") / "twin.toml"
    path.write_text(TWIN)
    return load_instance(path)


def test_exact_break_even_matches_the_closed_form(twin):
    frame = sens.sensitivity(twin, ["a", "b"], params=[KEY])
    row = frame.iloc[0]
    assert row["method"] == "exact-linear"
    assert abs(row["break_even"] - 15.0) <= 1e-6 * 15.0
    assert (row["winner_below"], row["winner_above"], row["certified"]) == ("a", "b", True)
    assert frame.attrs["winner"] == "b" and frame.attrs["ratio"] > 1.0
    # the ratio rises with the price only "a" pays
    assert row["ratio_low"] < frame.attrs["ratio"] < row["ratio_high"]


def test_the_exact_break_even_stays_exact_where_the_solve_would_search_few_skus(tmp_path, monkeypatch):
    """Proposition 12 (columns.bounded) picks the SKUs to search by prices, so the builds at a price
    range's ends would differ and the exact method fall back to bisection (38 solves instead of 8,
    found by an outside review): the sensitivity solves build every SKU."""
    import litedse.columns.bounded as bounded
    monkeypatch.setattr(bounded, "MIN_SKUS", 1)
    monkeypatch.setattr(bounded, "SEED_MIN", 4)
    text = (TWIN.replace("die_area_mm2 = [600, 800, 200]", "die_area_mm2 = [300, 800, 50]")
            .replace("hbm_stacks = [4, 8]", "hbm_stacks = [1, 8]")
            .replace("demand_requests_per_s = 50", "demand_requests_per_s = 50\nttft_s = 2.0\ntpot_s = 0.05"))
    assert text.count("tpot_s") == 1 and "[300, 800, 50]" in text
    path = tmp_path / "twin.toml"
    path.write_text(text)
    inst = load_instance(path)
    assert solve_instance(inst, **resolve_class(inst, "a").solve_kwargs()).built.skus_not_searched > 0
    row = sens.sensitivity(inst, ["a", "b"], params=[KEY]).iloc[0]
    assert row["method"] == "exact-linear" and row["break_even"] == pytest.approx(15.0, rel=1e-9)


def test_bisection_finds_the_same_break_even_within_its_tolerance(twin, monkeypatch):
    monkeypatch.setattr(sens, "is_price", lambda key: False)
    row = sens.sensitivity(twin, ["a", "b"], params=[KEY]).iloc[0]
    assert row["method"] == "bisection"
    assert row["tolerance"] == pytest.approx(sens.BISECTION_RTOL * 25.0 / 2)
    assert abs(row["break_even"] - 15.0) <= row["tolerance"]
    assert row["certified"]


def _winner(inst, classes, key, value, objective="cost"):
    point = with_values(inst, {key: value}, within_ranges=False)
    costs = [solve_instance(point, objective=objective, threads=1, **resolve_class(point, c).solve_kwargs())
             .solution.objective_value for c in classes]
    return classes[0] if costs[0] < costs[1] else classes[1], costs


SHIPPED_PARAMS = ["technology.hbm.hbm3e-8hi.cost_usd_per_gb", "technology.hbm.hbm3.cost_usd_per_gb",
                  "technology.host.cost_usd", "technology.interconnect.electrical.cost_usd_per_link"]


def test_every_printed_break_even_flips_2_percent_either_side_on_a_shipped_instance():
    """The main job, catalog H100 against catalog H200 (within a few percent of each other): the
    HBM price of either flips the winner inside its range."""
    inst = load_instance("instances/llama3-70b-serving.toml")
    classes = ["h100", "h200"]
    frame = sens.sensitivity(inst, classes, params=SHIPPED_PARAMS)
    printed = frame[frame["break_even"].notna()]
    assert len(printed) >= 2
    for row in printed.itertuples():
        below, _ = _winner(inst, classes, row.key, row.break_even * 0.98)
        above, _ = _winner(inst, classes, row.key, row.break_even * 1.02)
        assert below != above and (below, above) == (row.winner_below, row.winner_above), row.key
        if row.method == "exact-linear":
            _, (a, b) = _winner(inst, classes, row.key, row.break_even)
            assert abs(a - b) <= 1e-9 * max(a, b)
    # the H200's own HBM getting cheaper makes it win, the H100's getting dearer too
    by_key = printed.set_index("key")
    assert by_key.loc["technology.hbm.hbm3e-8hi.cost_usd_per_gb", "winner_below"] == "h200"
    assert by_key.loc["technology.hbm.hbm3.cost_usd_per_gb", "winner_above"] == "h200"
    # sorted by swing, and the defaults are the shipped comparison
    assert list(frame["swing"]) == sorted(frame["swing"], reverse=True)
    a = frame.attrs
    assert a["winner"] == min(classes, key=lambda c: a["values"][c])
    sentence = sens.verdict_sentence(frame, probability=0.25)
    loser = "h200" if a["winner"] == "h100" else "h100"
    factor = max(a["ratio"], 1 / a["ratio"])
    assert sentence.startswith(f"{a['winner']} is cheaper by {factor:.3g}x (capital cost); {loser} wins if technology.hbm.")
    assert sentence.endswith("P(h100 cheaper) = 0.25 over the declared ranges.")


def test_json_document_and_cli(tmp_path, twin):
    runner = CliRunner()
    res = runner.invoke(main, ["sensitivity", twin.path, "--classes", "a,b", "--params", KEY, "--format", "json",
                               "--plot", str(tmp_path / "t.svg")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["schema_version"] == 1 and doc["classes"] == ["a", "b"] and doc["metric"] == "capex"
    assert doc["winner"] == "b" and doc["ratio"] > 1
    (par,) = doc["parameters"]
    assert list(par) == list(SENSITIVITY_KEYS)
    assert par["key"] == KEY and (par["default"], par["low"], par["high"]) == (20.0, 5.0, 30.0)
    assert par["source"] == "test" and math.isclose(par["break_even"], 15.0, rel_tol=1e-6)
    assert (tmp_path / "t.svg").read_text().startswith("<?xml")
    assert sensitivity_document(sens.sensitivity(twin, ["a", "b"], params=[KEY]))["parameters"][0]["winner_above"] == "b"


@pytest.mark.parametrize("args,needle", [
    (["--params", "technology.host.cost_usdd"], "--params: not an uncertain parameter"),
    (["--classes", "a"], "two different design classes"),
    (["--classes", "a,zz"], "unknown design class"),
])
def test_bad_input_exit_2_one_line(twin, args, needle):
    res = CliRunner().invoke(main, ["sensitivity", twin.path, *([] if "--classes" in args else ["--classes", "a,b"]), *args])
    assert res.exit_code == 2
    assert needle in res.output and res.output.count("\n") == 1 and "Traceback" not in res.output


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(p1=st.floats(5.0, 30.0), p2=st.floats(5.0, 30.0))
def test_an_optimum_is_nondecreasing_and_concave_in_a_price(twin, p1, p2):
    """The premise of the exact method: the optimal capex of a class is a concave, non-decreasing
    function of a price it pays (here the HBM price of class a), checked at random points."""
    kwargs = resolve_class(twin, "a").solve_kwargs()

    def cost(p):
        return solve_instance(with_values(twin, {KEY: p}), threads=1, **kwargs).solution.objective_value

    lo, hi = sorted((p1, p2))
    f_lo, f_mid, f_hi = cost(lo), cost(0.5 * (lo + hi)), cost(hi)
    assert f_lo <= f_mid * (1 + 1e-12) and f_mid <= f_hi * (1 + 1e-12)
    assert f_mid >= 0.5 * (f_lo + f_hi) * (1 - 1e-12)
