"""The ``litedse report`` page: a self-contained HTML file (figures embedded as base64 PNG) and a
Markdown file with the same content, plus ``report.json`` (every table's data) and the figures as
PNG and SVG files.

Two layers: ``report_data`` runs the studies of an instance (compare, Pareto fronts, die-area
curve, assumption table) into a ``ReportData`` of plain data frames; ``write_report`` renders any
``ReportData`` (tests build one by hand).
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from litedse.inputs.instance import Instance
from litedse.jsonable import jsonable
from litedse.results import pages, plots
from litedse.inputs.classes import DEFAULT_CLASSES
from litedse.results.compare import Comparison, compare_instance, headline
from litedse.results.fronts import fronts_table, pareto_instance
from litedse.results.metrics import METRICS, design_text
from litedse.results.documents import sensitivity_document
from litedse.results.provenance import provenance, provenance_line
from litedse.results.sensitivity import display_frame, sensitivity, verdict_sentence
from litedse.results.tables import (criterion_unit, format_field, format_number, format_power, format_quantity, format_ratio,
                                    format_usd, html_table, markdown_table)
from litedse.solve import solve_instance

FIGURES = ("breakdown", "tornado", "uncertainty", "pareto", "die_area")
CAPTIONS = {"breakdown": "Capital cost [$M] and facility power [MW] by component",
            "pareto": "Pareto fronts ({} vs {})",
            "die_area": "Die-area curve: optimal capex per unit throughput with the die area fixed"}
# the figures the page opens with, after the verdict: what decides it, then what would flip it
TOP_FIGURES = ("breakdown", "tornado", "uncertainty")
# the report's tornado: the assumptions the issue and the paper study single out (the full list of
# about 100 takes minutes on the main job; `litedse sensitivity` examines them all)
REPORT_PARAMETERS = ("technology.host.cost_usd", "technology.interconnect.cpo.cost_usd_per_link",
                     "technology.interconnect.electrical.cost_usd_per_link", "technology.fabric.cpo.switch_cost_usd",
                     "technology.fabric.electrical.switch_cost_usd", "technology.package.cowos-s.final_test_usd",
                     "technology.scaleout.gbps_per_tflops_bf16", "technology.node.n4.defect_density_per_cm2",
                     "technology.node.n4.wafer_cost_usd")
# the report's metric for each solve objective (no tornado for demand_scale)
SENSITIVITY_METRIC = {"cost": "capex", "tco": "tco", "power": "power"}


@dataclass
class ReportData:
    title: str
    summary: list[str]                               # verdict sentences
    comparison: pd.DataFrame                          # index metric key, columns class
    ratios: pd.DataFrame                              # index metric key, columns class (to the baseline)
    cards: dict[str, dict[str, Any]]                  # class -> design card (label -> value)
    cost_breakdown: pd.DataFrame                      # index class, columns component [USD]
    power_breakdown: pd.DataFrame                     # index class, columns component [W]
    assumptions: pd.DataFrame                         # columns key, value, source
    pareto: pd.DataFrame | None = None                # columns class, x, y, criteria, design columns
    pareto_axes: tuple[str, str] = ("cost", "power")
    die_curve: pd.DataFrame | None = None             # columns die_area_mm2, value, design
    lite_max_mm2: float | None = None
    mono_min_mm2: float | None = None
    baseline: str = "monolithic"
    meta: dict[str, Any] = field(default_factory=dict)
    verdict: str = ""                                  # the sensitivity verdict (winner, margin, what flips it)
    sensitivity: pd.DataFrame | None = None           # results.sensitivity frame (attrs: classes, ratio...)
    uncertainty: Any = None                           # batch.uncertainty.UncertaintyRun, if one was made
    headline: str = ""                                # the comparison's verdict in one sentence
    classes: pd.DataFrame | None = None               # class, description, design space, source


# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------

def _flatten(values: Any, sources: Any, prefix: str = "") -> list[dict[str, Any]]:
    rows = []
    if isinstance(values, dict):
        for k, v in values.items():
            src = sources.get(k, "") if isinstance(sources, dict) else ""
            rows += _flatten(v, src, f"{prefix}.{k}" if prefix else str(k))
    else:
        rows.append({"key": prefix, "value": values if not isinstance(values, (list, tuple)) else json.dumps(values),
                     "source": sources if isinstance(sources, str) else json.dumps(sources)})
    return rows


def assumption_table(inst: Instance, classes: dict | None = None) -> pd.DataFrame:
    """Every technology and performance value of the instance with its source, and every class
    filter with its source."""
    rows = [{"section": "technology", **r} for r in _flatten(inst.technology, inst.technology_sources)]
    rows += [{"section": "performance", **r} for r in _flatten(inst.performance, inst.performance_sources)]
    for name, cls in (classes or {}).items():
        for key, src in cls.sources.items():
            rows.append({"section": f"class {name}", "key": key, "value": class_value_text(cls, key), "source": src})
    return pd.DataFrame(rows, columns=["section", "key", "value", "source"])


def class_value_text(cls, key: str) -> str:
    """What a class's preset key says, in words: a threshold with the axis values it keeps
    (``<= 300 (keeps 100, 150, ..., 300)``), an axis's values, the SKU or the description."""
    if key in cls.bounds:
        axis = key[:-4]
        kept = cls.design_space.get(axis, [])
        shown = ", ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in kept)
        return f"{'<=' if key.endswith('_max') else '>='} {cls.bounds[key]:g} (keeps {shown})"
    if key in cls.design_space:
        return json.dumps(cls.design_space[key])
    if key == "sku":
        return str(cls.sku)
    if key == "max_designs":
        return str(cls.max_designs)
    if key == "description":
        return cls.description
    return ""


