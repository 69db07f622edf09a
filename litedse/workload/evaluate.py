"""Evaluate an instance's workloads on one SKU, choosing any mapping value the caller left open
(the library side of ``litedse evaluate``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from litedse.errors import InputError
from litedse.workload import stack
from litedse.workload.models import resolve_model
from litedse.workload.placement import PLACEMENTS, tier_reasons
from litedse.workload.performance import (MAPPING_KEYS, MAX_PACKAGES_PER_REPLICA, candidate_mappings,
                                         check_mapping_value, demand_tokens_per_s, evaluate_columns)

BREAKDOWN = ("compute", "memory", "tp", "pp", "dp", "ep", "bubble", "overhead")
BREAKDOWN_PER = {"training": "iteration", "decode": "step", "prefill": "pass of batch prompts",
                 "serving": "cycle: batch requests served (prefills and decode steps)",
                 "static": "static batch: prefill then all decode steps",
                 "inflight": "iteration: one token of each running sequence plus the prompt chunks riding along"}
FIGURES = ("packages", "tokens_per_s", "requests_per_s", "iteration_s", "achieved_tflops_per_package", "mfu",
           "ttft_s", "tpot_s", "memory_gb_per_package", "memory_overflow_gb", "fits", "slo_ok", "availability")


def _best(mask: np.ndarray, score: np.ndarray) -> int:
    """Index of the highest ``score`` among the columns in ``mask`` (which has at least one)."""
    idx = np.flatnonzero(mask)
    return int(idx[np.argmax(score[idx])])


def choose(out: dict[str, np.ndarray], w) -> tuple[int, str]:
    """Index of the best column and a note when it is not a clean feasible choice."""
    ok = out["fits"] & out["tier_ok"] & out["slo_ok"] & out["precision_supported"] & (out["tokens_per_s"] > 0)
    rate = out["tokens_per_s"] * out["availability"]
    rate_per_package = rate / out["packages"]
    if w.kind == "training":
        demand = demand_tokens_per_s(w)
        meets = ok & (rate >= demand) if demand is not None else np.zeros_like(ok)
        if meets.any():
            idx = np.flatnonzero(meets)
            order = np.lexsort((-rate[idx], out["packages"][idx]))
            return int(idx[order[0]]), ""
        if ok.any():
            return _best(ok, rate), "no mapping meets the training demand; fastest shown"
    elif ok.any():
        return _best(ok, rate_per_package), ""
    if not out["precision_supported"].any():
        return 0, f"the SKU has no {w.precision} tensor path"
    fits = out["fits"] & out["precision_supported"]
    placed = fits & out["tier_ok"]
    if placed.any():
        return _best(placed, rate_per_package), "no mapping meets the SLOs; best that fits shown"
    if fits.any():
        i = _best(fits, rate_per_package)
        return i, "no mapping passes the memory-tier checks: " + "; ".join(tier_reasons(int(out["tier_mask"][i])))
    i = int(np.argmin(out["memory_overflow_gb"]))
    return i, f"no mapping fits in HBM; closest misses by {out['memory_overflow_gb'][i]:.1f} GB per package"


def evaluate_workload(w, sku_table: dict[str, np.ndarray], perf: dict, fixed: dict[str, int],
                      recompute: str | None = None) -> dict[str, Any]:
    if recompute is not None and w.kind == "training":
        w = w.model_copy(update={"recompute": recompute})
    model = resolve_model(w.model, w.name)
    for key, value in fixed.items():
        check_mapping_value(w, model, key, value)
        if w.kind != "training" and key in ("dp", "microbatch") and value != 1:
            raise InputError(f"{key} applies to training only (the optimiser chooses serving replicas)",
                             key=f"workload.{w.name}.mapping.{key}", value=value, expected="1")
    if fixed:
        rng = w.mapping.model_copy(update={k: [v] for k, v in fixed.items()})
        w = w.model_copy(update={"mapping": rng})
    maps = candidate_mappings(w, model, perf, MAX_PACKAGES_PER_REPLICA)
    n = len(maps["tp"])
    if n == 0:
        raise InputError("no parallel mapping is allowed", key=f"workload.{w.name}.mapping",
                         expected=f"tp x pp x dp x ep <= {MAX_PACKAGES_PER_REPLICA} packages with the given values")
    sku = {k: np.repeat(v[:1], n) for k, v in sku_table.items()}
    out = evaluate_columns(sku, maps, w, model, perf)
    i, note = choose(out, w)
    result: dict[str, Any] = {"name": w.name, "kind": w.kind, "mapping": {k: int(np.asarray(out.get(k, maps[k]))[i]) for k in MAPPING_KEYS}}
    kv_bytes = stack.kv_bytes(perf, w.precision)
    result["model"] = {"name": model.name, "params": model.params, "active_params": model.active_params,
                       "kv_bytes_per_token": model.kv_bytes_per_token(kv_bytes)}
    for key in FIGURES:
        v = out[key][i]
        result[key] = bool(v) if isinstance(v, (bool, np.bool_)) else (int(v) if key == "packages" else float(v))
    for key in ("iteration_s", "achieved_tflops_per_package", "mfu", "ttft_s", "tpot_s", "requests_per_s"):
        if not np.isfinite(result[key]):
            result[key] = None
    result["memory"] = memory_placement(out, i)
    result["breakdown"] = {k: float(out[f"t_{k}_s"][i]) for k in BREAKDOWN}
    if "t_kv_transfer_s" in out:
        result["breakdown"]["kv_transfer"] = float(out["t_kv_transfer_s"][i])
    result["breakdown_per"] = BREAKDOWN_PER[_breakdown_kind(w, perf)]
    if w.kind == "training":
        result["recompute"] = w.recompute
    if note:
        result["note"] = note
    return result


def memory_placement(out: dict[str, np.ndarray], i: int) -> dict[str, Any]:
    """Where column ``i`` keeps its weights and KV cache, each tier's use and the tier-2 figures."""
    weights, kv = PLACEMENTS[int(out["placement"][i])]
    return {"weights": weights, "kv": kv, "weights_tier2_share": float(out["weights_tier2_share"][i]),
            "kv_tier2_share": float(out["kv_tier2_share"][i]),
            "tier1_gb": float(out["tier1_gb"][i]), "tier2_gb": float(out["tier2_gb"][i]),
            "kv_write_gb_s": float(out["kv_write_gb_s"][i]), "tier2_write_cycles": float(out["tier2_write_cycles"][i]),
            "tier2_refresh_w": float(out["tier2_refresh_w"][i]), "tier_ok": bool(out["tier_ok"][i]),
            "tier_failures": tier_reasons(int(out["tier_mask"][i]))}


def _breakdown_kind(w, perf: dict) -> str:
    if w.kind == "serving" and w.batching == "static":
        return "static"
    if w.kind in ("serving", "decode") and stack.batching_mode(perf) == "inflight":
        return "inflight"
    return w.kind


def evaluate_instance(inst, sku_table: dict[str, np.ndarray], fixed: dict[str, int],
                      recompute: str | None = None) -> list[dict[str, Any]]:
    return [evaluate_workload(w, sku_table, inst.performance, fixed, recompute) for w in inst.workloads]


def explain_rows(inst) -> list[dict[str, Any]]:
    """Every performance-model parameter with its value and source, flattened to dotted keys."""
    rows: list[dict[str, Any]] = []

    def walk(values, sources, prefix):
        for key, value in values.items():
            src = sources.get(key, "") if isinstance(sources, dict) else ""
            if isinstance(value, dict):
                walk(value, src if isinstance(src, dict) else {}, f"{prefix}{key}.")
            else:
                rows.append({"key": f"performance.{prefix}{key}", "value": value, "source": src})

    walk(inst.performance, inst.performance_sources or {}, "")
    return rows
