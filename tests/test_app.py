"""The what-if page (litedse/app): its sliders are valid key paths of the instance, and, when the
optional extra is installed, Streamlit's own test harness drives a slider and the verdict changes."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import litedse
from litedse import presets
from litedse.app.knobs import changed, knobs
from litedse.cli import main

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instances" / "llama3-70b-serving.toml"
HAVE_STREAMLIT = importlib.util.find_spec("streamlit") is not None


def small_instance(tmp_path) -> Path:
    """The main job on a coarse grid (four die areas, four stack counts, two link counts): quick solves."""
    text = INSTANCE.read_text()
    for key, values in {"die_area_mm2": [200, 300, 600, 800], "hbm_stacks": [2, 4, 6, 8], "links": [0, 8]}.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {values}", text)
    path = tmp_path / "small.toml"
    path.write_text(text)
    return path


def test_every_slider_is_a_valid_key_path_at_both_ends():
    inst = litedse.load(INSTANCE)
    ks = knobs(inst)
    assert {k.key for k in ks} >= {"technology.hbm.hbm3e-12hi.cost_usd_per_gb", "technology.host.cost_usd",
                                   "technology.interconnect.cpo.cost_usd_per_link", "workload.0.demand_requests_per_s",
                                   "workload.0.input_tokens", "workload.0.output_tokens"}
    for k in ks:
        assert k.low <= k.value <= k.high and k.step > 0
        for v in (k.low, k.high):
            new = inst.with_overrides({k.key: v})
            assert new.overrides == {k.key: v}
    assert inst.technology["hbm"]["hbm3e-12hi"]["cost_usd_per_gb"] == next(k.value for k in ks if "hbm" in k.key)
    # only moved sliders become overrides
    values = {k.key: k.value for k in ks}
    assert changed(values, inst) == {}
    values["technology.host.cost_usd"] = 20000.0
    assert changed(values, inst) == {"technology.host.cost_usd": 20000.0}


def test_a_second_memory_tier_gets_a_price_slider_over_its_declared_range():
    inst = litedse.load(INSTANCE)
    assert not any("memory" in k.key for k in knobs(inst))
    tiered = inst.with_overrides({"design_space.memory": ["hbm", "hbm+mrm:2"]})
    (mrm,) = [k for k in knobs(tiered) if k.key == "technology.memory.mrm.cost_usd_per_gb"]
    declared = presets.ranges("technology", "default")["memory.mrm.cost_usd_per_gb"]
    assert (mrm.low, mrm.high) == (declared.low, declared.high) and mrm.value == tiered.technology["memory"]["mrm"][
        "cost_usd_per_gb"]
    assert tiered.with_overrides({mrm.key: mrm.high}).technology["memory"]["mrm"]["cost_usd_per_gb"] == mrm.high


def test_the_app_command_without_the_extra_says_how_to_install_it(monkeypatch):
    # Streamlit is made to look absent (whether or not it is installed), so the command can never
    # start a real server here
    import importlib.util as util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    out = CliRunner().invoke(main, ["app", str(INSTANCE)])
    assert out.exit_code == 2 and out.stderr.count("\n") == 1 and "pip install -e '.[app]'" in out.stderr


@pytest.mark.skipif(not HAVE_STREAMLIT, reason="the optional extra [app] (Streamlit) is not installed")
def test_moving_the_hbm_slider_changes_the_verdict(tmp_path, monkeypatch):
    import sys

    from streamlit.testing.v1 import AppTest

    # Streamlit runs the page as __main__ and leaves it there; multiprocessing's spawn (Dask's
    # local workers in later tests) would then re-run the page in every child: restore it after
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setenv("LITEDSE_APP_INSTANCE", str(small_instance(tmp_path)))
    at = AppTest.from_file(str(ROOT / "litedse" / "app" / "page.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    before = at.main.header[0].value
    assert re.fullmatch(r"monolithic is cheaper: lite costs (\d\.\d\d)x as much as monolithic", before)
    at.slider(key="technology.hbm.hbm3e-12hi.cost_usd_per_gb").set_value(40.0).run()
    assert not at.exception, at.exception
    after = at.main.header[0].value
    # dearer HBM hurts the Lite cluster more (it holds more stacks): its ratio rises
    ratio = lambda text: float(re.search(r"(\d+\.\d\d)x", text).group(1))  # noqa: E731
    assert after != before and ratio(after) > ratio(before)
    assert any(c.value == "changed: technology.hbm.hbm3e-12hi.cost_usd_per_gb = 40" for c in at.main.caption)
