"""The design-space axes of an instance: the range notation of instance files expanded to explicit
value lists, and an instance's axes with a design class's or a sweep's overrides applied.

In a file a numeric axis is a scalar, a list of values, ``{start, stop, step}`` (stop inclusive),
``{values = [...]}`` or a short list: ``die_area_mm2`` and ``links`` read three numbers as start,
stop, step; ``hbm_stacks`` and ``dies_per_package`` read two numbers as an inclusive integer range
and three as start, stop, step. ``clock`` is always a list of values. ``memory`` lists memory
options: "hbm" (HBM only), "hbm+<tier>:<devices>", or ``{ tier = "<tier>", devices = [...] }``
for one option per device count (devices: a count, a list or ``{start, stop, step}``).
"""

from __future__ import annotations

import math
from typing import Any

from litedse.errors import InputError
from litedse.tech.memory import check_option, option_label
from litedse.tech.sku import DESIGN_AXES as AXES

# axes that give the links as scale-up bandwidth (GB/s per direction) instead of a count: per
# package, or per BF16 TFLOP/s of the package (columns.skus turns them into link counts)
BANDWIDTH_AXES = ("scaleup_gb_s", "scaleup_gb_s_per_tflops")
# optional axes beyond the package design: the scale-out NIC per BF16 TFLOP/s (Gb/s), a choice the
# optimiser makes per SKU when given several values (default: the preset's scaleout value)
EXTRA_AXES = ("scaleout_gbps_per_tflops",)

_RANGE3 = {"die_area_mm2", "links", "hbm_stacks", "dies_per_package"}
_RANGE2 = {"hbm_stacks", "dies_per_package"}
_INTEGER_AXES = {"hbm_stacks", "dies_per_package", "links"}


def arange(start: float, stop: float, step: float) -> list[float]:
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return [round(start + i * step, 9) for i in range(n)]


def expand_design_space(ds: Any, prefix: str, source: str) -> dict[str, Any]:
    if not isinstance(ds, dict):
        raise InputError("must be a table", file=source, key=prefix, value=ds)
    out = dict(ds)
    for key, value in ds.items():
        if key not in AXES and key not in BANDWIDTH_AXES and key not in EXTRA_AXES:
            continue
        where = f"{prefix}.{key}"
        if key == "memory":
            out[key] = expand_memory_options(value, where, source)
            continue
        explicit = False
        if isinstance(value, dict):
            extra = set(value) - {"start", "stop", "step", "values"}
            if extra:
                raise InputError(f"unknown key {sorted(extra)[0]!r}", file=source, key=where,
                                 expected="start, stop, step or values")
            if "values" in value:
                value, explicit = value["values"], True
            else:
                if not {"start", "stop"} <= set(value):
                    raise InputError("range needs start and stop", file=source, key=where, value=value)
                value = [value["start"], value["stop"], value.get("step", 1)]
                out[key] = _range(value, where, source)
                continue
        if not isinstance(value, list):
            value = [value]
        if explicit:
            out[key] = value
        elif key in _RANGE2 and len(value) == 2 and all(is_int(v) for v in value):
            out[key] = _range([value[0], value[1], 1], where, source)
        elif key in _RANGE3 and len(value) == 3 and all(is_number(v) for v in value):
            out[key] = _range(value, where, source)
        else:
            out[key] = value
        if key in _INTEGER_AXES:
            for v in out[key]:
                if not is_int(v) or v < 0:
                    raise InputError("bad value", file=source, key=where, value=v, expected="integers >= 0")
        if not out[key]:
            raise InputError("empty axis", file=source, key=where, expected="at least one value")
    return out


