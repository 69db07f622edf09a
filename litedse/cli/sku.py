"""``litedse sku``: the card of one package design (catalog name or parameters)."""

from __future__ import annotations

import click

from litedse.cli.common import FORMAT_OPTION, echo_card, echo_json, sku_design, sku_options


@click.command("sku")
@click.argument("name", required=False)
@sku_options
@click.option("--instance", "instance_path", type=click.Path(dir_okay=False),
              help="Use this instance's resolved technology instead of the default preset.")
@FORMAT_OPTION
def sku_command(name, design_options, instance_path, fmt):
    """Print the card of a catalog SKU (a100, h100, h200, b200) or of a design given by parameters.

    \b
    Examples:
      litedse sku h100
      litedse sku b200 --format json
      litedse sku --die-area 203.5 --dies 1 --hbm-stacks 2 --hbm hbm3e-12hi \\
                  --links 8 --interconnect cpo --clock 1.0 --format json
      litedse sku --die-area 203.5 --links 4 --topology direct
    """
    from litedse.tech import sku

    tech = None
    if instance_path:
        from litedse.inputs.instance import load_instance

        tech = load_instance(instance_path).technology
    design = sku_design(name, design_options)
    card = sku.sku_card(sku.evaluate_skus(design, tech))
    if fmt == "json":
        echo_json(card)
    else:
        echo_card(card)
