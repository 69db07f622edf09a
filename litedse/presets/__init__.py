"""Preset files shipped with the package: every value is ``{ value = ..., source = "..." }``."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

from litedse.errors import InputError


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
        if isinstance(node, dict) and "value" in node and set(node) <= {"value", "source"}:
            values[key] = node["value"]
            sources[key] = node.get("source", "")
        elif isinstance(node, dict):
            values[key], sources[key] = split_sourced(node)
        else:
            values[key], sources[key] = node, ""
    return values, sources


def load(kind: str, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, sources) of a shipped preset; fresh copies, safe to modify."""
    import copy

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
