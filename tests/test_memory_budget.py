"""The column enumeration's chunk size follows a memory budget (design_space.memory_budget_gb,
solve --memory-gb, solve_instance(memory_budget_gb=...)), and the chunk size never changes the
columns (dominance pruning inside a chunk groups by SKU, and a SKU's mappings share a chunk)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from litedse.cli import main
from litedse.columns.build import (BASE_BYTES, BYTES_PER_CHUNK_COLUMN, CHUNK_COLUMNS_MAX, CHUNK_COLUMNS_MIN, build,
                                   chunk_columns_for)
from litedse.errors import InputError
from litedse.inputs.instance import SKU_BYTES, instance_from_dict, load_instance, read_instance_toml
from litedse.solve import solve_instance

SMALL = "instances/paper/llama3-70b.toml"


def test_chunk_size_from_the_budget_by_hand():
    # 1 GB, 1,000 SKUs: (1e9 - 160e6 - 1.3e6) / 2 / 560 = 748,839 columns -> capped at 2^18
    assert chunk_columns_for(1.0, 1000) == CHUNK_COLUMNS_MAX == 1 << 18
    # 0.3 GB: (3e8 - 1.6e8 - 1.3e6) / 2 / 560 = 123,839 -> the power of two below, 2^16
    assert (0.3e9 - BASE_BYTES - 1000 * SKU_BYTES) / 2 / BYTES_PER_CHUNK_COLUMN == pytest.approx(123_839, abs=1)
    assert chunk_columns_for(0.3, 1000) == 1 << 16
    # a budget below the base, or a SKU table that eats it: the smallest chunk, never zero
    assert chunk_columns_for(0.1, 1000) == CHUNK_COLUMNS_MIN
    assert chunk_columns_for(1.0, 2_000_000) == CHUNK_COLUMNS_MIN
    # more memory never gives a smaller chunk
    sizes = [chunk_columns_for(gb, 5000) for gb in np.linspace(0.05, 4.0, 40)]
    assert sizes == sorted(sizes)


def test_the_chunk_size_does_not_change_the_columns():
    inst = load_instance(SMALL)
    small, big = build(inst, memory_budget_gb=0.16), build(inst, memory_budget_gb=4.0)
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
