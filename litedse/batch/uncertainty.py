"""``litedse uncertainty``: quasi-random samples of every uncertain parameter of an instance at
once, one optimal solve per (sample, class) as batch tasks into a resumable results store, and
the probability that one class beats the other.

Samples are a scrambled Sobol sequence (``scipy.stats.qmc``; a Latin hypercube when the sample
count is not a power of two, where Sobol's balance does not hold) mapped to each parameter's
range by its distribution: uniform, log-uniform, or triangular with its peak at the default. The
seed fixes the samples, so the same seed gives the same solves and the same statistics. Each
sample is the instance file with the sampled values set by key path (and the metric's objective),
validated as a file would be; its task key is the resolved instance's hash, so a killed run
resumes with ``--resume`` and loses and repeats no sample.
"""

from __future__ import annotations

import copy
import math
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from litedse.batch.run import BatchSummary, run_batch
from litedse.batch.store import Store
from litedse.errors import InputError
from litedse.inputs.classes import memory_options_in_use, resolve_class
from litedse.inputs.instance import Instance, instance_from_dict, read_instance_toml
from litedse.inputs.overrides import set_key_path
from litedse.inputs.uncertainty import Parameter, parameters
from litedse.results.sensitivity import METRICS
from litedse.results.uncertainty import metric_column, summarize

SAMPLERS = ("sobol", "lhs")


def unit_samples(n: int, d: int, seed: int, sampler: str = "sobol") -> tuple[np.ndarray, str]:
    """(n, d) points in the unit cube and the sampler used: scrambled Sobol (for a power of two;
    otherwise a Latin hypercube) or a Latin hypercube."""
    if n < 1:
        raise InputError("too few samples", key="--samples", value=n, expected="at least 1")
    if sampler not in SAMPLERS:
        raise InputError("unknown sampler", key="--sampler", value=sampler, expected="one of " + ", ".join(SAMPLERS))
    if sampler == "sobol" and n & (n - 1) == 0:
        return qmc.Sobol(d, scramble=True, seed=seed).random(n), "sobol"
    return qmc.LatinHypercube(d, seed=seed).random(n), "lhs"


def to_ranges(u: np.ndarray, pars: list[Parameter]) -> np.ndarray:
    """Unit-cube points mapped to each parameter's range by its distribution (vectorised per column)."""
    out = np.empty_like(u)
    for j, p in enumerate(pars):
        lo, hi, col = p.range.low, p.range.high, u[:, j]
        if p.range.distribution == "loguniform":
            out[:, j] = np.exp(np.log(lo) + col * (np.log(hi) - np.log(lo)))
        elif p.range.distribution == "triangular":
            out[:, j] = stats.triang.ppf(col, (p.default - lo) / (hi - lo), loc=lo, scale=hi - lo)
        else:
            out[:, j] = lo + col * (hi - lo)
    return np.clip(out, [p.range.low for p in pars], [p.range.high for p in pars])


@dataclass
class UncertaintyRun:
    instance: str
    classes: tuple[str, str]
    metric: str
    seed: int
    sampler: str
    keys: list[str]
    samples: pd.DataFrame                # per sample: parameter values, metric:<class>, ratio, winner
    summary: dict
    batch: BatchSummary | None = None
    store: str | None = None
    timings: dict = field(default_factory=dict)


def plan_samples(inst: Instance, classes: tuple[str, str], n: int, seed: int = 0, metric: str = "capex",
                 params: list[str] | None = None, sampler: str = "sobol") -> tuple[list[dict], pd.DataFrame, list[Parameter], str]:
    """The batch tasks (one per sample and class), the sampled values (one row per sample) and the
    parameters sampled, each sample validated as an instance file."""
    if inst.path is None:
        raise InputError("uncertainty needs an instance file (the tasks rebuild it on the workers)", key="INSTANCE")
    if metric not in METRICS:
        raise InputError("unknown metric", key="--metric", value=metric, expected="one of " + ", ".join(METRICS))
    for c in classes:
        resolve_class(inst, c)
    pars = parameters(inst, params, memory_options_in_use(inst, classes))
    if not pars:
        raise InputError("the instance has no uncertain parameter", file=inst.path, key="uncertainty")
    u, sampler = unit_samples(n, len(pars), seed, sampler)
    values = to_ranges(u, pars)
    keys = [p.key for p in pars]
    base = read_instance_toml(inst.path)
    base["objective"] = {**base.get("objective", {}), "minimize": METRICS[metric][0]}
    base["objective"].pop("maximize", None)
    study = f"uncertainty:{inst.name}:{metric}:{sampler}:seed{seed}:n{n}"
    tasks, task_keys = [], []
    for i, row in enumerate(values):
        data = copy.deepcopy(base)
        point = {k: float(v) for k, v in zip(keys, row)}
        for k, v in point.items():
            set_key_path(data, k, v)
        key = instance_from_dict(data, source=inst.path).key()
        task_keys.append(key)
        for c in classes:
            tasks.append({"key": key, "class": c, "source": inst.path, "point": i, "sweep": point,
                          "instance_name": inst.name, "study": study, "instance": {"data": data, "source": inst.path},
                          "options": {"threads": 1}})
    frame = pd.DataFrame(values, columns=keys)
    frame.insert(0, "key", task_keys)
    frame.index.name = "sample"
    return tasks, frame, pars, sampler


