"""The what-if page (run by ``litedse app INSTANCE``, i.e. ``streamlit run page.py -- INSTANCE``):
sliders for the deciding assumptions; on every change the chosen design classes are solved again
(through ``litedse.compare``) and the page shows the verdict, the cost and power breakdowns, the
comparison table and, on request, the Pareto front."""

import os
import sys

import pandas as pd
import streamlit as st

import litedse
from litedse.app.knobs import changed, instance_path, knobs
from litedse.results.metrics import METRICS
from litedse.results.tables import format_power, format_quantity, format_ratio, format_usd

PATH = instance_path(sys.argv[1:], os.environ)


@st.cache_resource(show_spinner=False)
def _load(path: str):
    return litedse.load(path)


@st.cache_resource(show_spinner=False, max_entries=64)
def _compare(path: str, overrides: tuple, classes: tuple):
    return litedse.compare(_load(path).with_overrides(dict(overrides)), list(classes))


@st.cache_resource(show_spinner=False, max_entries=16)
def _pareto(path: str, overrides: tuple, classes: tuple):
    return litedse.pareto(_load(path).with_overrides(dict(overrides)), "cost", "power", list(classes), points=6)


base = _load(PATH)
st.set_page_config(page_title=f"litedse: {base.name}", layout="wide")
st.title(f"litedse what-if: {base.name}")
if base.description:
    st.caption(base.description)

with st.sidebar:
    st.header("Assumptions")
    values = {}
    for k in knobs(base):
        values[k.key] = st.slider(k.label, min_value=k.low, max_value=k.high, value=k.value, step=k.step, key=k.key)
    classes = st.multiselect("design classes", ["lite", "monolithic", "free", "a100", "h100", "h200", "b200"],
                             default=["lite", "monolithic"], key="classes")

overrides = changed(values, base)
if not classes:
    st.warning("choose at least one design class")
    st.stop()
try:
    with st.spinner("solving ..."):
        comp = _compare(PATH, tuple(sorted(overrides.items())), tuple(classes))
except litedse.InputError as err:
    st.error(str(err))
    st.stop()

st.header(comp.verdict)
if overrides:
    st.caption("changed: " + ", ".join(f"{k} = {v:g}" for k, v in overrides.items()))
solutions = comp.solutions
feasible = [n for n in classes if solutions[n].feasible]
cols = st.columns(len(feasible) or 1)
for col, name in zip(cols, feasible):
    totals = solutions[name].totals
    ratio = comp.ratios.loc["capex_usd", name] if comp.baseline in feasible else float("nan")
    col.metric(f"{name} capex", format_usd(totals["capex_usd"]),
               None if name == comp.baseline else f"{format_ratio(ratio)} of {comp.baseline}", delta_color="off")
    col.caption(f"{comp.designs[name]}; {format_power(totals['facility_power_w'])} facility power, "
                f"{int(totals['packages']):,} packages")

left, right = st.columns(2)
cost = pd.DataFrame({n: solutions[n].breakdown["capex_usd"] / 1e6 for n in feasible}).T
power = pd.DataFrame({n: solutions[n].breakdown["power_w"] / 1e6 for n in feasible}).T
left.subheader("Capital cost by component [$M]")
left.bar_chart(cost.loc[:, (cost.abs() > 1e-9).any()])
right.subheader("Facility power by component [MW]")
right.bar_chart(power.loc[:, (power.abs() > 1e-9).any()])

st.subheader("Comparison")
shown = ["capex_usd", "facility_power_w", "tco_usd", "packages", "hbm_stacks", "die_area_mm2", "unit_cost_usd", "tdp_w"]
label = {k: (lab if u.lower() in ("usd", "w", "") else f"{lab} [{u}]") for k, lab, u in METRICS}
unit = {k: u for k, _, u in METRICS}
st.table(pd.DataFrame({n: [format_quantity(comp.table.loc[k, n], unit[k]) for k in shown] for n in classes},
                      index=[label[k] for k in shown]))

if st.checkbox("Pareto front of capex and power (6 points per class; slower)", key="pareto"):
    with st.spinner("sweeping the fronts ..."):
        front = _pareto(PATH, tuple(sorted(overrides.items())), tuple(feasible))
    front = front.assign(capex_musd=front["cost"] / 1e6, power_mw=front["power"] / 1e6)
    st.scatter_chart(front, x="capex_musd", y="power_mw", color="class")