def class_table(classes: dict) -> pd.DataFrame:
    """One row per compared class: what it is and how it restricts the design space."""
    rows = []
    for name, cls in classes.items():
        rule = "; ".join(f"{k.replace('_max', '').replace('_min', '')} {class_value_text(cls, k)}" for k in cls.bounds)
        fixed = "; ".join(f"{k} = {json.dumps(v)}" for k, v in cls.design_space.items()
                          if f"{k}_max" not in cls.bounds and f"{k}_min" not in cls.bounds)
        rows.append({"class": name, "description": cls.description or "",
                     "design space": cls.sku and f"catalog SKU {cls.sku}" or "; ".join(p for p in (rule, fixed) if p)
                     or "the instance's, unrestricted",
                     "source": "; ".join(sorted(set(cls.sources.values())))})
    return pd.DataFrame(rows, columns=["class", "description", "design space", "source"])


def design_card(cr) -> dict[str, Any]:
    doc, m = cr.doc, cr.metrics
    if doc["status"] == "infeasible":
        return {"status": "infeasible", "explanation": doc.get("explanation") or ""}
    card: dict[str, Any] = {"status": doc["status"], "design": m.get("design")}
    for i, d in enumerate(doc["designs"]):
        card[f"design {i} packages"] = d["packages"]
        card[f"design {i} die yield"] = d.get("die_yield")
        card[f"design {i} package cost USD"] = d.get("unit_cost_usd")
        card[f"design {i} TDP W"] = d.get("tdp_w")
    for w in doc["workloads"]:
        mp = ", ".join(f"{k}={v}" for k, v in w["mapping"].items() if v != 1 or k in ("tp", "batch"))
        card[f"{w['name']} mapping"] = mp
        card[f"{w['name']} replicas"] = w["replicas"]
        card[f"{w['name']} throughput / demand"] = f"{w['throughput']:.6g} / {w['demand']:.6g} {w['unit']}"
        if w.get("ttft_s") is not None:
            card[f"{w['name']} TTFT s"] = w["ttft_s"]
        if w.get("tpot_s") is not None:
            card[f"{w['name']} TPOT s"] = w["tpot_s"]
    card["binding constraints"] = ", ".join(doc["binding_constraints"]) or "none"
    card["blast radius h/yr"] = m.get("blast_radius_h_per_yr")
    return card


def die_area_curve(inst: Instance, objective: str | None = None, threads: int | None = None,
                   progress=None) -> pd.DataFrame:
    """Optimal capex (or the instance objective) per unit of throughput with the die area fixed at
    each grid value of the instance, everything else free. ``progress(done, total, what)`` after
    each solve."""
    rows = []
    areas = list(inst.design_space.die_area_mm2)
    for i, area in enumerate(areas):
        if progress is not None:
            progress(i, len(areas), f"solving at die area {area:g} mm^2")
        res = solve_instance(inst, design_space={"die_area_mm2": [area]}, objective=objective, threads=threads)
        s, p = res.solution, res.problem
        if s.feasible:
            thr = float((p.col_throughput[s.column] * s.replicas).sum())
            t = p.sku_table.iloc[int(p.col_sku[s.column[0]])]
            rows.append({"die_area_mm2": float(area), "value": float(s.capex_usd) / thr, "capex_usd": float(s.capex_usd),
                         "facility_power_w": float(s.facility_power_w), "throughput": thr,
                         "design": design_text(t), "status": s.status})
        else:
            rows.append({"die_area_mm2": float(area), "value": math.nan, "capex_usd": math.nan,
                         "facility_power_w": math.nan, "throughput": math.nan, "design": "", "status": s.status})
        if progress is not None:
            progress(i + 1, len(areas), f"die area {area:g} mm^2 solved ({s.status})")
    return pd.DataFrame(rows)


