"""Collective-communication times, vectorised over columns.

A group of ``g`` packages talks over its links when it fits the SKU's scale-up domain (an
NVLink-like electrical domain, a cluster-wide switched CPO fabric, a cabled group of direct links,
or an OCS-joined group) and over the scale-out network otherwise: a ring is as fast as its slowest
hop, and a group wider than the domain has scale-out hops. Over direct links (``topology`` direct
or ocs) the group is wired as the best shape its link count allows (``direct_mean_hops``): a ring
embeds in every shape with one hop per step, so ring and tree collectives run at the full link
bandwidth, while an all-to-all crosses the shape's mean hop distance on shared links.
Bandwidths are per direction per package; the efficiency is the achieved fraction of line rate.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd


def _ring_mean_hops(a):
    """Mean distance from a node of a bidirectional ring of ``a`` nodes to a random node (itself
    included): floor(a^2/4) / a."""
    a = np.asarray(a, dtype=float)
    return np.floor(a * a / 4.0) / a


def _factorizations(g: int, k: int, smallest: int = 2):
    """Non-decreasing k-tuples of integers >= ``smallest`` whose product is g."""
    if k == 1:
        if g >= smallest:
            yield (g,)
        return
    a = smallest
    while a ** k <= g:
        if g % a == 0:
            for rest in _factorizations(g // a, k - 1, a):
                yield (a, *rest)
        a += 1


@functools.lru_cache(maxsize=None)
def _torus_mean_hops(g: int, k: int) -> float:
    """Mean distance between distinct nodes of the best k-dimensional torus of exactly g nodes
    (sides a_1 ... a_k >= 2 with product g): sum_i floor(a_i^2/4)/a_i x g/(g-1); inf if g has no
    such factorisation (a prime g has no 2D or 3D torus)."""
    means = [sum(math.floor(a * a / 4) / a for a in dims) * g / (g - 1) for dims in _factorizations(g, k)]
    return min(means, default=math.inf)


def direct_mean_hops(links, g):
    """Mean hop distance between two distinct packages of a group of ``g`` wired point to point
    with ``links`` links each, in the best shape the links allow: a full mesh (links >= g - 1: one
    hop), a hypercube (g a power of two, links >= log2 g: d 2^(d-1) / (2^d - 1) hops), a 3D or 2D
    torus of exactly g nodes (links >= 2k; ``_torus_mean_hops``), or a ring (links >= 2:
    floor(g^2/4)/g x g/(g-1)); inf if none fits (one link joins only a pair)."""
    l = np.asarray(links, dtype=float)
    g = np.maximum(np.asarray(g, dtype=float), 2.0)
    l, g = np.broadcast_arrays(l, g)
    d = np.log2(g)
    hypercube_ok = (np.abs(d - np.round(d)) < 1e-9) & (l >= np.round(d))
    # the few distinct group sizes by hash (pandas' factorisation: no sort of the columns)
    where, sizes = pd.factorize(np.round(g).astype(np.int64).ravel())
    torus = {k: np.array([_torus_mean_hops(int(s), k) for s in sizes], dtype=float)[where].reshape(g.shape)
             for k in (2, 3)}
    shapes = [
        np.where(l >= g - 1.0, 1.0, np.inf),
        np.where(hypercube_ok, d * 2.0 ** (d - 1.0) / (2.0 ** d - 1.0), np.inf),
        np.where(l >= 6.0, torus[3], np.inf),
        np.where(l >= 4.0, torus[2], np.inf),
        np.where(l >= 2.0, _ring_mean_hops(g) * g / (g - 1.0), np.inf),
    ]
    return np.minimum.reduce(shapes)


def link(sku: Mapping[str, np.ndarray], span: np.ndarray, perf: dict,
         pattern: str = "ring") -> tuple[np.ndarray, np.ndarray]:
    """(effective bytes/s per direction, latency per message s) for a group spanning ``span``
    consecutive packages. ``pattern`` "alltoall": over direct links every message crosses the
    shape's mean hop distance, dividing the bandwidth and multiplying the latency by it."""
    eff = perf["efficiency"]
    span = np.asarray(span, dtype=float)
    inside = span <= sku["scaleup_domain_packages"]
    wired = inside & (np.asarray(sku.get("topology", "switched")) != "switched") & (span > 1)
    hops = np.ones(np.broadcast(span, inside).shape)
    if np.any(wired):
        # the shapes only for the columns wired point to point
        at = np.flatnonzero(np.broadcast_to(wired, hops.shape))
        hops[at] = direct_mean_hops(np.broadcast_to(np.asarray(sku["links"]), hops.shape)[at],
                                    np.broadcast_to(span, hops.shape)[at])
        # links that cannot join the group in any shape: it talks over the scale-out network
        inside = inside & np.isfinite(hops)
        hops = np.where(np.isfinite(hops), hops, 1.0)
    up_bw = sku["scaleup_bandwidth_gb_s"] * (1e9 * eff["scaleup_network"])
    if "scaleup_leaf_packages" in sku:
        # a group wider than a leaf of an oversubscribed photonic fabric shares its uplinks
        up_bw = np.where(span > sku["scaleup_leaf_packages"], up_bw / sku["scaleup_oversubscription"], up_bw)
    bw = np.where(inside, up_bw, sku["scaleout_bandwidth_gb_s"] * (1e9 * eff["scaleout_network"]))
    lat = np.where(inside, sku["scaleup_latency_s"], sku["scaleout_latency_s"])
    if pattern == "alltoall":
        bw, lat = np.where(inside, bw / hops, bw), np.where(inside, lat * hops, lat)
    return bw, lat + perf["latency"]["collective_step_s"]


