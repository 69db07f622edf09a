"""Exact pruning of columns, and the replica bounds both solvers share.

Every rule here is proved in formulations/design.md ("Exact pruning"): it never removes all optimal
solutions, so the pruned Problem has the same optimal objective as the unpruned one. All rules are
vectorised numpy/pandas (sort + group scans), no Python loop per column.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from litedse.optimize.problem import FAT_TREE_MAX_TIERS, OBJECTIVES, Problem


# ----------------------------------------------------------------------------------------------
# replica bounds (U_c in the formulation)
# ----------------------------------------------------------------------------------------------

def min_replicas(problem: Problem) -> np.ndarray:
    """n*_c = ceil(D_w / r_c): the fewest replicas of column c that meet its workload's demand.
    For the min objectives this is also the exact replica count of a chosen column."""
    p = problem
    need = p.demand[p.col_workload] / p.col_throughput
    return np.ceil(need).astype(np.int64)


def max_replicas(problem: Problem) -> np.ndarray:
    """m_c as floats (inf where the Problem sets no limit)."""
    p = problem
    if p.col_max_replicas is None:
        return np.full(p.n_columns, np.inf)
    return np.asarray(p.col_max_replicas, dtype=float)


def replica_upper_bounds(problem: Problem, budget_usd: float | None = None,
                         power_budget_w: float | None = None) -> np.ndarray:
    """U_c, a valid upper bound on n_c in every feasible solution (floats, may be inf).

    min objectives: min(ceil(D_w/r_c), m_c) -- at an optimum n_c never exceeds ceil(D_w/r_c)
    (design.md, Proposition 1). demand_scale: every cost and power term is non-negative, so one
    column's own packages may use at most the whole budget: a_s g_c n_c <= B - [charge_nre] NRE_d,
    PUE p_s g_c n_c <= P_max, and its fabric ports at most the largest tree: q_s g_c n_c <= cap_{f,T}.
    """
    p = problem
    upper = max_replicas(p)
    if p.objective != "demand_scale":
        return np.minimum(min_replicas(p).astype(float), upper)
    budget = p.budget_usd if budget_usd is None else budget_usd
    power = p.power_budget_w if power_budget_w is None else power_budget_w
    sku = p.col_sku
    g = p.col_packages.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        money = budget - (p.die_nre_usd[p.sku_die[sku]] if p.charge_nre else 0.0)
        per_cost = p.sku_capex_usd[sku] * g
        by_cost = np.where(per_cost > 0, np.floor(money / per_cost + 1e-9), np.inf)
        per_w = p.pue * p.sku_it_w[sku] * g
        by_power = np.where(per_w > 0, np.floor(power / per_w + 1e-9), np.inf)
        f = p.sku_fabric[sku]
        cap = 2.0 * (p.fabric_radix[f] / 2.0) ** FAT_TREE_MAX_TIERS
        per_port = p.sku_fabric_ports[sku] * g
        by_ports = np.where(per_port > 0, np.floor(cap / per_port + 1e-9), np.inf)
    bound = np.minimum.reduce([upper, by_cost, by_power, by_ports])
    return np.maximum(bound, 0.0)


def usable_columns(problem: Problem) -> np.ndarray:
    """Mask of columns that can meet their demand within their replica limit (min objectives)."""
    p = problem
    if p.objective == "demand_scale" or p.col_max_replicas is None:
        return np.ones(p.n_columns, dtype=bool)
    return min_replicas(p) <= p.col_max_replicas


def check_problem(problem: Problem) -> None:
    """Assumptions the formulation relies on (non-negative coefficients, known objective)."""
    p = problem
    if p.objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {sorted(OBJECTIVES)}, got {p.objective!r}")
    for name in ("die_nre_usd", "sku_capex_usd", "sku_it_w", "sku_fabric_ports", "fabric_switch_cost_usd",
                 "fabric_switch_w", "fabric_port_cost_usd", "fabric_port_w", "demand"):
        arr = np.asarray(getattr(p, name), dtype=float)
        if arr.size and (not np.all(np.isfinite(arr)) or arr.min() < 0):
            raise ValueError(f"{name} must be finite and >= 0")
    if p.n_columns and (np.min(p.col_throughput) <= 0 or np.min(p.col_packages) < 1):
        raise ValueError("col_throughput must be > 0 and col_packages >= 1")
    if p.col_max_replicas is not None and p.n_columns and np.min(p.col_max_replicas) < 1:
        raise ValueError("col_max_replicas must be >= 1 (a column that may have no replica is no column)")
    if p.max_designs < 1:
        raise ValueError("max_designs must be >= 1")
    if p.objective == "demand_scale":
        if not (np.all(p.demand > 0)):
            raise ValueError("demand_scale needs every demand > 0")
        if p.n_columns and not np.all(np.isfinite(replica_upper_bounds(p))):
            raise ValueError("demand_scale needs a finite budget_usd or power_budget_w (else the scale is unbounded)")


# ----------------------------------------------------------------------------------------------
# column pruning
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PruneResult:
    problem: Problem           # the pruned Problem (columns subset, everything else unchanged)
    kept: np.ndarray           # original index of each kept column
    counts: dict               # columns: before, unusable, dominated, not_min_packages, kept


def _dominance_survivors(groups: np.ndarray, r: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Mask of columns not dominated within their group: c is dropped if some c' of the same group
    has r_c' >= r_c and g_c' <= g_c (ties: the lowest index survives). Sort by (group, g asc,
    r desc, index asc); a column survives iff its r beats every r before it in its group."""
    idx = np.arange(len(r))
    order = np.lexsort((idx, -r, g, groups))
    r_sorted = r[order]
    grp_sorted = groups[order]
    best_before = pd.Series(r_sorted).groupby(grp_sorted).cummax().groupby(grp_sorted).shift(1)
    survive_sorted = best_before.isna().to_numpy() | (r_sorted > best_before.fillna(-np.inf).to_numpy())
    mask = np.zeros(len(r), dtype=bool)
    mask[order] = survive_sorted
    return mask


