"""The one number format (results.tables) and the verdict sentence (results.compare.headline),
against hand-written expectations."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from litedse.results.compare import best_class, headline
from litedse.results.tables import format_field, format_power, format_ratio, format_usd


@pytest.mark.parametrize("value, text", [
    (4.5e6, "$4.50M"), (3_669_495.4, "$3.67M"), (1.1e7, "$11.0M"), (123.4e6, "$123M"), (1.2e9, "$1.20B"),
    (12_345, "$12.3k"), (999.9, "$1.00k"), (950, "$950"), (0, "$0"), (float("nan"), "-"), (None, "-"),
])
def test_money(value, text):
    assert format_usd(value) == text


@pytest.mark.parametrize("value, text", [
    (848_000, "848 kW"), (1_241_523, "1.24 MW"), (552, "552 W"), (2.1e9, "2.10 GW"), (999_600, "1.00 MW"),
])
def test_power(value, text):
    assert format_power(value) == text


@pytest.mark.parametrize("value, text", [(1.6184, "1.62x"), (0.846, "0.85x"), (12.34, "12.3x"), (150, "150x"),
                                         (1.0, "1.00x")])
def test_ratio(value, text):
    assert format_ratio(value) == text


def test_fields_take_the_format_of_their_unit_suffix():
    assert format_field("unit_cost_usd", 4267.6) == "$4.27k"
    assert format_field("tdp_w", 1297.7) == "1.30 kW"
    assert format_field("hbm_stacks", 7) == "7" and format_field("interconnect", "cpo") == "cpo"


def _comparison(objectives: dict, name="cost", sense="min", unit="usd"):
    classes = {}
    for cls, value in objectives.items():
        feasible = value is not None
        classes[cls] = SimpleNamespace(feasible=feasible, metrics={"objective": value},
                                       doc={"objective": {"name": name, "sense": sense, "unit": unit}})
    return SimpleNamespace(classes=classes, baseline="monolithic")


def test_the_headline_says_who_wins_and_by_how_much():
    assert headline(_comparison({"lite": 4.0e6, "monolithic": 1.67e6})) == \
        "monolithic is cheaper: lite costs 2.40x as much as monolithic"
    assert headline(_comparison({"lite": 0.9e6, "monolithic": 1.0e6})) == \
        "lite is cheaper: lite costs 0.90x as much as monolithic"
    assert headline(_comparison({"lite": 6.4e5, "monolithic": 4.8e5}, "power", unit="w")) == \
        "monolithic draws less power: lite draws 1.33x as much as monolithic"
    assert headline(_comparison({"lite": 1.5, "monolithic": 1.2}, "demand_scale", "max", "1")) == \
        "lite serves more demand: lite serves 1.25x the demand scale of monolithic"
    assert headline(_comparison({"lite": 2.0, "monolithic": 2.0})) == "lite and monolithic tie on cost"
    assert headline(_comparison({"lite": None, "monolithic": 2.0, "free": 1.5})) == \
        "free is best on cost; lite infeasible"
    assert headline(_comparison({"lite": None, "monolithic": None})) == "no class has a feasible design"
    assert best_class(_comparison({"lite": 3.0, "monolithic": 2.0, "free": 2.0})) == "monolithic"   # first of a tie


def test_the_pareto_command_default_cap_is_the_library_s():
    from litedse.cli.pareto import pareto_command
    from litedse.optimize.pareto import MAX_POINTS

    option = next(p for p in pareto_command.params if p.name == "max_points")
    assert option.default == MAX_POINTS
