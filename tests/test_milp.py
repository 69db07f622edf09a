"""Design MILP vs exhaustive enumeration, independent feasibility re-check, hand-computed optima,
infeasibility explanations and exact pruning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from litedse.optimize.enumerate import solve_enumerate
from litedse.optimize.milp import DesignModel, solve_milp
from litedse.optimize.problem import Problem
from litedse.optimize.prune import prune_columns, prune_skus
from litedse.optimize.explain import explain_infeasible
from litedse.optimize.verify import verify
from problems import problems, random_problem

REL = 1e-6


def same_result(a, b) -> bool:
    if a.status != b.status:
        return False
    if a.status == "infeasible":
        return True
    return abs(a.objective_value - b.objective_value) <= REL * max(1.0, abs(b.objective_value))


@settings(max_examples=45, deadline=None, suppress_health_check=list(HealthCheck))
@given(problems())
def test_milp_equals_enumeration_and_solutions_verify(problem):
    milp = solve_milp(problem, threads=1)
    brute = solve_enumerate(problem)
    assert same_result(milp, brute), (milp.status, milp.objective_value, brute.status, brute.objective_value)
    assert verify(problem, milp) == []
    assert verify(problem, brute) == []
    if milp.status == "infeasible":
        # the explanation's relaxed problems are solved exactly: either solver gives the same text
        by_milp = explain_infeasible(problem, solve=lambda q: solve_milp(q, threads=1))
        assert by_milp and by_milp == explain_infeasible(problem, solve=solve_enumerate)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(problems())
def test_pruning_never_changes_the_optimum(problem):
    pruned = prune_columns(problem)
    assert pruned.counts["kept"] == pruned.problem.n_columns <= problem.n_columns
    full = solve_enumerate(problem)
    small = solve_enumerate(pruned.problem)
    assert same_result(full, small)
    if pruned.problem.n_columns:
        assert same_result(full, solve_milp(pruned.problem, threads=1))
    by_bound = prune_skus(problem)
    if by_bound.problem.n_columns:
        assert same_result(full, solve_enumerate(by_bound.problem))
    else:
        assert full.status == "infeasible"


# ----------------------------------------------------------------------------------------------
# hand-built cases
# ----------------------------------------------------------------------------------------------

def hand_problem(**over) -> Problem:
    """Two die designs with one SKU each; no fabric ports unless overridden.

    w0 (D = 100): s0 column r = 100, g = 1 -> 1 package; s1 column r = 50 -> 2 packages
    w1 (D = 100): s0 column r = 25 -> 4 packages;       s1 column r = 100 -> 1 package
    a_s = 1000 USD, p_s = 100 W for both SKUs.
    """
    base = dict(
        die_labels=["small", "big"], die_nre_usd=np.array([500.0, 5000.0]),
        sku_die=np.array([0, 1]), sku_capex_usd=np.array([1000.0, 1000.0]), sku_it_w=np.array([100.0, 100.0]),
        sku_fabric=np.array([0, 0]), sku_fabric_ports=np.array([0, 0]), sku_failures_per_year=np.array([0.1, 0.1]),
        fabric_names=["net"], fabric_radix=np.array([8.0]), fabric_switch_cost_usd=np.array([2000.0]),
        fabric_switch_w=np.array([50.0]), fabric_port_cost_usd=np.array([10.0]), fabric_port_w=np.array([1.0]),
        workload_names=["w0", "w1"], demand=np.array([100.0, 100.0]), demand_unit=["tokens/s"] * 2,
        col_workload=np.array([0, 0, 1, 1]), col_sku=np.array([0, 1, 0, 1]),
        col_throughput=np.array([100.0, 50.0, 25.0, 100.0]), col_packages=np.array([1, 1, 1, 1]),
        max_designs=2, objective="cost")
    base.update(over)
    return Problem(**base)


def both(problem):
    a, b = solve_milp(problem, threads=1), solve_enumerate(problem)
    assert same_result(a, b)
    assert verify(problem, a) == [] and verify(problem, b) == []
    return a


def test_fewer_dearer_packages_beat_more_cheap_ones():
    # one workload, D = 1000: s0 costs 1000/package at 100/replica -> 10 x 1000 = 10,000;
    # s1 costs 1500/package at 250/replica -> 4 x 1500 = 6,000 (dearer per package, cheaper overall)
    p = hand_problem(workload_names=["w0"], demand=np.array([1000.0]), demand_unit=["tokens/s"],
                     sku_capex_usd=np.array([1000.0, 1500.0]), col_workload=np.array([0, 0]),
                     col_sku=np.array([0, 1]), col_throughput=np.array([100.0, 250.0]), col_packages=np.array([1, 1]),
                     max_designs=1)
    sol = both(p)
    assert sol.objective_value == pytest.approx(6000.0)
    assert list(sol.column) == [1] and list(sol.replicas) == [4] and list(sol.packages) == [0, 4]


def test_product_line_limit_forces_a_shared_die():
    # K = 2: each workload on its best die: 1000 + 1000. K = 1: die "small" 1000 + 4000,
    # die "big" 2000 + 1000 = 3000 -> big.
    assert both(hand_problem()).objective_value == pytest.approx(2000.0)
    sol = both(hand_problem(max_designs=1))
    assert sol.objective_value == pytest.approx(3000.0)
    assert list(sol.column) == [1, 3] and "max_designs" in sol.binding


def test_nre_changes_the_die_choice():
    # with NRE (500, 5000): both dies 2000 + 5500 = 7500; big only 3000 + 5000; small only 5000 + 500 = 5500
    sol = both(hand_problem(charge_nre=True))
    assert sol.objective_value == pytest.approx(5500.0)
    assert list(sol.column) == [0, 2]


def test_fat_tree_tiers_and_switches():
    # one workload on s0 with 10 packages of 1 port each on a radix-8 fabric: 10 > 8 -> 2 tiers,
    # ceil(3 * 10 / 8) = 4 switches; capex 10 x 1000 + 4 x 2000 + 10 x 10 = 18,100
    p = hand_problem(workload_names=["w0"], demand=np.array([1000.0]), demand_unit=["tokens/s"],
                     sku_fabric_ports=np.array([1, 1]), col_workload=np.array([0]), col_sku=np.array([0]),
                     col_throughput=np.array([100.0]), col_packages=np.array([1]))
    sol = both(p)
    assert (sol.fabric_tiers[0], sol.fabric_switches[0], sol.fabric_endpoints[0]) == (2, 4, 10)
    assert sol.objective_value == pytest.approx(18100.0)
    # IT power 10 x 100 + 4 x 50 + 10 x 1 = 1210 W; a 500 W rack holds it in ceil(2.42) = 3 racks
    racked = both(replace(p, rack_power_w=500.0, rack_cost_usd=100.0))
    assert racked.racks == 3 and racked.objective_value == pytest.approx(18400.0)


def test_power_and_tco_objectives():
    # power: every option uses packages of 100 W; K = 2 -> 2 packages, PUE 1.5 -> 300 W
    sol = both(hand_problem(objective="power", pue=1.5))
    assert sol.objective_value == pytest.approx(300.0)
    tco = both(hand_problem(objective="tco", pue=1.5, energy_usd_per_w=2.0))
    assert tco.objective_value == pytest.approx(2000.0 + 2.0 * 300.0)


def test_demand_scale_under_budget():
    # one workload D = 100 on r = 30 per replica at 1000 USD: 3,500 USD buys 3 replicas = 90 -> 0.9
    p = hand_problem(workload_names=["w0"], demand=np.array([100.0]), demand_unit=["tokens/s"],
                     col_workload=np.array([0]), col_sku=np.array([0]), col_throughput=np.array([30.0]),
                     col_packages=np.array([1]), objective="demand_scale", budget_usd=3500.0)
    sol = both(p)
    assert sol.objective_value == pytest.approx(0.9)
    assert sol.demand_scale == pytest.approx(0.9) and list(sol.replicas) == [3]


def test_set_bound_resolves_without_rebuilding():
    p = hand_problem(objective="demand_scale", budget_usd=10_000.0)
    model = DesignModel(p)
    first = model.solve(threads=1)
    assert first.objective_value == pytest.approx(solve_enumerate(p).objective_value)
    for budget in (4_000.0, 25_000.0, 2_500.0):
        model.set_bound("budget_usd", budget)
        again = model.solve(threads=1)
        fresh = solve_enumerate(replace(p, budget_usd=budget))
        assert same_result(again, fresh), budget
        assert verify(replace(p, budget_usd=budget), again) == []


def test_budget_infeasibility_is_explained():
    # cheapest design: 2 packages, 2000 USD; budget 1500 -> short by 33%
    p = hand_problem(budget_usd=1500.0)
    for solver in (lambda q: solve_milp(q, threads=1), solve_enumerate):
        sol = solver(p)
        assert sol.status == "infeasible" and sol.explanation == ""    # solvers do not explain
        assert explain_infeasible(p, solve=solver) == ("budget_usd: the cheapest design meeting every other "
                                                        "requirement needs capex 2e+03 USD > budget 1.5e+03 USD (by 33%)")


def test_power_infeasibility_is_explained():
    p = hand_problem(power_budget_w=150.0, pue=1.2)   # needs 2 x 100 W x 1.2 = 240 W
    text = explain_infeasible(p, solve=solve_enumerate)
    assert text.startswith("power_budget_w: the lowest-power design")
    assert "needs facility power 240 W > budget 150 W (by 60%)" in text


def test_missing_column_and_product_line_are_explained():
    p = hand_problem(col_workload=np.array([0, 0]), col_sku=np.array([0, 1]),
                     col_throughput=np.array([100.0, 50.0]), col_packages=np.array([1, 1]))
    assert solve_milp(p, threads=1).status == "infeasible"
    assert explain_infeasible(p, solve=solve_milp) == \
        "workload w1 has no feasible column (no SKU and mapping passes the filters)"
    # w0 only on die 0, w1 only on die 1, K = 1
    q = hand_problem(max_designs=1, col_workload=np.array([0, 1]), col_sku=np.array([0, 1]),
                     col_throughput=np.array([100.0, 100.0]), col_packages=np.array([1, 1]))
    assert solve_enumerate(q).status == "infeasible"
    assert "max_designs: no 1 die design(s) have a feasible column for every workload (at least 2 needed)" \
        in explain_infeasible(q, solve=solve_milp)


def test_verify_catches_tampering():
    p = hand_problem()
    sol = solve_milp(p, threads=1)
    sol.replicas = sol.replicas - 1
    errors = verify(p, sol)
    assert any(e.startswith("demand w0") for e in errors)
    sol = solve_milp(hand_problem(budget_usd=2000.0), threads=1)
    sol.capex_usd = 1.0
    assert any(e.startswith("capex_usd") for e in verify(hand_problem(budget_usd=2000.0), sol))


def test_dominance_pruning_counts():
    # w0 on s0: (r, g) = (100, 1) dominates (90, 1), (100, 2) and its own duplicate; (150, 2) survives
    # dominance but needs 2 x ceil(100/150) = 2 packages > 1 -> dropped for the min objectives
    p = hand_problem(workload_names=["w0"], demand=np.array([100.0]), demand_unit=["tokens/s"],
                     col_workload=np.zeros(5, dtype=int), col_sku=np.zeros(5, dtype=int),
                     col_throughput=np.array([100.0, 90.0, 100.0, 150.0, 100.0]),
                     col_packages=np.array([1, 1, 2, 2, 1]))
    res = prune_columns(p)
    assert res.counts == {"columns": 5, "unusable": 0, "dominated": 3, "not_min_packages": 1, "kept": 1}
    assert list(res.kept) == [0]
    scale = prune_columns(replace(p, objective="demand_scale", budget_usd=1e4))
    assert list(scale.kept) == [0, 3]


def test_set_bound_from_unlimited_equals_a_fresh_build():
    """A budget that starts unlimited must still be sweepable: set_bound then solve gives what a
    model built with that budget gives (found when a power sweep from +inf was silently ignored)."""
    from dataclasses import replace

    from litedse.optimize.milp import DesignModel

    checked = 0
    for seed in range(12):
        p = random_problem(np.random.default_rng(seed), objective="cost")
        model = DesignModel(p)
        free = model.solve(threads=1)
        if not free.feasible:
            continue
        limit = free.facility_power_w * 0.97
        model.set_bound("power_budget_w", limit)
        swept = model.solve(threads=1)
        fresh = DesignModel(replace(p, power_budget_w=limit)).solve(threads=1)
        assert swept.status == fresh.status
        if fresh.feasible:
            assert swept.facility_power_w <= limit * (1 + 1e-9)
            assert swept.objective_value == pytest.approx(fresh.objective_value, rel=1e-9)
        checked += 1
    assert checked >= 3
