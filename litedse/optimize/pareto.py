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
import pandas as pd

from litedse.optimize.problem import Problem
from litedse.optimize.solution import Solution
from litedse.tech.sku import REQUIRED as DESIGN_COLUMNS  # the design keys of a SKU

CRITERIA = {"cost": ("min", "usd"), "power": ("min", "w"), "tco": ("min", "usd"),
            "demand_scale": ("max", "1"), "blast_radius": ("min", "h/yr")}
# default repair time per failure [h]; the instance's technology value (reliability.repair_hours,
# "assumption" in presets/technology/default.toml) overrides it
REPAIR_HOURS = 4.0
# resolution of exact mode: two values of a criterion closer than this are the same point
REL_STEP = 1e-7
ABS_STEP = 1e-6
MAX_POINTS = 200


def repair_hours_of(inst) -> float:
    """The instance's repair time per failure [h] (technology reliability.repair_hours), else REPAIR_HOURS."""
    return float(inst.technology.get("reliability", {}).get("repair_hours", REPAIR_HOURS))


def blast_radius_per_column(problem: Problem, repair_hours: float = REPAIR_HOURS) -> np.ndarray:
    """b_c = g_c * failures per package-year * repair hours [h/yr]: the expected hours per year one
    replica of column c is down (any failed package takes its replica down for the repair time).
    The same for every replica count, so a workload's expected lost share of capacity is b_c / 8760
    whatever n_c is: the criterion is linear in the column choice alone."""
    p = problem
    return p.col_packages.astype(float) * p.sku_failures_per_year[p.col_sku].astype(float) * float(repair_hours)


def metrics(problem: Problem, sol: Solution, repair_hours: float = REPAIR_HOURS) -> dict[str, float]:
    """The five criteria of a feasible design, recomputed from its columns and replica counts."""
    p = problem
    b = blast_radius_per_column(p, repair_hours)[sol.column]
    lam = float(np.min(p.col_throughput[sol.column] * sol.replicas / p.demand)) if p.n_workloads else 1.0
    return {"cost": float(sol.capex_usd), "power": float(sol.facility_power_w), "tco": float(sol.tco_usd),
            "demand_scale": lam, "blast_radius": float(b.sum())}


def _sign(name: str) -> float:
    return -1.0 if CRITERIA[name][0] == "max" else 1.0


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
    explanation: str = ""
    columns: int = 0                 # columns of the Problem
    columns_swept: int = 0           # columns of the model the sweep ran on (after Propositions 7 and 8)

    def to_frame(self, problem: Problem | None = None) -> pd.DataFrame:
        """One row per point, sorted by x: both criteria, every other criterion, the design label and
        per-workload column / replicas (and the SKU table's columns of the first workload's SKU)."""
        rows = []
        for i, pt in enumerate(self.points):
            row = {"point": i, "x": pt.values[self.x], "y": pt.values[self.y]}
            row.update(pt.values)
            row["epsilon"] = pt.epsilon
            row["design"] = pt.design
            row["packages"] = int(np.sum(pt.solution.packages))
            if problem is not None and problem.sku_table is not None:
                # the design of the first workload's SKU: which die size wins where
                sku = int(problem.col_sku[pt.solution.column[0]])
                for k in DESIGN_COLUMNS:
                    if k in problem.sku_table.columns:
                        v = problem.sku_table[k].iloc[sku]
                        row[k] = v.item() if hasattr(v, "item") else v
            rows.append(row)
        cols = ["point", "x", "y", *CRITERIA, "epsilon", "design", "packages"]
        return pd.DataFrame(rows, columns=None if rows else cols)

    def to_dict(self) -> dict:
        return {"x": {"name": self.x, "sense": CRITERIA[self.x][0], "unit": CRITERIA[self.x][1]},
                "y": {"name": self.y, "sense": CRITERIA[self.y][0], "unit": CRITERIA[self.y][1]},
                "mode": self.mode, "complete": self.complete, "status": self.status,
                "explanation": self.explanation, "solves": self.solves, "wall_s": self.wall_s,
                "build_s": self.build_s,
                "points": [{"values": pt.values, "epsilon": pt.epsilon, "design": pt.design,
                            "columns": pt.solution.column.tolist(), "replicas": pt.solution.replicas.tolist(),
                            "packages": int(np.sum(pt.solution.packages))} for pt in self.points]}


def _step(value: float) -> float:
    return max(ABS_STEP, REL_STEP * abs(value))


