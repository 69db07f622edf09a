"""Package power (TDP), host overhead and facility power."""

from __future__ import annotations

import numpy as np


def bandwidth_power_w(bandwidth_gb_s, energy_pj_per_bit):
    """Power of moving ``bandwidth_gb_s`` (GB/s, one direction) at ``energy_pj_per_bit``: GB/s x 8 x pJ/bit."""
    return np.asarray(bandwidth_gb_s) * 8.0 * np.asarray(energy_pj_per_bit) * 1e-3


def compute_power_w(enabled_units, dynamic_w_per_unit, clock, dvfs_exponent, logic_area_mm2, static_w_per_mm2):
    """Dynamic power of the enabled units scaled as clock^exponent over the DVFS range (about f^3:
    voltage tracks frequency) plus leakage proportional to logic area."""
    return (np.asarray(enabled_units) * dynamic_w_per_unit * np.asarray(clock) ** dvfs_exponent
            + np.asarray(logic_area_mm2) * static_w_per_mm2)


def host_power_w(package_w, host_w_per_package, host_fraction_of_package_w):
    """Server overhead attributed to one package: fixed share (CPU, NIC, memory) plus a part that
    scales with package power (fans, power conversion)."""
    return host_w_per_package + host_fraction_of_package_w * np.asarray(package_w)


def facility_power_w(it_power_w, pue):
    """Facility power = IT power x PUE."""
    return np.asarray(it_power_w) * pue
