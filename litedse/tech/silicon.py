"""Die geometry, dies per wafer, yield models and harvesting, cost per good die.

Pure numpy functions; every argument may be an array (broadcast together).
"""

from __future__ import annotations

import numpy as np
from scipy import special

YIELD_MODELS = ("poisson", "murphy", "seeds", "negative_binomial")


def die_dimensions_mm(die_area_mm2, aspect_ratio, reticle_width_mm, reticle_height_mm):
    """(short_mm, long_mm) of a rectangular die of the given area and long/short aspect ratio.

    A die that would be wider than the reticle's short side is stretched along the long side
    (a 814 mm^2 die cannot be square in a 26 x 33 mm field). Check ``fits_reticle`` separately.
    """
    area = np.asarray(die_area_mm2, dtype=float)
    ratio = np.maximum(np.asarray(aspect_ratio, dtype=float), 1.0)
    short = np.sqrt(area / ratio)
    long_ = ratio * short
    too_wide = short > reticle_width_mm
    short = np.where(too_wide, reticle_width_mm, short)
    long_ = np.where(too_wide, area / reticle_width_mm, long_)
    return short, long_


def fits_reticle(short_mm, long_mm, reticle_width_mm, reticle_height_mm):
    """True where the die fits in one lithography field (26 x 33 mm = 858 mm^2 [S])."""
    tol = 1e-9
    return (np.asarray(short_mm) <= reticle_width_mm + tol) & (np.asarray(long_mm) <= reticle_height_mm + tol)


def perimeter_mm(short_mm, long_mm):
    """Die edge length (shoreline) in mm."""
    return 2.0 * (np.asarray(short_mm) + np.asarray(long_mm))


def dies_per_wafer(die_footprint_mm2, usable_diameter_mm):
    """Gross dies per wafer, DPW = pi (d/2)^2 / S - pi d / sqrt(2 S) (standard textbook formula).

    ``die_footprint_mm2`` is S, the die area including scribe lanes; ``usable_diameter_mm`` is d, the
    wafer diameter minus twice the edge exclusion. Rounded down, never negative.
    """
    s = np.asarray(die_footprint_mm2, dtype=float)
    d = np.asarray(usable_diameter_mm, dtype=float)
    gross = np.pi * (d / 2.0) ** 2 / s - np.pi * d / np.sqrt(2.0 * s)
    return np.maximum(np.floor(gross), 0.0)


def yield_poisson(area_cm2, defect_density_per_cm2):
    """Y = exp(-A D0)."""
    return np.exp(-np.asarray(area_cm2) * defect_density_per_cm2)


def yield_murphy(area_cm2, defect_density_per_cm2):
    """Y = ((1 - exp(-A D0)) / (A D0))^2, equal to 1 at A D0 = 0."""
    ad = np.asarray(area_cm2, dtype=float) * defect_density_per_cm2
    safe = np.where(ad > 0, ad, 1.0)
    return np.where(ad > 0, ((1.0 - np.exp(-safe)) / safe) ** 2, 1.0)


def yield_seeds(area_cm2, defect_density_per_cm2):
    """Y = 1 / (1 + A D0)."""
    return 1.0 / (1.0 + np.asarray(area_cm2) * defect_density_per_cm2)


def yield_negative_binomial(area_cm2, defect_density_per_cm2, alpha):
    """Y = (1 + A D0 / alpha)^-alpha; alpha -> inf gives Poisson, alpha = 1 gives Seeds."""
    return (1.0 + np.asarray(area_cm2) * defect_density_per_cm2 / alpha) ** (-np.asarray(alpha, dtype=float))


def defect_free_probability(area_mm2, defect_density_per_cm2, model: str, alpha=3.0):
    """Probability that ``area_mm2`` of silicon has no killer defect under the named yield model."""
    area_cm2 = np.asarray(area_mm2, dtype=float) / 100.0
    if model == "poisson":
        return yield_poisson(area_cm2, defect_density_per_cm2)
    if model == "murphy":
        return yield_murphy(area_cm2, defect_density_per_cm2)
    if model == "seeds":
        return yield_seeds(area_cm2, defect_density_per_cm2)
    if model == "negative_binomial":
        return yield_negative_binomial(area_cm2, defect_density_per_cm2, alpha)
    raise ValueError(f"unknown yield model {model!r}; expected one of {', '.join(YIELD_MODELS)}")


def binomial_cdf(k, n, q):
    """P(X <= k) for X ~ Binomial(n, q), vectorised over arrays of k, n, q, in closed form: the
    regularised incomplete beta function I_{1-q}(n - k, k + 1) (scipy.special.bdtr), so its cost
    does not grow with the number of spare units (a die of 10^9 mm^2 has millions)."""
    k, n, q = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float),
                                  np.asarray(q, dtype=float))
    k = np.floor(k)
    inside = (k >= 0) & (k < n)
    with np.errstate(invalid="ignore"):
        cdf = special.bdtr(np.where(inside, k, 0.0).astype(np.int64), np.floor(np.maximum(n, 1.0)).astype(np.int64),
                           np.clip(q, 0.0, 1.0))
    total = np.where(k >= n, 1.0, np.where(k < 0, 0.0, cdf))
    # q == 0: every unit good; q == 1: only all-spare dies are good
    total = np.where(q <= 0.0, np.where(k >= 0, 1.0, 0.0), total)
    total = np.where(q >= 1.0, (k >= n).astype(float), total)
    return np.clip(total, 0.0, 1.0)


def harvested_yield(nonrepeatable_area_mm2, units, spare_units, unit_area_mm2,
                    defect_density_per_cm2, model: str, alpha=3.0):
    """Die yield with harvesting: the non-repeatable area is defect free and at most ``spare_units``
    of the ``units`` repeatable blocks are defective.

    Y = Y_model(A_nr) * P(Binomial(units, 1 - Y_model(a_unit)) <= spare). Clustering (alpha) is
    applied within each block and blocks are taken as independent (a block-yield approximation);
    with ``spare_units = 0`` and Poisson this equals exp(-A D0) exactly.
    """
    y_nr = defect_free_probability(nonrepeatable_area_mm2, defect_density_per_cm2, model, alpha)
    y_unit = defect_free_probability(unit_area_mm2, defect_density_per_cm2, model, alpha)
    return y_nr * binomial_cdf(spare_units, units, 1.0 - y_unit)


def cost_per_good_die_usd(wafer_cost_usd, dies_per_wafer_, die_yield, test_cost_usd_per_die):
    """(wafer cost / DPW + test cost per die tested) / yield: every die is sorted, only good ones sell."""
    dpw = np.asarray(dies_per_wafer_, dtype=float)
    y = np.asarray(die_yield, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = (np.asarray(wafer_cost_usd) / dpw + test_cost_usd_per_die) / y
    return np.where((dpw > 0) & (y > 0), cost, np.inf)
