"""Inference phases (prefill pass, decode step) and serving modes, vectorised over columns.

A serving **replica** is one model instance: tp x pp x ep packages (EP > 1 only for MoE: attention
is data-parallel over the EP ranks, routed experts are sharded over them) holding ``batch``
concurrent sequences. With PP the batch is split into pp slots that keep every stage busy.
Per-layer costs follow a roofline per kernel family: GEMMs max(FLOPs, weight bytes), attention
max(FLOPs, KV bytes); TP all-reduces, EP all-to-alls, PP hand-offs and a fixed per-layer overhead
are added. Equations: formulations/performance.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from litedse.workload import comm
from litedse.workload.models import ModelArch


class Hw:
    """Per-column hardware figures of a phase (peak FLOP/s at the workload's precision, HBM B/s)."""

    def __init__(self, sku: Mapping[str, np.ndarray], precision: str, perf: dict):
        self.sku = sku
        self.peak = np.asarray(sku[f"peak_tflops_{precision}"], dtype=float) * 1e12
        self.hbm = np.asarray(sku["hbm_bandwidth_gb_s"], dtype=float) * (1e9 * perf["efficiency"]["hbm"])
        self.supported = self.peak > 0
        # an unsupported precision is reported infeasible (tokens_per_s = 0); keep the arithmetic finite
        self.peak = np.where(self.supported, self.peak, 1.0)
        self.perf = perf
        self._links: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def link(self, group: str, span, pattern: str = "ring") -> tuple[np.ndarray, np.ndarray]:
        """``comm.link`` for a named group (tp, tp_ep, replica), computed once per evaluation."""
        if group not in self._links:
            self._links[group] = comm.link(self.sku, span, self.perf, pattern)
        return self._links[group]


def gemm_efficiency(base: float, model: ModelArch, tp, perf: dict):
    """Achieved fraction of peak of the GEMMs of a TP rank: narrow per-rank matrices (hidden / tp)
    fill the machine less well; ``gemm_half_width`` is the width at which half of ``base`` is reached."""
    width = model.hidden / tp
    return base * width / (width + perf["efficiency"]["gemm_half_width"])


def params_per_package(model: ModelArch, tp, pp, ep):
    """Weights a package holds: non-expert weights split tp x pp ways, routed experts tp x pp x ep."""
    dense = model.params - model.expert_params_total
    return dense / (tp * pp) + model.expert_params_total / (tp * pp * ep)


def weight_bytes_per_package(model: ModelArch, tp, pp, ep, wbytes: float):
    return params_per_package(model, tp, pp, ep) * wbytes


def kv_split(model: ModelArch, tp):
    """How many ways one layer's KV cache is divided over a TP group (K/V heads split, never below
    one head per rank; a latent cache is replicated)."""
    return np.minimum(tp, model.kv_heads) if model.standard_kv else np.ones_like(tp)


def kv_bytes_per_package(model: ModelArch, tp, pp, ep, sequences, context, kv_bytes: float):
    return sequences * context * model.kv_bytes_per_token(kv_bytes) / (kv_split(model, tp) * pp * ep)


def _expert_touched_fraction(model: ModelArch, tokens):
    """Expected fraction of a layer's routed experts that at least one of ``tokens`` tokens picks
    (uniform routing)."""
    if not model.is_moe:
        return 1.0
    return 1.0 - (1.0 - model.active_experts / model.experts) ** np.maximum(tokens, 1.0)


def _streamed_weight_bytes(model: ModelArch, tp, pp, ep, tokens, wbytes: float):
    """Weight bytes a package reads from HBM for one pass of ``tokens`` tokens through its stage:
    every GEMM weight except the input embedding (a lookup), routed experts only if a token picks them."""
    dense = model.params - model.expert_params_total - (0 if model.tied_embeddings else model.vocab * model.hidden)
    return (dense / (tp * pp) + model.expert_params_total / (tp * pp * ep)
            * _expert_touched_fraction(model, tokens)) * wbytes


def _stage_comm(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, per_rank, comm_bytes: float):
    """(TP, EP, PP hand-off) times of one pass through a stage with ``per_rank`` tokens per package:
    two TP all-reduces per layer, two EP all-to-alls per MoE layer, one hand-off to the next stage."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    bw, lt = hw.link("tp", tp)
    t_tp = 2.0 * (model.layers / pp) * comm.allreduce_s(per_rank * model.hidden * comm_bytes, tp, bw, lt)
    if model.is_moe:
        bw_e, lt_e = hw.link("tp_ep", tp * ep, "alltoall")
        t_ep = 2.0 * (model.moe_layers / pp) * comm.alltoall_s(per_rank * model.active_experts * model.hidden
                                                               * comm_bytes, ep, bw_e, lt_e)
    else:
        t_ep = np.zeros_like(t_tp)
    bw_p, lt_p = hw.link("replica", tp * pp * ep)
    handoff = np.where(pp > 1, comm.p2p_s(per_rank * model.hidden * comm_bytes / tp, bw_p, lt_p), 0.0)
    return t_tp, t_ep, handoff


def decode_step(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
                batch, context) -> dict[str, np.ndarray]:
    """Time per output token (TPOT) of a replica generating one token for each of ``batch``
    sequences at ``context`` tokens, with its breakdown (all per step)."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    p = perf["precision"][precision]
    eff, lat = perf["efficiency"], perf["latency"]
    layers_stage = model.layers / pp
    slot = np.maximum(batch / pp, 1.0)                      # sequences per pipeline slot
    per_rank = slot / ep                                    # attention tokens per package
    # GEMMs: weights of the stage streamed once per slot; routed experts only if some token picks them
    w_bytes = _streamed_weight_bytes(model, tp, pp, ep, slot, p["weight_bytes"])
    gemm_flops = 2.0 * model.matmul_active_params_per_token * slot / (tp * pp * ep)
    eff_dec = gemm_efficiency(eff["compute_decode"], model, tp, perf)
    gemm_c = gemm_flops / (hw.peak * eff_dec)
    gemm_m = w_bytes / hw.hbm
    # attention: each rank's query heads read their K/V; GQA re-reads partly miss on-chip caches
    split = kv_split(model, tp)
    group_per_rank = np.maximum(model.heads / tp / (model.kv_heads / split), 1.0) if model.standard_kv else 1.0
    reread = 1.0 + (group_per_rank - 1.0) * eff["gqa_kv_reread_fraction"]
    kv = per_rank * context * model.kv_cache_dim * p["kv_bytes"] * layers_stage / split * reread
    attn_c = 4.0 * model.attention_width * context * layers_stage * per_rank / tp / (hw.peak * eff_dec)
    attn_m = kv / hw.hbm
    t_tp, t_ep, handoff = _stage_comm(hw, m, model, per_rank, p["comm_bytes"])
    overhead = layers_stage * lat["layer_overhead_decode_s"]
    comp = np.where(gemm_c >= gemm_m, gemm_c, 0.0) + np.where(attn_c >= attn_m, attn_c, 0.0)
    mem = np.where(gemm_c < gemm_m, gemm_m, 0.0) + np.where(attn_c < attn_m, attn_m, 0.0)
    out = {
        "t_compute_s": pp * comp, "t_memory_s": pp * mem, "t_tp_s": pp * t_tp, "t_ep_s": pp * t_ep,
        "t_pp_s": (pp - 1) * handoff, "t_overhead_s": pp * overhead,
    }
    out["step_s"] = sum(out.values())
    return out


def prefill_pass(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
                 sequences, prompt: float) -> dict[str, np.ndarray]:
    """Time to prefill ``sequences`` prompts of ``prompt`` tokens together (one static batch).
    Without PP the batch is one pass; with PP each sequence is a microbatch through the pipeline
    ((m + pp - 1) stage times). Also returns ``stage_one_s``: one sequence's time in one stage
    (the replica time a request's prefill costs in a full pipeline) and ``single_s``: one
    sequence's latency through the whole pipeline."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    p = perf["precision"][precision]
    eff, lat = perf["efficiency"], perf["latency"]
    layers_stage = model.layers / pp
    eff_pf = gemm_efficiency(eff["compute_prefill"], model, tp, perf)

    def stage(seqs):
        tokens = seqs * prompt
        flops = (2.0 * model.matmul_active_params_per_token * tokens
                 + 4.0 * model.attention_width * (prompt / 2.0) * tokens * model.layers) / (tp * pp * ep)
        c = flops / (hw.peak * eff_pf)
        w = _streamed_weight_bytes(model, tp, pp, ep, tokens, p["weight_bytes"]) / hw.hbm
        t_tp, t_ep, handoff = _stage_comm(hw, m, model, tokens / ep, p["comm_bytes"])
        return {"t_compute_s": np.where(c >= w, c, 0.0), "t_memory_s": np.where(c < w, w, 0.0), "t_tp_s": t_tp,
                "t_ep_s": t_ep, "t_overhead_s": layers_stage * lat["layer_overhead_prefill_s"] + 0.0 * c,
                "handoff": handoff}

    micro = np.where(pp > 1, sequences, 1.0)
    st = stage(sequences / micro)
    parts = ("t_compute_s", "t_memory_s", "t_tp_s", "t_ep_s", "t_overhead_s")
    out = {k: micro * st[k] for k in parts}
    out["t_pp_s"] = (micro + pp - 1.0) * st["handoff"]
    out["t_bubble_s"] = (pp - 1.0) * sum(st[k] for k in parts)   # pipeline fill and drain
    out["time_s"] = sum(out[k] for k in (*parts, "t_pp_s", "t_bubble_s"))
    one = st if np.all(np.asarray(sequences) == 1) else stage(np.ones_like(np.asarray(tp, dtype=float)))
    one_stage = sum(one[k] for k in parts)
    out["stage_one_s"] = one_stage
    out["single_s"] = pp * one_stage + (pp - 1.0) * one["handoff"]
    return out
