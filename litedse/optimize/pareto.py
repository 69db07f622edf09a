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
Only bounds and weights change between solves; the model is built once, at its first use: for two
min criteria a point whose combinations within the separable bounds of design.md Proposition 10
are few is found by enumerating them instead (``enumerate_limit``), the same lexicographic point.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from litedse.optimize.designs import REL_TOL, design_from_choice, evaluate_designs
from litedse.optimize.enumerate import combinations_within
from litedse.optimize.milp import ParetoModel
from litedse.optimize.problem import CRITERIA, MIN_OBJECTIVES, Problem, blast_radius_per_column, criterion_value
from litedse.optimize.prune import (column_lower_bounds, front_ends_prune, incumbent_prune, min_replicas,
                                    single_die_incumbent_design, subset_columns, usable_columns)
from litedse.optimize.solution import Solution

# resolution of exact mode: two values of a criterion closer than this are the same point
REL_STEP = 1e-7
ABS_STEP = 1e-6
MAX_POINTS = 200
# a lexicographic point is found by enumeration when at most this many combinations lie within
# Proposition 10's bounds: the design evaluator ran about 1.5e6 designs/s on the 2-core machine
# (benchmarks/bench_pareto_fleet.py: 1.8e6 combinations in 1.2 s) where a MILP step of the fleet
# front took 3-250 s; 4e6 rows of three workloads' columns and their two bound sums take about 160 MB
ENUMERATE_LIMIT = 4_000_000
# rounds of best exchanges that look for a good known design (each evaluates every usable column
# and every die move once per base design)
SWAP_ROUNDS = 4
# weights of the weighted single-die designs that seed the exchanges
WEIGHTS = 25
# bisection steps on the cap of Proposition 10 when the known design lets too many combinations through
CAP_BISECTIONS = 12


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
    enumerated: int = 0              # of ``solves``, lexicographic points found by enumeration (Proposition 10)


def _step(value: float) -> float:
    return max(ABS_STEP, REL_STEP * abs(value))


def _pareto_problem(problem: Problem, x: str, y: str) -> Problem:
    # lambda is a variable only under objective demand_scale; the min objectives share U_c = n*_c,
    # valid for every non-decreasing criterion (Proposition 1), so "cost" stands for all of them
    return replace(problem, objective="demand_scale" if "demand_scale" in (x, y) else "cost")


