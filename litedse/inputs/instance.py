"""Instance files: read the TOML, merge the presets it names with its overrides, validate every key
strictly, and hand the rest of litedse one resolved ``Instance``.

An instance file has the top-level keys of ``InstanceSpec``::

    name = "llama3-70b-serving"
    [technology]                 # preset = "default"; any preset value may be overridden by path
    preset = "default"
    [technology.node.n4]
    defect_density_per_cm2 = 0.05
    [performance]                # the same for the performance-model preset
    [design_space]               # axes of the SKU grid (see DesignSpace)
    [[workload]]                 # one or more WorkloadSpec tables
    [objective]                  # minimize = "cost" | "power" | "tco", or maximize = "demand_scale"
    [constraints]                # power_budget_w, budget_usd, rack_power_w
    [classes.<name>]             # design-class overrides for `litedse compare`

Every error is an ``InputError`` naming the file, the key path, the value and what was expected.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, PositiveFloat, PositiveInt, ValidationError

from litedse import presets
from litedse.errors import InputError
from litedse.inputs.uncertainty import resolve_uncertainty
from litedse.inputs.design_space import (AXES, BANDWIDTH_AXES, EXTRA_AXES, arange, check_links_given_once,
                                         checked_memory_options, expand_design_space, is_int, is_number)
from litedse.inputs.overrides import set_key_path
from litedse.optimize.problem import MIN_OBJECTIVES
from litedse.tech.memory import HBM_ONLY, check_option
from litedse.tech.sku import MAX_CLOCK, TOPOLOGIES
from litedse.workload.lengths import LengthMix
from litedse.workload.models import resolve_model
from litedse.workload.performance import check_mapping_value
from litedse.workload.placement import placements_of
from litedse.workload.spec import LengthClass, MappingRange, ModelSpec, StrictModel, WorkloadSpec
from litedse.workload.stack import BATCHING_MODES, GQA_KERNELS, SCHEDULERS


# ----------------------------------------------------------------------------------------------
# schema of the non-preset sections
# ----------------------------------------------------------------------------------------------
class DesignSpace(StrictModel):
    """Axes of the SKU grid, each an explicit list of values after range expansion.

    In the file a numeric axis is a scalar, a list of values, ``{start, stop, step}`` (stop
    inclusive) or a short list: ``die_area_mm2`` and ``links`` read three numbers as start, stop,
    step; ``hbm_stacks`` and ``dies_per_package`` read two numbers as an inclusive integer range and
    three as start, stop, step. ``clock`` is always a list of values (fractions of nominal clock).
    """

    model_config = ConfigDict(extra="forbid")

    die_area_mm2: list[PositiveFloat] = Field(default_factory=lambda: arange(100.0, 850.0, 50.0))
    dies_per_package: list[PositiveInt] = Field(default_factory=lambda: [1, 2])
    hbm_stacks: list[int] = Field(default_factory=lambda: list(range(1, 9)))
    hbm: list[str] = Field(default_factory=lambda: ["hbm3e-12hi"])
    links: list[int] = Field(default_factory=lambda: [0, 4, 8, 16, 32])
    interconnect: list[Literal["cpo", "electrical"]] = Field(default_factory=lambda: ["cpo", "electrical"])
    clock: list[PositiveFloat] = Field(default_factory=lambda: [1.0])
    topology: list[Literal[TOPOLOGIES]] = Field(default_factory=lambda: list(TOPOLOGIES))
    # memory options (tech/memory.py): "hbm" or "hbm+<tier>:<devices>" with a [memory.<tier>] technology
    memory: list[str] = Field(default_factory=lambda: [HBM_ONLY])
    # the links as scale-up bandwidth per direction instead of a count (at most one of the two)
    scaleup_gb_s: list[PositiveFloat] | None = None              # GB/s per package
    scaleup_gb_s_per_tflops: list[PositiveFloat] | None = None   # GB/s per BF16 TFLOP/s
    # scale-out NIC choices in Gb/s per BF16 TFLOP/s (default: technology scaleout.gbps_per_tflops_bf16)
    scaleout_gbps_per_tflops: list[PositiveFloat] | None = None
    max_designs: PositiveInt = 1            # K: distinct die designs in the product line
    # resource guard: the SKU grid is evaluated at about 1.3 kB per SKU at its peak (measured on
    # 96,000 SKUs), so 2,000,000 SKUs take about 2.6 GB; raise it on purpose to go beyond
    max_grid_skus: PositiveInt = 2_000_000
    # resource guard on time: (SKU, mapping) columns over all workloads; the performance model
    # evaluates 4-10 million columns per second on the 2-core machine (benchmarks/bench_columns.py),
    # so 4e8 columns take one to two minutes; raise it on purpose to go beyond
    max_columns: PositiveInt = 400_000_000
    # memory budget of the column enumeration: it sets the chunk size (litedse.columns.build.chunk_columns_for)
    memory_budget_gb: PositiveFloat = 1.0

    def bandwidth_axis(self) -> str | None:
        return next((k for k in BANDWIDTH_AXES if getattr(self, k) is not None), None)

    def grid_size(self) -> int:
        bw = self.bandwidth_axis()
        nic = len(self.scaleout_gbps_per_tflops or [None])
        return nic * math.prod(len(getattr(self, bw if (k == "links" and bw) else k)) for k in AXES)

    def axes(self) -> dict[str, list]:
        out = {k: getattr(self, k) for k in AXES}
        bw = self.bandwidth_axis()
        if bw:
            out[bw] = getattr(self, bw)
        if self.scaleout_gbps_per_tflops is not None:
            out["scaleout_gbps_per_tflops"] = self.scaleout_gbps_per_tflops
        return out




class ClassSpec(StrictModel):
    """A design class: design-space axes it restricts, or a fixed catalog SKU."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    base: str | None = None                 # a preset class whose keys this one starts from
    sku: str | None = None
    die_area_mm2: Any = None
    dies_per_package: Any = None
    hbm_stacks: Any = None
    hbm: Any = None
    links: Any = None
    interconnect: Any = None
    clock: Any = None
    topology: Any = None
    memory: Any = None
    memory_include: Any = None              # memory options added to the instance's
    scaleup_gb_s: Any = None
    scaleup_gb_s_per_tflops: Any = None
    scaleout_gbps_per_tflops: Any = None
    max_designs: PositiveInt | None = None


