"""Where a result comes from: the ``provenance`` block of every JSON document and report (README
"Provenance"). One function, ``provenance(inst)``, so that every output records the same facts:
the litedse version, the instance file's sha256 and the resolved instance's key, the overrides
applied on top of the file, every preset file read with its sha256, the solver and its version,
the Python version and the time (UTC)."""

from __future__ import annotations

import hashlib
import os
import platform
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from litedse.inputs.instance import Instance
from litedse.jsonable import jsonable
from litedse.version import __version__

SOLVER = ("highs", "highspy")        # (solver name, the Python package that ships it)
# preset files every instance reads, beside its technology and performance presets
SHARED_PRESETS = ("catalog.toml", "classes.toml", "models.toml")


@lru_cache(maxsize=None)
def _preset_sha256(relative: str) -> str | None:
    path = resources.files("litedse.presets").joinpath(relative)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@lru_cache(maxsize=None)
def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def file_sha256(path: str | Path | None) -> str | None:
    """sha256 hex of a file's bytes, None for no file (an instance built from a dict)."""
    if path is None or not Path(path).is_file():
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def preset_files(inst: Instance) -> list[dict[str, Any]]:
    """The preset files ``inst`` was resolved from: kind, name, file (relative to litedse/presets)
    and sha256."""
    named = [("technology", inst.technology_preset)]
    if inst.performance_preset:
        named.append(("performance", inst.performance_preset))
        if inst.performance.get("serving_stack"):
            named.append(("serving", inst.performance["serving_stack"]))
    out = [{"kind": kind, "name": name, "file": f"{kind}/{name}.toml", "sha256": _preset_sha256(f"{kind}/{name}.toml")}
           for kind, name in named]
    out += [{"kind": f[:-5], "name": f[:-5], "file": f, "sha256": _preset_sha256(f)} for f in SHARED_PRESETS]
    return out


def _shown_path(path: str | None) -> str | None:
    """The instance file as a path relative to the working directory when it lies below it (so
    that committed outputs do not carry one machine's absolute paths), else as given."""
    if not path:
        return path
    rel = os.path.relpath(os.path.abspath(path))
    return path if rel.startswith("..") else rel


def provenance(inst: Instance, now: datetime | None = None) -> dict[str, Any]:
    """The ``provenance`` block of a document about ``inst`` (README "Provenance")."""
    when = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return jsonable({
        "litedse_version": __version__,
        "instance_file": _shown_path(inst.path),
        "instance_sha256": file_sha256(inst.path),
        "instance_key": inst.key(),
        "overrides": inst.overrides,
        "presets": preset_files(inst),
        "solver": {"name": SOLVER[0], "package": SOLVER[1], "version": _package_version(SOLVER[1])},
        "python": platform.python_version(),
        "created_utc": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
    })


def provenance_line(block: dict[str, Any]) -> str:
    """The block as one sentence for a report's footer."""
    presets = ", ".join(f"{p['file']} (sha256 {(p['sha256'] or '-')[:12]})" for p in block["presets"])
    over = "; overrides " + ", ".join(f"{k} = {v!r}" for k, v in block["overrides"].items()) if block["overrides"] else ""
    solver = block["solver"]
    return (f"litedse {block['litedse_version']}, {solver['name']} {solver['version']} ({solver['package']}), "
            f"Python {block['python']}, made {block['created_utc']}. Instance {block['instance_file'] or '(no file)'} "
            f"sha256 {block['instance_sha256'] or '-'}, resolved key {block['instance_key']}{over}. Presets: {presets}.")
