"""Every figure litedse draws, from data frames, with matplotlib's Agg backend (no display): the
report's breakdowns, Pareto fronts and die-area curve, and the study report's ratio and winner
maps. The only module that imports matplotlib. ``save_figure`` writes PNG or SVG by the file
suffix, ``save_both`` writes both, ``figure_bytes`` gives the encoded image for embedding.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from litedse.optimize.problem import CRITERIA  # noqa: E402

FORMATS = ("png", "svg")
# reproducible files: no timestamp in SVG metadata, fixed salt for SVG element ids
matplotlib.rcParams["svg.hashsalt"] = "litedse"
_METADATA = {"svg": {"Date": None}, "png": {}}
DPI = 110
CLASS_COLORS = {"lite": "#1b9e77", "monolithic": "#d95f02", "free": "#7570b3"}
_OTHER_COLORS = ["#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


def class_color(name: str, order: list[str]) -> str:
    if name in CLASS_COLORS:
        return CLASS_COLORS[name]
    others = [n for n in order if n not in CLASS_COLORS]
    return _OTHER_COLORS[others.index(name) % len(_OTHER_COLORS)] if name in others else "#333333"


def save_figure(fig, path) -> Path:
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        plt.close(fig)
        raise ValueError(f"figure format must be one of {FORMATS}, got {path.suffix!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=DPI, bbox_inches="tight", metadata=_METADATA[fmt])
    plt.close(fig)
    return path


def figure_bytes(fig, fmt: str = "png") -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", metadata=_METADATA.get(fmt, {}))
    plt.close(fig)
    return buf.getvalue()


# each class its own marker, drawn larger and hollow first so that a later class's points on top of
# an earlier one's (monolithic under free, when both find the same design) stay visible
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
# axis scales by criterion unit: money in $M and power in MW, never with an offset
AXIS_SCALES = {"usd": (1e6, "$M"), "w": (1e6, "MW")}


def axis_scale(criterion: str) -> tuple[float, str]:
    """(divisor, axis label) of a criterion: capital cost [$M], facility power [MW], ..."""
    c = CRITERIA.get(criterion)
    if c is not None and c.unit in AXIS_SCALES:
        div, unit = AXIS_SCALES[c.unit]
        return div, c.label.rsplit(" [", 1)[0] + f" [{unit}]"
    return 1.0, c.label if c is not None else criterion


def _plain_axes(ax) -> None:
    """Tick labels as plain numbers: no 1e7 multiplier, no offset."""
    for axis in (ax.xaxis, ax.yaxis):
        fmt = axis.get_major_formatter()
        if hasattr(fmt, "set_useOffset"):
            fmt.set_useOffset(False)
            fmt.set_scientific(False)


def pareto_figure(frame: pd.DataFrame, x: str, y: str, title: str = ""):
    """Fronts of several classes on one axes, money in $M and power in MW. ``frame``: columns
    class, x, y (criterion names) and optionally die_area_mm2 (each point is labelled with its die
    area). Every class has its own marker; classes are drawn largest first, so coinciding points of
    two classes show as a small marker inside a large one."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    order = list(dict.fromkeys(frame["class"])) if len(frame) else []
    (xd, xlabel), (yd, ylabel) = axis_scale(x), axis_scale(y)
    labelled = set()       # a point two classes share gets its die-area label once
    for i, name in enumerate(order):
        sub = frame[frame["class"] == name].sort_values(x)
        color = class_color(name, order)
        xs, ys = sub[x].to_numpy(float) / xd, sub[y].to_numpy(float) / yd
        ax.step(xs, ys, where="post", color=color, alpha=0.35, linewidth=1)
        ax.plot(xs, ys, MARKERS[i % len(MARKERS)], markersize=11 - 2.5 * min(i, 3), markerfacecolor="none",
                markeredgewidth=1.6, color=color, label=f"{name} ({len(sub)} points)", zorder=3 + i)
        if "die_area_mm2" in sub.columns:
            for xv, yv, a in zip(xs, ys, sub["die_area_mm2"]):
                if (round(xv, 9), round(yv, 9), a) not in labelled:
                    labelled.add((round(xv, 9), round(yv, 9), a))
                    ax.annotate(f"{a:g}", (xv, yv), textcoords="offset points", xytext=(5, 5), fontsize=7, color=color)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"Pareto fronts: {x} vs {y} (labels: die area mm$^2$)")
    ax.grid(True, alpha=0.3)
    _plain_axes(ax)
    if order:
        ax.legend()
    return fig


