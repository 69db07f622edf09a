"""Exact pruning of columns and SKUs, and the replica bounds both solvers share.

Every rule here is proved in formulations/design.md (Propositions 1-3, 3', 5, 7 and 8), which
names the function implementing it; no rule is implemented anywhere else. None removes all
optimal solutions (for the Pareto rules: all designs of the front), so the pruned Problem has the
same optimum as the unpruned one. All rules are vectorised numpy/pandas (sorts and group scans),
no Python loop per column.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from litedse.optimize.designs import evaluate_designs, max_replicas, objective_of
from litedse.optimize.problem import (MIN_OBJECTIVES, OBJECTIVES, Problem, blast_radius_per_column, criterion_value,
                                      oversubscription, per_package_value)
from litedse.tech import fabric

# relative margin of the bound comparisons: a SKU is dropped only when its bound is worse by more
_BOUND_TOL = 1e-9
# Proposition 5's margin (prune_skus, and Proposition 12's columns.bounded): a SKU is dropped only
# when its bound exceeds the known design's value by more than this share of it
SKU_BOUND_TOLERANCE = 1e-12


# ----------------------------------------------------------------------------------------------
# replica bounds (U_c in the formulation)
# ----------------------------------------------------------------------------------------------

def min_replicas(problem: Problem) -> np.ndarray:
    """n*_c = ceil(D_w / r_c): the fewest replicas of column c that meet its workload's demand.
    For the min objectives this is also the exact replica count of a chosen column."""
    p = problem
    need = p.demand[p.col_workload] / p.col_throughput
    return np.ceil(need).astype(np.int64)


def replica_upper_bounds(problem: Problem, budget_usd: float | None = None,
                         power_budget_w: float | None = None) -> np.ndarray:
    """U_c, a valid upper bound on n_c in every feasible solution (floats, may be inf).

    min objectives: min(ceil(D_w/r_c), m_c) -- at an optimum n_c never exceeds ceil(D_w/r_c)
    (design.md, Proposition 1). demand_scale (Proposition 1'): every cost and power term is
    non-negative, so one column's own packages may use at most the whole budget:
    a_s g_c n_c <= B - [charge_nre] NRE_d, PUE p_s g_c n_c <= P_max, and its fabric ports at most
    the largest tree: q_s g_c n_c <= cap_{f,T}.
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
        cap = fabric.tree_capacity(p.fabric_radix[p.sku_fabric[sku]], fabric.MAX_TIERS, oversubscription(p)[p.sku_fabric[sku]])
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
    if p.sku_packages_per_host is not None:
        h = np.asarray(p.sku_packages_per_host, dtype=float)
        if h.shape != (p.n_skus,) or (h.size and h.min() < 1) or p.host_cost_usd < 0 or p.host_w < 0:
            raise ValueError("sku_packages_per_host must be >= 1 per SKU, host_cost_usd and host_w >= 0")
    if p.objective == "demand_scale":
        if not (np.all(p.demand > 0)):
            raise ValueError("demand_scale needs every demand > 0")
        if p.n_columns and not np.all(np.isfinite(replica_upper_bounds(p))):
            raise ValueError("demand_scale needs a finite budget_usd or power_budget_w (else the scale is unbounded)")


# ----------------------------------------------------------------------------------------------
# column pruning (Propositions 2, 3 and 3')
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PruneResult:
    problem: Problem           # the pruned Problem (columns subset, everything else unchanged)
    kept: np.ndarray           # original index of each kept column
    counts: dict               # columns: before, unusable, dominated, not_min_packages, kept
    incumbent: "Incumbent | None" = None  # a known feasible design of ``problem`` (prune_skus only)


def dominance_survivors(groups: np.ndarray, r: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Proposition 2 on arrays: mask of columns not dominated within their group. c is dropped if
    some c' of the same group has r_c' >= r_c and g_c' <= g_c (ties: the lowest index survives).
    Sort by (group, g asc, r desc, index asc); a column survives iff its r beats every r before it
    in its group."""
    idx = np.arange(len(r))
    order = np.lexsort((idx, -r, g, groups))
    r_sorted = r[order]
    grp_sorted = groups[order]
    best_before = pd.Series(r_sorted).groupby(grp_sorted).cummax().groupby(grp_sorted).shift(1)
    survive_sorted = best_before.isna().to_numpy() | (r_sorted > best_before.fillna(-np.inf).to_numpy())
    mask = np.zeros(len(r), dtype=bool)
    mask[order] = survive_sorted
    return mask


def least_packages_survivors(groups: np.ndarray, r: np.ndarray, g: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Propositions 2 and 3 in one pass, without sorting the columns: mask of the one column per
    group that ``prune_columns`` keeps for the min objectives, where ``need`` = g_c n*_c. That
    column is the lowest-index one among the non-dominated columns of least need, and every
    column that dominates a column of least need has least need itself (r' >= r and g' <= g give
    g' n*' <= g n*), so Proposition 2 runs on the few columns of least need only, and only for
    the groups with more than one. ``groups`` sorted ascending (the column builder's chunks are:
    each SKU's columns together) is a linear pass; else one stable argsort."""
    n = len(r)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = None if np.all(groups[1:] >= groups[:-1]) else np.argsort(groups, kind="stable")
    gs, ns = (groups, need) if order is None else (groups[order], need[order])
    first = np.ones(n, dtype=bool)
    first[1:] = gs[1:] != gs[:-1]
    least = np.minimum.reduceat(ns, np.flatnonzero(first))[np.cumsum(first) - 1]
    cand = np.flatnonzero(ns == least)
    cand = np.sort(cand if order is None else order[cand])        # original index order
    # Proposition 2 among the candidates of a group; a group's only candidate survives it (the
    # usual case: one column of least need per SKU), so the sort runs on the groups with several
    gc = groups[cand]
    codes = pd.factorize(gc)[0]
    multi = np.bincount(codes)[codes] > 1
    if multi.any():
        survive = np.ones(len(cand), dtype=bool)
        survive[multi] = dominance_survivors(gc[multi], r[cand[multi]], g[cand[multi]])
        cand = cand[survive]
    lowest = np.ones(len(cand), dtype=bool)
    o = np.lexsort((cand, groups[cand]))
    cg = groups[cand[o]]
    lowest[1:] = cg[1:] != cg[:-1]
    mask[cand[o][lowest]] = True
    return mask


def _sku_workload_groups(p: Problem, cols: np.ndarray, *extra: np.ndarray) -> np.ndarray:
    """Group index of each column in ``cols`` by (SKU, workload[, extra keys])."""
    if not len(cols):
        return np.zeros(0, dtype=np.int64)
    parts = [p.col_sku[cols].astype(np.int64), p.col_workload[cols].astype(np.int64), *extra]
    return np.unique(np.stack(parts, axis=1), axis=0, return_inverse=True)[1].ravel()


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
    extra = []
    if p.col_max_replicas is not None and p.objective == "demand_scale":
        # with replica caps, c' dominates c only if it may also have as many replicas: group by m_c
        extra.append(np.unique(p.col_max_replicas[cols], return_inverse=True)[1].astype(np.int64))
    groups = _sku_workload_groups(p, cols, *extra)
    survive = dominance_survivors(groups, p.col_throughput[cols].astype(float), p.col_packages[cols].astype(float))
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
    counts = {"columns": before, "unusable": int(before - usable.sum()), "dominated": dominated,
              "not_min_packages": not_min, "kept": int(len(cols))}
    return PruneResult(problem=subset_columns(p, cols), kept=cols, counts=counts)


def prune_for_blast_radius(problem: Problem) -> Problem:
    """Proposition 3' (design.md section 10): for the min criteria together with the blast radius,
    drop column c if a column c' of the same SKU and workload has g_c' <= g_c and
    g_c' n*_c' <= g_c n*_c (fewer packages per replica and no more packages in all); also drop
    columns that cannot meet demand within their replica limit."""
    p = problem
    cols = np.flatnonzero(usable_columns(p))
    if not len(cols):
        return subset_columns(p, cols)
    groups = _sku_workload_groups(p, cols)
    total = (p.col_packages[cols] * min_replicas(p)[cols]).astype(float)
    keep = dominance_survivors(groups, -total, p.col_packages[cols].astype(float))
    return subset_columns(p, cols[keep])


def subset_columns(problem: Problem, cols: np.ndarray) -> Problem:
    """The Problem restricted to columns ``cols`` (original order kept)."""
    p = problem
    if len(cols) == p.n_columns and np.array_equal(cols, np.arange(p.n_columns)):
        return p                              # every column: the same arrays, not copies of them
    table = None if p.col_table is None else p.col_table.iloc[cols].reset_index(drop=True)
    return replace(p, col_workload=p.col_workload[cols], col_sku=p.col_sku[cols],
                   col_throughput=p.col_throughput[cols], col_packages=p.col_packages[cols],
                   col_max_replicas=None if p.col_max_replicas is None else p.col_max_replicas[cols],
                   col_table=table)


def compact_skus(problem: Problem) -> tuple[Problem, np.ndarray]:
    """(the Problem with only the SKUs some column uses, in their order; the kept SKUs' indices in
    ``problem``). Exact (formulations/design.md, Proposition 9: neither solver has a variable or a
    row of a SKU without columns); column indices are unchanged. The die designs stay as they are
    (a few labels): the results judge the product-line limit against the designs the space offers."""
    p = problem
    used = np.unique(p.col_sku)
    if len(used) == p.n_skus:
        return p, used
    renumber = np.full(p.n_skus, -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    per_sku = {f.name: getattr(p, f.name)[used] for f in fields(p)
               if f.name.startswith("sku_") and f.name != "sku_table" and getattr(p, f.name) is not None}
    table = None if p.sku_table is None else p.sku_table.iloc[used].reset_index(drop=True)
    out = replace(p, **per_sku, col_sku=renumber[p.col_sku], sku_table=table)
    if p.col_table is not None and "sku" in p.col_table.columns:
        out = replace(out, col_table=p.col_table.assign(sku=renumber[p.col_table["sku"].to_numpy()]))
    return out, used


# ----------------------------------------------------------------------------------------------
# SKU bounds (Propositions 5, 7 and 8; min criteria)
# ----------------------------------------------------------------------------------------------

def criterion_per_column(problem: Problem, criterion: str, repair_hours: float | None = None) -> np.ndarray:
    """What column c adds to a min criterion when chosen with n*_c replicas, fabric, racks and NRE
    left out (all >= 0): mu_s g_c n*_c, or the blast radius b_c (needs ``repair_hours``)."""
    p = problem
    if criterion == "blast_radius":
        return blast_radius_per_column(p, repair_hours)
    return per_package_value(p, criterion)[p.col_sku] * p.col_packages * min_replicas(p)


def sku_lower_bounds(problem: Problem, criterion: str, repair_hours: float | None = None) -> np.ndarray:
    """LB_s, a lower bound on ``criterion`` over every design that uses SKU s (Proposition 5):
    LB_s = sum_w lb_w + min_w (lb_{w,s} - lb_w) [+ NRE_d(s) for cost and tco when charged], with
    lb_w the smallest column contribution of workload w and lb_{w,s} the same over s's columns.
    inf for SKUs without a usable column; -inf everywhere (no bound) if some workload has none."""
    p = replace(problem, objective="cost")          # usable_columns of a min objective
    contrib = np.where(usable_columns(p), criterion_per_column(p, criterion, repair_hours), np.inf)
    lb_ws = np.full((p.n_workloads, p.n_skus), np.inf)
    np.minimum.at(lb_ws, (p.col_workload, p.col_sku), contrib)
    lb_w = lb_ws.min(axis=1)
    if not np.all(np.isfinite(lb_w)):
        return np.full(p.n_skus, -np.inf)
    lb = lb_w.sum() + np.min(lb_ws - lb_w[:, None], axis=0)
    if p.charge_nre and criterion in ("cost", "tco"):
        lb = lb + p.die_nre_usd[p.sku_die]
    return lb


def best_columns_per_sku(problem: Problem, value: np.ndarray) -> np.ndarray:
    """(SKUs with a column for every workload, workloads): each such SKU's column of least
    ``value`` per workload (ties: lowest index), one candidate single-SKU design per row."""
    p = problem
    order = np.lexsort((np.arange(p.n_columns), value, p.col_workload, p.col_sku))
    best = np.full((p.n_skus, p.n_workloads), -1, dtype=np.int64)
    key = p.col_sku[order] * p.n_workloads + p.col_workload[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    pick = order[first & np.isfinite(value[order])]
    best[p.col_sku[pick], p.col_workload[pick]] = pick
    return best[np.all(best >= 0, axis=1)]


@dataclass(frozen=True)
class Incumbent:
    """A known feasible design: one column and its replica count per workload, and its objective."""

    value: float               # objective (inf: no feasible design was found)
    column: np.ndarray         # chosen column per workload (empty when value is inf)
    replicas: np.ndarray       # n*_c of each chosen column


def single_die_incumbent_design(problem: Problem) -> Incumbent:
    """The best feasible design that uses one die design for every workload, each workload on its
    cheapest column of that die (Proposition 5's V, and the MILP's start)."""
    p = problem
    none = Incumbent(np.inf, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    usable = usable_columns(p)
    if not usable.any() or p.n_workloads == 0:
        return none
    n_star = min_replicas(p)
    col_metric = np.where(usable, criterion_per_column(p, p.objective), np.inf)
    col_die = p.sku_die[p.col_sku]
    # per (die, workload): the usable column of least contribution (ties: lowest index), by one sort
    dies = np.unique(col_die[usable])
    order = np.lexsort((np.arange(p.n_columns), col_metric, p.col_workload, col_die))
    order = order[usable[order]]
    key = col_die[order] * p.n_workloads + p.col_workload[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    best = np.full((p.n_dies, p.n_workloads), -1, dtype=np.int64)
    best[col_die[order[first]], p.col_workload[order[first]]] = order[first]
    C = best[dies]
    C = C[np.all(C >= 0, axis=1)]
    if not len(C):
        return none
    ev = evaluate_designs(p, C, n_star[C])
    val = np.where(ev["ok"], objective_of(p, ev), np.inf)
    i = int(np.argmin(val))
    if not np.isfinite(val[i]):
        return none
    return Incumbent(float(val[i]), C[i], n_star[C[i]])


def single_die_incumbent(problem: Problem) -> float:
    """Objective of ``single_die_incumbent_design`` (inf if none is feasible): a known feasible value."""
    return single_die_incumbent_design(problem).value


def prune_skus(problem: Problem) -> PruneResult:
    """Proposition 5: drop the columns of every SKU s whose lower bound LB_s exceeds a known
    feasible objective V (``single_die_incumbent``). Strict inequality keeps every SKU of the
    incumbent, so the optimum survives, and so does the incumbent: ``PruneResult.incumbent`` is
    it in the pruned Problem's column indices."""
    p = problem
    n0 = p.n_columns
    if p.objective not in MIN_OBJECTIVES or p.n_columns == 0 or p.n_workloads == 0:
        return PruneResult(problem=p, kept=np.arange(n0), counts={"columns": n0, "skus_dropped": 0, "kept": n0})
    incumbent = single_die_incumbent_design(p)
    lb_s = sku_lower_bounds(p, p.objective)
    drop = lb_s > incumbent.value * (1.0 + SKU_BOUND_TOLERANCE)
    cols = np.flatnonzero(~drop[p.col_sku])
    start = None
    if np.isfinite(incumbent.value):
        start = replace(incumbent, column=np.searchsorted(cols, incumbent.column))
    return PruneResult(problem=subset_columns(p, cols), kept=cols,
                       counts={"columns": n0, "skus_dropped": int(np.sum(drop & np.isfinite(lb_s))),
                               "kept": int(len(cols)), "incumbent": incumbent.value},
                       incumbent=start)


def incumbent_prune(problem: Problem, x: str, y: str, repair_hours: float) -> np.ndarray:
    """Proposition 8: columns to keep for a front of min criteria (x, y). A SKU is dropped when
    some feasible single-SKU design V (every workload on the SKU's best column for x, or for y,
    evaluated exactly) is strictly better on both criteria than the SKU's lower bounds."""
    p = replace(problem, objective="cost")
    if p.n_columns == 0 or p.n_workloads == 0:
        return np.arange(p.n_columns)
    usable = usable_columns(p)
    C = np.concatenate([best_columns_per_sku(p, np.where(usable, criterion_per_column(p, c, repair_hours), np.inf))
                        for c in (x, y)], axis=0)
    if not len(C):
        return np.arange(p.n_columns)
    ev = evaluate_designs(p, C, min_replicas(p)[C])
    br = blast_radius_per_column(p, repair_hours)[C].sum(axis=1)
    value = {c: (br if c == "blast_radius" else objective_of(replace(p, objective=c), ev)) for c in (x, y)}
    vx, vy = value[x][ev["ok"]], value[y][ev["ok"]]
    if not len(vx):
        return np.arange(p.n_columns)
    lbx, lby = sku_lower_bounds(p, x, repair_hours), sku_lower_bounds(p, y, repair_hours)
    # for each SKU: the smallest y among incumbents with x < LB^x_s (prefix minimum over sorted x)
    o = np.argsort(vx, kind="stable")
    xs, ymin = vx[o], np.minimum.accumulate(vy[o])
    k = np.searchsorted(xs, lbx * (1 - _BOUND_TOL) - _BOUND_TOL, side="left")
    best_y = np.where(k > 0, ymin[np.maximum(k - 1, 0)], np.inf)
    drop = best_y < lby * (1 - _BOUND_TOL) - _BOUND_TOL
    return np.flatnonzero(~drop[p.col_sku])


def column_lower_bounds(problem: Problem, criterion: str, repair_hours: float | None = None) -> np.ndarray:
    """Proposition 10: L_c per column for a min criterion, with every design's criterion at least
    the sum of L_c over its columns (each with n*_c replicas): the package, host-share, fabric-port
    and least switch and rack terms column c causes by itself, and 1/|W| of its die's NRE when
    charged; the blast radius is b_c itself (inf for columns that cannot meet demand)."""
    p = replace(problem, objective="cost")
    usable = usable_columns(p)
    if criterion == "blast_radius":
        return np.where(usable, blast_radius_per_column(p, repair_hours), np.inf)
    packages = (p.col_packages * min_replicas(p)).astype(float)
    sku = p.col_sku
    fab = p.sku_fabric[sku]
    ports = p.sku_fabric_ports[sku].astype(float) * packages
    radix = p.fabric_radix[fab].astype(float)
    over = oversubscription(p)[fab]
    # a fabric's tree has at least the tiers this column's ports alone need, so at least
    # switches_per_port(t_c) x E_c / R of its switches are this column's
    tiers = np.maximum(fabric.fat_tree_tiers(ports, radix, oversubscription=over), 1)
    switch_share = np.where(ports > 0, fabric.switches_per_port(tiers, over) * ports / radix, 0.0)
    it_w = (packages * per_package_value(p, "power")[sku] / p.pue + ports * p.fabric_port_w[fab]
            + switch_share * p.fabric_switch_w[fab])
    capex = (packages * per_package_value(p, "cost")[sku] + ports * p.fabric_port_cost_usd[fab]
             + switch_share * p.fabric_switch_cost_usd[fab])
    if np.isfinite(p.rack_power_w):
        capex = capex + p.rack_cost_usd * it_w / p.rack_power_w          # racks >= IT power / rack power
    if p.charge_nre:
        capex = capex + p.die_nre_usd[p.sku_die[sku]] / max(p.n_workloads, 1)
    facility = p.pue * it_w
    value = criterion_value(criterion, capex=capex, facility=facility, tco=capex + p.energy_usd_per_w * facility)
    return np.where(usable, value, np.inf)


def front_ends_prune(problem: Problem, x: str, y: str, x_end: float, y_end: float,
                     repair_hours: float) -> np.ndarray:
    """Proposition 7: columns to keep once the two ends of a front of min criteria are known.
    Every non-dominated design has x <= ``x_end`` (x of lex(y, x)) and y <= ``y_end`` (y of
    lex(x, y)), so SKUs whose lower bound exceeds either end cannot appear on the front."""
    p = problem
    lbx, lby = sku_lower_bounds(p, x, repair_hours), sku_lower_bounds(p, y, repair_hours)
    drop = (lbx > x_end * (1 + _BOUND_TOL) + _BOUND_TOL) | (lby > y_end * (1 + _BOUND_TOL) + _BOUND_TOL)
    return np.flatnonzero(~drop[p.col_sku])
