"""Failure rate per package and the expected availability it implies."""

from __future__ import annotations

import numpy as np

from litedse.units import HOURS_PER_YEAR


def failures_per_year(logic_area_mm2, hbm_stacks, links, base_failures_per_year,
                      logic_failures_per_year_per_cm2, hbm_failures_per_year, link_failures_per_year):
    """Failure rate of one package: base + silicon area + HBM stacks + links (calibrated on the
    Llama 3 paper's 419 unexpected interruptions in 54 days on 16,384 H100s, 78% hardware)."""
    return (base_failures_per_year
            + np.asarray(logic_area_mm2) / 100.0 * logic_failures_per_year_per_cm2
            + np.asarray(hbm_stacks) * hbm_failures_per_year
            + np.asarray(links) * link_failures_per_year)


def replica_availability(packages_per_replica, failures_per_year_, repair_hours):
    """Expected fraction of time a replica of ``packages_per_replica`` packages is up, when any
    package failure takes the whole replica down for ``repair_hours``: 1 / (1 + lambda_rep * MTTR)."""
    downtime = np.asarray(packages_per_replica) * np.asarray(failures_per_year_) * repair_hours / HOURS_PER_YEAR
    return 1.0 / (1.0 + downtime)
