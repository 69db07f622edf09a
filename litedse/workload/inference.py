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

from litedse.workload import comm, stack
from litedse.workload.models import ModelArch


class Hw:
    """Per-column hardware figures of a phase: peak FLOP/s at the workload's precision, the serving
    stack's achieved efficiencies for each SKU's architecture (``eff``), HBM B/s at that efficiency,
    and the B/s at which the weights (``bw_weights``) and the KV cache (``bw_kv``) are read."""

    def __init__(self, sku: Mapping[str, np.ndarray], precision: str, perf: dict):
        self.sku = sku
        self.peak = np.asarray(sku[f"peak_tflops_{precision}"], dtype=float) * 1e12
        n = len(self.peak)
        self.eff = stack.efficiencies(sku, perf, precision, n)
        self.hbm = np.asarray(sku["hbm_bandwidth_gb_s"], dtype=float) * 1e9 * self.eff["hbm"]
        # where the weights and the KV cache are read from (placement.Tiers; default: HBM)
        self.bw_weights = self.bw_kv = self.hbm
        self.supported = self.peak > 0
        # an unsupported precision is reported infeasible (tokens_per_s = 0); keep the arithmetic finite
        self.peak = np.where(self.supported, self.peak, 1.0)
        self.perf = perf
        self._links: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def link(self, group: str, span, pattern: str = "ring") -> tuple[np.ndarray, np.ndarray]:
        """``comm.link`` for a named group (tp, tp_ep, replica, scaleout), computed once per evaluation."""
        if group not in self._links:
            self._links[group] = comm.link(self.sku, span, self.perf, pattern)
        return self._links[group]

    def placed(self, tiers) -> "Hw":
        """These figures with the weights and KV read at a placement's bandwidths (placement.Tiers)."""
        sub = object.__new__(Hw)
        sub.__dict__.update(self.__dict__)    # the same columns: arrays and the link cache are shared
        sub.bw_weights, sub.bw_kv = tiers.weights_bandwidth, tiers.kv_bandwidth
        return sub

    def take(self, idx: np.ndarray) -> "Hw":
        """The figures of columns ``idx`` only (links already computed are sliced, not recomputed)."""
        sub = object.__new__(Hw)
        sub.sku = _Take(self.sku, idx)
        sub.peak, sub.hbm, sub.supported, sub.perf = self.peak[idx], self.hbm[idx], self.supported[idx], self.perf
        sub.bw_weights, sub.bw_kv = self.bw_weights[idx], self.bw_kv[idx]
        sub.eff = {k: v[idx] for k, v in self.eff.items()}
        sub._links = {k: (bw[idx], lt[idx]) for k, (bw, lt) in self._links.items()}
        return sub


class _Take(Mapping):
    """A per-column table restricted to rows ``idx`` (sliced on access)."""

    def __init__(self, table: Mapping[str, np.ndarray], idx: np.ndarray):
        self._table, self._idx = table, idx

    def __getitem__(self, key):
        return np.asarray(self._table[key])[self._idx]

    def __iter__(self):
        return iter(self._table)

    def __len__(self):
        return len(self._table)


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


