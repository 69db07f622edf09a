"""Proposition 10 (formulations/design.md): separable lower bounds on the min criteria
(optimize.prune.column_lower_bounds), and the enumeration of the combinations within them
(optimize.enumerate.combinations_within), both against every combination of small problems."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse.optimize.designs import evaluate_designs
from litedse.optimize.enumerate import combinations_within
from litedse.optimize.problem import blast_radius_per_column, criterion_value
from litedse.optimize.prune import column_lower_bounds, criterion_per_column, min_replicas, usable_columns
from problems import random_problem

REPAIR_H = 4.0
CRITERIA = ("cost", "power", "tco", "blast_radius")


def _all_combinations(p):
    usable = usable_columns(p)
    per = [np.flatnonzero((p.col_workload == w) & usable) for w in range(p.n_workloads)]
    return np.array(list(itertools.product(*per)), dtype=np.int64).reshape(-1, p.n_workloads)


def _values(p, C):
    ev = evaluate_designs(p, C, min_replicas(p)[C])
    b = blast_radius_per_column(p, REPAIR_H)[C].sum(axis=1)
    return {c: criterion_value(c, capex=ev["capex"], facility=ev["facility"], tco=ev["tco"], blast_radius=b)
            for c in CRITERIA}


def _problem(seed, **kw):
    return random_problem(np.random.default_rng(seed), n_dies=3, skus_per_die=2, n_workloads=kw.pop("n_workloads", 3),
                          cols_per_pair=2, **kw)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), n_workloads=st.integers(1, 3), racks=st.booleans(), nre=st.booleans(),
       hosts=st.booleans(), oversubscribed=st.booleans())
def test_bounds_never_exceed_a_designs_criterion(seed, n_workloads, racks, nre, hosts, oversubscribed):
    """Every combination (feasible or not: the bound holds for the totals of any design) has each
    criterion >= the sum of its columns' bounds; and each bound is at least Proposition 5's
    contribution of the column (it adds only non-negative terms to it)."""
    p = _problem(seed, n_workloads=n_workloads, racks=racks, charge_nre=nre, hosts=hosts,
                 oversubscribed=oversubscribed, max_designs=2)
    C = _all_combinations(p)
    values = _values(p, C)
    usable = usable_columns(p)
    for c in CRITERIA:
        L = column_lower_bounds(p, c, REPAIR_H)
        assert np.all(np.isinf(L[~usable]))
        total = L[C].sum(axis=1)
        assert np.all(total <= values[c] * (1 + 1e-12) + 1e-9), c
        contribution = criterion_per_column(p, c, REPAIR_H)
        assert np.all(L[usable] >= contribution[usable] * (1 - 1e-12)), c


def test_bounds_are_tight_for_one_workload_without_shared_terms():
    """One workload, no racks, hosts, NRE or fabric ports: a design's power is its column's
    packages times the SKU's facility power, exactly the bound."""
    p = _problem(5, n_workloads=1)
    p = replace(p, sku_fabric_ports=np.zeros(p.n_skus))
    C = _all_combinations(p)
    assert np.allclose(column_lower_bounds(p, "power", REPAIR_H)[C].sum(axis=1), _values(p, C)["power"], rtol=1e-12)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), quantile=st.floats(0.0, 1.0), second=st.booleans())
def test_combinations_within_are_exactly_those_the_bounds_admit(seed, quantile, second):
    p = _problem(seed, charge_nre=True, racks=True, max_designs=2)
    C = _all_combinations(p)
    lx, ly = column_lower_bounds(p, "cost", REPAIR_H), column_lower_bounds(p, "power", REPAIR_H)
    sx, sy = lx[C].sum(axis=1), ly[C].sum(axis=1)
    cap_x = float(np.quantile(sx, quantile)) if len(C) else 0.0
    cap_y = float(np.quantile(sy, 1.0 - quantile / 2)) if second and len(C) else np.inf
    got = combinations_within(p, [(lx, cap_x), (ly, cap_y)], limit=10**6)
    want = C[(sx <= cap_x * (1 + 1e-9)) & (sy <= cap_y)]
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, want.tolist()))
    # a limit below the count of the first level's survivors refuses to enumerate
    if len(want) > 1:
        assert combinations_within(p, [(lx, cap_x), (ly, cap_y)], limit=0) is None
