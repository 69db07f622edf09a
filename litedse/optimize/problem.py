"""The optimisation problem as plain arrays: the contract between the column builder
(litedse.columns), the two solvers (milp, enumerate) and the results layer, and the one list of
criteria a design is judged by. No Pyomo, no physics here.

Indices: d over die designs D, s over SKUs S (each built on one die design), f over network
fabrics F, w over workloads W, c over columns C (a column = one SKU and one parallel mapping for
one workload). Symbols match formulations/design.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd



@dataclass(frozen=True)
class Criterion:
    """A quantity a design is judged by: its sense, unit and axis label."""

    name: str
    sense: str            # "min" or "max"
    unit: str             # unit of the solve JSON's objective.unit
    label: str            # axis label with the unit


# the one list of criteria; the first four are solve objectives, all five are Pareto criteria
CRITERIA = {c.name: c for c in (
    Criterion("cost", "min", "usd", "capital cost [USD]"),
    Criterion("power", "min", "w", "facility power [W]"),
    Criterion("tco", "min", "usd", "TCO [USD]"),
    Criterion("demand_scale", "max", "1", "demand scale [-]"),
    Criterion("blast_radius", "min", "h/yr", "blast radius [h/yr]"),
)}
OBJECTIVES = ("cost", "power", "tco", "demand_scale")
MIN_OBJECTIVES = ("cost", "power", "tco")


def criterion_value(name: str, *, capex, facility, tco, demand_scale=1.0, blast_radius=np.nan):
    """The value of criterion ``name`` from a design's totals (scalars or arrays alike)."""
    return {"cost": capex, "power": facility, "tco": tco, "demand_scale": demand_scale,
            "blast_radius": blast_radius}[name]


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
    sku_fabric_ports: np.ndarray          # q_s: fabric endpoint ports per package (may be fractional)
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
    fabric_oversubscription: np.ndarray | None = None  # o_f >= 1 of each fabric's leaf tier; None = non-blocking
    # hosts: each holds up to h_s packages of one SKU and costs its base once
    sku_packages_per_host: np.ndarray | None = None  # h_s; None = no hosts in the model
    host_cost_usd: float = 0.0            # eta: base cost of one host (slots are in a_s) [USD]
    host_w: float = 0.0                   # eta^W: fixed power of one host [W]
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


def per_package_value(problem: Problem, criterion: str) -> np.ndarray:
    """What one package of each SKU adds at least to a min criterion (cost, power, tco) before
    fabric, racks and NRE: a_s + eta / h_s, PUE (p_s + eta^W / h_s), or their TCO combination
    (a lower bound: a design pays ceil(N_s / h_s) hosts, at least N_s / h_s)."""
    p = problem
    capex, it_w = p.sku_capex_usd.astype(float), p.sku_it_w.astype(float)
    if p.sku_packages_per_host is not None:
        # a package's share of its host: at least the host over the packages it holds
        capex = capex + p.host_cost_usd / p.sku_packages_per_host
        it_w = it_w + p.host_w / p.sku_packages_per_host
    facility = p.pue * it_w
    return criterion_value(criterion, capex=capex, facility=facility, tco=capex + p.energy_usd_per_w * facility)


def blast_radius_per_column(problem: Problem, repair_hours: float) -> np.ndarray:
    """b_c = g_c * failures per package-year * repair hours [h/yr]: the expected hours per year one
    replica of column c is down (any failed package takes its replica down for the repair time).
    The same for every replica count, so a workload's expected lost share of capacity is
    b_c / HOURS_PER_YEAR whatever n_c is: the criterion is linear in the column choice alone."""
    p = problem
    return p.col_packages.astype(float) * p.sku_failures_per_year[p.col_sku].astype(float) * float(repair_hours)


def oversubscription(problem: Problem) -> np.ndarray:
    """o_f per fabric (1 = non-blocking)."""
    p = problem
    return np.ones(p.n_fabrics) if p.fabric_oversubscription is None else np.asarray(p.fabric_oversubscription, float)
