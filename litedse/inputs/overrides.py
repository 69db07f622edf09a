"""Key paths into an instance's tables: dotted table keys, with integer segments indexing arrays of
tables (``workload.0`` is the first ``[[workload]]``), as study files and overrides name values."""

from __future__ import annotations

import copy
import tomllib
from typing import Any


def parse_key_path(path: str) -> list[str | int]:
    if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
        raise ValueError("a key path is dotted names, e.g. technology.node.n4.defect_density_per_cm2")
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def set_key_path(data: dict, path: str, value: Any) -> None:
    """Set a copy of ``value`` at ``path`` in a TOML-like dict, in place, creating missing tables
    (not array entries). Callers that must keep ``data`` set paths on a deep copy
    (``Instance.with_overrides``)."""
    parts = parse_key_path(path)
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(str(p) for p in parts[: i + 1])
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ValueError(f"{where}: an index, but {'.'.join(map(str, parts[:i])) or 'the top'} is not an array")
            if not 0 <= part < len(node):
                raise ValueError(f"{where}: index out of range (the array has {len(node)} entries)")
            if last:
                node[part] = copy.deepcopy(value)
            else:
                node = node[part]
            continue
        if not isinstance(node, dict):
            raise ValueError(f"{where}: {'.'.join(map(str, parts[:i]))} is not a table")
        if last:
            node[part] = copy.deepcopy(value)
        else:
            if part not in node:
                if isinstance(parts[i + 1], int):
                    raise ValueError(f"{where}: no such array in the base instance")
                node[part] = {}
            node = node[part]


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"key.path=value"`` (the CLI's ``--set``) -> (key path, value). The value is read as a TOML
    value (``15``, ``1.5e3``, ``true``, ``[1, 2]``, ``"cpo"``); anything else is the string as given
    (``--set technology.pricing.basis=market``)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or not raw:
        raise ValueError("expected KEY.PATH=VALUE, e.g. technology.interconnect.cpo.cost_usd_per_link=150")
    parse_key_path(key)
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key, value