class Objective(StrictModel):
    model_config = ConfigDict(extra="forbid")

    minimize: Literal[MIN_OBJECTIVES] | None = None        # cost | power | tco
    maximize: Literal["demand_scale"] | None = None
    include_nre: bool = False               # charge die-design NRE in capex (and TCO)

    @property
    def name(self) -> str:
        return self.maximize or self.minimize or "cost"

    @property
    def sense(self) -> str:
        return "max" if self.maximize else "min"


class Constraints(StrictModel):
    model_config = ConfigDict(extra="forbid")

    power_budget_w: PositiveFloat | None = None   # facility power (IT x PUE) [W]
    budget_usd: PositiveFloat | None = None       # capital cost [USD]
    rack_power_w: PositiveFloat | None = None     # IT power per rack [W]; default: technology power.rack_power_w


class InstanceSpec(StrictModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    technology: dict[str, Any] = Field(default_factory=dict)
    performance: dict[str, Any] = Field(default_factory=dict)
    design_space: DesignSpace = Field(default_factory=DesignSpace)
    workload: list[WorkloadSpec] = Field(min_length=1)
    objective: Objective = Field(default_factory=Objective)
    constraints: Constraints = Field(default_factory=Constraints)
    classes: dict[str, ClassSpec] = Field(default_factory=dict)
    uncertainty: dict[str, Any] = Field(default_factory=dict)   # key path -> range (inputs.uncertainty)


# which schema holds the keys at a (normalised) path, for "did you mean" on unknown keys
_SCHEMA_AT = {
    (): InstanceSpec, ("design_space",): DesignSpace, ("workload", "*"): WorkloadSpec,
    ("workload", "*", "model"): ModelSpec, ("workload", "*", "mapping"): MappingRange,
    ("workload", "*", "length_mix", "*"): LengthClass,
    ("objective",): Objective, ("constraints",): Constraints, ("classes", "*"): ClassSpec,
}


# ----------------------------------------------------------------------------------------------
# the resolved instance
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instance:
    """A resolved, validated instance. Frozen: derive a changed one with ``with_overrides``, which
    deep-copies, so no instance ever shares a mutable table with another (treat the value trees
    as read-only)."""

    name: str
    path: str | None
    technology_preset: str
    technology: dict[str, Any]              # resolved value tree (preset + overrides)
    technology_sources: dict[str, Any]      # source of every value ("instance file" where overridden)
    performance_preset: str | None
    performance: dict[str, Any]
    performance_sources: dict[str, Any]
    design_space: DesignSpace
    workloads: list[WorkloadSpec]
    objective: Objective
    constraints: Constraints
    classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    # key path -> Range of every uncertain parameter (preset ranges and the instance's [uncertainty])
    uncertainty: dict[str, presets.Range] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict, repr=False)   # the TOML table as read, before resolution
    overrides: dict[str, Any] = field(default_factory=dict)          # key path -> value applied on top of the file

    def with_overrides(self, overrides: dict[str, Any]) -> "Instance":
        """A new validated instance: this one's file table with ``overrides`` ({"key.path": value},
        key paths as study files write them, e.g. ``technology.hbm.hbm3e-12hi.cost_usd_per_gb``
        or ``workload.0.demand_requests_per_s``) set on a deep copy. This instance is untouched.
        A bad key path or value is an InputError naming the file and the key."""
        if not isinstance(overrides, dict):
            raise InputError("overrides must be a table", file=self.path, expected='{"key.path": value, ...}')
        data = copy.deepcopy(self.data)
        for path, value in overrides.items():
            try:
                set_key_path(data, path, value)
            except ValueError as err:
                raise InputError(f"invalid key path: {err}", file=self.path, key=str(path)) from None
        inst = instance_from_dict(data, source=self.path or "<dict>")
        return dataclasses.replace(inst, overrides={**self.overrides, **copy.deepcopy(overrides)})

    def resolved(self) -> dict[str, Any]:
        """The whole instance as plain JSON-able data (what ``litedse check`` prints)."""
        return {
            "name": self.name,
            "description": self.description,
            "technology": {"preset": self.technology_preset, "values": self.technology},
            "performance": {"preset": self.performance_preset, "values": self.performance},
            "design_space": {**self.design_space.model_dump(), "grid_skus": self.design_space.grid_size()},
            "workload": [w.model_dump(mode="json") for w in self.workloads],
            "objective": {"name": self.objective.name, "sense": self.objective.sense,
                          "include_nre": self.objective.include_nre},
            "constraints": self.constraints.model_dump(),
            "classes": self.classes,
            "uncertainty": {k: r.to_dict() for k, r in self.uncertainty.items()},
        }

    def key(self) -> str:
        """Stable identity of the resolved instance (sha256 of its canonical JSON, path excluded;
        the declared ranges do not change a solve, so they are not part of it)."""
        data = self.resolved()
        del data["uncertainty"]
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------------------------
def read_instance_toml(path: str | Path) -> dict[str, Any]:
    """The raw TOML table of an instance file; InputError for a missing file or bad syntax."""
    p = Path(path)
    if not p.is_file():
        raise InputError("file not found" if not p.exists() else "not a file", file=str(path))
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"TOML syntax error: {err}", file=str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", file=str(path)) from None


