"""Collective-communication times, vectorised over columns.

A group of ``g`` packages talks over the scale-up fabric when it fits one scale-up domain (or the
SKU is CPO, whose domain spans the cluster) and over the scale-out network otherwise: a ring is as
fast as its slowest hop, and a group wider than the electrical domain has scale-out hops.
Bandwidths are per direction per package; the efficiency is the achieved fraction of line rate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def link(sku: Mapping[str, np.ndarray], span: np.ndarray, perf: dict) -> tuple[np.ndarray, np.ndarray]:
    """(effective bytes/s per direction, latency per message s) for a group spanning ``span``
    consecutive packages."""
    eff = perf["efficiency"]
    inside = (span <= sku["scaleup_domain_packages"]) | np.asarray(sku["is_cpo"], dtype=bool)
    bw = np.where(inside, sku["scaleup_bandwidth_gb_s"] * (1e9 * eff["scaleup_network"]),
                  sku["scaleout_bandwidth_gb_s"] * (1e9 * eff["scaleout_network"]))
    lat = np.where(inside, sku["scaleup_latency_s"], sku["scaleout_latency_s"]) + perf["latency"]["collective_step_s"]
    return bw, lat


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
