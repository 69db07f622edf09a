"""Exact bi-objective Pareto fronts of a design Problem by the epsilon-constraint method with the
AUGMECON2 refinements, on one persistent ``ParetoModel`` (formulations/design.md, section 10).

Criteria: ``cost`` (capex, USD), ``power`` (facility W), ``tco`` (USD), ``demand_scale`` (served
fraction of every demand, maximised) and ``blast_radius`` (expected hours per year a replica is
down, summed over workloads; linear in the column choice).

Method, per front of (x = primary, y = secondary):
- each point is lexicographic: minimise x subject to y <= eps, then minimise y subject to
  x <= x* (this second stage is what AUGMECON2's augmentation term approximates; solving it exactly
  guarantees that no weakly dominated point is reported, independent of solver tolerances);
- the payoff table's ends are the two lexicographic optima (x then y, y then x);
- exact mode (``points=None``): the next eps is the found y minus a resolution step, which visits
  every non-dominated objective vector once (the bypass of AUGMECON2 taken to its limit);
- grid mode (``points=N``): eps walks N equidistant values between the ends of y, and the bypass
  skips every grid value the last solution already satisfies.
Only bounds and weights change between solves; the model is built once.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from litedse.optimize.milp import ParetoModel
from litedse.optimize.problem import CRITERIA, MIN_OBJECTIVES, Problem, blast_radius_per_column, criterion_value
from litedse.optimize.prune import front_ends_prune, incumbent_prune, single_die_incumbent_design, subset_columns
from litedse.optimize.solution import Solution

# resolution of exact mode: two values of a criterion closer than this are the same point
REL_STEP = 1e-7
ABS_STEP = 1e-6
MAX_POINTS = 200


def metrics(problem: Problem, sol: Solution, repair_hours: float) -> dict[str, float]:
    """The five criteria of a feasible design, recomputed from its columns and replica counts."""
    p = problem
    b = blast_radius_per_column(p, repair_hours)[sol.column]
    lam = float(np.min(p.col_throughput[sol.column] * sol.replicas / p.demand)) if p.n_workloads else 1.0
    return {name: float(criterion_value(name, capex=sol.capex_usd, facility=sol.facility_power_w, tco=sol.tco_usd,
                                        demand_scale=lam, blast_radius=b.sum())) for name in CRITERIA}


def _sign(name: str) -> float:
    return -1.0 if CRITERIA[name].sense == "max" else 1.0


def design_label(problem: Problem, sol: Solution) -> str:
    """Short human label of the die designs and SKUs a solution uses ("die label" per workload)."""
    p = problem
    skus = p.col_sku[sol.column]
    if p.sku_table is not None and "label" in p.sku_table.columns:
        names = [str(p.sku_table["label"].iloc[s]) for s in skus]
    else:
        names = [f"{p.die_labels[p.sku_die[s]]}/sku{s}" for s in skus]
    return " + ".join(dict.fromkeys(names))


@dataclass
class ParetoPoint:
    values: dict[str, float]         # all five criteria of this design
    epsilon: float                   # the bound on the secondary criterion that produced it
    solution: Solution
    design: str                      # design_label


@dataclass
class ParetoFront:
    x: str
    y: str
    points: list[ParetoPoint] = field(default_factory=list)
    solves: int = 0
    wall_s: float = 0.0
    build_s: float = 0.0
    complete: bool = True            # False if exact mode stopped at max_points
    mode: str = "exact"
    status: str = "optimal"          # "infeasible" if no design meets the Problem at all
    explanation: str = ""            # filled in by the caller, who knows the solver (litedse.solve)
    columns: int = 0                 # columns of the Problem
    columns_swept: int = 0           # columns of the model the sweep ran on (after Propositions 7 and 8)


def _step(value: float) -> float:
    return max(ABS_STEP, REL_STEP * abs(value))


def _pareto_problem(problem: Problem, x: str, y: str) -> Problem:
    # lambda is a variable only under objective demand_scale; the min objectives share U_c = n*_c,
    # valid for every non-decreasing criterion (Proposition 1), so "cost" stands for all of them
    return replace(problem, objective="demand_scale" if "demand_scale" in (x, y) else "cost")


def pareto_front(problem: Problem, x: str, y: str, *, repair_hours: float, points: int | None = None,
                 max_points: int = MAX_POINTS,
                 time_limit_s: float | None = None, threads: int | None = None,
                 bound_prune: bool = True, warm_start: bool = True) -> ParetoFront:
    """The non-dominated designs of ``problem`` for criteria ``x`` and ``y`` (each in CRITERIA).

    ``points=None``: the exact front (at most ``max_points`` points, best-x end first; ``complete``
    says whether it was reached). ``points=N``: AUGMECON2 grid of N epsilon values with bypass.
    ``bound_prune``: after the payoff table, sweep a model without the SKUs that cannot reach the
    front (Proposition 7; min criteria only). ``warm_start``: give HiGHS a known feasible design
    as MIP start at every solve (the first stage's optimum for the second stage; the end of the
    front with the least y for each next bound; the single-die incumbent for the first solve).
    The points' columns always index ``problem``.
    """
    if x not in CRITERIA or y not in CRITERIA or x == y:
        raise ValueError(f"x and y must be two different criteria of {sorted(CRITERIA)}, got {x!r}, {y!r}")
    if points is not None and points < 2:
        raise ValueError("points must be >= 2")
    t0 = time.perf_counter()
    p = _pareto_problem(problem, x, y)
    front = ParetoFront(x=x, y=y, mode="exact" if points is None else f"grid{points}")
    remap = None   # column indices of the (pruned) model in p (Propositions 7 and 8)
    model_problem = p
    if "demand_scale" not in (x, y) and bound_prune:
        keep = incumbent_prune(p, x, y, repair_hours)
        if len(keep) < p.n_columns:
            model_problem, remap = subset_columns(p, keep), keep
    pm = ParetoModel(model_problem, x, y, blast_radius_per_column(model_problem, repair_hours))
    front.build_s = pm.build_s
    sy = _sign(y)
    # a bound is stored as the minimised value (sign * criterion); "no bound" is +inf
    none = math.inf

    def bound(name: str, s: float, v: float) -> None:
        if s > 0:
            pm.set_pareto_bound(name, v)
        else:
            pm.set_pareto_bound(name, 0.0 if not math.isfinite(v) else -v)

    def solve(start: Solution | None = None) -> Solution:
        front.solves += 1
        sol = pm.solve(time_limit_s=time_limit_s, threads=threads, start=mip_start(start))
        if remap is not None and sol.feasible:
            # same SKUs and fabrics, fewer columns: only the column indices differ
            sol.column = remap[sol.column]
        return sol

    def mip_start(sol: Solution | None):
        """A design of ``p`` as a start of the current model (None if its columns were pruned)."""
        if not warm_start or sol is None or not sol.feasible:
            return None
        cols = sol.column if remap is None else np.searchsorted(remap, sol.column)
        if remap is not None and (np.any(cols >= len(remap)) or np.any(remap[np.minimum(cols, len(remap) - 1)]
                                                                     != sol.column)):
            return None
        return cols, sol.replicas

    def lex(first: str, second: str, eps_second: float, start: Solution | None = None) -> Solution | None:
        """min first s.t. second <= eps_second, then min second s.t. first <= its optimum;
        ``start``: a design known to satisfy second <= eps_second."""
        s1, s2 = _sign(first), _sign(second)
        bound(second, s2, eps_second)
        bound(first, s1, none)
        pm.set_pareto_weights(*((1.0, 0.0) if first == x else (0.0, 1.0)))
        sol1 = solve(start)
        if not sol1.feasible:
            return None
        m1 = metrics(p, sol1, repair_hours)
        v1 = s1 * m1[first]
        bound(first, s1, v1 + 0.1 * _step(v1))
        pm.set_pareto_weights(*((0.0, 1.0) if first == x else (1.0, 0.0)))
        sol2 = solve(sol1)                      # sol1 meets both bounds of the second stage
        bound(first, s1, none)
        if not sol2.feasible:   # only a tolerance artefact: sol1 itself satisfies the bound
            return sol1
        m2 = metrics(p, sol2, repair_hours)
        # keep the second stage only if it is no worse on both (it cannot be, up to tolerances)
        if s2 * m2[second] <= s2 * m1[second] and s1 * m2[first] <= s1 * m1[first] + 0.1 * _step(v1):
            return sol2
        return sol1

    def add(sol: Solution, eps: float) -> float:
        vals = metrics(p, sol, repair_hours)
        front.points.append(ParetoPoint(values=vals, epsilon=sy * eps if math.isfinite(eps) else eps,
                                        solution=sol, design=design_label(p, sol)))
        return sy * vals[y]

    first = lex(x, y, none, start=_incumbent(p, x) if warm_start else None)
    if first is None:
        front.status = "infeasible"
        front.wall_s = time.perf_counter() - t0
        return front
    front.columns, front.columns_swept = p.n_columns, model_problem.n_columns
    other = None
    if "demand_scale" not in (x, y) and bound_prune:
        # Proposition 7: every non-dominated design has x <= x(A) and y <= y(B), where B = lex(x, y)
        # and A = lex(y, x) are the two ends of the front; SKUs whose lower bound exceeds either
        # end cannot appear on the front, and the sweep runs on the smaller model
        other = lex(y, x, none, start=_incumbent(p, y) if warm_start else None)
        mb, ma = metrics(p, first, repair_hours), metrics(p, other, repair_hours)
        keep = front_ends_prune(p, x, y, ma[x], mb[y], repair_hours)
        if remap is not None:
            keep = np.intersect1d(keep, remap)
        if len(keep) < 0.8 * model_problem.n_columns:
            sub = subset_columns(p, keep)
            pm = ParetoModel(sub, x, y, blast_radius_per_column(sub, repair_hours))
            front.build_s += pm.build_s
            front.columns_swept = len(keep)
            remap = keep
    vy = add(first, none)
    if points is None:
        while True:
            if len(front.points) >= max_points:
                front.complete = False
                break
            eps = vy - _step(vy)
            # the front's least-y end meets every bound down to its own y: a start for each step
            sol = lex(x, y, eps, start=other)
            if sol is None:
                break
            vy_new = sy * metrics(p, sol, repair_hours)[y]
            if vy_new > eps + 0.5 * _step(vy):
                # the solver accepted the bound within its tolerance: widen the step once more
                eps = vy - 100.0 * _step(vy)
                sol = lex(x, y, eps, start=other)
                if sol is None:
                    break
                vy_new = sy * metrics(p, sol, repair_hours)[y]
                if vy_new > eps + 0.5 * _step(vy):
                    raise RuntimeError(f"pareto: no progress below {y} = {sy * vy}")
            vy = add(sol, eps)
    else:
        if other is None:
            other = lex(y, x, none, start=_incumbent(p, y) if warm_start else None)
        vy_min = sy * metrics(p, other, repair_hours)[y]
        vy_max = vy
        grid = np.linspace(vy_max, vy_min, points)[1:]
        k = 0
        while k < len(grid):
            sol = lex(x, y, float(grid[k]) + 0.1 * _step(float(grid[k])), start=other)
            if sol is None:
                break
            vy_new = sy * metrics(p, sol, repair_hours)[y]
            if vy_new < vy - 0.5 * _step(vy):
                vy = add(sol, float(grid[k]))
            # bypass: every grid value the found point already satisfies yields the same point
            k += 1
            while k < len(grid) and grid[k] >= vy_new - 0.1 * _step(vy_new):
                k += 1
    front.points = _non_dominated(front.points, x, y)
    front.wall_s = time.perf_counter() - t0
    return front


def _incumbent(problem: Problem, criterion: str) -> Solution | None:
    """The single-die incumbent for a min criterion (Proposition 5's V) as a Solution-like start,
    or None (demand_scale, blast radius, or no feasible single-die design)."""
    if criterion not in MIN_OBJECTIVES or problem.objective == "demand_scale":
        return None
    inc = single_die_incumbent_design(replace(problem, objective=criterion))
    if not np.isfinite(inc.value):
        return None
    return Solution(status="feasible", objective_name=criterion, column=inc.column, replicas=inc.replicas)


def _non_dominated(points: list[ParetoPoint], x: str, y: str) -> list[ParetoPoint]:
    """Drop points another point weakly dominates with a strict improvement (a safety net against
    solver tolerances; the lexicographic stages already make every point non-dominated)."""
    sx, sy = _sign(x), _sign(y)
    vals = np.array([[sx * pt.values[x], sy * pt.values[y]] for pt in points]).reshape(-1, 2)
    keep = []
    for i in range(len(points)):
        le = np.all(vals <= vals[[i]], axis=1)
        lt = np.any(vals < vals[[i]], axis=1)
        if not np.any(le & lt):
            keep.append(i)
    keep.sort(key=lambda i: (vals[i, 0], vals[i, 1]))
    return [points[i] for i in keep]
