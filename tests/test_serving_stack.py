"""The serving model of current inference engines (formulations/performance.md section 3): serving
stacks, in-flight batching with a batch sized from KV capacity, FP8 KV, GQA kernels, length mixes,
disaggregated pools on their own SKUs, and the calibration on current TensorRT-LLM rows."""

import copy
import math

import numpy as np
import pytest

from litedse import presets
from litedse.inputs.instance import instance_from_dict, read_instance_toml, serving_pools
from litedse.solve import solve_instance
from litedse.tech.sku import catalog_sku
from litedse.workload import calibration, inference, stack
from litedse.workload.lengths import LengthMix
from litedse.workload.models import resolve_model
from litedse.workload.performance import evaluate_columns
from litedse.workload.spec import LengthClass, WorkloadSpec

PERF = presets.performance()[0]
LLAMA70 = resolve_model("llama3-70b", "w")


def _columns(n, **m):
    base = {"tp": 1, "pp": 1, "dp": 1, "ep": 1, "batch": 1, "microbatch": 1}
    base.update(m)
    return {k: np.broadcast_to(np.asarray(v), (n,)).copy() for k, v in base.items()}


def _run(sku, w, perf=PERF, **m):
    n = max(np.size(v) for v in m.values()) if m else 1
    table = {k: np.repeat(v, n) for k, v in catalog_sku(sku).items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        return evaluate_columns(table, _columns(n, **m), w, resolve_model(w.model, w.name), perf)


def _with(perf, *path_value):
    """A copy of ``perf`` with ``stack`` values replaced: (("kv_cache", "bytes_fp8"), 2.0), ..."""
    perf = copy.deepcopy(perf)
    for path, value in path_value:
        node = perf["stack"]
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return perf


def _serving(**kw):
    args = dict(name="llama3-70b", kind="serving", precision="fp8", input_tokens=2048, output_tokens=2048,
                demand_requests_per_s=1.0)
    args.update(kw)
    return WorkloadSpec(**args)


def test_every_shipped_stack_loads_and_the_default_is_current():
    assert set(presets.available("serving")) >= {"trtllm-2023", "trtllm-2025", "vllm-2025"}
    assert PERF["serving_stack"] == "trtllm-2025" and PERF["stack"]["batching"]["mode"] == "inflight"
    for name in presets.available("serving"):
        values, sources = presets.load("serving", name)
        assert stack.efficiency_entry({"stack": values}, "unknown-arch", "fp8")[0] == "default"
        assert all(isinstance(s, str) and s for s in sources["kv_cache"].values())


def test_fp8_kv_doubles_the_sequences_that_fit():
    """Memory-bound case, Llama 3 70B FP8 at TP 4 on H100, 2048/2048, no SLO: 70.55 GB / 4 of weights
    per package leave (80 - 3 - 17.64) x 0.9 GB of pool; a sequence reserves 4096 tokens of
    80 layers x 2 x 8 heads x 128 x bytes / 4 ranks."""
    w = _serving()
    pool = (80e9 - 3e9 - LLAMA70.params / 4) * 0.9
    fp8 = _run("h100", w, tp=4, batch=4096)["batch"][0]
    b16 = _run("h100", w, _with(PERF, (("kv_cache", "bytes_fp8"), 2.0)), tp=4, batch=4096)["batch"][0]
    assert fp8 == math.floor(pool / (4096 * 80 * 2 * 8 * 128 * 1 / 4))
    assert b16 == math.floor(pool / (4096 * 80 * 2 * 8 * 128 * 2 / 4))
    assert fp8 in (2 * b16, 2 * b16 + 1) and b16 > 100


def test_short_prompts_are_no_longer_bound_by_per_request_prefill_passes():
    """128/128 at batch 256: with each prefill its own pass (weights streamed again, fixed per-layer
    cost), the prefills take more than the decode steps; in-flight batching carries the 256 prompt
    tokens per iteration in the decode pass, which streams the weights once anyway."""
    w = _serving(input_tokens=128, output_tokens=128)
    inflight = _run("h100", w, tp=4, batch=256)
    separate = _run("h100", w, _with(PERF, (("batching", "mode"), "separate_prefill")), tp=4, batch=256)
    assert inflight["batch"][0] == 256
    hw = inference.Hw(catalog_sku("h100"), "fp8", PERF)
    m = _columns(1, tp=4)
    step = inference.decode_step(hw, m, LLAMA70, PERF, "fp8", np.array([256.0]), 128 + 64.0)
    decode_only = step["step_s"][0]
    # the prompt tokens add only their own GEMM and attention FLOPs and their share of the TP
    # all-reduces: no weight streaming, no fixed cost per pass
    eff = stack.efficiency_entry(PERF, "hopper", "fp8")[1]["compute_prefill"] * (8192 / 4) / (8192 / 4 + 335.0)
    peak = catalog_sku("h100")["peak_tflops_fp8"][0] * 1e12
    prompt_flops = (2 * LLAMA70.matmul_active_params_per_token * 256
                    + 4 * LLAMA70.attention_width * 64 * 256 * 80) / 4
    extra_tp = inflight["t_tp_s"][0] - step["t_tp_s"][0]
    assert 0 < extra_tp < step["t_tp_s"][0]
    assert inflight["tpot_s"][0] - decode_only == pytest.approx(prompt_flops / (peak * eff) + extra_tp, rel=0.02)
    assert separate["tpot_s"][0] > 2.0 * decode_only                     # cycle / s_out: prefill passes dominate
    assert inflight["tokens_per_s"][0] > 1.8 * separate["tokens_per_s"][0]


def test_gqa_read_once_and_reread_differ_by_the_hand_computed_bytes():
    """Llama 3 8B BF16, batch 1, TP 1 on H100 at context c: the re-read kernel reads each KV head's
    K/V once per query head of its group of 4, a fraction f of the 3 extra reads missing cache:
    extra time = c x 32 layers x (2 x 8 x 128) x 2 B x 3 f / (HBM B/s x efficiency)."""
    w = WorkloadSpec(name="llama3-8b", kind="decode", input_tokens=4096, output_tokens=2, demand_tokens_per_s=1.0)
    f = 0.5
    once = _run("h100", w, batch=1)
    reread = _run("h100", w, _with(PERF, (("attention", "gqa_kv"), "reread"),
                                   (("attention", "gqa_kv_reread_fraction"), f)), batch=1)
    c = 4096 + 1
    bw = 3350e9 * stack.efficiency_entry(PERF, "hopper", "bf16")[1]["hbm"]
    extra = c * 32 * (2 * 8 * 128) * 2.0 * 3 * f / bw
    assert reread["t_memory_s"][0] - once["t_memory_s"][0] == pytest.approx(extra, rel=1e-9)
    assert reread["tpot_s"][0] - once["tpot_s"][0] == pytest.approx(extra, rel=1e-9)


def test_batch_is_the_largest_integer_meeting_the_tpot_limit():
    w = _serving(input_tokens=1024, output_tokens=256)
    t100 = _run("h100", w, tp=4, batch=100)["tpot_s"][0]
    out = _run("h100", _serving(input_tokens=1024, output_tokens=256, tpot_s=float(t100)), tp=4, batch=2048)
    assert out["batch"][0] == 100 and out["tpot_s"][0] == pytest.approx(t100, rel=1e-12)
    assert _run("h100", w, tp=4, batch=101)["tpot_s"][0] > t100
    # a limit no single sequence meets leaves the column empty, reported as missing its SLO
    none = _run("h100", _serving(tpot_s=1e-4), tp=4, batch=2048)
    assert none["batch"][0] == 0 and none["tokens_per_s"][0] == 0 and not none["slo_ok"][0]


def test_length_mix_by_hand():
    """Classes (1000 in, 100 out, weight 3) and (100 in, 1000 out, weight 1): per request 775 in,
    325 out; a batch slot holds the classes as 3 x 100 : 1 x 1000, so its mean decode context is
    (75 x 1050 + 250 x 600) / 325 and its full reservation (75 x 1100 + 250 x 1100) / 325."""
    w = _serving(input_tokens=None, output_tokens=None, length_mix=[
        LengthClass(input_tokens=1000, output_tokens=100, weight=3.0),
        LengthClass(input_tokens=100, output_tokens=1000, weight=1.0)])
    mix = LengthMix.of(w)
    assert mix.mean_input == pytest.approx(775) and mix.mean_output == pytest.approx(325)
    assert mix.decode_context() == pytest.approx((75 * 1050 + 250 * 600) / 325)
    assert mix.reserved_tokens(True) == pytest.approx(1100)
    assert mix.reserved_tokens(False) == pytest.approx((75 * 1050 + 250 * 600) / 325)
    assert mix.max_input == 1000
    out = _run("h100", w, tp=4, batch=2048)
    assert out["requests_per_s"][0] == pytest.approx(out["tokens_per_s"][0] / 325)
    one = _run("h100", _serving(input_tokens=None, output_tokens=None,
                                length_mix=[LengthClass(input_tokens=700, output_tokens=300)]), tp=4, batch=2048)
    plain = _run("h100", _serving(input_tokens=700, output_tokens=300), tp=4, batch=2048)
    for key in ("batch", "tokens_per_s", "tpot_s", "ttft_s", "memory_gb_per_package"):
        assert one[key][0] == pytest.approx(plain[key][0], rel=1e-12), key


def test_a_disaggregated_workload_is_two_pools_at_its_request_rate():
    w = _serving(input_tokens=4096, output_tokens=512, ttft_s=2.0, tpot_s=0.03, demand_requests_per_s=None,
                 demand_tokens_per_s=51200.0, serving_mode="disaggregated")
    pre, dec = serving_pools([w])
    assert (pre.name, pre.kind, pre.disaggregated_pool) == ("llama3-70b.prefill", "prefill", "prefill")
    assert (dec.name, dec.kind, dec.disaggregated_pool) == ("llama3-70b.decode", "decode", "decode")
    assert pre.demand_requests_per_s == dec.demand_requests_per_s == pytest.approx(100.0)
    assert (pre.ttft_s, pre.tpot_s, dec.ttft_s, dec.tpot_s) == (2.0, None, None, 0.03)
    out = _run("h100", pre, tp=4, batch=2048)
    assert out["t_kv_transfer_s"][0] > 0 and out["ttft_s"][0] > out["t_kv_transfer_s"][0]


def _disaggregated_instance():
    d = read_instance_toml("instances/llama3-70b-serving.toml")
    d["design_space"] = {"die_area_mm2": [600.0], "dies_per_package": [1, 1], "hbm_stacks": [1, 6],
                         "hbm": ["hbm3e-12hi"], "links": [0], "interconnect": ["electrical"], "clock": [1.0],
                         "max_designs": 2}
    d["workload"] = [{"name": "chat", "model": "llama3-8b", "kind": "serving", "precision": "fp8",
                      "input_tokens": 4096, "output_tokens": 512, "ttft_s": 2.0, "tpot_s": 0.03,
                      "demand_requests_per_s": 200, "serving_mode": "disaggregated"}]
    return instance_from_dict(d)


def test_disaggregated_pools_pick_different_skus_and_milp_equals_enumerate():
    """Prefill is compute bound (one HBM stack is the cheapest per request/s), decode bandwidth and
    KV bound (six stacks): with two die designs allowed each pool gets its own SKU."""
    inst = _disaggregated_instance()
    assert [w.name for w in inst.workloads] == ["chat.prefill", "chat.decode"]
    results = {m: solve_instance(inst, method=m, threads=1) for m in ("milp", "enumerate")}
    for r in results.values():
        p, s = r.problem, r.solution
        stacks = p.sku_table["hbm_stacks"].to_numpy()[p.col_sku[s.column]]
        assert s.status == "optimal" and list(stacks) == [1, 6]
    assert results["milp"].solution.objective_value == pytest.approx(
        results["enumerate"].solution.objective_value, rel=1e-9)


def test_serving_calibration_on_current_engines():
    """Issue 12's bar: >= 30 rows over >= 3 models and 3 GPU architectures; mean absolute error
    within 15% on the rows fitted and 20% on the rows kept out; training rows within 10%."""
    rows = calibration.serving_rows()
    errors = calibration.serving_errors(rows, PERF)
    fitted = np.array([r.fitted for r in rows])
    assert len(rows) >= 30 and fitted.sum() >= 30 and (~fitted).sum() >= 30
    assert len({r.model for r in rows}) >= 3
    assert {catalog_sku(r.sku)["architecture"][0] for r in rows} >= {"ampere", "hopper", "blackwell"}
    assert np.mean(np.abs(errors[fitted])) <= 0.15
    assert np.mean(np.abs(errors[~fitted])) <= 0.20
    for row in calibration.ROWS:
        if row.kind == "training":
            assert abs(calibration.predict(row, PERF) / row.measured - 1.0) <= 0.10, row.label


def test_chosen_batch_is_the_largest_meeting_the_slos_on_random_designs():
    """Against brute force: on 300 random (SKU, mapping) columns with both limits, the chosen
    batch meets both and one more sequence misses one (or the batch is at its KV/pass cap)."""
    from litedse.tech.sku import evaluate_skus

    rng = np.random.default_rng(7)
    n = 300
    design = dict(die_area_mm2=rng.uniform(150, 850, n), dies_per_package=rng.integers(1, 3, n),
                  hbm_stacks=rng.integers(1, 9, n), hbm=rng.choice(["hbm3", "hbm3e-12hi"], n),
                  links=rng.integers(4, 33, n), interconnect=rng.choice(["cpo", "electrical"], n),
                  clock=rng.choice([0.8, 1.0], n))
    skus = {k: v for k, v in evaluate_skus(design, presets.technology()[0]).items()
            if isinstance(v, np.ndarray) and v.dtype != object}
    w = _serving(input_tokens=2048, output_tokens=256, ttft_s=0.5, tpot_s=0.04)
    m = _columns(n, tp=rng.choice([1, 2, 4, 8], n), pp=rng.choice([1, 2], n), batch=2048)
    plain = _serving(input_tokens=2048, output_tokens=256)          # the same without limits
    with np.errstate(divide="ignore", invalid="ignore"):
        out = evaluate_columns(skus, m, w, LLAMA70, PERF)
        free = evaluate_columns(skus, m, plain, LLAMA70, PERF)
        b = out["batch"]
        ok = b >= 1
        at = evaluate_columns(skus, {**m, "batch": np.maximum(b, 1)}, plain, LLAMA70, PERF)
        above = evaluate_columns(skus, {**m, "batch": b + 1}, plain, LLAMA70, PERF)
        one = evaluate_columns(skus, {**m, "batch": np.ones(n)}, plain, LLAMA70, PERF)
    meets = lambda r: (r["tpot_s"] <= 0.04) & (r["ttft_s"] <= 0.5)  # noqa: E731
    assert ok.sum() > 50 and (~ok).sum() > 10
    assert np.all(at["batch"][ok] == b[ok]) and np.all(meets(at)[ok])
    grows = ok & (above["batch"] == b + 1)             # one more sequence fits the KV pool and the pass
    assert grows.sum() > 50 and not np.any(meets(above)[grows])
    fits_one = ~ok & (free["batch"] >= 1)
    assert fits_one.any() and not np.any(meets(one)[fits_one])
