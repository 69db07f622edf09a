"""Exhaustive reference solver over exactly the MILP's solution set (formulations/design.md,
"Reference enumeration").

Every combination of one column per workload is evaluated, vectorised over chunks of the Cartesian
product (mixed-radix decoding of a flat combination index; memory bounded by the chunk size, no
Python loop per combination). For the min objectives a chosen column has exactly
n*_c = ceil(D_w / r_c) replicas (Proposition 1). For demand_scale the largest feasible scale of a
combination is found exactly: bisection on lambda gets close, then a certification step
(Proposition 4) walks breakpoints until the next one is infeasible.
Used by tests (agreement with the MILP) and benchmarks (speed-up of the MILP); slow by design.
"""

from __future__ import annotations

import time

import numpy as np

from litedse.optimize.designs import design_from_choice, evaluate_designs, objective_of
from litedse.optimize.problem import Problem
from litedse.optimize.prune import check_problem, min_replicas, replica_upper_bounds, usable_columns
from litedse.optimize.solution import Solution, infeasible_solution

BISECTION_STEPS = 64


def _max_scale(p: Problem, C: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest feasible lambda of each combination (rows of C) and its replicas; -inf if even
    lambda = 0 is infeasible."""
    r = p.col_throughput[C]
    D = p.demand[None, :]

    def reps(lam, rr):  # fewest replicas serving lambda D_w (1e-9: a breakpoint maps to its own n)
        return np.maximum(np.ceil(lam[:, None] * D / rr - 1e-9), 0).astype(np.int64)

    def feasible(lam):
        return evaluate_designs(p, C, reps(lam, r))["ok"]

    zero_ok = evaluate_designs(p, C, np.zeros(C.shape, dtype=np.int64))["ok"]
    lo = np.zeros(len(C))
    hi = np.min(ub[C] * r / D, axis=1) * (1.0 + 1e-9) + 1e-12    # n_c <= U_c bounds lambda
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        ok = feasible(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    # certification (Proposition 4): at lambda = min_w r_w n_w / D_w with n minimal, every better
    # design needs n + 1 on the argmin workloads; if that is infeasible, lambda is optimal
    n = reps(lo, r)
    lam = np.min(r * n / D, axis=1)
    active = zero_ok.copy()
    while active.any():
        idx = np.flatnonzero(active)
        n_a = reps(lam[idx], r[idx])
        lam_a = np.min(r[idx] * n_a / D, axis=1)
        step = (r[idx] * n_a / D <= lam_a[:, None] * (1.0 + 1e-12)).astype(np.int64)
        nxt = n_a + step
        ok = evaluate_designs(p, C[idx], nxt)["ok"]
        n[idx] = n_a
        lam[idx] = lam_a
        better = idx[ok]
        n[better] = nxt[ok]
        lam[better] = np.min(r[better] * nxt[ok] / D, axis=1)
        active[:] = False
        active[better] = True
    lam = np.where(zero_ok, lam, -np.inf)
    return lam, n


def combinations(problem: Problem) -> int:
    """Designs the exhaustive enumerator evaluates: the product over workloads of their usable
    columns (0 if some workload has none)."""
    usable = usable_columns(problem)
    per_w = np.bincount(problem.col_workload[usable], minlength=problem.n_workloads)
    return int(np.prod([int(c) for c in per_w], dtype=object)) if problem.n_workloads else 0


def solve_enumerate(problem: Problem, chunk_elements: int = 1 << 20) -> Solution:
    """Exhaustive search over one column per workload (same solution set as the MILP). An
    infeasible result carries no explanation (``optimize.explain`` gives one)."""
    p = problem
    check_problem(p)
    t0 = time.perf_counter()
    maximise = p.objective == "demand_scale"
    usable = usable_columns(p)
    per_w = [np.flatnonzero((p.col_workload == w) & usable) for w in range(p.n_workloads)]
    radices = [len(c) for c in per_w]
    total = combinations(p)
    info = {"name": "numpy", "version": np.__version__, "method": "enumerate", "build_s": 0.0,
            "variables": 0, "constraints": 0, "columns": p.n_columns, "combinations": total}

    def finish(sol: Solution) -> Solution:
        wall = time.perf_counter() - t0
        sol.solver.update(wall_s=wall, solve_s=wall)
        return sol

    if total == 0:
        return finish(infeasible_solution(p, info))
    n_star = min_replicas(p)
    ub = replica_upper_bounds(p)
    chunk = max(1, chunk_elements // max(1, p.n_workloads))
    best_val, best_C, best_n = (-np.inf if maximise else np.inf), None, None
    for start in range(0, total, chunk):
        flat = np.arange(start, min(total, start + chunk), dtype=np.int64)
        digits = np.unravel_index(flat, radices)
        C = np.stack([per_w[w][digits[w]] for w in range(p.n_workloads)], axis=1)
        if maximise:
            val, nrep = _max_scale(p, C, ub)
            val = np.where(np.isfinite(val), val, -np.inf)
            i = int(np.argmax(val))
            if val[i] > best_val and np.isfinite(val[i]):
                best_val, best_C, best_n = float(val[i]), C[i], nrep[i]
        else:
            nrep = n_star[C]
            ev = evaluate_designs(p, C, nrep)
            val = np.where(ev["ok"], objective_of(p, ev), np.inf)
            i = int(np.argmin(val))
            if val[i] < best_val:
                best_val, best_C, best_n = float(val[i]), C[i], nrep[i]
    if best_C is None:
        return finish(infeasible_solution(p, info))
    sol = design_from_choice(p, best_C, best_n, status="optimal", gap=0.0,
                             demand_scale=best_val if maximise else None, solver=info)
    return finish(sol)


def combinations_within(problem: Problem, bounds: list[tuple[np.ndarray, float]], limit: int) -> np.ndarray | None:
    """Every combination of one usable column per workload whose summed lower bounds stay within
    each cap, ``bounds`` = [(L per column, cap), ...] (design.md Proposition 10), as rows of column
    indices; None if more than ``limit`` combinations pass the first bound. Built workload by
    workload: a partial combination grows by the columns that, with the least bound of every later
    workload, still fit each cap (one searchsorted per level on the columns sorted by the first
    bound, no Python loop over combinations)."""
    p = problem
    usable = usable_columns(p)
    first, cap0 = bounds[0]
    per = []
    for w in range(p.n_workloads):
        cols = np.flatnonzero((p.col_workload == w) & usable & np.isfinite(first))
        per.append(cols[np.argsort(first[cols], kind="stable")])
    if not per or any(len(c) == 0 for c in per):
        return np.zeros((0, p.n_workloads), dtype=np.int64)
    # caps with a margin for the order of the float sums (the bounds are valid, the sums inexact)
    caps = [cap + 1e-9 * max(1.0, abs(cap)) for _, cap in bounds]
    least = np.array([[L[c].min() for c in per] for L, _ in bounds])          # (bounds, workloads)
    rest = np.concatenate([np.cumsum(least[:, ::-1], axis=1)[:, ::-1][:, 1:], np.zeros((len(bounds), 1))], axis=1)
    C = np.zeros((1, 0), dtype=np.int64)
    sums = np.zeros((len(bounds), 1))
    for w, cols in enumerate(per):
        room = caps[0] - sums[0] - rest[0, w]
        count = np.searchsorted(first[cols], room, side="right")
        total = int(count.sum())
        if total > limit:
            return None
        row = np.repeat(np.arange(len(C)), count)
        pos = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        new = cols[pos]
        sums = np.stack([sums[k][row] + L[new] for k, (L, _) in enumerate(bounds)])
        keep = np.all(sums + rest[:, [w]] <= np.array(caps)[:, None], axis=0)
        C = np.concatenate([C[row[keep]], new[keep, None]], axis=1)
        sums = sums[:, keep]
    return C
