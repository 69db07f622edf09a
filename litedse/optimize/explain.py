"""Why an instance has no design: which requirement cannot be met, and by how much. The caller
passes the solver for the relaxed problems; the solvers themselves never explain."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Callable

import numpy as np

from litedse.optimize.problem import Problem, oversubscription
from litedse.optimize.solution import Solution
from litedse.tech import fabric


def explain_infeasible(problem: Problem, solve: Callable[[Problem], Solution]) -> str:
    """Which requirement cannot be met and by how much, one line per reason.

    1. A workload without any column (or whose every column is capped below its demand) cannot be
       served at all.
    2. For each finite budget (facility power, capex): the best value of that resource over all
       designs that meet every *other* requirement, against the limit ("the lowest-power design
       needs 3.1e7 W > budget 2.0e7 W (by 55%)").
    3. The product line: if dropping every budget still leaves no design, no K die designs have a
       column for every workload.
    ``solve`` solves a relaxed Problem to optimality (the caller's solver: the MILP or the
    enumerator, pruned or not); the relaxed problems are plain minimisations, so the explanation
    is the same whichever solver it is.
    """
    p = problem
    reasons: list[str] = []
    # 1. workloads with no usable column
    for w in range(p.n_workloads):
        mine = np.flatnonzero(p.col_workload == w)
        if not len(mine):
            reasons.append(f"workload {p.workload_names[w]} has no feasible column (no SKU and mapping passes the filters)")
            continue
        if p.col_max_replicas is not None and p.objective != "demand_scale":
            best = float(np.max(p.col_throughput[mine] * p.col_max_replicas[mine]))
            if best < p.demand[w]:
                reasons.append(f"workload {p.workload_names[w]}: best column serves {best:.4g} < demand "
                               f"{p.demand[w]:.4g} {p.demand_unit[w]} within its replica limit "
                               f"(short by {100.0 * (1.0 - best / p.demand[w]):.0f}%)")
    if reasons:
        return "\n".join(reasons)
    # under demand_scale, lambda = 0 needs no replica: what remains is K and the budgets at zero scale
    base = replace(p, demand=p.demand * 0.0) if p.objective == "demand_scale" else p
    budgets = [("power_budget_w", "power", "facility power", "W", "facility_power_w"),
               ("budget_usd", "cost", "capex", "USD", "capex_usd")]
    for key, objective, label, unit, field_name in budgets:
        limit = float(getattr(p, key))
        if not np.isfinite(limit):
            continue
        relaxed = solve(replace(base, objective=objective, **{key: np.inf}))
        if not relaxed.feasible:
            continue  # another requirement fails too; reported by its own line
        need = float(getattr(relaxed, field_name))
        if need > limit:
            word = {"power": "lowest-power", "cost": "cheapest"}[objective]
            reasons.append(f"{key}: the {word} design meeting every other requirement needs {label} "
                           f"{need:.3g} {unit} > budget {limit:.3g} {unit} "
                           f"(by {100.0 * (need / limit - 1.0):.0f}%)")
    if reasons:
        return "\n".join(reasons)
    free = solve(replace(base, objective="cost", power_budget_w=np.inf, budget_usd=np.inf))
    if free.feasible:
        reasons.append("the power and capex budgets cannot be met together (each alone can): "
                       f"cheapest design {free.capex_usd:.3g} USD at {free.facility_power_w:.3g} W facility power")
        return "\n".join(reasons)
    any_k = solve(replace(base, objective="cost", power_budget_w=np.inf, budget_usd=np.inf, max_designs=max(1, p.n_dies)))
    if any_k.feasible:
        need = _min_designs_to_cover(p)
        text = f"max_designs: no {p.max_designs} die design(s) have a feasible column for every workload"
        if need is not None:
            text += f" (at least {need} needed)"
        reasons.append(text)
    else:
        caps = ", ".join(f"{p.fabric_names[f]} {fabric.tree_capacity(p.fabric_radix[f], fabric.MAX_TIERS, oversubscription(p)[f]):.4g} ports"
                         for f in range(p.n_fabrics))
        reasons.append(f"fabric: every design needs more endpoint ports than a {fabric.MAX_TIERS}-tier fat tree "
                       f"connects ({caps}), even without budgets and with any number of die designs")
    return "\n".join(reasons)


def _min_designs_to_cover(p: Problem, max_dies: int = 16) -> int | None:
    """Fewest die designs whose SKUs have a column for every workload (small cases only)."""
    cover = [set(p.sku_die[p.col_sku[p.col_workload == w]].tolist()) for w in range(p.n_workloads)]
    dies = sorted(set().union(*cover)) if cover else []
    if len(dies) > max_dies:
        return None
    for k in range(1, len(dies) + 1):
        for subset in itertools.combinations(dies, k):
            chosen = set(subset)
            if all(chosen & need for need in cover):
                return k
    return None