def report_data(inst: Instance, classes: list[str] | None = None, *, pareto_axes: tuple[str, str] = ("cost", "power"),
                pareto_points: int | None = None, pareto_classes: list[str] | None = None, die_curve: bool = True,
                threads: int | None = None, sensitivity_classes: tuple[str, str] | None = None,
                sensitivity_params: list[str] | None = None, uncertainty=None, progress=None) -> ReportData:
    """The report of ``inst``: the comparison of ``classes``, Pareto fronts, die-area curve, and
    the tornado of ``sensitivity_classes`` (default: lite against the baseline) over
    ``sensitivity_params`` (default ``report_parameters``; an empty list: none). ``uncertainty``:
    an ``UncertaintyRun`` of the same pair (litedse.batch.uncertainty), whose probability the
    verdict sentence then quotes. ``progress(done, total, what)`` counts the steps together (one
    solve per class, one front per class, one solve per die area, the tornado); ``meta`` times
    each phase."""
    t0 = time.perf_counter()
    names_asked = list(classes or DEFAULT_CLASSES)
    n_fronts = len(pareto_classes or names_asked) if pareto_axes else 0
    n_areas_total = len(inst.design_space.die_area_mm2) if die_curve else 0
    total = len(names_asked) + n_fronts + n_areas_total + 1      # + 1: the tornado

    def stage(offset):
        if progress is None:
            return None
        return lambda done, _n, what: progress(offset + done, total, what)

    if progress is not None:
        n_areas = len(inst.design_space.die_area_mm2) if die_curve else 0
        progress(0, total, f"planned: {len(names_asked)} class solves, {n_fronts} Pareto fronts ("
                 + ("exact: one MILP solve per point, up to 200 points each" if pareto_points is None
                    else f"{pareto_points} grid points each") + f"), {n_areas} die-area solves")
    comp = compare_instance(inst, names_asked, threads=threads, progress=stage(0))
    t_compare = time.perf_counter() - t0
    names = list(comp.classes)
    table = pd.DataFrame({n: {k: comp.classes[n].metrics.get(k) for k, _, _ in METRICS} for n in names})
    ratios = pd.DataFrame(comp.ratios())
    ratios = ratios.loc[[k for k, _, _ in METRICS]]
    cost = pd.DataFrame({n: comp.classes[n].cost_breakdown for n in names}).T
    power = pd.DataFrame({n: comp.classes[n].power_breakdown for n in names}).T
    fronts_df = None
    t1 = time.perf_counter()
    if pareto_axes:
        front_classes = [n for n in (pareto_classes or names) if n in comp.classes and comp.classes[n].feasible]
        fronts = pareto_instance(inst, *pareto_axes, classes=front_classes, points=pareto_points, threads=threads,
                                 progress=stage(len(names_asked)))
        fronts_df = fronts_table(fronts)
    t_pareto = time.perf_counter() - t1
    curve = die_area_curve(inst, threads=threads, progress=stage(len(names_asked) + n_fronts)) if die_curve else None
    t_curve = time.perf_counter() - t1 - t_pareto
    t2 = time.perf_counter()
    tornado = None
    pair = sensitivity_classes or default_pair(names, comp.baseline)
    metric = SENSITIVITY_METRIC.get(inst.objective.name)
    if pair and metric and all(comp.classes[c].feasible for c in pair if c in comp.classes):
        keys = report_parameters(inst) if sensitivity_params is None else list(sensitivity_params)
        if keys and progress is not None:
            progress(total - 1, total, f"tornado of {pair[0]} / {pair[1]} over {len(keys)} assumptions "
                                       "(two solves per end of each range, more to find a break-even)")
        tornado = sensitivity(inst, pair, metric=metric, params=keys, threads=threads) if keys else None
    if progress is not None:
        progress(total, total, "tornado done" if tornado is not None else "no tornado")
    t_sens = time.perf_counter() - t2
    cls = {n: comp.classes[n].cls for n in names}
    lite = _bound(cls.get("lite"), "die_area_mm2", max)
    mono = _bound(cls.get("monolithic"), "die_area_mm2", min)
    prob = uncertainty.summary["p_a_wins"] if uncertainty is not None else None
    sentence = verdict_sentence(tornado, prob) if tornado is not None else ""
    return ReportData(
        title=f"litedse report: {inst.name}", summary=verdict(comp), headline=headline(comp), classes=class_table(cls),
        comparison=table, ratios=ratios, verdict=sentence, sensitivity=tornado, uncertainty=uncertainty,
        cards={n: design_card(comp.classes[n]) for n in names}, cost_breakdown=cost, power_breakdown=power,
        assumptions=assumption_table(inst, cls), pareto=fronts_df, pareto_axes=tuple(pareto_axes or ("cost", "power")),
        die_curve=curve, lite_max_mm2=lite, mono_min_mm2=mono, baseline=comp.baseline,
        meta={"instance": inst.name, "description": inst.description, "instance_key": inst.key(),
              "compare_s": t_compare, "pareto_s": t_pareto, "die_curve_s": t_curve, "sensitivity_s": t_sens,
              "wall_s": time.perf_counter() - t0,
              "compare": jsonable(comp.to_dict()), "provenance": provenance(inst)})


