"""Pareto fronts of an instance: one exact front per design class, built on the columns of that
class and pruned only by rules valid for both criteria, and the table of their points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from litedse.columns.build import build
from litedse.errors import InputError
from litedse.inputs.classes import DesignClass, resolve_class
from litedse.inputs.instance import Instance
from litedse.optimize.pareto import MAX_POINTS, ParetoFront, pareto_front
from litedse.optimize.problem import CRITERIA, Problem
from litedse.optimize.prune import prune_columns, prune_for_blast_radius
from litedse.results.metrics import repair_hours_of
from litedse.solve import explain
from litedse.tech.sku import DESIGN_AXES

DEFAULT_FRONT_CLASSES = ("lite", "monolithic")


def instance_problem(inst: Instance, x: str, y: str, cls: DesignClass | None = None) -> Problem:
    """The Problem of one design class of an instance for a front of (x, y), pruned only by rules
    valid for both criteria: column dominance (Proposition 2) always; one column per (SKU,
    workload) (Proposition 3) unless the blast radius is a criterion (it depends on g_c alone, not
    on the packages g_c n*_c that Proposition 3 compares; Proposition 3' instead); never the
    objective-specific SKU bound."""
    kwargs = {} if cls is None else cls.solve_kwargs()
    objective = "demand_scale" if "demand_scale" in (x, y) else "cost"
    if objective == "demand_scale" and inst.constraints.budget_usd is None and inst.constraints.power_budget_w is None:
        raise InputError("a front with demand_scale needs a budget", file=inst.path, key="constraints",
                         expected="budget_usd or power_budget_w")
    built = build(inst, objective=objective, **kwargs)
    p = built.problem
    if built.infeasibility():
        return p
    if "blast_radius" not in (x, y):
        return prune_columns(p).problem
    return prune_for_blast_radius(p) if objective != "demand_scale" else p


def pareto_instance(inst: Instance, x: str, y: str, classes: list[str] | None = None, *, points: int | None = None,
                    max_points: int = MAX_POINTS, threads: int | None = None,
                    time_limit_s: float | None = None, progress=None) -> dict[str, tuple[ParetoFront, Problem]]:
    """One front per design class of ``inst`` (default: lite and monolithic): class -> (front, Problem).
    ``progress(done, total, what)`` is called after each class's front."""
    rh = repair_hours_of(inst)
    names = list(classes or DEFAULT_FRONT_CLASSES)
    out = {}
    for i, name in enumerate(names):
        if progress is not None:
            progress(i, len(names), f"computing the {name} Pareto front ("
                     + ("exact: one MILP solve per point" if points is None else f"a grid of {points} points") + ")")
        front, p = _class_front(inst, x, y, resolve_class(inst, name), rh, points=points, max_points=max_points,
                                threads=threads, time_limit_s=time_limit_s)
        out[name] = (front, p)
        if progress is not None:
            progress(i + 1, len(names), f"{name} front: {len(front.points)} points, {front.solves} solves")
    return out


def _class_front(inst: Instance, x: str, y: str, cls: DesignClass, repair_hours: float, **options):
    p = instance_problem(inst, x, y, cls)
    if p.n_columns == 0 or any(not np.any(p.col_workload == w) for w in range(p.n_workloads)):
        return ParetoFront(x=x, y=y, status="infeasible",
                           explanation="some workload has no feasible column in this class"), p
    front = pareto_front(p, x, y, repair_hours=repair_hours, **options)
    if front.status == "infeasible":
        front.explanation = explain(p)
    return front, p


def front_table(front: ParetoFront, problem: Problem | None = None) -> pd.DataFrame:
    """One row per point, sorted by x: both criteria, every other criterion, the design label and
    the packages (and, given the Problem, the design axes of the first workload's SKU: which die
    size wins where)."""
    rows = []
    for i, pt in enumerate(front.points):
        row = {"point": i, "x": pt.values[front.x], "y": pt.values[front.y]}
        row.update(pt.values)
        row["epsilon"] = pt.epsilon
        row["design"] = pt.design
        row["packages"] = int(np.sum(pt.solution.packages))
        if problem is not None and problem.sku_table is not None:
            sku = int(problem.col_sku[pt.solution.column[0]])
            for k in DESIGN_AXES:
                if k in problem.sku_table.columns:
                    v = problem.sku_table[k].iloc[sku]
                    row[k] = v.item() if hasattr(v, "item") else v
        rows.append(row)
    cols = ["point", "x", "y", *CRITERIA, "epsilon", "design", "packages"]
    return pd.DataFrame(rows, columns=None if rows else cols)


def fronts_table(fronts: dict[str, tuple[ParetoFront, Problem]]) -> pd.DataFrame:
    """The fronts of several design classes (``pareto_instance``'s result) as one table, a
    ``class`` column first."""
    frames = []
    for name, (front, problem) in fronts.items():
        df = front_table(front, problem)
        df.insert(0, "class", name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