def plot_pareto(frame: pd.DataFrame, x: str, y: str, path, title: str = "") -> Path:
    return save_figure(pareto_figure(frame, x, y, title), path)


def _visible_parts(parts: pd.DataFrame) -> pd.DataFrame:
    parts = parts.fillna(0.0)
    if len(parts):
        # components that are zero up to rounding (e.g. the NRE remainder when NRE is not charged)
        scale = float(parts.abs().to_numpy().sum(axis=1).max()) or 1.0
        parts = parts.loc[:, (parts.abs() > 1e-9 * scale).any(axis=0)]
    return parts


def _stacked(ax, parts: pd.DataFrame, divisor: float, unit: str, title: str) -> None:
    bottom = np.zeros(len(parts))
    cmap = plt.get_cmap("tab20")
    for i, comp in enumerate(parts.columns):
        vals = parts[comp].to_numpy(float) / divisor
        ax.bar(parts.index.astype(str), vals, bottom=bottom, label=comp.replace("_", " "), color=cmap(i % 20))
        bottom += vals
    for j, total in enumerate(bottom):
        ax.annotate(f"{total:,.2f}", (j, total), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8)
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    _plain_axes(ax)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False)


def breakdowns_figure(cost: pd.DataFrame, power: pd.DataFrame):
    """Capital cost [$M] and facility power [MW] by component side by side, one bar per class."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.8))
    _stacked(left, _visible_parts(cost), 1e6, "$M", "Capital cost by component")
    _stacked(right, _visible_parts(power), 1e6, "MW", "Facility power by component")
    fig.tight_layout()
    return fig


def die_area_figure(curve: pd.DataFrame, lite_max_mm2: float | None, mono_min_mm2: float | None,
                    ylabel: str = "capital cost per unit throughput [USD]"):
    """Optimal cost per throughput with the die area fixed at each grid value. ``curve``: columns
    die_area_mm2, value (NaN where infeasible). Lite and monolithic regions shaded."""
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    c = curve.sort_values("die_area_mm2")
    ok = np.isfinite(c["value"].to_numpy(float))
    areas = c["die_area_mm2"].to_numpy(float)
    # regions extend half-way to the neighbouring grid values, so a one-value class is visible
    edges = np.concatenate([[areas[0] - 0.5 * (areas[1] - areas[0]) if len(areas) > 1 else areas[0] - 25.0],
                            0.5 * (areas[1:] + areas[:-1]),
                            [areas[-1] + 0.5 * (areas[-1] - areas[-2]) if len(areas) > 1 else areas[-1] + 25.0]])
    if lite_max_mm2 is not None and np.any(areas <= lite_max_mm2):
        k = int(np.flatnonzero(areas <= lite_max_mm2)[-1])
        ax.axvspan(edges[0], edges[k + 1], color=CLASS_COLORS["lite"], alpha=0.15, label="lite region")
    if mono_min_mm2 is not None and np.any(areas >= mono_min_mm2):
        k = int(np.flatnonzero(areas >= mono_min_mm2)[0])
        ax.axvspan(edges[k], edges[-1], color=CLASS_COLORS["monolithic"], alpha=0.15, label="monolithic region")
    ax.plot(c["die_area_mm2"][ok], c["value"][ok], "o-", color="black", label="optimum at this die area")
    if (~ok).any():
        ymin = float(np.nanmin(c["value"])) if ok.any() else 0.0
        ax.plot(c["die_area_mm2"][~ok], np.full((~ok).sum(), ymin), "x", color="red", label="infeasible")
    ax.set_xlabel("die area [mm$^2$]")
    ax.set_ylabel(ylabel)
    ax.set_title("Die-area curve")
    ax.grid(True, alpha=0.3)
    _plain_axes(ax)
    ax.legend(fontsize=8)
    return fig


def save_both(fig, stem) -> dict[str, Path]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.svg``; {"png": path, "svg": path}."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt in FORMATS:
        out[fmt] = stem.with_name(f"{stem.name}.{fmt}")
        fig.savefig(out[fmt], format=fmt, dpi=DPI, bbox_inches="tight", metadata=_METADATA[fmt])
    plt.close(fig)
    return out


# ---- study figures ---------------------------------------------------------------------------------
MAX_LINES = 12         # more combinations of the other parameters than this: scatter + median
MAX_PANELS = 9


def _short(name: str) -> str:
    """The last segment of a key path: an axis label or legend name."""
    return name.split(".")[-1]


def _tick(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _log_scale(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return len(v) > 1 and (v > 0).all() and v.max() / v.min() >= 10


def ratio_figure(ratios: pd.DataFrame, param: str, others: list[str], classes: tuple[str, str]):
    """Class ratio of capex and of facility power (columns ``cost_ratio``, ``power_ratio``)
    against swept parameter ``param``: one line per combination of the ``others`` (a scatter and
    the median beyond MAX_LINES combinations). Column names are key paths (axis labels)."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    data = ratios
    combos = data.groupby(others, dropna=False, sort=True) if others else [((), data)]
    n_combos = len(combos) if others else 1
    numeric_x = pd.api.types.is_numeric_dtype(data[param])
    for ax, col, title in ((axes[0], "cost_ratio", "capex"), (axes[1], "power_ratio", "facility power")):
        if n_combos <= MAX_LINES:
            for values, part in combos:
                values = values if isinstance(values, tuple) else (values,)
                label = ", ".join(f"{_short(o)}={_tick(v)}" for o, v in zip(others, values)) or None
                part = part.sort_values(param)
                ax.plot(part[param], part[col], marker="o", ms=4, lw=1.2, label=label)
        else:
            ax.scatter(data[param], data[col], s=12, alpha=0.5, label="points")
            med = data.groupby(param)[col].median()
            ax.plot(med.index, med.values, color="black", lw=2, label="median")
        ax.axhline(1.0, color="grey", lw=0.8, ls="--")
        ax.set_title(f"{classes[0]} / {classes[1]}: {title}")
        ax.set_xlabel(param)
        ax.set_ylabel("ratio (< 1: Lite better)")
        if numeric_x and _log_scale(data[param]):
            ax.set_xscale("log")
            ticks = sorted(data[param].dropna().unique())
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if labels and any(labels):
        fig.legend(handles, labels, loc="center left", fontsize=8, bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def winner_figure(frame: pd.DataFrame, a: str, b: str, others: list[str]):
    """Categorical map of the winning class (column ``winner``) over swept parameters a (x) and
    b (y), one panel per combination of the ``others`` (at most MAX_PANELS); cells carry the
    capex ratio where ``cost_ratio`` is given. Column names are key paths."""
    classes = sorted(frame["winner"].dropna().unique())
    xs = sorted(frame[a].dropna().unique(), key=lambda v: (isinstance(v, str), v))
    ys = sorted(frame[b].dropna().unique(), key=lambda v: (isinstance(v, str), v))
    groups = list(frame.groupby(others, dropna=False, sort=True)) if others else [((), frame)]
    groups = groups[:MAX_PANELS]
    ncol = min(3, len(groups))
    nrow = math.ceil(len(groups) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.6 * nrow), squeeze=False)
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    cmap = ListedColormap(["#eeeeee"] + palette[: max(1, len(classes))])
    for ax, (values, part) in zip(axes.flat, groups):
        grid = np.zeros((len(ys), len(xs)))
        for _, r in part.iterrows():
            if pd.isna(r["winner"]):
                continue
            grid[ys.index(r[b]), xs.index(r[a])] = classes.index(r["winner"]) + 1
        ax.imshow(grid, cmap=cmap, vmin=0, vmax=len(classes), origin="lower", aspect="auto")
        if "cost_ratio" in part.columns:
            for _, r in part.iterrows():
                if pd.notna(r["cost_ratio"]):
                    ax.text(xs.index(r[a]), ys.index(r[b]), f"{r['cost_ratio']:.2f}", ha="center", va="center",
                            fontsize=8, color="white")
        ax.set_xticks(range(len(xs)), [_tick(v) for v in xs], fontsize=8)
        ax.set_yticks(range(len(ys)), [_tick(v) for v in ys], fontsize=8)
        ax.set_xlabel(_short(a))
        ax.set_ylabel(_short(b))
        values = values if isinstance(values, tuple) else (values,)
        if others:
            ax.set_title(", ".join(f"{_short(o)}={v}" for o, v in zip(others, values)), fontsize=9)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    fig.legend(handles=[Patch(color=palette[i], label=c) for i, c in enumerate(classes)] +
               [Patch(color="#eeeeee", label="no solution")], loc="upper center", ncol=len(classes) + 1,
               bbox_to_anchor=(0.5, 1.04))
    note = " (numbers: lite / monolithic capex ratio)" if "cost_ratio" in frame.columns else ""
    fig.suptitle("best class by objective" + note, y=1.09)
    return fig