def report_parameters(inst: Instance) -> list[str]:
    """The report's tornado parameters that ``inst`` declares uncertain: REPORT_PARAMETERS and the
    price per GB of each HBM generation of its design space."""
    keys = list(REPORT_PARAMETERS) + [f"technology.hbm.{g}.cost_usd_per_gb" for g in inst.design_space.hbm]
    return [k for k in keys if k in inst.uncertainty]


def default_pair(names: list[str], baseline: str) -> tuple[str, str] | None:
    if "lite" in names and baseline in names and baseline != "lite":
        return ("lite", baseline)
    others = [n for n in names if n != baseline]
    return (others[0], baseline) if others and baseline in names else None


def _bound(cls, axis, fn):
    if cls is None or axis not in cls.design_space:
        return None
    return float(fn(cls.design_space[axis]))


def verdict(comp: Comparison) -> list[str]:
    """Plain sentences: which class is cheapest, and the lite/monolithic ratios that matter."""
    out = []
    feas = {n: cr for n, cr in comp.classes.items() if cr.feasible}
    if not feas:
        return ["No class has a feasible design."]
    obj = next(iter(feas.values())).doc["objective"]
    sense = -1 if obj["sense"] == "max" else 1
    best = min(feas, key=lambda n: sense * feas[n].metrics["objective"])
    out.append(f"Best {obj['name']}: {best} ({feas[best].metrics['design']}), "
               f"{format_quantity(feas[best].metrics['objective'], obj['unit'])}.")
    r = comp.ratios()
    for n in feas:
        if n == comp.baseline or comp.baseline not in feas:
            continue
        rr = r[n]
        out.append(f"{n} against {comp.baseline}: capex {format_ratio(rr['capex_usd'])}, facility power "
                   f"{format_ratio(rr['facility_power_w'])}, TCO {format_ratio(rr['tco_usd'])}, packages "
                   f"{format_ratio(rr['packages'])}, logic silicon {format_ratio(rr['silicon_area_mm2'])}, "
                   f"expected capacity lost {format_ratio(rr['expected_capacity_lost'])}.")
    for n, cr in comp.classes.items():
        if not cr.feasible:
            out.append(f"{n}: infeasible ({(cr.doc.get('explanation') or '').splitlines()[0] if cr.doc.get('explanation') else ''}).")
    return out


# ----------------------------------------------------------------------------------------------
# rendering
# ----------------------------------------------------------------------------------------------

def _frame_records(df: pd.DataFrame | None, index_name: str | None = None) -> list[dict] | None:
    if df is None:
        return None
    d = df.reset_index().rename(columns={"index": index_name}) if index_name else df
    return jsonable(d.to_dict(orient="records"))


def _figures(data: ReportData) -> dict[str, Any]:
    figs = {"breakdown": plots.breakdowns_figure(data.cost_breakdown, data.power_breakdown)}
    if data.sensitivity is not None and len(data.sensitivity):
        figs["tornado"] = plots.tornado_figure(data.sensitivity)
    if data.uncertainty is not None:
        u = data.uncertainty
        figs["uncertainty"] = plots.ratio_histogram_figure(u.samples, u.classes, u.metric)
    if data.pareto is not None:
        x, y = data.pareto_axes
        figs["pareto"] = plots.pareto_figure(data.pareto, x, y)
    if data.die_curve is not None:
        figs["die_area"] = plots.die_area_figure(data.die_curve, data.lite_max_mm2, data.mono_min_mm2)
    return figs


