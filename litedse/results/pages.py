"""The reports' jinja2 templates and their one stylesheet, package data under
litedse/results/templates/ (pyproject.toml ships them)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import jinja2

FOLDER = "templates"


@lru_cache(maxsize=2)
def _environment(html: bool) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("litedse.results", FOLDER), autoescape=html,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=False)


def render(name: str, context: dict, html: bool = True) -> str:
    """Template ``name`` filled with ``context``; HTML templates escape every value not marked safe."""
    return _environment(html).get_template(name).render(**context)


def stylesheet() -> str:
    return resources.files("litedse.results").joinpath(FOLDER, "style.css").read_text()
