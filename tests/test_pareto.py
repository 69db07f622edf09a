"""Exact Pareto fronts (litedse.optimize.pareto) against brute force, re-solves and dominance checks."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse.optimize.milp import ParetoModel
from litedse.optimize.designs import design_from_choice
from litedse.optimize.pareto import ENUMERATE_LIMIT, pareto_front
from litedse.optimize.problem import CRITERIA, blast_radius_per_column
from litedse.optimize.prune import min_replicas, usable_columns
from litedse.optimize.verify import verify
from problems import random_problem

# HiGHS fixes its thread count at the first solve of a process; the rest of the suite uses 1

MIN_PAIRS = [("cost", "power"), ("cost", "blast_radius"), ("tco", "power"), ("power", "blast_radius"),
             ("tco", "cost")]
REPAIR_H = 4.0


def brute_front(p, x, y):
    """Non-dominated (x, y) vectors over every combination of one column per workload, each with the
    fewest replicas meeting demand; feasibility by the independent ``verify``."""
    p = replace(p, objective="cost")
    usable = usable_columns(p)
    per_w = [np.flatnonzero((p.col_workload == w) & usable) for w in range(p.n_workloads)]
    nstar = min_replicas(p)
    pts = []
    for combo in itertools.product(*per_w):
        cols = np.array(combo, dtype=int)
        sol = design_from_choice(p, cols, nstar[cols], status="optimal")
        if verify(p, sol):
            continue
        br = sum(float(p.col_packages[c]) * float(p.sku_failures_per_year[p.col_sku[c]]) * REPAIR_H for c in cols)
        vals = {"cost": sol.capex_usd, "power": sol.facility_power_w, "tco": sol.tco_usd, "blast_radius": br}
        pts.append((vals[x], vals[y]))
    pts = np.array(pts).reshape(-1, 2)
    keep = [i for i in range(len(pts))
            if not np.any(np.all(pts <= pts[i], axis=1) & np.any(pts < pts[i], axis=1))]
    return np.unique(pts[keep], axis=0)


def same_vectors(a, b, rel=1e-7):
    if len(a) != len(b):
        return False
    a, b = a[np.lexsort((a[:, 1], a[:, 0]))], b[np.lexsort((b[:, 1], b[:, 0]))]
    return bool(np.all(np.abs(a - b) <= rel * np.maximum(1.0, np.abs(b))))


def assert_no_point_dominates_another(front):
    s = np.array([-1.0 if CRITERIA[n].sense == "max" else 1.0 for n in (front.x, front.y)])
    v = np.array([[pt.values[front.x], pt.values[front.y]] for pt in front.points]) * s
    for i in range(len(v)):
        dominated = np.all(v <= v[i], axis=1) & np.any(v < v[i], axis=1)
        assert not dominated.any(), f"point {i} {v[i]} is dominated by {v[dominated][0]}"


def assert_points_reproduce(p, front):
    """Re-solve each point with its own y value as the epsilon bound on a fresh model: feasible,
    and the optimal x equals the point's x."""
    q = replace(p, objective="demand_scale" if "demand_scale" in (front.x, front.y) else "cost")
    for pt in front.points:
        pm = ParetoModel(q, front.x, front.y, blast_radius_per_column(q, REPAIR_H))
        pm.set_pareto_bound(front.y, pt.values[front.y])
        pm.set_pareto_weights(1.0, 0.0)
        sol = pm.solve(threads=1)
        assert sol.feasible
        got = (sol.capex_usd, sol.facility_power_w, sol.tco_usd)
        x_got = {"cost": got[0], "power": got[1], "tco": got[2], "demand_scale": sol.demand_scale,
                 "blast_radius": float(blast_radius_per_column(q, REPAIR_H)[sol.column].sum())}[front.x]
        assert x_got == pytest.approx(pt.values[front.x], rel=1e-7, abs=1e-9)
        # the point's own design satisfies its bounds (independent re-check of all constraints)
        bounded = q
        if front.y == "cost":
            bounded = replace(q, budget_usd=min(q.budget_usd, pt.values["cost"]))
        if front.y == "power":
            bounded = replace(q, power_budget_w=min(q.power_budget_w, pt.values["power"]))
        assert verify(bounded, pt.solution) == []


