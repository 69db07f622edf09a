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
        from litedse.inputs.instance import load_instance

        perf = load_instance(instance_path).performance
    else:
        perf = presets.performance()[0]
    rows = calibration.table(perf)
    if fmt == "json":
        echo_json(rows)
    else:
        click.echo(calibration.HEADER)
        for r in rows:
            click.echo(calibration.format_row(r))
    if not all(calibration.within_bound(r) for r in rows):
        sys.exit(1)