def sku_lower_bounds(problem: Problem, criterion: str, repair_hours: float = REPAIR_HOURS) -> np.ndarray:
    """LB_s: a lower bound on ``criterion`` (cost, power, tco or blast_radius) over every design
    that uses SKU s (design.md Proposition 5, with the blast radius's b_c as column contribution).
    inf for SKUs without a usable column."""
    from litedse.optimize.prune import usable_columns

    p = replace(problem, objective="cost")
    contrib = np.where(usable_columns(p), _criterion_per_column(p, criterion, repair_hours), np.inf)
    lb_ws = np.full((p.n_workloads, p.n_skus), np.inf)
    np.minimum.at(lb_ws, (p.col_workload, p.col_sku), contrib)
    lb_w = lb_ws.min(axis=1)
    if not np.all(np.isfinite(lb_w)):
        return np.full(p.n_skus, -np.inf)     # some workload cannot be served: no bound
    with np.errstate(invalid="ignore"):
        lb = lb_w.sum() + np.min(lb_ws - lb_w[:, None], axis=0)
    if p.charge_nre and criterion in ("cost", "tco"):
        lb = lb + p.die_nre_usd[p.sku_die]
    return lb


def _criterion_per_column(p: Problem, criterion: str, repair_hours: float) -> np.ndarray:
    from litedse.optimize.prune import min_replicas

    if criterion == "blast_radius":
        return blast_radius_per_column(p, repair_hours)
    per_pkg = {"cost": p.sku_capex_usd, "power": p.pue * p.sku_it_w,
               "tco": p.sku_capex_usd + p.energy_usd_per_w * p.pue * p.sku_it_w}[criterion].astype(float)
    return per_pkg[p.col_sku] * p.col_packages * min_replicas(p)


def incumbent_prune(problem: Problem, x: str, y: str, repair_hours: float = REPAIR_HOURS) -> np.ndarray:
    """Columns to keep by Proposition 8: a SKU is dropped when some feasible single-SKU design V
    (every workload on the SKU's best column for x, or for y, evaluated exactly) is strictly
    better on both criteria than the SKU's lower bounds (LB^x_s, LB^y_s). Min criteria only."""
    from litedse.optimize.enumerate import _evaluate
    from litedse.optimize.prune import min_replicas, usable_columns

    p = replace(problem, objective="cost")
    usable = usable_columns(p)
    if p.n_columns == 0 or p.n_workloads == 0:
        return np.arange(p.n_columns)
    cand = []
    for crit in (x, y):
        val = np.where(usable, _criterion_per_column(p, crit, repair_hours), np.inf)
        order = np.lexsort((np.arange(p.n_columns), val, p.col_workload, p.col_sku))
        best = np.full((p.n_skus, p.n_workloads), -1, dtype=np.int64)
        # first column of each (SKU, workload) group in the sort is its best for this criterion
        first = np.ones(len(order), dtype=bool)
        key = p.col_sku[order] * p.n_workloads + p.col_workload[order]
        first[1:] = key[1:] != key[:-1]
        pick = order[first & np.isfinite(val[order])]
        best[p.col_sku[pick], p.col_workload[pick]] = pick
        cand.append(best[np.all(best >= 0, axis=1)])
    C = np.concatenate(cand, axis=0)
    if not len(C):
        return np.arange(p.n_columns)
    ev = _evaluate(p, C, min_replicas(p)[C])
    br = blast_radius_per_column(p, repair_hours)[C].sum(axis=1)
    value = {"cost": ev["capex"], "power": ev["facility"], "tco": ev["tco"], "blast_radius": br}
    vx, vy = value[x][ev["ok"]], value[y][ev["ok"]]
    if not len(vx):
        return np.arange(p.n_columns)
    lbx, lby = sku_lower_bounds(p, x, repair_hours), sku_lower_bounds(p, y, repair_hours)
    # for each SKU: the smallest y among incumbents with x < LB^x_s (prefix minimum over sorted x)
    o = np.argsort(vx, kind="stable")
    xs, ymin = vx[o], np.minimum.accumulate(vy[o])
    k = np.searchsorted(xs, lbx * (1 - 1e-9) - 1e-9, side="left")
    best_y = np.where(k > 0, ymin[np.maximum(k - 1, 0)], np.inf)
    drop = best_y < lby * (1 - 1e-9) - 1e-9
    return np.flatnonzero(~drop[p.col_sku])


