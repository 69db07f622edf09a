"""Network fabric sizing: folded-Clos fat trees of radix-R switches, non-blocking or with an
oversubscribed leaf tier.

The one implementation of fat-tree sizing: the MILP's tier options and switch rows, the design
evaluator, the solution builder, the re-check and the replica bounds all call these functions.
An oversubscription o >= 1 means each leaf switch gives R o / (1 + o) ports to endpoints and
R / (1 + o) to the tiers above, which then carry 1/o of the endpoints' traffic (o = 1:
non-blocking, half the leaf's ports each way).
"""

from __future__ import annotations

import numpy as np

# tiers the model offers; 4 tiers of radix-64 switches connect 2 x 32^4 = 2.1M ports, beyond any
# cluster litedse sizes (assumption: deeper trees are not built)
MAX_TIERS = 4


def tree_capacity(radix, tiers, oversubscription=1.0):
    """Endpoint ports a fat tree of ``tiers`` tiers of radix-R switches connects: R for one tier;
    2 (R/2)^t x 2o/(1+o) for t >= 2 tiers with leaf oversubscription o (2 (R/2)^t non-blocking:
    R^2/2 for two tiers, R^3/4 for three). Al-Fares et al., SIGCOMM 2008."""
    r = np.asarray(radix, dtype=float)
    t = np.asarray(tiers, dtype=float)
    o = np.asarray(oversubscription, dtype=float)
    return np.where(t <= 1, r, 2.0 * (r / 2.0) ** t * (2.0 * o / (1.0 + o)))


def switches_per_port(tiers, oversubscription=1.0):
    """Switch ports per endpoint port of a t-tier tree, i.e. switches x R / E: (o + 2t - 2) / o
    (2t - 1 non-blocking: unfolded, 2t - 1 stages each carry every endpoint's traffic; with an
    oversubscribed leaf the 2t - 3 stages above it carry 1/o of it, and the leaf needs (1 + o)/o)."""
    t = np.asarray(tiers, dtype=float)
    o = np.asarray(oversubscription, dtype=float)
    return (o + 2.0 * t - 2.0) / o


def fat_tree_tiers(endpoints, radix, max_tiers: int = MAX_TIERS, oversubscription=1.0):
    """Fewest tiers t in 1..max_tiers whose tree connects ``endpoints`` ports; 0 for no endpoints;
    ``max_tiers`` also where even that many tiers are too few (``fits`` tells those apart)."""
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    tiers = np.full(np.broadcast(e, r).shape, max_tiers, dtype=int)
    for t in range(max_tiers - 1, 0, -1):          # fewest tiers that fit: scan from the top
        tiers = np.where(e <= tree_capacity(r, t, oversubscription), t, tiers)
    return np.where(e > 0, tiers, 0)


def fits(endpoints, radix, max_tiers: int = MAX_TIERS, oversubscription=1.0):
    """Whether ``endpoints`` ports fit in a tree of at most ``max_tiers`` tiers."""
    return np.asarray(endpoints, dtype=float) <= tree_capacity(radix, max_tiers, oversubscription)


def fat_tree_switches(endpoints, radix, tiers=None, oversubscription=1.0):
    """Switches of a fat tree of t tiers: ceil(switches_per_port(t, o) x E / R), (2t - 1) E / R
    non-blocking; 0 without endpoints, rounded up once for the whole tree. ``tiers`` defaults to
    the fewest that fit (``fat_tree_tiers``). The MILP's ``fabric_switches`` rows
    (formulations/design.md) state exactly this count.
    """
    e = np.asarray(endpoints, dtype=float)
    r = np.asarray(radix, dtype=float)
    t = fat_tree_tiers(e, r, oversubscription=oversubscription) if tiers is None else np.asarray(tiers, dtype=float)
    return np.where(e > 0, np.ceil(switches_per_port(t, oversubscription) * e / r), 0.0)
