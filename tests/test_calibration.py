"""The performance model reproduces the published measurements of shared/reference/hardware.md,
"Calibration data", with the shipped performance preset:

- C1, training: Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
  Models" (arXiv 2205.05198), Tables 3 and 5: iteration time of the 22B, 175B, 530B and 1T models on
  Selene A100s (catalog ``a100`` SKU), full recompute and selective recompute + sequence
  parallelism, within 15%; and the paper's 530B run at 8-way data parallelism (39.15 s).
- C2, inference: TensorRT-LLM v0.5.0 static batching at a fixed batch: (b) docs/source/performance.md,
  H100 FP8 Llama 70B TP4 batch 64; (c) the H200 launch blog, Llama 70B FP8; (d) the H100-vs-A100 blog,
  GPT-J 6B (throughput and first-token latency), within 25%.
"""

import pytest

from litedse import presets
from litedse.workload import calibration

PERF = presets.performance()[0]


@pytest.mark.parametrize("row", calibration.ROWS, ids=lambda r: r.label)
def test_row_within_bound(row):
    predicted = calibration.predict(row, PERF)
    assert abs(predicted / row.measured - 1.0) <= row.bound, (row.table, row.label, predicted, row.measured)


def test_every_published_row_is_covered():
    tables = [r.table for r in calibration.ROWS]
    assert sum(t.startswith("C1") for t in tables) == 9        # 4 models x 2 recompute settings + DP point
    assert sum(t.startswith("C2(b)") for t in tables) == 4
    assert sum(t.startswith("C2(c)") for t in tables) == 4
    assert sum(t.startswith("C2(d)") for t in tables) == 4     # H100 tok/s, 2 first-token latencies, A100


def test_calibrated_values_name_their_rows():
    """Every fitted efficiency cites the calibration rows it was fitted on."""
    sources = presets.load("performance", "default")[1]
    for section, key in (("efficiency", "compute_training"), ("efficiency", "gemm_half_width")):
        assert "fit C" in sources[section][key]
    stack = presets.load("serving", "trtllm-2023")[1]
    for path in (("efficiency", "default", "compute_prefill"), ("efficiency", "default", "hbm"),
                 ("attention", "gqa_kv_reread_fraction"), ("overhead", "layer_prefill_s")):
        node = stack
        for part in path:
            node = node[part]
        assert "fit C" in node, path


def test_mfu_matches_reported_within_a_few_points():
    """Korthikanti Table 5 MFU (selective + SP): 41.5 / 51.4 / 56.0 / 56.3 %."""
    rows = [r for r in calibration.ROWS if r.kind == "training" and r.recompute == "selective" and r.dp == 1]
    for row, mfu in zip(rows, (0.415, 0.514, 0.560, 0.563)):
        assert calibration.evaluate_row(row, PERF)["mfu"][0] == pytest.approx(mfu, abs=0.03)


def test_every_performance_parameter_is_documented():
    """formulations/performance.md names every key of the performance preset by its dotted path
    (the per-precision byte sizes aside)."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "formulations" / "performance.md").read_text()
    values = presets.load("performance", "default")[0]

    def leaves(tree, prefix=""):
        for k, v in tree.items():
            if isinstance(v, dict) and k not in ("bf16", "fp8", "fp4"):
                yield from leaves(v, f"{prefix}{k}.")
            elif not isinstance(v, dict):
                yield f"{prefix}{k}"

    missing = [k for k in leaves(values) if f"`{k}`" not in doc]
    assert not missing, missing
