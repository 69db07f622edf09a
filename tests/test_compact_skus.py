"""A solve builds its columns from a slim SKU table and, after pruning, keeps only the SKUs some
column uses (formulations/design.md, after Proposition 9). These tests check the two pieces
against the full versions: the slim set's re-evaluated rows against the full table's rows, and the
compacted Problem's optimum, designs and verification against the uncompacted one's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from litedse.columns.build import build
from litedse.columns.skus import ENUMERATION_COLUMNS, sku_set
from litedse.inputs.instance import instance_from_dict, read_instance_toml
from litedse.optimize.enumerate import solve_enumerate
from litedse.optimize.prune import compact_skus, prune_columns, prune_skus
from litedse.optimize.verify import verify

MAIN_JOB = "instances/llama3-70b-serving.toml"
FLEET = "instances/fleet.toml"
WIDE = dict(die_area_mm2={"values": [200, 300, 600]}, dies_per_package=[1, 2], hbm_stacks={"values": [2, 4]},
            links={"values": [0, 8, 16]}, interconnect=["cpo", "electrical"], topology=["switched", "direct", "ocs"],
            clock=[0.8, 1.0], memory=["hbm", "hbm+mrm:2"])


def _instance(path, **axes):
    data = read_instance_toml(path)
    data["design_space"].update(axes)
    return instance_from_dict(data)


@pytest.mark.parametrize("sku", [None, "h100"])
def test_slim_rows_are_the_full_rows(sku):
    inst = _instance(MAIN_JOB, **WIDE)
    full, slim = sku_set(inst, sku=sku), sku_set(inst, sku=sku, slim=True)
    assert list(slim.table.columns) == [k for k in full.table.columns if k in ENUMERATION_COLUMNS or k == "sku_set_index"]
    assert len(slim.table.columns) < len(full.table.columns)
    pd.testing.assert_frame_equal(slim.table, full.table[list(slim.table.columns)])
    idx = np.random.default_rng(0).permutation(len(full.table))[: max(1, len(full.table) // 3)]
    pd.testing.assert_frame_equal(slim.rows(idx), full.rows(idx))


@pytest.mark.parametrize("path", [MAIN_JOB, FLEET])
def test_compacting_keeps_the_optimum_and_the_designs(path):
    inst = _instance(path, **WIDE)
    built = build(inst, least_packages=True)
    pruned = prune_skus(prune_columns(built.problem).problem).problem
    small, kept = compact_skus(pruned)
    assert small.n_skus == len(kept) < pruned.n_skus and small.n_dies <= pruned.n_dies
    assert np.array_equal(kept[small.col_sku], pruned.col_sku)           # every column on the same SKU
    for key in ("sku_capex_usd", "sku_it_w", "sku_fabric_ports", "sku_packages_per_host"):
        assert np.array_equal(getattr(small, key), getattr(pruned, key)[kept]), key
    assert [small.die_labels[d] for d in small.sku_die] == [pruned.die_labels[d] for d in pruned.sku_die[kept]]
    assert np.array_equal(small.col_table["sku"].to_numpy(), small.col_sku)
    a, b = solve_enumerate(pruned), solve_enumerate(small)
    assert a.status == b.status == "optimal"
    assert b.objective_value == a.objective_value
    assert np.array_equal(a.column, b.column) and np.array_equal(a.replicas, b.replicas)
    assert np.array_equal(np.asarray(a.packages)[kept], b.packages) and not verify(small, b)


def test_the_product_line_limit_is_reported_as_before_compaction():
    """Found in review: with compaction dropping die designs, K = 1 stopped being reported binding
    where pruning left one die design of the two the space offers. The die designs stay whole."""
    from litedse.solve import solve_instance

    data = read_instance_toml(FLEET)
    data["design_space"] = {"die_area_mm2": {"values": [800]}, "dies_per_package": [1], "hbm_stacks": {"values": [8]},
                            "links": {"values": [16]}, "interconnect": ["cpo", "electrical"], "max_designs": 1}
    res = solve_instance(instance_from_dict(data), threads=1)
    built_dies = res.built.problem.n_dies
    assert res.solution.status == "optimal" and built_dies == 2
    assert res.problem.n_dies == built_dies and res.problem.n_skus < res.built.problem.n_skus
    assert "max_designs" in res.solution.binding


@pytest.mark.parametrize("path", [MAIN_JOB, FLEET])
def test_the_slim_build_column_table_is_the_full_one(path):
    """A slim build keeps only the solver's figures per column; column_table evaluates the rest
    again. It must be the full build's table, column for column and bit for bit."""
    from litedse.columns.build import MAPPING_INDEX, column_table

    inst = _instance(path, **WIDE)
    full, slim = build(inst, least_packages=True), build(inst, least_packages=True, slim=True)
    assert MAPPING_INDEX in slim.problem.col_table.columns and len(slim.problem.col_table.columns) < 8
    table = slim.problem.sku_table
    problem = slim.problem.__class__(**{**slim.problem.__dict__,
                                        "sku_table": slim.skus.rows(table["sku_set_index"].to_numpy())})
    pd.testing.assert_frame_equal(column_table(inst, problem), full.problem.col_table)
