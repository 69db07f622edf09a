"""Design classes: named restrictions of an instance's design space (``lite``, ``monolithic``,
``free``) and catalog SKUs as fixed designs, from presets/classes.toml and presets/catalog.toml,
overridable per instance with ``[classes.<name>]`` tables.

A class resolves to the arguments of ``litedse.solve.solve_instance``: ``design_space`` overrides
(explicit value lists, the instance's own grid filtered by the class) or ``sku``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litedse import presets
from litedse.errors import InputError
from litedse.inputs.design_space import checked_memory_options, design_axes
from litedse.inputs.instance import Instance
from litedse.tech.sku import catalog_names

DEFAULT_CLASSES = ("lite", "monolithic", "free")
BASELINE = "monolithic"
_FILTER_SUFFIXES = ("_max", "_min")
# ``<axis>_include``: the instance's values of the axis plus these (a class that adds options)
_INCLUDE_SUFFIX = "_include"


@dataclass
class DesignClass:
    name: str
    description: str = ""
    sku: str | None = None                            # fixed catalog design, or None
    design_space: dict[str, Any] = field(default_factory=dict)   # axis -> explicit list of values
    max_designs: int | None = None
    sources: dict[str, str] = field(default_factory=dict)        # key -> source ("instance file" if overridden)
    bounds: dict[str, float] = field(default_factory=dict)       # filter key (e.g. die_area_mm2_max) -> bound

    def solve_kwargs(self) -> dict[str, Any]:
        if self.sku is not None:
            return {"sku": self.sku}
        ds = dict(self.design_space)
        if self.max_designs is not None:
            ds["max_designs"] = self.max_designs
        return {"design_space": ds or None}


def preset_classes() -> tuple[dict[str, Any], dict[str, Any]]:
    """(values, sources) of presets/classes.toml (its declared ranges checked)."""
    return presets.load("", "classes")


def available_classes(inst=None) -> list[str]:
    names = list(preset_classes()[0]) + sorted(catalog_names())
    if inst is not None:
        names += [n for n in inst.classes if n not in names]
    return names


def _preset_spec(name: str | None, values: dict, sources: dict, inst: Instance, base: str | None,
                 seen: tuple) -> tuple[dict[str, Any], dict[str, str]]:
    """(keys, sources) of preset class ``name`` with its ``base`` class's keys under them (a base
    may have a base of its own); ``base`` overrides the preset's own (an instance's ``base``)."""
    spec = dict(values.get(name, {})) if name else {}
    src = {k: str(v) for k, v in sources.get(name, {}).items()} if name else {}
    base = base if base is not None else spec.get("base")
    spec.pop("base", None)
    src.pop("base", None)
    if base is None:
        return spec, src
    if base not in values or base in seen or base == name:
        raise InputError("unknown base class" if base not in values else "a class cannot be its own base",
                         file=inst.path, key=f"classes.{name or '?'}.base", value=base,
                         expected="one of " + ", ".join(values))
    below, below_src = _preset_spec(base, values, sources, inst, None, (*seen, name))
    # the base's keys, then the class's own on top (its description stays its own)
    below.pop("description", None)
    below_src.pop("description", None)
    return {**below, **spec}, {**below_src, **src}


def _axis_values(axes: dict[str, list], axis: str, inst_path) -> list:
    if axis not in axes:
        raise InputError(f"class filter on unknown axis {axis!r}", file=inst_path, expected="one of " + ", ".join(axes))
    return list(axes[axis])


def resolve_class(inst: Instance, name: str) -> DesignClass:
    """The class ``name`` for instance ``inst``: preset filters applied to the instance's axes, then
    the instance's own ``[classes.<name>]`` keys on top."""
    values, sources = preset_classes()
    catalog = sorted(catalog_names())
    own = {k: v for k, v in (inst.classes.get(name) or {}).items() if v is not None}
    if name not in values and name not in catalog and not own:
        raise InputError("unknown design class", key="classes", value=name,
                         expected="one of " + ", ".join(available_classes(inst)))
    if name in catalog and not own:
        return DesignClass(name=name, description=f"catalog SKU {name}", sku=name,
                           sources={"sku": "presets/catalog.toml"})
    base = own.pop("base", None)
    spec, src = _preset_spec(name if name in values else None, values, sources, inst, base, ())
    if base is not None:
        src["base"] = "instance file"
    for key, val in own.items():
        # an explicit axis in the instance replaces the preset's filters on that axis
        for suffix in _FILTER_SUFFIXES:
            spec.pop(key + suffix, None)
            src.pop(key + suffix, None)
        spec[key] = val
        src[key] = "instance file"
    cls = DesignClass(name=name, description=str(spec.pop("description", "")), sources=src)
    cls.sku = spec.pop("sku", None)
    cls.max_designs = spec.pop("max_designs", None)
    if cls.sku is not None:
        if cls.sku not in catalog:
            raise InputError("unknown catalog SKU in class", file=inst.path, key=f"classes.{name}.sku",
                             value=cls.sku, expected="one of " + ", ".join(catalog))
        return cls
    for key in [k for k in spec if k.endswith(_INCLUDE_SUFFIX)]:
        axis = key[: -len(_INCLUDE_SUFFIX)]
        extra = spec.pop(key)
        if axis not in spec:
            current = inst.design_space.axes().get(axis)
            if current is None:
                raise InputError(f"class adds to unknown axis {axis!r}", file=inst.path, key=f"classes.{name}.{key}")
            spec[axis] = list(current) + [v for v in (extra if isinstance(extra, list) else [extra])
                                          if v not in current]
    if "memory" in spec:
        spec["memory"] = checked_memory_options(spec["memory"], f"classes.{name}.memory", inst.path, inst.technology)
    explicit = {k: v for k, v in spec.items() if not k.endswith(_FILTER_SUFFIXES)}
    axes = design_axes(inst.design_space.axes(), explicit or None, inst.path)
    chosen = {k: axes[k] for k in explicit}
    for key, bound in spec.items():
        for suffix in _FILTER_SUFFIXES:
            if key.endswith(suffix):
                axis = key[: -len(suffix)]
                vals = _axis_values(axes, axis, inst.path)
                kept = [v for v in vals if (v <= bound if suffix == "_max" else v >= bound)]
                if not kept:
                    raise InputError(f"class {name!r} keeps no {axis} value of the instance's design space",
                                     file=inst.path, key=f"classes.{name}.{key}", value=bound,
                                     expected=f"a bound that keeps one of {vals}")
                chosen[axis] = kept
                axes[axis] = kept
                cls.bounds[key] = bound
    cls.design_space = chosen
    return cls


def memory_options_in_use(inst: Instance, classes) -> list[str]:
    """The memory options of the instance's design space and of the design classes ``classes``."""
    labels = list(inst.design_space.memory)
    for name in classes:
        labels += [m for m in resolve_class(inst, name).design_space.get("memory", []) if m not in labels]
    return labels


def split_class_list(text: str) -> list[str]:
    """``"lite,monolithic,h100"`` -> names; an empty list or an empty name is an error."""
    names = [t.strip() for t in text.split(",")]
    if not any(names) or not all(names):
        raise InputError("empty design class name" if any(names) else "no class given", key="--classes", value=text,
                         expected="comma-separated class names, e.g. lite,monolithic")
    return names


def parse_class_list(text: str | None, inst=None) -> list[str]:
    """``"lite,monolithic,h100"`` -> names, checked against the known classes (None: the defaults)."""
    if text is None:
        return list(DEFAULT_CLASSES)
    names = split_class_list(text)
    known = available_classes(inst)
    for n in names:
        if n not in known:
            raise InputError("unknown design class", key="--classes", value=n, expected="one of " + ", ".join(known))
    return names
