"""The performance model's contract: candidate parallel mappings and the vectorised evaluation of
(SKU, mapping) columns for one workload. Equations: formulations/performance.md.

What a column's **replica** is:
- serving, decode, prefill: one model instance of tp x pp x ep packages holding ``batch``
  concurrent sequences (with in-flight batching the largest batch that fits its KV pool and meets
  the SLOs; a disaggregated workload is two pools, a prefill and a decode workload, see
  inputs/instance.py); the optimiser chooses how many replicas to buy.
- training: the whole job, tp x pp x dp packages (EP ranks sit inside the DP group), processing the
  workload's global batch each iteration.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from litedse.errors import InputError
from litedse.tech.reliability import replica_availability
from litedse.units import HOURS_PER_YEAR, SECONDS_PER_DAY, SECONDS_PER_HOUR
from litedse.workload import comm, inference, placement, stack, training
from litedse.workload.lengths import LengthMix
from litedse.workload.models import ModelArch
from litedse.workload.spec import WorkloadSpec

MAPPING_KEYS = ("tp", "pp", "dp", "ep", "batch", "microbatch")
# largest replica the default mapping sets consider [packages] (assumption: 4,096 covers every
# shipped workload; Llama 3 405B trained on 16,384 GPUs would need a larger value)
MAX_PACKAGES_PER_REPLICA = 4096


def demand_tokens_per_s(workload: WorkloadSpec) -> float | None:
    """Required tokens/s of a workload: ``demand_tokens_per_s``, or for training ``train_tokens``
    over ``time_budget_days``; None when the workload states its demand in requests."""
    if workload.demand_tokens_per_s is not None:
        return float(workload.demand_tokens_per_s)
    if workload.train_tokens is not None and workload.time_budget_days is not None:
        return float(workload.train_tokens) / (float(workload.time_budget_days) * SECONDS_PER_DAY)
    return None


# ----------------------------------------------------------------------------------------------
# mappings
# ----------------------------------------------------------------------------------------------
def _where(workload: WorkloadSpec, key: str) -> str:
    return f"workload.{workload.name}.mapping.{key}"


def _tp_ok(model: ModelArch, tp: int) -> bool:
    kv_ok = (model.kv_heads % tp == 0 or tp % model.kv_heads == 0) if model.standard_kv else True
    return model.heads % tp == 0 and kv_ok


def check_mapping_value(workload: WorkloadSpec, model: ModelArch, key: str, value) -> None:
    """Raise InputError if one user-given mapping value cannot be used with this model."""
    where = _where(workload, key)
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise InputError(f"{key} must be a positive integer", key=where, value=value, expected="an integer >= 1")
    v = int(value)
    if key == "tp" and not _tp_ok(model, v):
        raise InputError("tensor parallelism must divide the attention heads", key=where, value=v,
                         expected=f"a divisor of heads ({model.heads})"
                         + (f" compatible with kv_heads ({model.kv_heads})" if model.kv_heads != model.heads else ""))
    if key == "pp" and v > model.layers:
        raise InputError("more pipeline stages than layers", key=where, value=v,
                         expected=f"at most layers ({model.layers})")
    if key == "ep" and v > 1 and (not model.is_moe or model.experts % v):
        raise InputError("expert parallelism must divide the experts", key=where, value=v,
                         expected=f"a divisor of experts ({model.experts})" if model.is_moe else "1 (dense model)")
    if workload.kind == "training" and workload.global_batch is not None:
        if key in ("dp", "microbatch") and v > workload.global_batch:
            raise InputError(f"{key} exceeds the global batch", key=where, value=v,
                             expected=f"at most global_batch ({workload.global_batch})")


def candidate_mappings(workload: WorkloadSpec, model: ModelArch, perf: dict,
                       max_packages: int) -> dict[str, np.ndarray]:
    """Every (tp, pp, dp, ep, batch, microbatch) to consider: user lists (validated) or the
    preset's defaults (filtered to what the model allows), with packages <= max_packages."""
    defaults = perf["mapping"]
    user = workload.mapping
    training_kind = workload.kind == "training"

    def values(key, default):
        given = getattr(user, key)
        if given is not None:
            for v in given:
                check_mapping_value(workload, model, key, v)
            return sorted(set(int(v) for v in given))
        return default

    tp = values("tp", [t for t in defaults["tp"] if _tp_ok(model, t)])
    pp = values("pp", [p for p in defaults["pp"] if p <= model.layers])
    ep = values("ep", [e for e in defaults["ep"] if model.experts % e == 0] if model.is_moe else [1])
    if training_kind:
        if workload.global_batch is None or workload.sequence_length is None:
            raise InputError("a training workload needs global_batch and sequence_length",
                             key=f"workload.{workload.name}.global_batch")
        gb = int(workload.global_batch)
        max_tokens = float(perf["training"]["max_global_batch_tokens"])
        if gb * workload.sequence_length > max_tokens:
            raise InputError("global batch beyond the statistical-efficiency bound",
                             key=f"workload.{workload.name}.global_batch", value=gb,
                             expected=f"at most {int(max_tokens // workload.sequence_length)} sequences of "
                             f"{workload.sequence_length} tokens (performance.training.max_global_batch_tokens)")
        dp_cap = gb
        mb = values("microbatch", [b for b in defaults["microbatch"] if gb % b == 0])
        dp = values("dp", [d for d in defaults["dp"] if d <= dp_cap])
        batch = [gb]
        if user.batch is not None and any(int(b) != gb for b in user.batch):
            raise InputError("a training mapping's batch is the global batch", key=_where(workload, "batch"),
                             value=user.batch, expected=f"[{gb}]")
    else:
        mb = [1]
        dp = values("dp", [1])
        # in-flight batching sizes the batch from KV capacity: the mapping's batch is its upper limit
        batching = perf["stack"]["batching"]
        inflight = stack.batching_mode(perf) == "inflight" and workload.batching != "static"
        batch = values("batch", [int(batching["max_batch"])] if inflight else list(batching["batch_values"]))
    rows = []
    for t, p, d, e, b, u in itertools.product(tp, pp, dp, ep, batch, mb):
        if training_kind:
            if e > d or d % e or gb % (d * u):
                continue
            packages = t * p * d
        else:
            if e > 1 and b < e:
                continue
            packages = t * p * e * d
        if packages <= max_packages:
            rows.append((t, p, d, e, b, u))
    cap = int(defaults["max_mappings"])
    if len(rows) > cap:
        # thin evenly across replica sizes so the optimiser still sees small and large groups
        rows.sort(key=lambda r: (r[0] * r[1] * r[2] * r[3], r))
        keep = np.unique(np.linspace(0, len(rows) - 1, cap).round().astype(int))
        rows = [rows[i] for i in keep]
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 6)
    return {k: arr[:, i].copy() for i, k in enumerate(MAPPING_KEYS)}


