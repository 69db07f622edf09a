"""One design solve of an instance: build the columns, prune exactly, solve with the MILP (or the
exhaustive reference), explain an infeasible result, and re-check the solution independently.

The pipeline is prune -> solver -> verify -> explain; ``solve_problem`` is its solver step on any
array Problem, and the solver that ``explain_infeasible`` uses for its relaxed problems. The
``solve`` JSON document of a result is ``litedse.results.documents.solve_document``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from litedse.columns.bounded import build_searching_bounded
from litedse.columns.build import Built, build, column_table
from litedse.columns.recheck import recheck
from litedse.errors import InputError, InternalError, SolverError
from litedse.inputs.instance import Instance
from litedse.optimize.enumerate import combinations, solve_enumerate
from litedse.optimize.explain import explain_infeasible
from litedse.optimize.milp import DesignModel, solve_milp
from litedse.optimize.problem import Problem
from litedse.optimize.prune import Incumbent, compact_skus, prune_columns, prune_skus
from litedse.optimize.solution import Solution, infeasible_solution
from litedse.optimize.verify import verify

METHODS = ("auto", "milp", "enumerate")
# --method auto: the exact enumerator below this many column combinations after pruning, the MILP
# above. Measured on the 2-core machine under load (2026-12-02, issue 17; random Problems of
# tests/problems.py with 1-5 workloads and the shipped instances): the enumerator evaluates about
# 1e6 combinations/s for the min objectives and 2e4/s for demand_scale (bisection and
# certification per combination), while the MILP costs 0.03-0.25 s (min) and 0.1-0.5 s
# (demand_scale) of Pyomo build and HiGHS even for models of tens of columns, plus about 0.7 s to
# import Pyomo, which a process the enumerator answers no longer pays (it is imported at the first
# model build). Whole-process, 3 workloads with 91k columns and 4.1e5 combinations: enumerate 3.1 s,
# auto's MILP 4.1 s (benchmarks/bench_scale.py, 2026-12-02): so the min threshold is 1e6, where the
# enumerator's second meets the MILP's fixed cost. benchmarks/bench_scale.py re-measures the choice.
AUTO_ENUMERATE_COMBINATIONS = {"min": 1_000_000, "demand_scale": 2_000}


@dataclass
class SolveResult:
    instance: Instance
    problem: Problem                 # the pruned Problem the solver saw
    solution: Solution
    built: Built | None = None
    model: DesignModel | None = None  # the MILP (milp only), for re-solves
    method: str = "milp"
    prune_counts: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)
    # index in built.problem of each column of ``problem`` (the pruning's survivors): a solution's
    # design re-evaluated on another build of the same columns (results.sensitivity)
    kept_columns: np.ndarray | None = None

    @property
    def columns_enumerated(self) -> int:
        return self.built.columns_enumerated if self.built else 0

    @property
    def columns_kept(self) -> int:
        return self.problem.n_columns


def solve_instance(inst: Instance, *, design_space: dict[str, Any] | None = None, sku: str | None = None,
                   objective: str | None = None, method: str = "auto", time_limit_s: float | None = None,
                   mip_gap: float | None = None, threads: int | None = None,
                   memory_budget_gb: float | None = None, bounded_search: bool = True) -> SolveResult:
    """Optimal design of ``inst`` (restricted to ``design_space`` overrides or to catalog ``sku``).
    ``bounded_search``: run the in-flight batch search only on the SKUs Proposition 12 keeps (the
    same optimum; False builds every SKU's columns, so that two solves whose instances differ in
    prices alone have the same columns).
    ``method``: ``milp``, ``enumerate`` or ``auto`` (``choose_method`` after pruning; the solve
    JSON says which ran and why). ``memory_budget_gb`` overrides the instance's
    design_space.memory_budget_gb, the column enumeration's memory budget."""
    if method not in METHODS:
        raise InputError("unknown method", key="method", value=method, expected="one of " + ", ".join(METHODS))
    objective = objective or inst.objective.name
    if objective == "demand_scale" and inst.constraints.budget_usd is None and inst.constraints.power_budget_w is None:
        raise InputError("maximize demand_scale needs a budget", file=inst.path, key="constraints",
                         expected="budget_usd or power_budget_w")
    t0 = time.perf_counter()
    if memory_budget_gb is not None and not memory_budget_gb > 0:
        raise InputError("memory budget must be positive", key="memory_budget_gb", value=memory_budget_gb,
                         expected="a number of GB > 0")
    # a slim SKU table: only what the columns need; the full rows of the SKUs left after pruning
    # are evaluated below (a 1e8-column space has about a million SKUs, of which thousands are left)
    built = (build_searching_bounded if bounded_search else _build_every_sku)(
        inst, design_space=design_space, sku=sku, objective=objective, memory_budget_gb=memory_budget_gb, slim=True)
    t_build = time.perf_counter() - t0
    problem = built.problem
    counts: dict[str, Any] = {"enumerated": built.columns_enumerated, "after_filters": problem.n_columns}
    if built.infeasibility():
        info = _solver_info(method, t_build, 0.0, built, problem)
        info.update(method_requested=method, method_reason="no solver ran: a workload has no column")
        info["wall_s"] = time.perf_counter() - t0
        sol = infeasible_solution(problem, info, built.infeasibility())
        return SolveResult(inst, problem, sol, built, None, method, counts, {"build_s": t_build})
    pc = prune_columns(problem)
    ps = prune_skus(pc.problem)
    problem, _ = compact_skus(ps.problem)
    problem = replace(problem, sku_table=built.skus.rows(problem.sku_table["sku_set_index"].to_numpy()))
    problem = replace(problem, col_table=column_table(inst, problem))
    counts.update(dominated=pc.counts["dominated"], not_min_packages=pc.counts["not_min_packages"],
                  sku_bound=pc.problem.n_columns - problem.n_columns, kept=problem.n_columns)
    t_prune = time.perf_counter() - t0 - t_build
    requested = method
    method, reason = choose_method(problem, requested)
    known = np.isfinite(ps.counts.get("incumbent", np.inf))
    try:
        sol, model = _solve_pruned(problem, method, start=ps.incumbent, time_limit_s=time_limit_s, mip_gap=mip_gap,
                                   threads=threads)
    except SolverError:
        # HiGHS's own error on a problem with a known feasible design (large coefficients): the
        # exhaustive reference answers when it is small enough
        if method != "milp" or not known:
            raise
        sol, model = _contradicted_infeasibility(problem, ps.counts["incumbent"], "the MILP solver failed"), None
    if sol.status == "infeasible" and method == "milp" and known:
        sol = _contradicted_infeasibility(problem, ps.counts["incumbent"])
    if sol.status == "infeasible":
        sol.explanation = explain(problem, requested)
    errors = verify(problem, sol) or recheck(inst, built, problem, sol)
    if errors:
        raise InternalError("the solution failed the independent re-check: " + "; ".join(errors))
    wall = time.perf_counter() - t0
    sol.solver.update(_solver_info(sol.solver.get("method") or method, t_build + t_prune + sol.solver.get("build_s", 0.0),
                                   sol.solver.get("solve_s", 0.0), built, problem))
    sol.solver["wall_s"] = wall
    sol.solver.update(method_requested=requested, method_reason=reason)
    for key in ("name", "version", "variables", "constraints"):
        sol.solver.setdefault(key, None)
    return SolveResult(inst, problem, sol, built, model, method, counts,
                       {"columns_s": t_build, "prune_s": t_prune, "wall_s": wall}, kept_columns=pc.kept[ps.kept])


