"""Preset files shipped with the package: every value is ``{ value = ..., source = "..." }``.

A value that is an assumption or a low-confidence figure also carries its plausible range::

    cost_usd = { value = 14000.0, source = "...", range = [8000.0, 25000.0],
                 distribution = "uniform", range_source = "assumption: ..." }

``range`` is [low, high] with low <= value <= high, ``distribution`` one of DISTRIBUTIONS
(default uniform; triangular peaks at the value), ``range_source`` why that range. ``ranges`` reads
them from any preset kind (technology, and performance once its files declare them) as flat key
paths, each checked here: a bad range is an InputError naming the file and the key.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
import math
from dataclasses import dataclass
from typing import Any

from litedse.errors import InputError

DISTRIBUTIONS = ("uniform", "triangular", "loguniform")
LEAF_KEYS = frozenset({"value", "source", "range", "distribution", "range_source"})


@dataclass(frozen=True)
class Range:
    """The plausible range of one parameter: low <= default <= high, sampled by ``distribution``."""

    low: float
    high: float
    distribution: str = "uniform"
    source: str = ""                   # why this range: a reference key of hardware.md or "assumption"

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "distribution": self.distribution, "range_source": self.source}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def check_range(node: dict[str, Any], default: Any, *, file: str, key: str) -> Range:
    """The Range of a declaration ``{range = [low, high], distribution, range_source}`` of a
    parameter whose default is ``default``; InputError naming ``file`` and ``key`` if it is bad."""
    rng = node.get("range")
    if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) and math.isfinite(v) for v in rng)):
        raise InputError("bad range", file=file, key=f"{key}.range", value=rng, expected="[low, high], two finite numbers")
    low, high = float(rng[0]), float(rng[1])
    if low > high:
        raise InputError("range low > high", file=file, key=f"{key}.range", value=rng, expected="low <= high")
    if low == high:
        raise InputError("empty range", file=file, key=f"{key}.range", value=rng, expected="low < high")
    if not _is_number(default):
        raise InputError("a range on a value that is not a number", file=file, key=key, value=default,
                         expected="ranges on numeric parameters only")
    if isinstance(default, int):
        raise InputError("ranges on integer parameters are not supported", file=file, key=key, value=default,
                         expected="a real-valued parameter")
    if not low <= float(default) <= high:
        raise InputError("default outside its range", file=file, key=key, value=default,
                         expected=f"a value in [{low:g}, {high:g}]")
    dist = node.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        raise InputError("unknown distribution", file=file, key=f"{key}.distribution", value=dist,
                         expected="one of " + ", ".join(DISTRIBUTIONS))
    if dist == "loguniform" and low <= 0:
        raise InputError("a log-uniform range must be positive", file=file, key=f"{key}.range", value=rng,
                         expected="0 < low")
    why = node.get("range_source")
    if not isinstance(why, str) or not why.strip():
        raise InputError("range without its source", file=file, key=f"{key}.range_source", value=why,
                         expected="a string: the reference in shared/reference/hardware.md, or 'assumption: ...'")
    unknown = sorted(set(node) - LEAF_KEYS)
    if unknown:
        raise InputError("unknown key", file=file, key=f"{key}.{unknown[0]}", expected="one of " + ", ".join(sorted(LEAF_KEYS)))
    return Range(low=low, high=high, distribution=dist, source=why)


def _preset_dir(kind: str):
    return resources.files("litedse.presets").joinpath(kind) if kind else resources.files("litedse.presets")


def available(kind: str) -> list[str]:
    """Names of the presets of one kind (e.g. ``technology``)."""
    folder = _preset_dir(kind)
    if not folder.is_dir():
        return []
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


@lru_cache(maxsize=None)
def _read(kind: str, name: str) -> dict[str, Any]:
    path = _preset_dir(kind).joinpath(f"{name}.toml")
    if not path.is_file():
        raise InputError(f"unknown {kind or 'preset'} preset {name!r}",
                         expected="one of " + ", ".join(available(kind)))
    return tomllib.loads(path.read_text())


def split_sourced(tree: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a preset tree of ``{value, source}`` leaves into a value tree and a source tree."""
    values: dict[str, Any] = {}
    sources: dict[str, Any] = {}
    for key, node in tree.items():
        if _is_leaf(node):
            values[key] = node["value"]
            sources[key] = node.get("source", "")
        elif isinstance(node, dict):
            values[key], sources[key] = split_sourced(node)
        else:
            values[key], sources[key] = node, ""
    return values, sources


def _is_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) <= LEAF_KEYS


def ranges_of_tree(tree: dict[str, Any], *, file: str, prefix: tuple = ()) -> dict[str, Range]:
    """Every declared range of a preset tree, by dotted key path below the tree's root."""
    out: dict[str, Range] = {}
    for key, node in tree.items():
        where = prefix + (key,)
        if _is_leaf(node):
            if any(k in node for k in ("range", "distribution", "range_source")):
                out[".".join(where)] = check_range(node, node["value"], file=file, key=".".join(where))
        elif isinstance(node, dict):
            out.update(ranges_of_tree(node, file=file, prefix=where))
    return out


def preset_file(kind: str, name: str) -> str:
    """The preset file's path inside the package, as errors name it."""
    return f"litedse/presets/{kind + '/' if kind else ''}{name}.toml"


@lru_cache(maxsize=None)
def ranges(kind: str, name: str) -> dict[str, Range]:
    """Declared ranges of a shipped preset, keyed by their path in the preset (e.g.
    ``host.cost_usd``); the instance prefixes the kind (``technology.host.cost_usd``)."""
    return ranges_of_tree(_read(kind, name), file=preset_file(kind, name))


def load(kind: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, sources) of a shipped preset; fresh copies, safe to modify."""
    import copy

    ranges(kind, name)  # a bad range declaration is an error however the preset is used
    return copy.deepcopy(split_sourced(_read(kind, name)))


def technology(name: str = "default") -> tuple[dict[str, Any], dict[str, Any]]:
    return load("technology", name)


def performance(name: str = "default", stack: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, sources) of a performance preset with its serving stack (``stack``, default the
    preset's ``serving_stack``) attached under ``"stack"``, as an instance resolves them."""
    values, sources = load("performance", name)
    stack = stack or values["serving_stack"]
    values["serving_stack"] = stack
    values["stack"], sources["stack"] = load("serving", stack)
    return values, sources


def catalog() -> tuple[dict[str, Any], dict[str, Any]]:
    return load("", "catalog")
