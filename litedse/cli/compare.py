"""``litedse compare``: the optimal design of each design class, side by side, with ratios."""

from __future__ import annotations

import sys

import click

from litedse.cli.common import (SET_OPTION, THREADS_OPTION, TIME_LIMIT_OPTION, check_out_path, load_instance,
                                write_text_atomic)
from litedse.cli.progress import ProgressPrinter, verbosity_options
from litedse.cli.solve import OBJECTIVE_CHOICES

FORMATS = click.Choice(["table", "json", "csv"])


@click.command("compare")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--classes", "class_list", default=None,
              help="Comma-separated design classes [default: lite,monolithic,free]; catalog SKUs "
                   "(a100, h100, h200, b200) and the instance's [classes.<name>] are classes too.")
@click.option("--objective", type=click.Choice(OBJECTIVE_CHOICES), default=None,
              help="Override the instance's objective.")
@click.option("--baseline", default=None,
              help="Class the ratios divide by [monolithic, or the last class when monolithic is not compared].")
@THREADS_OPTION
@TIME_LIMIT_OPTION
@SET_OPTION
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write the output to this file.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@verbosity_options
def compare_command(instance_path, class_list, objective, baseline, threads, time_limit_s, assignments, out_path, fmt):
    """Solve INSTANCE once per design class and compare the optimal designs.

    Exit codes: 0 at least one class has a design, 2 bad input, 3 no class is feasible.

    \b
    Examples:
      litedse compare instances/llama3-70b-serving.toml
      litedse compare instances/llama3-70b-serving.toml --classes lite,monolithic,free,h100 --format json
      litedse compare instances/fleet.toml --format csv --out fleet.csv
      litedse compare instances/llama3-70b-serving.toml --set technology.hbm.hbm3e-12hi.cost_usd_per_gb=10
    """
    import litedse
    from litedse.cli.render import stdout_is_terminal

    check_out_path(out_path)
    inst = load_instance(instance_path, assignments)
    with ProgressPrinter("compare") as printer:
        comparison = litedse.compare(inst, class_list, objective=objective, baseline=baseline, threads=threads,
                                     time_limit_s=time_limit_s, progress=printer)
        printer.timings({name: sol.result.timings.get("wall_s") for name, sol in comparison.solutions.items()})
    comp = comparison.result
    if fmt == "json":
        text = comparison.to_json() + "\n"
    elif fmt == "csv":
        text = comparison.long_frame().to_csv(index=False)
    else:
        text = table_text(comp) + "\n"
    click.echo(table_text(comp, color=True) + "\n" if fmt == "table" and stdout_is_terminal() else text, nl=False)
    if out_path:
        write_text_atomic(out_path, text)
    if not any(cr.feasible for cr in comp.classes.values()):
        for name, cr in comp.classes.items():
            click.echo(f"{name}: infeasible: {cr.doc.get('explanation')}", err=True)
        sys.exit(3)


def table_text(comp, color: bool = False) -> str:
    """The verdict, then one column per class: every metric in its unit's format with its ratio
    to the baseline; the best class on the objective in bold."""
    from litedse.cli.render import table, to_text
    from litedse.results.compare import best_class, headline
    from litedse.results.metrics import METRICS
    from litedse.results.tables import format_quantity, format_ratio

    names = list(comp.classes)
    ratios = comp.ratios()
    best = best_class(comp)
    objective = next((cr.doc["objective"] for cr in comp.classes.values() if cr.feasible), {"unit": ""})
    rows = [["status"] + [comp.classes[n].doc["status"] for n in names],
            ["design"] + [_two_lines(comp.classes[n].metrics.get("design") or "-") for n in names]]
    for key, lab, unit in METRICS:
        unit = objective["unit"] if key == "objective" else unit
        shown_in_value = unit.lower() in ("usd", "w")
        label = lab if shown_in_value or not unit else f"{lab} [{unit}]"
        cells = []
        for n in names:
            v = comp.classes[n].metrics.get(key)
            r = ratios[n].get(key)
            text = format_quantity(v, unit) if v is not None else "-"
            if r is not None and n != comp.baseline:
                text += f" ({format_ratio(r)})"
            cells.append(text)
        rows.append([label] + cells)
    columns = [("", "left")] + [(n + (" (best)" if n == best else ""), "right") for n in names]
    head = (f"{headline(comp)}\n{comp.instance.name}: optimal design per class ({comp.wall_s:.1f} s); "
            f"(N.NNx) = ratio to {comp.baseline}")
    notes = [f"{n}: {cr.doc.get('explanation')}" for n, cr in comp.classes.items() if not cr.feasible]
    bold = names.index(best) + 1 if best in names else None
    return to_text(head, table(columns, rows, bold_column=bold), *notes, color=color).rstrip("\n")


def _two_lines(design: str) -> str:
    """'1x300 mm^2, 5 HBM, 0 links, cpo' on two lines: the design text is the widest cell."""
    bits = design.split(", ")
    return ", ".join(bits[:2]) + ("\n" + ", ".join(bits[2:]) if len(bits) > 2 else "")
