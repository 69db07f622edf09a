"""``litedse calibrate``: the performance model against every published calibration row."""

from __future__ import annotations

import sys

import click

from litedse.cli.common import FORMAT_OPTION, echo_json


@click.command("calibrate")
@click.option("--instance", "instance_path", type=click.Path(dir_okay=False),
              help="Use this instance's resolved performance values instead of the default preset.")
@FORMAT_OPTION
def calibrate_command(instance_path, fmt):
    """Print predicted vs measured for every row of the calibration tables (Korthikanti et al.
    2022 training; TensorRT-LLM v0.5 inference) with the relative error and its bound. Exit 1 if a
    row is out of its bound.

    \b
    Examples:
      litedse calibrate
      litedse calibrate --instance instances/fleet.toml --format json
    """
    from litedse import presets
    from litedse.workload import calibration

    if instance_path:
        from litedse.instance import load_instance

        perf = load_instance(instance_path).performance
    else:
        perf = presets.load("performance", "default")[0]
    rows = calibration.table(perf)
    if fmt == "json":
        echo_json(rows)
    else:
        click.echo(f"{'source':34s} {'row':40s} {'metric':12s} {'predicted':>11s} {'measured':>11s} {'error':>8s} "
                   f"{'bound':>6s}")
        for r in rows:
            click.echo(f"{r['table']:34s} {r['row']:40s} {r['metric']:12s} {r['predicted']:11.4g} "
                       f"{r['measured']:11.4g} {100 * r['error']:+7.1f}% {100 * r['bound']:5.0f}%"
                       + ("" if abs(r["error"]) <= r["bound"] else "  OUT OF BOUND"))
    if any(abs(r["error"]) > r["bound"] for r in rows):
        sys.exit(1)


from litedse.cli import main  # noqa: E402

main.add_command(calibrate_command)
