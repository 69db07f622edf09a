"""Columns: every (SKU, mapping) pair of every workload, evaluated with the performance model,
filtered (memory, SLOs), pruned exactly within each chunk, and assembled with the SKU economics
into the array ``Problem`` the solvers share.

A column of workload w is one SKU and one parallel mapping; one replica of it occupies
``packages`` packages and delivers ``throughput`` in the workload's demand unit, already discounted
by the replica's availability (formulations/performance.md, Reliability). A training column is the whole job (its data
parallelism is in the mapping), so it may have at most one replica.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from litedse.columns.skus import SkuSet, row_codes, sku_set
from litedse.errors import InputError, InternalError
from litedse.inputs.instance import SKU_BYTES, Instance
from litedse.optimize.problem import MIN_OBJECTIVES, OBJECTIVES, Problem
from litedse.optimize.prune import dominance_survivors, least_packages_survivors
from litedse.tech.economics import FABRICS, energy_usd_per_w, fabric_arrays, price, sku_economics
from litedse.units import SECONDS_PER_DAY
from litedse.workload.models import resolve_model
from litedse.workload.placement import REASONS as TIER_REASONS
from litedse.workload.performance import (FIGURE_INPUTS, MAPPING_KEYS, MAX_PACKAGES_PER_REPLICA,
                                         candidate_mappings, column_availability, column_figures,
                                         demand_tokens_per_s, evaluate_columns)

# Columns are evaluated in chunks of (SKU, mapping) pairs so that memory stays bounded whatever the
# design space. The chunk size follows a memory budget (design_space.memory_budget_gb, solve
# --memory-gb). Measured on the 2-core machine (2026-12-02, ru_maxrss of whole builds of a 1.05M-column
# single-workload space made by benchmarks/bench_scale.py, serving model of issue 12, at chunks of
# 2^14, 2^16 and 2^18): a chunk costs 853 B per column at its peak over a base of about 300 MB
# (interpreter, imports, presets); the SKU table adds inputs.instance.SKU_BYTES per SKU. Half of what
# is left goes to the chunk, half stays for the kept columns and the model. Larger chunks were
# measured slower, not faster (2^18: 7.0 s, 2^16: 4.1 s, 2^14: 4.1 s for that space; and 2^20: 3.1 s,
# 2^18: 2.1 s, 2^16: 1.9 s for 1.3M columns under the previous serving model; CPU caches). With the
# SKUs grouped by their figures (Proposition 11) a chunk of 2^15 evaluated columns spreads to up to
# four times as many SKU columns, and 2^15 is the largest used: builds of the 10.7M-column space took
# 6.3-7.1 s at 2^15, 6.7-7.3 s at 2^14 and 7.2-9.0 s at 2^16 (three rounds, 2026-12-02 07:17 UTC), and
# 2^15 and 2^16 were equal at 1e8 columns (25.7-27.8 s) and at 1e6 columns of three workloads.
# Where the base and the SKU table leave less than a sixteenth of the budget (a design space whose
# SKU table alone fills it), the chunk still takes that sixteenth: the table
# exceeds the budget whatever the chunk, and at the smallest chunk the same columns take 10x longer
# (benchmarks/bench_scale.py's 1e8-column space, 914,685 SKUs: 37 s at 2^12, 25 s at 2^16 for the build).
CHUNK_BUDGET_FLOOR = 1.0 / 16.0
BYTES_PER_CHUNK_COLUMN = 900          # 853 B measured, rounded up
BASE_BYTES = 300e6
CHUNK_COLUMNS_MAX = 1 << 15
CHUNK_COLUMNS_MIN = 1 << 12           # below this, numpy's per-call overhead dominates
# a slim column table's index of each column's mapping in candidate_mappings (column_table)
MAPPING_INDEX = "mapping_index"
# per-column figures kept for results (the performance model's output names)
RESULT_KEYS = ("tokens_per_s", "requests_per_s", "iteration_s", "ttft_s", "tpot_s", "memory_gb_per_package",
               "mfu", "achieved_tflops_per_package", "availability", "placement", "tier1_gb", "tier2_gb",
               "kv_write_gb_s", "tier2_write_cycles", "weights_tier2_share", "kv_tier2_share")


@dataclass
class WorkloadColumns:
    """How many columns of one workload were enumerated, survived each filter and were kept."""

    name: str
    enumerated: int = 0
    fits: int = 0
    tier_ok: int = 0                        # of fits, how many pass the second memory tier's checks
    slo_ok: int = 0
    kept: int = 0
    min_overflow_gb: float = math.inf       # closest miss on memory [GB per package]
    best_ttft_s: float = math.inf           # best TTFT among columns that fit memory
    best_tpot_s: float = math.inf           # best TPOT among columns that fit memory
    usable: int = -1                        # of slo_ok, how many meet demand within m_c (-1: not counted)
    best_within_limit: float = 0.0          # most throughput a column serves within m_c replicas
    demand: float = 0.0
    unit: str = ""
    reason: str = ""                        # why no column is left, when kept == 0
    tier_failures: dict[str, int] = field(default_factory=dict)   # tier-check reason -> fitting columns


@dataclass
class Built:
    problem: Problem
    skus: SkuSet
    workloads: list[WorkloadColumns] = field(default_factory=list)
    chunk_columns: int = 0                  # (SKU, mapping) columns evaluated per chunk
    skus_not_searched: int = 0              # SKUs whose columns Proposition 12 left out (columns.bounded)
    groups: tuple[np.ndarray, np.ndarray] | None = None   # figure_groups of skus.table (Proposition 11)

    @property
    def columns_enumerated(self) -> int:
        return sum(w.enumerated for w in self.workloads)

    @property
    def columns_kept(self) -> int:
        return sum(w.kept for w in self.workloads)

    def infeasibility(self) -> str:
        """Explanation when some workload has no column at all ('' if every workload has one)."""
        return "; ".join(w.reason for w in self.workloads if w.kept == 0)


class _Columns(Mapping):
    """A DataFrame's columns as numpy arrays, each converted when first read (the performance model
    reads a fifth of the SKU table's columns)."""

    def __init__(self, frame: pd.DataFrame):
        self._frame, self._cache = frame, {}

    def __getitem__(self, key):
        if key not in self._cache:
            column = self._frame[key]
            if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
                # text: the few distinct names, shared by reference (not one new str per SKU)
                codes, names = pd.factorize(column, use_na_sentinel=False)
                self._cache[key] = np.asarray(names, dtype=object)[codes]
            else:
                self._cache[key] = column.to_numpy()
        return self._cache[key]

    def __contains__(self, key):
        return key in self._frame.columns

    def __iter__(self):
        return iter(self._frame.columns)

    def __len__(self):
        return len(self._frame.columns)


