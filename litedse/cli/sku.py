"""``litedse sku``: the card of one package design (catalog name or parameters)."""

from __future__ import annotations

import click

from litedse.cli.common import FORMAT_OPTION, echo_card, echo_json
from litedse.errors import InputError


@click.command("sku")
@click.argument("name", required=False)
@click.option("--die-area", "die_area_mm2", type=float, help="Die area in mm^2.")
@click.option("--dies", "dies_per_package", type=int, default=None, help="Dies per package [1].")
@click.option("--hbm-stacks", type=int, default=None, help="Active HBM stacks per package [4].")
@click.option("--hbm", default=None, help="HBM generation (a [hbm.*] entry) [hbm3e-12hi].")
@click.option("--links", type=int, default=None, help="Off-package links per package [0].")
@click.option("--interconnect", default=None, help="cpo or electrical [cpo].")
@click.option("--clock", type=float, default=None, help="Clock as a fraction of nominal [1.0].")
@click.option("--instance", "instance_path", type=click.Path(dir_okay=False),
              help="Use this instance's resolved technology instead of the default preset.")
@FORMAT_OPTION
def sku_command(name, die_area_mm2, dies_per_package, hbm_stacks, hbm, links, interconnect, clock,
                instance_path, fmt):
    """Print the card of a catalog SKU (a100, h100, h200, b200) or of a design given by parameters.

    \b
    Examples:
      litedse sku h100
      litedse sku b200 --format json
      litedse sku --die-area 203.5 --dies 1 --hbm-stacks 2 --hbm hbm3e-12hi \\
                  --links 8 --interconnect cpo --clock 1.0 --format json
    """
    from litedse.tech import sku

    params = {"die_area_mm2": die_area_mm2, "dies_per_package": dies_per_package, "hbm_stacks": hbm_stacks,
              "hbm": hbm, "links": links, "interconnect": interconnect, "clock": clock}
    given = {k: v for k, v in params.items() if v is not None}
    tech = None
    if instance_path:
        from litedse.instance import load_instance

        tech = load_instance(instance_path).technology
    if name and given:
        raise InputError("give a catalog name or design parameters, not both", key="sku", value=name)
    if name:
        design = sku.catalog_design(name)
    elif "die_area_mm2" in given:
        design = {"dies_per_package": 1, "hbm_stacks": 4, "hbm": "hbm3e-12hi", "links": 0,
                  "interconnect": "cpo", "clock": 1.0, **given}
    else:
        raise InputError("no SKU given", key="sku",
                         expected="a catalog name (" + ", ".join(sku.catalog_names()) + ") or --die-area")
    sku.validate_design(design)
    card = sku.sku_card(sku.evaluate_skus(design, tech))
    if fmt == "json":
        echo_json(card)
    else:
        echo_card(card)


from litedse.cli import main  # noqa: E402

main.add_command(sku_command)
