"""Performance and memory model: hand-computed small cases, memory edges, the electrical scale-up
cliff, monotonicity, reliability and bad mappings."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litedse import presets
from litedse.errors import InputError
from litedse.tech.sku import catalog_sku, evaluate_skus
from litedse.workload import comm, stack, training
from litedse.workload.models import resolve_model
from litedse.workload.performance import MAPPING_KEYS, candidate_mappings, check_mapping_value, evaluate_columns
from litedse.workload.spec import MappingRange, WorkloadSpec

PERF = presets.performance()[0]


def mapping(n=1, **kw):
    base = dict(tp=1, pp=1, dp=1, ep=1, batch=1, microbatch=1)
    base.update(kw)
    return {k: np.broadcast_to(np.asarray(v), (n,)).astype(np.int64) for k, v in base.items()}


def tile(sku, n):
    return {k: np.repeat(v, n) for k, v in sku.items()}


def serving(name="llama3-70b", **kw):
    args = dict(name=name, kind="serving", input_tokens=512, output_tokens=128, demand_requests_per_s=1.0)
    args.update(kw)
    return WorkloadSpec(**args)


def run(sku_name, w, **m):
    n = max(np.size(v) for v in m.values()) if m else 1
    return evaluate_columns(tile(catalog_sku(sku_name), n), mapping(n, **m), w, resolve_model(w.model, w.name), PERF)


# --- collectives by hand ------------------------------------------------------------------------
def test_ring_allreduce_by_hand():
    # 1 GB over 8 packages at 100 GB/s, 1 us per step: 2*7/8 * 1e9/1e11 + 14 * 1e-6
    assert comm.allreduce_s(1e9, 8, 1e11, 1e-6) == pytest.approx(0.0175 + 14e-6)
    assert comm.allreduce_s(1e9, 1, 1e11, 1e-6) == 0.0
    # a 1 kB message over 64 packages is latency bound: the tree's 2 log2(64) = 12 steps beat the
    # ring's 126
    assert comm.allreduce_s(1e3, 64, 1e11, 1e-6) == pytest.approx(2e3 / 1e11 + 12e-6)
    assert comm.allgather_s(1e9, 4, 1e11, 0.0) == pytest.approx(0.75e9 / 1e11)


def test_group_beyond_electrical_domain_uses_scaleout_link():
    h100 = catalog_sku("h100")
    bw8, lat8 = comm.link(h100, np.array([8]), PERF)
    bw16, lat16 = comm.link(h100, np.array([16]), PERF)
    assert bw8[0] == pytest.approx(450e9 * PERF["efficiency"]["scaleup_network"])
    assert bw16[0] == pytest.approx(50e9 * PERF["efficiency"]["scaleout_network"])
    assert lat16[0] > lat8[0]


def _cpo_sku():
    # 5 CPO links of 100 GB/s: 500 GB/s per direction, the same order as the H100's NVLink
    return evaluate_skus(dict(die_area_mm2=814.0, dies_per_package=1, hbm_stacks=5, hbm="hbm3", links=5,
                              interconnect="cpo", clock=1.0))


def test_electrical_cliff_and_none_on_cpo_prefill():
    """TP 16 crosses the 8-package NVLink domain: on the electrical H100 an 8k-token prefill is slower
    at TP 16 than at TP 8 although TP 16 has twice the compute; on a CPO SKU (one domain spans the
    cluster) TP 16 is faster than TP 8."""
    w = WorkloadSpec(name="llama3-70b", kind="prefill", input_tokens=8192, demand_tokens_per_s=1.0)
    model = resolve_model(w.model, w.name)
    for sku, cliff in ((catalog_sku("h100"), True), (_cpo_sku(), False)):
        out = evaluate_columns(tile(sku, 2), mapping(2, tp=[8, 16], batch=8), w, model, PERF)
        t8, t16 = out["ttft_s"]
        assert (t16 > t8) == cliff, (cliff, t8, t16)


def test_electrical_cliff_in_decode():
    """Decode at TP 16 against TP 8: on the electrical H100 the TP group leaves the NVLink domain
    and the step gets slower (all-reduces more than double); on CPO there is no cliff: the
    all-reduces grow only from 6 to 8 tree steps and the step stays within 2%."""
    w = WorkloadSpec(name="llama3-70b", kind="decode", input_tokens=2048, output_tokens=128, demand_tokens_per_s=1.0)
    model = resolve_model(w.model, w.name)
    for sku, cliff in ((catalog_sku("h100"), True), (_cpo_sku(), False)):
        out = evaluate_columns(tile(sku, 2), mapping(2, tp=[8, 16], batch=64), w, model, PERF)
        t8, t16 = out["tpot_s"]
        ratio = out["t_tp_s"][1] / out["t_tp_s"][0]
        if cliff:
            assert t16 > t8 and ratio > 2.0, (t8, t16, ratio)
        else:   # GQA K/V read once: 8 KV heads are not split further at TP 16, so only the weights shrink
            assert abs(t16 / t8 - 1.0) < 0.02 and ratio < 8 / 6 + 0.05, (t8, t16, ratio)


# --- memory edges ---------------------------------------------------------------------------------
def test_llama3_70b_bf16_needs_two_80gb_packages():
    out = run("h100", serving(input_tokens=128, output_tokens=128), tp=[1, 2], batch=1)
    weights_gb = 70_552_387_584 * 2 / 1e9                     # 141.1 GB of bf16 weights
    assert not out["fits"][0] and out["fits"][1]
    assert out["memory_gb_per_package"][0] > weights_gb
    assert out["memory_overflow_gb"][0] == pytest.approx(out["memory_gb_per_package"][0] - 80.0)
    kv_gb = 256 * 80 * 2 * 8 * 128 * 2 / 1e9                   # 256 tokens of KV cache
    expected_tp2 = (weights_gb / 2 + kv_gb / 2 + PERF["memory"]["runtime_reserve_gb"])
    assert out["memory_gb_per_package"][1] == pytest.approx(expected_tp2, rel=1e-9)
    assert out["memory_overflow_gb"][1] == 0.0


def test_kv_cache_fills_memory_at_large_batch():
    """2023 stack: a given batch of 256 overflows; in-flight batching instead takes the largest batch
    the KV pool holds. Llama 3 70B BF16 at TP 2 on 80 GB: 70.55 GB of weights per package leave
    (80 - 3 - 70.55) x 0.9 GB of pool; a sequence of 4096 + 4096 tokens reserves 8192 x 163,840 B."""
    w = serving(input_tokens=4096, output_tokens=4096)
    old = evaluate_columns(tile(catalog_sku("h100"), 2), mapping(2, tp=2, batch=[1, 256]), w,
                           resolve_model(w.model, w.name), presets.performance(stack="trtllm-2023")[0])
    assert old["fits"][0] and not old["fits"][1]
    out = run("h100", w, tp=2, batch=256)
    a = resolve_model("llama3-70b", "w")
    pool = (80e9 - 3e9 - a.params * 2 / 2) * PERF["stack"]["kv_cache"]["pool_fraction"]
    assert out["batch"][0] == math.floor(pool / (8192 * 80 * 2 * 8 * 128 * 2 / 2)) == 4
    assert out["fits"][0] and out["memory_gb_per_package"][0] <= 80.0


def test_training_overflow_reports_how_much():
    w = WorkloadSpec(name="llama3-70b", kind="training", sequence_length=4096, global_batch=64,
                     recompute="full", zero_stage=0, demand_tokens_per_s=1.0)
    out = run("h100", w, batch=64)
    states_gb = 70_552_387_584 * 16 / 1e9                      # 16 bytes/param mixed-precision Adam
    assert out["memory_gb_per_package"][0] > states_gb
    assert not out["fits"][0]
    assert out["memory_overflow_gb"][0] == pytest.approx(out["memory_gb_per_package"][0] - 80.0)
    # TP 8 x PP 8 splits the 16 bytes/param of weights, gradients and optimizer states 64 ways
    out_z = run("h100", w.model_copy(update={"zero_stage": 1}), tp=8, pp=8, dp=1, batch=64)
    assert out_z["memory_gb_per_package"][0] < out["memory_gb_per_package"][0] / 10


@pytest.mark.parametrize("model,sp_rel,sel_rel,seqsel_rel,full_rel", [
    ("korthikanti-22b", 0.6684, 0.4942, 0.1618, 0.0764),
    ("korthikanti-175b", 0.6204, 0.5653, 0.1849, 0.0871),
    ("korthikanti-530b", 0.5831, 0.6204, 0.2027, 0.0942),
])
def test_activation_memory_relative_to_tp_baseline(model, sp_rel, sel_rel, seqsel_rel, full_rel):
    """Korthikanti et al. 2022 Fig. 7 as encoded in calculon/llm/validation.py (secondary source)."""
    a = resolve_model(model, "w")
    base = training.activation_bytes_per_layer(a, 1, 2048, 8, "none", False)
    rel = lambda rc, sp: training.activation_bytes_per_layer(a, 1, 2048, 8, rc, sp) / base  # noqa: E731
    assert rel("none", True) == pytest.approx(sp_rel, abs=0.005)
    assert rel("selective", False) == pytest.approx(sel_rel, abs=0.005)
    assert rel("selective", True) == pytest.approx(seqsel_rel, abs=0.005)
    assert rel("full", False) == pytest.approx(full_rel, abs=0.005)


# --- training counting --------------------------------------------------------------------------------
def test_mfu_uses_korthikanti_model_flops_and_recompute_counts_in_achieved_tflops():
    """Korthikanti Table 5, 175B selective + SP: 13.75 s per iteration is MFU 51.4% on 64 A100s."""
    w = WorkloadSpec(name="korthikanti-175b", kind="training", sequence_length=2048, global_batch=64,
                     recompute="selective", demand_tokens_per_s=1.0)
    out = run("a100", w, tp=8, pp=8, batch=64)
    assert out["model_flops"][0] / (13.75 * 64 * 312e12) == pytest.approx(0.514, abs=0.003)
    assert out["mfu"][0] == pytest.approx(out["model_flops"][0] / (out["iteration_s"][0] * 64 * 312.0012e12))
    full = run("a100", w.model_copy(update={"recompute": "full", "sequence_parallel": False}), tp=8, pp=8, batch=64)
    ratio = full["hardware_flops"][0] / full["model_flops"][0]
    a = resolve_model("korthikanti-175b", "w")
    s, h, V, L = 2048, 12288, 51200, 96
    # full recompute adds one forward of the layers (no LM head): 24 B L s h^2 (1 + s/6h)
    expected = 1 + (24 * L * s * h**2 * (1 + s / (6 * h))) / (72 * L * s * h**2 * (1 + s / (6 * h) + V / (12 * h * L)))
    assert ratio == pytest.approx(expected, rel=1e-9)
    assert a.layers == L


def test_dp_adds_gradient_allreduce_and_bubble_formula():
    w = WorkloadSpec(name="korthikanti-22b", kind="training", sequence_length=2048, global_batch=16,
                     demand_tokens_per_s=1.0)
    out = run("a100", w, tp=8, pp=[1, 4, 1], dp=[1, 1, 2], batch=16, microbatch=1)
    assert out["t_dp_s"][0] == 0 and out["t_dp_s"][2] > 0
    stage = (out["t_compute_s"][1] + out["t_memory_s"][1] + out["t_tp_s"][1]) / 16   # one microbatch
    # 48 layers / (4 x 3) and 16 microbatches divisible by 4: interleaved, bubble (p-1)/(v m) of m stages
    assert out["t_bubble_s"][1] == pytest.approx(3 / 3 * stage, rel=1e-9)


# --- monotonicity -------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(scale=st.floats(1.0, 4.0), tp=st.sampled_from([1, 2, 4, 8]), batch=st.sampled_from([1, 16, 128]),
       ctx=st.integers(128, 8192))
def test_more_hbm_bandwidth_never_slows_decode(scale, tp, batch, ctx):
    w = WorkloadSpec(name="llama3-8b", kind="decode", input_tokens=ctx, output_tokens=64, demand_tokens_per_s=1.0)
    sku = catalog_sku("h100")
    faster = dict(sku, hbm_bandwidth_gb_s=sku["hbm_bandwidth_gb_s"] * scale)
    m, a = mapping(1, tp=tp, batch=batch), resolve_model("llama3-8b", "w")
    assert evaluate_columns(faster, m, w, a, PERF)["tpot_s"][0] <= evaluate_columns(sku, m, w, a, PERF)["tpot_s"][0]


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(1.0, 4.0), tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2, 4]),
       batch=st.sampled_from([1, 8, 64]), prompt=st.integers(16, 8192))
def test_more_flops_never_slows_prefill(scale, tp, pp, batch, prompt):
    w = WorkloadSpec(name="llama3-70b", kind="prefill", input_tokens=prompt, demand_tokens_per_s=1.0)
    sku = catalog_sku("h200")
    faster = dict(sku, peak_tflops_bf16=sku["peak_tflops_bf16"] * scale)
    m, a = mapping(1, tp=tp, pp=pp, batch=batch), resolve_model("llama3-70b", "w")
    slow, fast = evaluate_columns(sku, m, w, a, PERF), evaluate_columns(faster, m, w, a, PERF)
    assert fast["ttft_s"][0] <= slow["ttft_s"][0]
    assert fast["tokens_per_s"][0] >= slow["tokens_per_s"][0]


# --- serving modes, SLOs, precision -----------------------------------------------------------------
def test_separate_prefill_modes_and_slo():
    """The 2023 stack: a given batch, each prefill its own pass; SLOs filter columns."""
    perf = presets.performance(stack="trtllm-2023")[0]
    w = serving(ttft_s=10.0, tpot_s=0.001)
    agg = evaluate_columns(tile(catalog_sku("h100"), 2), mapping(2, tp=4, batch=[1, 64]), w,
                           resolve_model(w.model, w.name), perf)
    assert agg["tokens_per_s"][1] > agg["tokens_per_s"][0]                # batching raises throughput
    assert agg["tpot_s"][1] > agg["tpot_s"][0]                            # ... and the time per token
    assert not agg["slo_ok"].any()                                         # 1 ms TPOT is impossible
    assert agg["tokens_per_s"][1] == pytest.approx(agg["requests_per_s"][1] * 128)
    assert math.isnan(agg["iteration_s"][0])


def test_fp8_on_a100_is_infeasible_not_silently_bf16():
    out = run("a100", serving(precision="fp8"), tp=4, batch=8)
    assert not out["precision_supported"][0] and out["tokens_per_s"][0] == 0 and not out["slo_ok"][0]


def test_availability_by_hand():
    out = run("h100", serving(), tp=8, batch=8)
    f = catalog_sku("h100")["failures_per_year"][0]
    x = f * 8 * PERF["reliability"]["repair_hours"] / 8760
    assert out["availability"][0] == pytest.approx(1 / (1 + x))


def test_training_goodput_at_llama3_scale():
    """Llama 3 paper s.3.3.4: 16,384 H100s, effective training time above 90% with 419 unexpected
    interruptions in 54 days. Young/Daly with the default restart and checkpoint costs lands near."""
    w = WorkloadSpec(name="llama3-405b", kind="training", sequence_length=8192, global_batch=2048,
                     demand_tokens_per_s=1.0)
    out = run("h100", w, tp=8, pp=16, dp=128, batch=2048, microbatch=1)
    assert out["packages"][0] == 16384
    assert 0.8 < out["availability"][0] < 0.95


# --- mappings ---------------------------------------------------------------------------------------
def test_default_mappings_are_valid_and_modest():
    for w in (serving(), serving(name="mixtral-8x7b"), serving(name="deepseek-v3"),
              WorkloadSpec(name="gpt3-175b", kind="training", sequence_length=2048, global_batch=1536,
                           demand_tokens_per_s=1.0)):
        a = resolve_model(w.model, w.name)
        maps = candidate_mappings(w, a, PERF, 4096)
        n = len(maps["tp"])
        assert 0 < n <= PERF["mapping"]["max_mappings"]
        assert all(len(maps[k]) == n for k in MAPPING_KEYS)
        assert (a.heads % maps["tp"] == 0).all() and (maps["pp"] <= a.layers).all()
        if w.kind == "training":
            assert (maps["tp"] * maps["pp"] * maps["dp"] <= 4096).all()
            assert (w.global_batch % (maps["dp"] * maps["microbatch"]) == 0).all()
        else:
            assert (maps["dp"] == 1).all()
            assert (a.experts % maps["ep"] == 0).all()


@pytest.mark.parametrize("key,value", [("tp", 3), ("tp", 128), ("pp", 81), ("ep", 2), ("tp", 0), ("pp", -1)])
def test_bad_mappings_raise_input_error(key, value):
    w = serving()
    a = resolve_model("llama3-70b", "w")
    with pytest.raises(InputError) as err:
        check_mapping_value(w, a, key, value)
    assert f"mapping.{key}" in err.value.key
    if value > 0:
        with pytest.raises(InputError):
            candidate_mappings(w.model_copy(update={"mapping": MappingRange(**{key: [value]})}), a, PERF, 4096)


def test_global_batch_beyond_statistical_bound_is_an_input_error():
    w = WorkloadSpec(name="llama3-8b", kind="training", sequence_length=8192, global_batch=4096,
                     demand_tokens_per_s=1.0)              # 33.5M tokens > 16.8M (Llama 3's largest batch)
    with pytest.raises(InputError) as err:
        candidate_mappings(w, resolve_model("llama3-8b", "w"), PERF, 4096)
    assert "global_batch" in err.value.key and "2048" in str(err.value)


def test_decode_step_by_hand_memory_bound():
    """Llama 3 8B, bf16, batch 1 on one H100 at 1,024 tokens of context: the step streams the
    weights (less the input embedding, a lookup) and the KV cache from HBM."""
    w = WorkloadSpec(name="llama3-8b", kind="decode", input_tokens=1024, output_tokens=2, demand_tokens_per_s=1.0)
    out = run("h100", w, batch=1)
    hbm = 3350e9 * stack.efficiency_entry(PERF, "hopper", "bf16")[1]["hbm"]
    params = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336) + 2 * 128256 * 4096
    assert params == 8_029_995_008                                     # model card 8.03B incl. norms
    weights = (params - 128256 * 4096) * 2.0                           # bytes streamed per step
    context = 1024 + 2 / 2
    reread = stack.gqa_reread(PERF, 32 / 8)                            # 1: the current stack reads once
    kv = context * 32 * (2 * 8 * 128) * 2.0 * reread                   # 32 layers, 8 KV heads of 128
    overhead = PERF["stack"]["overhead"]
    expected = weights / hbm + kv / hbm + 32 * overhead["layer_decode_s"] + overhead["iteration_s"]
    assert out["tpot_s"][0] == pytest.approx(expected, rel=1e-9)
    assert out["t_compute_s"][0] == 0.0 and out["t_tp_s"][0] == 0.0


def test_static_batch_throughput_identity():
    """The calibration tables' definition: output tok/s = batch * OSL / (prefill + OSL * step)."""
    w = serving(batching="static", input_tokens=2048, output_tokens=128)
    out = run("h200", w, tp=[1, 2, 4], batch=64)
    assert out["tokens_per_s"] == pytest.approx(64 * 128 / (out["ttft_s"] + 128 * out["tpot_s"]))


