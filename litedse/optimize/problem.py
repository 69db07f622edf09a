"""The optimisation problem as plain arrays: the contract between the column builder (space.py),
the two solvers (milp.py, enumerate.py) and the results layer. No Pyomo, no physics here.

Indices: d over die designs D, s over SKUs S (each built on one die design), f over network
fabrics F, w over workloads W, c over columns C (a column = one SKU and one parallel mapping for
one workload). Symbols match formulations/design.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

OBJECTIVES = {"cost": ("min", "usd"), "power": ("min", "w"), "tco": ("min", "usd"), "demand_scale": ("max", "1")}
FAT_TREE_MAX_TIERS = 4


@dataclass(frozen=True)
class Problem:
    # die designs d
    die_labels: list[str]                 # human label of each die design
    die_nre_usd: np.ndarray               # NRE_d: cost of taping out die design d [USD]
    # SKUs s
    sku_die: np.ndarray                   # die design index of SKU s (int)
    sku_capex_usd: np.ndarray             # a_s: capital cost per package (package, attach, host share) [USD]
    sku_it_w: np.ndarray                  # p_s: provisioned IT power per package incl. host [W]
    sku_fabric: np.ndarray                # fabric index f of SKU s (int)
    sku_fabric_ports: np.ndarray          # q_s: fabric endpoint ports per package (int)
    sku_failures_per_year: np.ndarray     # failure rate per package [1/yr] (results, blast radius)
    # fabrics f (fat trees of radix-R switches)
    fabric_names: list[str]
    fabric_radix: np.ndarray              # R_f: switch radix (ports)
    fabric_switch_cost_usd: np.ndarray    # cost of one switch [USD]
    fabric_switch_w: np.ndarray           # power of one switch [W]
    fabric_port_cost_usd: np.ndarray      # optics cost per endpoint port [USD]
    fabric_port_w: np.ndarray             # optics power per endpoint port [W]
    # workloads w
    workload_names: list[str]
    demand: np.ndarray                    # D_w: required throughput (unit of col_throughput)
    demand_unit: list[str]                # e.g. "tokens/s", "requests/s"
    # columns c
    col_workload: np.ndarray              # workload index of column c (int)
    col_sku: np.ndarray                   # SKU index of column c (int)
    col_throughput: np.ndarray            # r_c: throughput of one replica (demand unit)
    col_packages: np.ndarray              # g_c: packages per replica (int)
    col_max_replicas: np.ndarray | None = None  # m_c: most replicas column c may have (training jobs: 1); None = unbounded
    # global parameters
    max_designs: int = 1                  # K: distinct die designs allowed
    charge_nre: bool = False              # whether NRE_d enters capex
    power_budget_w: float = np.inf        # facility power budget [W]
    budget_usd: float = np.inf            # capex budget [USD]
    rack_power_w: float = np.inf          # IT power per rack [W]
    rack_cost_usd: float = 0.0            # cost per rack [USD]
    pue: float = 1.0                      # facility / IT power
    energy_usd_per_w: float = 0.0         # lifetime energy cost per W of facility power [USD/W]
    objective: str = "cost"               # one of OBJECTIVES
    # side tables for results (not used by the solvers)
    sku_table: pd.DataFrame | None = field(default=None, compare=False)
    col_table: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def n_dies(self) -> int:
        return len(self.die_labels)

    @property
    def n_skus(self) -> int:
        return len(self.sku_die)

    @property
    def n_columns(self) -> int:
        return len(self.col_sku)

    @property
    def n_workloads(self) -> int:
        return len(self.workload_names)

    @property
    def n_fabrics(self) -> int:
        return len(self.fabric_names)
