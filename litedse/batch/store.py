"""Results store of a batch study: a directory of Parquet files, one row per (instance key, class).

Layout of a store directory ``STORE``::

    STORE/parts/part-<ns>-<uuid>.parquet     one file per finished task, as tasks finish
    STORE/data/compact-<ns>-<uuid>.parquet   rows merged by ``compact()``
    STORE/*/.tmp-*                            files being written (never read)

Why it survives SIGKILL at any moment:

* a row file is written under a temporary name, flushed and fsync'ed, then ``os.replace``d to its
  final name: a reader sees the whole file or nothing;
* ``compact()`` writes the merged rows the same way and only then deletes the files it merged, so
  a kill between the two leaves the same row in two files; every reader therefore de-duplicates on
  (key, class), keeping the row written last (``written_ns``). No state lives outside the files.

Read a store with ``Store(path).read()`` (or ``litedse report STORE``): it de-duplicates. Once a batch
has finished, ``compact()`` has left one file, ``STORE/data/compact-*.parquet``, which any Parquet
reader (pandas, pyarrow, DuckDB, Spark) can open directly.

Only one process writes a store at a time (the batch driver; Dask workers return rows to it and
never touch the directory), so no locking is needed.

Row schema (README snippet; ``STORE_SCHEMA_VERSION`` = "store-1"; a column absent from a row is null):

| column | meaning |
|---|---|
| `key` | sha256 hex of the resolved instance (`Instance.key()`); for a file that could not be read as an instance, `input:` + sha256 of its path and bytes |
| `class` | design class solved (`lite`, `monolithic`, `free`, `h100`, ...); `instance` when no class was requested (the instance as written) |
| `source` | the instance or study file the row comes from |
| `study` | the study's `name` (null for a plain instance file) |
| `point` | index of the point in its study (null for a plain instance file) |
| `instance_name` | the instance's `name` |
| `sweep:<key path>` | one column per swept key path of a study (e.g. `sweep:technology.node.n4.defect_density_per_cm2`), holding this point's value |
| `status` | `optimal`, `feasible`, `time_limit`, `infeasible`, `input_error` (bad file or value) or `error` (unexpected exception, lost worker, solver failure) |
| `error` | one-line message for `input_error` / `error`; what cannot be met for `infeasible`; null otherwise |
| `objective_name`, `objective_sense`, `objective_value`, `objective_unit` | the solve's objective (`cost`/`power`/`tco`/`demand_scale`, `min`/`max`, value, `usd`/`w`/`1`); value null without a solution |
| `gap` | relative MIP gap reported by the solver |
| `n_designs` | number of distinct package designs in the solution |
| `design_<field>` | the first design of the solve JSON's `designs`: `die_area_mm2`, `dies_per_package`, `hbm_stacks`, `hbm`, `links`, `interconnect`, `clock`, `packages`, `unit_cost_usd`, `tdp_w`, `peak_tflops_bf16`, and every further scalar of the design card (`die_yield`, `die_cost_usd`, `hbm_capacity_gb`, `failures_per_year`, ...) |
| `capex_usd`, `it_power_w`, `facility_power_w`, `tco_usd`, `packages`, `switches` | the solve JSON's `totals` (plus any further scalar total, e.g. `racks`, `demand_scale`) |
| `workloads_json` | the solve JSON's `workloads` list as JSON text (mapping, replicas, throughput, TTFT/TPOT per workload) |
| `binding_constraints` | comma-separated names of the binding constraints |
| `method`, `solver_name`, `solver_version` | `milp` or `enumerate`; e.g. `highs`, `1.16.0` |
| `solver_wall_s`, `solver_build_s`, `solver_solve_s` | the solve's own wall time (columns, pruning, MILP) and its build and HiGHS parts |
| `columns_enumerated`, `columns_kept` | column counts of the solve |
| `task_wall_s` | wall time of the whole task on its worker (instance build included) |
| `worker` | `host:pid` of the process that ran the task |
| `written_ns` | `time.time_ns()` when the driver wrote the row (orders duplicates: a final status beats `error`, then the latest wins) |
| `schema` | `STORE_SCHEMA_VERSION` |

Timing columns (``TIMING_COLUMNS``) differ between runs of the same study; every other column is a
deterministic function of the inputs.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
import uuid
import warnings
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from litedse.errors import InputError
from litedse.optimize.solution import STATUSES as SOLVE_STATUSES

STORE_SCHEMA_VERSION = "store-1"


class QuarantineWarning(UserWarning):
    """A store file could not be read and was moved to STORE/quarantine/."""


KEY_COLUMNS = ("key", "class")
# outcomes that a re-run would reproduce; rows with other statuses are solved again by --resume
FINAL_STATUSES = (*SOLVE_STATUSES, "input_error")
TIMING_COLUMNS = ("solver_wall_s", "solver_build_s", "solver_solve_s", "task_wall_s", "worker", "written_ns")
SWEEP_PREFIX = "sweep:"

_counter = itertools.count()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _cell(value):
    """A value Parquet can hold in a column of one type: nested data as JSON text."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _table(frame: pd.DataFrame) -> pa.Table:
    """Arrow table of a frame whose object columns may mix types across studies (a swept value that
    is a number in one study and a string in another): such a column is stored as text."""
    columns = {}
    for name in frame.columns:
        col = frame[name]
        try:
            columns[name] = pa.array(col.tolist(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                                      for v in col.tolist()], type=pa.string())
    return pa.table(columns)


