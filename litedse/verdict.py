"""The verdict's reasons and the report, as the public Python API (``litedse.sensitivity``,
``litedse.uncertainty``, ``litedse.report``): apart from litedse/api.py because they need SciPy,
SALib and matplotlib, which take over a second to import, so that a process that only solves
(``litedse solve``, ``compare``, ``pareto``, ``evaluate``) does not pay for them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from litedse.api import Progress, class_names
from litedse.batch.uncertainty import UncertaintyRun, run_uncertainty
from litedse.errors import InputError
from litedse.inputs.classes import BASELINE
from litedse.inputs.instance import Instance
from litedse.optimize.problem import CRITERIA
from litedse.results.report import SENSITIVITY_METRIC, default_pair, report_data, write_report
from litedse.results.sensitivity import sensitivity as _sensitivity


# ---- the verdict's reasons ---------------------------------------------------------------------------

def sensitivity(inst: Instance, classes: list[str] | str, *, metric: str = "capex", params: list[str] | None = None,
                threads: int | None = None) -> pd.DataFrame:
    """The tornado of two design classes ``classes`` (A, B): one row per uncertain parameter (all
    of ``inst.uncertainty``, or ``params``, key paths as an instance overrides them) with the ratio
    A/B of their optimal ``metric`` (capex [USD], tco [USD] or power [W]) at both ends of the
    parameter's range (every other parameter at its default), sorted by swing, and the break-even
    value where the winner flips (NaN if it does not inside the range), certified by solves 2%
    below and above it. ``attrs``: instance, classes, metric, unit, ratio and winner at the
    defaults, values per class, solves, wall_s (README "litedse sensitivity")."""
    return _sensitivity(inst, class_names(classes, inst), metric=metric, params=params, threads=threads)


def uncertainty(inst: Instance, classes: list[str] | str, samples: int, *, seed: int = 0, metric: str = "capex",
                params: list[str] | None = None, sampler: str = "sobol", store: str | None = None,
                resume: bool = False, workers: int | None = None, scheduler: str | None = None,
                progress: bool = False) -> UncertaintyRun:
    """``samples`` quasi-random draws (``sampler`` sobol or lhs, seed ``seed``) of every uncertain
    parameter at once (or of ``params``), each solved for both ``classes`` (A, B) through the batch
    layer into the resumable store ``store`` (``resume`` finishes an interrupted run; ``workers``
    local processes or a Dask ``scheduler`` address). The result's ``summary`` holds P(A beats B),
    quantiles of the ratio A/B of ``metric`` and the Spearman rank correlation of each parameter
    with it; ``samples`` is the DataFrame of every draw and ratio (README "litedse uncertainty")."""
    return run_uncertainty(inst, class_names(classes, inst), samples, seed=seed, metric=metric, params=params,
                           sampler=sampler, store=store, resume=resume, workers=workers, scheduler=scheduler,
                           progress=progress)


# ---- report ----------------------------------------------------------------------------------------

def report(inst: Instance, out_dir: str | Path, classes: list[str] | str | None = None, *, x: str = "cost",
           y: str = "power", points: int | None = None, die_curve: bool = True, fronts: bool = True, pareto_classes=None,
           verdict_classes: list[str] | str | None = None, params: list[str] | None = None, samples: int = 0,
           seed: int = 0, workers: int | None = None, threads: int | None = None,
           progress: Progress | None = None) -> dict[str, Path]:
    """Write the report of ``inst`` to ``out_dir``: index.html (self-contained), report.md,
    report.json, figures/ and tables/. It compares ``classes`` (default lite, monolithic, free),
    draws (with ``fronts``) the Pareto fronts of ``x`` and ``y`` of ``pareto_classes`` (default: every
    compared class with a design; ``points`` as in ``pareto``; None: exact), with ``die_curve``
    solves once per die area of the design space, and opens with the verdict: the tornado of
    ``verdict_classes`` (default lite and the baseline) over ``params`` (None: the report's short
    list of prices; ``[]``: no tornado; ``["all"]``: every uncertain parameter), and with
    ``samples`` > 0 the probability that the first class wins over that many samples of every
    uncertain parameter (seed ``seed``, ``workers`` processes). Returns {"html", "markdown",
    "json"} -> path."""
    names = class_names(classes, inst)
    for key, value in (("x", x), ("y", y)):
        if value not in CRITERIA:
            raise InputError("unknown criterion", key=key, value=value, expected="one of " + ", ".join(CRITERIA))
    if x == y:
        raise InputError("x and y must differ", key="y", value=y)
    pair = tuple(class_names(verdict_classes, inst)) if verdict_classes else default_pair(names, BASELINE)
    keys = None if params is None else list(params)
    if keys == ["all"]:
        keys = list(inst.uncertainty)
    run = None
    metric = SENSITIVITY_METRIC.get(inst.objective.name)
    if samples and pair and metric and keys != []:
        run = run_uncertainty(inst, pair, samples, seed=seed, metric=metric, workers=workers)
    front_classes = None if pareto_classes is None else class_names(pareto_classes, inst)
    data = report_data(inst, names, pareto_axes=(x, y) if fronts else None, pareto_points=points,
                       pareto_classes=front_classes, die_curve=die_curve, threads=threads, sensitivity_classes=pair,
                       sensitivity_params=keys, uncertainty=run, progress=progress)
    return write_report(data, out_dir)