def _pareto_problem(problem: Problem, x: str, y: str) -> Problem:
    # lambda is a variable only under objective demand_scale; the min objectives share U_c = n*_c,
    # valid for every non-decreasing criterion (Proposition 1), so "cost" stands for all of them
    return replace(problem, objective="demand_scale" if "demand_scale" in (x, y) else "cost")


def pareto_front(problem: Problem, x: str, y: str, *, points: int | None = None,
                 repair_hours: float = REPAIR_HOURS, max_points: int = MAX_POINTS,
                 time_limit_s: float | None = None, threads: int | None = None,
                 bound_prune: bool = True) -> ParetoFront:
    """The non-dominated designs of ``problem`` for criteria ``x`` and ``y`` (each in CRITERIA).

    ``points=None``: the exact front (at most ``max_points`` points, best-x end first; ``complete``
    says whether it was reached). ``points=N``: AUGMECON2 grid of N epsilon values with bypass.
    ``bound_prune``: after the payoff table, sweep a model without the SKUs that cannot reach the
    front (Proposition 7; min criteria only). The points' columns always index ``problem``.
    """
    from litedse.optimize.milp import ParetoModel  # only the solver layer imports Pyomo

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
            from litedse.optimize.prune import subset_columns
            model_problem, remap = subset_columns(p, keep), keep
    pm = ParetoModel(model_problem, x, y, blast_radius_per_column(model_problem, repair_hours))
    front.build_s = pm.build_s
    sx, sy = _sign(x), _sign(y)
    # a bound is stored as the minimised value (sign * criterion); "no bound" is +inf
    none = math.inf

    def bound(name: str, s: float, v: float) -> None:
        if s > 0:
            pm.set_pareto_bound(name, v)
        else:
            pm.set_pareto_bound(name, 0.0 if not math.isfinite(v) else -v)

    def solve() -> Solution:
        front.solves += 1
        sol = pm.solve(time_limit_s=time_limit_s, threads=threads, explain=False)
        if remap is not None and sol.feasible:
            # same SKUs and fabrics, fewer columns: only the column indices differ
            sol.column = remap[sol.column]
        return sol

    def lex(first: str, second: str, eps_second: float) -> Solution | None:
        """min first s.t. second <= eps_second, then min second s.t. first <= its optimum."""
        s1, s2 = _sign(first), _sign(second)
        bound(second, s2, eps_second)
        bound(first, s1, none)
        pm.set_pareto_weights(*((1.0, 0.0) if first == x else (0.0, 1.0)))
        sol1 = solve()
        if not sol1.feasible:
            return None
        m1 = metrics(p, sol1, repair_hours)
        v1 = s1 * m1[first]
        bound(first, s1, v1 + 0.1 * _step(v1))
        pm.set_pareto_weights(*((0.0, 1.0) if first == x else (1.0, 0.0)))
        sol2 = solve()
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

    first = lex(x, y, none)
    if first is None:
        front.status = "infeasible"
        from litedse.optimize.solution import explain_infeasible
        front.explanation = explain_infeasible(problem)
        front.wall_s = time.perf_counter() - t0
        return front
    front.columns, front.columns_swept = p.n_columns, model_problem.n_columns
    other = None
    if "demand_scale" not in (x, y) and bound_prune:
        # Proposition 7: every non-dominated design has x <= x(A) and y <= y(B), where B = lex(x, y)
        # and A = lex(y, x) are the two ends of the front; SKUs whose lower bound exceeds either
        # end cannot appear on the front, and the sweep runs on the smaller model
        other = lex(y, x, none)
        mb, ma = metrics(p, first, repair_hours), metrics(p, other, repair_hours)
        lbx, lby = sku_lower_bounds(p, x, repair_hours), sku_lower_bounds(p, y, repair_hours)
        drop = (lbx > ma[x] * (1 + 1e-9) + 1e-9) | (lby > mb[y] * (1 + 1e-9) + 1e-9)
        keep = np.flatnonzero(~drop[p.col_sku])
        if remap is not None:
            keep = np.intersect1d(keep, remap)
        if len(keep) < 0.8 * model_problem.n_columns:
            from litedse.optimize.prune import subset_columns
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
            sol = lex(x, y, eps)
            if sol is None:
                break
            vy_new = sy * metrics(p, sol, repair_hours)[y]
            if vy_new > eps + 0.5 * _step(vy):
                # the solver accepted the bound within its tolerance: widen the step once more
                eps = vy - 100.0 * _step(vy)
                sol = lex(x, y, eps)
                if sol is None:
                    break
                vy_new = sy * metrics(p, sol, repair_hours)[y]
                if vy_new > eps + 0.5 * _step(vy):
                    raise RuntimeError(f"pareto: no progress below {y} = {sy * vy}")
            vy = add(sol, eps)
    else:
        if other is None:
            other = lex(y, x, none)
        vy_min = sy * metrics(p, other, repair_hours)[y]
        vy_max = vy
        grid = np.linspace(vy_max, vy_min, points)[1:]
        k = 0
        while k < len(grid):
            sol = lex(x, y, float(grid[k]) + 0.1 * _step(float(grid[k])))
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


