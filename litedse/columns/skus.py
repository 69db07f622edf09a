"""The SKU table of a design space: the Cartesian grid of its axes, evaluated by the technology
model, infeasible SKUs dropped, and each SKU's die design (the unit of tape-out and NRE) named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from litedse.inputs.design_space import BANDWIDTH_AXES, design_axes
from litedse.inputs.instance import Instance
from litedse.tech.economics import ECONOMICS_INPUTS
from litedse.tech.sku import AXIS_DEFAULTS, DESIGN_AXES, REASONS, catalog_design, evaluate_skus, lookup
from litedse.workload.performance import AVAILABILITY_INPUTS, FIGURE_INPUTS


_INTEGER_AXES = ("dies_per_package", "hbm_stacks", "links")
_NAME_AXES = ("hbm", "interconnect", "topology", "memory")


def design_grid(**axes: Sequence) -> dict[str, np.ndarray]:
    """Cartesian product of the design-space axes (``DESIGN_AXES``, the last varying fastest) as
    flat arrays, one entry per SKU."""
    values = [np.asarray(axes[k], dtype=object if k in _NAME_AXES else int if k in _INTEGER_AXES else float)
              for k in DESIGN_AXES]
    index = np.meshgrid(*[np.arange(len(v)) for v in values], indexing="ij")
    return {k: v[i.ravel()] for k, v, i in zip(DESIGN_AXES, values, index)}


@dataclass(frozen=True)
class SkuSet:
    """Feasible SKUs of a design space with their die designs and per-package economics."""

    table: pd.DataFrame        # one row per feasible SKU (all evaluate_skus columns)
    die_labels: list[str]      # label of each distinct die design
    sku_die: np.ndarray        # die design index per SKU
    enumerated: int            # SKUs in the grid before filtering
    design: dict[str, np.ndarray] | None = None  # the evaluate_skus inputs of each kept SKU (re-checks)
    rejected: dict[str, int] | None = None       # why the others were dropped: reason -> SKUs
    tech: dict[str, Any] | None = None           # the technology the table was evaluated with
    slim: bool = False                           # the table holds only ENUMERATION_COLUMNS

    def design_of(self, i: int) -> dict[str, Any]:
        """The design dict that evaluate_skus turns into SKU ``i``'s row."""
        return {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in self.design.items()}

    def rows(self, idx: np.ndarray) -> pd.DataFrame:
        """Every evaluate_skus column of the SKUs at table rows ``idx``, with their
        ``sku_set_index``: the table's rows, or for a slim table the same function evaluated again
        on those SKUs' design inputs (it reads nothing else for a row, so the rows are the same)."""
        idx = np.asarray(idx, dtype=np.int64)
        if not self.slim:
            return self.table.iloc[idx].reset_index(drop=True)
        if not len(idx):
            return pd.DataFrame({"sku_set_index": np.zeros(0, dtype=np.int64)})
        design = {k: v[idx] for k, v in self.design.items()}
        # evaluate_skus reads these as one name for every SKU (a catalog design's own)
        scalar = [k for k in ("node", "cooling", "package") if k in design]
        if any(len(set(design[k].tolist())) > 1 for k in scalar):
            full = pd.concat([sku_frame(evaluate_skus(self.design_of(i), self.tech)) for i in idx], ignore_index=True)
        else:
            full = sku_frame(evaluate_skus({k: (v[0] if k in scalar else v) for k, v in design.items()}, self.tech))
        full["sku_set_index"] = self.table["sku_set_index"].to_numpy()[idx]
        return full


def sku_frame(columns: Mapping[str, Any]) -> pd.DataFrame:
    """A SKU table of ``columns`` (arrays), its text columns kept as object arrays: pandas 3 would
    make each name an arrow string (0.3 s per 300k SKUs), and every SKU table has one layout."""
    arrays = {k: np.asarray(v) for k, v in columns.items()}
    return pd.DataFrame({k: pd.Series(v, dtype=object, copy=False) if v.dtype.kind in "OU" else v
                         for k, v in arrays.items()}, copy=False)


def row_codes(columns, n: int) -> np.ndarray:
    """Index of each of ``n`` rows' distinct combination of values over ``columns`` (arrays of
    length n), numbered in order of first appearance: one hash factorisation per column, no sort."""
    code = np.zeros(n, dtype=np.int64)
    for values in columns:
        c, _ = pd.factorize(np.asarray(values), use_na_sentinel=False)
        code, _ = pd.factorize(code * (int(c.max(initial=0)) + 1) + c)
    return code


