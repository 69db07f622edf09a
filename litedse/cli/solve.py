"""``litedse solve``: the optimal design of one instance."""

from __future__ import annotations

import sys

import click

from litedse.cli.common import (FORMAT_OPTION, GAP_OPTION, THREADS_OPTION, TIME_LIMIT_OPTION, check_out_path, echo_json,
                                format_value, json_text, write_text_atomic)

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
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the JSON document to this file.")
@FORMAT_OPTION
def solve_command(instance_path, objective, method, time_limit_s, mip_gap, threads, sku, memory_budget_gb, out_path,
                  fmt):
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
    """
    from litedse.inputs.instance import load_instance
    from litedse.results.documents import solve_document
    from litedse.solve import solve_instance

    check_out_path(out_path)
    inst = load_instance(instance_path)
    res = solve_instance(inst, sku=sku, objective=objective, method=method, time_limit_s=time_limit_s,
                         mip_gap=mip_gap, threads=threads, memory_budget_gb=memory_budget_gb)
    doc = solve_document(res)
    if out_path:
        write_text_atomic(out_path, json_text(doc))
    if fmt == "json":
        echo_json(doc)
    else:
        _print_table(doc)
    if doc["status"] == "infeasible":
        click.echo(f"infeasible: {doc['explanation']}", err=True)
        sys.exit(3)
    if not doc["designs"]:
        click.echo(f"{doc['status']}: {doc['explanation'] or 'no design found'}", err=True)
        sys.exit(3)


def _print_table(doc: dict) -> None:
    obj = doc["objective"]
    click.echo(f"{doc['instance']}: {doc['status']}"
               + (f", {obj['name']} = {format_value(obj['value'])} {obj['unit']} (gap {doc['gap']:.1e})"
                  if doc["designs"] else ""))
    if not doc["designs"]:
        return
    click.echo("")
    click.echo(f"{'design':<7}{'die mm2':>8}{'dies':>5}{'HBM':>5} {'gen':<11}{'links':>6} {'ic':<11}{'topology':<9}"
               f"{'clock':>6}{'packages':>9}{'$/pkg':>9}{'TDP W':>7}{'BF16 TF':>9}")
    for i, d in enumerate(doc["designs"]):
        click.echo(f"{i:<7}{d['die_area_mm2']:>8g}{d['dies_per_package']:>5}{d['hbm_stacks']:>5} {d['hbm']:<11}"
                   f"{d['links']:>6} {d['interconnect']:<11}{d['topology']:<9}{d['clock']:>6g}{d['packages']:>9,}"
                   f"{d['unit_cost_usd']:>9,.0f}{d['tdp_w']:>7,.0f}{d['peak_tflops_bf16']:>9,.0f}")
    click.echo("")
    click.echo(f"{'workload':<22}{'design':>7}{'tp':>4}{'pp':>4}{'dp':>4}{'ep':>4}{'batch':>6}{'replicas':>9}"
               f"{'packages':>9}{'throughput':>13}{'demand':>13} {'unit':<11}{'TTFT s':>8}{'TPOT ms':>8}")
    for w in doc["workloads"]:
        m = w["mapping"]
        ttft = "-" if w["ttft_s"] is None else f"{w['ttft_s']:.3f}"
        tpot = "-" if w["tpot_s"] is None else f"{w['tpot_s'] * 1e3:.1f}"
        click.echo(f"{w['name']:<22}{w['design']:>7}{m.get('tp', 1):>4}{m.get('pp', 1):>4}{m.get('dp', 1):>4}"
                   f"{m.get('ep', 1):>4}{m.get('batch', 0):>6}{w['replicas']:>9,}{w['packages']:>9,}"
                   f"{w['throughput']:>13,.1f}{w['demand']:>13,.1f} {w['unit']:<11}{ttft:>8}{tpot:>8}")
    t = doc["totals"]
    click.echo("")
    click.echo(f"capex ${t['capex_usd']:,.0f} | IT power {t['it_power_w'] / 1e3:,.1f} kW | facility "
               f"{t['facility_power_w'] / 1e3:,.1f} kW | TCO ${t['tco_usd']:,.0f} | {t['packages']:,} packages | "
               f"{t['switches']:,} switches | {t['racks']} racks")
    click.echo("binding: " + (", ".join(doc["binding_constraints"]) or "none"))
    s = doc["solver"]
    click.echo(f"solver: {s['name']} {s['version'] or ''} ({s['method']}), {s['columns_enumerated']:,} columns "
               f"enumerated, {s['columns_kept']:,} kept, {s['variables']} variables, {s['constraints']} constraints, "
               f"{s['wall_s']:.2f} s")
