"""The serving stack: how the inference engine behaves, as the performance model reads it.

A serving stack is a preset (``litedse/presets/serving/<name>.toml``) chosen by
``performance.serving_stack`` and resolved into ``performance["stack"]``: KV-cache format per
precision and the share of free memory it may take, the capacity scheduler's reservation policy, the
GQA attention kernel, the batching mode (in-flight mixing of prompt chunks with decode tokens up to
``max_num_tokens``, or each prefill its own pass), per-iteration overheads, the largest batch, and
achieved efficiencies per GPU architecture and weight precision. Equations: formulations/performance.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

BATCHING_MODES = ("inflight", "separate_prefill")
SCHEDULERS = ("reserve_full", "mean_occupancy")
GQA_KERNELS = ("read_once", "reread")
EFFICIENCY_KEYS = ("compute_prefill", "compute_decode", "hbm")


def kv_bytes(perf: dict, precision: str) -> float:
    """Bytes per cached K or V element under a weight precision [B]."""
    return float(perf["stack"]["kv_cache"][f"bytes_{precision}"])


def comm_bytes(perf: dict, precision: str) -> float:
    """Bytes per activation element in the serving collectives (TP all-reduce, EP, PP) [B]."""
    return float(perf["stack"]["collectives"][f"bytes_{precision}"])


def batching_mode(perf: dict) -> str:
    return str(perf["stack"]["batching"]["mode"])


def efficiency_entry(perf: dict, architecture: str, precision: str) -> tuple[str, dict]:
    """(name, table) of the efficiency entry that applies: ``<arch>-<precision>``, else
    ``<arch>``, else ``default``."""
    table = perf["stack"]["efficiency"]
    for name in (f"{architecture}-{precision}", architecture, "default"):
        if name in table:
            return name, table[name]
    raise KeyError("the serving stack has no efficiency.default entry")


def efficiencies(sku: Mapping[str, np.ndarray], perf: dict, precision: str, n: int) -> dict[str, np.ndarray]:
    """Per-column achieved fractions of peak FLOP/s and HBM bandwidth (``EFFICIENCY_KEYS``), from
    each SKU's architecture (a loop over the few distinct architectures, not over columns)."""
    arch = np.asarray(sku["architecture"], dtype=object) if "architecture" in sku else np.full(n, "default", object)
    arch = np.broadcast_to(arch, (n,))
    if n and (arch == arch[0]).all():         # one architecture (the usual case): one comparison pass
        uniq, inverse = arch[:1], np.zeros(n, dtype=np.intp)
    else:                                     # the few names by one hash pass (no conversion, no sort)
        inverse, uniq = pd.factorize(arch, use_na_sentinel=False)
    out = {}
    for key in EFFICIENCY_KEYS:
        values = np.array([float(efficiency_entry(perf, a, precision)[1][key]) for a in uniq])
        out[key] = values[inverse]
    return out


def reserves_full_output(perf: dict) -> bool:
    """Whether an admitted request reserves KV for its whole output (``reserve_full``, the
    TensorRT-LLM guaranteed-no-evict policy) rather than its mean occupancy (``mean_occupancy``,
    engines that admit by occupancy and pre-empt, such as vLLM)."""
    return perf["stack"]["kv_cache"]["scheduler"] == "reserve_full"


def gqa_reread(perf: dict, heads_per_kv_group) -> np.ndarray | float:
    """Factor on the K/V bytes read in decode attention: 1 when each KV head is read once per group
    (XQA, FlashAttention), 1 + (g - 1) f when each of a group's g query heads re-reads it and a
    fraction f of the re-reads miss on-chip cache."""
    att = perf["stack"]["attention"]
    if att["gqa_kv"] == "read_once":
        return 1.0
    return 1.0 + (heads_per_kv_group - 1.0) * float(att["gqa_kv_reread_fraction"])
