"""One design solve of an instance: build the columns, prune exactly, solve with the MILP (or the
exhaustive reference), re-check the solution independently, and describe it as the documented
``solve`` JSON document (``SCHEMA_VERSION``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from litedse.columns.build import Built, build
from litedse.errors import InputError
from litedse.inputs.instance import Instance
from litedse.jsonable import jsonable
from litedse.optimize.problem import Problem
from litedse.optimize.prune import prune_columns, prune_skus
from litedse.optimize.solution import Solution, explain_infeasible, infeasible_solution, verify

SCHEMA_VERSION = 1
METHODS = ("milp", "enumerate")
DESIGN_FIELDS = ("die_area_mm2", "dies_per_package", "hbm_stacks", "hbm", "links", "interconnect", "clock")
DESIGN_METRICS = ("unit_cost_usd", "tdp_w", "peak_tflops_bf16", "peak_tflops_fp8", "hbm_capacity_gb",
                  "hbm_bandwidth_gb_s", "offpackage_bandwidth_gb_s", "die_yield", "die_cost_usd",
                  "dies_per_wafer", "failures_per_year", "shoreline_mm", "shoreline_used_mm")


@dataclass
class SolveResult:
    instance: Instance
    problem: Problem                 # the pruned Problem the solver saw
    solution: Solution
    built: Built | None = None
    model: Any = None                # litedse.milp.DesignModel (milp only), for re-solves
    method: str = "milp"
    prune_counts: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    @property
    def columns_enumerated(self) -> int:
        return self.built.columns_enumerated if self.built else 0

    @property
    def columns_kept(self) -> int:
        return self.problem.n_columns

    def to_dict(self) -> dict[str, Any]:
        return solve_document(self)


def solve_instance(inst: Instance, *, design_space: dict[str, Any] | None = None, sku: str | None = None,
                   objective: str | None = None, method: str = "milp", time_limit_s: float | None = None,
                   mip_gap: float | None = None, threads: int | None = None) -> SolveResult:
    """Optimal design of ``inst`` (restricted to ``design_space`` overrides or to catalog ``sku``)."""
    if method not in METHODS:
        raise InputError("unknown method", key="method", value=method, expected="one of " + ", ".join(METHODS))
    objective = objective or inst.objective.name
    if objective == "demand_scale" and inst.constraints.budget_usd is None and inst.constraints.power_budget_w is None:
        raise InputError("maximize demand_scale needs a budget", file=inst.path, key="constraints",
                         expected="budget_usd or power_budget_w")
    t0 = time.perf_counter()
    built = build(inst, design_space=design_space, sku=sku, objective=objective)
    t_build = time.perf_counter() - t0
    problem = built.problem
    counts: dict[str, Any] = {"enumerated": built.columns_enumerated, "after_filters": problem.n_columns}
    if built.infeasibility():
        info = _solver_info(method, t_build, 0.0, built, problem)
        sol = infeasible_solution(problem, info, built.infeasibility())
        return SolveResult(inst, problem, sol, built, None, method, counts, {"build_s": t_build})
    pc = prune_columns(problem)
    ps = prune_skus(pc.problem)
    problem = ps.problem
    counts.update(dominated=pc.counts["dominated"], not_min_packages=pc.counts["not_min_packages"],
                  sku_bound=pc.problem.n_columns - problem.n_columns, kept=problem.n_columns)
    t_prune = time.perf_counter() - t0 - t_build
    sol, model = _solve_pruned(problem, method, time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads)
    if sol.status == "infeasible" and not sol.explanation:
        sol.explanation = explain_infeasible(problem, solve=lambda q: _solve_pruned(_prune(q), method)[0])
    errors = verify(problem, sol)
    if errors:
        raise RuntimeError("solution failed the independent re-check: " + "; ".join(errors))
    wall = time.perf_counter() - t0
    sol.solver.update(_solver_info(method, t_build + t_prune + sol.solver.get("build_s", 0.0),
                                   sol.solver.get("solve_s", 0.0), built, problem))
    sol.solver["wall_s"] = wall
    for key in ("name", "version", "variables", "constraints"):
        sol.solver.setdefault(key, None)
    return SolveResult(inst, problem, sol, built, model, method, counts,
                       {"columns_s": t_build, "prune_s": t_prune, "wall_s": wall})


def _prune(problem: Problem) -> Problem:
    """Both exact prunings (design.md, Propositions 2, 3 and 5). explain_infeasible's relaxed
    problems are min objectives without some budget, so they apply to those again."""
    return prune_skus(prune_columns(problem).problem).problem


def _solve_pruned(problem: Problem, method: str, **options):
    """(Solution, DesignModel or None) of a pruned Problem, without an infeasibility explanation
    except where solve_milp gives one (a workload left without columns, so no model is built)."""
    if method == "enumerate":
        from litedse.optimize.enumerate import solve_enumerate

        return solve_enumerate(problem, explain=False), None
    from litedse.optimize.milp import DesignModel, solve_milp

    if not problem.n_columns or not all(np.any(problem.col_workload == w) for w in range(problem.n_workloads)):
        return solve_milp(problem, **options), None
    model = DesignModel(problem)
    return model.solve(explain=False, **options), model


def _solver_info(method: str, build_s: float, solve_s: float, built: Built, problem: Problem) -> dict[str, Any]:
    return {"method": method, "build_s": build_s, "solve_s": solve_s, "wall_s": build_s + solve_s,
            "columns_enumerated": built.columns_enumerated, "columns_kept": problem.n_columns}


# ----------------------------------------------------------------------------------------------
# the solve JSON document
# ----------------------------------------------------------------------------------------------
def solve_document(res: SolveResult) -> dict[str, Any]:
    """The ``litedse solve --format json`` document (README: "Solve JSON schema")."""
    p, s = res.problem, res.solution
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "instance": res.instance.name,
        "status": s.status,
        "objective": {"name": s.objective_name, "value": jsonable(s.objective_value) if s.feasible else None,
                      "unit": s.objective_unit},
        "gap": jsonable(s.gap) if s.feasible else None,
        "designs": [], "workloads": [], "totals": {}, "binding_constraints": list(s.binding),
        "explanation": s.explanation or None,
        "solver": {k: jsonable(s.solver.get(k)) for k in ("name", "version", "method", "wall_s", "build_s", "solve_s",
                                                        "columns_enumerated", "columns_kept", "variables",
                                                        "constraints")},
    }
    if not s.feasible:
        return doc
    skus_used = [int(k) for k in np.unique(p.col_sku[s.column])]
    design_of_sku = {k: i for i, k in enumerate(skus_used)}
    table = p.sku_table
    for k in skus_used:
        row = table.iloc[k]
        card = {f: jsonable(row[f]) for f in DESIGN_FIELDS}
        card["die_design"] = p.die_labels[int(p.sku_die[k])]
        card["packages"] = int(s.packages[k])
        card.update({f: jsonable(row[f]) for f in DESIGN_METRICS if f in row})
        card["capex_usd_per_package"] = float(p.sku_capex_usd[k])
        card["it_w_per_package"] = float(p.sku_it_w[k])
        doc["designs"].append(card)
    ct = p.col_table
    for w, name in enumerate(p.workload_names):
        c = int(s.column[w])
        n = int(s.replicas[w])
        row = ct.iloc[c]
        wl = res.instance.workloads[w]
        entry = {
            "name": name, "kind": wl.kind, "design": design_of_sku[int(p.col_sku[c])],
            "mapping": {k: int(row[k]) for k in ("tp", "pp", "dp", "ep", "batch", "microbatch") if k in row},
            "replicas": n, "packages": int(p.col_packages[c]) * n,
            "throughput": float(p.col_throughput[c]) * n, "throughput_per_replica": float(p.col_throughput[c]),
            "demand": float(p.demand[w]) * float(s.demand_scale), "unit": p.demand_unit[w],
        }
        for key in ("ttft_s", "tpot_s", "tokens_per_s", "requests_per_s", "iteration_s", "memory_gb_per_package",
                    "mfu", "availability"):
            entry[key] = jsonable(float(row[key])) if key in row else None
        doc["workloads"].append(entry)
    doc["totals"] = {"capex_usd": s.capex_usd, "it_power_w": s.it_power_w, "facility_power_w": s.facility_power_w,
                     "packages": int(np.sum(s.packages)), "switches": int(np.sum(s.fabric_switches)),
                     "racks": int(s.racks), "tco_usd": s.tco_usd, "demand_scale": s.demand_scale}
    return doc
