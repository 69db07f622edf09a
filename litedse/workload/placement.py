"""Placement of the weights and the KV cache on a package's two memory tiers, and the checks a
second tier imposes (write bandwidth, retention, endurance). Equations: formulations/memory.md.

A placement puts a share of the weights and a share of the KV cache on tier 2; the rest, with the
activations and the runtime reserve, stays in tier 1 (HBM). Each share is one of SHARES:
- ``hbm``: all in tier 1;
- ``tier2``: all in tier 2;
- ``striped``: interleaved over both tiers in proportion to their read bandwidths, so that each
  tier streams its part in the same time;
- ``spill``: capacity first. Weights fill tier 1 up to its reserve and the rest goes to tier 2;
  the KV cache is spread over both tiers' free memory in proportion to it, so that the pool takes
  all of it;
- for the weights also the fixed fractions WEIGHT_FRACTIONS (25%, 50%, 75% on tier 2), so that
  weights can make room in HBM for the KV cache.
The tiers are separate channels read at the same time, so reading B bytes of which a share s sits
in tier 2 takes max((1 - s) B / bw_1, s B / bw_2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from litedse.errors import InputError
from litedse.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

SHARES = ("hbm", "tier2", "striped", "spill")
# fixed fractions of the weights on tier 2 between the named shares (assumption: a quarter step; on
# the lite long-generation optimum of the MRM study, a 21 x 21 grid of (weights, KV) splits found
# 6.4% more throughput than the four named shares alone and 1.2% more than with these quarters:
# 1,500 against 1,518 tokens/s, measured 2026-12-02)
WEIGHT_FRACTIONS = ("25%", "50%", "75%")
WEIGHT_SHARES = SHARES + WEIGHT_FRACTIONS
# every (weights, kv) placement; the first is the HBM-only placement of a package without a tier 2
PLACEMENTS = tuple((w, k) for w in WEIGHT_SHARES for k in SHARES)
# bits of ``tier_mask``, in the order their reasons are reported
REASONS = (
    ("kv_write", "the KV cache is written faster than its tier's write bandwidth"),
    ("retention", "data on tier 2 outlives its retention"),
    ("endurance", "tier 2 wears out within the service life"),
)


def placement_name(p: tuple[str, str]) -> str:
    return f"weights:{p[0]},kv:{p[1]}"


def placements_of(perf: dict, file: str | None = None) -> tuple[tuple[str, str], ...]:
    """The placements to try on a column with a second tier: all of them (``memory.placement`` =
    "auto") or the one named there, e.g. "weights:tier2,kv:hbm"."""
    name = perf.get("memory", {}).get("placement", "auto")
    if name == "auto":
        return PLACEMENTS
    for p in PLACEMENTS:
        if placement_name(p) == name:
            return (p,)
    raise InputError("unknown placement", file=file, key="performance.memory.placement", value=name,
                     expected="auto or weights:<share>,kv:<share> with weights one of " + ", ".join(WEIGHT_SHARES)
                              + " and kv one of " + ", ".join(SHARES))


def _col(sku: Mapping[str, np.ndarray], key: str, n: int, default: float = 0.0) -> np.ndarray:
    return np.asarray(sku[key], dtype=float) if key in sku else np.full(n, default)


@dataclass
class Tiers:
    """Per column: the two tiers' capacities [B] and achieved bandwidths [B/s] at one placement,
    the placement's shares and the refresh traffic its tier-2 weights need."""

    cap1: np.ndarray
    cap2: np.ndarray
    read1: np.ndarray            # achieved read bandwidth of tier 1 [B/s]
    read2: np.ndarray            # of tier 2, less the time its refresh takes [B/s]
    write1: np.ndarray
    write2: np.ndarray           # less the refresh's own writes [B/s]
    weights_share: np.ndarray    # share of the weights on tier 2
    kv_share: np.ndarray         # share of the KV cache on tier 2
    refresh_b_s: np.ndarray      # bytes/s tier 2 rereads and rewrites to keep its weights [B/s]
    refresh_load: np.ndarray     # share of tier 2's time its refresh takes

    @classmethod
    def of(cls, sku: Mapping[str, np.ndarray], hbm_efficiency, placement: tuple[str, str], weights,
           reserve_b: float = 0.0) -> "Tiers":
        """``weights``: weight bytes per package; ``hbm_efficiency``: the achieved fraction of peak
        memory bandwidth (the serving stack's, applied to both tiers); ``reserve_b``: tier 1's
        runtime reserve [B] (what a spill leaves free)."""
        weights = np.asarray(weights, dtype=float)
        n = len(weights)
        eff = np.broadcast_to(np.asarray(hbm_efficiency, dtype=float), (n,))
        cap1 = _col(sku, "hbm_capacity_gb", n) * 1e9
        cap2 = _col(sku, "tier2_capacity_gb", n) * 1e9
        read1 = _col(sku, "hbm_bandwidth_gb_s", n) * 1e9 * eff
        raw2 = _col(sku, "tier2_read_bandwidth_gb_s", n) * 1e9 * eff
        write1 = _col(sku, "hbm_write_bandwidth_gb_s", n) * 1e9 * eff if "hbm_write_bandwidth_gb_s" in sku else read1
        raw_w2 = _col(sku, "tier2_write_bandwidth_gb_s", n) * 1e9 * eff
        striped = np.where(read1 + raw2 > 0, raw2 / np.maximum(read1 + raw2, 1e-300), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            spill_w = np.where(weights > 0, np.clip(1.0 - (cap1 - reserve_b) / weights, 0.0, 1.0), 0.0)
        share = {"hbm": np.zeros(n), "tier2": np.ones(n), "striped": striped, "spill": spill_w,
                 **{f: np.full(n, float(f[:-1]) / 100.0) for f in WEIGHT_FRACTIONS}}
        ws = share[placement[0]]
        if placement[1] == "spill":
            free1 = np.maximum(cap1 - reserve_b - (1.0 - ws) * weights, 0.0)
            free2 = np.maximum(cap2 - ws * weights, 0.0)
            ks = np.where(free1 + free2 > 0, free2 / np.maximum(free1 + free2, 1e-300), 0.0)
        else:
            ks = share[placement[1]]
        retention = _col(sku, "tier2_retention_s", n, np.inf)
        # data kept past its retention must be reread and rewritten once per retention period
        refresh = np.where(ws > 0, ws * weights / retention, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            load = np.where(refresh > 0, refresh / raw2 + refresh / raw_w2, 0.0)
        # (a refresh that takes all of the tier's time fails the retention check; the floor keeps the
        # roofline finite for that column's report)
        keep = np.clip(1.0 - load, 1e-12, 1.0)
        return cls(cap1=cap1, cap2=cap2, read1=read1, read2=raw2 * keep, write1=write1,
                   write2=np.maximum(raw_w2 - refresh, 0.0), weights_share=ws, kv_share=ks,
                   refresh_b_s=refresh, refresh_load=load)

    def read_bandwidth(self, share: np.ndarray) -> np.ndarray:
        """Achieved B/s of reading data of which ``share`` sits on tier 2 (both tiers at once)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(share < 1, (1.0 - share) / self.read1, 0.0)
            t2 = np.where(share > 0, share / self.read2, 0.0)
        return 1.0 / np.maximum(t1, t2)

    @property
    def weights_bandwidth(self) -> np.ndarray:
        return self.read_bandwidth(self.weights_share)

    @property
    def kv_bandwidth(self) -> np.ndarray:
        return self.read_bandwidth(self.kv_share)

    def kv_pool(self, weights, reserve_b: float, pool_fraction: float) -> np.ndarray:
        """Bytes the KV cache may take per package: the stack's share of each tier's free memory,
        the KV split between the tiers by its placement (the tighter tier decides)."""
        free1 = np.maximum(self.cap1 - reserve_b - (1.0 - self.weights_share) * weights, 0.0)
        free2 = np.maximum(self.cap2 - self.weights_share * weights, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            by1 = np.where(self.kv_share < 1, free1 / (1.0 - self.kv_share), np.inf)
            by2 = np.where(self.kv_share > 0, free2 / self.kv_share, np.inf)
        return np.minimum(by1, by2) * pool_fraction

    def take(self, idx: np.ndarray) -> "Tiers":
        return Tiers(**{k: v[idx] for k, v in self.__dict__.items()})


def tier_usage(tiers: Tiers, weights, kv, reserve_b: float) -> tuple[np.ndarray, np.ndarray]:
    """(tier-1 bytes, tier-2 bytes) per package of ``weights`` and ``kv`` bytes at the placement."""
    t1 = (1.0 - tiers.weights_share) * weights + (1.0 - tiers.kv_share) * kv + reserve_b
    t2 = tiers.weights_share * weights + tiers.kv_share * kv
    return t1, t2


def tier_checks(sku: Mapping[str, np.ndarray], tiers: Tiers, kv_write_b_s, kv_bytes, weights, request_s,
                deployments_per_year: float) -> dict[str, np.ndarray]:
    """The second tier's checks on one column (formulations/memory.md, Checks):
    - write bandwidth: each tier's share of the KV writes within its write bandwidth (KV writes are
      posted and overlap the reads: one token's entry per sequence against its whole context read);
    - retention: a request's KV on tier 2 must outlive the request (``request_s``);
    - endurance: over the service life, each tier-2 cell is written at most its endurance: weights
      once per deployment and once per retention period, KV cells at the write rate over the KV
      region (wear-levelled).
    Returns ``tier_ok``, ``tier_mask`` (bits of REASONS) and the figures behind them."""
    n = len(tiers.cap1)
    kv_write = np.asarray(kv_write_b_s, dtype=float)
    life = _col(sku, "service_life_s", n, 0.0)
    retention = _col(sku, "tier2_retention_s", n, np.inf)
    endurance = _col(sku, "tier2_write_endurance_cycles", n, np.inf)
    ks, ws = tiers.kv_share, tiers.weights_share
    write_over = ((1.0 - ks) * kv_write > tiers.write1 * (1 + 1e-9)) | (ks * kv_write > tiers.write2 * (1 + 1e-9))
    kept_past = (ks > 0) & (np.asarray(request_s, dtype=float) > retention) | (tiers.refresh_load >= 1.0)
    years = life / (HOURS_PER_YEAR * SECONDS_PER_HOUR)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight_cycles = np.where(ws > 0, life / retention + deployments_per_year * years, 0.0)
        kv_cycles = np.where((ks > 0) & (kv_bytes > 0), kv_write * life / np.asarray(kv_bytes, dtype=float), 0.0)
    cycles = np.maximum(weight_cycles, kv_cycles)
    worn = cycles > endurance
    mask = write_over.astype(np.int64) | (kept_past.astype(np.int64) << 1) | (worn.astype(np.int64) << 2)
    # the refresh rereads and rewrites: its energy at the tier's pJ/bit (within the provisioned TDP)
    refresh_w = tiers.refresh_b_s * 8.0 * (_col(sku, "tier2_read_energy_pj_per_bit", n)
                                           + _col(sku, "tier2_write_energy_pj_per_bit", n)) * 1e-12
    return {"tier_ok": mask == 0, "tier_mask": mask, "kv_write_gb_s": kv_write / 1e9,
            "tier2_write_cycles": cycles, "tier2_refresh_w": refresh_w}


def tier_reasons(mask: int) -> list[str]:
    """Human reasons for one column's ``tier_mask``."""
    return [text for bit, (_, text) in enumerate(REASONS) if int(mask) >> bit & 1]