def load(path: str | Path) -> Instance:
    """Read, resolve and validate the instance file at ``path`` (TOML, README "Instance format"):
    ``litedse.load``. Returns a frozen ``Instance``; ``inst.with_overrides({"key.path": value})``
    gives a changed copy. A bad file, key or value is an InputError naming them."""
    data = read_instance_toml(path)
    return instance_from_dict(data, source=str(path))


load_instance = load   # the name the package uses inside


def instance_from_dict(data: dict[str, Any], source: str = "<dict>") -> Instance:
    """Resolve and validate an instance given as a TOML-like dict (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise InputError("an instance must be a table", file=source)
    as_read = copy.deepcopy(data)
    data = copy.deepcopy(data)
    _check_unknown(data, (), source)
    if "design_space" in data:
        data["design_space"] = expand_design_space(data["design_space"], "design_space", source)
    try:
        spec = InstanceSpec.model_validate(data)
    except ValidationError as err:
        raise _pydantic_error(err, source) from None
    tech_name, tech, tech_src = _resolve_preset("technology", data.get("technology", {}), source)
    perf_name, perf, perf_src = _resolve_optional_preset("performance", data.get("performance", {}), source)
    _check_design_space(spec.design_space, tech, source)
    _check_workloads(spec.workload, source)
    workloads = serving_pools(spec.workload)
    classes = {}
    for name, cls in spec.classes.items():
        raw = {k: v for k, v in cls.model_dump().items() if v is not None}
        axes = {k: v for k, v in raw.items() if k in AXES or k in BANDWIDTH_AXES or k in EXTRA_AXES}
        if axes:
            raw.update(expand_design_space(axes, f"classes.{name}", source))
        for key in ("memory", "memory_include"):
            if key in raw:
                checked_memory_options(raw[key], f"classes.{name}.{key}", source, tech)
        if raw.get("base") is not None and raw["base"] not in _preset_class_names():
            raise InputError("unknown base class", file=source, key=f"classes.{name}.base", value=raw["base"],
                             expected="one of " + ", ".join(_preset_class_names()))
        classes[name] = raw
    default_name = Path(source).stem if source != "<dict>" else "instance"
    uncertainty = resolve_uncertainty({"technology": (tech_name, tech, tech_src), "performance": (perf_name, perf, perf_src)},
                                      data.get("uncertainty", {}), source, check_leaf)
    return Instance(name=spec.name or default_name, path=None if source == "<dict>" else source,
                    technology_preset=tech_name, technology=tech, technology_sources=tech_src,
                    performance_preset=perf_name, performance=perf, performance_sources=perf_src,
                    design_space=spec.design_space, workloads=workloads, objective=spec.objective,
                    constraints=spec.constraints, classes=classes, description=spec.description or "",
                    uncertainty=uncertainty, data=as_read)


# ----------------------------------------------------------------------------------------------
# unknown keys (before pydantic, so that the message can say "did you mean")
# ----------------------------------------------------------------------------------------------
def _check_unknown(node: Any, path: tuple, source: str) -> None:
    # list indices and class names are free: normalise them to "*" to find the schema
    norm = tuple("*" if isinstance(p, int) or (path[0] == "classes" and i == 1) else p for i, p in enumerate(path))
    schema = _SCHEMA_AT.get(norm)
    if schema is None or not isinstance(node, dict):
        return  # not a table of a known schema (a catalog model name, or a type error pydantic reports)
    allowed = list(schema.model_fields)
    for key, value in node.items():
        if key not in allowed:
            raise InputError(f"unknown key{_did_you_mean(key, allowed)}", file=source,
                             key=_join(path + (key,)), expected="one of " + ", ".join(allowed))
        child = path + (key,)
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check_unknown(item, child + (i,), source)
        else:
            _check_unknown(value, child, source)


def _did_you_mean(key: str, allowed) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f" {key!r} (did you mean {close[0]!r}?)" if close else f" {key!r}"


def _join(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _pydantic_error(err: ValidationError, source: str) -> InputError:
    errors = err.errors()
    # a union (a model given by catalog name or as an inline table) lists an error per member: the
    # one that is not "should be a string" says what is wrong with the table
    first = next((e for e in errors if e["type"] != "string_type"), errors[0])
    # drop pydantic's union-member tags (e.g. 'ModelSpec', 'str') from the location
    loc = tuple(p for p in first["loc"] if isinstance(p, int) or not (p[:1].isupper() or p in ("str", "int", "float", "bool")
                                                                      or "[" in p or p.startswith("function-")))
    value = first.get("input")
    if isinstance(value, dict):
        value = None
    if first["type"] == "missing":
        return InputError("missing required key", file=source, key=_join(loc), expected=_expected_for(loc))
    message = first["msg"].rstrip(".").removeprefix("Value error, ")
    return InputError(message, file=source, key=_join(loc), value=value)


def _expected_for(loc: tuple) -> str | None:
    if loc == ("workload",):
        return "at least one [[workload]] table"
    return None


def _preset_class_names() -> list[str]:
    return list(presets.load("", "classes")[0])


SKU_BYTES = 1300.0   # peak memory of evaluating one SKU of the grid [bytes] (DesignSpace.max_grid_skus)


def _check_design_space(ds: DesignSpace, tech: dict, source: str) -> None:
    given = [k for k in (*BANDWIDTH_AXES, "links") if k in ds.model_fields_set and getattr(ds, k) is not None]
    check_links_given_once(given, source, "design_space.")
    size = ds.grid_size()
    if size > ds.max_grid_skus:
        raise InputError("design space too large", file=source, key="design_space", value=size,
                         expected=f"at most design_space.max_grid_skus = {ds.max_grid_skus:,} SKUs (about "
                                  f"{size * SKU_BYTES / 1e9:.1f} GB to evaluate); narrow an axis or raise max_grid_skus")
    for name in ds.hbm:
        if name not in tech["hbm"]:
            raise InputError("unknown HBM generation", file=source, key="design_space.hbm", value=name,
                             expected="one of " + ", ".join(tech["hbm"]))
    for label in ds.memory:
        check_option(label, tech, file=source, key="design_space.memory")
    for key in ("die_area_mm2", "clock"):
        bad = [v for v in getattr(ds, key) if not np.isfinite(v)]
        if bad:
            raise InputError("not finite", file=source, key=f"design_space.{key}", value=bad[0])
    if max(ds.clock) > MAX_CLOCK:
        raise InputError("out of range", file=source, key="design_space.clock", value=max(ds.clock),
                         expected=f"fractions of nominal clock in (0, {MAX_CLOCK:g}]")


# ----------------------------------------------------------------------------------------------
# workloads: what each kind needs
# ----------------------------------------------------------------------------------------------
_NEEDS = {
    "serving": ("input_tokens", "output_tokens"),
    "decode": ("input_tokens", "output_tokens"),
    "prefill": ("input_tokens",),
    "training": ("sequence_length", "global_batch"),
}


def _check_workloads(workloads: list[WorkloadSpec], source: str) -> None:
    names = set()
    for i, w in enumerate(workloads):
        where = f"workload.{i}"
        if w.name in names:
            raise InputError("duplicate workload name", file=source, key=f"{where}.name", value=w.name)
        names.add(w.name)
        if w.length_mix is not None and w.kind not in ("serving", "decode", "prefill"):
            raise InputError("a length mix applies to serving, decode and prefill workloads", file=source,
                             key=f"{where}.length_mix")
        if w.length_mix is not None and (w.input_tokens is not None or w.output_tokens is not None):
            raise InputError("give either length_mix or input_tokens/output_tokens, not both", file=source,
                             key=f"{where}.length_mix")
        for key in _NEEDS[w.kind]:
            if getattr(w, key) is None and w.length_mix is None:
                raise InputError(f"missing required key for a {w.kind} workload", file=source, key=f"{where}.{key}")
        if w.kind == "training":
            if w.demand_tokens_per_s is None and (w.train_tokens is None or w.time_budget_days is None):
                raise InputError("a training workload needs a demand", file=source, key=f"{where}.train_tokens",
                                 expected="train_tokens with time_budget_days, or demand_tokens_per_s")
            if w.demand_requests_per_s is not None:
                raise InputError("training has no requests", file=source, key=f"{where}.demand_requests_per_s",
                                 expected="train_tokens with time_budget_days, or demand_tokens_per_s")
        else:
            given = [k for k in ("demand_tokens_per_s", "demand_requests_per_s") if getattr(w, k) is not None]
            if len(given) != 1:
                raise InputError("exactly one demand needed" if given else "missing demand", file=source,
                                 key=f"{where}.demand_tokens_per_s",
                                 expected="one of demand_tokens_per_s, demand_requests_per_s")
        _check_model(w, where, source)


def serving_pools(workloads: list[WorkloadSpec]) -> list[WorkloadSpec]:
    """Each disaggregated serving workload becomes two workloads the optimiser sizes separately, on
    SKUs and mappings of their own: ``<name>.prefill`` (kind prefill, the TTFT limit, KV sent
    after the prompt) and ``<name>.decode`` (kind decode, the TPOT limit, KV received), both at the
    workload's request rate (a token demand is divided by the mean output length)."""
    out = []
    for w in workloads:
        if w.kind != "serving" or w.serving_mode != "disaggregated":
            out.append(w)
            continue
        rate = w.demand_requests_per_s or w.demand_tokens_per_s / LengthMix.of(w).mean_output
        common = {"serving_mode": "aggregated", "demand_requests_per_s": rate, "demand_tokens_per_s": None}
        out.append(w.model_copy(update={**common, "name": f"{w.name}.prefill", "kind": "prefill", "tpot_s": None,
                                        "disaggregated_pool": "prefill", "model": w.model or w.name}))
        out.append(w.model_copy(update={**common, "name": f"{w.name}.decode", "kind": "decode", "ttft_s": None,
                                        "disaggregated_pool": "decode", "model": w.model or w.name}))
    return out


