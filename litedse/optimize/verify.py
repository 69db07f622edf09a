"""Independent re-check of a Solution: every constraint and total recomputed from its chosen
columns and replica counts and the Problem's arrays alone, in plain scalar Python. It shares no
expression with either solver or with the design evaluator; from the fabric model it takes only
the definition of a tree's capacity (``tech.fabric.tree_capacity``).
"""

from __future__ import annotations

import math

from litedse.optimize.problem import Problem, criterion_value, oversubscription
from litedse.optimize.solution import Solution
from litedse.tech import fabric

# relative tolerance of the re-check (the MILP's own feasibility tolerance is 1e-7 absolute, so
# values near 1e9 USD may be off by ~1e-16 relative; 1e-9 leaves room and still catches real errors)
VERIFY_REL_TOL = 1e-9


def close(a: float, b: float, tol: float = VERIFY_REL_TOL) -> bool:
    """|a - b| within ``tol`` of the larger of 1, |a|, |b| (both re-checks use it)."""
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def _le(a: float, limit: float, tol: float = VERIFY_REL_TOL) -> bool:
    return a <= limit + tol * max(1.0, abs(limit))


def verify(problem: Problem, solution: Solution) -> list[str]:
    """Every violated constraint or inconsistent field of ``solution``, recomputed from its chosen
    columns and replica counts and the problem arrays alone (scalar Python, no solver expression).
    Empty list = feasible and self-consistent."""
    p, s = problem, solution
    errors: list[str] = []
    if s.status == "infeasible" or (s.status == "time_limit" and not len(s.column)):
        return errors  # no design to check
    if len(s.column) != p.n_workloads or len(s.replicas) != p.n_workloads:
        return [f"expected one column and replica count per workload ({p.n_workloads}), got {len(s.column)}/{len(s.replicas)}"]
    lam = float(s.demand_scale)
    if p.objective != "demand_scale" and not close(lam, 1.0):
        errors.append(f"demand scale {lam} != 1 for objective {p.objective}")
    packages = [0] * p.n_skus
    dies: set[int] = set()
    for w in range(p.n_workloads):
        c, n = int(s.column[w]), int(s.replicas[w])
        name = p.workload_names[w]
        if not 0 <= c < p.n_columns or int(p.col_workload[c]) != w:
            errors.append(f"workload {name}: column {c} does not belong to it")
            continue
        if n < 0 or n != s.replicas[w]:
            errors.append(f"workload {name}: replicas {s.replicas[w]} not a non-negative integer")
        if p.col_max_replicas is not None and n > p.col_max_replicas[c]:
            errors.append(f"workload {name}: {n} replicas > column limit {p.col_max_replicas[c]}")
        served = float(p.col_throughput[c]) * n
        need = lam * float(p.demand[w])
        if served < need - VERIFY_REL_TOL * max(1.0, need):
            errors.append(f"demand {name}: {served:.6g} < {need:.6g} {p.demand_unit[w]}")
        sku = int(p.col_sku[c])
        packages[sku] += int(p.col_packages[c]) * n
        dies.add(int(p.sku_die[sku]))
    if list(map(int, s.packages)) != packages:
        errors.append(f"packages per SKU {list(map(int, s.packages))} != recomputed {packages}")
    if len(dies) > p.max_designs:
        errors.append(f"max_designs: {len(dies)} die designs > K = {p.max_designs}")
    # per-SKU sums over the few SKUs with packages (a problem may carry hundreds of thousands)
    bought = [k for k, count in enumerate(packages) if count]
    it_w = 0.0
    capex = 0.0
    for sku in bought:
        it_w += float(p.sku_it_w[sku]) * packages[sku]
        capex += float(p.sku_capex_usd[sku]) * packages[sku]
    over = oversubscription(p).tolist()
    for f in range(p.n_fabrics):
        ports = sum(float(p.sku_fabric_ports[k]) * packages[k] for k in bought if int(p.sku_fabric[k]) == f)
        if len(s.fabric_endpoints) != p.n_fabrics or not close(float(s.fabric_endpoints[f]), ports):
            errors.append(f"fabric {p.fabric_names[f]}: endpoints reported != recomputed {ports}")
            continue
        t, sw = int(s.fabric_tiers[f]), int(s.fabric_switches[f])
        radix = float(p.fabric_radix[f])
        if ports > 0:
            if not 1 <= t <= fabric.MAX_TIERS:
                errors.append(f"fabric {p.fabric_names[f]}: {t} tiers outside 1..{fabric.MAX_TIERS}")
            elif not _le(ports, float(fabric.tree_capacity(radix, t, over[f]))):
                errors.append(f"fabric {p.fabric_names[f]}: {ports} ports > capacity of {t} tiers")
            elif sw < math.ceil(float(fabric.switches_per_port(t, over[f])) * ports / radix * (1.0 - VERIFY_REL_TOL)):
                errors.append(f"fabric {p.fabric_names[f]}: {sw} switches < (o+2t-2)/o E/R")
        it_w += float(p.fabric_switch_w[f]) * sw + float(p.fabric_port_w[f]) * ports
        capex += float(p.fabric_switch_cost_usd[f]) * sw + float(p.fabric_port_cost_usd[f]) * ports
    if p.sku_packages_per_host is not None:
        hosts = [0] * p.n_skus
        for k in bought:
            hosts[k] = math.ceil(packages[k] / float(p.sku_packages_per_host[k]))
        if list(map(int, s.hosts)) != hosts:
            errors.append(f"hosts per SKU {list(map(int, s.hosts))} != recomputed {hosts}")
        it_w += float(p.host_w) * sum(hosts)
        capex += float(p.host_cost_usd) * sum(hosts)
    if math.isfinite(p.rack_power_w) and p.rack_power_w * s.racks < it_w - VERIFY_REL_TOL * max(1.0, it_w):
        errors.append(f"racks: {s.racks} x {p.rack_power_w:.6g} W < IT power {it_w:.6g} W")
    capex += float(p.rack_cost_usd) * s.racks
    if p.charge_nre:
        capex += sum(float(p.die_nre_usd[d]) for d in dies)
    facility = p.pue * it_w
    tco = capex + p.energy_usd_per_w * facility
    for label, mine, theirs in (("it_power_w", it_w, s.it_power_w), ("facility_power_w", facility, s.facility_power_w),
                                ("capex_usd", capex, s.capex_usd), ("tco_usd", tco, s.tco_usd)):
        if not close(mine, theirs):
            errors.append(f"{label}: reported {theirs:.9g} != recomputed {mine:.9g}")
    if not _le(facility, p.power_budget_w):
        errors.append(f"power_budget_w: facility power {facility:.6g} W > {p.power_budget_w:.6g} W")
    if not _le(capex, p.budget_usd):
        errors.append(f"budget_usd: capex {capex:.6g} USD > {p.budget_usd:.6g} USD")
    metric = criterion_value(p.objective, capex=capex, facility=facility, tco=tco, demand_scale=lam)
    if not close(metric, s.objective_value, 1e-6):
        errors.append(f"objective {p.objective}: reported {s.objective_value:.9g} != recomputed {metric:.9g}")
    return errors
