"""``litedse compare``: the optimal design of each design class, side by side, with ratios."""

from __future__ import annotations

import sys

import click

from litedse.cli.common import THREADS_OPTION, TIME_LIMIT_OPTION, check_out_path, format_value, json_text, write_text_atomic
from litedse.cli.solve import OBJECTIVE_CHOICES

FORMATS = click.Choice(["table", "json", "csv"])


@click.command("compare")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--classes", "class_list", default=None,
              help="Comma-separated design classes [default: lite,monolithic,free]; catalog SKUs "
                   "(a100, h100, h200, b200) and the instance's [classes.<name>] are classes too.")
@click.option("--objective", type=click.Choice(OBJECTIVE_CHOICES), default=None,
              help="Override the instance's objective.")
@click.option("--baseline", default="monolithic", show_default=True, help="Class the ratios divide by.")
@THREADS_OPTION
@TIME_LIMIT_OPTION
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Also write the output to this file.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def compare_command(instance_path, class_list, objective, baseline, threads, time_limit_s, out_path, fmt):
    """Solve INSTANCE once per design class and compare the optimal designs.

    Exit codes: 0 at least one class has a design, 2 bad input, 3 no class is feasible.

    \b
    Examples:
      litedse compare instances/llama3-70b-serving.toml
      litedse compare instances/llama3-70b-serving.toml --classes lite,monolithic,free,h100 --format json
      litedse compare instances/fleet.toml --format csv --out fleet.csv
    """
    from litedse.inputs.classes import parse_class_list
    from litedse.inputs.instance import load_instance
    from litedse.results.compare import compare_instance

    check_out_path(out_path)
    inst = load_instance(instance_path)
    names = parse_class_list(class_list, inst)
    comp = compare_instance(inst, names, objective=objective, baseline=baseline, threads=threads,
                            time_limit_s=time_limit_s)
    if fmt == "json":
        text = json_text(comp.to_dict()) + "\n"
    elif fmt == "csv":
        text = comp.long_frame().to_csv(index=False)
    else:
        text = table_text(comp) + "\n"
    click.echo(text, nl=False)
    if out_path:
        write_text_atomic(out_path, text)
    if not any(cr.feasible for cr in comp.classes.values()):
        for name, cr in comp.classes.items():
            click.echo(f"{name}: infeasible: {cr.doc.get('explanation')}", err=True)
        sys.exit(3)


def table_text(comp) -> str:
    from litedse.results.metrics import METRICS

    names = list(comp.classes)
    ratios = comp.ratios()
    width = max(len(f"{lab} [{u}]" if u else lab) for _, lab, u in METRICS) + 2
    colw = max(22, *(len(n) + 2 for n in names))
    lines = [f"{comp.instance.name}: optimal design per class ({comp.wall_s:.1f} s); "
             f"(xN) = ratio to {comp.baseline}", ""]
    lines.append(f"{'':<{width}}" + "".join(f"{n:>{colw}}" for n in names))
    lines.append(f"{'status':<{width}}" + "".join(f"{comp.classes[n].doc['status']:>{colw}}" for n in names))
    designs = [comp.classes[n].metrics.get("design") or "-" for n in names]
    for part in range(2):  # the design text is long: two lines
        cells = []
        for d in designs:
            bits = d.split(", ")
            cells.append(", ".join(bits[:2]) if part == 0 else ", ".join(bits[2:]))
        lines.append(f"{'design' if part == 0 else '':<{width}}" + "".join(f"{c:>{colw}}" for c in cells))
    for key, lab, unit in METRICS:
        label = f"{lab} [{unit}]" if unit else lab
        cells = []
        for n in names:
            v = comp.classes[n].metrics.get(key)
            r = ratios[n].get(key)
            text = format_value(v) if v is not None else "-"
            if r is not None and n != comp.baseline:
                text += f" (x{r:.3g})"
            cells.append(text)
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{colw}}" for c in cells))
    for n in names:
        cr = comp.classes[n]
        if not cr.feasible:
            lines.append(f"{n}: {cr.doc.get('explanation')}")
    return "\n".join(lines)
