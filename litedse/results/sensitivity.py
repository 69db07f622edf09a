"""The verdict's reasons, one assumption at a time: for each uncertain parameter of an instance, the
ratio of two design classes' optimal metric at both ends of its range (a tornado, sorted by swing),
and the break-even value inside the range where the winner flips, certified by solving 2% below and
2% above it.

Each point is a full optimal solve of both classes (``litedse.solve.solve_instance``, independent
re-checks included) on a deep copy of the instance with the one parameter changed. Two ways to
find a break-even between two values whose winners differ:

- ``exact-linear``, for a price (a USD-valued parameter or a pricing markup) under capex or TCO:
  for a fixed design the metric is affine in the price, so each class's optimum is the lower
  envelope of the affine functions of its designs, a concave piecewise-linear function. The line
  of an optimal design is known from its totals on the builds at both range ends (the same columns,
  other prices); the next point is where the two classes' lines cross, re-solved until the two
  optima are equal there (Newton's method on a piecewise-linear function, kept inside the bracket
  by bisection). The break-even is then exact to the arithmetic. If a build's columns differ from
  the ends' or a line misses its optimum by more than ``LINEAR_RTOL``, the parameter is not
  affine after all, and bisection takes over.
- ``bisection`` otherwise: halve the bracket on re-solves until it is narrower than
  ``BISECTION_RTOL`` of the range, then report its midpoint.

``sensitivity`` returns a pandas DataFrame (one row per parameter, sorted by swing; the header
figures in ``DataFrame.attrs``); ``litedse.results.documents.sensitivity_document`` is its JSON.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from litedse.errors import InfeasibleError, InputError
from litedse.inputs.classes import memory_options_in_use, resolve_class
from litedse.inputs.instance import Instance
from litedse.inputs.points import with_values
from litedse.inputs.uncertainty import Parameter, parameters
from litedse.jsonable import jsonable
from litedse.optimize.designs import evaluate_designs, objective_of
from litedse.solve import SolveResult, solve_instance

# metric -> (solve objective, unit)
METRICS = {"capex": ("cost", "USD"), "tco": ("tco", "USD"), "power": ("power", "W")}
CERTIFY_STEP = 0.02          # certification solves at (1 -/+ this) x the break-even
BISECTION_RTOL = 1e-5        # bisection stops when its bracket is this fraction of the range wide
LINEAR_RTOL = 1e-9           # a design's line must give its optimum to this relative tolerance
EXACT_RTOL = 1e-12           # the two optima are equal at an exact break-even to this tolerance
MAX_STEPS = 60
TIE = "tie"
COLUMNS = ("key", "unit", "default", "low", "high", "distribution", "source", "default_source", "ratio_low",
           "ratio_high", "swing", "winner_low", "winner_high", "break_even", "winner_below", "winner_above",
           "method", "tolerance", "certified", "infeasible", "break_evens", "solves")


def is_price(key: str) -> bool:
    """A parameter the metric is affine in for a fixed design (capex and TCO): a price in USD or a
    pricing markup (which multiplies prices)."""
    name = key.rsplit(".", 1)[-1]
    return name.endswith("_usd") or "_usd_per_" in name or name.startswith("usd_per") or name.endswith("_markup")


@dataclass
class _Point:
    """Both classes solved at one value of one parameter."""

    value: float
    results: dict[str, SolveResult]
    metric: dict[str, float]          # class -> metric value (inf without a design)

    def winner(self, a: str, b: str) -> str | None:
        ma, mb = self.metric[a], self.metric[b]
        if math.isinf(ma) and math.isinf(mb):
            return None
        return a if ma < mb else b if mb < ma else TIE

    def ratio(self, a: str, b: str) -> float | None:
        ma, mb = self.metric[a], self.metric[b]
        return ma / mb if math.isfinite(ma) and math.isfinite(mb) and mb > 0 else None


@dataclass
class _Solver:
    """Solves both classes at points of one instance, counting the solves."""

    inst: Instance
    classes: tuple[str, str]
    objective: str
    threads: int | None = None
    solves: int = 0
    kwargs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.kwargs = {c: resolve_class(self.inst, c).solve_kwargs() for c in self.classes}

    def at(self, values: dict[str, float], within_ranges: bool = True) -> _Point:
        inst = with_values(self.inst, values, within_ranges=within_ranges) if values else self.inst
        results, metric = {}, {}
        for c in self.classes:
            # every SKU's columns (no Proposition 12, whose searched SKUs move with the prices):
            # the exact break-even compares the builds at the range ends column for column (_line)
            res = solve_instance(inst, objective=self.objective, threads=self.threads, bounded_search=False,
                                 **self.kwargs[c])
            self.solves += 1
            results[c] = res
            metric[c] = float(res.solution.objective_value) if res.solution.feasible else math.inf
        value = next(iter(values.values())) if values else math.nan
        return _Point(value=value, results=results, metric=metric)


def _line(res: SolveResult, low: SolveResult, high: SolveResult, lo: float, hi: float) -> tuple[float, float] | None:
    """(intercept, slope) in the parameter of the metric of ``res``'s optimal design, from its totals
    on the builds at the range ends ``low`` and ``high``; None if the builds' columns differ (the
    parameter changed more than prices) or there is no design."""
    if not res.solution.feasible or res.kept_columns is None:
        return None
    p, pl, ph = (r.built.problem for r in (res, low, high))
    for q in (pl, ph):
        if (q.n_columns != p.n_columns or not np.array_equal(q.col_sku, p.col_sku)
                or not np.array_equal(q.col_packages, p.col_packages) or not np.array_equal(q.col_throughput, p.col_throughput)
                or not np.array_equal(q.sku_packages_per_host, p.sku_packages_per_host)):
            return None
    cols = res.kept_columns[res.solution.column][None, :]
    reps = np.asarray(res.solution.replicas)[None, :]
    v_lo = float(objective_of(pl, evaluate_designs(pl, cols, reps))[0])
    v_hi = float(objective_of(ph, evaluate_designs(ph, cols, reps))[0])
    slope = (v_hi - v_lo) / (hi - lo)
    return v_lo - slope * lo, slope


def _affine_at(point: _Point, lines: dict[str, tuple[float, float]]) -> bool:
    return all(abs(i + s * point.value - point.metric[c]) <= LINEAR_RTOL * abs(point.metric[c]) for c, (i, s) in lines.items())


def _exact_break_even(solver: _Solver, key: str, a: _Point, b: _Point, ends: tuple[_Point, _Point]) -> float | None:
    """The exact break-even of a price between points ``a`` < ``b`` of opposite winners (both
    classes feasible at both), where the two optima are equal to EXACT_RTOL; None if the metric
    turns out not affine in it or no such point is reached (then bisection)."""
    A, B = solver.classes
    lo_pt, hi_pt = ends
    sign_a = np.sign(a.metric[A] - a.metric[B])
    current = a
    for _ in range(MAX_STEPS):
        lines = {c: _line(current.results[c], lo_pt.results[c], hi_pt.results[c], lo_pt.value, hi_pt.value)
                 for c in (A, B)}
        if any(v is None for v in lines.values()) or not _affine_at(current, lines):
            return None
        (ia, sa), (ib, sb) = lines[A], lines[B]
        x = (ib - ia) / (sa - sb) if sa != sb else math.nan
        if not a.value < x < b.value:
            x = 0.5 * (a.value + b.value)  # the lines cross outside the bracket: bisect instead
        pt = solver.at({key: x})
        if not all(math.isfinite(pt.metric[c]) for c in (A, B)):
            return None
        gap = pt.metric[A] - pt.metric[B]
        if abs(gap) <= EXACT_RTOL * max(abs(pt.metric[A]), abs(pt.metric[B])):
            return x
        if np.sign(gap) == sign_a:
            a = pt
        else:
            b = pt
        if b.value - a.value <= EXACT_RTOL * max(1.0, abs(x)):
            break
        current = pt
    return None  # no point of equal optima reached: not exact after all, bisection reports its tolerance


def _bisect_break_even(solver: _Solver, key: str, a: _Point, b: _Point, width: float) -> float:
    A, B = solver.classes
    w_a = a.winner(A, B)
    lo, hi = a.value, b.value
    while hi - lo > BISECTION_RTOL * width:
        mid = 0.5 * (lo + hi)
        w = solver.at({key: mid}).winner(A, B)
        if w == TIE:
            return mid
        if w == w_a:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _certify(solver: _Solver, key: str, x: float, width: float) -> tuple[_Point | None, _Point | None]:
    """The points 2% below and 2% above ``x``. They may lie just outside the declared range, never
    outside the parameter's valid values (then None: not certified)."""
    step = CERTIFY_STEP * abs(x) if x != 0 else CERTIFY_STEP * width
    try:
        return (solver.at({key: x - step}, within_ranges=False), solver.at({key: x + step}, within_ranges=False))
    except InputError:
        return None, None


