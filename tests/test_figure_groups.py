"""SKUs equal on every figure the performance model reads share their columns' figures
(formulations/design.md, Proposition 11): the column builder evaluates one SKU per group and spreads
the figures to the rest, each with its own failure rate. These tests check the claim itself (what
the model reads), the grouping (against tuples of values), and the builder against the same builder
with every SKU in a group of its own (what it did before the grouping)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

import litedse.columns.build as build_module
from litedse.columns.build import build, figure_groups
from litedse.columns.skus import sku_set
from litedse.inputs.instance import instance_from_dict, read_instance_toml
from litedse.workload.models import resolve_model
from litedse.workload.performance import (FIGURE_INPUTS, MAPPING_KEYS, MAX_PACKAGES_PER_REPLICA,
                                          candidate_mappings, column_figures)

MAIN_JOB = "instances/llama3-70b-serving.toml"
FLEET = "instances/fleet.toml"


class _Recorder(Mapping):
    """A SKU table that records which of its keys are read."""

    def __init__(self, table):
        self.table, self.read = table, set()

    def __getitem__(self, key):
        self.read.add(key)
        return self.table[key]

    def __iter__(self):
        return iter(self.table)

    def __len__(self):
        return len(self.table)

    def get(self, key, default=None):
        if key in self.table:
            return self[key]
        return default


def _space(path, **axes):
    data = read_instance_toml(path)
    data["design_space"].update(axes)
    return instance_from_dict(data)


# a space with every kind of SKU the model distinguishes: topologies, both interconnects, links
# and none, two dies, a second memory tier, several clocks
WIDE = dict(die_area_mm2={"values": [200, 300, 600]}, dies_per_package=[1, 2], hbm_stacks={"values": [2, 4]},
            links={"values": [0, 8, 16]},
            interconnect=["cpo", "electrical"], topology=["switched", "direct", "ocs"], clock=[0.8, 1.0],
            memory=["hbm", "hbm+mrm:2"])


@pytest.mark.parametrize("path", [MAIN_JOB, FLEET])
def test_the_model_reads_only_its_figure_inputs(path):
    inst = _space(path, **WIDE)
    skus = sku_set(inst)
    table = {k: skus.table[k].to_numpy() for k in skus.table.columns}
    assert (table["tier2_capacity_gb"] > 0).any() and (table["topology"] == "ocs").any()
    kinds = set()
    for w in inst.workloads:
        kinds.add(w.kind)
        model = resolve_model(w.model, w.name)
        maps = candidate_mappings(w, model, inst.performance, MAX_PACKAGES_PER_REPLICA)
        n_maps = len(maps["tp"])
        rows = np.repeat(np.arange(len(skus.table)), n_maps)
        mapping = {k: np.tile(np.asarray(maps[k]), len(skus.table)) for k in MAPPING_KEYS}
        rec = _Recorder({k: v[rows] for k, v in table.items()})
        with np.errstate(divide="ignore", invalid="ignore"):
            column_figures(rec, mapping, w, model, inst.performance)
        assert rec.read <= set(FIGURE_INPUTS), rec.read - set(FIGURE_INPUTS)
        assert "failures_per_year" not in rec.read
    assert kinds >= ({"serving", "training"} if path == FLEET else {"serving"})


def test_groups_are_exactly_the_skus_with_equal_figure_inputs():
    inst = _space(MAIN_JOB, **WIDE)
    table = {k: v.to_numpy() for k, v in sku_set(inst).table.items()}
    n = len(table["links"])
    group, order = figure_groups(table, n)
    keys = [k for k in FIGURE_INPUTS if k in table]
    tuples = [tuple(table[k][i] for k in keys) for i in range(n)]
    first_of = {}
    for i, t in enumerate(tuples):           # brute force: group = index of the tuple's first appearance
        first_of.setdefault(t, len(first_of))
    assert np.array_equal(group, [first_of[t] for t in tuples])
    assert 1 < group.max() + 1 < n           # the grouping merges SKUs, and not all of them
    assert np.array_equal(np.sort(order), np.arange(n)) and np.all(np.diff(group[order]) >= 0)


@pytest.mark.parametrize("path,least", [(MAIN_JOB, True), (MAIN_JOB, False), (FLEET, True)])
def test_the_grouped_build_equals_one_evaluation_per_sku(monkeypatch, path, least):
    inst = _space(path, **WIDE)
    grouped = build(inst, least_packages=least, chunk_columns=1 << 12)
    n_groups = int(figure_groups({k: grouped.skus.table[k].to_numpy() for k in grouped.skus.table.columns},
                                 len(grouped.skus.table))[0].max()) + 1
    assert n_groups < len(grouped.skus.table)

    def one_per_sku(table, n):
        return np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64)

    monkeypatch.setattr(build_module, "figure_groups", one_per_sku)
    single = build(inst, least_packages=least, chunk_columns=1 << 12)
    p, q = grouped.problem, single.problem
    assert p.col_sku.size > 0
    for key in ("col_sku", "col_workload", "col_throughput", "col_packages", "sku_capex_usd"):
        assert np.array_equal(getattr(p, key), getattr(q, key)), key
    for a, b in zip(grouped.workloads, single.workloads):
        assert (a.enumerated, a.fits, a.tier_ok, a.slo_ok, a.kept, a.usable) == \
               (b.enumerated, b.fits, b.tier_ok, b.slo_ok, b.kept, b.usable)
        assert (a.tier_failures, a.min_overflow_gb, a.best_ttft_s, a.best_tpot_s) == \
               (b.tier_failures, b.min_overflow_gb, b.best_ttft_s, b.best_tpot_s)
