"""``litedse solve``: the optimal design of one instance."""

from __future__ import annotations

import sys

import click

from litedse.cli.progress import ProgressPrinter, verbosity_options
from litedse.cli.common import (FORMAT_OPTION, GAP_OPTION, SET_OPTION, THREADS_OPTION, TIME_LIMIT_OPTION, check_out_path,
                                load_instance, write_text_atomic)

# the solve objectives (litedse.optimize.problem.OBJECTIVES; a test keeps the two equal, since
# importing the optimiser here would slow every command's start)
OBJECTIVE_CHOICES = ["cost", "power", "tco", "demand_scale"]
# the solve methods (litedse.solve.METHODS; kept equal by the same test)
METHOD_CHOICES = ["auto", "milp", "enumerate"]


@click.command("solve")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--objective", type=click.Choice(OBJECTIVE_CHOICES), default=None,
              help="Override the instance's objective.")
@click.option("--method", type=click.Choice(METHOD_CHOICES), default="auto", show_default=True,
              help="auto: the exhaustive enumerator when few column combinations are left after pruning, else "
                   "the MILP (the JSON says which and why); milp: Pyomo + HiGHS; enumerate: exhaustive "
                   "reference over the same columns. All three are exact.")
@TIME_LIMIT_OPTION
@GAP_OPTION
@THREADS_OPTION
@click.option("--sku", default=None, help="Fix the design to a catalog SKU (a100, h100, h200, b200).")
@click.option("--memory-gb", "memory_budget_gb", type=click.FloatRange(min=0.0, min_open=True), default=None,
              help="Memory budget of the column enumeration [GB]; sets its chunk size "
                   "[default: the instance's design_space.memory_budget_gb, 1 GB].")
@click.option("--class", "design_class", default=None,
              help="Restrict the design space to a design class (lite, monolithic, free, a catalog SKU, or an "
                   "instance [classes.<name>]).")
@SET_OPTION
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the JSON document to this file.")
@FORMAT_OPTION
@verbosity_options
def solve_command(instance_path, objective, method, time_limit_s, mip_gap, threads, sku, memory_budget_gb, design_class,
                  assignments, out_path, fmt):
    """Find the optimal cluster design for INSTANCE and prove it.

    Exit codes: 0 a design was found, 2 bad input, 3 infeasible (the message says which demand or
    constraint cannot be met and by how much).

    \b
    Examples:
      litedse solve instances/llama3-70b-serving.toml
      litedse solve instances/fleet.toml --format json --out fleet.json
      litedse solve instances/llama3-70b-serving.toml --method enumerate
      litedse solve instances/fleet.toml --method milp --memory-gb 0.5
      litedse solve instances/llama3-70b-serving.toml --sku h100 --objective power
      litedse solve instances/llama3-70b-serving.toml --class lite --set technology.hbm.hbm3e-12hi.cost_usd_per_gb=10
    """
    import litedse

    check_out_path(out_path)
    inst = load_instance(instance_path, assignments)
    with ProgressPrinter("solve") as printer:
        with printer.phase(f"solving {inst.name}"):
            sol = litedse.solve(inst, objective=objective, design_class=design_class, method=method,
                                time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, sku=sku,
                                memory_budget_gb=memory_budget_gb)
        doc = sol.document
        times = sol.result.timings
        # the document's solver build_s counts the columns and the pruning too
        model_s = (doc["solver"]["build_s"] or 0.0) - times.get("columns_s", 0.0) - times.get("prune_s", 0.0)
        printer.timings({"columns": times.get("columns_s"), "prune": times.get("prune_s"), "model build": model_s,
                         "solver": doc["solver"]["solve_s"], "total": times.get("wall_s")})
    if out_path:
        write_text_atomic(out_path, sol.to_json())
    if fmt == "json":
        click.echo(sol.to_json())
    else:
        _print_table(doc)
    if doc["status"] == "infeasible":
        click.echo(f"infeasible: {doc['explanation']}", err=True)
        sys.exit(3)
    if not doc["designs"]:
        click.echo(f"{doc['status']}: {doc['explanation'] or 'no design found'}", err=True)
        sys.exit(3)


