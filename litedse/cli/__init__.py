"""Command-line interface. Commands parse arguments, call the library and print; no logic here."""

from __future__ import annotations

import sys

import click

from litedse import __version__
from litedse.errors import LitedseError


class _Group(click.Group):
    """Turns user errors into one line on stderr and the documented exit code, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except LitedseError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="litedse")
def main():
    """litedse: should AI clusters be built from many small Lite-GPUs or a few big GPUs?

    \b
    Examples:
      litedse check instances/llama3-70b-serving.toml
      litedse sku h100
      litedse sku --die-area 203.5 --hbm-stacks 2 --links 8 --interconnect cpo --format json
    """


def _register():
    # each module adds its command to ``main``; a command whose module is absent is simply not offered
    for optional in ("check", "sku", "evaluate", "calibrate", "solve", "compare", "pareto", "report", "batch"):
        try:
            __import__(f"litedse.cli.{optional}")
        except ModuleNotFoundError as err:
            if err.name != f"litedse.cli.{optional}":
                raise


_register()
