"""router.analysis.stats: percentiles, the bootstrap, the tests and the intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from router.analysis import stats
from router.analysis.model import Interval

from ._synthetic import service

latency = st.floats(min_value=0.0, max_value=1e5, allow_nan=False, allow_infinity=False)
samples = st.lists(latency, min_size=1, max_size=80)
quantile = st.floats(min_value=0.0, max_value=100.0)


@given(samples, quantile)
def test_percentile_lies_between_min_and_max(values: list[float], q: float) -> None:
    assert min(values) <= stats.percentile(values, q) <= max(values)


@given(samples, quantile, quantile)
def test_percentile_is_monotone_in_q(values: list[float], q1: float, q2: float) -> None:
    low, high = sorted((q1, q2))
    assert stats.percentile(values, low) <= stats.percentile(values, high)


def test_percentile_is_linear_interpolation() -> None:
    assert stats.percentile([10, 20, 30, 40], 50) == 25.0
    assert stats.percentile([10, 20, 30, 40], 90) == pytest.approx(37.0)
    with pytest.raises(ValueError):
        stats.percentile([], 50)


@pytest.mark.parametrize("n, q", [(7, 50.0), (200, 90.0), (500, 99.0), (40, 100.0), (1, 50.0)])
def test_order_statistic_bootstrap_matches_brute_force_resampling(n: int, q: float) -> None:
    values = np.random.default_rng(n).lognormal(4, 0.6, n)
    fast = stats.bootstrap_percentiles(values, q, np.random.default_rng(1), 4000)
    picks = np.random.default_rng(2).integers(0, n, size=(4000, n))
    slow = np.percentile(values[picks], q, axis=1)
    if n > 1:
        assert sps.ks_2samp(fast, slow).pvalue > 0.001
    for share in (0.05, 0.5, 0.95):
        assert np.quantile(fast, share) == pytest.approx(np.quantile(slow, share), rel=0.03)


def test_bootstrap_uses_only_the_injected_generator() -> None:
    values = np.random.default_rng(0).lognormal(4, 0.5, 300)
    np.random.seed(1)
    first = stats.bootstrap_percentiles(values, 90, np.random.default_rng(5))
    np.random.seed(2)
    again = stats.bootstrap_percentiles(values, 90, np.random.default_rng(5))
    other = stats.bootstrap_percentiles(values, 90, np.random.default_rng(6))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert first.shape == (stats.N_RESAMPLES,)


def test_bootstrap_means_centre_on_the_mean_with_the_standard_error() -> None:
    values = np.random.default_rng(0).lognormal(4, 0.5, 500)
    means = stats.bootstrap_means(values, np.random.default_rng(1), 3000)
    assert means.mean() == pytest.approx(values.mean(), rel=0.005)
    assert means.std() == pytest.approx(values.std() / np.sqrt(500), rel=0.1)


def test_bootstrap_means_chunks_large_samples() -> None:
    values = np.arange(70_000, dtype=float)  # more than uint16 indexes, several chunks
    means = stats.bootstrap_means(values, np.random.default_rng(0), 5)
    assert means.shape == (5,)
    assert np.all(np.abs(means - values.mean()) < 1000)


@settings(max_examples=60)
@given(st.lists(latency, min_size=2, max_size=60), st.sampled_from([50.0, 90.0, 99.0]))
def test_percentile_interval_contains_the_estimate(values: list[float], q: float) -> None:
    interval = stats.percentile_ci(values, q, rng=np.random.default_rng(0), level=0.9)
    assert interval.low <= interval.high
    assert interval.contains(stats.percentile(values, q))


@settings(max_examples=40)
@given(
    st.lists(st.floats(1.0, 1e4), min_size=20, max_size=60),
    st.lists(st.floats(1.0, 1e4), min_size=20, max_size=60),
    st.sampled_from([50.0, 90.0]),
)
def test_ratio_interval_contains_the_ratio(
    before: list[float], after: list[float], q: float
) -> None:
    interval = stats.percentile_ratio_ci(before, after, q, rng=np.random.default_rng(0), level=0.9)
    assert interval.contains(stats.percentile(after, q) / stats.percentile(before, q))


def test_ratio_interval_covers_a_known_shift() -> None:
    rng = np.random.default_rng(3)
    before = rng.lognormal(4, 0.5, 2000)
    after = rng.lognormal(4, 0.5, 2000) * 1.3
    interval = stats.percentile_ratio_ci(before, after, 90, rng=rng, level=0.95)
    assert interval.contains(1.3)
    assert interval.low > 1.0


def test_ratios_handle_zero() -> None:
    after = np.array([0.0, 2.0, 3.0])
    before = np.array([0.0, 0.0, 1.5])
    assert stats.ratios(after, before).tolist() == [1.0, np.inf, 2.0]
    assert stats.interval(np.array([1.0, 2.0, np.inf]), 0.9).high == np.inf


def test_mann_whitney_is_one_sided() -> None:
    rng = np.random.default_rng(0)
    base = rng.lognormal(4, 0.5, 300)
    slower = rng.lognormal(4, 0.5, 300) * 1.3
    assert stats.mann_whitney_greater(base, slower) < 0.001
    assert stats.mann_whitney_greater(slower, base) > 0.999


def test_error_rate_test_uses_fisher_for_small_counts_and_z_otherwise() -> None:
    small = stats.error_rate_test(0, 200, 3, 200)
    assert small.method == "fisher-exact"
    assert small.p_value == pytest.approx(0.1244, abs=0.001)
    large = stats.error_rate_test(25, 5000, 60, 5000)
    assert large.method == "pooled-z-test"
    assert large.p_value < 0.001
    assert stats.error_rate_test(60, 5000, 25, 5000).p_value > 0.99
    assert stats.error_rate_test(0, 500, 0, 500).p_value == 1.0
    with pytest.raises(ValueError):
        stats.error_rate_test(5, 4, 0, 10)


@given(st.integers(0, 400), st.integers(1, 400))
def test_wilson_interval_contains_the_rate(errors: int, n: int) -> None:
    errors = min(errors, n)
    interval = stats.wilson_interval(errors, n, 0.9)
    assert 0.0 <= interval.low <= errors / n <= interval.high <= 1.0


@given(st.integers(0, 300), st.integers(0, 300))
def test_newcombe_interval_contains_the_difference(before: int, after: int) -> None:
    interval = stats.newcombe_interval(before, 300, after, 300, 0.9)
    assert interval.contains(after / 300 - before / 300)


def test_summarize_gives_the_aggregate_figures() -> None:
    side = service(np.random.default_rng(0), 400, error_rate=0.05)
    figures = stats.summarize(side)
    assert figures.count == 400
    assert figures.p50 == stats.percentile(side.latencies_ms, 50)
    assert figures.errors_5xx == side.errors(5)
    assert figures.errors_4xx == side.errors(4)
    assert (figures.label, figures.window, figures.source) == (
        side.label,
        side.window,
        "access-log",
    )


def test_interval_helpers() -> None:
    interval = Interval(1.0, 2.0, 0.9)
    assert interval.shifted(-1.0) == Interval(0.0, 1.0, 0.9)
    assert not interval.contains(2.5)