# enumerate_limit: 0 finds every point by the MILP, 6 mixes enumerated points (Proposition 10, with
# the cap bisection) and MILP points, the default enumerates every point of these small problems
LIMITS = [0, 6, ENUMERATE_LIMIT]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), pair=st.sampled_from(MIN_PAIRS), n_workloads=st.integers(1, 3),
       max_designs=st.integers(1, 2), budget=st.sampled_from([None, 1.5, 3.0]), racks=st.booleans(),
       nre=st.booleans(), hosts=st.booleans(), limit=st.sampled_from(LIMITS))
def test_exact_front_equals_brute_force(seed, pair, n_workloads, max_designs, budget, racks, nre, hosts, limit):
    p = random_problem(np.random.default_rng(seed), n_dies=3, skus_per_die=2, n_workloads=n_workloads,
                       cols_per_pair=3 if n_workloads < 3 else 2, max_designs=max_designs, budget_factor=budget,
                       racks=racks, charge_nre=nre, hosts=hosts)
    x, y = pair
    front = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1, enumerate_limit=limit)
    if limit == 0:
        assert front.enumerated == 0
    expected = brute_front(p, x, y)
    got = np.array([[pt.values[x], pt.values[y]] for pt in front.points]).reshape(-1, 2)
    if not len(expected):
        assert front.status == "infeasible" and not front.points
        return
    assert front.complete
    assert same_vectors(got, expected), f"front {got.tolist()} != brute force {expected.tolist()}"
    assert_no_point_dominates_another(front)


def test_points_reproduce_and_are_feasible_on_a_larger_front():
    # seed chosen so the cost/blast-radius front has several points (checked below)
    rng = np.random.default_rng(0)
    p = random_problem(rng, n_dies=3, skus_per_die=2, n_workloads=2, cols_per_pair=3, max_designs=2)
    front = pareto_front(p, "cost", "blast_radius", repair_hours=REPAIR_H, threads=1)
    assert len(front.points) >= 2
    assert_no_point_dominates_another(front)
    assert_points_reproduce(p, front)
    assert same_vectors(np.array([[pt.values["cost"], pt.values["blast_radius"]] for pt in front.points]),
                        brute_front(p, "cost", "blast_radius"))


@pytest.mark.parametrize("other", ["cost", "power"])
def test_demand_scale_front_is_monotone_and_reproducible(other):
    p = random_problem(np.random.default_rng(3), n_dies=2, n_workloads=2, budget_factor=2.0,
                       power_factor=3.0, objective="demand_scale")
    front = pareto_front(p, "demand_scale", other, repair_hours=REPAIR_H, threads=1)
    assert front.complete and len(front.points) >= 3
    assert_no_point_dominates_another(front)
    lam = np.array([pt.values["demand_scale"] for pt in front.points])
    val = np.array([pt.values[other] for pt in front.points])
    # sorted by best x (largest scale) first: more scale always costs more of the other criterion
    order = np.argsort(-lam)
    assert np.all(np.diff(val[order]) < 0)
    # the largest scale is the single-objective demand_scale optimum under the same budgets
    from litedse.optimize.milp import solve_milp
    assert lam.max() == pytest.approx(solve_milp(p, threads=1).objective_value, rel=1e-9)
    assert_points_reproduce(p, front)


