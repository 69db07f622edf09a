"""Study-level report of a results store: where does the Lite-GPU verdict flip?

``write_study_report(store_path, out_dir)`` writes into ``out_dir``:

* ``study.html`` (self-contained: figures embedded as base64 PNG) and ``study.md`` (figures linked);
* ``figures/ratio_<param>.png|.svg``: Lite / monolithic ratio of capex and of facility power
  against each swept parameter (one line per combination of the other parameters);
* ``figures/winner_<a>__<b>.png|.svg``: the class with the best objective at every point of two
  swept parameters (one panel per combination of the remaining ones);
* ``ratios.csv`` (one row per instance point), ``failures.csv`` (every row without a solution) and
  ``rows.csv`` (the store as read).

The ratio compares the rows of the same instance key: class ``lite`` over class ``monolithic``
(``lite_class``/``ref_class`` change that). A ratio below 1 means the Lite-GPU design is cheaper
(or draws less power) than the monolithic one for that point.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from litedse.batch.store import SWEEP_PREFIX, Store

SOLVED = ("optimal", "time_limit")
MAX_LINES = 12         # more combinations of the other parameters than this: scatter + median
MAX_PANELS = 9


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text.split(".")[-1]).strip("_")[:60]


def _numeric(series: pd.Series) -> pd.Series:
    conv = pd.to_numeric(series, errors="coerce")
    return conv if conv.notna().sum() == series.notna().sum() else series.astype(str)


def sweep_columns(rows: pd.DataFrame) -> list[str]:
    return [c for c in rows.columns if c.startswith(SWEEP_PREFIX) and rows[c].notna().any()]


def ratio_table(rows: pd.DataFrame, lite_class: str = "lite", ref_class: str = "monolithic") -> pd.DataFrame:
    """One row per instance key holding both classes: their capex and power and the ratios."""
    sweeps = sweep_columns(rows)
    ident = ["key", "instance_name", *sweeps]
    ident = [c for c in ident if c in rows.columns]
    out = rows.drop_duplicates("key")[ident].set_index("key")
    for cls, tag in ((lite_class, "lite"), (ref_class, "ref")):
        part = rows[rows["class"] == cls].set_index("key")
        for col in ("status", "capex_usd", "facility_power_w", "objective_value", "design_die_area_mm2",
                    "design_hbm_stacks", "design_links", "packages"):
            out[f"{tag}_{col}"] = part[col] if col in part.columns else np.nan
    out = out[out["lite_status"].notna() & out["ref_status"].notna()]
    ok = out["lite_status"].isin(SOLVED) & out["ref_status"].isin(SOLVED)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cost_ratio"] = np.where(ok, pd.to_numeric(out["lite_capex_usd"]) / pd.to_numeric(out["ref_capex_usd"]), np.nan)
        out["power_ratio"] = np.where(ok, pd.to_numeric(out["lite_facility_power_w"])
                                      / pd.to_numeric(out["ref_facility_power_w"]), np.nan)
    out = out.rename(columns=lambda c: f"{lite_class}_{c[5:]}" if c.startswith("lite_")
                     else f"{ref_class}_{c[4:]}" if c.startswith("ref_") else c)
    return out.reset_index().sort_values([*sweeps, "key"] if sweeps else ["key"], kind="stable").reset_index(drop=True)


def winners(rows: pd.DataFrame) -> pd.DataFrame:
    """Per instance key: the class whose solved row has the best objective (ties: first by name)."""
    solved = rows[rows["status"].isin(SOLVED) & rows["objective_value"].notna()].copy()
    if solved.empty:
        return pd.DataFrame(columns=["key", "winner"])
    solved["objective_value"] = pd.to_numeric(solved["objective_value"])
    sense = solved["objective_sense"].fillna("min") if "objective_sense" in solved else "min"
    solved["score"] = np.where(sense == "max", -solved["objective_value"], solved["objective_value"])
    best = solved.sort_values(["key", "score", "class"], kind="stable").drop_duplicates("key")
    return best[["key", "class"]].rename(columns={"class": "winner"}).reset_index(drop=True)


# ---- figures ---------------------------------------------------------------------------------------

def _save(fig, figdir: Path, stem: str) -> dict:
    figdir.mkdir(parents=True, exist_ok=True)
    png, svg = figdir / f"{stem}.png", figdir / f"{stem}.svg"
    fig.savefig(png, dpi=110, bbox_inches="tight")
    fig.savefig(svg, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return {"png": png, "svg": svg}


def _label(col: str) -> str:
    return col[len(SWEEP_PREFIX):] if col.startswith(SWEEP_PREFIX) else col


def _short(col: str) -> str:
    """The last segment of a column's key path: an axis label or legend name."""
    return _label(col).split(".")[-1]


