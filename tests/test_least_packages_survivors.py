"""prune.least_packages_survivors (Propositions 2 and 3 in one pass, used inside every chunk of the
column builder) against a brute force written from the propositions: per group, among the columns
of least need g n*, those no other column of the group dominates (r' >= r and g' <= g, the lower
index winning ties), and of those the lowest index."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from litedse.optimize.prune import least_packages_survivors


def _brute(groups, r, g, need):
    keep = np.zeros(len(r), dtype=bool)
    for grp in np.unique(groups):
        idx = np.flatnonzero(groups == grp)
        least = idx[need[idx] == need[idx].min()]

        def dominated(c):
            return any((r[d] >= r[c] and g[d] <= g[c]) and (r[d] > r[c] or g[d] < g[c] or d < c)
                       for d in idx if d != c)
        alive = [c for c in least if not dominated(c)]
        keep[min(alive)] = True
    return keep


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 4), st.integers(1, 4)), min_size=1, max_size=40),
       st.integers(1, 20), st.booleans())
def test_least_packages_survivors_equals_brute_force(rows, demand, sort):
    groups, r, g = (np.array(x) for x in zip(*rows))
    need = g * np.ceil(demand / r)            # g_c n*_c: packages to meet the demand
    if sort:                                   # the builder's chunks come grouped by SKU
        o = np.argsort(groups, kind="stable")
        groups, r, g, need = groups[o], r[o], g[o], need[o]
    got = least_packages_survivors(groups, r.astype(float), g.astype(float), need.astype(float))
    assert np.array_equal(got, _brute(groups, r, g, need))