def allreduce_s(nbytes, g, bw, lat):
    """All-reduce of ``nbytes`` per package over ``g`` packages, the faster of two algorithms (as
    NCCL chooses by message size): a ring, reduce-scatter then all-gather, 2(g-1) steps each moving
    nbytes/g (2 (g-1)/g nbytes / bw + 2 (g-1) lat), and a tree, reduce then broadcast over
    2 ceil(log2 g) steps each moving the whole message (2 nbytes / bw + 2 ceil(log2 g) lat; pipelined).
    Zero for g = 1. Sequence parallelism's reduce-scatter + all-gather pair costs the same."""
    g = np.asarray(g, dtype=float)
    ring = 2.0 * (g - 1.0) / g * nbytes / bw + 2.0 * (g - 1.0) * lat
    tree = 2.0 * nbytes / bw + 2.0 * np.ceil(np.log2(np.maximum(g, 1.0))) * lat
    return np.where(g > 1, np.minimum(ring, tree), 0.0)


def allgather_s(nbytes, g, bw, lat):
    """Ring all-gather (or reduce-scatter) whose full result is ``nbytes``: g-1 steps of nbytes/g."""
    g = np.asarray(g, dtype=float)
    return np.where(g > 1, (g - 1.0) / g * nbytes / bw + (g - 1.0) * lat, 0.0)


def alltoall_s(nbytes, g, bw, lat):
    """All-to-all where each package holds ``nbytes`` to spread evenly over the group, the faster
    of pairwise exchange ((g-1)/g of it leaves the package in g-1 messages) and Bruck's algorithm
    for small messages (ceil(log2 g) steps, each forwarding half the data)."""
    g = np.asarray(g, dtype=float)
    steps = np.ceil(np.log2(np.maximum(g, 1.0)))
    pairwise = (g - 1.0) / g * nbytes / bw + (g - 1.0) * lat
    bruck = steps * (nbytes / 2.0 / bw + lat)
    return np.where(g > 1, np.minimum(pairwise, bruck), 0.0)


def p2p_s(nbytes, bw, lat):
    """One point-to-point message."""
    return nbytes / bw + lat