def _check_model(w: WorkloadSpec, where: str, source: str) -> None:
    try:
        model = resolve_model(w.model, w.name)
    except InputError as err:
        raise InputError(str(err), file=source, key=f"{where}.model",
                         value=w.model if isinstance(w.model, str) else None) from None
    for key, values in w.mapping.model_dump().items():
        for value in values or []:
            try:
                check_mapping_value(w, model, key, value)
            except InputError as err:
                raise InputError(err.args[0].split(": ", 1)[-1], file=source, key=f"{where}.mapping.{key}") from None


# ----------------------------------------------------------------------------------------------
# presets and their overrides
# ----------------------------------------------------------------------------------------------
_ENUMS = {
    ("silicon", "yield_model"): ("poisson", "murphy", "seeds", "negative_binomial"),
    ("design", "cooling"): ("air", "liquid"),
    ("pricing", "basis"): ("bom", "market"),
    ("kv_cache", "scheduler"): SCHEDULERS,
    ("attention", "gqa_kv"): GQA_KERNELS,
    ("batching", "mode"): BATCHING_MODES,
}
_FRACTION = re.compile(r"(fraction|utilization|efficiency|overlap|yield_per)")
_AT_LEAST_ONE = {"pue", "interposer_area_overhead", "oversubscription"}
# a second memory tier's figures that must be positive (a zero would divide by zero in the model)
_POSITIVE_TIER_FIGURES = {"capacity_gb", "read_bandwidth_gb_s", "write_bandwidth_gb_s", "retention_hours",
                          "write_endurance_cycles"}


