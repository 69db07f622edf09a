"""``litedse evaluate``: the performance model's figures for one fixed SKU and every workload."""

from __future__ import annotations

import click

from litedse.cli.common import (FORMAT_OPTION, SET_OPTION, echo_card, echo_json, format_value, load_instance,
                                placement_line, sku_options)


@click.command("evaluate")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--sku", "sku_name", default=None,
              help="Catalog SKU (a100, h100, h200, b200), or give the design options.")
@sku_options
@click.option("--tp", type=int, default=None, help="Tensor parallelism [best feasible].")
@click.option("--pp", type=int, default=None, help="Pipeline stages [best feasible].")
@click.option("--dp", type=int, default=None, help="Data parallelism (training) [best feasible].")
@click.option("--ep", type=int, default=None, help="Expert parallelism (MoE) [best feasible].")
@click.option("--batch", type=int, default=None, help="Concurrent sequences per replica (serving) [best feasible].")
@click.option("--microbatch", type=int, default=None, help="Training microbatch [best feasible].")
@click.option("--recompute", type=click.Choice(["full", "selective", "none"]), default=None,
              help="Activation recompute for training workloads [the workload's].")
@click.option("--explain", is_flag=True, help="Also print every assumption and efficiency with its value and source.")
@SET_OPTION
@FORMAT_OPTION
def evaluate_command(instance_path, sku_name, design_options, tp, pp, dp, ep, batch, microbatch, recompute, explain,
                     assignments, fmt):
    """Evaluate INSTANCE's workloads on one fixed SKU.

    Mapping values that are omitted are chosen: the feasible mapping (fits in HBM, meets the SLOs)
    with the highest throughput per package, and for training the smallest job that meets the
    demand (else the fastest). Bad mapping values exit 2 with a one-line message. The time
    breakdown is in seconds per training iteration, per decode step, per prefill pass, or per
    serving cycle (the time a replica takes to serve ``batch`` requests); ``breakdown_per`` says which.

    \b
    Examples:
      litedse evaluate instances/llama3-70b-serving.toml --sku h100
      litedse evaluate instances/gpt3-175b-training.toml --sku a100 --tp 8 --pp 8 --format json
      litedse evaluate instances/llama3-70b-serving.toml --die-area 400 --hbm-stacks 4 \\
                       --links 8 --interconnect cpo --explain
    """
    import litedse
    from litedse.errors import InputError
    from litedse.results.documents import evaluate_document

    inst = load_instance(instance_path, assignments)
    given = {k: v for k, v in design_options.items() if v is not None}
    if sku_name and given:
        raise InputError("give a catalog name or design parameters, not both", key="sku", value=sku_name)
    df = litedse.evaluate(inst, sku_name or design_options, recompute=recompute, explain=explain, tp=tp, pp=pp, dp=dp,
                          ep=ep, batch=batch, microbatch=microbatch)
    sku_info, results = df.attrs["sku"], df.attrs["workloads"]
    doc = evaluate_document(inst, sku_info, results, df.attrs.get("assumptions"))
    if fmt == "json":
        echo_json(doc)
        return
    stack_name = doc["serving_stack"]
    if stack_name:
        click.echo(f"serving stack {stack_name}: {inst.performance['stack']['description']}")
    click.echo(f"instance {inst.name} on SKU {sku_info['name']}"
               + ("" if sku_info["feasible"] else f" (INFEASIBLE SKU: {', '.join(sku_info['infeasible_reasons'])})"))
    for r in results:
        click.echo("")
        m = r["mapping"]
        click.echo(f"workload {r['name']} ({r['kind']}): tp {m['tp']} pp {m['pp']} dp {m['dp']} ep {m['ep']} "
                   f"batch {m['batch']} microbatch {m['microbatch']}" + ("" if r["fits"] else "  DOES NOT FIT"))
        hidden = ("name", "kind", "mapping", "breakdown", "breakdown_per", "note", "model", "memory")
        card = {k: v for k, v in r.items() if k not in hidden and v is not None}
        card.update({f"breakdown {k} [s per {r['breakdown_per'].split(':')[0]}]": v for k, v in r["breakdown"].items()})
        card.update({f"model {k}": v for k, v in r["model"].items() if k != "name"})
        echo_card(card)
        click.echo(placement_line(r["memory"], sku_info))
        if r.get("note"):
            click.echo(f"note: {r['note']}")
    if explain:
        click.echo("")
        click.echo("assumptions (performance preset, value, source):")
        for row in doc["assumptions"]:
            click.echo(f"  {row['key']} = {format_value(row['value'])}  [{row['source']}]")
