"""``litedse check``: validate an instance and print it fully resolved."""

from __future__ import annotations

import click

from litedse.cli.common import FORMAT_OPTION, SET_OPTION, echo_card, echo_json, load_instance


@click.command("check")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@SET_OPTION
@FORMAT_OPTION
def check_command(instance_path, assignments, fmt):
    """Validate INSTANCE and print it with every preset value resolved.

    Exit code 0 when valid, 2 with a one-line message naming the file, the key and what was
    expected otherwise.

    \b
    Examples:
      litedse check instances/llama3-70b-serving.toml
      litedse check instances/fleet.toml --format json
      litedse check instances/llama3-70b-serving.toml --set workload.0.demand_requests_per_s=500
    """
    from litedse.results.provenance import provenance

    inst = load_instance(instance_path, assignments)
    if fmt == "json":
        echo_json({**inst.resolved(), "provenance": provenance(inst)})
        return
    ds = inst.design_space
    echo_card({
        "instance": inst.name,
        "file": inst.path,
        "technology preset": inst.technology_preset,
        "performance preset": inst.performance_preset or "-",
        "objective": f"{inst.objective.sense}imize {inst.objective.name}"
                     + (" (with die NRE)" if inst.objective.include_nre else ""),
        **{f"constraint {k}": v for k, v in inst.constraints.model_dump().items() if v is not None},
        **{f"design_space {k}": _axis(v) for k, v in ds.axes().items()},
        "design_space max_designs": ds.max_designs,
        "grid SKUs": ds.grid_size(),
        "uncertain parameters": f"{len(inst.uncertainty)} (ranges: --format json, 'uncertainty')",
    })
    for w in inst.workloads:
        demand = (f"{w.demand_requests_per_s:g} requests/s" if w.demand_requests_per_s else
                  f"{w.demand_tokens_per_s:g} tokens/s" if w.demand_tokens_per_s else
                  f"{w.train_tokens:g} tokens in {w.time_budget_days:g} days")
        model = w.model if isinstance(w.model, str) or w.model is None else "inline"
        click.echo(f"workload {w.name}: {w.kind}, {w.precision}, model {model or w.name}, demand {demand}")
    overridden = _overrides(inst.technology_sources, ("technology",)) + _overrides(inst.performance_sources, ("performance",))
    for key in overridden:
        click.echo(f"override {key}")
    click.echo("valid")


def _axis(values: list) -> str:
    if len(values) > 6:
        return f"{values[0]:g} .. {values[-1]:g} ({len(values)} values)"
    return ", ".join(f"{v:g}" if isinstance(v, (int, float)) else str(v) for v in values)


def _overrides(sources, path) -> list[str]:
    out = []
    for key, src in sources.items():
        if isinstance(src, dict):
            out += _overrides(src, path + (key,))
        elif isinstance(src, str) and src.startswith("instance file"):
            out.append(".".join(path + (key,)))
    return out
