"""SKU table: every per-package figure of a set of package designs, as numpy arrays.

A SKU is (die area, dies per package, HBM stacks and generation, off-package links, interconnect
kind, clock level, topology, memory option: an optional second memory tier, tech/memory.py). ``evaluate_skus`` derives, vectorised over any number of SKUs, everything the
workload model and the optimiser need. Column names carry their units.

Bandwidth conventions: ``scaleup_bandwidth_gb_s`` and ``scaleout_bandwidth_gb_s`` are per
direction, per package; ``offpackage_bandwidth_gb_s`` is the datasheet figure (both directions,
scale-up plus scale-out; H100: 900 + 100 GB/s).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from litedse import presets
from litedse.errors import InputError
from litedse.units import HOURS_PER_YEAR, SECONDS_PER_HOUR
from litedse.tech import package as pkg
from litedse.tech import economics, memory, power, reliability, silicon

DESIGN_AXES = ("die_area_mm2", "dies_per_package", "hbm_stacks", "hbm", "links", "interconnect", "clock", "topology",
               "memory")
# design axes a design may leave out, and the value they then take
AXIS_DEFAULTS = {"topology": "switched", "memory": memory.HBM_ONLY}
TOPOLOGIES = ("switched", "direct", "ocs")

# Bits of ``infeasible_mask``, in the order their reasons are reported.
REASONS = (
    ("reticle", "die exceeds the reticle field"),
    ("compute_area", "PHYs and uncore leave no compute area"),
    ("shoreline", "PHYs and optical engines need more die edge than the die has"),
    ("interposer", "interposer exceeds the packaging technology's area limit"),
    ("cooling", "package power exceeds the cooling limit"),
    ("hbm_stacks", "more active HBM stacks than sites"),
    ("topology", "direct and OCS topologies need links, and OCS optical (cpo) links"),
)


def _names(values, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=object)
    return np.full(n, arr.item(), dtype=object) if arr.ndim == 0 else arr


def _text(names: np.ndarray) -> np.ndarray:
    """A per-SKU array of names as an object array of Python str (the table's text columns)."""
    arr = np.asarray(names)
    return arr if arr.dtype == object else arr.astype(object)


class NameCodes:
    """A per-SKU array of names as its distinct names and each SKU's index into them, so that many
    table lookups share one pass over the SKUs (pandas' hash factorisation: no sort of strings)."""

    def __init__(self, names):
        codes, uniq = pd.factorize(np.asarray(names, dtype=object))
        self.codes, self.names = codes, [str(u) for u in uniq]

    def get(self, table: dict[str, dict[str, Any]], key: str, what: str) -> np.ndarray:
        """Per-SKU array of ``table[name][key]`` (a loop over the few distinct names, not over SKUs)."""
        values = []
        for name in self.names:
            if name not in table:
                raise InputError(f"unknown {what} {name!r}", expected="one of " + ", ".join(sorted(table)))
            values.append(table[name][key])
        return np.asarray(values)[self.codes]


def lookup(names: np.ndarray, table: dict[str, dict[str, Any]], key: str, what: str) -> np.ndarray:
    """Per-SKU array of ``table[name][key]``."""
    return NameCodes(names).get(table, key, what)


def _get(design: dict, key: str, default, n: int) -> np.ndarray:
    value = design.get(key)
    if value is None:
        value = default
    return np.broadcast_to(np.asarray(value), (n,)) if np.ndim(value) == 0 else np.asarray(value)


def evaluate_skus(design: dict[str, Any], tech: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Evaluate SKUs. ``design`` maps the DESIGN_AXES keys (and optional per-SKU overrides ``node``,
    ``package``, ``cooling``, ``units_per_die``, ``spare_units``, ``hbm_sites``,
    ``hbm_purchased_stacks``, ``hbm_bandwidth_gb_s_per_stack``, ``hbm_capacity_gb_per_stack``,
    ``link_bandwidth_gb_s``, ``scaleout_gbps``, ``scaleout_gbps_per_tflops``, ``packages_per_host``,
    ``die_aspect_ratio``) to scalars
    or equal-length arrays.
    ``tech`` is a resolved technology value tree (default: the shipped "default" preset).
    """
    if tech is None:
        tech = presets.technology()[0]
    design = {**AXIS_DEFAULTS, **{k: v for k, v in design.items() if v is not None}}
    missing = [k for k in DESIGN_AXES if k not in design]
    if missing:
        raise InputError(f"SKU design lacks {', '.join(missing)}")
    n = max(np.size(design[k]) for k in design)
    f = lambda key: np.broadcast_to(np.asarray(design[key], dtype=float), (n,)).astype(float)  # noqa: E731
    area = f("die_area_mm2")
    dies = f("dies_per_package")
    stacks = f("hbm_stacks")
    links = f("links")
    clock = f("clock")
    hbm_name = _names(design["hbm"], n)
    ic_name = _names(design["interconnect"], n)
    # names stay object arrays of str: pandas makes its string columns from them 5x faster than
    # from numpy's fixed-width strings (measured: 0.016 s against 0.076 s for 305k SKUs)
    topo = _names(design["topology"], n)
    unknown = sorted(set(topo) - set(TOPOLOGIES))
    if unknown:
        raise InputError(f"unknown topology {unknown[0]!r}", expected="one of " + ", ".join(TOPOLOGIES))
    d = tech["design"]
    node_name = _names(design.get("node") or d["node"], n)
    cooling = _names(design.get("cooling") or d["cooling"], n)
    sil, pwr, rel = tech["silicon"], tech["power"], tech["reliability"]
    node_codes, hbm_codes, ic_codes = NameCodes(node_name), NameCodes(hbm_name), NameCodes(ic_name)
    node = lambda key: node_codes.get(tech["node"], key, "node").astype(float, copy=False)  # noqa: E731
    hbm = lambda key: hbm_codes.get(tech["hbm"], key, "HBM generation").astype(float, copy=False)  # noqa: E731
    ic = lambda key: ic_codes.get(tech["interconnect"], key, "interconnect").astype(float, copy=False)  # noqa: E731
    # a CPO package without optical links reaches the network through a scale-out NIC, exactly as
    # an electrical one does (else it would be a package with no network that costs nothing to attach)
    is_cpo = (ic_name == "cpo") & (links > 0)
    switched, direct, ocs = (topo == "switched"), (topo == "direct"), (topo == "ocs")
    # only switched CPO links land on the cluster-wide photonic fabric, which then also carries the
    # scale-out traffic; every other package reaches the cluster through its scale-out NIC
    on_cpo_fabric = is_cpo & switched

    # second memory tier (capacity memory or MRM): its PHYs share the die edge and area like HBM's,
    # on-interposer devices take interposer area, every device is a bonded component
    t2 = memory.second_tier(_names(design["memory"], n), tech)
    t2_devices = t2["devices"]
    t2_per_die = np.ceil(t2_devices / dies)

    # --- geometry and shoreline (per die) ---------------------------------------------------
    aspect = _get(design, "die_aspect_ratio", d["die_aspect_ratio"], n).astype(float)
    short, long_ = silicon.die_dimensions_mm(area, aspect, sil["reticle_width_mm"], sil["reticle_height_mm"])
    in_reticle = silicon.fits_reticle(short, long_, sil["reticle_width_mm"], sil["reticle_height_mm"])
    perimeter = silicon.perimeter_mm(short, long_)
    hbm_sites = _get(design, "hbm_sites", stacks, n).astype(float)
    sites_per_die = np.ceil(hbm_sites / dies)
    links_per_die = np.ceil(links / dies)
    multi_die = dies > 1
    d2d = tech["die_to_die"]
    edge_needed_per_die = (sites_per_die * hbm("phy_shoreline_mm")
                           + links_per_die * ic("shoreline_mm_per_link") + t2_per_die * t2["phy_shoreline_mm"]
                           + np.where(multi_die, d2d["shoreline_mm"], 0.0))
    edge_usable_per_die = perimeter * sil["usable_shoreline_fraction"]

    # --- area budget: compute region and repeatable units ------------------------------------
    io_area = (sites_per_die * hbm("phy_area_mm2") + links_per_die * ic("phy_area_mm2_per_link")
               + t2_per_die * t2["phy_area_mm2"]
               + np.where(multi_die, d2d["phy_area_mm2"], 0.0))
    compute_region = area - node("uncore_area_mm2") - io_area
    unit_area = node("unit_area_mm2")
    units_default = np.floor(np.maximum(compute_region, 0.0) * node("unit_area_fraction") / unit_area)
    units = _get(design, "units_per_die", units_default, n).astype(float)
    spare_default = np.ceil(units * node("spare_unit_fraction") - 1e-9)
    spare = _get(design, "spare_units", spare_default, n).astype(float)
    enabled_units = dies * np.maximum(units - spare, 0.0)
    peak_bf16 = enabled_units * node("tflops_bf16_per_unit") * clock

    # --- wafer, yield, die cost -----------------------------------------------------------------
    scribe = sil["scribe_lane_mm"]
    footprint = (short + scribe) * (long_ + scribe)
    usable_diameter = sil["wafer_diameter_mm"] - 2.0 * sil["edge_exclusion_mm"]
    dpw = silicon.dies_per_wafer(footprint, usable_diameter)
    nonrepeatable = np.maximum(area - units * unit_area, 0.0)
    die_yield = silicon.harvested_yield(nonrepeatable, units, spare, unit_area, node("defect_density_per_cm2"),
                                        sil["yield_model"], sil["clustering_alpha"])
    die_cost = silicon.cost_per_good_die_usd(node("wafer_cost_usd"), dpw, die_yield, node("test_cost_usd_per_die"))

    # --- HBM --------------------------------------------------------------------------------------
    cap_per_stack = _get(design, "hbm_capacity_gb_per_stack", hbm("capacity_gb"), n).astype(float)
    bw_per_stack = _get(design, "hbm_bandwidth_gb_s_per_stack", hbm("bandwidth_gb_s"), n).astype(float)
    purchased = _get(design, "hbm_purchased_stacks", stacks, n).astype(float)
    hbm_capacity = stacks * cap_per_stack
    hbm_bw = stacks * bw_per_stack
    hbm_cost = purchased * hbm("capacity_gb") * hbm("cost_usd_per_gb")
    t2_capacity = t2_devices * t2["capacity_gb"]
    t2_cost = t2_capacity * t2["cost_usd_per_gb"]

    # --- package ----------------------------------------------------------------------------------
    link_bw = _get(design, "link_bandwidth_gb_s", ic("link_bandwidth_gb_s"), n).astype(float)
    optics_in_package = np.where(is_cpo, links * ic("cost_usd_per_link"), 0.0)
    parts = dies * die_cost + hbm_cost + t2_cost + optics_in_package
    # the interposer carries the HBM stacks and the second tier's on-interposer devices
    memory_footprint = purchased * hbm("footprint_mm2") + t2_devices * t2["on_interposer"] * t2["footprint_mm2"]
    pk = _choose_package(tech, design.get("package") or d["package"], parts, area, dies, purchased + t2_devices,
                         memory_footprint, n)
    pkg_names, interposer, packaging_cost, asm_yield, final_test, bom_cost = (
        pk[k] for k in ("name", "interposer", "packaging", "yield", "final_test", "unit_cost"))
    # the package on the pricing basis: its bill of materials, or at market a catalog part's price
    # (market_price_usd) and a new design's bill of materials times the package markup
    unit_cost = bom_cost * economics.package_price_factor(tech)
    if tech["pricing"]["basis"] == "market" and design.get("market_price_usd") is not None:
        unit_cost = _get(design, "market_price_usd", 0.0, n).astype(float)
    pk_max_area = pk["max_area"]
    # outside the package: each link's share of what wires it (NVSwitch share for switched electrical
    # links, a cable end for direct ones, a cable end and an OCS port for OCS ones; switched CPO
    # links are fabric ports, priced with the fabric) and the scale-out NIC
    electrical = tech["interconnect"]["electrical"]
    top_d, top_o = tech["topology"]["direct"], tech["topology"]["ocs"]
    cable = np.where(is_cpo, economics.price(tech, "topology", "direct", "cpo_cost_usd_per_link"),
                     economics.price(tech, "topology", "direct", "electrical_cost_usd_per_link"))
    ocs_ports = top_o["links_through_ocs"]          # OCS ports per link (the rest are cabled inside a group)
    nvswitch = economics.price(tech, "interconnect", "electrical", "cost_usd_per_link")
    per_link = np.select([switched, direct, ocs], [np.where(is_cpo, 0.0, nvswitch), cable,
                                                   cable + ocs_ports * economics.price(tech, "topology", "ocs", "port_cost_usd")])
    network_w = np.where(ocs, links * ocs_ports * top_o["port_w"], 0.0)

    # --- host and scale-out -------------------------------------------------------------------
    hp, so = tech["host"], tech["scaleout"]
    # (1e-9: a package of exactly half an H100's compute takes x8, whatever the rounding of its peak)
    top = float(hp["max_lanes_per_package"])          # the reference package's lanes
    lanes = np.clip(2.0 ** np.ceil(np.log2(np.maximum(top * peak_bf16 / hp["reference_tflops_bf16"], 1e-9)) - 1e-9),
                    hp["min_lanes_per_package"], top)
    # (the host stages the package's whole memory, both tiers)
    by_memory = np.floor(hp["memory_gb"] / np.maximum(hp["memory_per_hbm"] * (hbm_capacity + t2_capacity), 1e-9) + 1e-9)
    pph_default = np.maximum(np.minimum.reduce([np.floor(hp["pcie_lanes"] / lanes),
                                                np.full(n, float(hp["max_packages"])), by_memory]), 1.0)
    pph = np.maximum(_get(design, "packages_per_host", pph_default, n).astype(float), 1.0)
    host_slot = economics.price(tech, "host", "cost_usd_per_slot")
    host_cost = economics.price(tech, "host", "cost_usd") / pph + host_slot
    # a NIC per package of bandwidth in proportion to compute, at least the host's floor shared out;
    # switched CPO packages reach the cluster over their photonic fabric instead
    per_tflops = _get(design, "scaleout_gbps_per_tflops", so["gbps_per_tflops_bf16"], n).astype(float)
    nic_default = np.maximum(per_tflops * peak_bf16, so["min_gbps_per_host"] / pph)
    nic_gbps = np.where(on_cpo_fabric, 0.0, _get(design, "scaleout_gbps", nic_default, n).astype(float))
    network_cost = links * per_link + nic_gbps * economics.price(tech, "scaleout", "cost_usd_per_gbps")

    # --- interconnect -----------------------------------------------------------------------------
    scaleup_bw = links * link_bw
    nic_bw = nic_gbps / 8.0                        # the NIC's line rate [GB/s per direction]
    # an oversubscribed fabric gives traffic between its leaves 1/o of the ports' bandwidth: the
    # NICs' fabric always (a replica's packages sit on several leaves), the photonic fabric for
    # groups wider than a leaf (``scaleup_leaf_packages``: its down ports over the package's links)
    fab_e, fab_c = tech["fabric"]["electrical"], tech["fabric"]["cpo"]
    scaleout_bw = np.where(on_cpo_fabric, scaleup_bw / fab_c["oversubscription"], nic_bw / fab_e["oversubscription"])
    leaf_ports = fab_c["switch_radix"] * fab_c["oversubscription"] / (1.0 + fab_c["oversubscription"])
    scaleup_leaf = np.where(on_cpo_fabric & (fab_c["oversubscription"] > 1.0),
                            np.floor(leaf_ports / np.maximum(links, 1.0)), np.inf)
    # the packages a group may span and still talk over its links (beyond: the scale-out network)
    switched_domain = np.where(is_cpo, ic("domain_packages"), electrical["domain_packages"])
    direct_domain = np.where(is_cpo, top_d["cpo_max_group_packages"], top_d["electrical_max_group_packages"])
    scaleup_domain = np.select([switched, direct, ocs], [switched_domain, direct_domain, top_o["max_group_packages"]])
    scaleup_latency = np.select([switched, direct, ocs], [ic("latency_s"), top_d["latency_s"], top_o["latency_s"]])
    scaleout_latency = np.where(on_cpo_fabric, ic("latency_s"), electrical["scaleout_latency_s"])

    # --- power ------------------------------------------------------------------------------------
    logic_area = dies * area
    compute_w = dies * power.compute_power_w(np.maximum(units - spare, 0.0), node("dynamic_w_per_unit"), clock,
                                             pwr["dvfs_exponent"], area, node("static_w_per_mm2"))
    hbm_w = power.bandwidth_power_w(hbm_bw, hbm("energy_pj_per_bit"))
    t2_read_bw = t2_devices * t2["read_bandwidth_gb_s"]
    t2_write_bw = t2_devices * t2["write_bandwidth_gb_s"]
    # provisioned for the busier of reading and writing at full rate (one channel does one at a time)
    t2_w = np.maximum(power.bandwidth_power_w(t2_read_bw, t2["read_energy_pj_per_bit"]),
                      power.bandwidth_power_w(t2_write_bw, t2["write_energy_pj_per_bit"]))
    link_w = power.bandwidth_power_w(scaleup_bw, ic("energy_pj_per_bit"))
    d2d_w = np.where(multi_die, power.bandwidth_power_w(d2d["bandwidth_gb_s"], d2d["energy_pj_per_bit"]), 0.0)
    tdp = compute_w + hbm_w + t2_w + link_w + d2d_w + pwr["package_misc_w"]
    scaleout_optics_w = np.where(on_cpo_fabric, 0.0,
                                 power.bandwidth_power_w(nic_bw, electrical["scaleout_energy_pj_per_bit"]))
    host_w = power.host_power_w(tdp, hp["w"] / pph, pwr["host_fraction_of_package_w"]) + scaleout_optics_w
    cooling_limit = np.where(cooling == "air", pwr["air_cooling_limit_w"], pwr["liquid_cooling_limit_w"])

    # --- reliability ------------------------------------------------------------------------------
    fpy = reliability.failures_per_year(logic_area, purchased, links, rel["base_failures_per_year"],
                                        rel["logic_failures_per_year_per_cm2"], hbm("failures_per_year"),
                                        rel["link_failures_per_year"]) + t2_devices * t2["failures_per_year"]

    # the assembly-yield loss; an unmakeable die (no good die per wafer) costs inf and loses inf
    with np.errstate(invalid="ignore"):
        yield_loss = np.where(np.isfinite(bom_cost), bom_cost - (parts + packaging_cost + final_test), np.inf)

    # --- feasibility --------------------------------------------------------------------------------
    checks = np.stack([
        ~in_reticle,
        (compute_region <= 0) | (units < 1) | (enabled_units < 1),
        edge_needed_per_die > edge_usable_per_die + 1e-9,
        interposer > pk_max_area + 1e-9,
        tdp > cooling_limit + 1e-9,
        stacks > hbm_sites,
        ~switched & ((links < 1) | (ocs & ~is_cpo)),
    ])
    mask = np.zeros(n, dtype=np.int64)
    for bit in range(len(REASONS)):
        mask |= checks[bit].astype(np.int64) << bit
    feasible = mask == 0

    return {
        "die_area_mm2": area, "dies_per_package": dies.astype(int), "hbm": _text(hbm_name),
        "hbm_stacks": stacks.astype(int), "links": links.astype(int), "interconnect": _text(ic_name),
        "topology": _text(topo), "is_cpo": is_cpo, "on_cpo_fabric": on_cpo_fabric, "clock": clock, "node": _text(node_name),
        "architecture": _text(node_codes.get(tech["node"], "architecture", "node")), "package": _text(pkg_names),
        "die_short_mm": short, "die_long_mm": long_,
        "units_per_die": units.astype(int), "spare_units_per_die": spare.astype(int),
        "enabled_units": enabled_units.astype(int), "compute_area_mm2": dies * np.maximum(compute_region, 0.0),
        "peak_tflops_bf16": peak_bf16, "peak_tflops_fp8": peak_bf16 * node("fp8_per_bf16"),
        "peak_tflops_fp4": peak_bf16 * node("fp4_per_bf16"),
        "hbm_capacity_gb": hbm_capacity, "hbm_bandwidth_gb_s": hbm_bw,
        # HBM's data bus carries writes at the read rate (one bidirectional bus per channel)
        "hbm_write_bandwidth_gb_s": hbm_bw,
        "memory": t2["label"],
        "tier2": t2["name"], "tier2_devices": t2_devices.astype(int), "tier2_capacity_gb": t2_capacity,
        "tier2_read_bandwidth_gb_s": t2_read_bw, "tier2_write_bandwidth_gb_s": t2_write_bw,
        "tier2_read_energy_pj_per_bit": t2["read_energy_pj_per_bit"],
        "tier2_write_energy_pj_per_bit": t2["write_energy_pj_per_bit"],
        "tier2_retention_s": t2["retention_hours"] * SECONDS_PER_HOUR,
        "tier2_write_endurance_cycles": t2["write_endurance_cycles"],
        "tier2_cost_usd": t2_cost, "tier2_w": t2_w, "memory_capacity_gb": hbm_capacity + t2_capacity,
        "service_life_s": np.full(n, tech["economics"]["lifetime_years"] * HOURS_PER_YEAR * SECONDS_PER_HOUR),
        "scaleup_bandwidth_gb_s": scaleup_bw, "scaleup_domain_packages": scaleup_domain.astype(int),
        "scaleup_latency_s": scaleup_latency, "scaleout_bandwidth_gb_s": scaleout_bw,
        "scaleout_latency_s": scaleout_latency,
        "offpackage_bandwidth_gb_s": 2.0 * (scaleup_bw + np.where(on_cpo_fabric, 0.0, nic_bw)),
        "scaleup_leaf_packages": scaleup_leaf, "scaleup_oversubscription": np.where(on_cpo_fabric, fab_c["oversubscription"], 1.0),
        "d2d_bandwidth_gb_s": np.where(multi_die, d2d["bandwidth_gb_s"], 0.0),
        "shoreline_mm": dies * perimeter, "shoreline_used_mm": dies * edge_needed_per_die,
        "shoreline_usable_mm": dies * edge_usable_per_die,
        "dies_per_wafer": dpw.astype(int), "die_yield": die_yield, "die_cost_usd": die_cost,
        "hbm_cost_usd": hbm_cost, "packaging_cost_usd": packaging_cost, "final_test_cost_usd": final_test,
        "assembly_yield_loss_usd": yield_loss, "bom_cost_usd": bom_cost,
        "assembly_yield": asm_yield,
        "interposer_area_mm2": interposer, "cpo_optics_cost_usd": optics_in_package,
        "unit_cost_usd": unit_cost, "network_cost_usd": network_cost, "network_w": network_w,
        "packages_per_host": pph.astype(int), "pcie_lanes_per_package": lanes.astype(int),
        "host_cost_usd": host_cost, "host_slot_cost_usd": np.full(n, host_slot),
        "host_base_w_share": hp["w"] / pph, "scaleout_gbps": nic_gbps, "scaleout_gbps_per_host": nic_gbps * pph,
        "scaleout_gbps_per_tflops": per_tflops,
        "ocs_ports": np.where(ocs, links * ocs_ports, 0.0),
        "compute_w": compute_w, "hbm_w": hbm_w, "link_w": link_w, "d2d_w": d2d_w,
        "tdp_w": tdp, "host_w": host_w, "cooling_limit_w": cooling_limit,
        "failures_per_year": fpy,
        "feasible": feasible, "infeasible_mask": mask,
    }


def _choose_package(tech, pkg_name, parts_usd, area, dies, memory_devices, memory_footprint, n) -> dict[str, np.ndarray]:
    """Packaging of each SKU: the named technology, or with "auto" the one giving the cheapest good
    package among those whose interposer limit holds the design (the last in preset order if none
    does; the SKU is then reported infeasible). ``memory_devices`` are the bonded memory devices
    (HBM stacks and second-tier devices), ``memory_footprint`` the interposer area of those on it
    [mm^2]. Returns per SKU its name, interposer area, packaging
    cost, assembly yield, final test cost, good-package unit cost and the technology's area limit."""
    names = list(tech["package"]) if pkg_name == "auto" else [pkg_name]
    unknown = [x for x in names if x not in tech["package"]]
    if unknown:
        raise InputError(f"unknown package {unknown[0]!r}", expected="auto or one of " + ", ".join(tech["package"]))
    best: dict[str, np.ndarray] = {}
    for name in reversed(names):                   # the last technology is the fallback
        spec = tech["package"][name]
        interposer = pkg.interposer_area_mm2(area, dies, memory_footprint, spec["interposer_area_overhead"])
        packaging = pkg.packaging_cost_usd(interposer, spec["cost_usd_per_mm2"], spec["substrate_and_assembly_usd"])
        asm_yield = pkg.assembly_yield(dies + memory_devices, spec["assembly_yield_per_component"])
        unit = pkg.good_package_cost_usd(parts_usd, packaging, asm_yield, spec["final_test_usd"])
        this = {"name": np.full(n, name, dtype=object), "interposer": interposer, "packaging": packaging,
                "yield": asm_yield, "final_test": np.full(n, float(spec["final_test_usd"])), "unit_cost": unit,
                "max_area": np.full(n, float(spec["max_interposer_area_mm2"]))}
        if not best:
            best = this
            continue
        fits = interposer <= this["max_area"] + 1e-9
        take = fits & ((best["interposer"] > best["max_area"] + 1e-9) | (unit < best["unit_cost"]))
        best = {k: np.where(take, this[k], best[k]) for k in best}
    return best


def infeasible_reasons(mask: int) -> list[str]:
    """Human reasons for one SKU's ``infeasible_mask``."""
    return [text for bit, (_, text) in enumerate(REASONS) if int(mask) >> bit & 1]


def catalog_names() -> list[str]:
    return list(presets.catalog()[0])


def catalog_design(name: str) -> dict[str, Any]:
    """The design dict of a catalog SKU (a100, h100, h200, b200)."""
    values = presets.catalog()[0]
    key = name.lower()
    if key not in values:
        raise InputError(f"unknown catalog SKU {name!r}", expected="one of " + ", ".join(values))
    return dict(values[key])


def catalog_sku(name: str, tech: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """SKU table (1-element arrays) of a catalog SKU."""
    return evaluate_skus(catalog_design(name), tech)


def sku_card(table: dict[str, np.ndarray], i: int = 0) -> dict[str, Any]:
    """One SKU as a flat dict of plain Python values (the ``litedse sku --format json`` schema)."""
    card = {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in table.items()}
    reasons = infeasible_reasons(card.pop("infeasible_mask"))
    card["feasible"] = bool(card["feasible"])
    if reasons:
        card["infeasible_reason"] = "; ".join(reasons)
    return card


# what `litedse sku --die-area A` assumes for the options it is not given (assumption: a one-die
# package with 4 HBM3e-12hi stacks, CPO, no links, nominal clock)
OPTION_DEFAULTS = {"dies_per_package": 1, "hbm_stacks": 4, "hbm": "hbm3e-12hi", "links": 0,
                   "interconnect": "cpo", "clock": 1.0, "topology": "switched"}


def design_from_options(name: str | None, options: dict[str, Any]) -> dict[str, Any]:
    """The validated design dict of catalog SKU ``name`` or of design ``options`` (DESIGN_AXES keys,
    None = not given; OPTION_DEFAULTS fill the rest), never both."""
    given = {k: v for k, v in options.items() if k in DESIGN_AXES and v is not None}
    if name and given:
        raise InputError("give a catalog name or design parameters, not both", key="sku", value=name)
    if name:
        design = catalog_design(name)
    elif "die_area_mm2" in given:
        design = {**OPTION_DEFAULTS, **given}
    else:
        raise InputError("no SKU given", key="sku",
                         expected="a catalog name (" + ", ".join(catalog_names()) + ") or --die-area")
    validate_design(design)
    return design


# highest clock a design may ask for, as a fraction of nominal (assumption: the DVFS power model,
# about f^3, is not meant to extrapolate beyond twice the nominal clock)
MAX_CLOCK = 2.0
_DESIGN_LIMITS = {   # key: (lowest, lowest allowed?, highest, expectation)
    "die_area_mm2": (0.0, False, np.inf, "a positive area in mm^2"),
    "dies_per_package": (1.0, True, np.inf, "an integer >= 1"),
    "hbm_stacks": (0.0, True, np.inf, "an integer >= 0"),
    "links": (0.0, True, np.inf, "an integer >= 0"),
    "clock": (0.0, False, MAX_CLOCK, f"a fraction of nominal clock in (0, {MAX_CLOCK:g}]"),
}


def validate_design(design: dict[str, Any], where: str = "sku") -> None:
    """Raise InputError naming the first design parameter that is out of range."""
    for key, (low, inclusive, high, expected) in _DESIGN_LIMITS.items():
        if key not in design:
            continue
        values = np.atleast_1d(np.asarray(design[key], dtype=float))
        bad = ~np.isfinite(values) | ((values < low) if inclusive else (values <= low)) | (values > high)
        if key in ("dies_per_package", "hbm_stacks", "links"):
            bad |= values != np.round(values)
        if bad.any():
            raise InputError("out of range", key=f"{where}.{key}", value=values[bad][0].item(), expected=expected)