# ----------------------------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------------------------
def _training_goodput(failures_per_year, packages, perf):
    """Young/Daly: checkpoint every tau = sqrt(2 delta M); lost fraction delta/tau for writing plus
    (tau/2 + restart)/M for the work redone and the restart after each failure."""
    rel = perf["reliability"]
    rate_per_s = failures_per_year * packages / (HOURS_PER_YEAR * SECONDS_PER_HOUR)
    mtbf = 1.0 / np.maximum(rate_per_s, 1e-30)
    delta, restart = rel["checkpoint_write_minutes"] * 60.0, rel["restart_minutes"] * 60.0
    tau = np.sqrt(2.0 * delta * mtbf)
    return np.clip(1.0 - delta / tau - (tau / 2.0 + restart) / mtbf, 0.0, 1.0)


# The SKU-table figures the performance model reads. A column's figures are a function of these
# and its mapping alone, so SKUs equal on all of them share their columns' figures: columns.build
# evaluates each such group of SKUs once (formulations/design.md, Proposition 11). The failure rate
# enters only the availability, applied afterwards (column_availability).
FIGURE_INPUTS = (
    "architecture", "peak_tflops_bf16", "peak_tflops_fp8", "peak_tflops_fp4",
    "hbm_capacity_gb", "hbm_bandwidth_gb_s", "hbm_write_bandwidth_gb_s",
    "tier2_capacity_gb", "tier2_read_bandwidth_gb_s", "tier2_write_bandwidth_gb_s",
    "tier2_read_energy_pj_per_bit", "tier2_write_energy_pj_per_bit", "tier2_retention_s",
    "tier2_write_endurance_cycles", "service_life_s",
    "links", "topology", "scaleup_domain_packages", "scaleup_bandwidth_gb_s", "scaleup_latency_s",
    "scaleup_leaf_packages", "scaleup_oversubscription", "scaleout_bandwidth_gb_s", "scaleout_latency_s",
)
AVAILABILITY_INPUTS = ("failures_per_year",)


