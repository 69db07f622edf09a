"""Output helpers shared by the commands."""

from __future__ import annotations

import functools
import json
import os
import tempfile

import click

from litedse.errors import InputError
from litedse.jsonable import jsonable
from litedse.results.tables import format_field, format_number

FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Human table or JSON.")
# solver options, validated before any work; --threads is capped at the machine's cores
THREADS_OPTION = click.option("--threads", type=click.IntRange(min=1), default=None,
                              callback=lambda ctx, param, value: None if value is None else min(value, os.cpu_count() or 1),
                              help="HiGHS threads, >= 1 (more than the core count run as the core count).")
class FiniteFloatRange(click.FloatRange):
    """A click FloatRange that also refuses nan and infinities (a range check lets nan through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


POSITIVE_SECONDS = FiniteFloatRange(min=0, min_open=True)
TIME_LIMIT_OPTION = click.option("--time-limit", "time_limit_s", type=POSITIVE_SECONDS,
                                 default=None, help="Solver time limit [s] (> 0).")
GAP_OPTION = click.option("--gap", "mip_gap", type=FiniteFloatRange(0, 1, max_open=True), default=None,
                          help="Relative MIP gap to stop at, in [0, 1); above the default the status is "
                               "'feasible', not 'optimal' [default: proven optimum].")


SET_OPTION = click.option("--set", "assignments", multiple=True, metavar="KEY.PATH=VALUE",
                          help="Override an instance value by key path, as study files do (repeatable), e.g. "
                               "--set technology.hbm.hbm3e-12hi.cost_usd_per_gb=10 --set workload.0.demand_requests_per_s=500.")


def load_instance(path: str, assignments=()):
    """``litedse.load(path)``, with the ``--set`` assignments applied by ``Instance.with_overrides``."""
    import litedse
    from litedse.inputs.overrides import parse_assignment

    inst = litedse.load(path)
    if not assignments:
        return inst
    overrides = {}
    for text in assignments:
        try:
            key, value = parse_assignment(text)
        except ValueError as err:
            raise InputError(str(err), key="--set", value=text) from None
        overrides[key] = value
    return inst.with_overrides(overrides)


def split_params(params) -> list[str]:
    """Key paths given as repeated ``--params`` options, each possibly comma-separated."""
    return [k.strip() for p in params for k in p.split(",") if k.strip()]


def check_out_path(path: str | None, key: str = "--out") -> None:
    """An output file's folder must exist before any work starts (nothing is half-written)."""
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise InputError("no such directory", key=key, value=path, expected="a file in an existing directory")


# the package-design options of ``litedse sku``, shared by every command that takes one SKU
_SKU_OPTIONS = (
    click.option("--die-area", "die_area_mm2", type=float, help="Die area in mm^2."),
    click.option("--dies", "dies_per_package", type=int, default=None, help="Dies per package [1]."),
    click.option("--hbm-stacks", type=int, default=None, help="Active HBM stacks per package [4]."),
    click.option("--hbm", default=None, help="HBM generation (a [hbm.*] entry) [hbm3e-12hi]."),
    click.option("--links", type=int, default=None, help="Off-package links per package [0]."),
    click.option("--interconnect", default=None, help="cpo or electrical [cpo]."),
    click.option("--clock", type=float, default=None, help="Clock as a fraction of nominal [1.0]."),
    click.option("--topology", type=click.Choice(["switched", "direct", "ocs"]), default=None,
                 help="How the links are wired: switched, direct (point to point) or ocs [switched]."),
    click.option("--memory", default=None,
                 help='Memory option: "hbm" or HBM plus a second tier, "hbm+<tier>:<devices>" with a '
                      '[memory.*] technology, e.g. hbm+mrm:2 or hbm+lpddr5x:8 [hbm].'),
)


def sku_options(func):
    """Decorator adding the SKU design options; the command receives them as one dict
    ``design_options`` keyed as litedse.tech.sku.DESIGN_AXES (None where not given)."""
    @functools.wraps(func)
    def command(*args, **kwargs):
        from litedse.tech.sku import DESIGN_AXES    # the options are named as the axes

        return func(*args, design_options={k: kwargs.pop(k, None) for k in DESIGN_AXES}, **kwargs)

    for option in reversed(_SKU_OPTIONS):
        command = option(command)
    return command


def placement_line(memory: dict, sku_info: dict) -> str:
    """One line saying where a workload keeps its weights and KV cache (``evaluate`` results)."""
    tier2 = sku_info.get("tier2", "none")
    def where(share: str, fraction: float) -> str:
        if share == "hbm" or fraction <= 0:
            return "HBM"
        if share == "tier2" or fraction >= 1:
            return tier2
        how = {"striped": "striped by bandwidth", "spill": "HBM first"}.get(share, "fixed split")
        return f"HBM and {tier2} ({100 * fraction:.0f}% in {tier2}, {how})"

    text = (f"memory: weights in {where(memory['weights'], memory['weights_tier2_share'])}, KV cache in "
            f"{where(memory['kv'], memory['kv_tier2_share'])}; tier 1 (HBM) {memory['tier1_gb']:.1f} GB")
    if tier2 != "none":
        text += (f", tier 2 ({tier2}) {memory['tier2_gb']:.1f} GB; KV writes {memory['kv_write_gb_s']:.3g} GB/s, "
                 f"{memory['tier2_write_cycles']:.3g} writes per tier-2 cell over the service life, "
                 f"refresh {memory['tier2_refresh_w']:.3g} W")
        if memory["tier_failures"]:
            text += "; FAILS: " + "; ".join(memory["tier_failures"])
    return text


def sku_design(name: str | None, params: dict) -> dict:
    """The design dict of a catalog SKU ``name`` or of the given SKU options (not both)."""
    from litedse.tech.sku import design_from_options

    return design_from_options(name, params)


def write_text_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never half-written."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".litedse-")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)  # the mode open() would give, not mkstemp's private 0600
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def json_text(obj) -> str:
    """The JSON text of a document as every command prints it."""
    return json.dumps(jsonable(obj), indent=2)


def echo_json(obj) -> None:
    click.echo(json_text(obj))


def format_value(value, name: str = "") -> str:
    """A value as every terminal table prints it: in the format of the unit its field ``name``
    carries (``_usd`` money, ``_w`` power), else 4 significant digits, thousands grouped."""
    return format_field(name, value) if name else format_number(value, missing=None)


def echo_card(rows: dict) -> None:
    """Two-column key/value table: keys left, values right-aligned."""
    width = max(len(k) for k in rows) if rows else 0
    texts = {k: format_value(v, k) for k, v in rows.items()}
    vwidth = max((len(t) for t in texts.values()), default=0)
    for key, text in texts.items():
        click.echo(f"{key:<{width}}  {text:>{vwidth}}" if _numeric(rows[key]) else f"{key:<{width}}  {text}")


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
