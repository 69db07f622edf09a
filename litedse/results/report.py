"""The ``litedse report`` page: a self-contained HTML file (figures embedded as base64 PNG) and a
Markdown file with the same content, plus ``report.json`` (every table's data) and the figures as
PNG and SVG files.

Two layers: ``report_data`` runs the studies of an instance (compare, Pareto fronts, die-area
curve, assumption table) into a ``ReportData`` of plain data frames; ``write_report`` renders any
``ReportData`` (tests build one by hand).
"""

from __future__ import annotations

import base64
import html
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from litedse.inputs.instance import Instance
from litedse.jsonable import jsonable
from litedse.results import plots
from litedse.results.compare import Comparison, compare_instance
from litedse.results.fronts import fronts_table, pareto_instance
from litedse.results.metrics import METRICS, design_text
from litedse.results.sensitivity import display_frame, sensitivity, verdict_sentence
from litedse.results.documents import sensitivity_document
from litedse.results.tables import format_number, html_table, markdown_table
from litedse.solve import solve_instance

FIGURES = ("tornado", "uncertainty", "cost_breakdown", "power_breakdown", "pareto", "die_area")
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
    verdict: str = ""                                  # the one-sentence verdict the report opens with
    sensitivity: pd.DataFrame | None = None           # results.sensitivity frame (attrs: classes, ratio...)
    uncertainty: Any = None                           # batch.uncertainty.UncertaintyRun, if one was made


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
            value = cls.design_space.get(key, cls.sku if key == "sku" else None)
            rows.append({"section": f"class {name}", "key": key, "value": json.dumps(value) if value is not None else "",
                         "source": src})
    return pd.DataFrame(rows, columns=["section", "key", "value", "source"])


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


def die_area_curve(inst: Instance, objective: str | None = None, threads: int | None = None) -> pd.DataFrame:
    """Optimal capex (or the instance objective) per unit of throughput with the die area fixed at
    each grid value of the instance, everything else free."""
    rows = []
    for area in inst.design_space.die_area_mm2:
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
    return pd.DataFrame(rows)