def die_designs(table: dict[str, np.ndarray] | pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """(sorted labels of the distinct die designs, each SKU's index into them). A die design is
    named by its area, interconnect kind, HBM generation and PHYs per die and link PHYs per die:
    SKUs that differ only in clock or in how many copies of the die sit in the package share a die
    design (and its NRE). The SKUs are grouped on integer codes; only the distinct designs are
    formatted as text."""
    dies = np.asarray(table["dies_per_package"], dtype=int)
    # the area as its label prints it (%g): areas that print alike are one die design, as before
    area_codes, areas = pd.factorize(np.asarray(table["die_area_mm2"], dtype=float))
    printed = np.asarray([f"{a:g}" for a in areas], dtype=object)
    parts = (printed[area_codes] if len(area_codes) else np.zeros(0, dtype=object),
             np.asarray(table["interconnect"], dtype=object),
             np.asarray(table["hbm"], dtype=object), np.ceil(np.asarray(table["hbm_stacks"]) / dies).astype(int),
             np.ceil(np.asarray(table["links"]) / dies).astype(int))
    code = row_codes(parts, len(dies))
    first = np.unique(code, return_index=True)[1] if len(code) else np.zeros(0, dtype=np.int64)
    labels = [f"{parts[0][i]}mm2/{parts[1][i]}/{parts[2][i]}x{parts[3][i]:d}/{parts[4][i]:d}L" for i in first]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), dtype=np.int64)
    rank[order] = np.arange(len(labels))
    return [labels[i] for i in order], rank[code]


# SKUs of the grid the technology model evaluates at a time: its ~200 intermediate arrays then stay
# in the CPU caches and in memory the allocator reuses. Measured on the 2-core machine (2026-12-02,
# sku_set of benchmarks/bench_scale.py's 561,600-SKU grid, first call in a process): 3.7 s and
# 1.5 GB peak RSS in one piece; in pieces of 2^15 with the die designs grouped on integer codes
# (die_designs) and the table built without copies, 1.0 s and 0.95 GB
SKU_CHUNK = 1 << 15


# the SKU-table columns the column builder reads for every SKU: the performance model's inputs,
# the failure rate, a package's economics (rack fit, the Problem's per-SKU arrays) and what names a
# die design. A slim table (sku_set(..., slim=True), what a solve builds) holds only these, 41 of 85
# columns; the solve evaluates the full rows of the few SKUs left after pruning (SkuSet.rows).
ENUMERATION_COLUMNS = tuple(dict.fromkeys((
    *FIGURE_INPUTS, *AVAILABILITY_INPUTS, *ECONOMICS_INPUTS,
    "die_area_mm2", "dies_per_package", "hbm_stacks", "hbm", "links", "interconnect", "feasible")))


def feasible_skus(design: dict[str, Any], tech: dict[str, Any], slim: bool = False) -> SkuSet:
    """Evaluate every SKU of ``design`` (in pieces of ``SKU_CHUNK``) and keep the feasible ones;
    ``slim``: keep only the ``ENUMERATION_COLUMNS`` of the table (SkuSet.rows gives the rest)."""
    design = {k: v for k, v in design.items() if v is not None}
    n = max((np.size(v) for v in design.values()), default=1)
    masks, keeps = [], []
    # the feasible rows go straight into arrays as long as the grid, of which only the rows written
    # are ever touched (and so resident): no second copy of the table while it is joined; text
    # columns (object arrays, which numpy fills) are joined from their pieces instead
    columns: dict[str, np.ndarray] = {}
    text: dict[str, list[np.ndarray]] = {}
    filled = 0
    for start in range(0, n, SKU_CHUNK) if n else [0]:
        piece = {k: (v if np.ndim(v) == 0 else np.asarray(v)[start:start + SKU_CHUNK]) for k, v in design.items()}
        full = evaluate_skus(piece, tech)
        keep = np.asarray(full["feasible"], dtype=bool)
        kept = int(keep.sum())
        for k, v in full.items():
            if slim and k not in ENUMERATION_COLUMNS:
                continue
            v = np.asarray(v)[keep]
            if v.dtype == object:
                text.setdefault(k, []).append(v)
                continue
            if k not in columns:
                columns[k] = np.empty(max(n, 1), dtype=v.dtype)
            columns[k][filled:filled + kept] = v
        masks.append(np.asarray(full["infeasible_mask"], dtype=np.int64)[~keep])
        keeps.append(keep)
        filled += kept
    keep = np.concatenate(keeps)
    columns = {k: columns[k][:filled] if k in columns else np.concatenate(text[k]) for k in full
               if k in columns or k in text}
    inputs = {k: np.broadcast_to(np.asarray(v, dtype=object if isinstance(v, str) else None), (len(keep),))[keep]
              for k, v in design.items()}
    columns["sku_set_index"] = np.arange(filled)
    table = sku_frame(columns)
    labels, sku_die = die_designs(columns)
    masks = np.concatenate(masks)
    rejected = {text: int(np.sum(masks >> bit & 1)) for bit, (_, text) in enumerate(REASONS) if np.any(masks >> bit & 1)}
    return SkuSet(table=table, die_labels=labels, sku_die=sku_die,
                  enumerated=int(len(keep)), design=inputs, rejected=rejected, tech=tech, slim=slim)