def test_interleaving_rule():
    t = lambda name, pp, micro: int(training.interleave(resolve_model(name, "w"), np.array([pp]),  # noqa: E731
                                                        np.array([micro]), PERF)[0])
    assert t("korthikanti-175b", 8, 64) == 3          # C1: 175B interleaved, 3 stages per device
    assert t("korthikanti-530b", 35, 280) == 3        # C1: 530B, 105 layers = 35 x 3 chunks of one layer
    assert t("korthikanti-1t", 64, 512) == 1          # 128 layers cannot give 64 devices 3 chunks each
    assert t("korthikanti-175b", 8, 60) == 1          # microbatches not a multiple of pp
    assert t("korthikanti-175b", 1, 64) == 1


def test_korthikanti_530b_needs_activation_recompute():
    """Korthikanti et al. 2022 Fig. 1: with plain tensor + pipeline parallelism the 530B and 1T
    activations exceed the 80 GB A100; selective recompute + sequence parallelism fits them."""
    for name, pp, gb in (("korthikanti-530b", 35, 280), ("korthikanti-1t", 64, 512)):
        w = WorkloadSpec(name=name, kind="training", sequence_length=2048, global_batch=gb, recompute="none",
                         sequence_parallel=False, demand_tokens_per_s=1.0)
        plain = run("a100", w, tp=8, pp=pp, batch=gb)
        sel = run("a100", w.model_copy(update={"recompute": "selective", "sequence_parallel": True}),
                  tp=8, pp=pp, batch=gb)
        assert not plain["fits"][0] and sel["fits"][0]


