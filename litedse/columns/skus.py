"""The SKU table of a design space: the Cartesian grid of its axes, evaluated by the technology
model, infeasible SKUs dropped, and each SKU's die design (the unit of tape-out and NRE) named.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from litedse.inputs.design_space import BANDWIDTH_AXES, design_axes
from litedse.inputs.instance import Instance
from litedse.tech.sku import AXIS_DEFAULTS, DESIGN_AXES, REASONS, catalog_design, evaluate_skus, lookup


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

    def design_of(self, i: int) -> dict[str, Any]:
        """The design dict that evaluate_skus turns into SKU ``i``'s row."""
        return {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in self.design.items()}


def die_design_keys(table: dict[str, np.ndarray] | pd.DataFrame) -> np.ndarray:
    """One string per SKU naming the die it is built on: area, HBM generation and PHYs per die,
    link PHYs per die and interconnect kind. SKUs that differ only in clock or in how many copies of
    the die sit in the package share a die design (and its NRE)."""
    area = np.asarray(table["die_area_mm2"], dtype=float)
    dies = np.asarray(table["dies_per_package"], dtype=int)
    sites = np.ceil(np.asarray(table["hbm_stacks"]) / dies).astype(int)
    links = np.ceil(np.asarray(table["links"]) / dies).astype(int)
    hbm = np.asarray(table["hbm"]).astype(str)
    kind = np.asarray(table["interconnect"]).astype(str)
    return np.char.add(np.char.add(np.char.add(np.char.add(
        np.char.add(np.char.mod("%gmm2/", area), kind), "/"), np.char.add(hbm, "x")),
        np.char.mod("%d/", sites)), np.char.mod("%dL", links))


def feasible_skus(design: dict[str, Any], tech: dict[str, Any]) -> SkuSet:
    """Evaluate every SKU of ``design`` and keep the feasible ones."""
    full = evaluate_skus(design, tech)
    keep = full["feasible"]
    n = len(keep)
    inputs = {k: np.broadcast_to(np.asarray(v, dtype=object if isinstance(v, str) else None), (n,))[keep]
              for k, v in design.items() if v is not None}
    table = pd.DataFrame({k: np.asarray(v)[keep] for k, v in full.items()})
    table["sku_set_index"] = np.arange(len(table))
    keys = die_design_keys(table)
    labels, sku_die = np.unique(keys, return_inverse=True)
    masks = np.asarray(full["infeasible_mask"], dtype=np.int64)[~keep]
    rejected = {text: int(np.sum(masks >> bit & 1)) for bit, (_, text) in enumerate(REASONS) if np.any(masks >> bit & 1)}
    return SkuSet(table=table.reset_index(drop=True), die_labels=[str(x) for x in labels], sku_die=sku_die,
                  enumerated=int(len(keep)), design=inputs, rejected=rejected)


def sku_set(inst: Instance, design_space: dict[str, Any] | None = None, sku: str | None = None) -> SkuSet:
    """Feasible SKUs of the instance's design space (with ``design_space`` overrides), or the single
    catalog SKU ``sku``."""
    tech = inst.technology
    if sku is not None:
        # one design whose die is the catalog part's own (no tape-out of ours: labelled by name)
        return replace(feasible_skus(catalog_design(sku), tech), die_labels=[sku])
    axes = design_axes(inst.design_space.axes(), design_space, inst.path)
    return feasible_skus(grid_of_axes(axes, tech), tech)


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
