"""Study files and batch planning: a base instance plus sweeps over key paths, expanded to tasks.

A study file is a TOML file with a ``base`` instance (path relative to the study file) and at
least one sweep::

    name = "llama3-70b-defects-optics-demand"        # optional
    base = "../llama3-70b-serving.toml"
    classes = ["lite", "monolithic"]                 # optional; `litedse batch --classes` overrides
    [set]                                            # optional: the same change for every point
    "design_space.clock" = [1.0]
    [sweep.grid]                                     # cartesian product, last key fastest
    "technology.node.n4.defect_density_per_cm2" = [0.05, 0.1, 0.2]
    "workload.0.demand_requests_per_s" = [100, 1000]
    [sweep.zip]                                      # lists of one length, taken together
    "technology.interconnect.cpo.cost_usd_per_link" = [100, 250]
    "technology.interconnect.cpo.power_w_per_link" = [5, 8]

A key path names a value of the instance file's tables: dotted table keys, with integer segments
indexing arrays of tables (``workload.0`` is the first ``[[workload]]``). Tables missing from the
base file are created (``technology.node.n4`` overrides the preset). The points are the grid's
product times the zipped rows. Every swept value and every point is validated by building its
instance before anything runs: a bad key path or value is an InputError naming the study file and
the key.

``plan(inputs, classes)`` turns command-line inputs (instance files, globs, study files) into batch
tasks (see litedse.batch.run): one per (distinct resolved instance, class). A file that exists but
cannot be read as an instance becomes an ``input_error`` task, recorded as a row, not a crash.
"""

from __future__ import annotations

import copy
import glob
import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litedse.errors import InputError
from litedse.inputs.classes import available_classes
from litedse.inputs.instance import instance_from_dict, read_instance_toml
from litedse.inputs.overrides import set_key_path

STUDY_KEYS = ("name", "description", "base", "classes", "set", "sweep")
SWEEP_KINDS = ("grid", "zip")
DEFAULT_CLASS = "instance"


@dataclass
class Point:
    index: int
    sweep: dict[str, Any]          # key path -> value of this point
    data: dict[str, Any]           # the instance table with the point's values set
    key: str                       # Instance.key() of the resolved point
    name: str


@dataclass
class Study:
    path: str
    name: str
    base: str                      # base instance path as resolved from the study file
    classes: list[str] | None
    sweep_keys: list[str]
    points: list[Point] = field(default_factory=list)


# ---- study files -----------------------------------------------------------------------------------

def is_study(data: dict) -> bool:
    return isinstance(data, dict) and ("sweep" in data or "base" in data)


def load_study(path: str | Path, data: dict | None = None) -> Study:
    """Read a study file, expand its points, and validate every one by building its instance."""
    spath = str(path)
    if data is None:
        data = read_instance_toml(path)
    unknown = [k for k in data if k not in STUDY_KEYS]
    if unknown:
        raise InputError("unknown study key", file=spath, key=unknown[0], expected="one of " + ", ".join(STUDY_KEYS))
    base_rel = data.get("base")
    if not isinstance(base_rel, str):
        raise InputError("missing base instance", file=spath, key="base", value=base_rel,
                         expected="a path to an instance file, relative to the study file")
    base_path = (Path(spath).parent / base_rel)
    if not base_path.is_file():
        raise InputError("base instance not found", file=spath, key="base", value=base_rel,
                         expected=f"an instance file (looked for {base_path})")
    base_data = read_instance_toml(base_path)
    base_src = str(base_path)

    classes = data.get("classes")
    if classes is not None and (not isinstance(classes, list) or not classes
                                or not all(isinstance(c, str) and c for c in classes)):
        raise InputError("wrong type", file=spath, key="classes", value=classes, expected="a list of class names")

    def build(point_data: dict, keys: list[str], values: list):
        try:
            return instance_from_dict(point_data, source=base_src)
        except InputError as err:
            desc = ", ".join(f"{k} = {v!r}" for k, v in zip(keys, values))
            raise InputError(f"instance rejected with {desc}: {err}", file=spath, key=keys[-1] if keys else None) from None

    def with_values(root: dict, keys: list[str], values: list, table: str) -> dict:
        out = copy.deepcopy(root)
        for k, v in zip(keys, values):
            try:
                set_key_path(out, k, v)
            except ValueError as err:
                raise InputError(f"invalid key path: {err}", file=spath, key=f"{table}.{k!r}") from None
        return out

    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        raise InputError("must be a table", file=spath, key="set", expected='"key.path" = value entries')
    base_data = with_values(base_data, list(fixed), list(fixed.values()), "set")
    if fixed:
        build(base_data, list(fixed), list(fixed.values()))

    sweep = data.get("sweep")
    if not isinstance(sweep, dict) or not sweep:
        raise InputError("no sweep", file=spath, key="sweep", expected="a [sweep.grid] and/or [sweep.zip] table")
    for kind in sweep:
        if kind not in SWEEP_KINDS:
            raise InputError("unknown sweep kind", file=spath, key=f"sweep.{kind}", expected="grid or zip")
    axes: dict[str, dict[str, list]] = {}
    for kind in SWEEP_KINDS:
        table = sweep.get(kind, {})
        if not isinstance(table, dict):
            raise InputError("must be a table", file=spath, key=f"sweep.{kind}", expected='"key.path" = [values]')
        for k, values in table.items():
            if not isinstance(values, list) or not values:
                raise InputError("a swept key needs a non-empty list of values", file=spath,
                                 key=f"sweep.{kind}.{k!r}", value=values)
            if any(k in other for other in axes.values()) or k in fixed:
                raise InputError("key path given twice", file=spath, key=f"sweep.{kind}.{k!r}")
        axes[kind] = dict(table)
    zip_axes = axes.get("zip", {})
    lengths = {len(v) for v in zip_axes.values()}
    if len(lengths) > 1:
        raise InputError("zipped lists differ in length", file=spath, key="sweep.zip",
                         value={k: len(v) for k, v in zip_axes.items()}, expected="lists of one length")
    keys = list(axes.get("grid", {})) + list(zip_axes)
    if not keys:
        raise InputError("no swept key", file=spath, key="sweep", expected="at least one key path with values")

    # each value alone first, so an error names the one key and value at fault
    for kind, table in axes.items():
        for k, values in table.items():
            for v in values:
                build(with_values(base_data, [k], [v], f"sweep.{kind}"), [k], [v])

    grid_rows = list(itertools.product(*axes.get("grid", {}).values())) if axes.get("grid") else [()]
    zip_rows = list(zip(*zip_axes.values())) if zip_axes else [()]
    study = Study(path=spath, name=str(data.get("name") or Path(spath).stem), base=base_src,
                  classes=classes, sweep_keys=keys)
    for i, (g, z) in enumerate(itertools.product(grid_rows, zip_rows)):
        values = list(g) + list(z)
        point_data = with_values(base_data, keys, values, "sweep")
        inst = build(point_data, keys, values)
        study.points.append(Point(index=i, sweep=dict(zip(keys, values)), data=point_data, key=inst.key(),
                                  name=inst.name))
    return study


