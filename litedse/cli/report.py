"""``litedse report``: the HTML + Markdown report of an instance (or of a batch study store)."""

from __future__ import annotations

import json
import os

import click

from litedse.cli.common import SET_OPTION, THREADS_OPTION, load_instance, split_params
from litedse.cli.progress import ProgressPrinter, verbosity_options


@click.command("report")
@click.argument("target", metavar="INSTANCE|STORE", type=click.Path(exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output directory.")
@click.option("--classes", "class_list", default=None, help="Design classes [default: lite,monolithic,free].")
@click.option("--x", "x", default="cost", show_default=True, help="Pareto primary criterion.")
@click.option("--y", "y", default="power", show_default=True, help="Pareto secondary criterion.")
@click.option("--points", type=click.IntRange(min=2), default=None, help="AUGMECON2 grid points [default: exact fronts].")
@click.option("--no-die-curve", is_flag=True, help="Skip the die-area curve (one solve per die-area value).")
@click.option("--no-pareto", is_flag=True, help="Skip the Pareto fronts (each a sweep of MILP solves).")
@click.option("--pareto-classes", default=None,
              help="Classes whose Pareto fronts are drawn [default: every compared class with a design].")
@click.option("--verdict-classes", default=None, metavar="A,B",
              help="The pair the verdict sentence, tornado and probability compare [default: lite and the baseline].")
@click.option("--params", "params", multiple=True, metavar="KEY",
              help="Tornado parameters (repeat or comma-separated; 'all' for every uncertain one) "
                   "[default: a short list of prices, see README].")
@click.option("--no-sensitivity", is_flag=True, help="No verdict sentence and no tornado.")
@click.option("--samples", "samples", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also sample every uncertain parameter this many times (`litedse uncertainty`) for P(A wins).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the samples.")
@click.option("--workers", type=click.IntRange(min=0), default=None, help="Worker processes for --samples [one per core].")
@THREADS_OPTION
@SET_OPTION
@verbosity_options
def report_command(target, out_dir, class_list, x, y, points, no_die_curve, no_pareto, pareto_classes, verdict_classes,
                   params, no_sensitivity, samples, seed, workers, threads, assignments):
    """Write OUT/index.html (self-contained), OUT/report.md, OUT/report.json, figures and tables.

    INSTANCE: compare table, design cards, cost and power breakdowns, Pareto fronts, die-area curve
    and the assumption table. A directory is a batch results store: its study report is written.

    \b
    Examples:
      litedse report instances/llama3-70b-serving.toml --out report/
      litedse report instances/paper/llama3-70b.toml --verdict-classes lite,h100 --samples 64 --out report/
      litedse report instances/fleet.toml --out fleet/ --no-pareto --no-die-curve   (about a minute)
      litedse report results/study-store --out study-report/
    """
    import litedse
    from litedse.errors import InputError

    if os.path.isdir(target):
        if assignments:
            raise InputError("--set applies to an instance, not to a results store", key="--set", value=assignments[0])
        from litedse.batch.report import write_study_report

        write_study_report(target, out_dir)
        click.echo(f"study report written to {out_dir}")
        return
    from litedse.cli.pareto import CRITERIA

    for opt, val in (("--x", x), ("--y", y)):   # before loading: a typo costs no solve
        if val not in CRITERIA:
            raise InputError("unknown criterion", key=opt, value=val, expected="one of " + ", ".join(CRITERIA))
    if x == y:
        raise InputError("--x and --y must differ", key="--y", value=y)
    inst = load_instance(target, assignments)
    keys = split_params(params)
    keys = [] if no_sensitivity else (keys or None)      # None: the report's short list of prices
    hint = ("the Pareto fronts and the die-area curve re-solve the instance once per point and per die area; "
            "--no-pareto --no-die-curve skip them, --points N bounds the fronts")
    with ProgressPrinter("report", long_hint=hint) as printer:
        paths = litedse.report(inst, out_dir, class_list, x=x, y=y, points=points, die_curve=not no_die_curve,
                               fronts=not no_pareto, pareto_classes=pareto_classes, verdict_classes=verdict_classes,
                               params=keys, samples=samples, seed=seed, workers=workers, threads=threads,
                               progress=printer)
        meta = json.loads(paths["json"].read_text())["meta"]
        printer.timings({"compare": meta.get("compare_s"), "pareto": meta.get("pareto_s"),
                         "die-area curve": meta.get("die_curve_s"), "tornado": meta.get("sensitivity_s"),
                         "total": meta.get("wall_s")})
    click.echo(f"{paths['html']}\n{paths['markdown']}\n{paths['json']}")