def evaluate_columns(sku: Mapping[str, np.ndarray], mapping: Mapping[str, np.ndarray], workload: WorkloadSpec,
                     model: ModelArch, perf: dict) -> dict[str, np.ndarray]:
    """Evaluate n (SKU, mapping) columns of one workload (arrays of length n in, arrays out):
    ``column_figures`` and the replica's ``availability``."""
    out = column_figures(sku, mapping, workload, model, perf)
    out["availability"] = column_availability(workload, out["packages"], sku["failures_per_year"], perf)
    return out


def column_availability(workload: WorkloadSpec, packages, failures_per_year, perf: dict) -> np.ndarray:
    """Fraction of a column's throughput its replica delivers given its packages' failure rate
    [1/year]: training's goodput under checkpoint and restart (Young/Daly), an inference replica's
    availability under repair (formulations/performance.md, Reliability)."""
    failures = np.asarray(failures_per_year, dtype=float)
    if workload.kind == "training":
        return _training_goodput(failures, packages, perf)
    return replica_availability(packages, failures, perf["reliability"]["repair_hours"])


def column_figures(sku: Mapping[str, np.ndarray], mapping: Mapping[str, np.ndarray], workload: WorkloadSpec,
                   model: ModelArch, perf: dict) -> dict[str, np.ndarray]:
    """The performance figures of n (SKU, mapping) columns, reading only ``FIGURE_INPUTS`` of the
    SKUs. A column of a package with a second memory tier is evaluated at every placement of its
    weights and KV cache (placement.placements_of) and reports the best: usable before unusable,
    then the highest throughput (formulations/memory.md, Placement)."""
    m = {k: np.asarray(mapping[k], dtype=float) for k in MAPPING_KEYS}
    n = len(m["tp"])
    precision = workload.precision
    hw = inference.Hw(sku, precision, perf)
    if workload.kind == "training":
        out = _training(hw, sku, m, workload, model, perf, precision, n)
    else:
        weights, kv_token = _weights_and_kv(m, model, perf, precision)
        out = _placed(hw, sku, m, workload, model, perf, precision, n, placement.PLACEMENTS[0], weights, kv_token)
        second = np.asarray(sku["tier2_capacity_gb"], dtype=float) > 0 if "tier2_capacity_gb" in sku else np.zeros(n, bool)
        if second.any():
            idx = np.flatnonzero(second)
            sub_hw, sub_sku, sub_m = hw.take(idx), inference._Take(sku, idx), {k: v[idx] for k, v in m.items()}
            choices = placement.placements_of(perf)
            fixed = len(choices) == 1
            for p in choices:
                if p == placement.PLACEMENTS[0] and not fixed:
                    continue
                alt = _placed(sub_hw, sub_sku, sub_m, workload, model, perf, precision, len(idx), p, weights[idx],
                              kv_token[idx])
                take = np.ones(len(idx), bool) if fixed else _better(alt, {k: v[idx] for k, v in out.items()})
                for k, v in alt.items():
                    out[k] = np.array(out[k])          # a copy: never write into an input array
                    out[k][idx[take]] = np.asarray(v)[take]
    for key in ("t_compute_s", "t_memory_s", "t_tp_s", "t_pp_s", "t_dp_s", "t_ep_s", "t_bubble_s", "t_overhead_s"):
        out.setdefault(key, np.zeros(n))
    return out