def front_frame(fronts: dict[str, ParetoFront], problems: dict[str, Problem] | None = None) -> pd.DataFrame:
    """Fronts of several design classes as one table (a ``class`` column first)."""
    frames = []
    for name, fr in fronts.items():
        df = fr.to_frame(None if problems is None else problems.get(name))
        df.insert(0, "class", name)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def instance_problem(inst, x: str, y: str, cls=None, threads: int | None = None) -> Problem:
    """The Problem of one design class of an instance for a front of (x, y), pruned only by rules
    valid for both criteria: column dominance (Proposition 2) always; one column per (SKU,
    workload) (Proposition 3) unless the blast radius is a criterion (it depends on g_c alone, not
    on the packages g_c n*_c that Proposition 3 compares); never the objective-specific SKU bound."""
    from litedse.columns.build import build
    from litedse.optimize.prune import prune_columns

    kwargs = {} if cls is None else cls.solve_kwargs()
    objective = "demand_scale" if "demand_scale" in (x, y) else "cost"
    if objective == "demand_scale" and inst.constraints.budget_usd is None and inst.constraints.power_budget_w is None:
        from litedse.errors import InputError
        raise InputError("a front with demand_scale needs a budget", file=inst.path, key="constraints",
                         expected="budget_usd or power_budget_w")
    built = build(inst, objective=objective, **kwargs)
    p = built.problem
    if built.infeasibility():
        return p
    if "blast_radius" not in (x, y):
        return prune_columns(p).problem
    return prune_for_blast_radius(p) if objective != "demand_scale" else p


def prune_for_blast_radius(problem: Problem) -> Problem:
    """Proposition 3' (design.md section 10): for the min criteria together with the blast radius,
    drop column c if a column c' of the same SKU and workload has g_c' <= g_c and
    g_c' n*_c' <= g_c n*_c (fewer packages per replica and no more packages in all); also drop
    columns that cannot meet demand within their replica limit."""
    from litedse.optimize.prune import _dominance_survivors, min_replicas, subset_columns, usable_columns

    p = problem
    cols = np.flatnonzero(usable_columns(p))
    if not len(cols):
        return subset_columns(p, cols)
    groups = np.unique(np.stack([p.col_sku[cols], p.col_workload[cols]], axis=1), axis=0,
                       return_inverse=True)[1].ravel()
    total = (p.col_packages[cols] * min_replicas(p)[cols]).astype(float)
    keep = _dominance_survivors(groups, -total, p.col_packages[cols].astype(float))
    return subset_columns(p, cols[keep])


def pareto_instance(inst, x: str, y: str, classes: list[str] | None = None, *, points: int | None = None,
                    max_points: int = MAX_POINTS, threads: int | None = None,
                    time_limit_s: float | None = None) -> dict[str, tuple[ParetoFront, Problem]]:
    """One front per design class of ``inst`` (default: lite and monolithic): class -> (front, Problem)."""
    from litedse.inputs.classes import resolve_class

    rh = repair_hours_of(inst)
    out = {}
    for name in classes or ["lite", "monolithic"]:
        cls = resolve_class(inst, name)
        p = instance_problem(inst, x, y, cls)
        if p.n_columns == 0 or any(not np.any(p.col_workload == w) for w in range(p.n_workloads)):
            out[name] = (ParetoFront(x=x, y=y, status="infeasible",
                                     explanation="some workload has no feasible column in this class"), p)
            continue
        out[name] = (pareto_front(p, x, y, points=points, repair_hours=rh, max_points=max_points,
                                  threads=threads, time_limit_s=time_limit_s), p)
    return out