def pareto_front(problem: Problem, x: str, y: str, *, repair_hours: float, points: int | None = None,
                 max_points: int = MAX_POINTS,
                 time_limit_s: float | None = None, threads: int | None = None,
                 bound_prune: bool = True, warm_start: bool = True,
                 enumerate_limit: int = ENUMERATE_LIMIT) -> ParetoFront:
    """The non-dominated designs of ``problem`` for criteria ``x`` and ``y`` (each in CRITERIA).

    ``points=None``: the exact front (at most ``max_points`` points, best-x end first; ``complete``
    says whether it was reached). ``points=N``: AUGMECON2 grid of N epsilon values with bypass.
    ``bound_prune``: after the payoff table, sweep a model without the SKUs that cannot reach the
    front (Proposition 7; min criteria only). ``warm_start``: give HiGHS a known feasible design
    as MIP start at every solve (the single-die incumbent for the ends, the front's least-y end for
    each next bound, or with enumeration on the better design the exchanges of ``_best_known``
    reach; the first stage's optimum for the second stage). ``enumerate_limit``: for two min criteria, a lexicographic point whose
    combinations within Proposition 10's bounds are at most this many is found by enumerating
    them (0: every point by the MILP). The points' columns always index ``problem``.
    """
    if x not in CRITERIA or y not in CRITERIA or x == y:
        raise ValueError(f"x and y must be two different criteria of {sorted(CRITERIA)}, got {x!r}, {y!r}")
    if points is not None and points < 2:
        raise ValueError("points must be >= 2")
    t0 = time.perf_counter()
    p = _pareto_problem(problem, x, y)
    front = ParetoFront(x=x, y=y, mode="exact" if points is None else f"grid{points}")
    remap = None   # column indices of the swept Problem in p (Propositions 7 and 8)
    swept = p
    if "demand_scale" not in (x, y) and bound_prune:
        keep = incumbent_prune(p, x, y, repair_hours)
        if len(keep) < p.n_columns:
            swept, remap = subset_columns(p, keep), keep
    by_enumeration = enumerate_limit > 0 and "demand_scale" not in (x, y)
    models: list[ParetoModel] = []          # the MILP of ``swept``, built at its first use

    def model() -> ParetoModel:
        if not models:
            models.append(ParetoModel(swept, x, y, blast_radius_per_column(swept, repair_hours)))
            front.build_s += models[0].build_s
        return models[0]

    sy = _sign(y)
    # a bound is stored as the minimised value (sign * criterion); "no bound" is +inf
    none = math.inf

    def bound(name: str, s: float, v: float) -> None:
        if s > 0:
            model().set_pareto_bound(name, v)
        else:
            model().set_pareto_bound(name, 0.0 if not math.isfinite(v) else -v)

    def solve(start: Solution | None = None) -> Solution:
        front.solves += 1
        sol = model().solve(time_limit_s=time_limit_s, threads=threads, start=mip_start(start))
        if remap is not None and sol.feasible:
            # same SKUs and fabrics, fewer columns: only the column indices differ
            sol.column = remap[sol.column]
        return sol

    def in_swept(sol: Solution | None) -> np.ndarray | None:
        """A design of ``p`` in the swept Problem's column indices (None if its columns were pruned)."""
        if sol is None or not sol.feasible:
            return None
        if remap is None:
            return np.asarray(sol.column)
        cols = np.searchsorted(remap, sol.column)
        if np.any(cols >= len(remap)) or np.any(remap[np.minimum(cols, len(remap) - 1)] != sol.column):
            return None
        return cols

    def mip_start(sol: Solution | None):
        """A design of ``p`` as a start of the current model (None if its columns were pruned)."""
        cols = in_swept(sol) if warm_start else None
        return None if cols is None else (cols, sol.replicas)

    def enumerated(first: str, second: str, eps_second: float, seeds: list):
        """The lexicographic point by Proposition 10's enumeration, or _TOO_MANY (with the best
        design the exchanges found, a start for the MILP)."""
        rows = [c for c in (in_swept(sol) for sol in seeds) if c is not None]
        known, value = _best_known(swept, first, second, eps_second, rows, repair_hours)
        sol = _lex_enumerated(swept, first, second, eps_second, value, repair_hours, enumerate_limit)
        if sol is _TOO_MANY:
            if known is None:
                return _TOO_MANY, None
            start = Solution(status="feasible", objective_name=first, column=known if remap is None else remap[known],
                             replicas=min_replicas(swept)[known])
            return _TOO_MANY, start
        front.solves += 1
        front.enumerated += 1
        if sol is not None and remap is not None:
            sol.column = remap[sol.column]
        return sol, None

    def lex(first: str, second: str, eps_second: float, start: Solution | None = None,
            seeds: tuple = ()) -> Solution | None:
        """min first s.t. second <= eps_second, then min second s.t. first <= its optimum;
        ``start``: a design known to satisfy second <= eps_second; ``seeds``: more designs whose
        exchanges may give a better one."""
        if by_enumeration:
            sol, better = enumerated(first, second, eps_second, [start, *seeds])
            if sol is not _TOO_MANY:
                return sol
            start = better or start
        s1, s2 = _sign(first), _sign(second)
        bound(second, s2, eps_second)
        bound(first, s1, none)
        model().set_pareto_weights(*((1.0, 0.0) if first == x else (0.0, 1.0)))
        sol1 = solve(start)
        if not sol1.feasible:
            return None
        m1 = metrics(p, sol1, repair_hours)
        v1 = s1 * m1[first]
        bound(first, s1, v1 + 0.1 * _step(v1))
        model().set_pareto_weights(*((0.0, 1.0) if first == x else (1.0, 0.0)))
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

    def last() -> tuple:
        return (front.points[-1].solution,) if front.points else ()

    inc_x = _incumbent(p, x) if warm_start or by_enumeration else None
    first = lex(x, y, none, start=inc_x)
    if first is None:
        front.status = "infeasible"
        front.wall_s = time.perf_counter() - t0
        return front
    front.columns, front.columns_swept = p.n_columns, swept.n_columns
    other = None
    if "demand_scale" not in (x, y) and bound_prune:
        # Proposition 7: every non-dominated design has x <= x(A) and y <= y(B), where B = lex(x, y)
        # and A = lex(y, x) are the two ends of the front; SKUs whose lower bound exceeds either
        # end cannot appear on the front, and the sweep runs on the smaller model
        inc_y = _incumbent(p, y) if warm_start or by_enumeration else None
        other = lex(y, x, none, start=inc_y, seeds=(first,))
        mb, ma = metrics(p, first, repair_hours), metrics(p, other, repair_hours)
        keep = front_ends_prune(p, x, y, ma[x], mb[y], repair_hours)
        if remap is not None:
            keep = np.intersect1d(keep, remap)
        # the one rebuild of the model; an enumerated sweep has no model to rebuild
        if len(keep) < (1.0 if by_enumeration and not models else 0.8) * swept.n_columns:
            swept, remap = subset_columns(p, keep), keep
            models.clear()
            front.columns_swept = len(keep)
    vy = add(first, none)
    if points is None:
        while True:
            if len(front.points) >= max_points:
                front.complete = False
                break
            eps = vy - _step(vy)
            # the front's least-y end meets every bound down to its own y: a start for each step
            sol = lex(x, y, eps, start=other, seeds=last())
            if sol is None:
                break
            vy_new = sy * metrics(p, sol, repair_hours)[y]
            if vy_new > eps + 0.5 * _step(vy):
                # the solver accepted the bound within its tolerance: widen the step once more
                eps = vy - 100.0 * _step(vy)
                sol = lex(x, y, eps, start=other, seeds=last())
                if sol is None:
                    break
                vy_new = sy * metrics(p, sol, repair_hours)[y]
                if vy_new > eps + 0.5 * _step(vy):
                    raise RuntimeError(f"pareto: no progress below {y} = {sy * vy}")
            vy = add(sol, eps)
    else:
        if other is None:
            other = lex(y, x, none, start=_incumbent(p, y) if warm_start or by_enumeration else None, seeds=(first,))
        vy_min = sy * metrics(p, other, repair_hours)[y]
        vy_max = vy
        grid = np.linspace(vy_max, vy_min, points)[1:]
        k = 0
        while k < len(grid):
            sol = lex(x, y, float(grid[k]) + 0.1 * _step(float(grid[k])), start=other, seeds=last())
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


