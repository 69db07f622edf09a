"""The MILP is sized by what survives pruning (design.md, Proposition 9): variables and rows only
for SKUs with a column, their dies, the fabrics they have ports on and the tier options those
fabrics can need; and the reduced model keeps the exact optimum (the exhaustive enumeration of the
unpruned Problem is the reference)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from litedse.optimize.enumerate import solve_enumerate
from litedse.optimize.milp import DesignModel, model_support
from litedse.optimize.prune import prune_columns, prune_skus
from litedse.tech import fabric
from problems import random_problem
from test_milp import hand_problem, same_result

# variables a model has besides its per-column, per-SKU and per-die ones: racks, lambda, CAPEX,
# P_IT, and per fabric E_f, S_f and up to T_max tier binaries
FIXED_VARIABLES = 4
PER_FABRIC = 2 + fabric.MAX_TIERS


@pytest.mark.parametrize("seed", range(16))
def test_reduced_milp_equals_enumeration_and_is_sized_by_the_kept_columns(seed):
    rng = np.random.default_rng(1700 + seed)
    p = random_problem(rng, n_dies=4, skus_per_die=4, n_workloads=3, cols_per_pair=3,
                       objective=("cost", "power", "tco")[seed % 3], max_designs=1 + seed % 2,
                       charge_nre=seed % 4 == 0, hosts=seed % 3 == 0, racks=seed % 5 == 0,
                       budget_factor=1.5 if seed % 7 == 0 else None)
    q = prune_skus(prune_columns(p).problem).problem
    if not all(np.any(q.col_workload == w) for w in range(q.n_workloads)):
        assert solve_enumerate(p).status == "infeasible"
        return
    model = DesignModel(q)
    nv, _ = model.size
    # x_c and n_c per column; N_s and H_s per used SKU, y_d per used die (each at most one per column)
    assert nv <= 5 * q.n_columns + FIXED_VARIABLES + PER_FABRIC * q.n_fabrics
    used = np.unique(q.col_sku)
    assert sorted(model.model.skus) == used.tolist()
    assert sorted(model.model.dies) == np.unique(q.sku_die[used]).tolist()
    assert same_result(model.solve(threads=1), solve_enumerate(p))


def test_skus_without_columns_get_no_variables():
    """Ten SKUs of which columns use two: the model has package variables for those two only, and
    the same optimum as the same Problem without the eight idle SKUs."""
    p = hand_problem()
    assert p.n_skus == 2
    idle = 8
    wide = replace(p, sku_die=np.concatenate([p.sku_die, np.zeros(idle, dtype=np.int64)]),
                   sku_capex_usd=np.concatenate([p.sku_capex_usd, np.ones(idle)]),
                   sku_it_w=np.concatenate([p.sku_it_w, np.ones(idle)]),
                   sku_fabric=np.concatenate([p.sku_fabric, np.zeros(idle, dtype=np.int64)]),
                   sku_fabric_ports=np.concatenate([p.sku_fabric_ports, np.ones(idle)]),
                   sku_failures_per_year=np.concatenate([p.sku_failures_per_year, np.zeros(idle)]))
    small, big = DesignModel(p), DesignModel(wide)
    assert big.size == small.size
    assert len(big.model.packages) == 2
    assert big.solve(threads=1).objective_value == pytest.approx(small.solve(threads=1).objective_value, rel=1e-12)


def test_tier_options_stop_at_the_fewest_tiers_that_hold_every_port():
    """Hand case: no ports, no fabric; radix 64, one workload needing at most 8 x 3 = 24 ports on fabric 0 -> one tier
    (64 ports) is enough; 100 x 3 = 300 ports need two (64^2/2 = 2048); demand_scale keeps all."""
    p = hand_problem()
    assert model_support(p).fabrics.size == 0          # no SKU has ports: no fabric variables
    one = replace(p, fabric_radix=np.full(p.n_fabrics, 64.0), sku_fabric=np.zeros(p.n_skus, dtype=np.int64),
                  sku_fabric_ports=np.ones(p.n_skus), col_workload=np.zeros(1, dtype=np.int64),
                  col_sku=np.zeros(1, dtype=np.int64), col_throughput=np.array([1.0]), col_packages=np.array([8]),
                  demand=np.array([3.0]), workload_names=["w"], demand_unit=["tokens/s"], col_max_replicas=None,
                  fabric_oversubscription=None)
    assert model_support(one).tiers.tolist() == [1]
    two = replace(one, col_packages=np.array([100]))
    assert model_support(two).tiers.tolist() == [2]
    assert model_support(replace(two, objective="demand_scale", budget_usd=1e9)).tiers.tolist() == [fabric.MAX_TIERS]
    for q in (one, two):
        assert same_result(DesignModel(q).solve(threads=1), solve_enumerate(q))


# ----------------------------------------------------------------------------------------------
# MIP start (the SKU-bound pruning's known feasible design, Proposition 5)
# ----------------------------------------------------------------------------------------------

def _pruned(seed: int, **kw):
    p = random_problem(np.random.default_rng(2300 + seed), n_dies=4, skus_per_die=4, n_workloads=3, **kw)
    return p, prune_skus(prune_columns(p).problem)


@pytest.mark.parametrize("seed", range(10))
def test_a_mip_start_leaves_the_optimum_unchanged(seed):
    p, ps = _pruned(seed, objective=("cost", "power", "tco")[seed % 3], max_designs=1 + seed % 2,
                    hosts=seed % 2 == 0, racks=seed % 3 == 0)
    if ps.incumbent is None:
        return
    start = (ps.incumbent.column, ps.incumbent.replicas)
    warm = DesignModel(ps.problem).solve(threads=1, start=start)
    assert warm.status == "optimal"
    assert same_result(warm, solve_enumerate(p))
    assert warm.objective_value <= ps.incumbent.value * (1 + 1e-12)


def test_hiGHS_takes_the_start_as_its_incumbent():
    """With no time to search, HiGHS reports nothing without a start and exactly the start's
    objective with it: the start is checked and becomes the incumbent."""
    checked = 0
    for seed in range(6):
        _, ps = _pruned(seed)
        if ps.incumbent is None:
            continue
        cold = DesignModel(ps.problem).solve(threads=1, time_limit_s=1e-9)
        warm = DesignModel(ps.problem).solve(threads=1, time_limit_s=1e-9,
                                             start=(ps.incumbent.column, ps.incumbent.replicas))
        assert not cold.feasible
        assert warm.objective_value == pytest.approx(ps.incumbent.value, rel=1e-9)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("seed", range(8))
def test_a_wrong_or_infeasible_start_does_not_change_the_answer(seed):
    """Starts that are not feasible designs: too few replicas, two dies under a one-die product
    line, a budget the start breaks. HiGHS rejects them and still proves the same optimum."""
    p, ps = _pruned(seed, budget_factor=1.0 if seed % 2 else None)
    q = ps.problem
    ref = solve_enumerate(p)
    rng = np.random.default_rng(seed)
    per_w = [np.flatnonzero(q.col_workload == w) for w in range(q.n_workloads)]
    if not all(len(c) for c in per_w):
        return
    random_choice = np.array([rng.choice(c) for c in per_w])
    starts = [(random_choice, np.zeros(q.n_workloads, dtype=np.int64)),          # serves nothing
              (random_choice, np.full(q.n_workloads, 10**6, dtype=np.int64))]    # breaks every budget
    for column, replicas in starts:
        model = DesignModel(q)
        assert same_result(model.solve(threads=1, start=(column, replicas)), ref)
        assert same_result(model.solve(threads=1, start=(column, replicas)), ref)   # and on a re-solve