def prune_columns(problem: Problem) -> PruneResult:
    """Exact column pruning (design.md, Propositions 2 and 3).

    1. (min objectives) drop columns that cannot meet demand within their replica limit m_c;
    2. dominance within (SKU, workload[, m_c]): drop c if c' has r >= and g <= (and the same m);
    3. (min objectives) keep per (SKU, workload) one column minimising packages g_c ceil(D_w/r_c).
    """
    p = problem
    before = p.n_columns
    usable = usable_columns(p)
    cols = np.flatnonzero(usable)
    key_parts = [p.col_sku[cols].astype(np.int64), p.col_workload[cols].astype(np.int64)]
    if p.col_max_replicas is not None and p.objective == "demand_scale":
        # with replica caps, c' dominates c only if it may also have as many replicas: group by m_c
        key_parts.append(np.unique(p.col_max_replicas[cols], return_inverse=True)[1].astype(np.int64))
    groups = np.unique(np.stack(key_parts, axis=1), axis=0, return_inverse=True)[1].ravel() if len(cols) else np.zeros(0, dtype=np.int64)
    r = p.col_throughput[cols].astype(float)
    g = p.col_packages[cols].astype(float)
    survive = _dominance_survivors(groups, r, g)
    dominated = int(len(cols) - survive.sum())
    cols = cols[survive]
    groups = groups[survive]
    not_min = 0
    if p.objective != "demand_scale" and len(cols):
        need = (p.col_packages[cols] * min_replicas(p)[cols]).astype(float)
        order = np.lexsort((cols, need, groups))
        first = np.ones(len(order), dtype=bool)
        first[1:] = groups[order][1:] != groups[order][:-1]
        keep = np.sort(cols[order][first])
        not_min = int(len(cols) - len(keep))
        cols = keep
    pruned = subset_columns(p, cols)
    counts = {"columns": before, "unusable": int(before - usable.sum()), "dominated": dominated,
              "not_min_packages": not_min, "kept": int(len(cols))}
    return PruneResult(problem=pruned, kept=cols, counts=counts)


