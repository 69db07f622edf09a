"""Terminal tables with rich: left-aligned text, right-aligned numbers, the winner in bold. On a
terminal they fit its width; into a pipe or file they are drawn wide and without colour, so that
nothing is wrapped or cut."""

from __future__ import annotations

import io

import click
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

PIPE_WIDTH = 220     # characters: wide enough for four classes side by side


def console() -> Console:
    stream = click.get_text_stream("stdout")
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else PIPE_WIDTH, highlight=False, soft_wrap=not tty,
                   no_color=not tty, emoji=False)


def table(columns: list[tuple[str, str]], rows: list[list[str]], *, title: str | None = None,
          bold_column: int | None = None) -> Table:
    """A rich table; ``columns`` are (header, "left" | "right"); ``bold_column`` is highlighted."""
    t = Table(box=box.SIMPLE_HEAD, title=title, title_justify="left", pad_edge=False, show_edge=False)
    for i, (header, justify) in enumerate(columns):
        t.add_column(Text(header), justify=justify, style="bold green" if i == bold_column else None,
                     header_style="bold green" if i == bold_column else "bold", no_wrap=True)
    for row in rows:
        t.add_row(*(Text(str(cell)) for cell in row))   # text, never rich markup: "[mm^2]" stays
    return t


def echo_table(*args, **kwargs) -> None:
    console().print(table(*args, **kwargs))


def to_text(*renderables, color: bool = False, width: int = PIPE_WIDTH) -> str:
    """What ``renderables`` print as, as text (ANSI colours only with ``color``), e.g. for --out."""
    out = Console(file=io.StringIO(), width=width, force_terminal=color, no_color=not color, highlight=False,
                  soft_wrap=True, emoji=False)
    for r in renderables:
        out.print(Text(r) if isinstance(r, str) else r)
    return out.file.getvalue()


def stdout_is_terminal() -> bool:
    return click.get_text_stream("stdout").isatty()