def tornado_figure(frame: pd.DataFrame, top: int | None = 20):
    """The tornado of a ``results.sensitivity`` frame: per parameter (largest swing on top) a bar
    from the ratio at its range's low end to the ratio at its high end, the ratio at the defaults
    and the break-even ratio 1; parameters whose ends leave a class without a design are marked."""
    a = frame.attrs
    A, B = a["classes"]
    rows = frame.head(top) if top else frame
    n = len(rows)
    fig, ax = plt.subplots(figsize=(8.0, 0.9 + 0.32 * max(n, 1)))
    base = a["ratio"]
    for i, row in enumerate(rows.itertuples()):
        y = n - 1 - i
        for end, value, color in (("low", row.ratio_low, "#4575b4"), ("high", row.ratio_high, "#d73027")):
            if value is None or not np.isfinite(value):
                ax.annotate(f"{end}: no design", (base, y), xytext=(40 if end == "high" else -40, 0),
                            textcoords="offset points", ha="center", va="center", fontsize=7, color=color)
                continue
            ax.barh(y, value - base, left=base, height=0.6, color=color, alpha=0.85)
        if isinstance(row.break_even, float) and np.isfinite(row.break_even) and row.certified:
            ax.annotate(f"flips at {row.break_even:.4g} {row.unit}".rstrip(), (1.0, y), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=7)
    labels = [f"{r.key.removeprefix('technology.')} [{r.low:.3g}, {r.high:.3g}] {r.unit}".rstrip()
              for r in rows.itertuples()]
    ax.set_yticks(range(n - 1, -1, -1), labels, fontsize=7)
    if base is not None and np.isfinite(base):
        ax.axvline(base, color="#333333", linewidth=1.0, label=f"at defaults ({base:.3g})")
    ax.axvline(1.0, color="#999999", linestyle="--", linewidth=1.0, label="break-even (ratio 1)")
    metric = {"capex": "capital cost", "tco": "TCO", "power": "facility power"}[a["metric"]]
    ax.set_xlabel(f"{A} / {B} ratio of {metric} [-] (each in {a['unit']}, optimal per class)")
    ax.legend(handles=[Patch(color="#4575b4", label="parameter at its low end"),
                       Patch(color="#d73027", label="parameter at its high end"),
                       *ax.get_legend_handles_labels()[0]], fontsize=7, loc="lower right")
    ax.set_title(f"{a['instance']}: {A} / {B} by assumption (others at defaults)", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_tornado(frame: pd.DataFrame, path, top: int | None = 20) -> Path:
    return save_figure(tornado_figure(frame, top), path)


def ratio_histogram_figure(samples: pd.DataFrame, classes: tuple[str, str], metric: str, title: str = ""):
    """Histogram of the sampled ratio A/B (log bins when it spans more than a factor 3), with the
    break-even ratio 1 and P(A wins) in the legend."""
    A, B = classes
    ratio = samples["ratio"].to_numpy(float)
    ratio = ratio[np.isfinite(ratio)]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    if len(ratio):
        lo, hi = float(ratio.min()), float(ratio.max())
        log = lo > 0 and hi / lo > 3
        bins = np.geomspace(lo, hi, 30) if log and hi > lo else 30
        ax.hist(ratio, bins=bins, color="#4575b4", alpha=0.85)
        if log:
            ax.set_xscale("log")
    wins = float(np.mean(samples["winner"] == A)) if len(samples) else float("nan")
    ax.axvline(1.0, color="#d73027", linestyle="--", label=f"break-even; P({A} wins) = {wins:.2f}")
    name = {"capex": "capital cost", "tco": "TCO", "power": "facility power"}[metric]
    ax.set_xlabel(f"{A} / {B} ratio of {name} [-]")
    ax.set_ylabel("samples [count]")
    ax.legend(fontsize=8)
    ax.set_title(title or f"{A} / {B} over the declared ranges", fontsize=9)
    return fig


def samples_scatter_figure(samples: pd.DataFrame, x: str, y: str, classes: tuple[str, str], units: dict[str, str]):
    """The samples in the plane of two parameters, coloured by the winning class."""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    order = list(classes)
    for name in (*classes, "tie", None):
        mask = samples["winner"].isna() if name is None else samples["winner"] == name
        if not mask.any():
            continue
        color = class_color(name, order) if name in classes else "#999999"
        ax.scatter(samples.loc[mask, x], samples.loc[mask, y], s=14, color=color,
                   label=f"{name} wins" if name in classes else (name or "no design / failed"))
    ax.set_xlabel(f"{x.removeprefix('technology.')} [{units.get(x) or '-'}]")
    ax.set_ylabel(f"{y.removeprefix('technology.')} [{units.get(y) or '-'}]")
    ax.legend(fontsize=8)
    ax.set_title("samples by winner (the two parameters with the largest rank correlation)", fontsize=9)
    return fig
