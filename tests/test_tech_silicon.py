"""Silicon physics against hand-computed values and direct calculations; monotonicity by hypothesis."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litedse.tech import silicon


def test_dies_per_wafer_hand_value():
    # pi*150^2/100 - pi*300/sqrt(200) = 706.858 - 66.643 = 640.2 -> 640
    assert silicon.dies_per_wafer(100.0, 300.0) == 640
    # 814 mm^2 H100-class die with 0.2 mm scribe on 26 x 31.31 mm: S = 26.2 x 31.51 = 825.56 mm^2, d = 294
    s = 26.2 * 31.51
    expected = math.floor(math.pi * 147.0**2 / s - math.pi * 294.0 / math.sqrt(2 * s))
    assert silicon.dies_per_wafer(s, 294.0) == expected == 59


def test_dies_per_wafer_never_negative():
    assert silicon.dies_per_wafer(1e6, 300.0) == 0


@pytest.mark.parametrize("model,expected", [
    ("poisson", math.exp(-0.5)),                              # 0.60653
    ("murphy", ((1 - math.exp(-0.5)) / 0.5) ** 2),            # 0.61927
    ("seeds", 1 / 1.5),                                        # 0.66667
    ("negative_binomial", (1 + 0.5 / 2.0) ** -2.0),            # 0.64 with alpha = 2
])
def test_yield_models_hand_values(model, expected):
    # 100 mm^2 = 1 cm^2 at D0 = 0.5 /cm^2
    got = silicon.defect_free_probability(100.0, 0.5, model, alpha=2.0)
    assert got == pytest.approx(expected, rel=1e-12)


def test_negative_binomial_limits():
    assert silicon.yield_negative_binomial(2.0, 0.3, 1e9) == pytest.approx(math.exp(-0.6), rel=1e-6)
    assert silicon.yield_negative_binomial(2.0, 0.3, 1.0) == pytest.approx(silicon.yield_seeds(2.0, 0.3))


def test_murphy_zero_area_is_one():
    assert silicon.yield_murphy(0.0, 0.1) == 1.0


def _direct_binomial_cdf(k, n, q):
    return sum(math.comb(n, j) * q**j * (1 - q) ** (n - j) for j in range(0, min(k, n) + 1))


@pytest.mark.parametrize("k,n,q", [(0, 10, 0.1), (3, 10, 0.1), (12, 144, 0.035), (20, 128, 0.05),
                                   (5, 5, 0.9), (2, 30, 0.5)])
def test_binomial_cdf_matches_direct_sum(k, n, q):
    assert silicon.binomial_cdf(k, n, q) == pytest.approx(_direct_binomial_cdf(k, n, q), rel=1e-10, abs=1e-14)


def test_binomial_cdf_vectorised():
    k = np.array([0, 3, 12])
    n = np.array([10, 10, 144])
    q = np.array([0.1, 0.1, 0.035])
    expected = [_direct_binomial_cdf(int(a), int(b), float(c)) for a, b, c in zip(k, n, q)]
    assert silicon.binomial_cdf(k, n, q) == pytest.approx(expected, rel=1e-10)


def test_harvested_yield_equals_direct_binomial():
    # non-repeatable 100 mm^2, 144 units of 3.3 mm^2, 12 spares, Poisson at D0 = 0.1 /cm^2
    d0 = 0.1
    p_unit = math.exp(-0.033 * d0)
    direct = math.exp(-1.0 * d0) * _direct_binomial_cdf(12, 144, 1 - p_unit)
    got = silicon.harvested_yield(100.0, 144, 12, 3.3, d0, "poisson")
    assert got == pytest.approx(direct, rel=1e-10)


def test_harvesting_without_spares_is_plain_poisson():
    got = silicon.harvested_yield(100.0, 144, 0, 3.3, 0.1, "poisson")
    assert got == pytest.approx(math.exp(-(100.0 + 144 * 3.3) / 100.0 * 0.1), rel=1e-12)


def test_harvesting_raises_big_die_yield():
    no_spares = silicon.harvested_yield(200.0, 144, 0, 4.0, 0.1, "negative_binomial", 3.0)
    spares = silicon.harvested_yield(200.0, 144, 12, 4.0, 0.1, "negative_binomial", 3.0)
    assert spares > no_spares + 0.2


def test_cost_per_good_die_hand_value():
    # ($13,400 / 60 + $10) / 0.7 = $333.33
    assert silicon.cost_per_good_die_usd(13400.0, 60, 0.7, 10.0) == pytest.approx((13400 / 60 + 10) / 0.7)
    assert np.isinf(silicon.cost_per_good_die_usd(13400.0, 0, 0.7, 10.0))


def test_die_dimensions_respect_reticle():
    short, long_ = silicon.die_dimensions_mm(814.0, 1.0, 26.0, 33.0)
    assert short == 26.0 and long_ == pytest.approx(814 / 26)
    assert silicon.fits_reticle(short, long_, 26.0, 33.0)
    short, long_ = silicon.die_dimensions_mm(900.0, 1.0, 26.0, 33.0)
    assert not silicon.fits_reticle(short, long_, 26.0, 33.0)


areas = st.floats(min_value=10.0, max_value=850.0)


@settings(max_examples=60, deadline=None)
@given(a=areas, b=areas, d0=st.floats(0.01, 0.5), model=st.sampled_from(silicon.YIELD_MODELS),
       alpha=st.floats(0.3, 10.0))
def test_yield_falls_with_area(a, b, d0, model, alpha):
    small, large = sorted((a, b))
    y_small = silicon.defect_free_probability(small, d0, model, alpha)
    y_large = silicon.defect_free_probability(large, d0, model, alpha)
    assert y_large <= y_small + 1e-12


@settings(max_examples=60, deadline=None)
@given(a=areas, b=areas, d0=st.floats(0.01, 0.5), model=st.sampled_from(silicon.YIELD_MODELS))
def test_cost_per_good_die_rises_with_area(a, b, d0, model):
    small, large = sorted((a, b))
    areas_ = np.array([small, large])
    dpw = silicon.dies_per_wafer(areas_ * 1.02, 294.0)
    y = silicon.defect_free_probability(areas_, d0, model, 3.0)
    cost = silicon.cost_per_good_die_usd(13400.0, dpw, y, 10.0)
    assert cost[1] >= cost[0] - 1e-9


@settings(max_examples=60, deadline=None)
@given(a=areas, b=areas)
def test_perimeter_per_area_falls_with_area(a, b):
    small, large = sorted((a, b))
    s, l_ = silicon.die_dimensions_mm(np.array([small, large]), 1.0, 26.0, 33.0)
    per_area = silicon.perimeter_mm(s, l_) / np.array([small, large])
    assert per_area[1] <= per_area[0] + 1e-12


def test_binomial_cdf_in_closed_form_matches_the_sum_and_costs_nothing_for_huge_dies():
    """The harvested-yield binomial CDF against a direct sum of terms, and a die of 10^9 mm^2
    (millions of units; issue 14: minutes of looping) evaluated in closed form."""
    for k, n, q in ((0, 10, 0.1), (3, 40, 0.05), (12, 144, 0.02), (5, 5, 0.3)):
        direct = sum(math.comb(n, j) * q ** j * (1 - q) ** (n - j) for j in range(k + 1))
        assert silicon.binomial_cdf(k, n, q) == pytest.approx(direct, rel=1e-10)
    # a million spare units of twelve million at 8% defective: P(X <= 1e6) is ~1 (mean 960,000)
    assert float(silicon.binomial_cdf(1.0e6, 1.2e7, 0.08)) == pytest.approx(1.0, abs=1e-9)
