"""Network fabric sizing: folded-Clos fat trees of radix-R switches."""

from __future__ import annotations

import numpy as np


def fat_tree_tiers(endpoints, radix):
    """Fewest tiers t of a non-blocking folded Clos that connects ``endpoints`` ports.

    Capacity of t tiers: R for t = 1, else 2 (R/2)^t (R^2/2 for two tiers, R^3/4 for three).
    0 endpoints need 0 tiers.
    """
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    tiers = np.where(e <= 0, 0, np.where(e <= r, 1, 2))
    for t in (2, 3, 4, 5):
        tiers = np.where((tiers == t) & (e > 2.0 * (r / 2.0) ** t), t + 1, tiers)
    return tiers.astype(int)


def fat_tree_switches(endpoints, radix):
    """Switches of the smallest non-blocking fat tree: 1 tier: ceil(E/R); t >= 2 tiers:
    (2t - 1) ceil(2E/R)/2 -- leaves ceil(2E/R) (half their ports down), each upper tier half as many
    switches as ports needed, i.e. (2t-1) E/R switches for full bisection (Al-Fares et al. 2008)."""
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    t = fat_tree_tiers(e, r)
    leaves = np.ceil(2.0 * e / r)
    multi = (2.0 * t - 1.0) * leaves / 2.0
    return np.where(t == 0, 0.0, np.where(t == 1, np.ceil(e / r), np.ceil(multi)))


def fabric_links(endpoints, tiers):
    """Cables in the fat tree: one per endpoint per tier (each tier carries the full bisection)."""
    return np.asarray(endpoints, dtype=float) * np.asarray(tiers, dtype=float)
