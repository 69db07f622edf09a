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
    """Print predicted vs measured for every row of the calibration tables (C1 Korthikanti et al.
    2022 training; C2 TensorRT-LLM v0.5 inference, stack trtllm-2023) with the relative error and
    its bound, then the current-engine rows (S: 569 TensorRT-LLM 0.14-1.2 perf-overview rows, stack
    trtllm-2025): mean absolute error on the rows fitted and on the rows kept out of the fit, per
    GPU, precision and engine version. Exit 1 if a row or an S error is out of its bound.

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
    # the S rows are measurements of their own engine: an instance's stack values replace that
    # stack's preset only when the instance uses the same stack
    stacks = {**calibration.stacks(), perf["serving_stack"]: perf["stack"]}
    rows = calibration.table(perf, stacks)
    serving = calibration.serving_summary(perf, stacks)
    if fmt == "json":
        echo_json({"rows": rows, "serving": serving})
    else:
        click.echo(calibration.HEADER)
        for r in rows:
            click.echo(calibration.format_row(r))
        click.echo("")
        for line in calibration.format_serving_summary(serving):
            click.echo(line)
    if not all(calibration.within_bound(r) for r in rows) or not calibration.serving_within_bounds(serving):
        sys.exit(1)
