"""Output helpers shared by the commands."""

from __future__ import annotations

import json
import math

import click

FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                             show_default=True, help="Human table or JSON.")


def _jsonable(value):
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def echo_json(obj) -> None:
    click.echo(json.dumps(_jsonable(obj), indent=2))


def format_value(value) -> str:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if value == 0 or 1e-3 <= abs(value) < 1e7:
            return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def echo_card(rows: dict) -> None:
    """Two-column key/value table."""
    width = max(len(k) for k in rows) if rows else 0
    for key, value in rows.items():
        click.echo(f"{key:<{width}}  {format_value(value)}")
