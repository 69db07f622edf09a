"""``litedse batch``: solve many instances and study points as Dask tasks into a Parquet store."""

from __future__ import annotations

import sys

import click

from litedse.cli.common import FORMAT_OPTION, POSITIVE_SECONDS, echo_json
from litedse.cli.solve import METHOD_CHOICES
from litedse.cli.progress import verbosity, verbosity_options


def _classes(value: str | None) -> list[str] | None:
    from litedse.inputs.classes import split_class_list

    return None if value is None else split_class_list(value)


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "store", required=True, type=click.Path(file_okay=False),
              help="Results store directory (Parquet files, one row per instance and class).")
@click.option("--classes", default=None,
              help="Comma-separated design classes to solve each instance in [the study's, else the instance as written].")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Local worker processes, one solve thread each [one per core]; 0 runs in this process.")
@click.option("--scheduler", default=None,
              help="Address of a running Dask scheduler (tcp://host:port) instead of local workers. Start its "
                   "workers with --nthreads 1 --no-nanny (a nanny sets MALLOC_TRIM_THRESHOLD_, which slows "
                   "the solves about 1.6x).")
@click.option("--resume", is_flag=True, help="Add only the rows the store lacks (and retry crashed tasks).")
@click.option("--time-limit", "time_limit_s", type=POSITIVE_SECONDS, default=None,
              help="Solver time limit per solve, seconds.")
@click.option("--method", type=click.Choice(METHOD_CHOICES), default="auto", show_default=True,
              help="As for solve: auto, milp or enumerate (all exact).")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--dry-run", is_flag=True, help="Validate the inputs and print the planned solves; solve nothing.")
@FORMAT_OPTION
@verbosity_options
def batch_command(inputs, store, classes, workers, scheduler, resume, time_limit_s, method, no_progress, dry_run,
                  fmt):
    """Solve every instance file, glob match and study point in INPUTS, one Dask task per
    (instance, class), writing each row to the store as its task finishes. A bad file, an
    infeasible instance or a time limit is a row with its status, never a stop. Kill it at any
    time; re-run with --resume to finish.

    \b
    Examples:
      litedse batch instances/studies/llama3-70b-defects-optics-demand.toml --out runs/study
      litedse batch 'instances/*.toml' --classes lite,monolithic --out runs/all --workers 2
      litedse batch instances/studies/*.toml --out runs/study --resume --scheduler tcp://10.0.0.5:8786
      litedse report runs/study --out runs/study-report
    """
    from litedse.batch.run import run_batch
    from litedse.batch.study import plan

    options = {"method": method, "time_limit_s": time_limit_s, "threads": 1}
    tasks = plan(list(inputs), classes=_classes(classes), options=options)
    if dry_run:
        per_source: dict[str, dict] = {}
        for t in tasks:
            entry = per_source.setdefault(t["source"], {"solves": 0, "classes": [], "bad_file": False})
            entry["solves"] += 1
            entry["bad_file"] |= bool(t.get("input_error"))
            if t["class"] not in entry["classes"]:
                entry["classes"].append(t["class"])
        if fmt == "json":
            echo_json({"store": store, "tasks": len(tasks), "sources": per_source})
        else:
            for src, e in per_source.items():
                note = " (unreadable: recorded as input_error)" if e["bad_file"] else ""
                click.echo(f"{src}: {e['solves']} solves, classes {', '.join(e['classes'])}{note}")
            click.echo(f"{len(tasks)} solves planned into {store}")
        return
    try:
        summary = run_batch(tasks, store, workers=workers, scheduler=scheduler, resume=resume,
                            progress=not no_progress and verbosity() != "quiet")
    except KeyboardInterrupt:
        # every finished row is already on disk; say how to finish instead of printing a traceback
        click.echo(f"interrupted; the rows written so far are kept in {store}. Finish with: litedse batch "
                   f"{' '.join(inputs)} --out {store} --resume", err=True)
        sys.exit(130)
    if fmt == "json":
        echo_json({"store": store, "tasks": summary.tasks, "skipped": summary.skipped, "ran": summary.ran,
                   "by_status": summary.by_status, "failed": summary.failed, "wall_s": summary.wall_s, "workers": summary.workers})
    else:
        click.echo(f"{store}: {summary.line()}")
