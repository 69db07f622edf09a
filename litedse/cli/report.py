"""``litedse report``: the HTML + Markdown report of an instance (or of a batch study store)."""

from __future__ import annotations

import os

import click

from litedse.cli.common import THREADS_OPTION


@click.command("report")
@click.argument("target", metavar="INSTANCE|STORE", type=click.Path(exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Output directory.")
@click.option("--classes", "class_list", default=None, help="Design classes [default: lite,monolithic,free].")
@click.option("--x", "x", default="cost", show_default=True, help="Pareto primary criterion.")
@click.option("--y", "y", default="power", show_default=True, help="Pareto secondary criterion.")
@click.option("--points", type=click.IntRange(min=2), default=None, help="AUGMECON2 grid points [default: exact fronts].")
@click.option("--no-die-curve", is_flag=True, help="Skip the die-area curve (one solve per die-area value).")
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
def report_command(target, out_dir, class_list, x, y, points, no_die_curve, verdict_classes, params, no_sensitivity,
                   samples, seed, workers, threads):
    """Write OUT/index.html (self-contained), OUT/report.md, OUT/report.json, figures and tables.

    INSTANCE: compare table, design cards, cost and power breakdowns, Pareto fronts, die-area curve
    and the assumption table. A directory is a batch results store: its study report is written.

    \b
    Examples:
      litedse report instances/llama3-70b-serving.toml --out report/
      litedse report instances/paper/llama3-70b.toml --verdict-classes lite,h100 --samples 64 --out report/
      litedse report results/study-store --out study-report/
    """
    from litedse.errors import InputError

    if os.path.isdir(target):
        from litedse.batch.report import write_study_report

        write_study_report(target, out_dir)
        click.echo(f"study report written to {out_dir}")
        return
    from litedse.inputs.classes import parse_class_list
    from litedse.inputs.instance import load_instance
    from litedse.optimize.problem import CRITERIA
    from litedse.inputs.classes import BASELINE
    from litedse.results.report import SENSITIVITY_METRIC, default_pair, report_data, write_report

    for opt, val in (("--x", x), ("--y", y)):
        if val not in CRITERIA:
            raise InputError("unknown criterion", key=opt, value=val, expected="one of " + ", ".join(CRITERIA))
    if x == y:
        raise InputError("--x and --y must differ", key="--y", value=y)
    inst = load_instance(target)
    names = parse_class_list(class_list, inst)
    pair = tuple(parse_class_list(verdict_classes, inst)) if verdict_classes else default_pair(names, BASELINE)
    keys = [k.strip() for p in params for k in p.split(",") if k.strip()]
    if no_sensitivity:
        keys = []
    elif keys == ["all"]:
        keys = list(inst.uncertainty)
    elif not keys:
        keys = None  # the report's short list
    run = None
    metric = SENSITIVITY_METRIC.get(inst.objective.name)
    if samples and pair and metric and not no_sensitivity:
        from litedse.batch.uncertainty import run_uncertainty

        run = run_uncertainty(inst, pair, samples, seed=seed, metric=metric, workers=workers)
    data = report_data(inst, names, pareto_axes=(x, y), pareto_points=points, die_curve=not no_die_curve,
                       threads=threads, sensitivity_classes=pair, sensitivity_params=keys, uncertainty=run)
    paths = write_report(data, out_dir)
    click.echo(f"{paths['html']}\n{paths['markdown']}\n{paths['json']}")
