"""Uncertain parameters of an instance: the ranges its presets declare, overridden or extended by
the instance's own ``[uncertainty]`` table, keyed by the key path an instance overrides them with.

In an instance file::

    [uncertainty]
    "technology.host.cost_usd" = [8000.0, 30000.0]            # low, high (uniform)
    "technology.interconnect.cpo.cost_usd_per_link" = { range = [50.0, 400.0], distribution = "loguniform",
                                                          range_source = "our supplier's quotes" }

A key path names a numeric value of the resolved technology or performance tree; its default (the
preset's value or the instance's override) must lie in the range. A preset range stays in force
for a value the instance overrides only while that value lies inside it: an instance that sets a
value outside the preset's range has fixed it, and declares a range of its own to keep it uncertain.
``litedse.inputs.points.with_values`` gives a deep copy of an instance with some of them set.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Callable

from litedse import presets
from litedse.errors import InputError
from litedse.inputs.overrides import parse_key_path
from litedse.tech.memory import tiers_of

# the instance tables whose values may carry ranges (the preset kinds)
UNCERTAIN_TABLES = ("technology", "performance")
# the unit of a parameter from the end of its name (every quantity carries its unit in its name)
_UNITS = (("_usd_per_kwh", "USD/kWh"), ("_usd_per_gbps", "USD/(Gb/s)"), ("_usd_per_gb", "USD/GB"),
          ("_usd_per_link", "USD/link"), ("_usd_per_mm2", "USD/mm^2"), ("_usd_per_die", "USD/die"),
          ("_usd_per_slot", "USD/slot"), ("_usd_per_die_design", "USD/design"), ("_usd", "USD"),
          ("_per_cm2", "1/cm^2"), ("_pj_per_bit", "pJ/bit"), ("_w_per_mm2", "W/mm^2"), ("_w_per_unit", "W/unit"),
          ("_mm2_per_link", "mm^2/link"), ("_mm_per_link", "mm/link"), ("_mm2", "mm^2"), ("_mm", "mm"),
          ("_per_year_per_cm2", "1/(yr cm^2)"), ("_per_year", "1/yr"), ("_per_tflops_bf16", "Gb/s per TFLOP/s"),
          ("_gb_s", "GB/s"), ("_gb", "GB"), ("_cycles", "cycles"),
          ("_hours", "h"), ("_years", "yr"), ("_s", "s"), ("_w", "W"))


def unit_of(key: str) -> str:
    """The unit a parameter's name ends in ("" for a ratio or a count)."""
    name = key.rsplit(".", 1)[-1]
    if name == "w":
        return "W"
    for suffix, unit in _UNITS:
        if name.endswith(suffix):
            return unit
    return ""


@dataclass(frozen=True)
class Parameter:
    """One uncertain parameter of an instance."""

    key: str               # key path as an instance overrides it, e.g. technology.host.cost_usd
    default: float         # its value in the instance
    range: presets.Range
    source: str            # the default's source

    @property
    def unit(self) -> str:
        return unit_of(self.key)


def _leaf(tree: dict, parts: list) -> Any:
    node: Any = tree
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(part)
        node = node[part]
    return node


def _numeric_leaves(tree: dict, prefix: str) -> list[str]:
    out = []
    for key, node in tree.items():
        path = f"{prefix}.{key}"
        if isinstance(node, dict):
            out += _numeric_leaves(node, path)
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append(path)
    return out


def _in_force(ranges: dict[str, presets.Range], values: dict, sources: dict, prefix: str) -> dict[str, presets.Range]:
    """The preset ranges still in force, by full key path: an instance that set a value outside its
    preset range has fixed it."""
    out = {}
    for path, rng in ranges.items():
        parts = path.split(".")
        try:
            value, src = _leaf(values, parts), _leaf(sources, parts)
        except KeyError:
            continue
        if str(src).startswith("instance file") and not rng.low <= value <= rng.high:
            continue
        out[f"{prefix}.{path}"] = rng
    return out