def test_grid_mode_is_a_subset_of_the_exact_front():
    p = random_problem(np.random.default_rng(0), n_dies=2, n_workloads=2, budget_factor=2.0,
                       objective="demand_scale")
    exact = pareto_front(p, "demand_scale", "cost", repair_hours=REPAIR_H, threads=1)
    grid = pareto_front(p, "demand_scale", "cost", points=5, repair_hours=REPAIR_H, threads=1)
    ex = {round(pt.values["cost"], 4) for pt in exact.points}
    gr = [round(pt.values["cost"], 4) for pt in grid.points]
    assert set(gr) <= ex and len(gr) >= 2
    # both ends of the front are in the grid front
    assert max(gr) == max(ex) and min(gr) == min(ex)


def test_hand_front_two_designs():
    """Two SKUs, one workload: a cheap hot SKU and a dear cool one; demand 100, each replica 50
    (2 replicas), 1 package per replica. cost = 2 a_s, power = 2 p_s PUE: the front is both."""
    p = random_problem(np.random.default_rng(0), n_dies=1, skus_per_die=2, n_workloads=1, cols_per_pair=1)
    p = replace(p, sku_capex_usd=np.array([1000.0, 3000.0]), sku_it_w=np.array([900.0, 400.0]),
                sku_fabric_ports=np.array([0, 0]), demand=np.array([100.0]),
                col_workload=np.array([0, 0]), col_sku=np.array([0, 1]), col_throughput=np.array([50.0, 50.0]),
                col_packages=np.array([1, 1]), col_max_replicas=None, pue=1.25, rack_power_w=np.inf)
    front = pareto_front(p, "cost", "power", repair_hours=REPAIR_H, threads=1)
    got = [(pt.values["cost"], pt.values["power"]) for pt in front.points]
    assert got == [pytest.approx((2000.0, 2 * 900 * 1.25)), pytest.approx((6000.0, 2 * 400 * 1.25))]
    # blast radius: 1 package x 0.1 /yr (random_problem's rate) x 4 h, the same for both: one point
    single = pareto_front(p, "cost", "blast_radius", repair_hours=4.0, threads=1)
    assert [(pt.values["cost"], pt.values["blast_radius"]) for pt in single.points] == [
        pytest.approx((2000.0, 0.4))]


def test_infeasible_problem_gives_empty_front():
    p = random_problem(np.random.default_rng(1), n_dies=2, n_workloads=2, budget_factor=0.01)
    front = pareto_front(p, "cost", "power", repair_hours=REPAIR_H, threads=1)
    assert front.status == "infeasible" and front.points == [] and front.explanation == ""
    # the caller explains, with the solve pipeline's solver (what results.fronts.pareto_instance does)
    from litedse.solve import explain
    assert "budget_usd" in explain(p)


def test_pareto_components_are_documented():
    doc = (Path(__file__).resolve().parents[1] / "formulations" / "design.md").read_text()
    p = random_problem(np.random.default_rng(0), n_dies=1, n_workloads=1, budget_factor=2.0, objective="demand_scale")
    pm = ParetoModel(p, "demand_scale", "cost", blast_radius_per_column(p, REPAIR_H))
    import pyomo.environ as pe
    names = {c.name for c in pm.model.component_objects((pe.Param, pe.Var, pe.Constraint, pe.Objective))}
    section = doc.split("## 10.", 1)[1]
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing
    for new in ("blast_radius", "blast_radius_definition", "tco_budget", "tco_bound", "blast_radius_budget",
                "blast_radius_bound", "demand_scale_floor", "demand_scale_bound", "pareto_weight_primary",
                "pareto_weight_secondary", "pareto_objective"):
        assert new in names and f"`{new}`" in section
    assert "AUGMECON2" in section   # the method section 10 names