def _break_evens(solver: _Solver, par: Parameter, points: list[_Point], metric: str) -> list[dict]:
    """Every break-even between consecutive points (low, default, high) whose winners differ."""
    A, B = solver.classes
    width = par.range.high - par.range.low
    out = []
    for a, b in zip(points, points[1:]):
        wa, wb = a.winner(A, B), b.winner(A, B)
        if wa is None or wb is None or wa == wb or b.value <= a.value:
            continue
        x, method = None, "bisection"
        if wa == TIE:
            x, method = a.value, "endpoint"
        elif wb == TIE:
            x, method = b.value, "endpoint"
        elif (is_price(par.key) and metric in ("capex", "tco")
              and all(math.isfinite(v) for p in (a, b) for v in p.metric.values())):
            x = _exact_break_even(solver, par.key, a, b, (points[0], points[-1]))
            method = "exact-linear" if x is not None else "bisection"
        if x is None:
            x = _bisect_break_even(solver, par.key, a, b, width)
        p_below, p_above = _certify(solver, par.key, x, width)
        below = p_below.winner(A, B) if p_below else None
        above = p_above.winner(A, B) if p_above else None
        ok = below in (A, B) and above in (A, B) and below != above
        # a flip may be a class losing its last feasible design rather than a cost crossing
        lost = [c for p in (p_below, p_above) if p for c in (A, B) if math.isinf(p.metric[c])]
        tol = 0.0 if method != "bisection" else BISECTION_RTOL * width / 2
        out.append({"value": x, "method": method, "tolerance": tol, "winner_below": below, "winner_above": above,
                    "certified": ok, "infeasible": lost[0] if lost else None})
    return out