def test_alltoall_by_hand():
    # large message: pairwise, 7/8 of 8 MB leaves the package, 7 messages
    assert comm.alltoall_s(8e6, 8, 1e10, 1e-5) == pytest.approx(7e6 / 1e10 + 7e-5)
    # small message over 64: Bruck, 6 steps each forwarding half of 1 kB
    assert comm.alltoall_s(1e3, 64, 1e10, 1e-5) == pytest.approx(6 * (500 / 1e10 + 1e-5))


def test_moe_memory_and_expert_streaming_by_hand():
    """Mixtral 8x7B: EP shards the routed experts; a batch-1 decode step reads the 2 routed experts
    of 8 it uses (fraction 1 - (1 - 2/8)^1 = 1/4), a batch-64 step nearly all of them."""
    a = resolve_model("mixtral-8x7b", "w")
    w = WorkloadSpec(name="mixtral-8x7b", kind="decode", input_tokens=1, output_tokens=2, demand_tokens_per_s=1.0)
    out = run("h200", w, ep=[1, 4], batch=[1, 64])
    dense = a.params - a.expert_params_total
    kv_gb = 64 * 3 * a.kv_bytes_per_token(2.0) / 1e9
    reserve = PERF["memory"]["runtime_reserve_gb"]
    assert out["memory_gb_per_package"][0] == pytest.approx((dense + a.expert_params_total) * 2 / 1e9
                                                           + 1 * 3 * a.kv_bytes_per_token(2.0) / 1e9 + reserve)
    assert out["memory_gb_per_package"][1] == pytest.approx((dense + a.expert_params_total / 4) * 2 / 1e9
                                                           + kv_gb / 4 + reserve)
    hbm = 4800e9 * stack.efficiency_entry(PERF, "hopper", "bf16")[1]["hbm"]
    streamed = (dense - a.vocab * a.hidden + a.expert_params_total / 4) * 2     # batch 1: a quarter
    assert out["t_memory_s"][0] == pytest.approx(streamed / hbm, rel=0.01)      # KV of 2 tokens aside
