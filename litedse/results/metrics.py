"""What a solve costs and draws, component by component, and the flat metrics the design-class
comparison sets side by side."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from litedse.inputs.instance import Instance
from litedse.optimize.problem import blast_radius_per_column
from litedse.solve import SolveResult
from litedse.units import HOURS_PER_YEAR

# metrics of the side-by-side table, in display order: (key, label, unit)
METRICS = (
    ("objective", "objective", ""),
    ("capex_usd", "capex", "USD"),
    ("it_power_w", "IT power", "W"),
    ("facility_power_w", "facility power", "W"),
    ("tco_usd", "TCO", "USD"),
    ("packages", "packages", ""),
    ("dies", "dies", ""),
    ("silicon_area_mm2", "logic silicon", "mm^2"),
    ("hbm_stacks", "HBM stacks", ""),
    ("links", "links", ""),
    ("switches", "switches", ""),
    ("racks", "racks", ""),
    ("throughput", "throughput", "demand unit"),
    ("usd_per_throughput", "capex per throughput", "USD/unit"),
    ("w_per_throughput", "facility W per throughput", "W/unit"),
    ("usd_per_w", "capex per facility W", "USD/W"),
    ("capacity_share_per_failure", "capacity lost per package failure", "share"),
    ("blast_radius_h_per_yr", "expected replica downtime", "h/yr"),
    ("expected_capacity_lost", "expected capacity lost", "share"),
    ("die_yield", "die yield", ""),
    ("die_area_mm2", "die area", "mm^2"),
    ("dies_per_package", "dies per package", ""),
    ("hbm_stacks_per_package", "HBM stacks per package", ""),
    ("tier2_devices_per_package", "tier-2 memory devices per package", ""),
    ("memory_per_package_gb", "memory per package (both tiers)", "GB"),
    ("links_per_package", "links per package", ""),
    ("unit_cost_usd", "package cost", "USD"),
    ("tdp_w", "package TDP", "W"),
    ("bandwidth_to_compute", "off-package GB/s per BF16 TFLOP/s", "GB/s/TFLOPs"),
    ("hbm_bw_to_compute", "HBM GB/s per BF16 TFLOP/s", "GB/s/TFLOPs"),
    ("memory_bw_to_compute", "memory GB/s per BF16 TFLOP/s (both tiers)", "GB/s/TFLOPs"),
)


def repair_hours_of(inst: Instance) -> float:
    """The instance's repair time per failure [h] (technology ``reliability.repair_hours``)."""
    return float(inst.technology["reliability"]["repair_hours"])


def class_metrics(res: SolveResult, repair_hours: float) -> dict[str, Any]:
    """Flat metrics of one solve (NaN-free dict; infeasible -> only status)."""
    p, s = res.problem, res.solution
    if not s.feasible:
        return {"status": s.status}
    t = p.sku_table
    skus = np.flatnonzero(s.packages > 0)
    if not len(skus):
        skus = np.unique(p.col_sku[s.column])
    n = s.packages[skus].astype(float)
    area = t["die_area_mm2"].to_numpy(float)[skus]
    dpp = t["dies_per_package"].to_numpy(float)[skus]
    stacks = t["hbm_stacks"].to_numpy(float)[skus]
    links = t["links"].to_numpy(float)[skus]
    b = blast_radius_per_column(p, repair_hours)[s.column]
    thr = p.col_throughput[s.column] * s.replicas
    one_unit = len(set(p.demand_unit)) == 1
    throughput = float(thr.sum()) if one_unit else math.nan
    facility = float(s.facility_power_w)
    first = int(skus[0])

    def col(key):
        return float(t[key].iloc[first]) if key in t.columns else math.nan

    m: dict[str, Any] = {
        "status": s.status,
        "objective": float(s.objective_value),
        "capex_usd": float(s.capex_usd), "it_power_w": float(s.it_power_w), "facility_power_w": facility,
        "tco_usd": float(s.tco_usd), "packages": int(n.sum()), "dies": int((n * dpp).sum()),
        "silicon_area_mm2": float((n * dpp * area).sum()), "hbm_stacks": int((n * stacks).sum()),
        "links": int((n * links).sum()), "switches": int(np.sum(s.fabric_switches)), "racks": int(s.racks),
        "throughput": throughput,
        "usd_per_throughput": float(s.capex_usd) / throughput if throughput else math.nan,
        "w_per_throughput": facility / throughput if throughput else math.nan,
        "usd_per_w": float(s.capex_usd) / facility if facility else math.nan,
        # one failed package takes down its replica: 1/n_c of the workload (worst workload)
        "capacity_share_per_failure": float(np.max(1.0 / np.maximum(s.replicas, 1))),
        "blast_radius_h_per_yr": float(b.sum()),
        "expected_capacity_lost": float(b.max() / HOURS_PER_YEAR),
        "die_yield": col("die_yield"), "die_area_mm2": col("die_area_mm2"),
        "dies_per_package": col("dies_per_package"), "hbm_stacks_per_package": col("hbm_stacks"),
        "tier2_devices_per_package": col("tier2_devices") if "tier2_devices" in t.columns else 0.0,
        "memory_per_package_gb": col("memory_capacity_gb") if "memory_capacity_gb" in t.columns else col("hbm_capacity_gb"),
        "links_per_package": col("links"), "unit_cost_usd": col("unit_cost_usd"), "tdp_w": col("tdp_w"),
        "bandwidth_to_compute": col("offpackage_bandwidth_gb_s") / col("peak_tflops_bf16"),
        "hbm_bw_to_compute": col("hbm_bandwidth_gb_s") / col("peak_tflops_bf16"),
        "memory_bw_to_compute": (col("hbm_bandwidth_gb_s") + (col("tier2_read_bandwidth_gb_s") if "tier2_read_bandwidth_gb_s"
                                                               in t.columns else 0.0)) / col("peak_tflops_bf16"),
        "interconnect": str(t["interconnect"].iloc[first]),
        "design": " + ".join(design_text(t.iloc[int(k)]) for k in skus),
    }
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in m.items()}


