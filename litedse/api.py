"""The public Python API: what ``litedse/__init__.py`` exports and what every CLI command calls.

Functions take and return plain objects and pandas data: ``litedse.load`` (the instance reader,
``litedse.inputs.instance.load``) reads an ``Instance``;
``Instance.with_overrides`` derives a changed copy; ``solve`` gives a ``Solution``; ``compare`` a
``Comparison`` of design classes; ``pareto`` and ``evaluate`` data frames. Units are in the column
names (``capex_usd``, ``facility_power_w``, ``die_area_mm2``, ``ttft_s``), as in the JSON documents
(README "Solve JSON schema"). Errors are the exceptions of ``litedse.errors``: ``InputError`` for
bad input (a one-line message naming the file, key and value), ``InternalError`` when a re-check
fails, ``SolverError`` when the solver stops without a result it can vouch for.

Long calls take ``progress``: a callable ``progress(done, total, what)`` called as the work
advances (``what`` names the step, e.g. "solving lite", "lite solved"); printing is the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from litedse.errors import InputError
from litedse.inputs.classes import parse_class_list, resolve_class
from litedse.inputs.instance import Instance
from litedse.jsonable import jsonable
from litedse.optimize.pareto import MAX_POINTS
from litedse.results import compare as _compare
from litedse.results.documents import front_document, solve_document
from litedse.results.fronts import fronts_table, pareto_instance
from litedse.results.metrics import METRICS
from litedse.solve import SolveResult, solve_instance
from litedse.tech.sku import design_from_options, evaluate_skus, infeasible_reasons
from litedse.workload.evaluate import evaluate_instance, explain_rows
from litedse.workload.performance import MAPPING_KEYS

Progress = Callable[[int, int, str], None]
# the SKU figures ``evaluate`` reports beside the workloads (DataFrame.attrs["sku"])
SKU_FIGURES = ("peak_tflops_bf16", "peak_tflops_fp8", "hbm_capacity_gb", "hbm_bandwidth_gb_s", "scaleup_bandwidth_gb_s",
               "scaleup_domain_packages", "scaleout_bandwidth_gb_s", "unit_cost_usd", "tdp_w", "memory", "tier2",
               "tier2_capacity_gb", "tier2_read_bandwidth_gb_s", "tier2_write_bandwidth_gb_s")


def class_names(classes: list[str] | str | None, inst: Instance) -> list[str]:
    """Class names as a list or comma-separated text, checked against the instance's classes."""
    return parse_class_list(classes if isinstance(classes, str) or classes is None else ",".join(classes), inst)


def _json_text(doc: dict) -> str:
    return json.dumps(jsonable(doc), indent=2)


# ---- solve -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Solution:
    """One optimal (or time-limited, or infeasible) solve of an instance.

    ``status``: ``optimal`` | ``feasible`` | ``time_limit`` | ``infeasible``; ``objective``: the
    objective's value in ``objective_unit`` (``usd`` for cost and TCO, ``w`` of facility power, ``1``
    for demand_scale), None without a design. ``designs``: one row per package design used (die,
    HBM, links, packages, unit cost in USD, TDP in W, ...); ``workloads``: one row per workload
    (mapping tp/pp/dp/ep/batch/microbatch, replicas, packages, throughput and demand in ``unit``,
    TTFT and TPOT in s); ``totals``: capex_usd, it_power_w, facility_power_w, tco_usd, packages,
    switches, racks, hosts, ... ``document`` is the ``litedse solve --format json`` object and
    ``to_json()`` its text.
    """

    result: SolveResult
    document: dict

    @property
    def status(self) -> str:
        return self.document["status"]

    @property
    def feasible(self) -> bool:
        return bool(self.document["designs"])

    @property
    def objective(self) -> float | None:
        return self.document["objective"]["value"]

    @property
    def objective_name(self) -> str:
        return self.document["objective"]["name"]

    @property
    def objective_unit(self) -> str:
        return self.document["objective"]["unit"]

    @property
    def explanation(self) -> str | None:
        return self.document["explanation"]

    @property
    def binding_constraints(self) -> list[str]:
        return list(self.document["binding_constraints"])

    @property
    def designs(self) -> pd.DataFrame:
        return pd.DataFrame(self.document["designs"])

    @property
    def workloads(self) -> pd.DataFrame:
        rows = [{**{k: v for k, v in w.items() if k != "mapping"}, **w["mapping"]} for w in self.document["workloads"]]
        return pd.DataFrame(rows)

    @property
    def totals(self) -> pd.Series:
        return pd.Series(self.document["totals"], name="totals", dtype=float)

    @property
    def breakdown(self) -> pd.DataFrame:
        """Capex [USD] and facility power [W] by component: columns ``capex_usd`` and ``power_w``."""
        b = self.document["breakdown"] or {"capex_usd": {}, "power_w": {}}
        return pd.DataFrame({"capex_usd": pd.Series(b["capex_usd"], dtype=float),
                             "power_w": pd.Series(b["power_w"], dtype=float)})

    def to_json(self) -> str:
        """The solve JSON document as text (README "Solve JSON schema")."""
        return _json_text(self.document)


