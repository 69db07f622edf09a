"""2.5D package: interposer area, packaging cost, assembly yield."""

from __future__ import annotations

import numpy as np


def interposer_area_mm2(die_area_mm2, dies_per_package, memory_footprint_mm2, area_overhead):
    """Interposer area = (dies x die area + the footprint of the memory devices on it: HBM stacks
    and on-interposer second-tier devices) x spacing overhead."""
    return (np.asarray(dies_per_package) * np.asarray(die_area_mm2) + np.asarray(memory_footprint_mm2)) * area_overhead


def packaging_cost_usd(interposer_area_mm2_, cost_usd_per_mm2, substrate_and_assembly_usd):
    """Interposer cost proportional to its area plus a fixed substrate/assembly cost."""
    return np.asarray(interposer_area_mm2_) * cost_usd_per_mm2 + substrate_and_assembly_usd


def assembly_yield(bonded_components, yield_per_component):
    """Probability that every bonded die and stack survives assembly: y^components."""
    return np.asarray(yield_per_component, dtype=float) ** np.asarray(bonded_components, dtype=float)


def good_package_cost_usd(known_good_parts_usd, packaging_usd, assembly_yield_, final_test_usd=0.0):
    """A lost package costs its known-good dies and stacks too, and every assembled package is
    tested: (parts + packaging + final test) / assembly yield."""
    return ((np.asarray(known_good_parts_usd) + np.asarray(packaging_usd) + np.asarray(final_test_usd))
            / np.asarray(assembly_yield_))
