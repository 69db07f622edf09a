"""``litedse uncertainty``: P(A beats B) over quasi-random samples of every uncertain parameter."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from litedse.cli.common import check_out_path, json_text, split_params, write_text_atomic
from litedse.cli.progress import verbosity, verbosity_options
from litedse.cli.sensitivity import METRIC_CHOICES


@click.command("uncertainty")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--classes", "class_list", default="lite,monolithic", show_default=True,
              help="The two design classes A,B (the ratio is A / B).")
@click.option("--samples", "n", type=click.IntRange(min=1), required=True,
              help="Number of samples (a power of two uses a Sobol sequence, otherwise a Latin hypercube).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample sequence.")
@click.option("--sampler", type=click.Choice(["sobol", "lhs"]), default="sobol", show_default=True,
              help="Scrambled Sobol sequence (a Latin hypercube when --samples is not a power of two) or Latin hypercube.")
@click.option("--metric", type=click.Choice(METRIC_CHOICES), default="capex", show_default=True)
@click.option("--params", "params", multiple=True, metavar="KEY",
              help="Sample only these parameters (repeat or comma-separated) [default: all].")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Local worker processes [one per core]; 0 solves in this process.")
@click.option("--scheduler", default=None, help="Address of a running Dask scheduler (tcp://host:port).")
@click.option("--store", "store", type=click.Path(file_okay=False), default=None,
              help="Results store directory to keep the solves in (needed for --resume) [a temporary one].")
@click.option("--resume", is_flag=True, help="Finish an interrupted run into the same --store.")
@click.option("--plot", "plot_dir", type=click.Path(file_okay=False), default=None,
              help="Write histogram.svg/.png and scatter.svg/.png into this directory.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write the output to this file.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@verbosity_options
def uncertainty_command(instance_path, class_list, n, seed, sampler, metric, params, workers, scheduler, store, resume,
                        plot_dir, no_progress, out_path, fmt):
    """Sample every uncertain parameter of INSTANCE at once (each by its declared range and
    distribution), solve both classes optimally per sample as batch tasks, and report P(A beats B),
    quantiles of the ratio A/B and the parameters that explain it (Spearman rank correlations).
    The same seed gives the same samples and statistics; with --store, a killed run resumes.

    \b
    Examples:
      litedse uncertainty instances/paper/llama3-70b.toml --classes lite,h100 --samples 256
      litedse uncertainty instances/llama3-70b-serving.toml --samples 256 --store runs/unc --workers 2
      litedse uncertainty instances/llama3-70b-serving.toml --samples 256 --store runs/unc --resume
    """
    from litedse.verdict import uncertainty
    from litedse.batch.uncertainty import attribution_frame, probability_sentence
    from litedse.errors import InputError
    from litedse.inputs.classes import parse_class_list
    from litedse.inputs.instance import load_instance
    from litedse.inputs.uncertainty import unit_of
    from litedse.results.documents import uncertainty_document
    from litedse.results.plots import ratio_histogram_figure, samples_scatter_figure, save_both
    from litedse.results.tables import markdown_table

    check_out_path(out_path)
    if resume and not store:
        raise InputError("--resume needs the --store of the interrupted run", key="--resume")
    inst = load_instance(instance_path)
    names = parse_class_list(class_list, inst)
    keys = split_params(params) or None
    try:
        run = uncertainty(inst, names, n, seed=seed, metric=metric, params=keys, sampler=sampler, store=store, resume=resume,
                              workers=workers, scheduler=scheduler, progress=not no_progress and verbosity() != "quiet")
    except KeyboardInterrupt:
        hint = " Finish with the same command and --resume." if store else ""
        click.echo(f"interrupted; the solves written so far are kept in {store or 'a temporary store (lost)'}.{hint}",
                   err=True)
        sys.exit(130)
    if fmt == "json":
        text = json_text(uncertainty_document(run)) + "\n"
    elif fmt == "csv":
        text = run.samples.to_csv()
    else:
        text = (f"{inst.name}: {probability_sentence(run)}\n({run.batch.line()})\n\n"
                "parameters by rank correlation with log(ratio):\n" + markdown_table(attribution_frame(run)) + "\n")
    click.echo(text, nl=False)
    if out_path:
        write_text_atomic(out_path, text)
    if plot_dir:
        folder = Path(plot_dir)
        save_both(ratio_histogram_figure(run.samples, run.classes, metric, f"{inst.name}: {run.summary['samples']} samples"),
                  folder / "histogram")
        ranked = [a["key"] for a in run.summary["attribution"]]
        if len(ranked) >= 2:
            save_both(samples_scatter_figure(run.samples, ranked[0], ranked[1], run.classes,
                                             {k: unit_of(k) for k in ranked[:2]}), folder / "scatter")
