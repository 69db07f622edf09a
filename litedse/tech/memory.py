"""Memory tiers of a package: the options of the ``memory`` design axis and the figures of a
package's second tier (capacity memory such as LPDDR5X, or managed-retention memory, MRM).

Tier 1 is the package's HBM (``hbm``, ``hbm_stacks``); it holds activations, the runtime reserve
and all training state. A ``memory`` option adds an optional second tier of ``devices`` devices of
one ``[memory.<name>]`` technology, written ``"hbm+<name>:<devices>"`` (``"hbm"``: no second tier).
Equations: formulations/memory.md.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from litedse.errors import InputError

HBM_ONLY = "hbm"
_OPTION = re.compile(r"^hbm\+([A-Za-z0-9_.-]+):(\d+)$")
# the per-device figures of a [memory.<name>] technology, as evaluate_skus reads them
FIELDS = ("capacity_gb", "read_bandwidth_gb_s", "write_bandwidth_gb_s", "read_energy_pj_per_bit",
          "write_energy_pj_per_bit", "cost_usd_per_gb", "phy_shoreline_mm", "phy_area_mm2", "footprint_mm2",
          "on_interposer", "failures_per_year", "retention_hours", "write_endurance_cycles")


def option_label(tier: str | None, devices: int = 0) -> str:
    """The ``memory`` axis value of HBM plus ``devices`` devices of ``tier`` ("hbm" without one)."""
    return HBM_ONLY if not tier or tier == "none" or devices == 0 else f"hbm+{tier}:{int(devices)}"


def parse_option(label: str) -> tuple[str, int]:
    """``"hbm+mrm:4"`` -> ("mrm", 4); ``"hbm"`` -> ("none", 0). ValueError on anything else."""
    if label == HBM_ONLY:
        return "none", 0
    match = _OPTION.match(str(label))
    if not match:
        raise ValueError(f"not a memory option: {label!r}")
    return match.group(1), int(match.group(2))


def tiers_of(labels) -> list[str]:
    """The second-tier technologies that memory options ``labels`` name, in order, each once."""
    return list(dict.fromkeys(t for t, _ in map(parse_option, labels) if t != "none"))


def check_option(label: Any, tech: dict[str, Any], **where) -> str:
    """The label, checked: a string of the option grammar naming a [memory.*] technology."""
    expected = ('"hbm" or "hbm+<tier>:<devices>" with <tier> one of ' + ", ".join(tech.get("memory", {}))
                + " and devices >= 1")
    try:
        tier, devices = parse_option(label)
    except ValueError:
        raise InputError("bad memory option", value=label, expected=expected, **where) from None
    if tier != "none" and (tier not in tech.get("memory", {}) or devices < 1):
        raise InputError("unknown memory tier" if devices else "bad memory option", value=label, expected=expected,
                         **where)
    return option_label(tier, devices)


def second_tier(labels: np.ndarray, tech: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per SKU: the second tier's technology name, device count and per-device FIELDS (zeros for
    capacity, bandwidth, cost and area, infinite retention and endurance where there is none).
    A loop over the few distinct labels, not over SKUs."""
    inverse, uniq = pd.factorize(np.asarray(labels, dtype=object))
    table = tech.get("memory", {})
    none = {k: 0.0 for k in FIELDS}
    none.update(retention_hours=np.inf, write_endurance_cycles=np.inf)
    names, devices, labels_out, rows = [], [], [], []
    for label in uniq:
        canonical = check_option(str(label), tech, key="memory")
        tier, count = parse_option(canonical)
        names.append(tier)
        devices.append(count)
        labels_out.append(canonical)
        rows.append(none if tier == "none" else {k: float(table[tier][k]) for k in FIELDS})
    out = {k: np.asarray([r[k] for r in rows], dtype=float)[inverse] for k in FIELDS}
    out["name"] = np.asarray(names, dtype=object)[inverse]
    out["devices"] = np.asarray(devices, dtype=float)[inverse]
    out["label"] = np.asarray(labels_out, dtype=object)[inverse]
    return out