# ---- cell formats: every number in the format of its unit ------------------------------------------
_METRIC_UNIT = {k: u for k, _, u in METRICS}
def _objective_unit(data: ReportData) -> str:
    classes = (data.meta.get("compare") or {}).get("classes") or {}
    return next((c["objective"]["unit"] for c in classes.values() if c.get("objective")), "")


def _metric_fmt(objective_unit: str):
    def fmt(metric, _col, value):
        return format_quantity(value, objective_unit if metric == "objective" else _METRIC_UNIT.get(metric, ""))
    return fmt


def _ratio_fmt(_row, _col, value):
    return format_ratio(value) if isinstance(value, (int, float)) else format_number(value)


def _usd_fmt(_row, _col, value):
    return format_usd(value) if isinstance(value, (int, float)) else format_number(value)


def _w_fmt(_row, _col, value):
    return format_power(value) if isinstance(value, (int, float)) else format_number(value)


def _card_fmt(label, _col, value):
    unit = "usd" if str(label).endswith(" USD") else "w" if str(label).endswith(" W") else None
    return format_quantity(value, unit) if unit and isinstance(value, (int, float)) else format_number(value)


def _column_fmt(_row, col, value):
    unit = criterion_unit(str(col))
    if unit and isinstance(value, (int, float)):
        return format_quantity(value, unit)
    return format_field(str(col), value)


