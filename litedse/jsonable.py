"""Plain JSON-able values from numpy and pandas results: one conversion for every JSON document
litedse writes (solve, compare, reports, CLI output)."""

from __future__ import annotations

import math


def jsonable(value):
    """``value`` with numpy scalars made Python scalars, non-finite floats made ``None`` (JSON has no
    NaN or infinity), and dict keys made strings, recursively through dicts, lists and tuples."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
