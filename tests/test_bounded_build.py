"""The SLO search runs only on SKUs that can matter (formulations/design.md, Proposition 12). These
tests check the premise (a column's throughput does not fall as its batch cap rises, so its
throughput at the largest batch, without the SLOs, bounds its throughput), and the builder against
the full build: the same Problem after Propositions 2-5 for one workload, the same optimum for
several, and the fallbacks."""

from __future__ import annotations

import numpy as np
import pytest

import litedse.columns.bounded as bounded
from litedse.columns.build import build
from litedse.columns.skus import sku_set
from litedse.inputs.instance import instance_from_dict, load, read_instance_toml
from litedse.optimize.prune import prune_columns, prune_skus
from litedse.solve import solve_instance
from litedse.workload.models import resolve_model
from litedse.workload.performance import MAPPING_KEYS, MAX_PACKAGES_PER_REPLICA, candidate_mappings, column_figures

MAIN_JOB = "instances/llama3-70b-serving.toml"
SERVING = ["instances/llama3-70b-serving.toml", "instances/mixtral-8x7b-serving.toml",
           "instances/llama3-70b-disaggregated.toml", "instances/fleet.toml"]


def _columns(path, n_skus=48, seed=0):
    """(instance, SKU table rows, per workload: (workload, model, mapping arrays, SKU rows)) of every
    (SKU, mapping) pair of ``n_skus`` SKUs drawn from the instance's design space."""
    inst = load(path)
    table = sku_set(inst, None, None).table
    pick = np.random.default_rng(seed).choice(len(table), size=min(n_skus, len(table)), replace=False)
    sku = {k: table[k].to_numpy()[pick] for k in table.columns}
    out = []
    for w in inst.workloads:
        if w.kind == "training":
            continue
        model = resolve_model(w.model, w.name)
        maps = candidate_mappings(w, model, inst.performance, MAX_PACKAGES_PER_REPLICA)
        n_maps = len(maps["tp"])
        rows = np.repeat(np.arange(len(pick)), n_maps)
        mapping = {k: np.tile(np.asarray(maps[k]), len(pick)) for k in MAPPING_KEYS}
        out.append((w, model, mapping, {k: v[rows] for k, v in sku.items()}))
    return inst, out


def _throughput(out, w):
    return np.asarray(out["requests_per_s" if w.demand_requests_per_s is not None else "tokens_per_s"], dtype=float)