class _Rows(Mapping):
    """SKU-table columns gathered at given row indices, lazily: only the keys the performance
    model reads are materialised for a chunk."""

    def __init__(self, table: dict[str, np.ndarray], rows: np.ndarray):
        self._table, self._rows, self._cache = table, rows, {}

    def __getitem__(self, key):
        if key not in self._cache:
            self._cache[key] = self._table[key][self._rows]
        return self._cache[key]

    def __iter__(self):
        return iter(self._table)

    def __len__(self):
        return len(self._table)


def demand_of(w) -> tuple[float, str, str]:
    """(required throughput, unit, performance-model output that measures it)."""
    if w.kind != "training" and w.demand_requests_per_s is not None:
        return float(w.demand_requests_per_s), "requests/s", "requests_per_s"
    return demand_tokens_per_s(w), "tokens/s", "tokens_per_s"


def figure_groups(table: Mapping[str, np.ndarray], n_skus: int) -> tuple[np.ndarray, np.ndarray]:
    """(group of each SKU, SKUs in group order): SKUs equal on every ``FIGURE_INPUTS`` column of
    ``table`` form one group, numbered in order of first appearance (formulations/design.md,
    Proposition 11). The SKU order lists each group's SKUs together, ascending within it."""
    code = row_codes([table[key] for key in FIGURE_INPUTS if key in table], n_skus)
    return code, np.argsort(code, kind="stable")


