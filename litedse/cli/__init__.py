"""Command-line interface. Commands parse arguments, call the library and print; no logic here.

Each command imports the library inside its function: ``litedse --help`` and ``litedse check``
then start in 0.2 s instead of paying about a second for Pyomo, pandas and matplotlib.
"""

from __future__ import annotations

import sys

import click

from litedse.version import __version__
from litedse.cli.check import check_command
from litedse.cli.sku import sku_command
from litedse.cli.evaluate import evaluate_command
from litedse.cli.calibrate import calibrate_command
from litedse.cli.solve import solve_command
from litedse.cli.compare import compare_command
from litedse.cli.pareto import pareto_command
from litedse.cli.report import report_command
from litedse.cli.batch import batch_command
from litedse.cli.sensitivity import sensitivity_command
from litedse.cli.uncertainty import uncertainty_command
from litedse.cli.app import app_command
from litedse.cli.progress import verbosity_options
from litedse.errors import LitedseError


class _Group(click.Group):
    """Turns user errors into one line on stderr and the documented exit code, never a traceback:
    litedse's own errors, and click's usage errors (bad option values, unknown options)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as err:
            where = f" (see '{err.ctx.command_path} --help')" if err.ctx is not None else ""
            click.echo("error: " + " ".join(err.format_message().split()) + where, err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LitedseError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="litedse")
@verbosity_options
def main():
    """litedse: should AI clusters be built from many small Lite-GPUs or a few big GPUs?

    \b
    Examples:
      litedse check instances/llama3-70b-serving.toml
      litedse sku h100
      litedse sku --die-area 203.5 --hbm-stacks 2 --links 8 --interconnect cpo --format json
      litedse -q report instances/fleet.toml --out fleet-report/

    Long commands show their progress on stderr (a bar on a terminal, plain lines otherwise);
    -q silences it, -v adds every step and the timings of each phase.
    """


for _command in (check_command, sku_command, evaluate_command, calibrate_command, solve_command, compare_command,
                 pareto_command, report_command, batch_command, sensitivity_command,
                 uncertainty_command, app_command):
    main.add_command(_command)
