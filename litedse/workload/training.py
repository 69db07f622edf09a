"""Training iteration time (Megatron-LM 3D parallelism) and FLOP counts, vectorised over columns.

One column is one whole job: tp x pp x dp packages, global batch ``batch`` sequences split into
m = batch / (dp * microbatch) microbatches per pipeline. Per microbatch and stage: GEMM FLOPs at a
calibrated efficiency, memory-bound element-wise kernels, TP all-reduces (two per layer per
pass; sequence parallelism swaps each for a reduce-scatter + all-gather of equal cost), EP
all-to-alls; then the pipeline bubble (p-1)/(v m), PP hand-offs and the exposed part of the DP
gradient all-reduce. Equations: formulations/performance.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from litedse.workload import comm
from litedse.workload.inference import Hw, gemm_efficiency, params_per_package
from litedse.workload.models import ModelArch


def interleave(model: ModelArch, pp, micro, perf: dict):
    """Stages per device v: the preset's value where every device gets v model chunks of at least
    one layer (uneven splits allowed, as Llama 3 did for 126 layers over 16 stages) and the
    microbatch count is a multiple of pp (Megatron's schedule requirement), else 1."""
    v = int(perf["training"]["interleave_stages"])
    ok = (pp > 1) & (model.layers >= pp * v) & (np.mod(micro, pp) == 0)
    return np.where(ok, v, 1)


def flops_per_microbatch(model: ModelArch, b, s: int, recompute: str):
    """(model FLOPs, hardware FLOPs) of one microbatch of b sequences, forward and backward.
    Model FLOPs as Megatron-LM / Korthikanti count them (72 B L s h^2 (1 + s/6h + V/12hL) for a
    GPT); hardware FLOPs add the recomputed forward (full) or attention core (selective)."""
    model_f = b * model.training_model_flops_per_sequence(s)
    layer_fwd = b * s * (2.0 * (model.matmul_active_params_per_token - model.vocab * model.hidden) / model.layers
                         + 4.0 * model.attention_width * s)
    if recompute == "full":
        extra = model.layers * layer_fwd
    elif recompute == "selective":
        extra = model.layers * b * 4.0 * model.attention_width * s * s
    else:
        extra = 0.0 * b
    return model_f, model_f + extra


def activation_bytes_per_layer(model: ModelArch, b, s: int, tp, recompute: str, sp: bool):
    """Korthikanti et al. 2022 eqs. (1)-(6): activation bytes of one layer for one microbatch
    (16-bit activations, 1-byte dropout masks)."""
    sbh = s * b * model.hidden
    attn = 5.0 * model.heads * s / model.hidden
    if recompute == "full":
        return 2.0 * sbh / (tp if sp else 1)
    if recompute == "selective":
        return sbh * 34.0 / tp if sp else sbh * (10.0 + 24.0 / tp)
    return sbh / tp * (34.0 + attn) if sp else sbh * (10.0 + 24.0 / tp + attn / tp)


def memory_bytes_per_package(model: ModelArch, m: Mapping[str, np.ndarray], s: int, recompute: str, sp: bool,
                             zero: int, perf: dict, micro):
    tp, pp, dp, ep, b = m["tp"], m["pp"], m["dp"], m["ep"], m["microbatch"]
    tr = perf["training"]
    params = params_per_package(model, tp, pp, ep)
    opt = tr["master_weight_bytes"] + tr["optimizer_state_bytes"]
    weights = params * tr["weight_bytes"] / (dp if zero >= 3 else 1)
    grads = params * tr["gradient_bytes"] / (dp if zero >= 2 else 1)
    states = params * opt / (dp if zero >= 1 else 1)
    v = interleave(model, pp, micro, perf)
    # the first stage holds min(m, pp) microbatches of its L/pp layers; interleaving adds (p-1)/(p v)
    in_flight = np.minimum(micro, pp) * (model.layers / pp) * np.where(v > 1, 1.0 + (pp - 1.0) / (pp * v), 1.0)
    act = activation_bytes_per_layer(model, b, s, tp, recompute, sp) * in_flight
    return weights + grads + states + act, act


def iteration(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, s: int, recompute: str,
              sp: bool, zero: int, precision: str) -> dict[str, np.ndarray]:
    tp, pp, dp, ep, gb, b = m["tp"], m["pp"], m["dp"], m["ep"], m["batch"], m["microbatch"]
    eff, tr, ov = perf["efficiency"], perf["training"], perf["overlap"]
    p = perf["precision"][precision]
    micro = gb / (dp * b)
    v = interleave(model, pp, micro, perf)
    model_f, hw_f = flops_per_microbatch(model, b, s, recompute)
    layers_stage = model.layers / pp
    # forward + backward = 3 forward-equivalents of element-wise traffic; full recompute one more
    passes = 4.0 if recompute == "full" else 3.0
    t_comp = hw_f / (tp * pp) / (hw.peak * gemm_efficiency(eff["compute_training"], model, tp, perf))
    hbm_raw = np.asarray(hw.sku["hbm_bandwidth_gb_s"], dtype=float) * 1e9
    elem_bytes = tr["elementwise_bytes_per_sbh"] * s * b * model.hidden / (tp if sp else 1)
    t_elem = layers_stage * passes * elem_bytes / (hbm_raw * eff["elementwise_hbm"])
    bw, lt = comm.link(hw.sku, tp, perf)
    act_msg = s * b * model.hidden * p["comm_bytes"]
    # two all-reduces per layer forward, two backward, two more in a full-recompute forward
    n_ar = 4.0 + (2.0 if recompute == "full" else 0.0)
    t_tp = layers_stage * n_ar * comm.allreduce_s(act_msg, tp, bw, lt) * (1.0 - ov["tp_comm"])
    if model.is_moe:
        bw_e, lt_e = comm.link(hw.sku, tp * ep, perf, "alltoall")
        t_ep = (model.moe_layers / pp) * (n_ar * comm.alltoall_s(act_msg * model.active_experts / tp, ep, bw_e, lt_e)
                                          ) * (1.0 - ov["ep_comm"])
    else:
        t_ep = np.zeros_like(t_tp)
    stage_mb = t_comp + t_elem + t_tp + t_ep
    bubble = (pp - 1.0) / v * stage_mb
    # hand-offs: forward activation and backward gradient per model chunk, scattered over the TP NICs
    bw_p, lt_p = comm.link(hw.sku, tp * pp, perf)
    scatter = tp if tr["pp_scatter_gather"] else 1
    handoff = np.where(pp > 1, comm.p2p_s(act_msg / scatter, bw_p, lt_p), 0.0)
    t_pp = micro * 2.0 * v * handoff * (1.0 - ov["pp_comm"])
    # DP gradient all-reduce (ZeRO 1/2: reduce-scatter + all-gather, same volume; ZeRO 3: 1.5x)
    bw_d, lt_d = comm.link(hw.sku, tp * pp * dp, perf)
    grad_bytes = params_per_package(model, tp, pp, ep) * tr["dp_allreduce_bytes"]
    t_dp = comm.allreduce_s(grad_bytes, dp, bw_d, lt_d) * (1.5 if zero >= 3 else 1.0) * (1.0 - ov["dp_gradient"])
    out = {
        "t_compute_s": micro * t_comp, "t_memory_s": micro * t_elem, "t_tp_s": micro * t_tp,
        "t_ep_s": micro * t_ep, "t_pp_s": t_pp, "t_dp_s": t_dp, "t_bubble_s": bubble,
    }
    it = sum(out.values())
    packages = tp * pp * dp
    out["iteration_s"] = it
    out["model_flops"] = model_f * micro * dp
    out["hardware_flops"] = hw_f * micro * dp
    out["mfu"] = out["model_flops"] / (it * packages * hw.peak)
    out["achieved_tflops_per_package"] = out["hardware_flops"] / (it * packages) / 1e12
    out["tokens_per_s"] = gb * s / it
    out["interleave"] = v
    return out
