"""Random small design Problems for solver tests and benchmarks.

``random_problem`` builds one from a numpy Generator and a few size knobs; ``problems()`` is the
hypothesis strategy over seeds and knobs (all four objectives, K = 1 and 2, NRE on/off, finite
budgets, replica limits, racks, hosts; some instances come out infeasible by construction: tight budgets,
K too small, or a workload with no column).
Fabrics use small radices (8 and 16) so that multi-tier trees and the tier limit are exercised.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from litedse.optimize.problem import Problem


def random_problem(rng: np.random.Generator, *, n_dies: int = 2, skus_per_die: int = 2, n_workloads: int = 2,
                   cols_per_pair: int = 3, objective: str = "cost", max_designs: int = 1, charge_nre: bool = False,
                   budget_factor: float | None = None, power_factor: float | None = None, racks: bool = False,
                   replica_limits: bool = False, empty_workload: bool = False, demand_scale: float = 1.0,
                   hosts: bool = False, oversubscribed: bool = False) -> Problem:
    """A Problem with ``n_dies * skus_per_die`` SKUs and up to ``cols_per_pair`` columns per
    (SKU, workload). Budgets, when given, are ``factor`` times a rough reference design's capex /
    facility power, so factors near 1 make binding and infeasible cases likely."""
    n_skus = n_dies * skus_per_die
    sku_die = np.repeat(np.arange(n_dies), skus_per_die)
    capex = rng.uniform(2e3, 3e4, n_skus).round(2)
    it_w = rng.uniform(300.0, 1500.0, n_skus).round(1)
    fabric = rng.integers(0, 2, n_skus)
    ports = rng.choice([0, 1, 2, 4], n_skus)
    demand = (rng.uniform(200.0, 5000.0, n_workloads) * demand_scale).round(1)
    col_w, col_s, col_r, col_g = [], [], [], []
    for w in range(n_workloads):
        for s in range(n_skus):
            k = int(rng.integers(0, cols_per_pair + 1))
            col_w += [w] * k
            col_s += [s] * k
            col_r += rng.uniform(20.0, 1500.0, k).round(2).tolist()
            col_g += rng.choice([1, 2, 4, 8], k).tolist()
    col_w, col_s = np.array(col_w, dtype=int), np.array(col_s, dtype=int)
    col_r, col_g = np.array(col_r, dtype=float), np.array(col_g, dtype=int)
    if empty_workload and n_workloads > 0:
        keep = col_w != n_workloads - 1
        col_w, col_s, col_r, col_g = col_w[keep], col_s[keep], col_r[keep], col_g[keep]
    elif n_workloads > 0:
        # every workload gets at least one column so that most instances are feasible
        for w in range(n_workloads):
            if not np.any(col_w == w):
                col_w = np.append(col_w, w)
                col_s = np.append(col_s, int(rng.integers(0, n_skus)))
                col_r = np.append(col_r, round(float(rng.uniform(20.0, 1500.0)), 2))
                col_g = np.append(col_g, int(rng.choice([1, 2, 4])))
    # replica limits around what the demand needs: about a fifth of the columns cannot reach it
    need = demand[col_w] / np.maximum(col_r, 1e-9) if len(col_w) else np.zeros(0)
    max_reps = np.ceil(need * rng.uniform(0.8, 3.0, len(col_w))).astype(int) + 1 if replica_limits else None
    # reference scale for budgets: every workload on the cheapest-per-throughput column
    ref_capex, ref_w = 0.0, 0.0
    for w in range(n_workloads):
        mine = np.flatnonzero(col_w == w)
        if len(mine):
            per = capex[col_s[mine]] * col_g[mine] / col_r[mine]
            c = mine[int(np.argmin(per))]
            reps = np.ceil(demand[w] / col_r[c])
            ref_capex += capex[col_s[c]] * col_g[c] * reps
            ref_w += it_w[col_s[c]] * col_g[c] * reps
    ref_capex = max(ref_capex, 1e5)
    ref_w = max(ref_w, 1e3)
    pue = round(float(rng.uniform(1.1, 1.5)), 3)
    return Problem(
        die_labels=[f"die{d}" for d in range(n_dies)],
        die_nre_usd=rng.uniform(1e4, 0.5 * ref_capex, n_dies).round(0),
        sku_die=sku_die, sku_capex_usd=capex, sku_it_w=it_w, sku_fabric=fabric, sku_fabric_ports=ports,
        sku_failures_per_year=np.full(n_skus, 0.1),
        fabric_names=["electrical", "cpo"], fabric_radix=np.array([8.0, 16.0]),
        fabric_switch_cost_usd=np.array([2.0e4, 3.0e4]), fabric_switch_w=np.array([400.0, 600.0]),
        fabric_port_cost_usd=np.array([150.0, 0.0]), fabric_port_w=np.array([5.0, 0.0]),
        workload_names=[f"wl{w}" for w in range(n_workloads)], demand=demand,
        demand_unit=["tokens/s"] * n_workloads,
        col_workload=col_w, col_sku=col_s, col_throughput=col_r, col_packages=col_g, col_max_replicas=max_reps,
        max_designs=max_designs, charge_nre=charge_nre,
        budget_usd=np.inf if budget_factor is None else round(budget_factor * ref_capex, 2),
        power_budget_w=np.inf if power_factor is None else round(power_factor * ref_w * pue, 2),
        rack_power_w=round(float(rng.uniform(2e4, 6e4)), 1) if racks else np.inf,
        rack_cost_usd=round(float(rng.uniform(1e3, 2e4)), 2) if racks else 0.0,
        pue=pue, energy_usd_per_w=round(float(rng.uniform(0.0, 15.0)), 3), objective=objective,
        sku_packages_per_host=rng.choice([1.0, 2.0, 4.0, 8.0], n_skus) if hosts else None,
        fabric_oversubscription=rng.choice([1.0, 1.5, 3.0], 2) if oversubscribed else None,
        host_cost_usd=round(float(rng.uniform(0.0, 0.3)) * float(capex.mean()) * 4, 2) if hosts else 0.0,
        host_w=round(float(rng.uniform(0.0, 0.3)) * float(it_w.mean()) * 4, 1) if hosts else 0.0)


@st.composite
def problems(draw, max_workloads: int = 3):
    """Hypothesis strategy: small Problems over every objective and modelling option."""
    objective = draw(st.sampled_from(["cost", "power", "tco", "demand_scale"]))
    knobs = dict(
        n_dies=draw(st.integers(1, 3)), skus_per_die=draw(st.integers(1, 2)),
        n_workloads=draw(st.integers(1, max_workloads)), cols_per_pair=draw(st.integers(1, 3)),
        objective=objective, max_designs=draw(st.integers(1, 2)), charge_nre=draw(st.booleans()),
        racks=draw(st.booleans()), replica_limits=draw(st.booleans()), hosts=draw(st.booleans()), oversubscribed=draw(st.booleans()),
        empty_workload=objective != "demand_scale" and draw(st.sampled_from([False] * 9 + [True])),
        demand_scale=draw(st.sampled_from([1.0, 1.0, 20.0])),
    )
    budget = draw(st.sampled_from([None, None, 0.9, 1.3, 2.0, 4.0]))
    power = draw(st.sampled_from([None, None, 0.9, 1.3, 2.0, 4.0]))
    if objective == "demand_scale" and budget is None and power is None:
        budget = 1.5
    seed = draw(st.integers(0, 2**31 - 1))
    return random_problem(np.random.default_rng(seed), budget_factor=budget, power_factor=power, **knobs)
