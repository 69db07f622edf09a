"""``litedse evaluate``: JSON schema, fixed mappings, bad mappings exit 2 with one line."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litedse.cli import main

ROOT = Path(__file__).resolve().parents[1]
SERVING = str(ROOT / "instances" / "llama3-70b-serving.toml")
TRAINING = str(ROOT / "instances" / "gpt3-175b-training.toml")


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_evaluate_json_schema_and_best_mapping():
    res = invoke("evaluate", SERVING, "--sku", "h100", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    (w,) = doc["workloads"]
    assert set(w["mapping"]) == {"tp", "pp", "dp", "ep", "batch", "microbatch"}
    for key in ("packages", "tokens_per_s", "requests_per_s", "ttft_s", "tpot_s", "memory_gb_per_package", "fits"):
        assert key in w
    assert set(w["breakdown"]) >= {"compute", "memory", "tp", "pp", "dp", "ep", "bubble"}
    from litedse.inputs.instance import load_instance

    spec = load_instance(SERVING).workloads[0]
    assert w["fits"] and w["slo_ok"]
    assert spec.ttft_s is None or w["ttft_s"] <= spec.ttft_s
    assert spec.tpot_s is None or w["tpot_s"] <= spec.tpot_s
    assert w["packages"] == w["mapping"]["tp"] * w["mapping"]["pp"] * w["mapping"]["ep"]
    assert w["iteration_s"] is None


def test_evaluate_fixed_training_mapping_reports_overflow():
    res = invoke("evaluate", TRAINING, "--sku", "a100", "--tp", "8", "--pp", "8", "--dp", "1", "--microbatch", "1",
                 "--recompute", "none", "--format", "json")
    assert res.exit_code == 0, res.output
    (w,) = json.loads(res.output)["workloads"]
    assert w["mapping"] == {"tp": 8, "pp": 8, "dp": 1, "ep": 1, "batch": w["mapping"]["batch"], "microbatch": 1}
    assert not w["fits"] and w["memory_overflow_gb"] > 0
    assert w["memory_overflow_gb"] == pytest.approx(w["memory_gb_per_package"] - 80.0)
    assert 0 < w["mfu"] < 1 and w["achieved_tflops_per_package"] > 0


def test_evaluate_custom_sku_and_explain():
    res = invoke("evaluate", SERVING, "--die-area", "400", "--hbm-stacks", "4", "--links", "8",
                 "--interconnect", "cpo", "--explain", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    keys = {row["key"]: row for row in doc["assumptions"]}
    assert "fit C1" in keys["performance.efficiency.compute_training"]["source"]
    assert keys["performance.memory.runtime_reserve_gb"]["value"] > 0


@pytest.mark.parametrize("args", [("--tp", "3"), ("--pp", "200"), ("--tp", "0"), ("--batch", "-4"), ("--ep", "2"),
                                  ("--dp", "2")])
def test_bad_mapping_exits_2_with_one_line(args):
    res = invoke("evaluate", SERVING, "--sku", "h100", *args)
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in res.output


def test_calibrate_command_prints_every_row():
    from litedse.workload import calibration

    res = invoke("calibrate", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert len(doc["rows"]) == len(calibration.ROWS)
    assert all(abs(r["error"]) <= r["bound"] for r in doc["rows"])
    s = doc["serving"]
    assert s["rows"] == s["fitted_rows"] + s["kept_out_rows"] >= 30
    assert s["mae_fitted"] <= 0.15 and s["mae_kept_out"] <= 0.20
    assert sum(g["rows"] for g in s["groups"]) == s["rows"]