def _resolve_optional_preset(kind: str, overrides: Any, source: str):
    if not presets.available(kind):
        if overrides:
            raise InputError(f"no {kind} presets are installed", file=source, key=kind)
        return None, {}, {}
    return _resolve_preset(kind, overrides, source)


def _resolve_preset(kind: str, overrides: Any, source: str):
    if not isinstance(overrides, dict):
        raise InputError("must be a table", file=source, key=kind, value=overrides)
    overrides = dict(overrides)
    name = overrides.pop("preset", "default")
    if not isinstance(name, str) or name not in presets.available(kind):
        raise InputError(f"unknown {kind} preset", file=source, key=f"{kind}.preset", value=name,
                         expected="one of " + ", ".join(presets.available(kind)))
    if kind == "performance":
        # the preset with its serving stack under "stack", where [performance.stack] overrides apply
        values, sources = presets.performance(name, _serving_stack_name(overrides, source))
    else:
        values, sources = presets.load(kind, name)
    _apply(values, sources, overrides, (kind,), source)
    _check_references(kind, values, source)
    return name, values, sources


def _serving_stack_name(overrides: dict, source: str) -> str | None:
    """The serving stack an instance names (None: the performance preset's own)."""
    name = overrides.get("serving_stack")
    if name is not None and (not isinstance(name, str) or name not in presets.available("serving")):
        raise InputError("unknown serving stack", file=source, key="performance.serving_stack", value=name,
                         expected="one of " + ", ".join(presets.available("serving")))
    return name