def _training(hw, sku, m, workload: WorkloadSpec, model: ModelArch, perf: dict, precision: str, n: int):
    """A training column: all its state on tier 1 (HBM)."""
    s = int(workload.sequence_length)
    res = training.iteration(hw, m, model, perf, s, workload.recompute, workload.sequence_parallel,
                             workload.zero_stage, precision)
    micro = m["batch"] / (m["dp"] * m["microbatch"])
    mem, _ = training.memory_bytes_per_package(model, m, s, workload.recompute, workload.sequence_parallel,
                                               workload.zero_stage, perf, micro)
    out = dict(res)
    nan = np.full(n, np.nan)
    out.update(requests_per_s=nan, ttft_s=nan, tpot_s=nan, packages=(m["tp"] * m["pp"] * m["dp"]).astype(np.int64))
    tiers = placement.Tiers.of(sku, hw.eff["hbm"], placement.PLACEMENTS[0], np.zeros(n))
    out.update(_memory(sku, tiers, mem, np.zeros(n), perf, n))
    out.update(placement.tier_checks(sku, tiers, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), 0.0))
    out.update(placement=np.zeros(n, dtype=np.int64), weights_tier2_share=np.zeros(n), kv_tier2_share=np.zeros(n))
    return _finish(out, workload, hw.supported)


def _placed(hw, sku, m, workload: WorkloadSpec, model: ModelArch, perf: dict, precision: str, n: int,
            where: tuple[str, str], weights, kv_token) -> dict[str, np.ndarray]:
    """An inference column with its weights and KV cache placed ``where`` (placement.PLACEMENTS);
    ``weights`` and ``kv_token``: its weight bytes and KV bytes per token, per package."""
    tiers = placement.Tiers.of(sku, hw.eff["hbm"], where, weights, perf["memory"]["runtime_reserve_gb"] * 1e9)
    hw_p = hw.placed(tiers)
    out, (w_bytes, kv), packages = _inference(hw_p, tiers, m, workload, model, perf, precision, n)
    out.setdefault("batch", m["batch"])     # in-flight batching reports the batch it chose
    out.update(iteration_s=np.full(n, np.nan), mfu=np.full(n, np.nan), achieved_tflops_per_package=np.full(n, np.nan))
    out["packages"] = packages
    out.update(_memory(sku, tiers, w_bytes, kv, perf, n))
    mix = LengthMix.of(workload)
    written = mix.mean_input + (0.0 if workload.kind == "prefill" else mix.mean_output)
    finite = lambda key: np.nan_to_num(np.asarray(out[key], dtype=float), nan=0.0, posinf=np.inf)  # noqa: E731 (nan: not applicable)
    rps = finite("requests_per_s")
    # how long the longest request's KV lives: its prefill, then one decode step per output token
    request_s = finite("ttft_s") + (0.0 if workload.kind == "prefill" else mix.max_output * finite("tpot_s"))
    deployments = float(perf["memory"]["weight_deployments_per_year"])
    out.update(placement.tier_checks(sku, tiers, rps * written * kv_token, kv, w_bytes, request_s, deployments))
    out["placement"] = np.full(n, placement.PLACEMENTS.index(where), dtype=np.int64)
    out["weights_tier2_share"], out["kv_tier2_share"] = tiers.weights_share, tiers.kv_share
    return _finish(out, workload, hw.supported)


def _memory(sku, tiers, weights, kv, perf: dict, n: int) -> dict[str, np.ndarray]:
    """Per-tier memory of a column (``weights`` and ``kv`` [B per package], reserve added to tier 1)
    against the tiers' capacities."""
    reserve_b = perf["memory"]["runtime_reserve_gb"] * 1e9
    t1, t2 = placement.tier_usage(tiers, np.asarray(weights, dtype=float), np.asarray(kv, dtype=float), reserve_b)
    over1, over2 = (t1 - tiers.cap1) / 1e9, (t2 - tiers.cap2) / 1e9
    return {"memory_gb_per_package": (t1 + t2) / 1e9, "tier1_gb": t1 / 1e9, "tier2_gb": t2 / 1e9,
            "memory_overflow_gb": np.maximum(over1, 0.0) + np.maximum(over2, 0.0),
            "fits": (over1 <= 0.0) & (over2 <= 0.0)}


