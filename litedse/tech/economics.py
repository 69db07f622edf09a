"""Per-package economics of SKUs and the fabrics they attach to: capital cost and provisioned IT
power per package, the fabric each SKU's ports land on, and the lifetime energy price."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from litedse.units import HOURS_PER_YEAR

# the fabrics a SKU's ports can land on, in the order of the Problem's fabric index f
FABRICS = ("electrical", "cpo")


def sku_economics(table: pd.DataFrame, tech: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-package capital cost, provisioned IT power, fabric and fabric ports of each SKU.

    capex = package (bottom-up) + network attachments (the links' share of what wires them, the
    scale-out NIC and its transceiver) + the package's host slot (the host itself is counted per host); IT power = package TDP + host share + network
    (OCS ports). Switched CPO SKUs put every optical link on the photonic fabric; every other SKU
    puts one NIC port on the scale-out fabric (tech.sku: topology).
    """
    on_cpo = np.asarray(table["on_cpo_fabric"], dtype=bool)
    return {
        # the host's own cost and power are counted per host (Problem.host_cost_usd, host_w)
        "capex_usd": (table["unit_cost_usd"] + table["network_cost_usd"] + table["host_slot_cost_usd"]).to_numpy(float),
        "it_w": (table["tdp_w"] + table["host_w"] - table["host_base_w_share"] + table["network_w"]).to_numpy(float),
        "packages_per_host": table["packages_per_host"].to_numpy(float),
        "fabric": np.where(on_cpo, FABRICS.index("cpo"), FABRICS.index("electrical")),
        # electrical-fabric ports per package: its NIC bandwidth in switch ports (fractional: NICs
        # of several packages share a port's lanes through breakouts)
        "fabric_ports": np.where(on_cpo, table["links"].to_numpy(float),
                                 table["scaleout_gbps"].to_numpy(float) / tech["fabric"]["electrical"]["port_gbps"]),
    }


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
    hours = econ["lifetime_years"] * HOURS_PER_YEAR
    return pwr["average_utilization"] * hours * econ["electricity_usd_per_kwh"] / 1000.0