def _gemm_and_attention(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
                        decode_slot, prefill_slot, context, prompt: float):
    """Roofline times of one pass through a pipeline stage of ``decode_slot`` decode tokens (each
    attending over ``context`` tokens) and ``prefill_slot`` prompt tokens (mean causal context
    prompt / 2): (compute-bound time, memory-bound time, TP, EP, PP hand-off, tokens per rank)."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    wbytes = perf["precision"][precision]["weight_bytes"]
    cbytes = stack.comm_bytes(perf, precision)
    layers_stage = model.layers / pp
    tokens = decode_slot + prefill_slot
    e_dec = gemm_efficiency(hw.eff["compute_decode"], model, tp, perf)
    e_pf = gemm_efficiency(hw.eff["compute_prefill"], model, tp, perf)
    # GEMMs: weights of the stage streamed once per pass; routed experts only if some token picks them
    gemm_c = 2.0 * model.matmul_active_params_per_token * (decode_slot / e_dec + prefill_slot / e_pf) / (
        tp * pp * ep * hw.peak)
    gemm_m = _streamed_weight_bytes(model, tp, pp, ep, tokens, wbytes) / hw.bw_weights
    # decode attention: each rank reads its sequences' K/V (GQA groups read once or re-read)
    split = kv_split(model, tp)
    group_per_rank = np.maximum(model.heads / tp / (model.kv_heads / split), 1.0) if model.standard_kv else 1.0
    per_rank = decode_slot / ep
    kv = (per_rank * context * model.kv_cache_dim * stack.kv_bytes(perf, precision) * layers_stage / split
          * stack.gqa_reread(perf, group_per_rank))
    attn_c = 4.0 * model.attention_width * context * layers_stage * per_rank / tp / (hw.peak * e_dec)
    attn_m = kv / hw.bw_kv
    # prompt attention: causal scores and values over the prompt so far, compute bound
    attn_pf = 4.0 * model.attention_width * (prompt / 2.0) * prefill_slot * layers_stage / (tp * ep) / (hw.peak * e_pf)
    t_tp, t_ep, handoff = _stage_comm(hw, m, model, tokens / ep, cbytes)
    # the prompt's attention FLOPs share the GEMMs' compute roofline (the 2023 prefill model)
    dense_c = gemm_c + attn_pf
    comp = np.where(dense_c >= gemm_m, dense_c, 0.0) + np.where(attn_c >= attn_m, attn_c, 0.0)
    mem = np.where(dense_c < gemm_m, gemm_m, 0.0) + np.where(attn_c < attn_m, attn_m, 0.0)
    return comp, mem, t_tp, t_ep, handoff


def iteration(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
              decode_tokens, prefill_tokens, context, prompt: float) -> dict[str, np.ndarray]:
    """One engine iteration of a replica: ``decode_tokens`` sequences each generate a token at
    ``context`` tokens and ``prefill_tokens`` prompt tokens are processed in the same forward pass
    (in-flight batching; 0 for a plain decode step). With PP the tokens are split into pp slots
    that keep every stage busy: iteration = pp stages + (pp - 1) hand-offs + the stack's fixed
    ``overhead.iteration_s``. Returns its breakdown and ``step_s`` (the TPOT of a running sequence)."""
    pp = m["pp"]
    ov = perf["stack"]["overhead"]
    layers_stage = model.layers / pp
    decode_slot = np.maximum(decode_tokens / pp, np.where(prefill_tokens > 0, 0.0, 1.0))
    prefill_slot = prefill_tokens / pp
    comp, mem, t_tp, t_ep, handoff = _gemm_and_attention(hw, m, model, perf, precision, decode_slot, prefill_slot,
                                                         context, prompt)
    overhead = layers_stage * ov["layer_decode_s"]
    out = {
        "t_compute_s": pp * comp, "t_memory_s": pp * mem, "t_tp_s": pp * t_tp, "t_ep_s": pp * t_ep,
        "t_pp_s": (pp - 1) * handoff, "t_overhead_s": pp * overhead + ov["iteration_s"],
    }
    out["step_s"] = sum(out.values())
    return out


def decode_step(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
                batch, context) -> dict[str, np.ndarray]:
    """Time per output token (TPOT) of a replica generating one token for each of ``batch``
    sequences at ``context`` tokens, with its breakdown (all per step)."""
    return iteration(hw, m, model, perf, precision, batch, np.zeros_like(np.asarray(batch, dtype=float)), context, 0.0)


def prefill_pass(hw: Hw, m: Mapping[str, np.ndarray], model: ModelArch, perf: dict, precision: str,
                 sequences, prompt: float) -> dict[str, np.ndarray]:
    """Time to prefill ``sequences`` prompts of ``prompt`` tokens together in their own pass (a
    static batch; the 2023 stacks' prefills). Without PP the batch is one pass; with PP each
    sequence is a microbatch through the pipeline ((m + pp - 1) stage times). Also returns
    ``stage_one_s``: one sequence's time in one stage (the replica time a request's prefill costs
    in a full pipeline) and ``single_s``: one sequence's latency through the whole pipeline."""
    tp, pp = m["tp"], m["pp"]
    layers_stage = model.layers / pp
    zero = np.zeros_like(np.asarray(tp, dtype=float))

    def stage(seqs):
        c, w, t_tp, t_ep, handoff = _gemm_and_attention(hw, m, model, perf, precision, zero, seqs * prompt, 0.0,
                                                        prompt)
        return {"t_compute_s": c, "t_memory_s": w, "t_tp_s": t_tp, "t_ep_s": t_ep,
                "t_overhead_s": layers_stage * perf["stack"]["overhead"]["layer_prefill_s"] + zero,
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
