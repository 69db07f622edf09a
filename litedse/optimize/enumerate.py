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

from litedse.optimize.problem import FAT_TREE_MAX_TIERS, Problem
from litedse.optimize.prune import check_problem, max_replicas, min_replicas, replica_upper_bounds, usable_columns
from litedse.optimize.solution import Solution, design_from_choice, explain_infeasible, infeasible_solution

REL_TOL = 1e-10          # budget comparisons (the sums are evaluated in a different order than the MILP's)
BISECTION_STEPS = 64


def _evaluate(p: Problem, C: np.ndarray, nrep: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics of many designs at once. C, nrep: (combos, workloads) column index and replicas."""
    sku = p.col_sku[C]
    pk = p.col_packages[C].astype(np.int64) * nrep.astype(np.int64)          # packages per workload
    it_w = (p.sku_it_w[sku] * pk).sum(axis=1)
    capex = (p.sku_capex_usd[sku] * pk).sum(axis=1)
    ok = np.ones(len(C), dtype=bool)
    ports = p.sku_fabric_ports[sku].astype(np.int64) * pk
    fab = p.sku_fabric[sku]
    for f in range(p.n_fabrics):
        E = np.where(fab == f, ports, 0).sum(axis=1).astype(float)
        R = float(p.fabric_radix[f])
        tiers = np.zeros(len(C))
        for t in range(FAT_TREE_MAX_TIERS, 0, -1):           # fewest tiers that fit: scan from the top
            tiers = np.where(E <= 2.0 * (R / 2.0) ** t, t, tiers)
        ok &= (E <= 2.0 * (R / 2.0) ** FAT_TREE_MAX_TIERS)
        tiers = np.where(E > 0, tiers, 0)
        S = np.ceil((2.0 * tiers - 1.0) * E / R) * (E > 0)
        it_w = it_w + p.fabric_switch_w[f] * S + p.fabric_port_w[f] * E
        capex = capex + p.fabric_switch_cost_usd[f] * S + p.fabric_port_cost_usd[f] * E
    if np.isfinite(p.rack_power_w):
        capex = capex + p.rack_cost_usd * np.ceil(it_w / p.rack_power_w)
    dies = np.sort(p.sku_die[sku], axis=1)
    first = np.ones(dies.shape, dtype=bool)
    first[:, 1:] = dies[:, 1:] != dies[:, :-1]
    ok &= first.sum(axis=1) <= p.max_designs
    if p.charge_nre:
        capex = capex + (p.die_nre_usd[dies] * first).sum(axis=1)
    facility = p.pue * it_w
    ok &= facility <= p.power_budget_w * (1.0 + REL_TOL)
    ok &= capex <= p.budget_usd * (1.0 + REL_TOL)
    ok &= np.all(nrep <= max_replicas(p)[C], axis=1)
    return {"capex": capex, "facility": facility, "tco": capex + p.energy_usd_per_w * facility, "ok": ok}


def _max_scale(p: Problem, C: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest feasible lambda of each combination (rows of C) and its replicas; -inf if even
    lambda = 0 is infeasible."""
    r = p.col_throughput[C]
    D = p.demand[None, :]

    def reps(lam, rr):  # fewest replicas serving lambda D_w (1e-9: a breakpoint maps to its own n)
        return np.maximum(np.ceil(lam[:, None] * D / rr - 1e-9), 0).astype(np.int64)

    def feasible(lam):
        return _evaluate(p, C, reps(lam, r))["ok"]

    zero_ok = _evaluate(p, C, np.zeros(C.shape, dtype=np.int64))["ok"]
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
        ok = _evaluate(p, C[idx], nxt)["ok"]
        n[idx] = n_a
        lam[idx] = lam_a
        better = idx[ok]
        n[better] = nxt[ok]
        lam[better] = np.min(r[better] * nxt[ok] / D, axis=1)
        active[:] = False
        active[better] = True
    lam = np.where(zero_ok, lam, -np.inf)
    return lam, n


def solve_enumerate(problem: Problem, chunk_elements: int = 1 << 20, explain: bool = True) -> Solution:
    """Exhaustive search over one column per workload (same solution set as the MILP)."""
    p = problem
    check_problem(p)
    t0 = time.perf_counter()
    maximise = p.objective == "demand_scale"
    usable = usable_columns(p)
    per_w = [np.flatnonzero((p.col_workload == w) & usable) for w in range(p.n_workloads)]
    radices = [len(c) for c in per_w]
    total = int(np.prod(radices, dtype=object)) if radices else 0
    info = {"name": "numpy", "version": np.__version__, "method": "enumerate", "build_s": 0.0,
            "variables": 0, "constraints": 0, "columns": p.n_columns, "combinations": total}

    def finish(sol: Solution) -> Solution:
        wall = time.perf_counter() - t0
        sol.solver.update(wall_s=wall, solve_s=wall)
        return sol

    if total == 0:
        text = explain_infeasible(p, solve=_explain_solver) if explain else ""
        return finish(infeasible_solution(p, info, text))
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
            ev = _evaluate(p, C, nrep)
            val = np.where(ev["ok"], ev[{"cost": "capex", "power": "facility", "tco": "tco"}[p.objective]], np.inf)
            i = int(np.argmin(val))
            if val[i] < best_val:
                best_val, best_C, best_n = float(val[i]), C[i], nrep[i]
    if best_C is None:
        text = explain_infeasible(p, solve=_explain_solver) if explain else ""
        return finish(infeasible_solution(p, info, text))
    sol = design_from_choice(p, best_C, best_n, status="optimal", gap=0.0,
                             demand_scale=best_val if maximise else None, solver=info)
    return finish(sol)


def _explain_solver(problem: Problem) -> Solution:
    return solve_enumerate(problem, explain=False)
