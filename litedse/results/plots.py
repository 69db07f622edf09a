"""Figures of the results layer, drawn from data frames with matplotlib's Agg backend (no display).
Each function writes PNG or SVG by the file suffix and returns the path; ``figure_bytes`` gives
the encoded image for embedding.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FORMATS = ("png", "svg")
# reproducible files: no timestamp in SVG metadata, fixed salt for SVG element ids
matplotlib.rcParams["svg.hashsalt"] = "litedse"
_METADATA = {"svg": {"Date": None}, "png": {}}
DPI = 110
CLASS_COLORS = {"lite": "#1b9e77", "monolithic": "#d95f02", "free": "#7570b3"}
_OTHER_COLORS = ["#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
LABELS = {"cost": "capital cost [USD]", "power": "facility power [W]", "tco": "TCO [USD]",
          "demand_scale": "demand scale [-]", "blast_radius": "blast radius [h/yr]"}


def class_color(name: str, order: list[str]) -> str:
    if name in CLASS_COLORS:
        return CLASS_COLORS[name]
    others = [n for n in order if n not in CLASS_COLORS]
    return _OTHER_COLORS[others.index(name) % len(_OTHER_COLORS)] if name in others else "#333333"


def _save(fig, path) -> Path:
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


def pareto_figure(frame: pd.DataFrame, x: str, y: str, title: str = ""):
    """Fronts of several classes on one axes. ``frame``: columns class, x, y (criterion names) and
    optionally die_area_mm2 (each point is labelled with its die area)."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    order = list(dict.fromkeys(frame["class"])) if len(frame) else []
    for name in order:
        sub = frame[frame["class"] == name].sort_values(x)
        ax.step(sub[x], sub[y], where="post", color=class_color(name, order), alpha=0.35, linewidth=1)
        ax.plot(sub[x], sub[y], "o", color=class_color(name, order), label=f"{name} ({len(sub)} points)")
        if "die_area_mm2" in sub.columns:
            for xv, yv, a in zip(sub[x], sub[y], sub["die_area_mm2"]):
                ax.annotate(f"{a:g}", (xv, yv), textcoords="offset points", xytext=(4, 4), fontsize=7)
    ax.set_xlabel(LABELS.get(x, x))
    ax.set_ylabel(LABELS.get(y, y))
    ax.set_title(title or f"Pareto fronts: {x} vs {y} (labels: die area mm$^2$)")
    ax.grid(True, alpha=0.3)
    if order:
        ax.legend()
    return fig


def plot_pareto(frame: pd.DataFrame, x: str, y: str, path, title: str = "") -> Path:
    return _save(pareto_figure(frame, x, y, title), path)


def breakdown_figure(parts: pd.DataFrame, unit: str, title: str):
    """Stacked bars: one bar per class (rows of ``parts``), one segment per component (columns)."""
    parts = parts.fillna(0.0)
    if len(parts):
        # components that are zero up to rounding (e.g. the NRE remainder when NRE is not charged)
        scale = float(parts.abs().to_numpy().sum(axis=1).max()) or 1.0
        parts = parts.loc[:, (parts.abs() > 1e-9 * scale).any(axis=0)]
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    bottom = np.zeros(len(parts))
    cmap = plt.get_cmap("tab10")
    for i, comp in enumerate(parts.columns):
        vals = parts[comp].to_numpy(float)
        ax.bar(parts.index.astype(str), vals, bottom=bottom, label=comp.replace("_", " "), color=cmap(i % 10))
        bottom += vals
    ax.set_ylabel(unit)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1.0), loc="upper left")
    return fig


def plot_breakdown(parts: pd.DataFrame, unit: str, title: str, path) -> Path:
    return _save(breakdown_figure(parts, unit, title), path)


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
    ax.legend(fontsize=8)
    return fig


def plot_die_area(curve: pd.DataFrame, path, lite_max_mm2=None, mono_min_mm2=None) -> Path:
    return _save(die_area_figure(curve, lite_max_mm2, mono_min_mm2), path)
