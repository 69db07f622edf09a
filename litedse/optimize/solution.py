"""The ``Solution`` record both solvers return, and which of its constraints are tight.

Layering: Problem (arrays) -> solver (milp or enumerate) -> Solution. The design evaluator
(``designs``) fills a Solution in from a choice of columns; ``verify`` re-checks it independently;
``explain`` says why there is none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from litedse.optimize.problem import CRITERIA, Problem

# optimal: proven within OPTIMAL_GAP; feasible: the solver stopped at a larger relative gap the user
# asked for; time_limit: stopped by the time limit (with or without a design)
STATUSES = ("optimal", "feasible", "time_limit", "infeasible")
OPTIMAL_GAP = 1e-6


@dataclass
class Solution:
    """One design: which column serves each workload, how many replicas, and what it costs.

    Arrays are indexed like the Problem's: per workload w, per SKU s, per fabric f. For an
    infeasible or unsolved result the arrays are empty and ``explanation`` says why.
    """

    status: str                                   # one of STATUSES
    objective_name: str                           # one of problem.OBJECTIVES
    objective_value: float = math.nan
    objective_unit: str = ""
    gap: float = math.nan                         # relative MIP gap (0 for enumerate)
    column: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))       # chosen column c per workload
    replicas: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))     # n_c of that column per workload
    packages: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))     # N_s per SKU
    fabric_endpoints: np.ndarray = field(default_factory=lambda: np.zeros(0))  # E_f per fabric (ports)
    fabric_tiers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))      # t per fabric (0 = unused)
    fabric_switches: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))   # S_f per fabric
    racks: int = 0
    hosts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # H_s per SKU
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
        return self.status in ("optimal", "feasible", "time_limit") and len(self.column) > 0

    @property
    def objective_sense(self) -> str:
        return CRITERIA[self.objective_name].sense


def infeasible_solution(problem: Problem, solver: dict | None = None, explanation: str = "",
                        status: str = "infeasible") -> Solution:
    """A Solution without a design (infeasible, or a time limit before any incumbent)."""
    return Solution(status=status, objective_name=problem.objective, objective_unit=CRITERIA[problem.objective].unit,
                    solver=dict(solver or {}), explanation=explanation)


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
