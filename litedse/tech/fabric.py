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
    """Switches of the smallest non-blocking fat tree of t tiers: ceil((2t - 1) E / R).

    Unfolded, a t-tier folded Clos has 2t - 1 switch stages and each stage carries all E endpoint
    ports' worth of traffic at full bisection, i.e. E/R switches per stage (lower tiers use half
    their ports down, half up; the top tier all down): (2t - 1) E / R switches (Al-Fares et al.
    2008), rounded up once for the whole tree. One tier is ceil(E/R). The MILP (formulations/design.md, `fabric_switches`)
    uses exactly this count, so both solvers and this function agree.
    """
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    t = fat_tree_tiers(e, r)
    return np.where(t == 0, 0.0, np.ceil((2.0 * t - 1.0) * e / r))


def fabric_links(endpoints, tiers):
    """Cables in the fat tree: one per endpoint per tier (each tier carries the full bisection)."""
    return np.asarray(endpoints, dtype=float) * np.asarray(tiers, dtype=float)
