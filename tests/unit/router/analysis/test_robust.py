"""router.analysis.robust: dependence, exceedance and trimmed-mean tests."""

from __future__ import annotations

import numpy as np
import pytest

from router.analysis.model import Interval
from router.analysis.robust import (
    dependence_factor,
    exceedance_test,
    scaled_rate_test,
    widen,
    yuen_greater,
)

from ._scenarios import bursty, lognormal


def test_independent_traffic_keeps_its_full_sample() -> None:
    factors = [dependence_factor(lognormal(np.random.default_rng(s), 500)) for s in range(50)]
    assert sum(f == 1.0 for f in factors) >= 49


def test_bursty_traffic_counts_as_fewer_requests() -> None:
    factor = dependence_factor(bursty(np.random.default_rng(1), 2_000))
    assert 0.05 < factor < 0.2  # AR(1) 0.8: (1 - 0.8) / (1 + 0.8) = 0.11


def test_short_or_constant_series_are_independent() -> None:
    assert dependence_factor([1.0, 2.0, 3.0]) == 1.0
    assert dependence_factor([5.0] * 100) == 1.0


def test_exceedance_counts_strictly_above_the_pooled_percentile() -> None:
    before = np.array([4.0] * 80 + [5.0] * 20)
    after = np.array([4.0] * 50 + [5.0] * 50)
    found = exceedance_test(before, after, 50, (1.0, 1.0))
    assert found.threshold == 4.0
    assert (found.before_share, found.after_share) == (0.2, 0.5)
    assert found.p_value < 0.001
    assert exceedance_test(after, before, 50, (1.0, 1.0)).p_value > 0.5


def test_exceedance_with_nothing_above_is_no_evidence() -> None:
    same = np.full(50, 3.0)
    assert exceedance_test(same, same, 99, (1.0, 1.0)).p_value == 1.0


def test_dependence_weakens_the_evidence() -> None:
    independent = scaled_rate_test(10, 1_000, 30, 1_000, (1.0, 1.0)).p_value
    bursty_p = scaled_rate_test(10, 1_000, 30, 1_000, (0.1, 0.1)).p_value
    assert independent < 0.01 < bursty_p


def test_yuen_sees_a_mixture_shift_and_ignores_outliers() -> None:
    rng = np.random.default_rng(3)
    hits = lambda n, miss: np.where(rng.random(n) < miss, 100.0, 5.0)  # noqa: E731
    shifted = yuen_greater(hits(500, 0.2), hits(500, 0.4), 0.9, (1.0, 1.0))
    assert shifted is not None and shifted.p_value < 1e-6
    assert shifted.change_ci is not None and shifted.change_ci.low > 0.5
    body = lognormal(rng, 500)
    outliers = np.concatenate([lognormal(rng, 490), np.full(10, 1e6)])
    calm = yuen_greater(body, outliers, 0.9, (1.0, 1.0))
    assert calm is not None and calm.after < 200


def test_yuen_needs_a_few_requests() -> None:
    assert yuen_greater(np.ones(3), np.ones(10), 0.9, (1.0, 1.0)) is None


def test_widen_stretches_on_the_log_scale_around_the_estimate() -> None:
    ci = Interval(0.1, 0.3, 0.9)
    wide = widen(ci, 0.2, 0.25)
    assert wide.low < 0.1 and wide.high > 0.3
    assert np.log1p(wide.high) - np.log1p(0.2) == pytest.approx(2 * (np.log1p(0.3) - np.log1p(0.2)))
    assert widen(ci, 0.2, 1.0) == ci
