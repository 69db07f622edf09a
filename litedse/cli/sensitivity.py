"""``litedse sensitivity``: the tornado of two classes' ratio over every uncertain parameter, with
certified break-even values."""

from __future__ import annotations

import click

from litedse.cli.common import THREADS_OPTION, check_out_path, json_text, split_params, write_text_atomic
from litedse.cli.progress import ProgressPrinter, verbosity_options

FORMATS = click.Choice(["table", "json", "csv"])
METRIC_CHOICES = ("capex", "tco", "power")


@click.command("sensitivity")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--classes", "class_list", default="lite,monolithic", show_default=True,
              help="The two design classes A,B to compare (the ratio is A / B).")
@click.option("--metric", type=click.Choice(METRIC_CHOICES), default="capex", show_default=True,
              help="What each class minimises and the ratio compares.")
@click.option("--params", "params", multiple=True, metavar="KEY",
              help="Uncertain parameters to examine, by key path (repeat, or comma-separated) [default: all].")
@THREADS_OPTION
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None,
              help="Write the tornado figure (.png or .svg).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write the output to this file.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@verbosity_options
def sensitivity_command(instance_path, class_list, metric, params, threads, plot_path, out_path, fmt):
    """For each uncertain parameter of INSTANCE: the ratio A/B of the two classes' optimal metric
    at both ends of its range (others at defaults), sorted by swing, and the break-even value
    where the winner flips, certified by solves 2% below and 2% above.

    Exit codes: 0 done, 2 bad input (e.g. an unknown --params key), 3 neither class has a design.

    \b
    Examples:
      litedse sensitivity instances/paper/llama3-70b.toml --classes lite,h100
      litedse sensitivity instances/llama3-70b-serving.toml --params technology.host.cost_usd \\
          --params technology.interconnect.cpo.cost_usd_per_link --format json
      litedse sensitivity instances/paper/llama3-70b.toml --classes lite,h100 --metric tco --plot tornado.svg
    """
    from litedse.inputs.classes import parse_class_list
    from litedse.inputs.instance import load_instance
    from litedse.results.documents import sensitivity_document
    from litedse.results.plots import FORMATS as PLOT_FORMATS, plot_tornado
    from litedse.verdict import sensitivity
    from litedse.results.sensitivity import csv_frame, display_frame, verdict_sentence
    from litedse.results.tables import markdown_table

    check_out_path(out_path)
    check_out_path(plot_path, "--plot")
    if plot_path and not plot_path.lower().endswith(tuple("." + f for f in PLOT_FORMATS)):
        raise click.BadParameter("a .png or .svg file", param_hint="--plot")
    inst = load_instance(instance_path)
    names = parse_class_list(class_list, inst)
    keys = split_params(params) or None
    with ProgressPrinter("sensitivity") as printer, printer.phase(
            f"{' / '.join(names)} over {len(keys) if keys else len(inst.uncertainty)} assumptions"):
        frame = sensitivity(inst, names, metric=metric, params=keys, threads=threads)
    if fmt == "json":
        text = json_text(sensitivity_document(frame)) + "\n"
    elif fmt == "csv":
        text = csv_frame(frame).to_csv(index=False)
    else:
        a = frame.attrs
        text = (f"{a['instance']}: {verdict_sentence(frame)}\n({len(frame)} parameters, {a['solves']} solves, "
                f"{a['wall_s']:.1f} s; break-evens certified by solves {a['certify_step']:.0%} below and above)\n\n"
                + markdown_table(display_frame(frame)) + "\n")
    click.echo(text, nl=False)
    if out_path:
        write_text_atomic(out_path, text)
    if plot_path:
        plot_tornado(frame, plot_path)