def _apply(values: dict, sources: dict, overrides: dict, path: tuple, source: str) -> None:
    for key, new in overrides.items():
        where = path + (key,)
        if key not in values:
            siblings = [v for v in values.values() if isinstance(v, dict)]
            collection = len(path) == 2 or path[-2:] == ("stack", "efficiency")
            if collection and siblings and len(siblings) == len(values) and isinstance(new, dict):
                # a new entry of a collection (e.g. a new HBM generation): it must be complete
                template = siblings[0]
                missing = [k for k in template if k not in new]
                if missing:
                    raise InputError("new entry is incomplete", file=source, key=_join(where),
                                     expected="also " + ", ".join(missing) + " (as the other entries have)")
                values[key] = copy.deepcopy(template)
                sources[key] = {k: "instance file" for k in template}
                _apply(values[key], sources[key], new, where, source)
                continue
            raise InputError(f"unknown key{_did_you_mean(key, values)}", file=source, key=_join(where),
                             expected="one of " + ", ".join(values))
        old = values[key]
        if isinstance(old, dict):
            if not isinstance(new, dict):
                raise InputError("wrong type", file=source, key=_join(where), value=new, expected="a table")
            _apply(old, sources[key], new, where, source)
            continue
        values[key] = check_leaf(old, new, where, source)
        sources[key] = f"instance file {source}"


