"""Key paths into an instance's tables: dotted table keys, with integer segments indexing arrays of
tables (``workload.0`` is the first ``[[workload]]``), as study files and overrides name values."""

from __future__ import annotations

import copy
from typing import Any


def parse_key_path(path: str) -> list[str | int]:
    if not isinstance(path, str) or not path or any(not part for part in path.split(".")):
        raise ValueError("a key path is dotted names, e.g. technology.node.n4.defect_density_per_cm2")
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def set_key_path(data: dict, path: str, value: Any) -> None:
    """Set ``value`` at ``path`` in a TOML-like dict, creating missing tables (not array entries)."""
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
                node[part] = value
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