def expand_memory_options(value: Any, where: str, source: str) -> list[str]:
    """The ``memory`` axis as option labels: strings pass (checked against the technology later),
    each ``{tier, devices}`` table becomes one "hbm+<tier>:<n>" per device count."""
    items = value if isinstance(value, list) else [value]
    labels: list[str] = []
    for item in items:
        if isinstance(item, str):
            labels.append(item)
            continue
        if not isinstance(item, dict) or set(item) - {"tier", "devices"} or not isinstance(item.get("tier"), str):
            raise InputError("bad memory option", file=source, key=where, value=item,
                             expected='"hbm", "hbm+<tier>:<devices>" or { tier = "<tier>", devices = [...] }')
        devices = item.get("devices", [1])
        if isinstance(devices, dict):
            if set(devices) - {"start", "stop", "step"} or not {"start", "stop"} <= set(devices):
                raise InputError("bad range", file=source, key=f"{where}.devices", value=devices,
                                 expected="start, stop and an optional step")
            devices = _range([devices["start"], devices["stop"], devices.get("step", 1)], f"{where}.devices", source)
        devices = devices if isinstance(devices, list) else [devices]
        for d in devices:
            if not is_int(d) or d < 1:
                raise InputError("bad value", file=source, key=f"{where}.devices", value=d, expected="integers >= 1")
            labels.append(option_label(item["tier"], int(d)))
    if not labels:
        raise InputError("empty axis", file=source, key=where, expected="at least one value")
    return list(dict.fromkeys(labels))


def checked_memory_options(value: Any, where: str, source: str | None, tech: dict[str, Any]) -> list[str]:
    """``expand_memory_options``, each label then checked against the technology's tiers."""
    labels = expand_memory_options(value, where, source or "<instance>")
    return [check_option(label, tech, file=source, key=where) for label in labels]


def is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v) -> bool:
    return is_number(v) and math.isfinite(v) and float(v) == int(v)


def _range(value: list, where: str, source: str) -> list:
    start, stop, step = value
    if not all(is_number(v) for v in value) or step <= 0 or stop < start:
        raise InputError("bad range", file=source, key=where, value=list(value),
                         expected="[start, stop, step] with start <= stop and step > 0")
    if all(is_int(v) for v in value):
        return list(range(int(start), int(stop) + 1, int(step)))
    return arange(float(start), float(stop), float(step))


def check_links_given_once(keys, source: str | None, prefix: str = "") -> list[str]:
    """The bandwidth axes among ``keys``; InputError if the links are given more than one way
    (a count and a bandwidth, or two bandwidths)."""
    bandwidths = [k for k in BANDWIDTH_AXES if k in keys]
    if len(bandwidths) + ("links" in keys) > 1:
        raise InputError("give the links as a count or as one bandwidth, not both", file=source,
                         key=prefix + bandwidths[-1], expected="links, scaleup_gb_s or scaleup_gb_s_per_tflops")
    return bandwidths


def design_axes(axes: dict[str, list], overrides: dict[str, Any] | None = None,
                source: str | None = None) -> dict[str, list]:
    """``axes`` (an instance's design-space axes) with ``overrides`` (range notation allowed) applied.
    Keys of a design class that are not axes (``max_designs``, ``description``, ``sku``) pass."""
    axes = dict(axes)
    if overrides:
        known = (*AXES, *BANDWIDTH_AXES, *EXTRA_AXES)
        unknown = set(overrides) - set(known) - {"max_designs", "description", "sku"}
        if unknown:
            raise InputError(f"unknown design-space axis {sorted(unknown)[0]!r}", expected="one of " + ", ".join(known))
        given = {k: v for k, v in overrides.items() if k in known and v is not None}
        bandwidths = check_links_given_once(given, source)
        expanded = expand_design_space(given, "design_space", source or "<instance>")
        for k in (*bandwidths, *(k for k in EXTRA_AXES if k in given)):
            values = expanded[k] if isinstance(expanded[k], list) else [expanded[k]]
            bad = [v for v in values if not is_number(v) or not v > 0]
            if bad:
                raise InputError("bad value", file=source, key=k, value=bad[0], expected="a bandwidth > 0")
        # a link count and a link bandwidth replace each other
        if "links" in given or any(k in given for k in BANDWIDTH_AXES):
            for k in BANDWIDTH_AXES:
                axes.pop(k, None)
        axes.update({k: (v if isinstance(v, list) else [v]) for k, v in expanded.items()})
    return axes