def _finish(out: dict[str, np.ndarray], workload: WorkloadSpec, ok: np.ndarray) -> dict[str, np.ndarray]:
    """Zero throughput and infinite times where the precision has no tensor path; the SLO check."""
    for key in ("tokens_per_s", "requests_per_s"):
        out[key] = np.where(ok, out[key], 0.0)
    for key in ("ttft_s", "tpot_s", "iteration_s"):
        out[key] = np.where(ok, out[key], np.inf)
    slo = ok.copy()
    for key in ("ttft_s", "tpot_s"):
        limit = getattr(workload, key)
        if limit is not None:
            slo &= ~(out[key] > limit)        # nan (not applicable) passes
    out["slo_ok"] = slo
    out["precision_supported"] = ok
    return out


def _better(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> np.ndarray:
    """Where placement result ``a`` beats ``b``: usable (fits, tier checks, SLOs) first, then the
    higher throughput; among unusable ones the one that fits, then the smaller memory overflow."""
    def rank(r):
        usable = r["fits"] & r["tier_ok"] & r["slo_ok"] & (np.asarray(r["tokens_per_s"]) > 0)
        return usable * 4 + r["fits"] * 2 + r["tier_ok"] * 1

    ra, rb = rank(a), rank(b)
    score = lambda r: np.where(r["fits"], np.asarray(r["tokens_per_s"], dtype=float), -r["memory_overflow_gb"])  # noqa: E731
    return (ra > rb) | ((ra == rb) & (score(a) > score(b)))


def _inference(hw, tiers, m, workload: WorkloadSpec, model: ModelArch, perf: dict, precision: str, n: int):
    """(figures, (weight bytes, KV bytes) per package, packages per replica) of an inference column."""
    mix = LengthMix.of(workload)
    if workload.kind == "serving" and workload.batching == "static":
        return _static_batch(hw, m, mix, model, perf, precision, n)
    if stack.batching_mode(perf) == "inflight":
        return _inflight(hw, tiers, m, workload, mix, model, perf, precision, n)
    return _separate_prefill(hw, m, workload, mix, model, perf, precision, n)


_PARTS = ("t_compute_s", "t_memory_s", "t_tp_s", "t_ep_s", "t_pp_s", "t_overhead_s")


def _weights_and_kv(m, model: ModelArch, perf: dict, precision: str):
    """(weight bytes per package, KV bytes per package per sequence-token)."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    weights = inference.weight_bytes_per_package(model, tp, pp, ep, perf["precision"][precision]["weight_bytes"])
    per_token = inference.kv_bytes_per_package(model, tp, pp, ep, 1.0, 1.0, stack.kv_bytes(perf, precision))
    return weights, per_token


def _static_batch(hw, m, mix: LengthMix, model: ModelArch, perf: dict, precision: str, n: int):
    """A fixed batch (benchmark rows): prefill the batch's prompts in one pass, then generate."""
    prompt, gen = mix.mean_input, mix.mean_output
    batch = m["batch"]
    step = inference.decode_step(hw, m, model, perf, precision, batch, prompt + gen / 2.0)
    pf = inference.prefill_pass(hw, m, model, perf, precision, batch, prompt)
    total = pf["time_s"] + gen * step["step_s"]
    out = {k: gen * step[k] + pf.get(k, 0.0) for k in _PARTS}
    out["t_bubble_s"] = pf["t_bubble_s"]
    out.update(tokens_per_s=batch * gen / total, requests_per_s=batch / total, ttft_s=pf["time_s"],
               tpot_s=step["step_s"])
    weights, kv_token = _weights_and_kv(m, model, perf, precision)
    return out, (weights, batch * (prompt + gen) * kv_token), (m["tp"] * m["pp"] * m["ep"]).astype(np.int64)


def _separate_prefill(hw, m, workload: WorkloadSpec, mix: LengthMix, model: ModelArch, perf: dict, precision: str,
                      n: int):
    """The 2023 engines: a fixed batch of ``batch`` sequences; each prefill is its own pass."""
    prompt, gen = mix.mean_input, mix.mean_output
    tp, pp, ep, batch = m["tp"], m["pp"], m["ep"], m["batch"]
    group = (tp * pp * ep).astype(np.int64)
    weights, kv_token = _weights_and_kv(m, model, perf, precision)
    nan = np.full(n, np.nan)
    ov = perf["stack"]["overhead"]
    if workload.kind == "prefill":
        pf = inference.prefill_pass(hw, m, model, perf, precision, batch, prompt)
        t = pf["time_s"]
        out = {k: pf[k] for k in (*_PARTS, "t_bubble_s")}
        out.update(tokens_per_s=batch * prompt / t, requests_per_s=batch / t, ttft_s=t, tpot_s=nan)
        return out, (weights, batch * prompt * kv_token), group
    step = inference.decode_step(hw, m, model, perf, precision, batch, mix.decode_context())
    parts = {k: step[k] for k in _PARTS}
    t_step = step["step_s"]
    mem = (weights, batch * mix.reserved_tokens(stack.reserves_full_output(perf)) * kv_token)
    if workload.kind == "decode":
        rps = np.minimum(batch / t_step / gen, _kv_ingest_rps(hw, workload, model, perf, precision, mix, group))
        out = dict(parts, tokens_per_s=rps * gen, requests_per_s=rps, ttft_s=nan, tpot_s=t_step)
        return out, mem, group
    # a replica interleaves the prefills of newly admitted requests with the decode steps of the
    # running ones: while ``batch`` requests each generate ``gen`` tokens, ``batch`` prefills run
    pf = inference.prefill_pass(hw, m, model, perf, precision, np.ones(n), prompt)
    cycle = gen * t_step + batch * (pf["stage_one_s"] + ov["request_s"])
    out = {k: gen * parts[k] for k in parts}
    out["t_compute_s"] = out["t_compute_s"] + batch * pf["stage_one_s"]
    out["t_bubble_s"] = np.zeros(n)
    out.update(tokens_per_s=batch * gen / cycle, requests_per_s=batch / cycle,
               ttft_s=pf["single_s"] + t_step, tpot_s=cycle / gen)
    return out, mem, group


def _kv_ingest_rps(hw, workload: WorkloadSpec, model: ModelArch, perf: dict, precision: str, mix: LengthMix,
                   group) -> np.ndarray | float:
    """Requests/s a decode-pool replica can receive the prompts' KV caches for over the
    ``serving.kv_transfer_network`` (inf when it is not the decode pool of a disaggregated workload)."""
    if workload.disaggregated_pool != "decode":
        return np.inf
    bw, _ = _kv_link(hw, perf, group)
    return bw * group / (mix.mean_input * model.kv_bytes_per_token(stack.kv_bytes(perf, precision)))


def _kv_link(hw, perf: dict, group):
    """(B/s, s) of the link the KV cache moves over: the scale-out network, or the scale-up domain."""
    span = np.full(len(group), 1e9) if perf["serving"]["kv_transfer_network"] == "scaleout" else 2 * group
    return hw.link("kv_transfer", span)


def _inflight(hw, tiers, m, workload: WorkloadSpec, mix: LengthMix, model: ModelArch, perf: dict, precision: str,
              n: int):
    """In-flight batching (formulations/performance.md, Serving): each iteration carries one decode
    token of each running sequence plus prompt chunks, up to ``max_num_tokens`` per pass. The batch
    is the largest that fits the KV pool, the pass budget, the mapping's limit and the SLOs."""
    tp, pp, ep = m["tp"], m["pp"], m["ep"]
    group = (tp * pp * ep).astype(np.int64)
    kind = workload.kind
    batching = perf["stack"]["batching"]
    max_tokens = float(batching["max_num_tokens"])
    weights, kv_token = _weights_and_kv(m, model, perf, precision)
    pool_fraction = max(float(perf["stack"]["kv_cache"]["pool_fraction"]), 1e-9)
    pool = tiers.kv_pool(weights, perf["memory"]["runtime_reserve_gb"] * 1e9, pool_fraction)
    nan = np.full(n, np.nan)
    prompt_mean, gen_mean = mix.mean_input, mix.mean_output
    if kind == "prefill":
        # passes of up to max_num_tokens prompt tokens per pipeline slot (prompts chunked to fit)
        tokens = np.full(n, pp * max_tokens)
        it = inference.iteration(hw, m, model, perf, precision, np.zeros(n), tokens, 0.0, prompt_mean)
        t = it["step_s"]
        chunks = np.ceil(mix.max_input / max_tokens)
        out = {k: it[k] for k in _PARTS}
        out.update(tokens_per_s=tokens / t, requests_per_s=tokens / t / prompt_mean, tpot_s=nan,
                   t_bubble_s=np.zeros(n), batch=tokens / prompt_mean)
        bw, lt = _kv_link(hw, perf, group)
        kv_move = comm.p2p_s(mix.max_input * model.kv_bytes_per_token(stack.kv_bytes(perf, precision)) / group, bw, lt)
        out["ttft_s"] = (chunks + 1.0) * t + (kv_move if workload.disaggregated_pool == "prefill" else 0.0)
        out["t_kv_transfer_s"] = kv_move
        seqs = np.ceil(tokens / prompt_mean)
        return out, (weights, seqs * prompt_mean * kv_token), group
    # decode tokens per iteration D = batch; prompt tokens P = batch * s_in / s_out on average
    prompt_ratio = prompt_mean / gen_mean if kind == "serving" else 0.0
    reserved = mix.reserved_tokens(stack.reserves_full_output(perf))
    by_kv = np.floor(pool / (reserved * kv_token) + 1e-9)
    by_pass = np.floor(pp * max_tokens / (1.0 + prompt_ratio) + 1e-9)
    batch = np.minimum(np.minimum(m["batch"], by_kv), by_pass)
    context = mix.decode_context()
    ingest = _kv_ingest_rps(hw, workload, model, perf, precision, mix, group)

    def figures(h, mm, b):
        it = inference.iteration(h, mm, model, perf, precision, b, b * prompt_ratio, context, prompt_mean)
        budget = np.maximum(max_tokens - b / mm["pp"], 1.0)
        it["ttft_s"] = ((np.ceil(mix.max_input / budget) + 1.0) * it["step_s"] if kind == "serving"
                        else np.full(len(b), np.nan))
        return it

    batch, it = _largest_meeting_slos(hw, m, workload, figures, np.maximum(batch, 0.0))
    b_eval = np.maximum(batch, 1.0)
    t, ttft = it["step_s"], it["ttft_s"]
    rps = np.minimum(b_eval / (t * gen_mean), ingest)
    out = {k: it[k] for k in _PARTS}
    out.update(tokens_per_s=np.where(batch >= 1, rps * gen_mean, 0.0), requests_per_s=np.where(batch >= 1, rps, 0.0),
               ttft_s=ttft, tpot_s=t, t_bubble_s=np.zeros(n), batch=batch)
    # a column whose pool holds no sequence needs the memory that would make it hold one
    kv = np.where(by_kv >= 1, b_eval * reserved * kv_token, reserved * kv_token / pool_fraction)
    return out, (weights, kv), group


def _largest_meeting_slos(hw, m, workload: WorkloadSpec, figures,
                          batch: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The largest integer batch <= ``batch`` whose TPOT and TTFT meet the workload's limits
    (0 where even one sequence misses them), and ``figures`` (a dict with ``step_s``, the TPOT, and
    ``ttft_s``) at max(that batch, 1) for every column: the search's own evaluations, kept as it
    goes, not evaluated again. Both grow with the batch, so a bracketing search on
    the columns that miss at ``batch`` is exact: the bracket [lo, hi] always has lo meeting and hi
    missing, and a column is done when hi = lo + 1.

    The worst relative slack is piecewise linear in the batch (a roofline: a few linear pieces,
    whatever the memory tiers), so each probe is where the line through two adjacent batches
    (c, c + 1) crosses zero; once those lie on the piece that holds the answer, the next pair
    (answer, answer + 1) is both the answer and its proof. The first probe is one below the top
    (with the top it gives the last piece's line), or 1 where the slack at the top is not finite
    (no line to follow: a SKU without links takes infinite time on a multi-package mapping). A
    round that does not halve the bracket right after another such round is replaced by a
    bisection, so a column takes O(log batch) rounds at worst. About 4 evaluations per column
    (measured on benchmarks/bench_scale.py's single-workload spaces), against 6.7 for the secant
    rule of the first version, which bisected after every round that did not halve the bracket."""
    limits = [(figure, getattr(workload, key)) for figure, key in (("step_s", "tpot_s"), ("ttft_s", "ttft_s"))
              if getattr(workload, key) is not None]

    def slack(res, b):
        """max over the limits of figure / limit - 1: <= 0 where the batch meets every limit."""
        worst = np.full(len(b), -np.inf)
        for figure, limit in limits:
            worst = np.fmax(worst, np.asarray(res[figure], dtype=float) / limit - 1.0)   # nan: not applicable
        return worst

    b = np.maximum(batch, 1.0)
    top = figures(hw, m, b)
    if not limits:
        return batch, top
    g_top = slack(top, b)
    miss = np.flatnonzero((g_top > 0) & (batch >= 1))
    out = batch.copy()
    if not len(miss):
        return out, top
    h, mm = hw.take(miss), {k: v[miss] for k, v in m.items()}
    n = len(miss)
    # the figures at max(lo, 1) of each searched column: lo only ever moves to a batch that was just
    # evaluated, and lo = 0 ends with hi = 1, evaluated at the top or as a probe
    kept = {k: np.array(np.asarray(v)[miss], dtype=float) for k, v in top.items()}
    lo = np.zeros(n)                                  # meets (0 sequences always "meet")
    hi = b[miss]                                      # misses
    g_hi = g_top[miss]
    probe = np.where(np.isfinite(g_hi), np.maximum(hi - 1.0, 1.0), 1.0)
    pair = np.zeros(n, dtype=bool)                    # also evaluate probe + 1 (not in the first round)
    slow = np.zeros(n, dtype=bool)                    # the last pair round did not halve the bracket
    while True:
        active = np.flatnonzero(hi - lo > 1)
        if not len(active):
            break
        k = len(active)
        l, u, g_u = lo[active], hi[active], g_hi[active]
        c = np.clip(probe[active], l + 1, u - 1)
        two = np.flatnonzero(pair[active] & (c + 1 < u))
        # c and, where asked, c + 1 in one call
        rows = active if len(two) == 0 else np.concatenate([active, active[two]])
        sub = h if len(rows) == n and len(two) == 0 else h.take(rows)
        points = c if len(two) == 0 else np.concatenate([c, c[two] + 1])
        res = figures(sub, mm if sub is h else {key: v[rows] for key, v in mm.items()}, points)
        g = slack(res, points)
        g_c = g[:k]
        g_n = np.full(k, np.nan)
        g_n[two] = g[k:]
        has_n = np.zeros(k, dtype=bool)
        has_n[two] = True
        met_c, met_n = g_c <= 0, has_n & (g_n <= 0)
        lo[active] = np.where(met_n, c + 1, np.where(met_c, c, l))
        hi[active] = np.where(~met_c, c, np.where(has_n & ~met_n, c + 1, u))
        target = np.maximum(lo[active], 1.0)
        at = np.flatnonzero(np.concatenate([target, target[two]]) == points)     # evaluated at max(lo, 1)
        for key, v in res.items():
            kept[key][rows[at]] = np.asarray(v)[at]
        g_hi[active] = np.where(~met_c, g_c, np.where(has_n & ~met_n, g_n, g_u))
        # the line through c and c + 1 (c + 1 evaluated now, or it is hi, evaluated before)
        slope = np.where(has_n, g_n, np.where(c + 1 == u, g_u, np.nan)) - g_c
        line = np.isfinite(slope) & (slope > 0)
        x0, g0 = np.where(met_n, c + 1, c), np.where(met_n, g_n, g_c)
        step = np.floor(x0 - g0 / np.where(line, slope, 1.0))
        halved = (hi[active] - lo[active]) <= (u - l) / 2.0
        bisect = ~line | (~halved & slow[active])
        probe[active] = np.where(bisect, np.floor((lo[active] + hi[active]) / 2.0), step)
        slow[active] = ~halved & pair[active]
        pair[active] = True
    out[miss] = lo
    final = {key: np.array(v, dtype=float) for key, v in top.items()}
    for key, v in kept.items():
        final[key][miss] = v
    return out, final