_TOO_MANY = object()       # _lex_enumerated: more combinations within the bounds than the limit


def _criteria(problem: Problem, C: np.ndarray, names: tuple[str, ...], repair_hours: float,
              chunk: int = 1 << 17) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Min criteria ``names`` of the designs ``C`` (rows: a column per workload, n*_c replicas)
    and whether each is feasible, by the design evaluator in chunks."""
    n_star = min_replicas(problem)
    b = blast_radius_per_column(problem, repair_hours)
    out = {name: np.empty(len(C)) for name in names}
    ok = np.empty(len(C), dtype=bool)
    for a in range(0, len(C), chunk):
        c = C[a:a + chunk]
        ev = evaluate_designs(problem, c, n_star[c])
        for name in names:
            out[name][a:a + chunk] = criterion_value(name, capex=ev["capex"], facility=ev["facility"], tco=ev["tco"],
                                                     blast_radius=b[c].sum(axis=1))
        ok[a:a + chunk] = ev["ok"]
    return out, ok


def _within(values: np.ndarray, eps: float) -> np.ndarray:
    """values <= eps with the design evaluator's budget tolerance (no bound: eps = inf)."""
    return values <= eps + REL_TOL * abs(eps) if math.isfinite(eps) else np.ones(len(values), dtype=bool)


