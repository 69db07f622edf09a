"""``litedse app``: the what-if page of an instance in the browser (Streamlit, optional extra)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import click


@click.command("app")
@click.argument("instance_path", metavar="INSTANCE", type=click.Path(dir_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port of the local page [Streamlit's 8501].")
@click.option("--headless", is_flag=True, help="Serve the page without opening a browser.")
def app_command(instance_path, port, headless):
    """Open a local web page with sliders for INSTANCE's deciding assumptions (HBM $/GB, CPO link
    price, host cost, demand, prompt and output lengths); every change solves the chosen design
    classes again and shows the verdict, the breakdowns and, on request, the Pareto front.

    Needs the optional extra: pip install -e '.[app]'.

    \b
    Examples:
      litedse app instances/llama3-70b-serving.toml
      litedse app instances/mixtral-8x7b-serving.toml --port 8600 --headless
    """
    import litedse
    from litedse.errors import InputError

    if importlib.util.find_spec("streamlit") is None:
        raise InputError("the app needs Streamlit, an optional extra", key="app", expected="pip install -e '.[app]'")
    litedse.load(instance_path)                   # bad input: one line here, not a broken page
    from importlib import resources

    from litedse.app.knobs import INSTANCE_ENV

    page = resources.files("litedse.app").joinpath("page.py")
    cmd = [sys.executable, "-m", "streamlit", "run", str(page), "--browser.gatherUsageStats", "false"]
    if port:
        cmd += ["--server.port", str(port)]
    if headless:
        cmd += ["--server.headless", "true"]
    env = {**os.environ, INSTANCE_ENV: os.path.abspath(instance_path)}
    sys.exit(subprocess.call(cmd + ["--", instance_path], env=env))
