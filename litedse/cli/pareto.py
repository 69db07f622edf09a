"""``litedse pareto``: exact bi-objective Pareto fronts of design classes."""

from __future__ import annotations

import sys

import click

from litedse.cli.progress import ProgressPrinter, verbosity_options
from litedse.cli.common import SET_OPTION, THREADS_OPTION, check_out_path, echo_json, format_value, load_instance

# the Pareto criteria (litedse.optimize.problem.CRITERIA; a test keeps the two equal)
CRITERIA = ["cost", "power", "tco", "demand_scale", "blast_radius"]


@click.command("pareto")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--x", "x", type=click.Choice(CRITERIA), default="cost", show_default=True, help="Primary criterion.")
@click.option("--y", "y", type=click.Choice(CRITERIA), default="power", show_default=True, help="Secondary criterion.")
@click.option("--classes", "class_list", default="lite,monolithic", show_default=True,
              help="Comma-separated design classes (one front each).")
@click.option("--points", type=click.IntRange(min=2), default=None,
              help="AUGMECON2 grid of N epsilon values [default: the exact front].")
# the default is optimize.pareto.MAX_POINTS, written out so that --help does not import the solver
# (tests/test_formats checks they agree)
@click.option("--max-points", type=click.IntRange(min=1), default=200, show_default=True,
              help="Cap on exact-front points per class.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), default=None, help="Write the plot (.png or .svg).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Write the table as CSV.")
@THREADS_OPTION
@SET_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@verbosity_options
def pareto_command(instance_path, x, y, class_list, points, max_points, plot_path, out_path, threads, assignments, fmt):
    """Exact Pareto fronts of INSTANCE for two criteria, one per design class.

    Criteria: cost (capex USD), power (facility W), tco (USD), demand_scale (maximised; needs a
    budget) and blast_radius (expected replica downtime, h/yr). Every point is a proven optimum of
    its epsilon-constrained problem and carries its design.

    Exit codes: 0 at least one front has a point, 2 bad input, 3 every class infeasible.

    \b
    Examples:
      litedse pareto instances/llama3-70b-serving.toml --x cost --y power --plot front.png
      litedse pareto instances/llama3-70b-serving.toml --x cost --y blast_radius --classes lite,monolithic --points 10
    """
    import litedse
    from litedse.errors import InputError
    from litedse.results.documents import pareto_document
    from litedse.cli.render import echo_table
    from litedse.results.plots import plot_pareto
    from litedse.results.tables import criterion_unit, format_quantity

    if x == y:
        raise InputError("--x and --y must differ", key="--y", value=y)
    if plot_path and not plot_path.lower().endswith((".png", ".svg")):
        raise InputError("plot file must end in .png or .svg", key="--plot", value=plot_path)
    check_out_path(out_path)
    check_out_path(plot_path, "--plot")
    inst = load_instance(instance_path, assignments)
    with ProgressPrinter("pareto") as printer:
        df = litedse.pareto(inst, x, y, class_list, points=points, max_points=max_points, threads=threads,
                            progress=printer)
        fronts = df.attrs["fronts"]
        printer.timings({f"{name} front": f["wall_s"] for name, f in fronts.items()})
    if plot_path:
        plot_pareto(df, x, y, plot_path, title=f"{inst.name}: {x} vs {y}")
    if out_path:
        df.to_csv(out_path, index=False)
    if fmt == "json":
        echo_json(pareto_document(inst, x, y, fronts, df))
    elif fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    else:
        for n, f in fronts.items():
            state = f"{len(f['points'])} points, {f['solves']} solves, {f['wall_s']:.1f} s" + ("" if f["complete"] else ", truncated")
            click.echo(f"{n}: {f['status']}, {state}" + (f" ({f['explanation']})" if f["explanation"] else ""))
        if len(df):
            cols = ["class", x, y, "die_area_mm2", "dies_per_package", "hbm_stacks", "links", "interconnect", "packages"]
            cols = [c for c in cols if c in df.columns]
            units = {c: criterion_unit(c) for c in cols}
            echo_table([(c, "left" if c in ("class", "interconnect") else "right") for c in cols],
                       [[format_quantity(row[c], units[c]) if units[c] else format_value(row[c]) for c in cols]
                        for _, row in df.iterrows()])
    if all(f["status"] == "infeasible" for f in fronts.values()):
        sys.exit(3)
