"""Lite-GPU vs monolithic: one optimal solve per design class, the metrics that explain the verdict,
and the ratio of every class to the baseline (``monolithic``).

``compare_instance`` returns a ``Comparison``: per class the ``SolveResult`` and a flat metrics
dict; ``to_dict`` is the ``litedse compare --format json`` document (``classes`` keyed by class
name, each the ``solve`` JSON plus ``class`` and ``metrics``; ``ratios`` per class and metric).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from litedse.errors import InputError
from litedse.inputs.classes import BASELINE, DEFAULT_CLASSES, DesignClass, resolve_class
from litedse.inputs.instance import Instance
from litedse.results.documents import solve_document
from litedse.results.metrics import METRICS, breakdowns, class_metrics, repair_hours_of
from litedse.results.provenance import provenance
from litedse.results.tables import format_ratio
from litedse.solve import SolveResult, solve_instance

COMPARE_SCHEMA_VERSION = 2     # 2: provenance (of the run, and in each class's solve document)


@dataclass
class ClassResult:
    cls: DesignClass
    result: SolveResult
    doc: dict                          # the solve JSON document
    metrics: dict[str, Any] = field(default_factory=dict)
    cost_breakdown: dict[str, float] = field(default_factory=dict)    # USD by component
    power_breakdown: dict[str, float] = field(default_factory=dict)   # W by component

    @property
    def feasible(self) -> bool:
        return self.result.solution.feasible


@dataclass
class Comparison:
    instance: Instance
    classes: dict[str, ClassResult]
    baseline: str = BASELINE
    wall_s: float = 0.0
    repair_hours: float = math.nan   # h per failure, of the instance's technology

    def ratios(self) -> dict[str, dict[str, float | None]]:
        """metric(class) / metric(baseline) for every quantitative metric; None where undefined."""
        base = self.classes.get(self.baseline)
        out: dict[str, dict[str, float | None]] = {}
        for name, cr in self.classes.items():
            row: dict[str, float | None] = {}
            for key, _, _ in METRICS:
                a = cr.metrics.get(key)
                b = None if base is None else base.metrics.get(key)
                ok = all(isinstance(v, (int, float)) and math.isfinite(v) for v in (a, b)) and b != 0
                row[key] = float(a) / float(b) if ok else None
            out[name] = row
        return out

    def long_frame(self) -> pd.DataFrame:
        """One row per class: metrics and ratios to the baseline (for CSV)."""
        ratios = self.ratios()
        recs = []
        for name, cr in self.classes.items():
            rec = {"class": name, "status": cr.doc["status"], "design": cr.metrics.get("design", ""),
                   "interconnect": cr.metrics.get("interconnect")}
            rec.update({k: cr.metrics.get(k) for k, _, _ in METRICS})
            rec.update({f"ratio_{k}": v for k, v in ratios[name].items()})
            recs.append(rec)
        return pd.DataFrame(recs)

    def to_dict(self) -> dict:
        return {
            "schema_version": COMPARE_SCHEMA_VERSION,
            "instance": self.instance.name,
            "baseline": self.baseline,
            "repair_hours": self.repair_hours,
            "wall_s": self.wall_s,
            "classes": {name: {**cr.doc, "class": {"name": name, "description": cr.cls.description,
                                                   "sku": cr.cls.sku, "design_space": cr.cls.design_space,
                                                   "sources": cr.cls.sources},
                               "metrics": cr.metrics,
                               "breakdown": {"cost_usd": cr.cost_breakdown, "power_w": cr.power_breakdown}}
                        for name, cr in self.classes.items()},
            "ratios": self.ratios(),
            "metrics": [{"key": k, "label": lab, "unit": u} for k, lab, u in METRICS],
            "verdict": headline(self),
            "provenance": provenance(self.instance),
        }


def compare_instance(inst, classes: list[str] | None = None, *, objective: str | None = None,
                     baseline: str | None = None, time_limit_s: float | None = None,
                     threads: int | None = None, progress=None) -> Comparison:
    """One optimal solve per class of ``inst`` (default: lite, monolithic, free); ratios divide by
    ``baseline`` (default: monolithic, or the last class when monolithic is not compared);
    ``progress(done, total, what)`` is called after each class's solve."""
    t0 = time.perf_counter()
    names = list(classes or DEFAULT_CLASSES)
    if baseline is None:
        baseline = BASELINE if BASELINE in names else names[-1]
    if baseline not in names:
        raise InputError("the baseline is not one of the compared classes", key="--baseline", value=baseline,
                         expected="one of " + ", ".join(names))
    rh = repair_hours_of(inst)
    out: dict[str, ClassResult] = {}
    for i, name in enumerate(names):
        if progress is not None:
            progress(i, len(names), f"solving {name}")
        cls = resolve_class(inst, name)
        res = solve_instance(inst, objective=objective, time_limit_s=time_limit_s, threads=threads,
                             **cls.solve_kwargs())
        cost, power = breakdowns(res)
        out[name] = ClassResult(cls=cls, result=res, doc=solve_document(res), metrics=class_metrics(res, rh),
                                cost_breakdown=cost, power_breakdown=power)
        if progress is not None:
            progress(i + 1, len(names), f"{name} solved ({res.solution.status})")
    return Comparison(instance=inst, classes=out, baseline=baseline, wall_s=time.perf_counter() - t0,
                      repair_hours=rh)


LITE = "lite"
# how the headline words the winner of each objective: (what the winner does, verb of lite)
_HEADLINE_WORDS = {"cost": ("is cheaper", "costs"), "tco": ("is cheaper over its lifetime (TCO)", "costs"),
                   "power": ("draws less power", "draws"), "demand_scale": ("serves more demand", "serves")}


def best_class(comp: Comparison) -> str | None:
    """The class with the best objective (the first of a tie), None if no class has a design."""
    feas = {n: cr for n, cr in comp.classes.items() if cr.feasible}
    if not feas:
        return None
    sense = -1 if next(iter(feas.values())).doc["objective"]["sense"] == "max" else 1
    return min(feas, key=lambda n: sense * feas[n].metrics["objective"])


def headline(comp: Comparison) -> str:
    """The verdict in one sentence, on the objective: e.g. "monolithic is cheaper: lite costs
    2.59x as much". Lite against the baseline when both have a design, else which classes have one."""
    feas = {n: cr for n, cr in comp.classes.items() if cr.feasible}
    if not feas:
        return "no class has a feasible design"
    obj = next(iter(feas.values())).doc["objective"]
    predicate, verb = _HEADLINE_WORDS.get(obj["name"], ("is better", "scores"))
    base = comp.baseline
    if LITE in feas and base in feas and base != LITE:
        a, b = feas[LITE].metrics["objective"], feas[base].metrics["objective"]
        if not b:
            return f"{base} has a zero {obj['name']}; no ratio"
        r = a / b
        if math.isclose(r, 1.0, rel_tol=1e-6):
            return f"{LITE} and {base} tie on {obj['name']}"
        lite_wins = r < 1 if obj["sense"] == "min" else r > 1
        winner = LITE if lite_wins else base
        return f"{winner} {predicate}: {LITE} {verb} {format_ratio(r)} " + (
            "the demand scale of " + base if obj["sense"] == "max" else f"as much as {base}")
    missing = [n for n in (LITE, base) if n in comp.classes and n not in feas]
    text = f"{best_class(comp)} is best on {obj['name']}"
    return text + (f"; {' and '.join(missing)} infeasible" if missing else "")
