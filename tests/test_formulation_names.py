"""formulations/design.md and the Pyomo model use the same names, in both directions."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyomo.environ as pe

from litedse.optimize.milp import DesignModel
from litedse.optimize.problem import OBJECTIVES
from test_milp import hand_problem

DOC = Path(__file__).resolve().parents[1] / "formulations" / "design.md"
KINDS = (pe.Set, pe.RangeSet, pe.Param, pe.Var, pe.Constraint, pe.Objective)
# the doc sections whose tables declare model components (the Parameters table of fixed data
# names Problem fields, not components, and the objectives table names objective choices)
DECLARING = ("## 1. Sets", "## 3. Variables", "## 4. Constraints")


def declared_names() -> set[str]:
    """Names in the code column of the doc's symbol tables, plus the mutable-parameter table."""
    text = DOC.read_text()
    names: set[str] = set()
    sections = re.split(r"(?m)^(?=## )", text)
    for sec in sections:
        head = sec.splitlines()[0] if sec else ""
        rows = [line for line in sec.splitlines() if line.startswith("|") and not line.startswith("|---")]
        if head.startswith(DECLARING):
            col = 0 if head.startswith("## 4.") else 1
        elif head.startswith("## 2."):
            # only the table after "Mutable parameters" declares components
            rows = [r for r in sec.split("Mutable parameters", 1)[1].splitlines() if r.startswith("|") and not r.startswith("|---")]
            col = 1
        else:
            continue
        for row in rows[1:]:                      # skip the header row
            cells = [c.strip() for c in row.strip("|").split("|")]
            names.update(re.findall(r"`([a-z_]+)`", cells[col]))
    names.add("objective")                        # section 5: the objective component
    return names


def model_names() -> set[str]:
    names: set[str] = set()
    for objective in OBJECTIVES:
        p = hand_problem(objective=objective, budget_usd=1e5, power_budget_w=1e5, rack_power_w=1e3,
                         sku_fabric_ports=np.array([1, 2]), sku_packages_per_host=np.array([8.0, 4.0]),
                         host_cost_usd=1000.0, host_w=100.0)
        m = DesignModel(p).model
        names.update(c.name for c in m.component_objects(KINDS, descend_into=True))
    return names


def test_every_model_component_is_in_the_document():
    text = DOC.read_text()
    missing = sorted(n for n in model_names() if f"`{n}`" not in text)
    assert not missing, f"components not documented in formulations/design.md: {missing}"


def test_every_documented_name_is_a_model_component():
    extra = sorted(declared_names() - model_names())
    assert not extra, f"names declared in formulations/design.md but not in the model: {extra}"


def test_the_two_name_sets_are_equal():
    assert declared_names() == model_names()