def report_data(inst: Instance, classes: list[str] | None = None, *, pareto_axes: tuple[str, str] = ("cost", "power"),
                pareto_points: int | None = None, pareto_classes: list[str] | None = None, die_curve: bool = True,
                threads: int | None = None, sensitivity_classes: tuple[str, str] | None = None,
                sensitivity_params: list[str] | None = None, uncertainty=None) -> ReportData:
    """The report of ``inst``: the comparison of ``classes``, Pareto fronts, die-area curve, and
    the tornado of ``sensitivity_classes`` (default: lite against the baseline) over
    ``sensitivity_params`` (default ``report_parameters``; an empty list: none). ``uncertainty``:
    an ``UncertaintyRun`` of the same pair (litedse.batch.uncertainty), whose probability the
    verdict sentence then quotes."""
    t0 = time.perf_counter()
    comp = compare_instance(inst, classes, threads=threads)
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
        fronts = pareto_instance(inst, *pareto_axes, classes=front_classes, points=pareto_points, threads=threads)
        fronts_df = fronts_table(fronts)
    t_pareto = time.perf_counter() - t1
    curve = die_area_curve(inst, threads=threads) if die_curve else None
    t2 = time.perf_counter()
    tornado = None
    pair = sensitivity_classes or default_pair(names, comp.baseline)
    metric = SENSITIVITY_METRIC.get(inst.objective.name)
    if pair and metric and all(comp.classes[c].feasible for c in pair if c in comp.classes):
        keys = report_parameters(inst) if sensitivity_params is None else list(sensitivity_params)
        tornado = sensitivity(inst, pair, metric=metric, params=keys, threads=threads) if keys else None
    t_sens = time.perf_counter() - t2
    cls = {n: comp.classes[n].cls for n in names}
    lite = _bound(cls.get("lite"), "die_area_mm2", max)
    mono = _bound(cls.get("monolithic"), "die_area_mm2", min)
    prob = uncertainty.summary["p_a_wins"] if uncertainty is not None else None
    sentence = verdict_sentence(tornado, prob) if tornado is not None else ""
    return ReportData(
        title=f"litedse report: {inst.name}", summary=verdict(comp), comparison=table, ratios=ratios,
        verdict=sentence, sensitivity=tornado, uncertainty=uncertainty,
        cards={n: design_card(comp.classes[n]) for n in names}, cost_breakdown=cost, power_breakdown=power,
        assumptions=assumption_table(inst, cls), pareto=fronts_df, pareto_axes=tuple(pareto_axes),
        die_curve=curve, lite_max_mm2=lite, mono_min_mm2=mono, baseline=comp.baseline,
        meta={"instance": inst.name, "description": inst.description, "instance_key": inst.key(),
              "compare_s": t_compare, "pareto_s": t_pareto, "sensitivity_s": t_sens,
              "wall_s": time.perf_counter() - t0,
              "compare": jsonable(comp.to_dict())})


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
    out.append(f"Best {obj['name']}: {best} ({feas[best].metrics['design']}), {obj['name']} = "
               f"{format_number(feas[best].metrics['objective'])} {obj['unit']}.")
    r = comp.ratios()
    for n in feas:
        if n == comp.baseline or comp.baseline not in feas:
            continue
        rr = r[n]
        out.append(f"{n} / {comp.baseline}: capex x{format_number(rr['capex_usd'])}, facility power x{format_number(rr['facility_power_w'])}, "
                   f"TCO x{format_number(rr['tco_usd'])}, packages x{format_number(rr['packages'])}, logic silicon x{format_number(rr['silicon_area_mm2'])}, "
                   f"expected capacity lost x{format_number(rr['expected_capacity_lost'])}.")
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
    figs = {}
    if data.sensitivity is not None and len(data.sensitivity):
        figs["tornado"] = plots.tornado_figure(data.sensitivity)
    if data.uncertainty is not None:
        u = data.uncertainty
        figs["uncertainty"] = plots.ratio_histogram_figure(u.samples, u.classes, u.metric)
    figs["cost_breakdown"] = plots.breakdown_figure(data.cost_breakdown, "USD", "Capital cost by component")
    figs["power_breakdown"] = plots.breakdown_figure(data.power_breakdown, "W", "Facility power by component")
    if data.pareto is not None:
        x, y = data.pareto_axes
        figs["pareto"] = plots.pareto_figure(data.pareto, x, y)
    if data.die_curve is not None:
        figs["die_area"] = plots.die_area_figure(data.die_curve, data.lite_max_mm2, data.mono_min_mm2)
    return figs


