"""The column enumeration's chunk size follows a memory budget (design_space.memory_budget_gb,
solve --memory-gb, solve_instance(memory_budget_gb=...)), and the chunk size never changes the
columns (dominance pruning inside a chunk groups by SKU, and a SKU's mappings share a chunk)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from litedse.cli import main
from litedse.columns.build import (BASE_BYTES, BYTES_PER_CHUNK_COLUMN, CHUNK_BUDGET_FLOOR, CHUNK_COLUMNS_MAX,
                                   CHUNK_COLUMNS_MIN, build, chunk_columns_for)
from litedse.errors import InputError
from litedse.inputs.instance import SKU_BYTES, instance_from_dict, load_instance, read_instance_toml
from litedse.solve import solve_instance

SMALL = "instances/paper/llama3-70b.toml"


def test_chunk_size_from_the_budget_by_hand():
    # 1 GB, 1,000 SKUs: (1e9 - 300e6 - 1.3e6) / 2 / 900 = 388,167 columns -> capped at 2^15
    assert (1e9 - BASE_BYTES - 1000 * SKU_BYTES) / 2 / BYTES_PER_CHUNK_COLUMN == pytest.approx(388_167, abs=1)
    assert chunk_columns_for(1.0, 1000) == CHUNK_COLUMNS_MAX == 1 << 15
    # 0.35 GB: (3.5e8 - 3e8 - 1.3e6) / 2 / 900 = 27,055 (above the floor's 3.5e8 / 16 / 900 = 24,306)
    # -> the power of two below, 2^14
    assert (3.5e8 - BASE_BYTES - 1000 * SKU_BYTES) / 2 / BYTES_PER_CHUNK_COLUMN == pytest.approx(27_055, abs=1)
    assert chunk_columns_for(0.35, 1000) == 1 << 14
    # a budget the base or the SKU table eat: the chunk takes a sixteenth of it (the table exceeds
    # the budget anyway): 0.3 GB / 16 / 900 B = 20,833 -> 2^14; 1 GB / 16 / 900 = 69,444 -> capped at 2^15
    assert CHUNK_BUDGET_FLOOR == 1 / 16
    assert chunk_columns_for(0.3, 1000) == 1 << 14
    assert chunk_columns_for(1.0, 2_000_000) == CHUNK_COLUMNS_MAX
    # and never below the smallest chunk: 0.05 GB / 16 / 900 = 3,472 -> 2^12
    assert chunk_columns_for(0.05, 1000) == CHUNK_COLUMNS_MIN
    # more memory never gives a smaller chunk
    sizes = [chunk_columns_for(gb, 5000) for gb in np.linspace(0.05, 4.0, 40)]
    assert sizes == sorted(sizes)


def test_the_chunk_size_does_not_change_the_columns():
    inst = load_instance(SMALL)
    small, big = build(inst, memory_budget_gb=0.05), build(inst, memory_budget_gb=4.0)
    assert small.chunk_columns == CHUNK_COLUMNS_MIN < big.chunk_columns == CHUNK_COLUMNS_MAX
    assert small.columns_enumerated == big.columns_enumerated > small.chunk_columns
    for key in ("col_sku", "col_workload", "col_throughput", "col_packages", "sku_capex_usd"):
        assert np.array_equal(getattr(small.problem, key), getattr(big.problem, key)), key


def test_the_budget_comes_from_the_instance_the_api_and_the_cli():
    data = read_instance_toml(SMALL)
    data["design_space"]["memory_budget_gb"] = 0.25
    inst = instance_from_dict(data)
    assert build(inst).chunk_columns == chunk_columns_for(0.25, len(build(inst).skus.table))
    assert solve_instance(inst, memory_budget_gb=2.0).built.chunk_columns == CHUNK_COLUMNS_MAX
    res = CliRunner().invoke(main, ["solve", SMALL, "--memory-gb", "0.2", "--format", "json"])
    assert res.exit_code == 0, res.output


def test_a_bad_budget_is_one_line_and_exit_2(tmp_path):
    data = read_instance_toml(SMALL)
    data["design_space"]["memory_budget_gb"] = -1
    with pytest.raises(InputError, match="memory_budget_gb"):
        instance_from_dict(data)
    with pytest.raises(InputError, match="memory_budget_gb"):
        solve_instance(load_instance(SMALL), memory_budget_gb=0.0)
    res = CliRunner().invoke(main, ["solve", SMALL, "--memory-gb", "-1"])
    assert res.exit_code == 2 and "--memory-gb" in res.output and "Traceback" not in res.output


# ----------------------------------------------------------------------------------------------
# Proposition 3 inside the chunk (build(least_packages=True)): the columns prune_columns keeps,
# without the sort
# ----------------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from litedse.optimize.prune import dominance_survivors, least_packages_survivors, prune_columns  # noqa: E402
from test_solve import small_instances  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**6), st.booleans())
def test_least_packages_is_dominance_then_least_need_lowest_index(seed, sorted_groups):
    """Against the two-step definition (Proposition 2's survivors, then per group the least
    g n* with the lowest index), on random arrays with many ties."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    groups = rng.integers(0, 6, n)
    if sorted_groups:
        groups = np.sort(groups)
    r = rng.choice([1.0, 2.0, 3.0, 5.0], n)
    g = rng.choice([1.0, 2.0, 4.0], n)
    need = g * np.ceil(6.0 / r)
    keep = dominance_survivors(groups, r, g)
    expected = np.zeros(n, dtype=bool)
    for grp in np.unique(groups):
        mine = np.flatnonzero(keep & (groups == grp))
        least = mine[need[mine] == need[mine].min()]
        expected[least.min()] = True
    assert np.array_equal(least_packages_survivors(groups, r, g, need), expected)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_the_chunk_reduction_keeps_exactly_the_pruned_columns(data):
    inst = instance_from_dict(data)
    if inst.objective.name == "demand_scale":
        return
    full, reduced = build(inst), build(inst, least_packages=True)
    pruned = prune_columns(full.problem).problem
    a_workload_is_empty = not all(np.any(pruned.col_workload == w) for w in range(pruned.n_workloads))
    assert reduced.infeasibility() == "" or full.infeasibility() != "" or a_workload_is_empty
    if full.infeasibility() or reduced.infeasibility():
        return
    a, b = prune_columns(full.problem).problem, prune_columns(reduced.problem).problem
    assert b.n_columns == reduced.problem.n_columns <= full.problem.n_columns   # nothing left to prune
    for key in ("col_workload", "col_throughput", "col_packages"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    # the same SKUs of the grid (a SKU whose columns all go may drop out of the reduced SKU table)
    grid = lambda q: q.sku_table["sku_set_index"].to_numpy()[q.col_sku]  # noqa: E731
    assert np.array_equal(grid(a), grid(b))
    keys = [k for k in a.col_table.columns if k != "sku"]
    assert a.col_table[keys].reset_index(drop=True).equals(b.col_table[keys].reset_index(drop=True))


def test_a_training_job_too_slow_for_one_replica_says_so():
    data = read_instance_toml("instances/gpt3-175b-training.toml")
    data["workload"][0]["time_budget_days"] = 0.01
    res = solve_instance(instance_from_dict(data), threads=1)
    assert res.solution.status == "infeasible"
    assert "within its replica limit" in res.solution.explanation, res.solution.explanation
    # the time budget's shortfall in days: 3e11 tokens at the best column's rate, against 0.01 days
    assert "days > time_budget_days 0.01" in res.solution.explanation, res.solution.explanation