@pytest.mark.parametrize("path", SERVING)
def test_throughput_does_not_fall_as_the_batch_cap_rises(path):
    """The premise of Proposition 12, on dense and MoE models, serving, prefill and decode pools:
    without SLOs, every column's throughput at batch caps 1, 2, 3, ... is non-decreasing."""
    inst, workloads = _columns(path)
    caps = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 512, 1024, 4096], dtype=float)
    for w, model, mapping, sku in workloads:
        free = w.model_copy(update={"ttft_s": None, "tpot_s": None})
        n = len(mapping["tp"])
        big = {k: np.tile(v, len(caps)) for k, v in mapping.items()}
        big["batch"] = np.repeat(caps, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = column_figures({k: np.tile(v, len(caps)) for k, v in sku.items()}, big, free, model,
                                 inst.performance)
        r = _throughput(out, w).reshape(len(caps), n)
        r = np.where(np.isfinite(r), r, 0.0)
        assert np.all(np.diff(r, axis=0) >= 0.0), (path, w.name)
        if w.kind != "prefill":                            # (a prefill pass has no batch cap)
            assert np.any(np.diff(r, axis=0) > 0.0)       # the caps do bind somewhere


@pytest.mark.parametrize("path", SERVING)
def test_the_throughput_without_slos_bounds_the_throughput_with_them(path):
    inst, workloads = _columns(path, seed=1)
    for w, model, mapping, sku in workloads:
        free = w.model_copy(update={"ttft_s": None, "tpot_s": None})
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = column_figures(sku, mapping, w, model, inst.performance)
            top = column_figures(sku, mapping, free, model, inst.performance)
        r, r_bar = _throughput(exact, w), _throughput(top, w)
        usable = np.asarray(exact["fits"]) & np.asarray(exact["tier_ok"]) & np.asarray(exact["slo_ok"]) & (r > 0)
        assert usable.any()
        assert np.all(r[usable] <= r_bar[usable]), (path, w.name)
        if w.kind != "prefill":
            assert np.any(r[usable] < r_bar[usable])      # the SLOs do cut some batch


def _wide(path, **axes):
    data = read_instance_toml(path)
    data["design_space"].update(axes)
    return instance_from_dict(data)


@pytest.fixture
def bound_always(monkeypatch):
    """Proposition 12 on small spaces too (the builder skips it below MIN_SKUS), with a small seed."""
    monkeypatch.setattr(bounded, "MIN_SKUS", 1)
    monkeypatch.setattr(bounded, "SEED_MIN", 8)


def _pruned(built):
    p = prune_skus(prune_columns(built.problem).problem).problem
    index = p.sku_table["sku_set_index"].to_numpy()
    return sorted(zip(index[p.col_sku].tolist(), p.col_workload.tolist(), p.col_throughput.tolist(),
                      p.col_packages.tolist()))


def test_one_workload_gives_the_full_builds_problem(bound_always):
    inst = load(MAIN_JOB)
    full = build(inst, objective="cost", least_packages=True, slim=True)
    part = bounded.build_searching_bounded(inst, objective="cost", slim=True)
    assert part.skus_not_searched > len(part.skus.table) // 2     # most SKUs are never searched
    assert part.problem.n_skus < full.problem.n_skus
    assert part.columns_enumerated == full.columns_enumerated
    assert _pruned(part) == _pruned(full)


@pytest.mark.parametrize("objective", ["cost", "power", "tco"])
def test_several_workloads_keep_the_optimum(bound_always, monkeypatch, objective):
    inst = _wide("instances/fleet.toml", die_area_mm2={"values": [200, 400, 800]})
    with_bound = solve_instance(inst, objective=objective, method="milp", threads=1)
    monkeypatch.setattr(bounded, "MIN_SKUS", 10**9)
    without = solve_instance(inst, objective=objective, method="milp", threads=1)
    assert with_bound.solution.status == without.solution.status == "optimal"
    assert with_bound.solution.objective_value == pytest.approx(without.solution.objective_value, rel=1e-9)
    assert with_bound.built.skus_not_searched > 0 and without.built.skus_not_searched == 0


def test_where_it_does_not_apply_the_build_is_the_full_one(bound_always):
    # a second memory tier, a static batch, a max objective, no SLO: every SKU is searched
    cases = [(_wide(MAIN_JOB, memory=["hbm", "hbm+mrm:2"]), "cost")]
    data = read_instance_toml(MAIN_JOB)
    data["workload"][0]["batching"] = "static"
    cases.append((instance_from_dict(data), "cost"))
    data = read_instance_toml(MAIN_JOB)
    del data["workload"][0]["ttft_s"], data["workload"][0]["tpot_s"]
    cases.append((instance_from_dict(data), "cost"))
    for i, (inst, objective) in enumerate(cases):
        skus = sku_set(inst, None, None, slim=True)
        assert not bounded.bound_applies(inst, objective, skus)
        if i:                                                   # (the tier-2 space is the slow one)
            assert bounded.build_searching_bounded(inst, objective=objective, slim=True).skus_not_searched == 0
    assert not bounded.bound_applies(load(MAIN_JOB), "demand_scale", sku_set(load(MAIN_JOB), None, None))


def test_an_infeasible_instance_is_explained_by_the_full_build(bound_always):
    data = read_instance_toml(MAIN_JOB)
    data["workload"][0]["tpot_s"] = 1e-6                        # no column meets it
    inst = instance_from_dict(data)
    part = bounded.build_searching_bounded(inst, objective="cost", slim=True)
    full = build(inst, objective="cost", least_packages=True, slim=True)
    assert part.skus_not_searched == 0
    assert part.infeasibility() == full.infeasibility() != ""


def test_no_package_fitting_a_rack_is_explained_by_the_full_build(bound_always):
    data = read_instance_toml(MAIN_JOB)
    data.setdefault("constraints", {})["rack_power_w"] = 100.0          # below every package's power
    inst = instance_from_dict(data)
    part = bounded.build_searching_bounded(inst, objective="cost", slim=True)
    full = build(inst, objective="cost", least_packages=True, slim=True)
    assert "no package fits a rack" in full.infeasibility()
    assert part.infeasibility() == full.infeasibility()


def test_a_flat_throughput_does_not_lose_the_optimal_sku():
    """Zero overheads, free hosts, racks and network, availability exactly 1: a one-package
    compute-bound column has an iteration time proportional to its batch, so its throughput is flat
    and the searched batch's can round an ulp above the largest batch's. Demand just above a
    multiple of it then needs one replica more by an unslackened bound (the optimal SKU was never
    searched: 2,886.05 against 2,846.51, found by an outside review)."""
    data = read_instance_toml(MAIN_JOB)
    data["design_space"]["clock"] = [0.999, 1.0]                    # 7,632 SKUs: above MIN_SKUS
    data["technology"] = {"preset": "default", "host": {"cost_usd": 0.0, "cost_usd_per_slot": 0.0},
                          "economics": {"rack_cost_usd": 0.0}, "scaleout": {"cost_usd_per_gbps": 0.0},
                          "fabric": {"electrical": {"switch_cost_usd": 0.0, "port_optics_cost_usd": 0.0},
                                     "cpo": {"switch_cost_usd": 0.0}}}
    data["performance"] = {"stack": {"overhead": {"iteration_s": 0.0, "layer_decode_s": 0.0}},
                           "reliability": {"repair_hours": 0.0}}
    data["workload"][0]["demand_requests_per_s"] = 0.13201255414013133
    inst = instance_from_dict(data)
    with_bound = solve_instance(inst, method="enumerate")
    without = solve_instance(inst, method="enumerate", bounded_search=False)
    assert with_bound.built.skus_not_searched > 0 and without.built.skus_not_searched == 0
    assert with_bound.solution.objective_value == without.solution.objective_value