def write_report(data: ReportData, out_dir) -> dict[str, Path]:
    """Write index.html, report.md, report.json, figures/<name>.png|.svg and tables/*.csv. The
    pages are jinja2 templates (litedse/results/templates/) with one stylesheet."""
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    png: dict[str, bytes] = {}
    # draw each figure twice (PNG for embedding, SVG for print): matplotlib figures are closed on save
    for fmt in plots.FORMATS:
        for name, fig in _figures(data).items():
            blob = plots.figure_bytes(fig, fmt)
            (out / "figures" / f"{name}.{fmt}").write_bytes(blob)
            if fmt == "png":
                png[name] = blob
    # money and power carry their unit in the cell ($4.50M, 848 kW); other metrics in the label
    metric_label = {k: f"{lab} [{u}]" if u and u.lower() not in ("usd", "w") else lab for k, lab, u in METRICS}
    comparison = data.comparison.copy()
    ratios = data.ratios.copy()
    tables = {"comparison": comparison, "ratios": ratios, "cost_breakdown": data.cost_breakdown,
              "power_breakdown": data.power_breakdown, "assumptions": data.assumptions}
    if data.classes is not None:
        tables["classes"] = data.classes
    if data.pareto is not None:
        tables["pareto"] = data.pareto
    if data.die_curve is not None:
        tables["die_area_curve"] = data.die_curve
    if data.sensitivity is not None:
        tables["sensitivity"] = display_frame(data.sensitivity)
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=name in ("comparison", "ratios", "cost_breakdown", "power_breakdown"))
    doc = {
        "title": data.title, "verdict": data.verdict, "headline": data.headline, "summary": data.summary,
        "baseline": data.baseline,
        "sensitivity": sensitivity_document(data.sensitivity) if data.sensitivity is not None else None,
        "uncertainty": _uncertainty_summary(data.uncertainty),
        "pareto_axes": list(data.pareto_axes), "lite_max_mm2": data.lite_max_mm2, "mono_min_mm2": data.mono_min_mm2,
        "comparison": _frame_records(comparison, "metric"), "ratios": _frame_records(ratios, "metric"),
        "cards": jsonable(data.cards), "classes": _frame_records(data.classes),
        "cost_breakdown": _frame_records(data.cost_breakdown, "class"),
        "power_breakdown": _frame_records(data.power_breakdown, "class"),
        "pareto": _frame_records(data.pareto), "die_area_curve": _frame_records(data.die_curve),
        "assumptions": _frame_records(data.assumptions), "figures": sorted(png), "meta": jsonable(data.meta),
    }
    (out / "report.json").write_text(json.dumps(doc, indent=2))
    paths["json"] = out / "report.json"

    def labelled(df):
        d = df.copy()
        d.index = [metric_label.get(i, i) for i in d.index]
        return d

    label_key = {metric_label[k]: k for k in metric_label}
    metric_fmt = _metric_fmt(_objective_unit(data))

    def by_label(label, col, value):   # the displayed tables carry labels; the formats go by metric key
        return metric_fmt(label_key.get(label, label), col, value)

    captions = {k: v.format(*data.pareto_axes) if k == "pareto" else v for k, v in CAPTIONS.items()}
    captions.update(tornado=_tornado_caption(data), uncertainty=_uncertainty_caption(data))
    point_tables = {"pareto": data.pareto, "die_area": data.die_curve,
                    "tornado": display_frame(data.sensitivity) if data.sensitivity is not None else None}
    table_ids = {"die_area": "die_area_curve", "tornado": "sensitivity"}
    provenance_text = provenance_line(data.meta["provenance"]) if data.meta.get("provenance") else ""
    context = {"title": data.title, "description": data.meta.get("description") or "",
               # the sensitivity verdict (winner, margin, what flips it) when there is one, else the comparison's
               "headline": data.verdict or data.headline or (data.summary[0] if data.summary else ""),
               "summary": ([data.headline] if data.verdict and data.headline else []) + data.summary,
               "baseline": data.baseline, "provenance": provenance_text, "n_assumptions": len(data.assumptions)}
    empty_classes = pd.DataFrame(columns=["class", "description", "design space", "source"])
    for kind, render in (("html", html_table), ("markdown", markdown_table)):
        ids = (lambda name: {"table_id": name}) if kind == "html" else (lambda name: {})
        ctx = dict(context)
        ctx["tables"] = {
            "comparison": render(labelled(comparison), index_label="metric", fmt=by_label, **ids("comparison")),
            "ratios": render(labelled(ratios), index_label="metric", fmt=_ratio_fmt, **ids("ratios")),
            "cost_breakdown": render(_transposed(data.cost_breakdown), index_label="component", fmt=_usd_fmt,
                                     **ids("cost_breakdown")),
            "power_breakdown": render(_transposed(data.power_breakdown), index_label="component", fmt=_w_fmt,
                                      **ids("power_breakdown")),
            "classes": render(data.classes if data.classes is not None else empty_classes, **ids("classes")),
            "assumptions": render(data.assumptions, **ids("assumptions")),
        }
        ctx["cards"] = [{"name": name, "table": render(pd.DataFrame({"value": card}), index_label="field", fmt=_card_fmt,
                                                         **ids(f"card-{name}"))}
                        for name, card in data.cards.items()]
        ctx["figures"] = [{"name": name, "caption": captions[name], "b64": base64.b64encode(png[name]).decode(),
                           "top": name in TOP_FIGURES,
                           "table": render(point_tables[name], fmt=_column_fmt,
                                           **ids(table_ids.get(name, name)))
                           if point_tables.get(name) is not None else ""}
                          for name in FIGURES if name in png]
        if kind == "html":
            ctx["style"] = pages.stylesheet()
            (out / "index.html").write_text(pages.render("report.html.j2", ctx))
            paths["html"] = out / "index.html"
        else:
            (out / "report.md").write_text(pages.render("report.md.j2", ctx, html=False))
            paths["markdown"] = out / "report.md"
    return paths


def _transposed(parts: pd.DataFrame) -> pd.DataFrame:
    """A breakdown (rows: classes, columns: components) as components by classes, with a total."""
    if parts is None or parts.empty:
        return pd.DataFrame()
    t = parts.T
    t.loc["total"] = t.sum(axis=0)
    return t


def _tornado_caption(data: ReportData) -> str:
    if data.sensitivity is None:
        return ""
    a = data.sensitivity.attrs
    return (f"What would flip it: {a['classes'][0]} / {a['classes'][1]} ({a['metric']}) with each of "
            f"{len(data.sensitivity)} assumptions at the ends of its range, others at defaults "
            f"(`litedse sensitivity` examines all of them)")


def _uncertainty_caption(data: ReportData) -> str:
    u = data.uncertainty
    if u is None:
        return ""
    return (f"{u.classes[0]} / {u.classes[1]} over {u.summary['samples']} samples of all {len(u.keys)} "
            f"uncertain parameters ({u.sampler}, seed {u.seed})")


def _uncertainty_summary(run) -> dict | None:
    if run is None:
        return None
    return jsonable({"classes": list(run.classes), "metric": run.metric, "seed": run.seed, "sampler": run.sampler,
                     **{k: v for k, v in run.summary.items() if k != "attribution"},
                     "attribution": run.summary["attribution"][:10]})
