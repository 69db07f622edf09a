"""One number formatter and one table renderer (Markdown and HTML) for every table litedse
shows: the CLI's, the report's and the study report's."""

from __future__ import annotations

import html
import json
import math

from typing import TYPE_CHECKING

from litedse.jsonable import jsonable

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


def _rows(df: pd.DataFrame, index_label: str | None):
    for idx, row in zip(df.index, df.itertuples(index=False)):
        yield ([idx] if index_label else []), list(row)


def markdown_table(df: pd.DataFrame, index_label: str | None = None, empty: str = "(none)") -> str:
    """A GitHub Markdown table of ``df`` (the index as a first column named ``index_label``)."""
    if df.empty:
        return empty
    cols = ([index_label] if index_label else []) + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for head, values in _rows(df, index_label):
        cells = [str(h) for h in head] + [format_number(jsonable(v)).replace("|", "\\|").replace("\n", " ")
                                          for v in values]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def html_table(df: pd.DataFrame, table_id: str | None = None, index_label: str | None = None,
               empty: str = "(none)") -> str:
    """An HTML table of ``df``; every cell carries its exact value in ``data-value`` (JSON), so a
    reader (or a test) can recover the number behind its rounded text."""
    if df.empty:
        return f"<p>{html.escape(empty)}</p>"
    cols = list(df.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ([index_label] if index_label else []) + cols)
    body = []
    for first, values in _rows(df, index_label):
        cells = [f"<th>{html.escape(str(h))}</th>" for h in first]
        for c, v in zip(cols, values):
            v = jsonable(v)
            cells.append(f"<td data-col=\"{html.escape(str(c))}\" data-value=\"{html.escape(json.dumps(v))}\">"
                         f"{html.escape(format_number(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f" id=\"{table_id}\"" if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>" + "".join(body) + "</tbody></table>"