class Store:
    """A results store directory. ``write`` is atomic per call; ``read`` returns de-duplicated rows."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.parts_dir = self.path / "parts"
        self.data_dir = self.path / "data"
        self.quarantine_dir = self.path / "quarantine"

    # -- writing ---------------------------------------------------------------------------------
    def create(self) -> "Store":
        if self.path.exists() and not self.path.is_dir():
            raise InputError("results store must be a directory", key="--out", value=str(self.path))
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self

    def _write_atomic(self, table: pa.Table, directory: Path, stem: str) -> Path:
        tmp = directory / f".tmp-{uuid.uuid4().hex}.parquet"
        final = directory / f"{stem}-{time.time_ns():020d}-{next(_counter):08d}-{uuid.uuid4().hex[:8]}.parquet"
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        _fsync_dir(directory)
        return final

    def write(self, rows: list[dict]) -> Path | None:
        """Append the rows of one finished task as one file (all or nothing)."""
        if not rows:
            return None
        for row in rows:
            missing = [k for k in KEY_COLUMNS if not row.get(k)]
            if missing:
                raise ValueError(f"store row without {missing}: {row}")
        stamp = time.time_ns()
        clean = [{**{k: _cell(v) for k, v in row.items()}, "written_ns": stamp, "schema": STORE_SCHEMA_VERSION}
                 for row in rows]
        names = list(dict.fromkeys(k for row in clean for k in row))
        frame = pd.DataFrame([{k: row.get(k) for k in names} for row in clean], columns=names, dtype=object)
        return self._write_atomic(_table(frame), self.parts_dir, "part")

    # -- reading ---------------------------------------------------------------------------------
    def files(self) -> list[Path]:
        found = []
        for directory in (self.data_dir, self.parts_dir):
            if directory.is_dir():
                found += sorted(p for p in directory.glob("*.parquet") if not p.name.startswith(".tmp-"))
        return found

    def _read_files(self, files: list[Path]) -> pd.DataFrame:
        frames = []
        for f in files:
            try:
                frame = pq.read_table(f).to_pandas()
            except FileNotFoundError:  # removed by a compaction since listed; its rows are in the new file
                continue
            except (pa.ArrowException, OSError) as err:   # truncated, zero-byte or not Parquet at all
                self._quarantine(f, f"unreadable ({type(err).__name__}: {' '.join(str(err).split())[:120]})")
                continue
            if not set(KEY_COLUMNS) <= set(frame.columns) or "schema" not in frame.columns \
                    or not (frame["schema"] == STORE_SCHEMA_VERSION).all():
                self._quarantine(f, f"not a {STORE_SCHEMA_VERSION} row file")
                continue
            frames.append(frame)
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=[*KEY_COLUMNS, "status"])
        frame = pd.concat(frames, ignore_index=True, sort=False)
        # a final outcome outranks a crash record whatever the clocks say (a retried task's row may
        # come from another machine or after the clock stepped back); otherwise the latest wins
        rank = frame["status"].isin(FINAL_STATUSES).astype(int) if "status" in frame else 0
        frame = frame.assign(_rank=rank).sort_values(["_rank", "written_ns"], kind="stable")
        frame = frame.drop_duplicates(subset=list(KEY_COLUMNS), keep="last").drop(columns="_rank")
        return frame.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)

    def read(self) -> pd.DataFrame:
        """All rows, one per (key, class): the latest written wins."""
        if not self.exists():
            raise InputError("no results store here", key="STORE", value=str(self.path),
                             expected="a directory written by `litedse batch --out`")
        return self._read_files(self.files())

    def done(self, final_only: bool = True) -> set[tuple[str, str]]:
        """(key, class) pairs already in the store; with ``final_only``, only those whose outcome a
        re-run would reproduce (a crashed task is retried)."""
        frame = self._read_files(self.files())  # no store yet: no files, no rows
        if final_only and len(frame):
            frame = frame[frame["status"].isin(FINAL_STATUSES)]
        return set(zip(frame["key"], frame["class"]))

    def _quarantine(self, path: Path, why: str) -> None:
        """Move a file the store cannot read aside (STORE/quarantine/), so that its rows count as
        missing and ``--resume`` runs their tasks again; say so once."""
        target = self.quarantine_dir / path.name
        try:
            self.quarantine_dir.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        except FileNotFoundError:
            return
        warnings.warn(f"results store: {path.name} is {why}; moved to {target}", QuarantineWarning, stacklevel=3)

    def lock(self, timeout_s: float = 0.0) -> FileLock:
        """The writers' lock (STORE/.lock): one batch writes a store at a time."""
        self.path.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path / ".lock"), timeout=timeout_s)

    def exists(self) -> bool:
        return self.parts_dir.is_dir() or self.data_dir.is_dir()

    def __len__(self) -> int:
        return len(self._read_files(self.files()))

    # -- compaction ------------------------------------------------------------------------------
    def compact(self, _crash_after: str | None = None) -> Path | None:
        """Merge every file into one, then remove the merged files. Safe to kill at any point:
        until the removals finish, the rows exist twice and readers de-duplicate them.
        ``_crash_after`` (tests only) raises after the named step: "write" or "unlink-one"."""
        files = self.files()
        if len(files) <= 1 and not any(p.parent == self.parts_dir for p in files):
            return files[0] if files else None
        frame = self._read_files(files)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        merged = self._write_atomic(_table(frame.astype(object).where(frame.notna(), None)), self.data_dir, "compact")
        if _crash_after == "write":
            raise RuntimeError("simulated crash after write")
        for i, f in enumerate(files):
            try:
                f.unlink()
            except FileNotFoundError:
                pass
            if _crash_after == "unlink-one" and i == 0:
                raise RuntimeError("simulated crash after one unlink")
        for directory in (self.data_dir, self.parts_dir):
            for stale in directory.glob(".tmp-*"):  # left by a killed writer; never renamed, never read
                stale.unlink(missing_ok=True)
            _fsync_dir(directory)
        return merged


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The deterministic part of a store's rows, sorted: what two runs of one study must agree on."""
    cols = [c for c in frame.columns if c not in TIMING_COLUMNS]
    return frame[cols].sort_values(list(KEY_COLUMNS)).reset_index(drop=True)
