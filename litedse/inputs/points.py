"""Points of an instance's uncertain parameters: a deep copy of the instance with some parameters set
(what ``litedse sensitivity`` and ``litedse uncertainty`` solve). The caller's instance is never
changed; every value is checked as the instance file's own override of that key would be."""

from __future__ import annotations

import copy

from litedse.errors import InputError
from litedse.inputs.instance import Instance, check_leaf
from litedse.inputs.overrides import parse_key_path, set_key_path

POINT_SOURCE = "point of litedse sensitivity/uncertainty"


def with_values(inst: Instance, values: dict[str, float], *, within_ranges: bool = True) -> Instance:
    """A deep copy of ``inst`` with the uncertain parameters ``values`` (key path -> value) set.
    Each value must be valid for its key, and (``within_ranges``) inside its declared range; the
    certification solves just outside a range end pass ``within_ranges=False``."""
    out = copy.deepcopy(inst)
    for key, value in values.items():
        rng = inst.uncertainty.get(key)
        if rng is None:
            raise InputError("not an uncertain parameter of this instance", file=inst.path, key=key,
                             expected="one of the key paths of the instance's uncertainty")
        if within_ranges and not rng.low <= value <= rng.high:
            raise InputError("value outside its range", file=inst.path, key=key, value=value,
                             expected=f"a value in [{rng.low:g}, {rng.high:g}]")
        kind, *rest = parse_key_path(key)
        tree, sources = ((out.technology, out.technology_sources) if kind == "technology"
                         else (out.performance, out.performance_sources))
        node = tree
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]] = check_leaf(node[rest[-1]], float(value), tuple(parse_key_path(key)), inst.path or "<instance>")
        set_key_path(sources, ".".join(map(str, rest)), POINT_SOURCE)
    return out