def subset_columns(problem: Problem, cols: np.ndarray) -> Problem:
    """The Problem restricted to columns ``cols`` (original order kept)."""
    p = problem
    table = None if p.col_table is None else p.col_table.iloc[cols].reset_index(drop=True)
    return replace(p, col_workload=p.col_workload[cols], col_sku=p.col_sku[cols],
                   col_throughput=p.col_throughput[cols], col_packages=p.col_packages[cols],
                   col_max_replicas=None if p.col_max_replicas is None else p.col_max_replicas[cols],
                   col_table=table)


# ----------------------------------------------------------------------------------------------
# SKU bound pruning (min objectives)
# ----------------------------------------------------------------------------------------------

def _per_package_metric(p: Problem) -> np.ndarray:
    """Objective contribution of one package of each SKU (min objectives)."""
    return {"cost": p.sku_capex_usd, "power": p.pue * p.sku_it_w,
            "tco": p.sku_capex_usd + p.energy_usd_per_w * p.pue * p.sku_it_w}[p.objective].astype(float)


def single_die_incumbent(problem: Problem) -> float:
    """Objective of the best feasible design that uses one die design for every workload, each
    workload on its cheapest column of that die (inf if none is feasible). A known feasible value."""
    from litedse.optimize.enumerate import _evaluate  # the enumerator's evaluator of complete designs

    p = problem
    usable = usable_columns(p)
    n_star = min_replicas(p)
    col_metric = _per_package_metric(p)[p.col_sku] * p.col_packages * n_star
    col_die = p.sku_die[p.col_sku]
    rows = []
    for d in np.unique(col_die[usable]):
        pick = []
        for w in range(p.n_workloads):
            mine = np.flatnonzero(usable & (col_die == d) & (p.col_workload == w))
            if not len(mine):
                break
            pick.append(mine[np.argmin(col_metric[mine])])
        else:
            rows.append(pick)
    if not rows:
        return np.inf
    C = np.array(rows, dtype=np.int64)
    ev = _evaluate(p, C, n_star[C])
    value = ev[{"cost": "capex", "power": "facility", "tco": "tco"}[p.objective]]
    return float(np.min(np.where(ev["ok"], value, np.inf)))


def prune_skus(problem: Problem) -> PruneResult:
    """Drop the columns of every SKU s whose lower bound LB_s exceeds a known feasible objective V
    (design.md, Proposition 5). LB_s = sum_w lb_w + min_w (lb_{w,s} - lb_w) [+ PUE/NRE terms >= 0
    omitted], lb_w = cheapest column of w in packages x per-package metric, lb_{w,s} = the same over
    s's columns. Strict inequality keeps every SKU of the incumbent, so the optimum survives."""
    p = problem
    n0 = p.n_columns
    if p.objective == "demand_scale" or p.n_columns == 0 or p.n_workloads == 0:
        return PruneResult(problem=p, kept=np.arange(n0), counts={"columns": n0, "skus_dropped": 0, "kept": n0})
    usable = usable_columns(p)
    incumbent = single_die_incumbent(p)
    col_metric = np.where(usable, _per_package_metric(p)[p.col_sku] * p.col_packages * min_replicas(p), np.inf)
    lb_ws = np.full((p.n_workloads, p.n_skus), np.inf)
    np.minimum.at(lb_ws, (p.col_workload, p.col_sku), col_metric)
    lb_w = lb_ws.min(axis=1)
    if not np.all(np.isfinite(lb_w)):
        return PruneResult(problem=p, kept=np.arange(n0), counts={"columns": n0, "skus_dropped": 0, "kept": n0})
    lb_s = lb_w.sum() + np.min(lb_ws - lb_w[:, None], axis=0)
    if p.charge_nre and p.objective in ("cost", "tco"):
        lb_s = lb_s + p.die_nre_usd[p.sku_die]
    drop = lb_s > incumbent * (1.0 + 1e-12)
    cols = np.flatnonzero(~drop[p.col_sku])
    return PruneResult(problem=subset_columns(p, cols), kept=cols,
                       counts={"columns": n0, "skus_dropped": int(np.sum(drop & np.isfinite(lb_s))),
                               "kept": int(len(cols)), "incumbent": incumbent})
