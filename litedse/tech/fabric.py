"""Network fabric sizing: non-blocking folded-Clos fat trees of radix-R switches.

The one implementation of fat-tree sizing: the MILP's tier options and switch rows, the design
evaluator, the solution builder, the re-check and the replica bounds all call these functions.
"""

from __future__ import annotations

import numpy as np

# tiers the model offers; 4 tiers of radix-64 switches connect 2 x 32^4 = 2.1M ports, beyond any
# cluster litedse sizes (assumption: deeper trees are not built)
MAX_TIERS = 4


def tree_capacity(radix, tiers):
    """Endpoint ports a non-blocking fat tree of ``tiers`` tiers of radix-R switches connects:
    R for one tier, 2 (R/2)^t for t tiers (R^2/2 for two, R^3/4 for three; equal to R at t = 1).
    Al-Fares et al., SIGCOMM 2008."""
    return 2.0 * (np.asarray(radix, dtype=float) / 2.0) ** np.asarray(tiers, dtype=float)


def fat_tree_tiers(endpoints, radix, max_tiers: int = MAX_TIERS):
    """Fewest tiers t in 1..max_tiers whose tree connects ``endpoints`` ports; 0 for no endpoints;
    ``max_tiers`` also where even that many tiers are too few (``fits`` tells those apart)."""
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    tiers = np.full(np.broadcast(e, r).shape, max_tiers, dtype=int)
    for t in range(max_tiers - 1, 0, -1):          # fewest tiers that fit: scan from the top
        tiers = np.where(e <= tree_capacity(r, t), t, tiers)
    return np.where(e > 0, tiers, 0)


def fits(endpoints, radix, max_tiers: int = MAX_TIERS):
    """Whether ``endpoints`` ports fit in a tree of at most ``max_tiers`` tiers."""
    return np.asarray(endpoints, dtype=float) <= tree_capacity(radix, max_tiers)


def fat_tree_switches(endpoints, radix, tiers=None):
    """Switches of a non-blocking fat tree of t tiers: ceil((2t - 1) E / R); 0 without endpoints.

    Unfolded, a t-tier folded Clos has 2t - 1 switch stages and each stage carries all E endpoint
    ports' worth of traffic at full bisection, i.e. E/R switches per stage (lower tiers use half
    their ports down, half up; the top tier all down), rounded up once for the whole tree.
    ``tiers`` defaults to the fewest that fit (``fat_tree_tiers``). The MILP's ``fabric_switches``
    rows (formulations/design.md) state exactly this count.
    """
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    t = fat_tree_tiers(e, r) if tiers is None else np.asarray(tiers, dtype=float)
    return np.where(e > 0, np.ceil((2.0 * t - 1.0) * e / r), 0.0)
