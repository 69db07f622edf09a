"""Design space: enumerate SKUs and (SKU, mapping) columns, filter infeasible ones, and assemble the
array ``Problem`` the solvers work on.

Data flows one way: design-space lists -> SKU table (tech) -> columns (workload model) -> Problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from litedse.tech.sku import evaluate_skus


def design_grid(die_area_mm2: Sequence[float], dies_per_package: Sequence[int], hbm_stacks: Sequence[int],
                hbm: Sequence[str], links: Sequence[int], interconnect: Sequence[str],
                clock: Sequence[float]) -> dict[str, np.ndarray]:
    """Cartesian product of the design-space axes as flat arrays (one entry per SKU)."""
    axes = [np.asarray(die_area_mm2, dtype=float), np.asarray(dies_per_package, dtype=int),
            np.asarray(hbm_stacks, dtype=int), np.arange(len(hbm)), np.asarray(links, dtype=int),
            np.arange(len(interconnect)), np.asarray(clock, dtype=float)]
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    return {"die_area_mm2": flat[0], "dies_per_package": flat[1], "hbm_stacks": flat[2],
            "hbm": np.asarray(hbm, dtype=object)[flat[3]], "links": flat[4],
            "interconnect": np.asarray(interconnect, dtype=object)[flat[5]], "clock": flat[6]}


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


def sku_economics(table: pd.DataFrame, tech: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-package capital cost, provisioned IT power, fabric and fabric ports of each SKU.

    capex = package (bottom-up) + network attachments (electrical scale-up links, NIC and pluggable
    transceiver) + host share; IT power = package TDP + host share. Electrical SKUs put one NIC port
    on the scale-out fabric; CPO SKUs put every optical link on the photonic fabric.
    """
    econ = tech["economics"]
    is_cpo = np.asarray(table["is_cpo"], dtype=bool)
    return {
        "capex_usd": (table["unit_cost_usd"] + table["network_cost_usd"] + econ["host_cost_usd_per_package"]).to_numpy(float),
        "it_w": (table["tdp_w"] + table["host_w"]).to_numpy(float),
        "fabric": np.where(is_cpo, FABRICS.index("cpo"), FABRICS.index("electrical")),
        "fabric_ports": np.where(is_cpo, table["links"].to_numpy(int), 1),
    }


FABRICS = ["electrical", "cpo"]


def fabric_arrays(tech: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-fabric switch radix, cost and power. Switch-side optics are folded into the switch
    (a fat tree uses nearly every switch port), so endpoint ports cost nothing extra here: their
    optics are in the package (CPO) or in the NIC attachment (electrical)."""
    fab = [tech["fabric"][name] for name in FABRICS]
    return {
        "radix": np.array([f["switch_radix"] for f in fab], dtype=float),
        "switch_cost_usd": np.array([f["switch_cost_usd"] + f["switch_radix"] * f["port_optics_cost_usd"] for f in fab]),
        "switch_w": np.array([f["switch_w"] + f["switch_radix"] * f["port_optics_w"] for f in fab]),
        "port_cost_usd": np.zeros(len(fab)),
        "port_w": np.zeros(len(fab)),
    }


def energy_usd_per_w(tech: dict[str, Any]) -> float:
    """Lifetime energy cost of one W of provisioned facility power at the average utilisation [USD/W]."""
    econ, pwr = tech["economics"], tech["power"]
    hours = econ["lifetime_years"] * 365.0 * 24.0
    return pwr["average_utilization"] * hours * econ["electricity_usd_per_kwh"] / 1000.0