def _build_every_sku(inst: Instance, **options) -> Built:
    """The columns of every SKU (no Proposition 12), one per (SKU, workload) as Proposition 3 keeps."""
    return build(inst, least_packages=True, **options)


# the exhaustive reference is the fallback where the MILP contradicts a known feasible design, up
# to this many column combinations (beyond: a SolverError, never a false "infeasible")
FALLBACK_COMBINATIONS = 10**6


def choose_method(problem: Problem, method: str) -> tuple[str, str]:
    """(method to run, why) for a pruned Problem: ``auto`` counts the combinations left and takes
    the enumerator up to AUTO_ENUMERATE_COMBINATIONS, the MILP above; both are exact."""
    if method != "auto":
        return method, "requested"
    n = combinations(problem)
    kind = "demand_scale" if problem.objective == "demand_scale" else "min"
    limit = AUTO_ENUMERATE_COMBINATIONS[kind]
    if n <= limit:
        return "enumerate", f"auto: {n:,} combinations after pruning <= {limit:,}: exhaustive enumeration"
    return "milp", f"auto: {n:,} combinations after pruning > {limit:,}: MILP"


def _contradicted_infeasibility(problem: Problem, incumbent: float,
                                why: str = "the MILP claimed infeasibility against a known feasible design") -> Solution:
    """HiGHS proved infeasible a Problem in which the SKU-bound pruning has just evaluated a
    feasible design (seen with switch prices of $1e8 and more, whose coefficients HiGHS's scaling
    loses): solve it by exhaustive enumeration instead, when that is small enough."""
    n = combinations(problem)
    if n > FALLBACK_COMBINATIONS:
        raise SolverError(f"HiGHS reports no feasible design, but one of capex or power {incumbent:.6g} is known "
                          f"({n:.3g} column combinations, too many to enumerate); no result is reported")
    sol = solve_enumerate(problem)
    sol.solver["method"] = "enumerate"
    sol.solver["note"] = why
    return sol


def solve_problem(problem: Problem, method: str = "milp", **options) -> Solution:
    """The optimum of an array Problem: both exact prunings (design.md, Propositions 2, 3 and 5),
    then the solver (``auto``: ``choose_method``). No explanation and no re-check
    (``solve_instance`` adds both)."""
    ps = prune_skus(prune_columns(problem).problem)
    return _solve_pruned(ps.problem, choose_method(ps.problem, method)[0], start=ps.incumbent, **options)[0]


def explain(problem: Problem, method: str = "milp") -> str:
    """Why ``problem`` has no design, its relaxed problems solved by ``solve_problem``."""
    return explain_infeasible(problem, solve=lambda q: solve_problem(q, method))


def _solve_pruned(problem: Problem, method: str, start: Incumbent | None = None,
                  **options) -> tuple[Solution, DesignModel | None]:
    """(Solution, DesignModel or None) of a pruned Problem, without an infeasibility explanation.
    ``start``: the known feasible design of the SKU-bound pruning, the MILP's MIP start."""
    if method == "enumerate":
        return solve_enumerate(problem), None
    if not problem.n_columns or not all(np.any(problem.col_workload == w) for w in range(problem.n_workloads)):
        return solve_milp(problem, **options), None
    model = DesignModel(problem)
    mip_start = None if start is None else (start.column, start.replicas)
    return model.solve(start=mip_start, **options), model


def _solver_info(method: str, build_s: float, solve_s: float, built: Built, problem: Problem) -> dict[str, Any]:
    return {"method": method, "build_s": build_s, "solve_s": solve_s, "wall_s": build_s + solve_s,
            "columns_enumerated": built.columns_enumerated, "columns_kept": problem.n_columns,
            "skus_not_searched": built.skus_not_searched}