def _print_table(doc: dict) -> None:
    """A sentence with the optimum, then the designs, the workloads, the totals, what binds and
    what the solver did."""
    from litedse.cli.render import console, table
    from litedse.results.tables import format_field, format_number, format_power, format_usd

    obj = doc["objective"]
    if not doc["designs"]:
        click.echo(f"{doc['instance']}: {doc['status']}")
        return
    t = doc["totals"]
    tier2 = lambda d: f" + {d['tier2_devices']} {d['tier2']}" if d.get("tier2", "none") != "none" else ""  # noqa: E731
    used = "; ".join(f"{d['packages']:,} packages of {d['dies_per_package']}x{d['die_area_mm2']:g} mm^2, "
                     f"{d['hbm_stacks']} HBM{tier2(d)}, {d['links']} links, {d['interconnect']} at "
                     f"{format_usd(d['unit_cost_usd'])}" for d in doc["designs"])
    click.echo(f"{doc['instance']}: {doc['status']}, {obj['name']} {format_field(obj['name'] + '_' + obj['unit'], obj['value'])}"
               f" (gap {doc['gap']:.1e}): {used}")
    out = console()
    # the second memory tier's column only where some design has one
    tiered = any(tier2(d) for d in doc["designs"])
    out.print(table([("design", "left"), ("die mm^2", "right"), ("dies", "right"), ("HBM", "right"), ("gen", "left"),
                     *([("tier 2", "left")] if tiered else []),
                     ("links", "right"), ("ic", "left"), ("topology", "left"), ("clock", "right"),
                     ("packages", "right"), ("$/package", "right"), ("TDP", "right"), ("BF16 TFLOP/s", "right")],
                    [[str(i), f"{d['die_area_mm2']:g}", str(d["dies_per_package"]), str(d["hbm_stacks"]), d["hbm"],
                      *([tier2(d).removeprefix(" + ") or "-"] if tiered else []),
                      str(d["links"]), d["interconnect"], d["topology"], f"{d['clock']:g}", f"{d['packages']:,}",
                      format_usd(d["unit_cost_usd"]), format_power(d["tdp_w"]), format_number(d["peak_tflops_bf16"])]
                     for i, d in enumerate(doc["designs"])]))
    rows = []
    for w in doc["workloads"]:
        m = w["mapping"]
        rows.append([w["name"], str(w["design"]), *(str(m.get(k, 1)) for k in ("tp", "pp", "dp", "ep")),
                     str(m.get("batch", 0)), f"{w['replicas']:,}", f"{w['packages']:,}", f"{w['throughput']:,.1f}",
                     f"{w['demand']:,.1f}", w["unit"],
                     "-" if w["ttft_s"] is None else f"{w['ttft_s']:.3f}",
                     "-" if w["tpot_s"] is None else f"{w['tpot_s'] * 1e3:.1f}"])
    out.print(table([("workload", "left"), ("design", "right"), ("tp", "right"), ("pp", "right"), ("dp", "right"),
                     ("ep", "right"), ("batch", "right"), ("replicas", "right"), ("packages", "right"),
                     ("throughput", "right"), ("demand", "right"), ("unit", "left"), ("TTFT s", "right"),
                     ("TPOT ms", "right")], rows))
    click.echo(f"capex {format_usd(t['capex_usd'])} | IT power {format_power(t['it_power_w'])} | facility "
               f"{format_power(t['facility_power_w'])} | TCO {format_usd(t['tco_usd'])} | {t['packages']:,} packages | "
               f"{t['switches']:,} switches | {t['racks']} racks")
    click.echo("binding: " + (", ".join(doc["binding_constraints"]) or "none"))
    s = doc["solver"]
    click.echo(f"solver: {s['name']} {s['version'] or ''} ({s['method']}), {s['columns_enumerated']:,} columns "
               f"enumerated, {s['columns_kept']:,} kept, {s['variables']} variables, {s['constraints']} constraints, "
               f"{s['wall_s']:.2f} s")