def breakdowns(res: SolveResult) -> tuple[dict[str, float], dict[str, float]]:
    """Capex [USD] and facility power [W] of a solution split by component. The parts add up to the
    solution's capex and facility power (the last part of each is the remainder: NRE, and the
    facility overhead (PUE - 1) x IT power)."""
    p, s = res.problem, res.solution
    if not s.feasible:
        return {}, {}
    t = p.sku_table
    # sums over the SKUs with packages only, so that they do not depend on how many unused SKUs
    # the Problem carries (a dot product's rounding depends on its length)
    bought = np.flatnonzero(s.packages)
    N = s.packages.astype(float)[bought]

    def tot(key, scale=None):
        v = t[key].to_numpy(float)[bought] if key in t.columns else np.zeros(len(bought))
        return float(N @ (v * (1.0 if scale is None else scale[bought])))

    dpp = t["dies_per_package"].to_numpy(float)
    dies, hbm, pack, optics = tot("die_cost_usd", dpp), tot("hbm_cost_usd"), tot("packaging_cost_usd"), tot("cpo_optics_cost_usd")
    test, tier2 = tot("final_test_cost_usd"), tot("tier2_cost_usd")
    bom = tot("bom_cost_usd")
    unit, network = tot("unit_cost_usd"), tot("network_cost_usd")
    host = float(N @ p.sku_capex_usd[bought]) - unit - network + p.host_cost_usd * float(np.sum(s.hosts))
    switches = float(s.fabric_switches @ p.fabric_switch_cost_usd + s.fabric_endpoints @ p.fabric_port_cost_usd)
    racks = float(p.rack_cost_usd * s.racks)
    cost = {"dies": dies, "hbm": hbm, "tier2_memory": tier2, "packaging": pack, "cpo_optics": optics, "final_test": test,
            "assembly_yield_loss": bom - dies - hbm - tier2 - pack - optics - test, "package_margin": unit - bom,
            "network_attach": network, "host": host,
            "switches": switches, "racks": racks}
    cost["nre"] = float(s.capex_usd) - sum(cost.values())
    compute, hbm_w, link_w, d2d_w, tdp = (tot(k) for k in ("compute_w", "hbm_w", "link_w", "d2d_w", "tdp_w"))
    tier2_w = tot("tier2_w")
    sw_w = float(s.fabric_switches @ p.fabric_switch_w + s.fabric_endpoints @ p.fabric_port_w)
    power = {"compute": compute, "hbm": hbm_w, "tier2_memory": tier2_w, "links": link_w, "die_to_die": d2d_w,
             "package_other": tdp - compute - hbm_w - tier2_w - link_w - d2d_w,
             "host": float(N @ p.sku_it_w[bought]) - tdp + p.host_w * float(np.sum(s.hosts)), "switches": sw_w}
    power["facility_overhead"] = float(s.facility_power_w) - sum(power.values())
    return cost, power


def design_text(row) -> str:
    """'2x800 mm^2, 8 HBM, 0 links, cpo' (with a second memory tier '8 HBM + 2 mrm') for a SKU table row."""
    tier2 = f" + {int(row['tier2_devices'])} {row['tier2']}" if row.get("tier2", "none") != "none" else ""
    return (f"{int(row['dies_per_package'])}x{float(row['die_area_mm2']):g} mm^2, {int(row['hbm_stacks'])} HBM{tier2}, "
            f"{int(row['links'])} links, {row['interconnect']}")