def solve(inst: Instance, objective: str | None = None, design_class: str | None = None, method: str = "auto",
          time_limit_s: float | None = None, *, mip_gap: float | None = None, threads: int | None = None,
          sku: str | None = None, memory_budget_gb: float | None = None) -> Solution:
    """The optimal design of ``inst``, proven optimal and re-checked.

    ``objective``: cost | power | tco | demand_scale (default: the instance's). ``design_class``:
    restrict the design space to a class (``lite``, ``monolithic``, ``free``, a catalog SKU such as
    ``h100``, or an instance ``[classes.<name>]``); ``sku``: fix the design to a catalog SKU
    (not both). ``method`` is passed to the solver as given (``auto``, the CLI's default, picks
    ``enumerate`` or ``milp`` by the problem's size); ``time_limit_s`` in seconds; ``mip_gap``
    relative; ``threads`` for HiGHS; ``memory_budget_gb`` for the column enumeration.
    """
    kwargs: dict[str, Any] = {}
    if design_class is not None:
        if sku is not None:
            raise InputError("give a design class or a SKU, not both", key="design_class", value=design_class)
        kwargs = resolve_class(inst, design_class).solve_kwargs()
    elif sku is not None:
        kwargs = {"sku": sku}
    res = solve_instance(inst, objective=objective, method=method, time_limit_s=time_limit_s, mip_gap=mip_gap,
                         threads=threads, memory_budget_gb=memory_budget_gb, **kwargs)
    return Solution(result=res, document=solve_document(res))