@pytest.mark.parametrize("pair", [("cost", "power"), ("tco", "blast_radius")])
def test_payoff_bound_pruning_keeps_the_front(pair):
    """Proposition 7: the sweep on the SKU-pruned model gives the same front as on the full one."""
    p = random_problem(np.random.default_rng(14), n_dies=6, skus_per_die=3, n_workloads=2, cols_per_pair=3,
                       max_designs=2)
    pruned = pareto_front(p, *pair, repair_hours=REPAIR_H, threads=1)
    full = pareto_front(p, *pair, repair_hours=REPAIR_H, threads=1, bound_prune=False)
    assert pruned.columns_swept < pruned.columns == full.columns_swept
    a = np.array([[pt.values[pair[0]], pt.values[pair[1]]] for pt in pruned.points])
    b = np.array([[pt.values[pair[0]], pt.values[pair[1]]] for pt in full.points])
    assert same_vectors(a, b) and len(a) >= 2
    # the points' columns index the full problem and verify there
    for pt in pruned.points:
        assert verify(replace(p, objective="cost"), pt.solution) == []


def test_blast_radius_column_pruning_against_brute_force():
    from litedse.optimize.prune import prune_for_blast_radius

    for seed in range(4):
        p = random_problem(np.random.default_rng(seed), n_dies=2, skus_per_die=2, n_workloads=2, cols_per_pair=3)
        q = prune_for_blast_radius(p)
        assert q.n_columns <= p.n_columns
        for pair in (("cost", "blast_radius"), ("power", "blast_radius")):
            assert same_vectors(brute_front(q, *pair), brute_front(p, *pair))


def test_a_wrongly_trusted_mip_start_is_caught():
    """Issue 17 regression: with warm starts, HiGHS 1.16 mapped the front's least-power end into its
    presolved space with a wrong objective (28,006 for a design of 114,248) and 'proved' it optimal,
    so the exact front lost its middle point (48,006 USD, 2,771 W). DesignModel re-solves without
    the start when a converged result's own objective is off its dual bound."""
    p = random_problem(np.random.default_rng(1), n_dies=3, skus_per_die=2, n_workloads=1, cols_per_pair=3,
                       max_designs=1)
    expected = brute_front(p, "cost", "power")
    assert len(expected) == 3
    for warm in (True, False):
        front = pareto_front(p, "cost", "power", repair_hours=REPAIR_H, threads=1, warm_start=warm)
        got = np.array([[pt.values["cost"], pt.values["power"]] for pt in front.points])
        assert same_vectors(got, expected), (warm, got.tolist())


@pytest.mark.parametrize("seed", range(6))
def test_warm_started_fronts_equal_cold_ones(seed):
    p = random_problem(np.random.default_rng(40 + seed), n_dies=3, skus_per_die=3, n_workloads=2, cols_per_pair=3,
                       max_designs=1 + seed % 2)
    x, y = MIN_PAIRS[seed % len(MIN_PAIRS)]
    warm = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1)
    cold = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1, warm_start=False)
    vec = lambda f: np.array([[pt.values[x], pt.values[y]] for pt in f.points]).reshape(-1, 2)  # noqa: E731
    assert same_vectors(vec(warm), vec(cold))


@pytest.mark.parametrize("seed", range(3))
def test_enumerated_fronts_equal_milp_fronts_point_by_point(seed):
    """Proposition 10's enumeration and the MILP give the same lexicographic points, in order,
    on problems with NRE, hosts, racks and two die designs (the default finds all by enumeration)."""
    p = random_problem(np.random.default_rng(70 + seed), n_dies=4, skus_per_die=2, n_workloads=3, cols_per_pair=2,
                       max_designs=2, charge_nre=True, hosts=True, racks=True)
    x, y = MIN_PAIRS[seed]
    fast = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1)
    milp = pareto_front(p, x, y, repair_hours=REPAIR_H, threads=1, enumerate_limit=0)
    assert fast.enumerated == fast.solves > 0 and milp.enumerated == 0
    vec = lambda f: np.array([[pt.values[x], pt.values[y]] for pt in f.points]).reshape(-1, 2)  # noqa: E731
    assert len(fast.points) >= 2 and same_vectors(vec(fast), vec(milp))
    for pt in fast.points:
        assert verify(replace(p, objective="cost"), pt.solution) == []