def sensitivity(inst: Instance, classes: tuple[str, str] | list[str], *, metric: str = "capex",
                params: list[str] | None = None, threads: int | None = None) -> pd.DataFrame:
    """One row per uncertain parameter (all, or ``params``): the ratio of the two classes' optimal
    ``metric`` (capex, tco or power) at the range ends with every other parameter at its default,
    the swing, and the certified break-even inside the range (NaN if the winner does not flip).

    ``attrs`` of the frame: ``instance``, ``classes``, ``metric``, ``unit``, ``ratio`` (A/B at the
    defaults), ``winner``, ``values`` (class -> metric at the defaults), ``solves``, ``wall_s``."""
    t0 = time.perf_counter()
    if metric not in METRICS:
        raise InputError("unknown metric", key="--metric", value=metric, expected="one of " + ", ".join(METRICS))
    classes = tuple(classes)
    if len(classes) != 2 or classes[0] == classes[1]:
        raise InputError("two different design classes needed", key="--classes", value=",".join(classes),
                         expected="A,B, e.g. lite,monolithic")
    pars = parameters(inst, params, memory_options_in_use(inst, classes))
    A, B = classes
    solver = _Solver(inst, (A, B), METRICS[metric][0], threads)
    base = solver.at({})
    if base.winner(A, B) is None:
        reasons = "; ".join(f"{c}: {base.results[c].solution.explanation}" for c in classes)
        raise InfeasibleError(f"{inst.name}: neither class has a design at the defaults ({reasons})")
    rows = []
    for par in pars:
        lo = solver.at({par.key: par.range.low})
        hi = solver.at({par.key: par.range.high})
        mid = replace(base, value=par.default)
        points = [lo, mid, hi] if lo.value < par.default < hi.value else [lo, hi]
        before = solver.solves
        found = _break_evens(solver, par, points, metric)
        # the one the default is closest to decides the sentence; all of them are listed
        found.sort(key=lambda f: abs(f["value"] - par.default))
        first = found[0] if found else {}
        r_lo, r_hi = lo.ratio(A, B), hi.ratio(A, B)
        swing = abs(r_hi - r_lo) if r_lo is not None and r_hi is not None else math.inf
        rows.append({"key": par.key, "unit": par.unit, "default": par.default, "low": par.range.low,
                     "high": par.range.high, "distribution": par.range.distribution, "source": par.range.source,
                     "default_source": par.source, "ratio_low": r_lo, "ratio_high": r_hi, "swing": swing,
                     "winner_low": lo.winner(A, B), "winner_high": hi.winner(A, B),
                     "break_even": first.get("value", math.nan), "winner_below": first.get("winner_below"),
                     "winner_above": first.get("winner_above"), "method": first.get("method"),
                     "tolerance": first.get("tolerance", math.nan), "certified": first.get("certified"),
                     "infeasible": first.get("infeasible"),
                     "break_evens": found, "solves": 2 + solver.solves - before})
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(instance=inst.name, classes=[A, B], metric=metric, unit=METRICS[metric][1],
                       ratio=base.ratio(A, B), winner=base.winner(A, B), values=dict(base.metric),
                       solves=solver.solves, wall_s=time.perf_counter() - t0, certify_step=CERTIFY_STEP)
    return frame