def write_report(data: ReportData, out_dir) -> dict[str, Path]:
    """Write index.html, report.md, report.json, figures/<name>.png|.svg and tables/*.csv."""
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
    metric_label = {k: f"{lab} [{u}]" if u else lab for k, lab, u in METRICS}
    comparison = data.comparison.copy()
    ratios = data.ratios.copy()
    tables = {"comparison": comparison, "ratios": ratios, "cost_breakdown": data.cost_breakdown,
              "power_breakdown": data.power_breakdown, "assumptions": data.assumptions}
    if data.pareto is not None:
        tables["pareto"] = data.pareto
    if data.die_curve is not None:
        tables["die_area_curve"] = data.die_curve
    if data.sensitivity is not None:
        tables["sensitivity"] = display_frame(data.sensitivity)
    for name, df in tables.items():
        df.to_csv(out / "tables" / f"{name}.csv", index=name in ("comparison", "ratios", "cost_breakdown", "power_breakdown"))
    doc = {
        "title": data.title, "verdict": data.verdict, "summary": data.summary, "baseline": data.baseline,
        "sensitivity": sensitivity_document(data.sensitivity) if data.sensitivity is not None else None,
        "uncertainty": _uncertainty_summary(data.uncertainty),
        "pareto_axes": list(data.pareto_axes), "lite_max_mm2": data.lite_max_mm2, "mono_min_mm2": data.mono_min_mm2,
        "comparison": _frame_records(comparison, "metric"), "ratios": _frame_records(ratios, "metric"),
        "cards": jsonable(data.cards),
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

    # --- HTML ---------------------------------------------------------------------------------
    parts = [f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(data.title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}table{border-collapse:collapse;"
             "margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
             "th{background:#f4f4f4}img{max-width:100%}</style></head><body>",
             f"<h1>{html.escape(data.title)}</h1>"]
    if data.meta.get("description"):
        parts.append(f"<p>{html.escape(str(data.meta['description']))}</p>")
    if data.verdict:
        parts.append(f"<p id=\"verdict\"><strong>{html.escape(data.verdict)}</strong></p>")
    parts.append("<h2>Verdict</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in data.summary) + "</ul>")
    parts.append("<h2>Comparison</h2>" + html_table(labelled(comparison), "comparison", "metric"))
    parts.append(f"<h2>Ratios to {html.escape(data.baseline)}</h2>" + html_table(labelled(ratios), "ratios", "metric"))
    parts.append("<h2>Design cards</h2>")
    for name, card in data.cards.items():
        parts.append(f"<h3>{html.escape(name)}</h3>" + html_table(pd.DataFrame({"value": card}), f"card-{name}", "field"))
    captions = {"tornado": _tornado_caption(data), "uncertainty": _uncertainty_caption(data),
                "cost_breakdown": "Capital cost by component", "power_breakdown": "Facility power by component",
                "pareto": "Pareto fronts ({} vs {})".format(*data.pareto_axes) if len(data.pareto_axes) == 2 else "",
                "die_area": "Die-area curve: optimal capex per unit throughput with the die area fixed"}
    for name in FIGURES:
        if name in png:
            b64 = base64.b64encode(png[name]).decode()
            parts.append(f"<h2>{captions[name]}</h2><figure id=\"fig-{name}\"><img alt=\"{name}\" "
                         f"src=\"data:image/png;base64,{b64}\"><figcaption>{captions[name]}</figcaption></figure>")
            if name == "tornado":
                parts.append(html_table(display_frame(data.sensitivity), "sensitivity"))
            if name == "pareto":
                parts.append(html_table(data.pareto, "pareto"))
            if name == "die_area":
                parts.append(html_table(data.die_curve, "die_area_curve"))
    parts.append("<h2>Assumptions and sources</h2>" + html_table(data.assumptions, "assumptions"))
    parts.append("</body></html>")
    (out / "index.html").write_text("\n".join(parts))
    paths["html"] = out / "index.html"

    # --- Markdown -----------------------------------------------------------------------------
    md = [f"# {data.title}", ""]
    if data.meta.get("description"):
        md += [str(data.meta["description"]), ""]
    if data.verdict:
        md += [f"**{data.verdict}**", ""]
    md += ["## Verdict", ""] + [f"- {s}" for s in data.summary] + [""]
    md += ["## Comparison", "", markdown_table(labelled(comparison), "metric"), ""]
    md += [f"## Ratios to {data.baseline}", "", markdown_table(labelled(ratios), "metric"), ""]
    md += ["## Design cards", ""]
    for name, card in data.cards.items():
        md += [f"### {name}", "", markdown_table(pd.DataFrame({"value": card}), "field"), ""]
    for name in FIGURES:
        if name in png:
            md += [f"## {captions[name]}", "", f"![{name}](figures/{name}.png)", ""]
            if name == "tornado":
                md += [markdown_table(display_frame(data.sensitivity)), ""]
            if name == "pareto":
                md += [markdown_table(data.pareto), ""]
            if name == "die_area":
                md += [markdown_table(data.die_curve), ""]
    md += ["## Assumptions and sources", "", markdown_table(data.assumptions), ""]
    (out / "report.md").write_text("\n".join(md))
    paths["markdown"] = out / "report.md"
    return paths


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
