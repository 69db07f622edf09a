"""Study-level report of a results store: where does the Lite-GPU verdict flip?

``write_study_report(store_path, out_dir)`` writes into ``out_dir``:

* ``study.html`` (self-contained: figures embedded as base64 PNG) and ``study.md`` (figures linked),
  from the jinja2 templates ``study.html.j2`` / ``study.md.j2`` with the reports' one stylesheet;
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
import re
from pathlib import Path

import numpy as np
import pandas as pd

from litedse.batch.store import SWEEP_PREFIX, Store
from litedse.results import plots
from litedse.results.pages import render as render_page
from litedse.results.pages import stylesheet
from litedse.results.tables import format_number, format_ratio, html_table, markdown_table

SOLVED = ("optimal", "feasible", "time_limit")


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


def _label(col: str) -> str:
    """A store column's key path (``sweep:`` prefix dropped): axis labels and table headers."""
    return col[len(SWEEP_PREFIX):] if col.startswith(SWEEP_PREFIX) else col


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
                others = [_label(o) for o in sweeps if o != p and ratios[o].nunique() > 1]
                fig = plots.ratio_figure(_display(ratios), _label(p), others, (lite_class, ref_class))
                figures.append((f"{lite_class} / {ref_class} ratio against {_label(p)}",
                                plots.save_both(fig, figdir / f"ratio_{_slug(_label(p))}")))
    varying = [p for p in sweeps if points[p].nunique() > 1]
    if len(varying) >= 2 and points["winner"].notna().any():
        a, b = varying[0], varying[1]
        fig = plots.winner_figure(_display(points), _label(a), _label(b), [_label(o) for o in varying[2:]])
        figures.append((f"winner map over {_label(a)} and {_label(b)}",
                        plots.save_both(fig, figdir / f"winner_{_slug(_label(a))}__{_slug(_label(b))}")))

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
                          "values": [", ".join(format_number(v) for v in sorted(points[p].dropna().unique())) for p in sweeps]})
    if have_ratios:
        cr, pr = ratios["cost_ratio"].dropna(), ratios["power_ratio"].dropna()
        verdict = (f"{lite_class} is cheaper than {ref_class} at {(cr < 1).sum()} of {len(cr)} points "
                   f"(capex ratio {format_ratio(cr.min())} to {format_ratio(cr.max())}); it draws less facility "
                   f"power at {(pr < 1).sum()} of {len(pr)} (power ratio {format_ratio(pr.min())} to "
                   f"{format_ratio(pr.max())}).")
    else:
        verdict = f"No point has solved rows of both {lite_class} and {ref_class}: no ratios."

    sections = [("Swept parameters", swept), ("Rows by class and status", status),
                (f"{lite_class} / {ref_class} ratios", ratio_view)]
    if len(win) and sweeps:
        # sorted by the swept parameters, so that where the winner changes reads down the table
        sections.append(("Winning class per point",
                         _display(points.drop(columns="key").sort_values(sweeps, kind="stable"))))
    for kind, render in (("html", html_table), ("markdown", markdown_table)):
        context = {"title": title, "verdict": verdict, "summary": summary, "style": stylesheet(),
                   "sections": [{"title": t, "table": render(df)} for t, df in sections],
                   "failures": render(failures),
                   "figures": [{"caption": caption, "png": paths["png"].relative_to(out).as_posix(),
                                "svg": paths["svg"].relative_to(out).as_posix(),
                                "b64": base64.b64encode(paths["png"].read_bytes()).decode()}
                               for caption, paths in figures]}
        if kind == "html":
            (out / "study.html").write_text(render_page("study.html.j2", context))
        else:
            (out / "study.md").write_text(render_page("study.md.j2", context, html=False))
    return {"html": out / "study.html", "markdown": out / "study.md", "figures": figures, "ratios": ratios,
            "winners": points, "failures": failures}
