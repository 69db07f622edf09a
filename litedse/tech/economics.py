"""Per-package economics of SKUs and the fabrics they attach to: capital cost and provisioned IT
power per package, the fabric each SKU's ports land on, and the lifetime energy price."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from litedse.units import HOURS_PER_YEAR

# the fabrics a SKU's ports can land on, in the order of the Problem's fabric index f
FABRICS = ("electrical", "cpo")

# every price of the technology preset outside the package bill of materials: the basis it is
# quoted on and the component class whose markup converts it (presets/technology: [pricing])
PRICE_QUOTES = {
    ("interconnect", "electrical", "cost_usd_per_link"): ("bom", "network"),
    ("topology", "direct", "cpo_cost_usd_per_link"): ("market", "network"),
    ("topology", "direct", "electrical_cost_usd_per_link"): ("market", "network"),
    ("topology", "ocs", "port_cost_usd"): ("bom", "network"),
    ("scaleout", "cost_usd_per_gbps"): ("market", "network"),
    ("fabric", "electrical", "switch_cost_usd"): ("market", "network"),
    ("fabric", "electrical", "port_optics_cost_usd"): ("market", "network"),
    ("fabric", "cpo", "switch_cost_usd"): ("market", "network"),
    ("fabric", "cpo", "port_optics_cost_usd"): ("market", "network"),
    ("host", "cost_usd"): ("bom", "host"),
    ("host", "cost_usd_per_slot"): ("bom", "host"),
    ("economics", "rack_cost_usd"): ("market", "host"),
}


def price(tech: dict[str, Any], *path: str) -> float:
    """A price of the technology preset on the preset's pricing basis [USD]: the quoted value,
    times the component's markup when quoted at cost and priced at market, divided by it in the
    other direction."""
    value = tech
    for key in path:
        value = value[key]
    quoted, component = PRICE_QUOTES[path]
    pricing = tech["pricing"]
    if quoted == pricing["basis"]:
        return float(value)
    markup = pricing[f"{component}_markup"]
    return float(value) * markup if pricing["basis"] == "market" else float(value) / markup


def package_price_factor(tech: dict[str, Any]) -> float:
    """What a package's bill of materials is multiplied by on the pricing basis (its markup at market)."""
    return 1.0 if tech["pricing"]["basis"] == "bom" else float(tech["pricing"]["package_markup"])


# the SKU-table columns sku_economics reads
ECONOMICS_INPUTS = ("on_cpo_fabric", "unit_cost_usd", "network_cost_usd", "host_slot_cost_usd", "tdp_w", "host_w",
                    "host_base_w_share", "network_w", "packages_per_host", "links", "scaleout_gbps")


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
        "switch_cost_usd": np.array([price(tech, "fabric", name, "switch_cost_usd")
                                     + f["switch_radix"] * price(tech, "fabric", name, "port_optics_cost_usd")
                                     for name, f in zip(FABRICS, fab)]),
        "switch_w": np.array([f["switch_w"] + f["switch_radix"] * f["port_optics_w"] for f in fab]),
        "port_cost_usd": np.zeros(len(fab)),
        "port_w": np.zeros(len(fab)),
        "oversubscription": np.array([f["oversubscription"] for f in fab], dtype=float),
    }


def energy_usd_per_w(tech: dict[str, Any]) -> float:
    """Lifetime energy cost of one W of provisioned facility power at the average utilisation [USD/W]."""
    econ, pwr = tech["economics"], tech["power"]
    hours = econ["lifetime_years"] * HOURS_PER_YEAR
    return pwr["average_utilization"] * hours * econ["electricity_usd_per_kwh"] / 1000.0
