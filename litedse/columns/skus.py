"""The SKU table of a design space: the Cartesian grid of its axes, evaluated by the technology
model, infeasible SKUs dropped, and each SKU's die design (the unit of tape-out and NRE) named.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from litedse.inputs.design_space import design_axes
from litedse.inputs.instance import Instance
from litedse.tech.sku import DESIGN_AXES, catalog_design, evaluate_skus


_INTEGER_AXES = ("dies_per_package", "hbm_stacks", "links")
_NAME_AXES = ("hbm", "interconnect", "topology")


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
    table = pd.DataFrame({k: np.asarray(v)[keep] for k, v in full.items()})
    keys = die_design_keys(table)
    labels, sku_die = np.unique(keys, return_inverse=True)
    return SkuSet(table=table.reset_index(drop=True), die_labels=[str(x) for x in labels], sku_die=sku_die,
                  enumerated=int(len(keep)))


def sku_set(inst: Instance, design_space: dict[str, Any] | None = None, sku: str | None = None) -> SkuSet:
    """Feasible SKUs of the instance's design space (with ``design_space`` overrides), or the single
    catalog SKU ``sku``."""
    tech = inst.technology
    if sku is not None:
        # one design whose die is the catalog part's own (no tape-out of ours: labelled by name)
        return replace(feasible_skus(catalog_design(sku), tech), die_labels=[sku])
    axes = design_axes(inst.design_space.axes(), design_space, inst.path)
    return feasible_skus(design_grid(**axes), tech)
