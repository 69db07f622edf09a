"""Results of a design solve: the ``Solution`` record both solvers return, an independent feasibility
re-check (``verify``), tight-constraint reporting (``binding_constraints``) and the explanation of
an infeasible instance (``explain_infeasible``).

Layering: Problem (arrays) -> solver (milp.py or enumerate.py) -> Solution. Nothing here imports
Pyomo, and ``verify`` recomputes every quantity from the chosen columns and replica counts with its
own plain-Python arithmetic: it shares no expression with either solver.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from litedse.optimize.problem import FAT_TREE_MAX_TIERS, OBJECTIVES, Problem

STATUSES = ("optimal", "time_limit", "infeasible")
OBJECTIVE_UNITS = {"cost": "usd", "power": "w", "tco": "usd", "demand_scale": "1"}
# relative tolerance of the re-check (the MILP's own feasibility tolerance is 1e-7 absolute, so
# values near 1e9 USD may be off by ~1e-16 relative; 1e-9 leaves room and still catches real errors)
VERIFY_REL_TOL = 1e-9


@dataclass
class Solution:
    """One design: which column serves each workload, how many replicas, and what it costs.

    Arrays are indexed like the Problem's: per workload w, per SKU s, per fabric f. For an
    infeasible or unsolved result the arrays are empty and ``explanation`` says why.
    """

    status: str                                   # "optimal" | "time_limit" | "infeasible"
    objective_name: str                           # one of problem.OBJECTIVES
    objective_value: float = math.nan
    objective_unit: str = ""
    gap: float = math.nan                         # relative MIP gap (0 for enumerate)
    column: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))       # chosen column c per workload
    replicas: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))     # n_c of that column per workload
    packages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))     # N_s per SKU
    fabric_endpoints: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # E_f per fabric
    fabric_tiers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))      # t per fabric (0 = unused)
    fabric_switches: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))   # S_f per fabric
    racks: int = 0
    capex_usd: float = math.nan
    it_power_w: float = math.nan
    facility_power_w: float = math.nan
    tco_usd: float = math.nan
    demand_scale: float = 1.0                     # lambda: served fraction of every demand
    binding: list[str] = field(default_factory=list)
    solver: dict = field(default_factory=dict)    # name, version, method, wall_s, build_s, solve_s, variables, constraints
    explanation: str = ""                         # for infeasible results: what cannot be met, by how much

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "time_limit") and len(self.column) > 0


# ----------------------------------------------------------------------------------------------
# metrics of a design given by (column, replicas) per workload: the single source for Solution
# fields that both solvers fill in from their own decisions
# ----------------------------------------------------------------------------------------------

def tier_capacity(radix: float, tiers: int) -> float:
    """Endpoint ports a non-blocking fat tree of ``tiers`` tiers of radix-R switches connects:
    R for one tier, 2 (R/2)^t for t tiers (equal to R at t = 1)."""
    return 2.0 * (radix / 2.0) ** tiers


def design_from_choice(problem: Problem, column, replicas, *, status: str, objective_value: float | None = None,
                       gap: float = 0.0, demand_scale: float | None = None, solver: dict | None = None) -> Solution:
    """Complete a Solution from the chosen column and replica count of every workload, with the
    cheapest fabric (fewest tiers) and fewest racks. Used by both solvers; ``verify`` re-checks it
    with its own arithmetic."""
    p = problem
    column = np.asarray(column, dtype=int)
    replicas = np.asarray(replicas, dtype=int)
    packages = np.zeros(p.n_skus, dtype=int)
    np.add.at(packages, p.col_sku[column], p.col_packages[column].astype(int) * replicas)
    endpoints = np.zeros(p.n_fabrics, dtype=int)
    np.add.at(endpoints, p.sku_fabric, p.sku_fabric_ports.astype(int) * packages)
    tiers = np.zeros(p.n_fabrics, dtype=int)
    switches = np.zeros(p.n_fabrics, dtype=int)
    for f in range(p.n_fabrics):
        if endpoints[f] > 0:
            t = next((t for t in range(1, FAT_TREE_MAX_TIERS + 1)
                      if endpoints[f] <= tier_capacity(p.fabric_radix[f], t)), FAT_TREE_MAX_TIERS)
            tiers[f] = t
            switches[f] = int(math.ceil((2 * t - 1) * endpoints[f] / p.fabric_radix[f]))
    it_w = float(packages @ p.sku_it_w + switches @ p.fabric_switch_w + endpoints @ p.fabric_port_w)
    racks = 0 if not np.isfinite(p.rack_power_w) else int(math.ceil(it_w / p.rack_power_w))
    dies = np.unique(p.sku_die[packages > 0]) if p.n_skus else np.zeros(0, dtype=int)
    # a workload with zero replicas still commits its die design (one column per workload)
    dies = np.union1d(dies, p.sku_die[p.col_sku[column]])
    capex = float(packages @ p.sku_capex_usd + switches @ p.fabric_switch_cost_usd + endpoints @ p.fabric_port_cost_usd
                  + p.rack_cost_usd * racks + (p.die_nre_usd[dies].sum() if p.charge_nre else 0.0))
    facility = p.pue * it_w
    tco = capex + p.energy_usd_per_w * facility
    lam = 1.0 if demand_scale is None else float(demand_scale)
    metric = {"cost": capex, "power": facility, "tco": tco, "demand_scale": lam}[p.objective]
    sol = Solution(status=status, objective_name=p.objective,
                   objective_value=metric if objective_value is None else float(objective_value),
                   objective_unit=OBJECTIVE_UNITS[p.objective], gap=gap, column=column, replicas=replicas,
                   packages=packages, fabric_endpoints=endpoints, fabric_tiers=tiers, fabric_switches=switches,
                   racks=racks, capex_usd=capex, it_power_w=it_w, facility_power_w=facility, tco_usd=tco,
                   demand_scale=lam, solver=dict(solver or {}))
    sol.binding = binding_constraints(p, sol)
    return sol


def infeasible_solution(problem: Problem, solver: dict | None = None, explanation: str = "",
                        status: str = "infeasible") -> Solution:
    return Solution(status=status, objective_name=problem.objective, objective_unit=OBJECTIVE_UNITS[problem.objective],
                    solver=dict(solver or {}), explanation=explanation)


# ----------------------------------------------------------------------------------------------
# independent re-check
# ----------------------------------------------------------------------------------------------

def _close(a: float, b: float, tol: float = VERIFY_REL_TOL) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _le(a: float, limit: float, tol: float = VERIFY_REL_TOL) -> bool:
    return a <= limit + tol * max(1.0, abs(limit))


def verify(problem: Problem, solution: Solution) -> list[str]:
    """Every violated constraint or inconsistent field of ``solution``, recomputed from its chosen
    columns and replica counts and the problem arrays alone (scalar Python, no solver expression).
    Empty list = feasible and self-consistent."""
    p, s = problem, solution
    errors: list[str] = []
    if s.status == "infeasible" or (s.status == "time_limit" and not len(s.column)):
        return errors  # no design to check
    if len(s.column) != p.n_workloads or len(s.replicas) != p.n_workloads:
        return [f"expected one column and replica count per workload ({p.n_workloads}), got {len(s.column)}/{len(s.replicas)}"]
    lam = float(s.demand_scale)
    if p.objective != "demand_scale" and not _close(lam, 1.0):
        errors.append(f"demand scale {lam} != 1 for objective {p.objective}")
    packages = [0] * p.n_skus
    dies: set[int] = set()
    for w in range(p.n_workloads):
        c, n = int(s.column[w]), int(s.replicas[w])
        name = p.workload_names[w]
        if not 0 <= c < p.n_columns or int(p.col_workload[c]) != w:
            errors.append(f"workload {name}: column {c} does not belong to it")
            continue
        if n < 0 or n != s.replicas[w]:
            errors.append(f"workload {name}: replicas {s.replicas[w]} not a non-negative integer")
        if p.col_max_replicas is not None and n > p.col_max_replicas[c]:
            errors.append(f"workload {name}: {n} replicas > column limit {p.col_max_replicas[c]}")
        served = float(p.col_throughput[c]) * n
        need = lam * float(p.demand[w])
        if served < need - VERIFY_REL_TOL * max(1.0, need):
            errors.append(f"demand {name}: {served:.6g} < {need:.6g} {p.demand_unit[w]}")
        sku = int(p.col_sku[c])
        packages[sku] += int(p.col_packages[c]) * n
        dies.add(int(p.sku_die[sku]))
    if list(map(int, s.packages)) != packages:
        errors.append(f"packages per SKU {list(map(int, s.packages))} != recomputed {packages}")
    if len(dies) > p.max_designs:
        errors.append(f"max_designs: {len(dies)} die designs > K = {p.max_designs}")
    it_w = 0.0
    capex = 0.0
    for sku, count in enumerate(packages):
        it_w += float(p.sku_it_w[sku]) * count
        capex += float(p.sku_capex_usd[sku]) * count
    for f in range(p.n_fabrics):
        ports = sum(int(p.sku_fabric_ports[k]) * packages[k] for k in range(p.n_skus) if int(p.sku_fabric[k]) == f)
        if len(s.fabric_endpoints) != p.n_fabrics or int(s.fabric_endpoints[f]) != ports:
            errors.append(f"fabric {p.fabric_names[f]}: endpoints reported != recomputed {ports}")
            continue
        t, sw = int(s.fabric_tiers[f]), int(s.fabric_switches[f])
        radix = float(p.fabric_radix[f])
        if ports > 0:
            if not 1 <= t <= FAT_TREE_MAX_TIERS:
                errors.append(f"fabric {p.fabric_names[f]}: {t} tiers outside 1..{FAT_TREE_MAX_TIERS}")
            elif ports > 2.0 * (radix / 2.0) ** t:
                errors.append(f"fabric {p.fabric_names[f]}: {ports} ports > capacity of {t} tiers")
            elif sw < math.ceil((2 * t - 1) * ports / radix):
                errors.append(f"fabric {p.fabric_names[f]}: {sw} switches < (2t-1)E/R = {(2 * t - 1) * ports / radix:.6g}")
        it_w += float(p.fabric_switch_w[f]) * sw + float(p.fabric_port_w[f]) * ports
        capex += float(p.fabric_switch_cost_usd[f]) * sw + float(p.fabric_port_cost_usd[f]) * ports
    if math.isfinite(p.rack_power_w) and p.rack_power_w * s.racks < it_w - VERIFY_REL_TOL * max(1.0, it_w):
        errors.append(f"racks: {s.racks} x {p.rack_power_w:.6g} W < IT power {it_w:.6g} W")
    capex += float(p.rack_cost_usd) * s.racks
    if p.charge_nre:
        capex += sum(float(p.die_nre_usd[d]) for d in dies)
    facility = p.pue * it_w
    tco = capex + p.energy_usd_per_w * facility
    for label, mine, theirs in (("it_power_w", it_w, s.it_power_w), ("facility_power_w", facility, s.facility_power_w),
                                ("capex_usd", capex, s.capex_usd), ("tco_usd", tco, s.tco_usd)):
        if not _close(mine, theirs):
            errors.append(f"{label}: reported {theirs:.9g} != recomputed {mine:.9g}")
    if not _le(facility, p.power_budget_w):
        errors.append(f"power_budget_w: facility power {facility:.6g} W > {p.power_budget_w:.6g} W")
    if not _le(capex, p.budget_usd):
        errors.append(f"budget_usd: capex {capex:.6g} USD > {p.budget_usd:.6g} USD")
    metric = {"cost": capex, "power": facility, "tco": tco, "demand_scale": lam}[p.objective]
    if not _close(metric, s.objective_value, 1e-6):
        errors.append(f"objective {p.objective}: reported {s.objective_value:.9g} != recomputed {metric:.9g}")
    return errors


def binding_constraints(problem: Problem, solution: Solution, rel_tol: float = 1e-4) -> list[str]:
    """Names of the budget, demand and product-line constraints that are tight (slack within
    ``rel_tol`` of the limit). Demand rows are named ``demand:<workload>``."""
    p, s = problem, solution
    if not s.feasible:
        return []
    out = []
    if np.isfinite(p.budget_usd) and s.capex_usd >= p.budget_usd * (1.0 - rel_tol):
        out.append("budget_usd")
    if np.isfinite(p.power_budget_w) and s.facility_power_w >= p.power_budget_w * (1.0 - rel_tol):
        out.append("power_budget_w")
    dies_used = len(np.unique(p.sku_die[p.col_sku[s.column]]))
    # W workloads use at most W die designs (one column each): K >= W is redundant, never binding
    if dies_used == p.max_designs and p.max_designs < min(p.n_dies, p.n_workloads):
        out.append("max_designs")
    for w in range(p.n_workloads):
        c = int(s.column[w])
        need = s.demand_scale * float(p.demand[w])
        if float(p.col_throughput[c]) * int(s.replicas[w]) <= need * (1.0 + rel_tol):
            out.append(f"demand:{p.workload_names[w]}")
        if p.col_max_replicas is not None and int(s.replicas[w]) >= p.col_max_replicas[c]:
            out.append(f"max_replicas:{p.workload_names[w]}")
    return out


# ----------------------------------------------------------------------------------------------
# infeasibility explanation
# ----------------------------------------------------------------------------------------------

def _fmt(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}"


def explain_infeasible(problem: Problem, solve: Callable[[Problem], Solution] | None = None) -> str:
    """Which requirement cannot be met and by how much, one line per reason.

    1. A workload without any column (or whose every column is capped below its demand) cannot be
       served at all.
    2. For each finite budget (facility power, capex): the best value of that resource over all
       designs that meet every *other* requirement, against the limit ("the lowest-power design
       needs 3.1e7 W > budget 2.0e7 W (by 55%)").
    3. The product line: if dropping every budget still leaves no design, no K die designs have a
       column for every workload.
    ``solve`` solves a relaxed Problem (default: the MILP); the relaxed problems are plain
    minimisations, so the explanation holds for either solver.
    """
    p = problem
    if solve is None:
        from litedse.optimize.milp import solve_milp  # the results layer calls down into a solver only here
        solve = solve_milp
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
                           f"{_fmt(need, unit)} > budget {_fmt(limit, unit)} "
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
        caps = ", ".join(f"{p.fabric_names[f]} {tier_capacity(p.fabric_radix[f], FAT_TREE_MAX_TIERS):.4g} ports"
                         for f in range(p.n_fabrics))
        reasons.append(f"fabric: every design needs more endpoint ports than a {FAT_TREE_MAX_TIERS}-tier fat tree "
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


def objective_sense(name: str) -> str:
    return OBJECTIVES[name][0]