def check_leaf(old: Any, new: Any, where: tuple, source: str) -> Any:
    """``new`` as the value of preset leaf ``where`` (whose default is ``old``), or an InputError."""
    key = _join(where)
    if isinstance(old, bool):
        if not isinstance(new, bool):
            raise InputError("wrong type", file=source, key=key, value=new, expected="true or false")
        return new
    if is_number(old):
        if not is_number(new):
            raise InputError("wrong type", file=source, key=key, value=new, expected="a number")
        if not math.isfinite(new) or new < 0:
            raise InputError("out of range", file=source, key=key, value=new, expected="a finite number >= 0")
        leaf = str(where[-1])
        # a fraction by its own name, or any value of an "efficiency" section
        if (_FRACTION.search(leaf) or any("efficiency" in str(w) for w in where[:-1])) and new > 1:
            raise InputError("out of range", file=source, key=key, value=new, expected="a fraction in [0, 1]")
        if any("efficiency" in str(w) for w in where) and new <= 0:
            raise InputError("out of range", file=source, key=key, value=new, expected="an efficiency in (0, 1]")
        if leaf in _AT_LEAST_ONE and new < 1:
            raise InputError("out of range", file=source, key=key, value=new, expected="a number >= 1")
        if isinstance(old, int) and not is_int(new):
            raise InputError("wrong type", file=source, key=key, value=new, expected="an integer")
        if tuple(where[:2]) == ("technology", "memory") and leaf in _POSITIVE_TIER_FIGURES and new <= 0:
            raise InputError("out of range", file=source, key=key, value=new, expected="a number > 0")
        return type(old)(new) if isinstance(old, int) else float(new)
    if isinstance(old, str):
        if not isinstance(new, str):
            raise InputError("wrong type", file=source, key=key, value=new, expected="a string")
        if tuple(where[-2:]) == ("memory", "placement"):
            placements_of({"memory": {"placement": new}}, file=source)
        allowed = _ENUMS.get(tuple(where[-2:]))
        if allowed and new not in allowed:
            raise InputError("unknown value", file=source, key=key, value=new, expected="one of " + ", ".join(allowed))
        return new
    if isinstance(old, list):
        if not isinstance(new, list):
            raise InputError("wrong type", file=source, key=key, value=new, expected="a list")
        if old and all(is_number(v) for v in old):
            positive = min(old) > 0
            integers = all(isinstance(v, int) for v in old)
            for v in new:
                if not is_number(v) or not math.isfinite(v) or v < 0 or (positive and v <= 0) or (integers and not is_int(v)):
                    kind = "integers" if integers else "numbers"
                    raise InputError("bad list value", file=source, key=key, value=v,
                                     expected=f"{'positive ' if positive else 'non-negative '}{kind}")
        return new
    return new


def _check_references(kind: str, values: dict, source: str) -> None:
    if kind != "technology":
        return
    design = values["design"]
    if design["node"] not in values["node"]:
        raise InputError("unknown node", file=source, key="technology.design.node", value=design["node"],
                         expected="one of " + ", ".join(values["node"]))
    if design["package"] != "auto" and design["package"] not in values["package"]:
        raise InputError("unknown package", file=source, key="technology.design.package", value=design["package"],
                         expected="auto or one of " + ", ".join(values["package"]))
