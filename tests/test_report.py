"""The report renders: every figure embedded and non-empty, table values equal to report.json, the
Pareto plot's points are the Pareto table's rows."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from litedse.results import plots
from litedse.results.report import FIGURES, ReportData, write_report


class _Page(HTMLParser):
    """Collects <img> sources by enclosing figure id and <td> data-values by table id."""

    def __init__(self):
        super().__init__()
        self.figure = None
        self.images: dict[str, str] = {}
        self.table = None
        self.cells: dict[str, list[tuple[str, str]]] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figure = a.get("id")
        elif tag == "img" and self.figure:
            self.images[self.figure] = a.get("src", "")
        elif tag == "table":
            self.table = a.get("id")
            self.cells[self.table] = []
        elif tag == "td" and self.table:
            self.cells[self.table].append((a.get("data-col"), a.get("data-value")))

    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure = None
        elif tag == "table":
            self.table = None


def hand_data() -> ReportData:
    classes = ["lite", "monolithic"]
    comparison = pd.DataFrame({"lite": {"capex_usd": 2.5e6, "packages": 1200, "die_yield": 0.91},
                               "monolithic": {"capex_usd": 2.0e6, "packages": 300, "die_yield": 0.62}})
    ratios = comparison.div(comparison["monolithic"], axis=0)
    pareto = pd.DataFrame({"class": ["lite", "lite", "monolithic"], "x": [2.5e6, 2.7e6, 2.0e6],
                           "y": [9.0e5, 8.0e5, 1.1e6], "cost": [2.5e6, 2.7e6, 2.0e6], "power": [9.0e5, 8.0e5, 1.1e6],
                           "die_area_mm2": [200.0, 250.0, 800.0]})
    curve = pd.DataFrame({"die_area_mm2": [200.0, 500.0, 800.0], "value": [2500.0, np.nan, 2000.0]})
    return ReportData(
        title="hand report", summary=["lite costs 1.25x monolithic"], comparison=comparison, ratios=ratios,
        cards={c: {"design": f"{c} card", "packages": int(comparison.loc["packages", c])} for c in classes},
        cost_breakdown=pd.DataFrame({"dies": [1.0e6, 0.5e6], "hbm": [1.5e6, 1.5e6]}, index=classes),
        power_breakdown=pd.DataFrame({"compute": [6e5, 7e5], "hbm": [3e5, 4e5]}, index=classes),
        assumptions=pd.DataFrame({"section": ["technology"], "key": ["silicon.d0"], "value": [0.1],
                                  "source": ["[S] TSMC"]}),
        pareto=pareto, pareto_axes=("cost", "power"), die_curve=curve, lite_max_mm2=300.0, mono_min_mm2=600.0)


def check_rendered(out, data: ReportData):
    page = _Page()
    page.feed((out / "index.html").read_text())
    doc = json.loads((out / "report.json").read_text())
    # every figure is embedded as a PNG that decodes to a non-trivial image, and exists as PNG and SVG
    drawn = [f for f in FIGURES if f in doc["figures"]]
    optional = {"tornado": data.sensitivity is not None, "uncertainty": data.uncertainty is not None}
    assert drawn == [f for f in FIGURES if optional.get(f, True)]
    for name in drawn:
        src = page.images[f"fig-{name}"]
        assert src.startswith("data:image/png;base64,")
        blob = base64.b64decode(src.split(",", 1)[1])
        assert blob[:8] == b"\x89PNG\r\n\x1a\n" and len(blob) > 5000
        assert (out / "figures" / f"{name}.png").read_bytes() == blob
        assert (out / "figures" / f"{name}.svg").read_text().count("<path") > 5
    # comparison table cells equal report.json's comparison records
    recs = {r["metric"]: r for r in doc["comparison"]}
    cells = page.cells["comparison"]
    assert len(cells) == len(recs) * len(data.comparison.columns)
    keys = list(data.comparison.index)
    for i, (col, val) in enumerate(cells):
        metric = keys[i // len(data.comparison.columns)]
        assert json.loads(val) == recs[metric][col]
    # the Pareto table in the page is the JSON's, which is the data plotted
    ptab = page.cells["pareto"]
    pj = doc["pareto"]
    assert len(ptab) == len(pj) * len(pj[0])
    assert [json.loads(v) for c, v in ptab if c == "x"] == [r["x"] for r in pj]
    md = (out / "report.md").read_text()
    for name in drawn:
        assert f"figures/{name}.png" in md


def test_hand_report_renders(tmp_path):
    data = hand_data()
    write_report(data, tmp_path)
    check_rendered(tmp_path, data)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert {r["metric"]: r["lite"] for r in doc["comparison"]}["capex_usd"] == 2.5e6
    assert {r["metric"]: r["lite"] for r in doc["ratios"]}["capex_usd"] == pytest.approx(1.25)


def test_pareto_plot_points_are_the_table_rows():
    df = hand_data().pareto
    fig = plots.pareto_figure(df, "cost", "power")
    ax = fig.axes[0]
    marked = [ln for ln in ax.get_lines() if ln.get_marker() not in (None, "None", "")]
    # one marker per class, each its own, and every point of every class drawn ($M and MW)
    assert len({ln.get_marker() for ln in marked}) == len(marked) == df["class"].nunique()
    got = sorted((round(float(x) * 1e6), round(float(y) * 1e6)) for ln in marked for x, y in zip(*ln.get_data()))
    want = sorted(zip(df["cost"].astype(int), df["power"].astype(int)))
    assert got == want
    assert ax.get_xlabel() == "capital cost [$M]" and ax.get_ylabel() == "facility power [MW]"
    fig.canvas.draw()                          # plain tick labels: no offset, no 1e6 multiplier
    assert ax.xaxis.get_offset_text().get_text() == "" and ax.yaxis.get_offset_text().get_text() == ""
    plots.plt.close(fig)


def test_a_class_under_another_stays_visible():
    # monolithic and free often find the same design: the same point twice
    df = pd.DataFrame({"class": ["monolithic", "free"], "cost": [3.6e6, 3.6e6], "power": [8.7e5, 8.7e5]})
    fig = plots.pareto_figure(df, "cost", "power")
    first, second = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() not in (None, "None", "")]
    # the later class is drawn on top, smaller, and the earlier one hollow: both outlines show
    assert second.get_zorder() > first.get_zorder() and second.get_markersize() < first.get_markersize()
    assert first.get_markerfacecolor() == "none" and first.get_marker() != second.get_marker()
    plots.plt.close(fig)


def test_report_of_an_instance(tmp_path):
    from test_compare import small_data

    from litedse.inputs.instance import instance_from_dict
    from litedse.results.report import report_data

    inst = instance_from_dict(small_data())
    data = report_data(inst, ["lite", "monolithic", "free"], threads=1)
    write_report(data, tmp_path)
    check_rendered(tmp_path, data)
    doc = json.loads((tmp_path / "report.json").read_text())
    cmp = doc["meta"]["compare"]
    # the comparison table is the compare JSON's metrics
    for r in doc["comparison"]:
        for c in ("lite", "monolithic", "free"):
            assert r[c] == cmp["classes"][c]["metrics"].get(r["metric"])
    # the die-area curve: the free optimum is the cheapest point of the curve, at its own die area
    free = cmp["classes"]["free"]["metrics"]
    at = [r for r in doc["die_area_curve"] if r["die_area_mm2"] == free["die_area_mm2"]][0]
    assert at["capex_usd"] == pytest.approx(free["capex_usd"], rel=1e-9)
    assert at["value"] == pytest.approx(free["usd_per_throughput"], rel=1e-9)
    assert min(r["capex_usd"] for r in doc["die_area_curve"] if r["capex_usd"] is not None) == pytest.approx(
        free["capex_usd"], rel=1e-9)
    # every technology value with a source is in the assumption table
    keys = {r["key"] for r in doc["assumptions"] if r["section"] == "technology"}
    assert "reliability.repair_hours" in keys and "power.pue" in keys
    assert all(r["source"] for r in doc["assumptions"] if r["section"].startswith("class"))


def test_report_cli_instance_and_store_dispatch(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from litedse.cli import main

    from test_compare import small_toml

    inst = small_toml(tmp_path / "small.toml")
    out = tmp_path / "rep"
    res = CliRunner().invoke(main, ["report", str(inst), "--out", str(out), "--classes", "lite,monolithic",
                                    "--threads", "1", "--params", "technology.host.cost_usd"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "report.json").read_text())
    assert [r for r in doc["comparison"] if r["metric"] == "capex_usd"][0]["lite"] > 0
    assert [p["key"] for p in doc["sensitivity"]["parameters"]] == ["technology.host.cost_usd"]
    assert doc["verdict"].startswith("monolithic is cheaper by")
    assert (out / "index.html").stat().st_size > 20000 and (out / "report.md").exists()
    bad = CliRunner().invoke(main, ["report", str(inst), "--out", str(out), "--x", "speed"])
    assert bad.exit_code == 2 and "speed" in bad.output
    # a directory is a results store: handed to the batch engineer's study report
    import litedse.batch.report as sr
    calls = []
    monkeypatch.setattr(sr, "write_study_report", lambda store, out_dir, **kw: calls.append((store, out_dir)))
    store = tmp_path / "store"
    store.mkdir()
    res = CliRunner().invoke(main, ["report", str(store), "--out", str(tmp_path / "study")])
    assert res.exit_code == 0, res.output
    assert calls == [(str(store), str(tmp_path / "study"))]


def test_report_opens_with_the_verdict_tornado_and_probability(tmp_path):
    """Issue 13: the HTML and Markdown reports open with the verdict sentence (winner, by how much,
    the break-evens that flip it, P), then show the tornado and the probability."""
    from test_sensitivity import KEY, TWIN

    from litedse.batch.uncertainty import run_uncertainty
    from litedse.inputs.instance import load_instance
    from litedse.results.report import report_data

    path = tmp_path / "twin.toml"
    path.write_text(TWIN)
    inst = load_instance(path)
    run = run_uncertainty(inst, ["a", "b"], 8, seed=1, params=[KEY], workers=0)
    data = report_data(inst, ["a", "b", "monolithic"], pareto_axes=(), die_curve=False, threads=1,
                       sensitivity_classes=("a", "b"), sensitivity_params=[KEY], uncertainty=run)
    out = tmp_path / "rep"
    write_report(data, out)
    p = run.summary["p_a_wins"]
    want = (f"b is cheaper by {data.sensitivity.attrs['ratio']:.3g}x (capital cost); a wins if {KEY} < 15 USD/GB "
            f"(others at defaults); P(a cheaper) = {p:.2f} over the declared ranges.")
    assert data.verdict == want
    page = (out / "index.html").read_text()
    body = page.split("</h1>", 1)[1]
    # issue 15's layout: the verdict, the breakdowns, then the tornado and the probability, then the tables
    assert f'<p class="headline" id="headline">{want.replace("<", "&lt;")}</p>' in body
    assert (body.index('id="headline"') < body.index('id="fig-breakdown"') < body.index('id="fig-tornado"')
            < body.index('id="fig-uncertainty"') < body.index("<h2>Comparison"))
    md = (out / "report.md").read_text()
    assert md.split("\n")[2] == f"**{want}**"
    assert "figures/tornado.png" in md and "figures/uncertainty.png" in md
    doc = json.loads((out / "report.json").read_text())
    assert doc["verdict"] == want and doc["uncertainty"]["p_a_wins"] == p
    assert doc["sensitivity"]["parameters"][0]["break_even"] == pytest.approx(15.0, rel=1e-6)


def test_the_page_opens_with_the_headline_and_the_breakdowns(tmp_path):
    data = hand_data()
    data.headline = "monolithic is cheaper: lite costs 1.25x as much as monolithic"
    write_report(data, tmp_path)
    page = (tmp_path / "index.html").read_text()
    body = page[page.index("<body>"):]
    # the headline sentence, then the side-by-side breakdown chart, before any table
    assert body.index(data.headline) < body.index('id="fig-breakdown"') < body.index("<table")
    # numbers right-aligned (class num), text left; money and power in their formats
    assert '<td class="num" data-col="lite" data-value="2500000.0">$2.50M</td>' in page
    assert "td.num { text-align: right;" in page and "<style>" in page      # the one stylesheet, inlined
    md = (tmp_path / "report.md").read_text()
    assert md.splitlines()[2] == f"**{data.headline}**"


def test_class_thresholds_are_filled_in():
    from litedse.inputs.classes import resolve_class
    from litedse.inputs.instance import load_instance
    from litedse.results.report import assumption_table, class_table

    inst = load_instance("instances/llama3-70b-serving.toml")
    classes = {n: resolve_class(inst, n) for n in ("lite", "monolithic")}
    table = assumption_table(inst, classes).set_index(["section", "key"])["value"]
    assert table[("class lite", "die_area_mm2_max")] == "<= 300 (keeps 100, 150, 200, 250, 300)"
    assert table[("class monolithic", "die_area_mm2_min")] == ">= 600 (keeps 600, 650, 700, 750, 800)"
    assert (table != "").all()
    rules = class_table(classes).set_index("class")["design space"]
    assert rules["lite"].startswith("die_area_mm2 <= 300") and 'interconnect = ["cpo"]' in rules["lite"]


def test_the_templates_are_package_data():
    import tomllib
    from pathlib import Path

    from litedse.results import pages

    root = Path(__file__).resolve().parent.parent
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["litedse"]
    assert "results/templates/*" in data
    folder = root / "litedse" / "results" / "templates"
    assert {p.name for p in folder.iterdir()} == {"report.html.j2", "report.md.j2", "study.html.j2", "study.md.j2", "style.css"}
    assert "td.num" in pages.stylesheet()


@pytest.mark.skipif(not __import__("shutil").which("chromium"), reason="no headless chromium on this machine")
def test_a_real_browser_draws_the_report(tmp_path):
    import subprocess

    import matplotlib.image

    write_report(hand_data(), tmp_path)
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,900", f"--screenshot={shot}", (tmp_path / "index.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (900, 1200)
    # not a blank page: the headline's tinted box, text and the embedded chart put many colours on it
    assert pixels.reshape(-1, pixels.shape[-1]).std(axis=0).max() > 0.05
