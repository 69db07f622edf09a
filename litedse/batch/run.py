"""Batch runs: every (instance, class) solve is a Dask task; rows stream into a results Store.

The only module that imports Dask. The driver (this process) plans the tasks, skips those the store
already holds (``resume``), submits the rest to a ``LocalCluster`` of single-threaded worker
processes or to an existing scheduler, and writes each task's rows to the store as soon as the task
finishes (``as_completed``). A task never raises: a bad file, an infeasible instance, a time limit
or an exception all come back as a row with a status and an error message; a task whose worker
died is recorded as ``error`` and retried by the next ``--resume``.

A task is a plain dict (picklable, so it can cross to a remote worker):
``{"key", "class", "source", "point", "sweep": {path: value}, "instance": {...}, "options": {...}}``
and a task function maps one task to a list of row dicts (see litedse.batch.store for the row schema).
``solve_task`` is the real one; tests substitute cheap deterministic functions.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import sys
import time
import traceback
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Callable

from filelock import Timeout
from tqdm import tqdm

from litedse.batch.store import Store
from litedse.batch.study import DEFAULT_CLASS, build_task_instance
from litedse.errors import InputError, LitedseError, SolverError
from litedse.inputs.classes import resolve_class
from litedse.optimize.problem import CRITERIA
from litedse.results.documents import solve_document
from litedse.solve import solve_instance
from litedse.tech.sku import DESIGN_AXES

TaskFn = Callable[[dict], list]
COMPACT_EVERY = 500      # row files merged into one after this many tasks
MAX_ERROR_CHARS = 2000   # an error message is cut to this many characters in its row


@dataclass
class BatchSummary:
    tasks: int                      # tasks planned (unique (key, class) pairs)
    skipped: int                    # already in the store (resume)
    ran: int                        # tasks run now
    by_status: dict = field(default_factory=dict)
    failed: int = 0                 # rows without a solution (infeasible, errors, time limit with none)
    wall_s: float = 0.0
    first_row_s: float | None = None  # from start to the first row written (cluster start-up, imports)
    workers: int = 0

    def line(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.by_status.items()))
        return (f"{self.ran} tasks run ({counts or 'none'}; {self.failed} without a solution), "
                f"{self.skipped} already in the store, "
                f"{self.wall_s:.1f} s on {self.workers} worker(s)")


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def error_rows(task: dict, status: str, message: str) -> list[dict]:
    """The row recording a task that produced no solution."""
    return [{**_identity(task), "status": status, "error": " ".join(str(message).split())[:MAX_ERROR_CHARS]}]


def _identity(task: dict) -> dict:
    row = {"key": task["key"], "class": task["class"], "source": task.get("source"), "study": task.get("study"),
           "point": task.get("point"), "instance_name": task.get("instance_name")}
    for path, value in (task.get("sweep") or {}).items():
        row[f"sweep:{path}"] = value
    return row


def run_task(task_fn: TaskFn, task: dict) -> list[dict]:
    """Run ``task_fn`` on a worker, turning every failure into a row (never raises)."""
    t0 = time.perf_counter()
    try:
        if task.get("input_error"):
            rows = error_rows(task, "input_error", task["input_error"])
        else:
            rows = list(task_fn(task))
    except LitedseError as err:
        status = "input_error" if isinstance(err, InputError) else "error" if isinstance(err, SolverError) else "infeasible"
        rows = error_rows(task, status, str(err))
    except Exception as err:  # noqa: BLE001 - a batch records every failure and carries on
        tb = traceback.extract_tb(err.__traceback__)
        where = f" at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}" if tb else ""
        rows = error_rows(task, "error", f"{type(err).__name__}: {err}{where}")
    wall = time.perf_counter() - t0
    ident = _identity(task)
    out = []
    for row in rows:
        row = {**ident, **row}
        # a task's rows belong to its (key, class) whatever the function returned, so resume matches
        row["key"], row["class"] = task["key"], task["class"]
        row.setdefault("task_wall_s", wall)
        row.setdefault("worker", _worker_name())
        out.append(row)
    return out


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    return tqdm(total=total, unit="solve", dynamic_ncols=True, file=sys.stderr, leave=True)


def run_batch(tasks: list[dict], store: Store | str | os.PathLike, *, task_fn: TaskFn | None = None,
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              progress: bool = True, compact: bool = True) -> BatchSummary:
    """Run every task not yet in ``store`` and write its rows as it finishes.

    ``workers``: local worker processes (default: one per core); ``0`` runs the tasks in this
    process without Dask (debugging, tests). ``scheduler``: address of an existing Dask scheduler
    (``tcp://host:port``); ``workers`` is then ignored.
    Without ``resume`` the store must be new or empty, so two studies are never mixed by accident.
    """
    if task_fn is None:
        task_fn = solve_task
    store = store if isinstance(store, Store) else Store(store)
    t0 = time.perf_counter()
    unique: dict[tuple[str, str], dict] = {}
    for task in tasks:
        unique.setdefault((task["key"], task["class"]), task)
    if store.path.is_dir() and not store.exists() and any(p.name != ".lock" for p in store.path.iterdir()):
        raise InputError("directory exists and is not a results store", key="--out", value=str(store.path),
                         expected="a new or empty directory, or a store written by `litedse batch`")
    if store.exists() and store.files() and not resume:
        raise InputError("results store already holds rows", key="--out", value=str(store.path),
                         expected="a new directory, or --resume to add the missing rows")
    # one writer at a time: a second batch on the same store would run every task again and
    # leave each row twice (the lock file is STORE/.lock; readers need no lock)
    lock = store.lock()
    try:
        lock.acquire()
    except Timeout:
        raise InputError("another batch is writing this results store", key="--out", value=str(store.path),
                         expected="wait until it finishes, or another --out") from None
    try:
        store.create()
        if resume:
            store.compact()
        done = store.done() if resume else set()
        pending = [t for k, t in unique.items() if k not in done]
        summary = BatchSummary(tasks=len(unique), skipped=len(unique) - len(pending), ran=0)
        bar = _progress(len(pending), progress and bool(pending))

        def record(rows: list[dict]) -> None:
            store.write(rows)
            summary.ran += 1
            if summary.first_row_s is None:
                summary.first_row_s = time.perf_counter() - t0
            if compact and summary.ran % COMPACT_EVERY == 0:
                store.compact()  # keeps a long study's directory (and a resume's read) small
            for row in rows:
                summary.by_status[row["status"]] = summary.by_status.get(row["status"], 0) + 1
                summary.failed += row.get("objective_value") is None
            if bar is not None:
                failed = summary.failed
                bar.set_postfix_str(f"done={summary.ran - failed} failed={failed} "
                                    f"remaining={len(pending) - summary.ran}", refresh=False)
                bar.update(1)

        try:
            if pending and workers == 0 and scheduler is None:
                summary.workers = 1
                for task in pending:
                    record(run_task(task_fn, task))
            elif pending:
                _run_dask(pending, task_fn, workers, scheduler, record, summary)
        finally:
            if bar is not None:
                bar.close()
            if compact:
                store.compact()
        summary.wall_s = time.perf_counter() - t0
        return summary
    finally:
        lock.release()


def _run_dask(pending: list[dict], task_fn: TaskFn, workers: int | None, scheduler: str | None,
              record: Callable[[list[dict]], None], summary: BatchSummary) -> None:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise InputError("cannot reach the Dask scheduler", key="--scheduler", value=scheduler,
                             expected="the address printed by `dask scheduler`, e.g. tcp://10.0.0.5:8786") from err
    else:
        import dask

        n = workers or os.cpu_count() or 1
        # one process per worker and one thread per process: HiGHS fixes its thread count per
        # process, and the solves are CPU-bound. Dask's nannies export MALLOC_TRIM_THRESHOLD_=65536,
        # which makes glibc hand freed memory back to the OS at once; the column builder allocates
        # and frees large numpy arrays per chunk, and with that setting the same solves took about
        # 1.6x longer in a worker than in a plain process (measured on the shipped study). The
        # thread-count variables (OMP_NUM_THREADS=1...) are kept.
        environ = {k: v for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ") or {}).items()
                   if k != "MALLOC_TRIM_THRESHOLD_"}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), warnings.catch_warnings():
            # the scheduler's HTTP endpoint moves to a free port when 8787 is taken; nothing to report
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        summary.workers = len(client.scheduler_info().get("workers", {})) or (workers or 0)
        # a run id in the keys: a long-lived scheduler must never hand back a result held from another run
        run = uuid.uuid4().hex[:8]
        futures = client.map(functools.partial(run_task, task_fn), pending, pure=False,
                             key=[f"litedse-{run}-{t['key'][:12]}-{t['class']}-{i}" for i, t in enumerate(pending)])
        by_key = {f.key: t for f, t in zip(futures, pending)}
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                rows = future.result()
            except Exception as err:  # noqa: BLE001 - the worker died or the task was lost
                rows = run_task(_raise, {**task, "_error": f"{type(err).__name__}: {err}"})
            record(rows)
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _raise(task: dict) -> list[dict]:
    raise RuntimeError(task["_error"])


# ------------------------------------------------------------------------------------------------
# the real task: build the instance, solve it for one class, flatten the solve JSON into one row
# ------------------------------------------------------------------------------------------------

# the store's first design columns, in this order (README "Batch studies and the results store")
DESIGN_FIELDS = (*DESIGN_AXES, "packages", "unit_cost_usd", "tdp_w", "peak_tflops_bf16")
TOTAL_FIELDS = ("capex_usd", "it_power_w", "facility_power_w", "tco_usd", "packages", "switches")


def solve_task(task: dict) -> list[dict]:
    opts = task.get("options") or {}
    inst = build_task_instance(task)
    res = _solve_class(inst, task["class"], opts)
    return [flatten_solve(solve_document(res))]


def _solve_class(inst, cls: str, opts: dict):
    """Solve ``inst`` restricted to design class ``cls`` (litedse.inputs.classes: preset classes, catalog
    SKUs and the instance's own [classes.<name>] tables); "instance" is the instance as written."""
    kwargs = dict(method=opts.get("method", "auto"), time_limit_s=opts.get("time_limit_s"),
                  mip_gap=opts.get("mip_gap"), threads=opts.get("threads", 1))
    if cls == DEFAULT_CLASS:
        return solve_instance(inst, **kwargs)
    return solve_instance(inst, **resolve_class(inst, cls).solve_kwargs(), **kwargs)


def flatten_solve(doc: dict) -> dict:
    """One store row from a ``litedse solve --format json`` document (issue 4)."""
    status = doc.get("status", "error")
    obj = doc.get("objective") or {}
    row = {"status": status, "error": (doc.get("explanation") or None) if status == "infeasible" else None,
           "instance_name": doc.get("instance") if isinstance(doc.get("instance"), str) else None,
           "objective_name": obj.get("name"), "objective_sense": obj.get("sense"),
           "objective_value": obj.get("value"), "objective_unit": obj.get("unit"), "gap": doc.get("gap")}
    if row["objective_sense"] is None and row["objective_name"] in CRITERIA:
        # a document written before the solve JSON carried objective.sense
        row["objective_sense"] = CRITERIA[row["objective_name"]].sense
    if row["instance_name"] is None:
        row.pop("instance_name")
    designs = doc.get("designs") or []
    row["n_designs"] = len(designs)
    first = designs[0] if designs else {}
    for f in DESIGN_FIELDS:
        row[f"design_{f}"] = first.get(f)
    for f, v in first.items():  # the design card's further metrics (yield, die cost, HBM GB...)
        if isinstance(v, (int, float, str, bool)) or v is None:
            row.setdefault(f"design_{f}", v)
    totals = doc.get("totals") or {}
    for f in TOTAL_FIELDS:
        row[f] = totals.get(f)
    for f, v in totals.items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            row.setdefault(f, v)
    row["workloads_json"] = doc.get("workloads") or []
    row["binding_constraints"] = ",".join(doc.get("binding_constraints") or [])
    solver = doc.get("solver") or {}
    row.update(method=solver.get("method"), solver_name=solver.get("name"), solver_version=solver.get("version"),
               solver_wall_s=solver.get("wall_s"), solver_build_s=solver.get("build_s"),
               solver_solve_s=solver.get("solve_s"), columns_enumerated=solver.get("columns_enumerated"),
               columns_kept=solver.get("columns_kept"))
    return row