# ---- planning a batch ------------------------------------------------------------------------------

def expand_inputs(inputs: list[str]) -> list[str]:
    """Instance files, study files and globs, in order, without repeats. A path or glob that
    matches nothing is an input error (a typo should not silently shrink a study)."""
    files: list[str] = []
    for item in inputs:
        if any(ch in item for ch in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            matches = [m for m in matches if Path(m).is_file()]
            if not matches:
                raise InputError("no file matches", key="INPUTS", value=item)
        elif Path(item).is_dir():
            matches = sorted(str(p) for p in Path(item).glob("*.toml"))
            if not matches:
                raise InputError("no .toml file in directory", key="INPUTS", value=item)
        elif Path(item).is_file():
            matches = [item]
        else:
            raise InputError("file not found", key="INPUTS", value=item)
        for m in matches:
            if m not in files:
                files.append(m)
    return files


def _bad_file_key(path: str) -> str:
    h = hashlib.sha256(str(Path(path).resolve()).encode())
    try:
        h.update(Path(path).read_bytes())
    except OSError:
        pass
    return "input:" + h.hexdigest()


def plan(inputs: list[str], classes: list[str] | None = None, options: dict | None = None) -> list[dict]:
    """Batch tasks for the inputs: one per (distinct resolved instance, class), in input order.
    Study files are fully validated here (InputError); a malformed instance file becomes an
    ``input_error`` task."""
    options = {"threads": 1, **(options or {})}
    tasks: list[dict] = []
    seen: set[tuple[str, str]] = set()

    def add(task: dict, cls_list: list[str], inst=None) -> None:
        if inst is not None:
            check_classes(cls_list, inst, task["source"])
        for cls in cls_list:
            if (task["key"], cls) not in seen:
                seen.add((task["key"], cls))
                tasks.append({**task, "class": cls})

    def add_bad_file(path: str, err: InputError) -> None:
        add({"key": _bad_file_key(path), "source": path, "point": None, "sweep": {}, "instance_name": Path(path).stem,
             "input_error": str(err), "options": options}, classes or [DEFAULT_CLASS])

    for path in expand_inputs(list(inputs)):
        try:
            data = read_instance_toml(path)
        except InputError as err:
            add_bad_file(path, err)
            continue
        if is_study(data):
            study = load_study(path, data)
            first = instance_from_dict(study.points[0].data, source=study.base)
            check_classes(classes or study.classes or [DEFAULT_CLASS], first, path)
            for p in study.points:
                add({"key": p.key, "source": path, "point": p.index, "sweep": p.sweep, "instance_name": p.name,
                     "study": study.name, "instance": {"data": p.data, "source": study.base},
                     "options": options}, classes or study.classes or [DEFAULT_CLASS])
            continue
        try:
            inst = instance_from_dict(data, source=path)
        except InputError as err:
            add_bad_file(path, err)
            continue
        add({"key": inst.key(), "source": path, "point": None, "sweep": {}, "instance_name": inst.name,
             "instance": {"data": data, "source": path}, "options": options},
            classes or [DEFAULT_CLASS], inst)
    return tasks


def check_classes(names: list[str], inst, source: str) -> None:
    """Unknown class names are a typo to fix before a long batch starts, not a column of failures."""
    known = [DEFAULT_CLASS, *available_classes(inst)]
    for name in names:
        if name not in known:
            raise InputError("unknown design class", file=source, key="classes", value=name,
                             expected="one of " + ", ".join(known))


def build_task_instance(task: dict):
    """The instance of a planned task, rebuilt on the worker from the data the driver sent (a
    remote worker needs no access to the driver's files). Its key must be the planned one: a
    worker with another litedse version would otherwise file its rows under the wrong key."""
    spec = task["instance"]
    inst = instance_from_dict(spec["data"], source=spec["source"])
    if inst.key() != task["key"]:
        raise RuntimeError("instance key differs on this worker (another litedse version?)")
    return inst
