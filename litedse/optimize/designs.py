"""The design evaluator: the totals of complete designs given by one column and one replica count
per workload, vectorised over many designs at once. The one place the formulation's totals are
computed outside the MILP: the exhaustive enumerator, the SKU-bound incumbents of the pruning
rules and the Solution builder all call it (``verify`` re-checks with its own arithmetic).

A design is feasible here if its fabrics fit in ``tech.fabric.MAX_TIERS`` tiers, it uses at most
K die designs, its replicas stay within their limits m_c and its budgets hold.
"""

from __future__ import annotations

import numpy as np

from litedse.optimize.problem import CRITERIA, Problem, criterion_value, oversubscription
from litedse.optimize.solution import Solution, binding_constraints
from litedse.tech import fabric

# relative tolerance of the budget comparisons (the sums run in another order than the MILP's)
REL_TOL = 1e-10


def max_replicas(problem: Problem) -> np.ndarray:
    """m_c as floats (inf where the Problem sets no limit)."""
    p = problem
    if p.col_max_replicas is None:
        return np.full(p.n_columns, np.inf)
    return np.asarray(p.col_max_replicas, dtype=float)


def evaluate_designs(problem: Problem, C: np.ndarray, nrep: np.ndarray) -> dict[str, np.ndarray]:
    """Totals of k designs. ``C``, ``nrep``: (k, workloads) column index and replica count.

    Returns per design: ``capex`` [USD], ``it_w`` and ``facility`` [W], ``tco`` [USD],
    ``endpoints``, ``tiers`` and ``switches`` per fabric (k, F), ``hosts``, ``racks``, and ``ok``.
    Fabrics are the cheapest that fit (fewest tiers), racks the fewest that hold the IT power.
    """
    p = problem
    C = np.asarray(C, dtype=np.int64).reshape(-1, p.n_workloads)
    nrep = np.asarray(nrep, dtype=np.int64).reshape(C.shape)
    sku = p.col_sku[C]
    pk = p.col_packages[C].astype(np.int64) * nrep                      # packages per workload
    it_w = (p.sku_it_w[sku] * pk).sum(axis=1)
    capex = (p.sku_capex_usd[sku] * pk).sum(axis=1)
    ok = np.ones(len(C), dtype=bool)
    ports = p.sku_fabric_ports[sku].astype(float) * pk
    fab = p.sku_fabric[sku]
    endpoints = np.stack([np.where(fab == f, ports, 0).sum(axis=1) for f in range(p.n_fabrics)], axis=1)
    radix, over = p.fabric_radix[None, :], oversubscription(p)[None, :]
    ok &= np.all(fabric.fits(endpoints, radix, oversubscription=over), axis=1)
    tiers = fabric.fat_tree_tiers(endpoints, radix, oversubscription=over)
    switches = fabric.fat_tree_switches(endpoints, radix, tiers, oversubscription=over)
    for f in range(p.n_fabrics):
        it_w = it_w + p.fabric_switch_w[f] * switches[:, f] + p.fabric_port_w[f] * endpoints[:, f]
        capex = capex + p.fabric_switch_cost_usd[f] * switches[:, f] + p.fabric_port_cost_usd[f] * endpoints[:, f]
    hosts = host_count(p, sku, pk)
    it_w = it_w + p.host_w * hosts
    capex = capex + p.host_cost_usd * hosts
    racks = np.ceil(it_w / p.rack_power_w) if np.isfinite(p.rack_power_w) else np.zeros(len(C))
    capex = capex + p.rack_cost_usd * racks
    dies = np.sort(p.sku_die[sku], axis=1)
    first = np.ones(dies.shape, dtype=bool)
    first[:, 1:] = dies[:, 1:] != dies[:, :-1]
    ok &= first.sum(axis=1) <= p.max_designs
    if p.charge_nre:
        # a workload with zero replicas still commits its die design (one column per workload)
        capex = capex + (p.die_nre_usd[dies] * first).sum(axis=1)
    facility = p.pue * it_w
    ok &= facility <= p.power_budget_w * (1.0 + REL_TOL)
    ok &= capex <= p.budget_usd * (1.0 + REL_TOL)
    ok &= np.all(nrep <= max_replicas(p)[C], axis=1)
    return {"capex": capex, "it_w": it_w, "facility": facility, "tco": capex + p.energy_usd_per_w * facility,
            "endpoints": endpoints, "tiers": tiers, "switches": switches, "hosts": hosts, "racks": racks, "ok": ok}


def host_count(problem: Problem, sku: np.ndarray, packages: np.ndarray) -> np.ndarray:
    """Hosts of each design: sum over its SKUs of ceil(N_s / h_s), where a SKU's packages N_s add up
    over every workload that uses it. ``sku``, ``packages``: (k, workloads)."""
    p = problem
    if p.sku_packages_per_host is None:
        return np.zeros(len(sku))
    hosts = np.zeros(len(sku))
    for w in range(sku.shape[1]):
        same = sku == sku[:, [w]]
        first = ~np.any(same[:, :w], axis=1)           # count each SKU once, at its first workload
        total = np.where(same, packages, 0).sum(axis=1)
        hosts += np.where(first & (total > 0), np.ceil(total / p.sku_packages_per_host[sku[:, w]]), 0.0)
    return hosts


def objective_of(problem: Problem, totals: dict[str, np.ndarray]) -> np.ndarray:
    """The Problem's min objective (cost, power or tco) of evaluated designs."""
    return criterion_value(problem.objective, capex=totals["capex"], facility=totals["facility"], tco=totals["tco"])


def design_from_choice(problem: Problem, column, replicas, *, status: str, objective_value: float | None = None,
                       gap: float = 0.0, demand_scale: float | None = None, solver: dict | None = None) -> Solution:
    """The Solution of the chosen column and replica count of every workload (both solvers
    finish with it); ``verify`` re-checks it with its own arithmetic."""
    p = problem
    column = np.asarray(column, dtype=int)
    replicas = np.asarray(replicas, dtype=int)
    packages = np.zeros(p.n_skus, dtype=int)
    np.add.at(packages, p.col_sku[column], p.col_packages[column].astype(int) * replicas)
    ev = evaluate_designs(p, column[None, :], replicas[None, :])
    capex, it_w, facility, tco = (float(ev[k][0]) for k in ("capex", "it_w", "facility", "tco"))
    lam = 1.0 if demand_scale is None else float(demand_scale)
    metric = criterion_value(p.objective, capex=capex, facility=facility, tco=tco, demand_scale=lam)
    sol = Solution(status=status, objective_name=p.objective,
                   objective_value=metric if objective_value is None else float(objective_value),
                   objective_unit=CRITERIA[p.objective].unit, gap=gap, column=column, replicas=replicas, packages=packages,
                   fabric_endpoints=ev["endpoints"][0].astype(float), fabric_tiers=ev["tiers"][0].astype(int),
                   fabric_switches=ev["switches"][0].astype(int), racks=int(ev["racks"][0]), capex_usd=capex,
                   hosts=_hosts_per_sku(p, packages),
                   it_power_w=it_w, facility_power_w=facility, tco_usd=tco, demand_scale=lam, solver=dict(solver or {}))
    sol.binding = binding_constraints(p, sol)
    return sol



def _hosts_per_sku(problem: Problem, packages: np.ndarray) -> np.ndarray:
    """H_s = ceil(N_s / h_s) for a design's packages per SKU."""
    if problem.sku_packages_per_host is None:
        return np.zeros(problem.n_skus, dtype=int)
    return np.ceil(packages / problem.sku_packages_per_host).astype(int)