def _tick(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def _log_scale(values: pd.Series) -> bool:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return len(v) > 1 and (v > 0).all() and v.max() / v.min() >= 10


def ratio_figure(ratios: pd.DataFrame, param: str, others: list[str], figdir: Path, classes: tuple[str, str]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    data = ratios.copy()
    data[param] = _numeric(data[param])
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
        ax.set_xlabel(_label(param))
        ax.set_ylabel("ratio (< 1: Lite better)")
        if numeric_x and _log_scale(data[param]):
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ticks = sorted(data[param].dropna().unique())
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    if labels and any(labels):
        fig.legend(handles, labels, loc="center left", fontsize=8, bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return _save(fig, figdir, f"ratio_{_slug(_label(param))}")


def winner_figure(frame: pd.DataFrame, a: str, b: str, others: list[str], figdir: Path):
    """Categorical map of the winning class over swept parameters a (x) and b (y)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    frame = frame.copy()
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
    return _save(fig, figdir, f"winner_{_slug(_label(a))}__{_slug(_label(b))}")


# ---- tables ----------------------------------------------------------------------------------------

def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v == 0:
            return "0"
        if 1e4 <= abs(v) < 1e10:
            return f"{v:,.0f}"
        if abs(v) >= 1e10 or abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:,.4g}"
    return str(value)


def _md_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "(none)\n"
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines) + "\n"


def _html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns=lambda c: _label(str(c)))


# ---- the report ------------------------------------------------------------------------------------

def write_study_report(store_path, out_dir, *, lite_class: str = "lite", ref_class: str = "monolithic") -> dict:
    """Write the study report of a results store; returns the paths written and the tables."""
    rows = Store(store_path).read()
    out = Path(out_dir)
    figdir = out / "figures"
    out.mkdir(parents=True, exist_ok=True)
    sweeps = sweep_columns(rows)
    for c in sweeps:
        rows[c] = _numeric(rows[c])

    status = (rows.groupby(["class", "status"]).size().unstack(fill_value=0).reset_index()
              if len(rows) else pd.DataFrame())
    ratios = ratio_table(rows, lite_class, ref_class) if len(rows) else pd.DataFrame()
    win = winners(rows) if len(rows) else pd.DataFrame(columns=["key", "winner"])
    points = rows.drop_duplicates("key")[["key", *sweeps]] if len(rows) else pd.DataFrame(columns=["key"])
    points = points.merge(win, on="key", how="left")
    if len(ratios):
        points = points.merge(ratios[["key", "cost_ratio"]], on="key", how="left")
    fail_cols = [c for c in ("source", "point", "class", "status", "error") if c in rows.columns]
    failures = rows[~rows["status"].isin(SOLVED)][fail_cols] if len(rows) else pd.DataFrame(columns=fail_cols)

    figures: list[tuple[str, dict]] = []
    have_ratios = len(ratios) and ratios["cost_ratio"].notna().any()
    if have_ratios:
        for p in sweeps:
            if ratios[p].nunique() > 1:
                others = [o for o in sweeps if o != p and ratios[o].nunique() > 1]
                figures.append((f"{lite_class} / {ref_class} ratio against {_label(p)}",
                                ratio_figure(ratios, p, others, figdir, (lite_class, ref_class))))
    varying = [p for p in sweeps if points[p].nunique() > 1]
    if len(varying) >= 2 and points["winner"].notna().any():
        a, b = varying[0], varying[1]
        figures.append((f"winner map over {_label(a)} and {_label(b)}",
                        winner_figure(points, a, b, varying[2:], figdir)))

    ratio_cols = [c for c in [*sweeps, "instance_name", f"{lite_class}_capex_usd", f"{ref_class}_capex_usd", "cost_ratio",
                              f"{lite_class}_facility_power_w", f"{ref_class}_facility_power_w", "power_ratio",
                              f"{lite_class}_design_die_area_mm2", f"{ref_class}_design_die_area_mm2",
                              f"{lite_class}_design_hbm_stacks", f"{ref_class}_design_hbm_stacks",
                              f"{lite_class}_design_links", f"{ref_class}_design_links",
                              f"{lite_class}_packages", f"{ref_class}_packages"]
                  if c in ratios.columns]
    ratio_view = _display(ratios[ratio_cols]) if len(ratios) else pd.DataFrame()
    ratios.to_csv(out / "ratios.csv", index=False)
    failures.to_csv(out / "failures.csv", index=False)
    rows.to_csv(out / "rows.csv", index=False)

    title = f"Study report: {Path(store_path).name}"
    summary = (f"{len(rows)} rows ({rows['key'].nunique() if len(rows) else 0} instances x classes "
               f"{', '.join(sorted(rows['class'].unique())) if len(rows) else '-'}); "
               f"{len(failures)} without a solution.")
    swept = pd.DataFrame({"parameter": [_label(p) for p in sweeps],
                          "values": [", ".join(_fmt(v) for v in sorted(points[p].dropna().unique())) for p in sweeps]})
    if have_ratios:
        cr, pr = ratios["cost_ratio"].dropna(), ratios["power_ratio"].dropna()
        verdict = (f"{lite_class} is cheaper than {ref_class} at {(cr < 1).sum()} of {len(cr)} points "
                   f"(capex ratio {cr.min():.3f} to {cr.max():.3f}); it draws less facility power at "
                   f"{(pr < 1).sum()} of {len(pr)} (power ratio {pr.min():.3f} to {pr.max():.3f}).")
    else:
        verdict = f"No point has solved rows of both {lite_class} and {ref_class}: no ratios."

    md = [f"# {title}\n", summary + "\n", verdict + "\n", "## Swept parameters\n", _md_table(swept),
          "## Rows by class and status\n", _md_table(status),
          f"## {lite_class} / {ref_class} ratios\n", _md_table(ratio_view)]
    htm = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(summary)}</p>", f"<p>{html.escape(verdict)}</p>",
           "<h2>Swept parameters</h2>", _html_table(swept), "<h2>Rows by class and status</h2>", _html_table(status),
           f"<h2>{html.escape(lite_class)} / {html.escape(ref_class)} ratios</h2>", _html_table(ratio_view)]
    if len(win) and sweeps:
        md += ["## Winning class per point\n", _md_table(_display(points.drop(columns="key")))]
        htm += ["<h2>Winning class per point</h2>", _html_table(_display(points.drop(columns="key")))]
    md.append("## Figures\n")
    htm.append("<h2>Figures</h2>")
    for caption, paths in figures:
        rel = paths["png"].relative_to(out).as_posix()
        md.append(f"![{caption}]({rel})\n\n[SVG]({paths['svg'].relative_to(out).as_posix()})\n")
        data = base64.b64encode(paths["png"].read_bytes()).decode()
        htm.append(f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                   f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    if not figures:
        md.append("(no figure: the study needs solved rows of both classes and a varying parameter)\n")
        htm.append("<p>(no figure)</p>")
    md += ["## Failures\n", _md_table(failures)]
    htm += ["<h2>Failures</h2>", _html_table(failures)]
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;"
             "font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}img{max-width:100%}")
    (out / "study.md").write_text("\n".join(md))
    (out / "study.html").write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
                                    f"</title><style>{style}</style></head><body>{''.join(htm)}</body></html>")
    return {"html": out / "study.html", "markdown": out / "study.md", "figures": figures, "ratios": ratios,
            "winners": points, "failures": failures}