def verdict_sentence(frame: pd.DataFrame, probability: float | None = None) -> str:
    """One sentence: the winner at the defaults, by how much, the certified break-evens that flip
    it (others at defaults) and, if given, the probability that the first class wins."""
    a = frame.attrs
    A, B = a["classes"]
    metric = {"capex": "capital cost", "tco": "TCO", "power": "facility power"}[a["metric"]]
    word = "cheaper" if a["metric"] != "power" else "lower in power"
    winner, ratio = a["winner"], a["ratio"]
    if winner == TIE:
        head = f"{A} and {B} tie on {metric}"
    elif ratio is None:
        head = f"only {winner} has a design"
    else:
        factor = ratio if winner == B else 1.0 / ratio
        head = f"{winner} is {word} by {factor:.3g}x ({metric})"
    loser = B if winner == A else A
    flips = []
    for row in frame.itertuples():
        if row.certified and isinstance(row.break_even, float) and math.isfinite(row.break_even):
            op = "<" if row.winner_below == loser else ">"
            unit = f" {row.unit}" if row.unit else ""
            why = f" ({row.infeasible} has no design beyond)" if row.infeasible else ""
            flips.append(f"{row.key} {op} {row.break_even:.4g}{unit}{why}")
    if flips and winner in (A, B):
        head += f"; {loser} wins if " + " or ".join(flips) + " (others at defaults)"
    elif winner in (A, B):
        head += f"; no single parameter flips it within its range ({len(frame)} examined)"
    if probability is not None:
        head += f"; P({A} {word}) = {probability:.2f} over the declared ranges"
    return head + "."


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the terminal table and the reports show, break-evens with their winners."""
    A, B = frame.attrs["classes"]
    out = pd.DataFrame({
        "parameter": frame["key"],
        "default": frame["default"], "low": frame["low"], "high": frame["high"], "unit": frame["unit"],
        f"{A}/{B} at low": frame["ratio_low"], f"{A}/{B} at high": frame["ratio_high"],
        "break-even": [be if cert else math.nan for be, cert in zip(frame["break_even"], frame["certified"])],
        "below": frame["winner_below"], "above": frame["winner_above"], "method": frame["method"],
    })
    return out


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame for CSV: every column, the list of break-evens as JSON text."""
    out = frame.copy()
    out["break_evens"] = [json.dumps(jsonable(v)) for v in frame["break_evens"]]
    return out
