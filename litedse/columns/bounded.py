"""Column building for a min-objective solve that searches only the SKUs that can matter
(formulations/design.md, Proposition 12).

A column's throughput at the largest batch its memory and pass budget allow, evaluated without
the SLOs, bounds its throughput at the batch the SLO search would choose. One pass at those batches
gives every SKU a lower bound on what a design using it costs (Proposition 5's bound, computed
from the throughput bounds); the SKUs of least bound are then built exactly and give a known
feasible design; only the SKUs whose bound does not exceed that design's value are searched.
The Problem is the one the full build gives restricted to those SKUs, and Proposition 5 drops
every SKU outside them anyway, so the optimum is the same.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from litedse.columns.build import Built, build
from litedse.columns.skus import SkuSet, sku_set
from litedse.inputs.instance import Instance
from litedse.optimize.problem import MIN_OBJECTIVES
from litedse.optimize.prune import SKU_BOUND_TOLERANCE, single_die_incumbent, sku_lower_bounds
from litedse.workload import stack

# SKUs below which every SKU is searched [SKUs]. A choice, not a crossover: the bounded build is
# already faster on the shipped spaces (median of 5 on vm, Intel Xeon, 2026-12-02: 3,816 SKUs of
# llama3-70b-serving 0.13 s against 0.29 s, 1,545 of mixtral-8x7b-serving 0.27 s against 0.37 s),
# but this keeps the shipped instances, whose builds are fast anyway, on the full build and its
# per-SKU filter counts
MIN_SKUS = 4096
# the SKUs of least bound built exactly for the known design: this share of them, at least SEED_MIN
# SKUs (assumption; on the 1e7-column space of benchmarks/bench_scale.py the 1,192 seed SKUs gave
# V = 1,664,286.66 USD, the full build's own incumbent over all 304,970 SKUs)
SEED_SHARE = 1 / 256
SEED_MIN = 256


def bound_applies(inst: Instance, objective: str, skus: SkuSet) -> bool:
    """Whether Proposition 12 holds and pays for ``inst``: a min objective; every workload on the
    in-flight batching model (whose throughput grows with the batch) or without a batch search;
    some SLO to search for; no SKU with a second memory tier (its placement choice ranks usable
    placements first, not by throughput); and enough SKUs for the bound pass to save time."""
    if objective not in MIN_OBJECTIVES or len(skus.table) < MIN_SKUS:
        return False
    if stack.batching_mode(inst.performance) != "inflight":
        return False
    if any(w.kind == "serving" and w.batching == "static" for w in inst.workloads):
        return False
    if not any(w.kind != "training" and (w.ttft_s is not None or w.tpot_s is not None) for w in inst.workloads):
        return False
    table = skus.table
    return not ("tier2_capacity_gb" in table and bool((table["tier2_capacity_gb"].to_numpy(float) > 0).any()))


def build_searching_bounded(inst: Instance, design_space: dict[str, Any] | None = None, sku: str | None = None,
                            objective: str | None = None, memory_budget_gb: float | None = None,
                            slim: bool = False) -> Built:
    """``build(..., least_packages=True)`` with the SLO search run only on the SKUs Proposition 12
    keeps (where it applies; else the plain build). The workloads' ``enumerated`` counts every
    column; their filter counts cover the SKUs searched; ``Built.skus_not_searched`` says how many
    SKUs the bound left out."""
    objective = objective or inst.objective.name
    every = sku_set(inst, design_space, sku, slim=slim)
    common = dict(design_space=design_space, sku=sku, objective=objective, memory_budget_gb=memory_budget_gb,
                  least_packages=True, slim=slim)
    if not bound_applies(inst, objective, every):
        return build(inst, skus=every, **common)
    relaxed = build(inst, skus=every, bound=True, **{**common, "slim": True})
    skus = relaxed.skus                               # as the build filtered it (rack power)
    n = len(skus.table)
    lb = np.full(n, np.inf)
    p = relaxed.problem
    if p.n_skus:
        lb[p.sku_table["sku_set_index"].to_numpy()] = sku_lower_bounds(p, objective)
    finite = np.flatnonzero(np.isfinite(lb))
    if not len(finite):
        # no SKU has a column for every workload even by the bound: the exact build says why
        return build(inst, skus=every, **common)
    k = min(len(finite), max(SEED_MIN, int(np.ceil(n * SEED_SHARE))))
    seed = finite[np.argpartition(lb[finite], k - 1)[:k]] if k < len(finite) else finite
    groups = relaxed.groups
    known = single_die_incumbent(build(inst, skus=skus, only=np.sort(seed), groups=groups, **common).problem)
    if not np.isfinite(known):
        return build(inst, skus=every, **common)
    searched = np.union1d(np.flatnonzero(lb <= known * (1.0 + SKU_BOUND_TOLERANCE)), seed)
    built = build(inst, skus=skus, only=searched, groups=groups, **common)
    for rep, all_columns in zip(built.workloads, relaxed.workloads):
        rep.enumerated = all_columns.enumerated
    built.skus_not_searched = n - len(searched)
    return built