def collect(store: Store, frame: pd.DataFrame, classes: tuple[str, str]) -> pd.DataFrame:
    """The samples frame with each class's metric from the store (inf: no design; NaN: not solved
    or failed), the ratio A/B and the winner."""
    rows = store.read()
    out = frame.copy()
    for c in classes:
        mine = rows[rows["class"] == c].set_index("key")
        value = mine["objective_value"].astype(float) if len(mine) else pd.Series(dtype=float)
        status = mine["status"] if len(mine) else pd.Series(dtype=object)
        metric = frame["key"].map(value)
        infeasible = frame["key"].map(status).isin(["infeasible"])
        out[metric_column(c)] = np.where(infeasible, np.inf, metric.to_numpy(float))
    a, b = (out[metric_column(c)].to_numpy(float) for c in classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["ratio"] = np.where(np.isfinite(a) & np.isfinite(b), a / b, np.nan)
    winner = np.where(a < b, classes[0], np.where(b < a, classes[1], np.where(a == b, "tie", None)))
    out["winner"] = np.where(np.isnan(a) | np.isnan(b) | (np.isinf(a) & np.isinf(b)), None, winner)
    return out


def run_uncertainty(inst: Instance, classes: tuple[str, str] | list[str], n: int, *, seed: int = 0,
                    metric: str = "capex", params: list[str] | None = None, sampler: str = "sobol",
                    store: str | None = None,
                    resume: bool = False, workers: int | None = None, scheduler: str | None = None,
                    progress: bool = False) -> UncertaintyRun:
    """Sample, solve every (sample, class) through ``litedse.batch.run.run_batch`` into ``store``
    (a temporary directory if None) and summarise. ``resume`` finishes an interrupted run of the
    same instance, classes, metric, seed and count."""
    classes = tuple(classes)
    if len(classes) != 2 or classes[0] == classes[1]:
        raise InputError("two different design classes needed", key="--classes", value=",".join(classes),
                         expected="A,B, e.g. lite,monolithic")
    t0 = time.perf_counter()
    tasks, frame, pars, sampler = plan_samples(inst, classes, n, seed, metric, params, sampler)
    t_plan = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="litedse-uncertainty-") as tmp:
        path = store or tmp
        summary = run_batch(tasks, path, workers=workers, scheduler=scheduler, resume=resume, progress=progress)
        samples = collect(Store(path), frame, classes)
    keys = [p.key for p in pars]
    stats_ = summarize(samples, keys, classes)
    return UncertaintyRun(instance=inst.name, classes=classes, metric=metric, seed=seed, sampler=sampler, keys=keys,
                          samples=samples, summary=stats_, batch=summary, store=store,
                          timings={"plan_s": t_plan, "wall_s": time.perf_counter() - t0,
                                   "batch_s": summary.wall_s})


def probability_sentence(run: UncertaintyRun) -> str:
    A, B = run.classes
    s = run.summary
    word = "cheaper" if run.metric != "power" else "lower in power"
    if not math.isfinite(s["p_a_wins"]):
        return "no sample has a design of either class"
    q = s["ratio_quantiles"]
    return (f"P({A} {word}) = {s['p_a_wins']:.2f} over {s['decided']} samples of {len(run.keys)} parameters "
            f"({run.sampler}, seed {run.seed}); {A}/{B} median {q['0.5']:.3g}, 90% within "
            f"[{q['0.05']:.3g}, {q['0.95']:.3g}]")


def attribution_frame(run: UncertaintyRun, top: int = 10) -> pd.DataFrame:
    """The ``top`` parameters by |Spearman rho| with the log ratio, for tables."""
    return pd.DataFrame(run.summary["attribution"][:top], columns=["key", "spearman_rho", "rho_squared", "p_value"])