# ---- compare ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """One optimal solve per design class of an instance, side by side.

    ``table``: a DataFrame with one row per metric (index: ``capex_usd``, ``it_power_w``,
    ``facility_power_w``, ``tco_usd``, ``packages``, ... in the units their names say; labels in
    ``litedse.results.metrics.METRICS``) and one column per class; None where a class has no design.
    ``ratios``: the same shape, each class divided by ``baseline`` (``monolithic``). ``status`` and
    ``designs``: Series by class. ``verdict``: one sentence stating which side is cheaper and by how
    much. ``solutions``: class -> ``Solution``. ``to_dict()`` / ``to_json()``: the
    ``litedse compare --format json`` document.
    """

    result: _compare.Comparison

    @property
    def baseline(self) -> str:
        return self.result.baseline

    @property
    def classes(self) -> list[str]:
        return list(self.result.classes)

    @property
    def table(self) -> pd.DataFrame:
        keys = [k for k, _, _ in METRICS]
        return pd.DataFrame({n: [cr.metrics.get(k) for k in keys] for n, cr in self.result.classes.items()},
                            index=pd.Index(keys, name="metric"))

    @property
    def ratios(self) -> pd.DataFrame:
        keys = [k for k, _, _ in METRICS]
        r = self.result.ratios()
        return pd.DataFrame({n: [r[n].get(k) for k in keys] for n in self.result.classes},
                            index=pd.Index(keys, name="metric"), dtype=float)

    @property
    def status(self) -> pd.Series:
        return pd.Series({n: cr.doc["status"] for n, cr in self.result.classes.items()}, name="status")

    @property
    def designs(self) -> pd.Series:
        return pd.Series({n: cr.metrics.get("design") for n, cr in self.result.classes.items()}, name="design")

    @property
    def solutions(self) -> dict[str, Solution]:
        return {n: Solution(result=cr.result, document=cr.doc) for n, cr in self.result.classes.items()}

    @property
    def verdict(self) -> str:
        return _compare.headline(self.result)

    def long_frame(self) -> pd.DataFrame:
        """One row per class: status, design, every metric and its ratio (``ratio_<metric>``)."""
        return self.result.long_frame()

    def to_dict(self) -> dict:
        return self.result.to_dict()

    def to_json(self) -> str:
        return _json_text(self.to_dict())


def compare(inst: Instance, classes: list[str] | str | None = None, *, objective: str | None = None,
            baseline: str | None = None, time_limit_s: float | None = None, threads: int | None = None,
            progress: Progress | None = None) -> Comparison:
    """Solve ``inst`` once per design class (default ``["lite", "monolithic", "free"]``; a
    comma-separated string works too) and compare the optima; ratios divide by ``baseline``
    (default: monolithic, or the last class when monolithic is not compared)."""
    names = class_names(classes, inst)
    return Comparison(_compare.compare_instance(inst, names, objective=objective, baseline=baseline,
                                                time_limit_s=time_limit_s, threads=threads, progress=progress))


# ---- pareto ----------------------------------------------------------------------------------------

def pareto(inst: Instance, x: str = "cost", y: str = "power", classes: list[str] | str | None = None,
           points: int | None = 20, *, max_points: int = MAX_POINTS, threads: int | None = None,
           time_limit_s: float | None = None, progress: Progress | None = None) -> pd.DataFrame:
    """Exact Pareto fronts of ``inst`` for criteria ``x`` and ``y`` (cost: capex USD, power: facility
    W, tco: USD, demand_scale, blast_radius: expected replica downtime h/yr), one per design class
    (default lite and monolithic).

    ``points``: an AUGMECON2 grid of that many epsilon values; None: the exact front (up to
    ``max_points`` points per class). Returns one row per point: ``class``, ``x``, ``y``, every
    criterion by name, ``design``, ``packages`` and the design axes of the point's first SKU.
    ``df.attrs["fronts"]`` holds each class's front document (status, solves, wall_s, points) as
    ``litedse pareto --format json`` prints it.
    """
    names = None if classes is None else class_names(classes, inst)
    fronts = pareto_instance(inst, x, y, names, points=points, max_points=max_points, threads=threads,
                             time_limit_s=time_limit_s, progress=progress)
    df = fronts_table(fronts)
    df.attrs["fronts"] = {n: jsonable(front_document(f)) for n, (f, _) in fronts.items()}
    return df


# ---- evaluate --------------------------------------------------------------------------------------

def _plain(value):
    """A numpy scalar as its Python value (text columns hold Python str already)."""
    return value.item() if hasattr(value, "item") else value


def evaluate(inst: Instance, sku: str | dict, *, recompute: str | None = None, explain: bool = False,
             **mapping: int) -> pd.DataFrame:
    """The performance model's figures for every workload of ``inst`` on one fixed package design.

    ``sku``: a catalog name (a100, h100, h200, b200) or a dict of design axes (``die_area_mm2``,
    ``dies_per_package``, ``hbm_stacks``, ``hbm``, ``links``, ``interconnect``, ``clock``,
    ``topology``, ``memory``; missing ones take the ``litedse sku`` defaults). ``mapping``: any of tp,
    pp, dp, ep, batch, microbatch fixed; the others are chosen (the feasible mapping with the highest
    throughput per package). Returns one row per workload: name, kind, the mapping, throughput and
    latency figures (s, tokens/s), ``fits``, the memory placement as ``memory_<figure>`` columns
    (``memory_weights``, ``memory_kv``: hbm, tier2, striped, spill or a weights fraction such as 75%;
    ``memory_weights_tier2_share``, ``memory_tier1_gb``, ...), and the time
    breakdown as ``breakdown_<part>`` columns [s per ``breakdown_per``]. ``df.attrs``: ``sku`` (the design's card), ``workloads`` (the rows as the
    JSON document nests them) and, with ``explain``, ``assumptions``.
    """
    unknown = [k for k in mapping if k not in MAPPING_KEYS]
    if unknown:
        raise InputError("unknown mapping key", key=unknown[0], expected="one of " + ", ".join(MAPPING_KEYS))
    name, options = (sku, {}) if isinstance(sku, str) else (None, dict(sku))
    table = evaluate_skus(design_from_options(name, options), inst.technology)
    fixed = {k: int(v) for k, v in mapping.items() if v is not None}
    results = evaluate_instance(inst, table, fixed, recompute)
    rows = []
    for r in results:
        row = {k: v for k, v in r.items() if k not in ("mapping", "breakdown", "model", "memory")}
        row.update(r["mapping"])
        row.update({f"memory_{k}": v for k, v in r["memory"].items() if k != "tier_failures"})
        row.update({f"breakdown_{k}": v for k, v in r["breakdown"].items()})
        row.update({f"model_{k}": v for k, v in r["model"].items()})
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["sku"] = {"name": name or "custom", **{k: _plain(table[k][0]) for k in SKU_FIGURES},
                       "feasible": bool(table["feasible"][0]),
                       "infeasible_reasons": infeasible_reasons(int(table["infeasible_mask"][0]))}
    df.attrs["workloads"] = results
    if explain:
        df.attrs["assumptions"] = explain_rows(inst)
    return df