def resolve_uncertainty(trees: dict[str, tuple[str | None, dict, dict]], table: Any, source: str,
                        check_value: Callable[[Any, Any, tuple, str], Any]) -> dict[str, presets.Range]:
    """Ranges of an instance by key path: every preset range still in force, then the instance's
    ``[uncertainty]`` entries. ``trees``: kind -> (preset name, resolved values, sources);
    ``check_value(old, new, where, source)`` checks a bound as a value of that leaf (fractions stay
    in [0, 1], ...). InputError (file ``source``, the key) on any bad entry."""
    out: dict[str, presets.Range] = {}
    for kind, (name, values, sources) in trees.items():
        if name is None:
            continue
        out.update(_in_force(presets.ranges(kind, name), values, sources, kind))
        stack = values.get("serving_stack") if kind == "performance" else None
        if isinstance(stack, str) and isinstance(values.get("stack"), dict):
            # the serving-stack preset's values sit under performance.stack (inputs.instance)
            out.update(_in_force(presets.ranges("serving", stack), values["stack"], sources.get("stack", {}),
                                 "performance.stack"))
    if not isinstance(table, dict):
        raise InputError("must be a table", file=source, key="uncertainty", value=table,
                         expected='"key.path" = [low, high] entries')
    for key, entry in table.items():
        where = f"uncertainty.{key!r}"
        try:
            parts = parse_key_path(key)
        except ValueError as err:
            raise InputError(f"invalid key path: {err}", file=source, key=where) from None
        kind = parts[0]
        known = [p for k in UNCERTAIN_TABLES if trees.get(k, (None,))[0] is not None
                 for p in _numeric_leaves(trees[k][1], k)]
        try:
            if kind not in UNCERTAIN_TABLES or trees.get(kind, (None,))[0] is None:
                raise KeyError(kind)
            default = _leaf(trees[kind][1], parts[1:])
        except KeyError:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"unknown key path{hint}", file=source, key=where,
                             expected="a numeric value of the technology or performance tables, e.g. "
                                      "technology.host.cost_usd") from None
        if isinstance(default, bool) or not isinstance(default, (int, float)):
            raise InputError("a range on a value that is not a number", file=source, key=where, value=default,
                             expected="a numeric parameter")
        if isinstance(default, int):
            raise InputError("ranges on integer parameters are not supported", file=source, key=where,
                             value=default, expected="a real-valued parameter")
        node = {"range": entry} if isinstance(entry, list) else entry
        if not isinstance(node, dict):
            raise InputError("wrong type", file=source, key=where, value=entry,
                             expected="[low, high] or { range = [low, high], distribution = ..., range_source = ... }")
        node = {"range_source": f"instance file {source}", **node}
        rng = presets.check_range(node, default, file=source, key=where)
        for bound in (rng.low, rng.high):
            try:
                check_value(default, bound, tuple(parts), source)
            except InputError as err:
                raise InputError("range bound not a valid value of the parameter", file=source, key=f"{where}.range",
                                 value=bound, expected=err.expected) from None
        out[key] = rng
    return out


# the parameters that only matter on a package with a second memory tier
TIER2_PARAMETERS = ("performance.memory.weight_deployments_per_year",)


def _tier_parameter_in_use(key: str, tiers_in_use: set[str]) -> bool:
    if key.startswith("technology.memory."):
        return parse_key_path(key)[2] in tiers_in_use
    return key not in TIER2_PARAMETERS or bool(tiers_in_use)


def parameters(inst, keys: list[str] | None = None, memory_options: list[str] | None = None) -> list[Parameter]:
    """The uncertain parameters of ``inst`` (all, or those named by ``keys``: InputError for a key
    without a range), in declaration order. Without ``keys``, the figures of a second memory tier
    (``technology.memory.<tier>.*``) count only where a memory option in use names the tier
    (``memory_options``, default the design space's: elsewhere they cannot change a result), and
    the TIER2_PARAMETERS only where some option has a second tier."""
    table = {"technology": (inst.technology, inst.technology_sources),
             "performance": (inst.performance, inst.performance_sources)}

    def make(key: str) -> Parameter:
        parts = parse_key_path(key)
        values, sources = table[parts[0]]
        return Parameter(key=key, default=float(_leaf(values, parts[1:])), range=inst.uncertainty[key],
                         source=str(_leaf(sources, parts[1:])))

    if keys is None:
        used = set(tiers_of(inst.design_space.memory if memory_options is None else memory_options))
        return [make(k) for k in inst.uncertainty if _tier_parameter_in_use(k, used)]
    for key in keys:
        if key not in inst.uncertainty:
            close = difflib.get_close_matches(key, list(inst.uncertainty), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"not an uncertain parameter of this instance{hint}", file=inst.path, key="--params",
                             value=key, expected="a key path with a range: see `litedse check --format json`, "
                                                 "'uncertainty'; or declare one in the instance's [uncertainty]")
    return [make(k) for k in dict.fromkeys(keys)]
