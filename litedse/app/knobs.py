"""The deciding assumptions the what-if page puts on sliders, as key paths of an instance (the
paths ``Instance.with_overrides`` and ``--set`` take), with the instance's own value and a range.
No Streamlit here: the page draws these, tests check them without it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litedse.inputs.instance import Instance
from litedse.tech.memory import tiers_of

INSTANCE_ENV = "LITEDSE_APP_INSTANCE"     # the instance file, when the page is not given it as an argument


@dataclass(frozen=True)
class Knob:
    key: str          # key path, e.g. technology.hbm.hbm3e-12hi.cost_usd_per_gb
    label: str        # slider label with its unit
    value: float      # the instance's value
    low: float
    high: float
    step: float
    integer: bool = False


def _knob(key: str, label: str, value: Any, low: float, high: float, step: float, integer: bool = False) -> Knob:
    v = float(value)
    low, high = min(low, v), max(high, v)        # the instance's own value is always on the slider
    if integer:
        return Knob(key, label, int(v), int(low), int(high), int(step), True)
    return Knob(key, label, v, low, high, step)


def knobs(inst: Instance) -> list[Knob]:
    """The sliders for ``inst``: HBM price, CPO link price, host cost, each second memory tier's
    price (over its declared range), and the first workload's demand (and prompt and output
    lengths when it serves requests). Ranges: the spread of the
    figures in reference/hardware.md and beyond (assumption: wide enough to flip a verdict)."""
    tech = inst.technology
    hbm = inst.design_space.hbm[0]
    out = [
        _knob(f"technology.hbm.{hbm}.cost_usd_per_gb", f"HBM price ({hbm}) [$/GB]", tech["hbm"][hbm]["cost_usd_per_gb"],
              2.0, 40.0, 0.5),
        _knob("technology.interconnect.cpo.cost_usd_per_link", "CPO link price [$/link]",
              tech["interconnect"]["cpo"]["cost_usd_per_link"], 25.0, 1000.0, 25.0),
        _knob("technology.host.cost_usd", "host cost [$ per host]", tech["host"]["cost_usd"], 1000.0, 40000.0, 500.0),
    ]
    # a second memory tier's price, over its declared range (technology preset [memory.*])
    for tier in tiers_of(inst.design_space.memory):
        key = f"technology.memory.{tier}.cost_usd_per_gb"
        value = tech["memory"][tier]["cost_usd_per_gb"]
        rng = inst.uncertainty.get(key)
        low, high = (rng.low, rng.high) if rng is not None else (value / 2, value * 2)
        out.append(_knob(key, f"{tier} price [$/GB]", value, low, high, 0.25))
    w = inst.workloads[0]
    for name, label in (("demand_requests_per_s", "demand [requests/s]"), ("demand_tokens_per_s", "demand [tokens/s]")):
        value = getattr(w, name)
        if value is not None:
            lo, hi = value / 10, value * 10
            step = 10.0 ** math.floor(math.log10(max(value, 1e-9))) / 10
            out.append(_knob(f"workload.0.{name}", f"{w.name} {label}", value, lo, hi, step))
    if w.kind in ("serving", "decode", "prefill") and w.input_tokens is not None:
        out.append(_knob("workload.0.input_tokens", f"{w.name} prompt length [tokens]", w.input_tokens, 128, 32768, 128,
                         integer=True))
    if w.kind in ("serving", "decode") and w.output_tokens is not None:
        out.append(_knob("workload.0.output_tokens", f"{w.name} output length [tokens]", w.output_tokens, 16, 4096, 16,
                         integer=True))
    return out


def changed(knob_values: dict[str, float], inst: Instance) -> dict[str, float]:
    """The overrides of the sliders that differ from the instance's values."""
    base = {k.key: k.value for k in knobs(inst)}
    return {key: value for key, value in knob_values.items() if key in base and value != base[key]}


def instance_path(argv: list[str], environ) -> str:
    """The instance file the page shows: $LITEDSE_APP_INSTANCE (``litedse app`` sets it; a test
    harness, whose own arguments the page sees, too), else the page's first argument."""
    path = environ.get(INSTANCE_ENV) or (argv[0] if argv else None)
    if not path:
        raise SystemExit(f"litedse app: no instance given (an argument, or ${INSTANCE_ENV})")
    return str(Path(path))