def _group_chunks(counts: np.ndarray, n_maps: int, chunk_columns: int):
    """(first group, end group) ranges of at most ``chunk_columns`` evaluated columns, whose SKUs'
    columns (the evaluated ones spread to each SKU of their group) number at most 4 ``chunk_columns``."""
    groups_per_chunk = max(1, chunk_columns // max(n_maps, 1))
    skus_per_chunk = max(1, 4 * chunk_columns // max(n_maps, 1))
    before = np.concatenate([[0], np.cumsum(counts)])
    start = 0
    while start < len(counts):
        end = min(start + groups_per_chunk, int(np.searchsorted(before, before[start] + skus_per_chunk, "right")) - 1)
        end = max(end, start + 1)
        yield start, end
        start = end


def _workload_columns(inst: Instance, wi: int, maps: dict[str, np.ndarray], table: dict[str, np.ndarray],
                      n_skus: int, chunk_columns: int, skus: SkuSet | None = None,
                      least_packages: bool = False, figures: bool = True, only: np.ndarray | None = None,
                      bound: bool = False, groups: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> tuple[dict[str, np.ndarray], WorkloadColumns]:
    """The kept columns of workload ``wi`` and the counts of what each filter dropped. The
    performance figures are evaluated once per group of SKUs with equal ``FIGURE_INPUTS``
    (Proposition 11) and spread to the group's SKUs, whose own failure rates then set the
    availability; the kept columns come out in (SKU, mapping) order. ``only``: the SKUs to
    evaluate (default: all). ``bound``: each column's throughput bound of Proposition 12 instead
    of its throughput: evaluated without the SLOs and kept whatever the filters say. ``groups``:
    ``figure_groups`` of the table, when already known."""
    w = inst.workloads[wi]
    w_eval = w.model_copy(update={"ttft_s": None, "tpot_s": None}) if bound else w
    model = resolve_model(w.model, w.name)
    n_maps = len(maps["tp"])
    demand, unit, metric = demand_of(w)
    # m_c as the Problem will carry it (build: 1 for training, int32 max beside a training workload)
    any_training = any(x.kind == "training" for x in inst.workloads)
    max_reps = 1 if w.kind == "training" else (np.iinfo(np.int32).max if any_training else np.inf)
    report = WorkloadColumns(name=w.name, demand=demand, unit=unit, usable=0 if least_packages else -1)
    kept: list[dict[str, np.ndarray]] = []
    figures_table = {k: table[k] for k in FIGURE_INPUTS if k in table}   # a read of anything else fails loudly
    failures = np.asarray(table["failures_per_year"], dtype=float) if n_skus else np.zeros(0)
    if not n_maps:
        group, order = np.zeros(0, np.int64), np.zeros(0, np.int64)
    else:
        group, order = groups if groups is not None else figure_groups(table, n_skus)
    if only is not None and n_maps:
        # the groups of the SKUs asked for, in the same order (renumbered without the empty ones)
        chosen = np.zeros(n_skus, dtype=bool)
        chosen[only] = True
        order = order[chosen[order]]
        g = group[order]
        group = np.cumsum(np.concatenate([[True], g[1:] != g[:-1]])) - 1 if len(g) else g
    counts = np.bincount(group, minlength=int(group.max(initial=-1)) + 1)
    first_sku = order[np.concatenate([[0], np.cumsum(counts)[:-1]])] if len(counts) else np.zeros(0, np.int64)
    group_start = np.concatenate([[0], np.cumsum(counts)])
    for g0, g1 in _group_chunks(counts, n_maps, chunk_columns):
        n_groups = g1 - g0
        rows = np.repeat(first_sku[g0:g1], n_maps)          # one SKU stands for its group
        map_idx = np.tile(np.arange(n_maps), n_groups)
        weight = np.repeat(counts[g0:g1], n_maps)           # SKUs whose columns these are
        mapping = {k: np.asarray(maps[k])[map_idx] for k in MAPPING_KEYS}
        # a SKU without links has zero network bandwidth: its multi-package mappings take infinite
        # time, which the filter below removes; numpy's warnings about it are expected
        with np.errstate(divide="ignore", invalid="ignore"):
            out = column_figures(_Rows(figures_table, rows), mapping, w_eval, model, inst.performance)
        r_raw = np.asarray(out[metric], dtype=float)
        report.enumerated += int(weight.sum())
        if bound:
            kept.append(_least_need_bounds(out, r_raw, demand, max_reps, n_groups, n_maps, map_idx,
                                           order[group_start[g0]:group_start[g1]], counts[g0:g1]))
            continue
        fits = np.asarray(out["fits"], dtype=bool)
        tier = np.asarray(out["tier_ok"], dtype=bool)
        slo = np.asarray(out["slo_ok"], dtype=bool)
        report.fits += int(weight[fits].sum())
        report.tier_ok += int(weight[fits & tier].sum())
        report.slo_ok += int(weight[fits & tier & slo].sum())
        if (fits & ~tier).any():
            masks = np.asarray(out["tier_mask"], dtype=np.int64)[fits & ~tier]
            wt = weight[fits & ~tier]
            for bit, (_, text) in enumerate(TIER_REASONS):
                report.tier_failures[text] = report.tier_failures.get(text, 0) + int(wt[(masks >> bit & 1) == 1].sum())
        over = np.asarray(out["memory_overflow_gb"], dtype=float)
        if len(over) and (~fits).any():
            report.min_overflow_gb = min(report.min_overflow_gb, float(over[~fits].min()))
        for key, attr in (("ttft_s", "best_ttft_s"), ("tpot_s", "best_tpot_s")):
            vals = np.asarray(out[key], dtype=float)[fits]
            vals = vals[np.isfinite(vals)]
            if len(vals):
                setattr(report, attr, min(getattr(report, attr), float(vals.min())))
        good = np.flatnonzero(fits & tier & slo & np.isfinite(r_raw) & (r_raw > 0))
        if not len(good):
            continue
        # spread the usable evaluated columns to their groups' SKUs, SKU by SKU (each SKU's columns
        # together and in mapping order, as the survivor passes below expect)
        local = good // n_maps                                  # group within the chunk
        per_group = np.bincount(local, minlength=n_groups)      # usable mappings per group
        first_good = np.concatenate([[0], np.cumsum(per_group)[:-1]])
        chunk_skus = order[group_start[g0]:group_start[g1]]
        sku_local = np.repeat(np.arange(n_groups), counts[g0:g1])
        reps = per_group[sku_local]
        sku_of = np.repeat(chunk_skus, reps)
        within = np.arange(len(sku_of)) - np.repeat(np.cumsum(reps) - reps, reps)
        col = good[np.repeat(first_good[sku_local], reps) + within]
        packages_all = np.asarray(out["packages"], dtype=np.int64)[col]
        avail = column_availability(w, packages_all, failures[sku_of], inst.performance)
        r = r_raw[col] * avail
        idx = np.flatnonzero(np.isfinite(r) & (r > 0))
        if not len(idx):
            continue
        packages = packages_all[idx]
        if least_packages:
            # min objectives (design.md Propositions 1-3 inside the chunk): per SKU only the usable
            # column prune_columns would keep (the spread columns come SKU by SKU: a linear pass)
            n_star = np.ceil(demand / r[idx]).astype(np.int64)
            usable = n_star <= max_reps
            report.usable += int(usable.sum())
            report.best_within_limit = max(report.best_within_limit, float(np.max(r[idx]) * max_reps))
            idx, packages, n_star = idx[usable], packages[usable], n_star[usable]
            survive = least_packages_survivors(sku_of[idx], r[idx], packages.astype(float),
                                               (packages * n_star).astype(float))
        else:
            # exact dominance inside the chunk (design.md Proposition 2): same SKU, >= r with <= g
            survive = dominance_survivors(sku_of[idx], r[idx], packages.astype(float))
        idx = idx[survive]
        if not len(idx):
            continue
        c = col[idx]
        part = {"sku": sku_of[idx], "throughput": r[idx], "packages": packages_all[idx], "_map": map_idx[c]}
        if figures:
            part.update(_result_figures(out, mapping, c, avail[idx]))
        kept.append(part)
    cols = _joined(kept)
    if cols:
        # (SKU, mapping) order, as if the SKUs had been evaluated one after another (one array at a
        # time, each replaced by its sorted copy: at most one extra array alive)
        sort = np.lexsort((cols["_map"], cols["sku"]))
        for k in cols:
            cols[k] = cols[k][sort]
        mapping_index = cols.pop("_map")
        if not figures:
            cols[MAPPING_INDEX] = mapping_index
    report.kept = len(cols.get("sku", []))
    if report.kept == 0:
        report.reason = _no_column_reason(w, report, n_skus, n_maps, skus)
    return cols, report


# relative slack on Proposition 12's throughput bounds: far above the rounding of the iteration
# time's few dozen operations (~1e-14), far below any difference the model makes (a flat throughput
# with zero overheads and availability 1 gave exact / bound = 1 + 2.2e-16, and without the slack a
# demand just above a multiple of it lost the optimal SKU: 2,886.05 found against 2,846.51)
BOUND_SLACK = 1e-9


def _least_need_bounds(out: dict, r_bar: np.ndarray, demand: float, max_reps: float, n_groups: int, n_maps: int,
                       map_idx: np.ndarray, group_skus: np.ndarray, group_sizes: np.ndarray) -> dict[str, np.ndarray]:
    """Proposition 12's columns of a chunk of figure groups: per group, the column of least need
    g ceil(D / r_bar) among those with r_bar > 0 and need within m_c (filters ignored, availability
    taken as 1: both only lower the bound), given to every SKU of the group (``group_skus``, the
    groups' SKUs in order, ``group_sizes`` of them per group). r_bar is raised by BOUND_SLACK
    first: where the iteration time is proportional to the batch the throughput is flat, and the
    searched batch's can come out an ulp above the largest batch's."""
    r_bar = r_bar * (1.0 + BOUND_SLACK)
    packages = np.asarray(out["packages"], dtype=np.int64)
    ok = np.isfinite(r_bar) & (r_bar > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        n_star = np.where(ok, np.ceil(demand / np.where(ok, r_bar, 1.0)), np.inf)
    need = np.where(ok & (n_star <= max_reps), packages * n_star, np.inf).reshape(n_groups, n_maps)
    best = np.argmin(need, axis=1)
    has = np.isfinite(need[np.arange(n_groups), best])
    col = np.arange(n_groups) * n_maps + best
    reps = np.where(has, group_sizes, 0)
    col = np.repeat(col, reps)
    return {"sku": group_skus[np.repeat(has, group_sizes)], "throughput": r_bar[col], "packages": packages[col],
            "_map": map_idx[col]}


def column_table(inst: Instance, problem: Problem) -> pd.DataFrame:
    """The full column table of a Problem built ``slim`` (its ``sku_table`` already full): every
    column evaluated again by the performance model at its SKU and candidate mapping, laid out as
    the builder lays it out. The figures are the builder's own, the same function of the same
    inputs (Proposition 11); the throughput and packages are checked against the Problem's."""
    p, slim = problem, problem.col_table
    if slim is None or MAPPING_INDEX not in slim.columns:
        return slim
    parts = []
    for wi, w in enumerate(inst.workloads):
        cols = np.flatnonzero(p.col_workload == wi)
        if not len(cols):
            continue
        model = resolve_model(w.model, w.name)
        maps = candidate_mappings(w, model, inst.performance, MAX_PACKAGES_PER_REPLICA)
        m_idx = slim[MAPPING_INDEX].to_numpy()[cols]
        mapping = {k: np.asarray(maps[k])[m_idx] for k in MAPPING_KEYS}
        sku = {k: v.to_numpy()[p.col_sku[cols]] for k, v in p.sku_table.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            out = evaluate_columns(sku, mapping, w, model, inst.performance)
        r = np.asarray(out[demand_of(w)[2]], dtype=float) * np.asarray(out["availability"], dtype=float)
        g = np.asarray(out["packages"], dtype=np.int64)
        bad = np.flatnonzero((r != p.col_throughput[cols]) | (g != p.col_packages[cols]))
        if len(bad):
            c = cols[bad[0]]
            raise InternalError(f"workload {w.name}, column {c}: throughput per replica {p.col_throughput[c]:.9g} "
                                f"and {p.col_packages[c]} packages used, {r[bad[0]]:.9g} and {g[bad[0]]} evaluated")
        part = {"sku": p.col_sku[cols], "throughput": r, "packages": p.col_packages[cols]}
        part.update(_result_figures(out, mapping, slice(None), np.asarray(out["availability"], dtype=float)))
        part["workload"] = np.full(len(cols), wi, dtype=np.int64)
        part["_row"] = cols
        parts.append(part)
    joined = _joined(parts)
    order = np.argsort(joined.pop("_row"), kind="stable")
    return pd.DataFrame({k: v[order] for k, v in joined.items()}, copy=False)


def _result_figures(out: dict, mapping: dict, at, availability: np.ndarray) -> dict[str, np.ndarray]:
    """The column table's figures of columns ``at`` of a performance-model result ``out``, in the
    table's order: the mapping (with the batch a serving stack chose), then RESULT_KEYS."""
    part = {k: np.asarray(out.get(k, mapping[k]))[at] for k in MAPPING_KEYS}
    part.update({k: availability if k == "availability" else np.asarray(out[k], dtype=float)[at]
                 for k in RESULT_KEYS if k in out or k == "availability"})
    return part


def _joined(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The parts' arrays joined key by key, each part's array dropped as it is copied (so the parts
    and the result are never both whole in memory); a single part is returned as it is."""
    if len(parts) <= 1:
        return parts[0] if parts else {}
    return {k: np.concatenate([p.pop(k) for p in parts]) for k in list(parts[0])}


def _no_column_reason(w, rep: WorkloadColumns, n_skus: int, n_maps: int, skus: SkuSet | None = None) -> str:
    head = f"workload {w.name}"
    if n_skus == 0:
        why = ""
        if skus is not None and skus.rejected:
            why = ": " + "; ".join(f"{n} of {skus.enumerated}: {text}" for text, n in
                                   sorted(skus.rejected.items(), key=lambda kv: -kv[1]))
        return f"{head}: the design space has no feasible SKU{why}"
    if n_maps == 0:
        return f"{head}: no parallel mapping is allowed"
    if rep.fits == 0:
        return (f"{head}: no (SKU, mapping) of {rep.enumerated} fits in HBM "
                f"(closest misses by {rep.min_overflow_gb:.1f} GB per package)")
    if rep.tier_ok == 0:
        why = "; ".join(f"{n} of {rep.fits}: {text}" for text, n in
                        sorted(rep.tier_failures.items(), key=lambda kv: -kv[1]) if n)
        return f"{head}: no column that fits in memory passes the second memory tier's checks ({why})"
    misses = []
    if w.ttft_s is not None and rep.best_ttft_s > w.ttft_s:
        misses.append(f"ttft_s {w.ttft_s:g} s (best {rep.best_ttft_s:.3g} s)")
    if w.tpot_s is not None and rep.best_tpot_s > w.tpot_s:
        misses.append(f"tpot_s {w.tpot_s:g} s (best {rep.best_tpot_s:.3g} s)")
    if misses:
        return f"{head}: no column that fits in memory meets " + " and ".join(misses)
    if rep.slo_ok and rep.usable == 0:
        best = rep.best_within_limit
        text = (f"{head}: best column serves {best:.4g} < demand {rep.demand:.4g} {rep.unit} within its replica "
                f"limit (short by {100.0 * (1.0 - best / rep.demand):.0f}%)")
        if w.kind == "training" and w.train_tokens and w.time_budget_days and best > 0:
            days = float(w.train_tokens) / best / SECONDS_PER_DAY
            text += f": its {w.train_tokens:.4g} tokens take {days:.3g} days > time_budget_days {w.time_budget_days:g}"
        return text
    return f"{head}: no column meets both SLOs at once ({rep.fits} fit in memory, none within ttft_s and tpot_s)"


def chunk_columns_for(memory_budget_gb: float, n_skus: int) -> int:
    """Columns per chunk within ``memory_budget_gb``: a power of two between CHUNK_COLUMNS_MIN and
    CHUNK_COLUMNS_MAX taking half of what the base and the SKU table leave of the budget, and at
    least CHUNK_BUDGET_FLOOR of the budget (when the table leaves less, it exceeds the budget itself)."""
    budget = float(memory_budget_gb) * 1e9
    free = max(budget - BASE_BYTES - n_skus * SKU_BYTES, 2.0 * CHUNK_BUDGET_FLOOR * budget)
    fit = free / 2.0 / BYTES_PER_CHUNK_COLUMN
    if fit < CHUNK_COLUMNS_MIN:
        return CHUNK_COLUMNS_MIN
    return min(CHUNK_COLUMNS_MAX, 1 << int(math.floor(math.log2(fit))))


def build(inst: Instance, design_space: dict[str, Any] | None = None, sku: str | None = None,
          objective: str | None = None, chunk_columns: int | None = None,
          memory_budget_gb: float | None = None, least_packages: bool = False, slim: bool = False,
          skus: SkuSet | None = None, only: np.ndarray | None = None, bound: bool = False,
          groups: tuple[np.ndarray, np.ndarray] | None = None) -> Built:
    """Evaluate, filter and assemble the instance (or one design class of it) into a Problem.
    ``chunk_columns`` fixes the chunk size; else it follows ``memory_budget_gb`` (default: the
    instance's design_space.memory_budget_gb). ``least_packages`` (a min objective only) keeps per
    (SKU, workload) just the column ``optimize.prune.prune_columns`` keeps, already in each chunk;
    without it every non-dominated column is kept (what fronts with the blast radius need).
    ``slim``: the SKU table and the Problem's ``sku_table`` hold only columns.skus.ENUMERATION_COLUMNS
    (``Built.skus.rows`` evaluates the rest for the SKUs asked for), and the ``col_table`` only the
    solver's figures and each column's ``mapping_index`` (``column_table`` evaluates the rest).
    ``skus``: the SKU set of an earlier build of the same instance (not evaluated again);
    ``only``: evaluate the columns of these SKUs of it alone; ``bound``: the columns carry the
    throughput bounds of Proposition 12 (``columns.bounded``), not throughputs; ``groups``: the
    earlier build's ``Built.groups`` (the same ``skus``)."""
    objective = objective or inst.objective.name
    if objective not in OBJECTIVES:
        raise InputError("unknown objective", key="objective", value=objective, expected="one of " + ", ".join(OBJECTIVES))
    tech = inst.technology
    skus = skus if skus is not None else sku_set(inst, design_space, sku, slim=slim)
    con = inst.constraints
    rack_w = float(con.rack_power_w or tech["power"]["rack_power_w"])
    skus, too_big = _fitting_racks(skus, tech, rack_w)
    table = _Columns(skus.table)
    n_skus = len(skus.table)
    maps = [candidate_mappings(w, resolve_model(w.model, w.name), inst.performance, MAX_PACKAGES_PER_REPLICA)
            for w in inst.workloads]
    _check_column_count(inst, n_skus, [len(mw["tp"]) for mw in maps])
    if chunk_columns is None:
        budget = inst.design_space.memory_budget_gb if memory_budget_gb is None else memory_budget_gb
        chunk_columns = chunk_columns_for(budget, n_skus)
    parts, reports = [], []
    if groups is None and any(len(mw["tp"]) for mw in maps):
        groups = figure_groups(table, n_skus)         # one grouping for every workload
    for wi in range(len(inst.workloads)):
        cols, rep = _workload_columns(inst, wi, maps[wi], table, n_skus, chunk_columns, skus,
                                      least_packages=least_packages and objective in MIN_OBJECTIVES,
                                      figures=not slim, only=only, bound=bound, groups=groups)
        reports.append(rep)
        if cols:
            cols["workload"] = np.full(len(cols["sku"]), wi, dtype=np.int64)
            parts.append(cols)
    if n_skus == 0 and too_big:
        for rep in reports:
            rep.reason = (f"workload {rep.name}: no package fits a rack: the smallest draws {too_big:.4g} W of IT "
                          f"power > rack_power_w {rack_w:.4g} W")
    cols = _joined(parts)
    # keep only SKUs some column uses, and only their die designs (a smaller MILP, same optimum)
    used = np.unique(cols["sku"]) if cols else np.zeros(0, dtype=np.int64)
    new_index = np.full(n_skus, -1, dtype=np.int64)
    new_index[used] = np.arange(len(used))
    # (every SKU used, the usual case of a min objective: the table itself, not a copy of it)
    sku_table = skus.table if len(used) == n_skus else skus.table.iloc[used].reset_index(drop=True)
    dies_used, sku_die = np.unique(skus.sku_die[used], return_inverse=True)
    die_labels = [skus.die_labels[d] for d in dies_used]
    econ = sku_economics(sku_table, tech)
    fab = fabric_arrays(tech)
    demand = [demand_of(w) for w in inst.workloads]
    training = np.array([w.kind == "training" for w in inst.workloads])
    col_workload = cols.get("workload", np.zeros(0, dtype=np.int64))
    col_table = pd.DataFrame({k: v for k, v in cols.items() if k not in ("sku",)}, copy=False)
    if len(col_table):
        col_table.insert(0, "sku", new_index[cols["sku"]])
    nre = 0.0 if sku is not None else float(tech["economics"]["nre_usd_per_die_design"])
    problem = Problem(
        die_labels=die_labels,
        die_nre_usd=np.full(len(die_labels), nre),
        sku_die=sku_die.astype(np.int64),
        sku_capex_usd=np.asarray(econ["capex_usd"], dtype=float),
        sku_it_w=np.asarray(econ["it_w"], dtype=float),
        sku_fabric=np.asarray(econ["fabric"], dtype=np.int64),
        sku_fabric_ports=np.asarray(econ["fabric_ports"], dtype=float),
        sku_failures_per_year=sku_table["failures_per_year"].to_numpy(float),
        sku_packages_per_host=np.asarray(econ["packages_per_host"], dtype=float),
        host_cost_usd=price(tech, "host", "cost_usd"),
        host_w=float(tech["host"]["w"]),
        fabric_names=list(FABRICS),
        fabric_radix=fab["radix"], fabric_switch_cost_usd=fab["switch_cost_usd"], fabric_switch_w=fab["switch_w"],
        fabric_port_cost_usd=fab["port_cost_usd"], fabric_port_w=fab["port_w"],
        fabric_oversubscription=fab["oversubscription"],
        workload_names=[w.name for w in inst.workloads],
        demand=np.array([d[0] for d in demand], dtype=float),
        demand_unit=[d[1] for d in demand],
        col_workload=col_workload.astype(np.int64),
        col_sku=new_index[cols["sku"]] if cols else np.zeros(0, dtype=np.int64),
        col_throughput=cols.get("throughput", np.zeros(0)).astype(float),
        col_packages=cols.get("packages", np.zeros(0, dtype=np.int64)).astype(np.int64),
        col_max_replicas=(np.where(training[col_workload], 1, np.iinfo(np.int32).max).astype(np.int64)
                          if training.any() else None),
        max_designs=int((design_space or {}).get("max_designs") or inst.design_space.max_designs),
        charge_nre=bool(inst.objective.include_nre),
        power_budget_w=float(con.power_budget_w) if con.power_budget_w else np.inf,
        budget_usd=float(con.budget_usd) if con.budget_usd else np.inf,
        rack_power_w=rack_w,
        rack_cost_usd=price(tech, "economics", "rack_cost_usd"),
        pue=float(tech["power"]["pue"]),
        energy_usd_per_w=energy_usd_per_w(tech),
        objective=objective,
        sku_table=sku_table,
        col_table=col_table,
    )
    return Built(problem=problem, skus=skus, workloads=reports, chunk_columns=chunk_columns, groups=groups)


# evaluation rate assumed in the column-count guard's estimate (the low end measured by
# benchmarks/bench_columns.py on the 2-core machine) [columns/s]
COLUMNS_PER_S = 4e6


def _check_column_count(inst: Instance, n_skus: int, per_workload: list[int]) -> None:
    """Refuse, before evaluating anything, a design space whose (SKU, mapping) columns exceed
    ``design_space.max_columns`` (``per_workload``: the mapping count of each workload), with the estimate."""
    limit = inst.design_space.max_columns
    total = n_skus * sum(per_workload)
    if total > limit:
        raise InputError("design space too large to evaluate", file=inst.path, key="design_space.max_columns",
                         value=total, expected=f"at most {limit:,} (SKU, mapping) columns: {n_skus:,} SKUs x "
                         f"{sum(per_workload):,} mappings would take about {_duration(total / COLUMNS_PER_S)}; "
                         "narrow an axis or the mappings, or raise design_space.max_columns")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def _fitting_racks(skus: SkuSet, tech: dict, rack_w: float) -> tuple[SkuSet, float]:
    """The SKUs one of whose packages fits a rack of ``rack_w`` W of IT power (a package is not
    split over racks), and the smallest package's IT power if none does (else 0)."""
    it_w = sku_economics(skus.table, tech)["it_w"]
    fits = it_w <= rack_w
    if fits.all():
        return skus, 0.0
    smallest = float(it_w.min()) if len(it_w) and not fits.any() else 0.0
    table = skus.table[fits].reset_index(drop=True)
    table["sku_set_index"] = np.arange(len(table))
    design = {k: v[fits] for k, v in skus.design.items()} if skus.design is not None else None
    return replace(skus, table=table, sku_die=skus.sku_die[fits], design=design), smallest