def _best_per_die(problem: Problem, value: np.ndarray) -> np.ndarray:
    """(dies, workloads): each die design's usable column of least ``value`` per workload (ties:
    lowest index; -1 where the die has none)."""
    p = problem
    W = p.n_workloads
    usable = usable_columns(p)
    die = p.sku_die[p.col_sku]
    order = np.lexsort((np.arange(p.n_columns), value, p.col_workload, die))
    order = order[usable[order]]
    key = die[order] * W + p.col_workload[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    best = np.full((p.n_dies, W), -1, dtype=np.int64)
    best[die[order[first]], p.col_workload[order[first]]] = order[first]
    return best


def _die_moves(problem: Problem, bases: np.ndarray, ranks: list[np.ndarray]) -> np.ndarray:
    """Designs that move two or more workloads of each base design at once onto one die design,
    each on its column of that die that ranks first by one of ``ranks`` (values per column): the
    exchanges a limit of K die designs blocks one column at a time."""
    W = problem.n_workloads
    moves = []
    for value in ranks:
        best = _best_per_die(problem, value)
        for subset in itertools.chain.from_iterable(itertools.combinations(range(W), k) for k in range(2, W + 1)):
            d = np.flatnonzero(np.all(best[:, subset] >= 0, axis=1))
            m = np.repeat(bases, len(d), axis=0)
            m[:, subset] = np.tile(best[d][:, subset], (len(bases), 1))
            moves.append(m)
    return np.concatenate(moves) if moves else np.zeros((0, W), dtype=np.int64)


def _weighted_designs(problem: Problem, lf: np.ndarray, ls: np.ndarray) -> np.ndarray:
    """Single-die designs that put every workload on its die's column of least lf + t ls, for
    weights t spread over six decades around the ratio of the two bounds' scales: where the
    supported points of the front lie, whatever the bound on the second criterion."""
    finite = np.isfinite(lf) & np.isfinite(ls)
    if not finite.any():
        return np.zeros((0, problem.n_workloads), dtype=np.int64)
    scale = float(np.median(lf[finite])) / max(float(np.median(ls[finite])), 1e-300)
    out = []
    for t in scale * np.logspace(-3.0, 3.0, WEIGHTS):
        best = _best_per_die(problem, np.where(finite, lf + t * ls, np.inf))
        out.append(best[np.all(best >= 0, axis=1)])
    return np.concatenate(out)


def _best_known(problem: Problem, first: str, second: str, eps: float, seeds: list[np.ndarray],
                repair_hours: float) -> tuple[np.ndarray | None, float]:
    """A feasible design with ``second`` <= eps and as little ``first`` as rounds of the best
    exchange reach from ``seeds`` (designs, feasible or not) and from the best weighted
    single-die design (``_weighted_designs``), and its ``first``; (None, inf) if none is found.
    An exchange replaces one workload's column, or moves two or more workloads onto one die
    design (``_die_moves``). Only a bound for Proposition 10 and a start for HiGHS: any feasible
    design keeps the result exact, a better one makes it faster."""
    cols = np.flatnonzero(usable_columns(problem))
    if not len(cols) or problem.n_workloads == 0:
        return None, math.inf
    ranks = [column_lower_bounds(problem, c, repair_hours) for c in (first, second)]
    # the best feasible of the seeds and the weighted single-die designs starts the exchanges
    starts = np.concatenate([np.asarray(seeds, dtype=np.int64).reshape(len(seeds), problem.n_workloads),
                             _weighted_designs(problem, *ranks)])
    vals, ok = _criteria(problem, starts, (first, second), repair_hours)
    ok &= _within(vals[second], eps)
    keep = [np.asarray(seeds, dtype=np.int64).reshape(len(seeds), problem.n_workloads)]
    if ok.any():
        keep.append(starts[np.flatnonzero(ok)[np.argmin(vals[first][ok])]][None, :])
    bases = np.unique(np.concatenate(keep), axis=0)
    best, value = None, math.inf
    for _ in range(SWAP_ROUNDS):
        swaps = np.repeat(bases, len(cols), axis=0)
        swaps[np.arange(len(swaps)), np.tile(problem.col_workload[cols], len(bases))] = np.tile(cols, len(bases))
        designs = np.concatenate([bases, swaps, _die_moves(problem, bases, ranks)])
        vals, ok = _criteria(problem, designs, (first, second), repair_hours)
        ok &= _within(vals[second], eps)
        if not ok.any():
            break
        i = np.flatnonzero(ok)[np.argmin(vals[first][ok])]
        if vals[first][i] >= value:
            break
        best, value = designs[i], float(vals[first][i])
        bases = best[None, :]
    return best, value


def _lex_enumerated(problem: Problem, first: str, second: str, eps: float, known: float, repair_hours: float,
                    limit: int):
    """The lexicographic point (min ``first`` s.t. ``second`` <= eps, then min ``second`` among
    the designs within ``first``'s resolution of that minimum; ties: the smallest column indices)
    over the combinations within Proposition 10's bounds, given ``known``, the ``first`` of a
    feasible design with ``second`` <= eps (inf: none). Every design at least as good lies within
    the bounds, so this is the MILP's lexicographic point. Returns a Solution, None if no design
    meets the bound, or _TOO_MANY."""
    lf = column_lower_bounds(problem, first, repair_hours)
    ls = column_lower_bounds(problem, second, repair_hours)
    cap = known + 0.1 * _step(known) if math.isfinite(known) else math.inf
    # the combinations are counted on the first bound: try each criterion's first
    C = combinations_within(problem, [(lf, cap), (ls, eps)], limit) if math.isfinite(cap) else None
    if C is None and math.isfinite(eps):
        C = combinations_within(problem, [(ls, eps), (lf, cap)], limit)
    if C is None and not (math.isfinite(cap) or math.isfinite(eps)):
        C = combinations_within(problem, [(lf, cap), (ls, eps)], limit)
    reduced = False
    if C is None and math.isfinite(cap):
        # the known design lets too many through: bisect for the largest cap on ``first`` that
        # lets at most ``limit`` through; a point below it is still exact (every design with that
        # little ``first`` is among them)
        usable = usable_columns(problem)
        lo = float(sum(lf[(problem.col_workload == w) & usable].min() for w in range(problem.n_workloads)))
        hi = cap
        for _ in range(CAP_BISECTIONS):
            mid = 0.5 * (lo + hi)
            found = combinations_within(problem, [(lf, mid), (ls, eps)], limit)
            if found is None:
                hi = mid
            else:
                lo, C = mid, found
        cap, reduced = lo, True
    if C is None:
        return _TOO_MANY
    vals, ok = _criteria(problem, C, (first, second), repair_hours)
    ok &= _within(vals[second], eps)
    if not ok.any():
        return _TOO_MANY if reduced else None
    idx = np.flatnonzero(ok)
    least = float(vals[first][idx].min())
    if reduced and least + 0.1 * _step(least) > cap:
        return _TOO_MANY
    tie = idx[vals[first][idx] <= least + 0.1 * _step(least)]
    order = np.lexsort((*(C[tie, w] for w in reversed(range(problem.n_workloads))), vals[second][tie]))
    chosen = C[tie[order[0]]]
    info = {"name": "numpy", "version": np.__version__, "method": "enumerate", "combinations": int(len(C))}
    return design_from_choice(problem, chosen, min_replicas(problem)[chosen], status="optimal", gap=0.0, solver=info)


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
