"""One number format and one table renderer (Markdown and HTML) for every table litedse shows:
the CLI's, the report's and the study report's. Money reads $4.50M, power 848 kW, ratios 1.62x
(``format_usd``, ``format_power``, ``format_ratio``; ``format_field`` picks by a field's unit
suffix), other numbers 4 significant digits with thousands grouped (``format_number``)."""

from __future__ import annotations

import html
import json
import math

from typing import TYPE_CHECKING

from litedse.jsonable import jsonable
from litedse.optimize.problem import CRITERIA

if TYPE_CHECKING:  # tables take data frames; the CLI's number formatting must not load pandas
    import pandas as pd


def format_number(value, *, missing: str | None = "-", sci_at: float = 1e10, group_ints: bool = True) -> str:
    """A value as table text: floats to 4 significant digits, thousands grouped from 1e4, and
    scientific notation below 1e-3 and from ``sci_at``; integers grouped if ``group_ints``.
    None and non-finite floats read ``missing`` (None: their plain text, 'None', 'nan', 'inf')."""
    if hasattr(value, "item"):                       # numpy scalar
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        if missing is not None:
            return missing
        return "None" if value is None else f"{value:.4g}"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if group_ints else str(value)
    if isinstance(value, float):
        size = abs(value)
        if value == 0:
            return "0"
        if size < 1e-3 or size >= sci_at:
            return f"{value:.4g}"
        return f"{value:,.0f}" if size >= 1e4 else f"{value:,.4g}"
    return str(value)


def format_usd(value) -> str:
    """Money as every summary prints it, to 3 significant digits: $4.50M, $12.3k, $1.20B, $950."""
    return "-" if not _finite(value) else "$" + _scaled(float(value), (("B", 1e9), ("M", 1e6), ("k", 1e3)))


def format_power(value_w) -> str:
    """Power in watts as every summary prints it: 848 kW, 1.24 MW, 552 W, 2.10 GW."""
    return "-" if not _finite(value_w) else _scaled(float(value_w), ((" GW", 1e9), (" MW", 1e6), (" kW", 1e3)), " W")


def format_ratio(value) -> str:
    """A ratio as every summary prints it: 1.62x, 0.85x, 12.3x."""
    if not _finite(value):
        return "-"
    v = float(value)
    return f"{v:.2f}x" if abs(v) < 10 else f"{v:.1f}x" if abs(v) < 100 else f"{v:,.0f}x"


def format_quantity(value, unit: str | None) -> str:
    """``value`` in its unit's format: USD as money, W as power, ratios with an x, else ``format_number``."""
    unit = (unit or "").lower()
    if unit in ("usd", "$"):
        return format_usd(value)
    if unit == "w":
        return format_power(value)
    if unit in ("x", "ratio"):
        return format_ratio(value)
    return format_number(value)


def criterion_unit(name: str) -> str | None:
    """The unit of a criterion column (optimize.problem.CRITERIA) when it has a money or power
    format (cost, tco: USD; power: W), else None (a plain number)."""
    criterion = CRITERIA.get(name)
    return criterion.unit if criterion is not None and criterion.unit in ("usd", "w") else None


def unit_of(name: str) -> str | None:
    """The unit a field's name carries (``capex_usd`` -> usd, ``tdp_w`` -> w), None for others."""
    for suffix, unit in (("_usd", "usd"), ("_w", "w")):
        if name.endswith(suffix):
            return unit
    return None


def format_field(name: str, value) -> str:
    """``value`` of field ``name`` in the format of the unit its name carries (money, power), else
    ``format_number``: the one format of every card and table the CLI prints."""
    if isinstance(value, str) or isinstance(value, bool) or value is None:
        return format_number(value)
    return format_quantity(value, unit_of(name)) if unit_of(name) else format_number(value)


def _finite(value) -> bool:
    if hasattr(value, "item"):
        value = value.item()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _scaled(v: float, steps, plain_suffix: str = "") -> str:
    """v with the first suffix whose scale it reaches, to 3 significant digits (no suffix: grouped)."""
    for suffix, scale in steps:
        if abs(v) >= scale * 0.9995:
            x = v / scale
            return (f"{x:.2f}" if abs(x) < 10 else f"{x:.1f}" if abs(x) < 100 else f"{x:,.0f}") + suffix
    return f"{v:,.0f}{plain_suffix}" if abs(v) >= 1 or v == 0 else f"{v:.3g}{plain_suffix}"


def _rows(df: pd.DataFrame, index_label: str | None):
    for idx, row in zip(df.index, df.itertuples(index=False)):
        yield ([idx] if index_label else []), list(row)


def _cell(fmt, row, col, value) -> str:
    return format_number(value) if fmt is None else fmt(row, col, value)


def markdown_table(df: pd.DataFrame, index_label: str | None = None, empty: str = "(none)", fmt=None) -> str:
    """A GitHub Markdown table of ``df`` (the index as a first column named ``index_label``);
    numbers right-aligned. ``fmt(row label, column, value) -> str`` formats a cell (default
    ``format_number``)."""
    if df.empty:
        return empty
    cols = ([index_label] if index_label else []) + [str(c) for c in df.columns]
    numeric = [False] * bool(index_label) + [_numeric_column(df[c]) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "".join("---:|" if n else "---|" for n in numeric)]
    for head, values in _rows(df, index_label):
        row = head[0] if head else None
        cells = [str(h) for h in head] + [_cell(fmt, row, c, jsonable(v)).replace("|", "\\|").replace("\n", " ")
                                          for c, v in zip(df.columns, values)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def html_table(df: pd.DataFrame, table_id: str | None = None, index_label: str | None = None,
               empty: str = "(none)", fmt=None) -> str:
    """An HTML table of ``df``; every cell carries its exact value in ``data-value`` (JSON), so a
    reader (or a test) can recover the number behind its rounded text. Number cells have class
    ``num`` (right-aligned by the stylesheet), text cells are left-aligned. ``fmt`` as in
    ``markdown_table``."""
    if df.empty:
        return f"<p>{html.escape(empty)}</p>"
    cols = list(df.columns)
    heads = [(index_label, False)] if index_label else []
    heads += [(c, _numeric_column(df[c])) for c in cols]      # a number column's header sits over its numbers
    head = "".join(("<th class=\"num\">" if num else "<th>") + html.escape(str(c)) + "</th>" for c, num in heads)
    body = []
    for first, values in _rows(df, index_label):
        row = first[0] if first else None
        cells = [f"<th>{html.escape(str(h))}</th>" for h in first]
        for c, v in zip(cols, values):
            v = jsonable(v)
            kind = " class=\"num\"" if _is_number(v) else ""
            cells.append(f"<td{kind} data-col=\"{html.escape(str(c))}\" data-value=\"{html.escape(json.dumps(v))}\">"
                         f"{html.escape(_cell(fmt, row, c, v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f" id=\"{table_id}\"" if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table>"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric_column(series) -> bool:
    values = [jsonable(v) for v in series]
    present = [v for v in values if v is not None]
    return bool(present) and all(_is_number(v) for v in present)