def sku_set(inst: Instance, design_space: dict[str, Any] | None = None, sku: str | None = None,
            slim: bool = False) -> SkuSet:
    """Feasible SKUs of the instance's design space (with ``design_space`` overrides), or the single
    catalog SKU ``sku``; ``slim``: a table of the ``ENUMERATION_COLUMNS`` only."""
    tech = inst.technology
    if sku is not None:
        # one design whose die is the catalog part's own (no tape-out of ours: labelled by name)
        return replace(feasible_skus(catalog_design(sku), tech, slim), die_labels=[sku])
    axes = design_axes(inst.design_space.axes(), design_space, inst.path)
    return feasible_skus(grid_of_axes(axes, tech), tech, slim)


def grid_of_axes(axes: dict[str, list], tech: dict[str, Any]) -> dict[str, np.ndarray]:
    """The SKU grid of design-space axes whose links may be given as scale-up bandwidth per
    direction (``scaleup_gb_s`` per package, or ``scaleup_gb_s_per_tflops`` per BF16 TFLOP/s):
    each target becomes the fewest links of the SKU's interconnect that carry it. Per TFLOP/s,
    the compute is that of the SKU without links; the links' PHYs then take some area, so the
    bandwidth per TFLOP/s lands at or above the target. SKUs that come out equal are kept once."""
    bw_key = next((k for k in BANDWIDTH_AXES if axes.get(k)), None)
    # an axis a design may leave out (sku.AXIS_DEFAULTS) takes its default when absent
    plain = {k: axes[k] if k in axes else [AXIS_DEFAULTS[k]] for k in DESIGN_AXES}
    if bw_key is None:
        return _with_nic_choices(design_grid(**plain), axes)
    targets = np.asarray(axes[bw_key], dtype=float)
    base = design_grid(**{**plain, "links": [0]})
    grid = {k: np.repeat(v, len(targets)) for k, v in base.items()}
    target = np.tile(targets, len(base["links"]))
    if bw_key == "scaleup_gb_s_per_tflops":
        target = target * evaluate_skus(grid, tech)["peak_tflops_bf16"]
    link_bw = lookup(grid["interconnect"].astype(object), tech["interconnect"], "link_bandwidth_gb_s",
                     "interconnect").astype(float)
    grid["links"] = np.ceil(target / link_bw - 1e-9).astype(int)
    rows = np.stack([np.unique(grid[k].astype(str), return_inverse=True)[1] for k in DESIGN_AXES], axis=1)
    _, first = np.unique(rows, axis=0, return_index=True)
    keep = np.sort(first)
    return _with_nic_choices({k: v[keep] for k, v in grid.items()}, axes)


def _with_nic_choices(grid: dict[str, np.ndarray], axes: dict[str, list]) -> dict[str, np.ndarray]:
    """The grid once per scale-out choice of ``axes["scaleout_gbps_per_tflops"]`` (if given), each
    SKU carrying its choice (the last varying fastest)."""
    choices = axes.get("scaleout_gbps_per_tflops")
    if not choices:
        return grid
    values = np.asarray(choices, dtype=float)
    out = {k: np.repeat(v, len(values)) for k, v in grid.items()}
    out["scaleout_gbps_per_tflops"] = np.tile(values, len(next(iter(grid.values()))))
    return out
