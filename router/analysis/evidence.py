"""The evidence behind each row of a comparison: point figures, intervals, p-values.

Turns two sides (raw ``SampleSet`` or ``AggregateFigures``) into one ``Evidence`` per
figure using ``stats`` and ``robust``. With raw samples on both sides: each latency
percentile with bootstrap intervals and the exceedance test at the pooled percentile
(``robust.exceedance_test``), the mean (reported only) with its normal interval and
the Mann-Whitney U p-value, the trimmed mean with Yuen's test. Every test and interval is
corrected for dependence (``robust.dependence_factor``). Aggregates give the bare
figures. Error rates get the two-proportion test and Wilson/Newcombe intervals.
Changes are relative for latency (``after / before - 1``) and absolute for rates.

This module must not decide verdicts, word reasons, do I/O, or know about AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from router.analysis import stats
from router.analysis.model import AggregateFigures, Figures, Interval, SampleSet
from router.analysis.robust import exceedance_test, scaled_rate_test, widen, yuen_greater

__all__ = [
    "LATENCY_METRICS",
    "Evidence",
    "Factors",
    "latency_evidence",
    "rate_evidence",
    "raw_pair",
]

MANN_WHITNEY = "mann-whitney-u"
EXCEEDANCE = "quantile-exceedance"
YUEN = "yuen-trimmed-t"
LATENCY_METRICS = {
    "latency_p50": "latency p50",
    "latency_p90": "latency p90",
    "latency_p99": "latency p99",
    "latency_mean": "latency mean",
    "latency_trimmed_mean": "latency trimmed mean",
}
Factors = tuple[float, float]  # dependence factors n_eff / n of (before, after)
_PERCENTILES = {"latency_p50": 50.0, "latency_p90": 90.0, "latency_p99": 99.0}


@dataclass(frozen=True)
class Evidence:
    """What the data say about one figure. ``change_ci`` is in ``change`` units."""

    before: float | None
    after: float | None
    change: float | None = None
    after_ci: Interval | None = None
    change_ci: Interval | None = None
    p_value: float | None = None  # one-sided, "after is greater"
    test: str | None = None
    bootstrap_p: float | None = None  # one-sided bootstrap p of "ratio > 1" (latency only)


def raw_pair(before: Figures, after: Figures) -> tuple[SampleSet, SampleSet] | None:
    """Both sides as raw samples, when both are raw and non-empty."""
    if isinstance(before, SampleSet) and isinstance(after, SampleSet):
        return (before, after) if before.count and after.count else None
    return None


def latency_evidence(
    before: Figures,
    after: Figures,
    rng: np.random.Generator,
    level: float,
    n_resamples: int,
    factors: Factors = (1.0, 1.0),
) -> dict[str, Evidence]:
    """Evidence for every metric of ``LATENCY_METRICS``."""
    pair = raw_pair(before, after)
    if pair is None:
        return _aggregate_evidence(_aggregate(before), _aggregate(after))
    b, a = pair[0].latency_array, pair[1].latency_array
    ranks = _mann_whitney(b, a, min(factors))
    found = {
        metric: _percentile(b, a, q, rng, (level, n_resamples, ranks), factors)
        for metric, q in _PERCENTILES.items()
    }
    found["latency_mean"] = _mean(b, a, level, factors, ranks)
    found["latency_trimmed_mean"] = _trimmed_mean(b, a, level, factors)
    return found


def _percentile(
    b: stats.FloatArray,
    a: stats.FloatArray,
    q: float,
    rng: np.random.Generator,
    setup: tuple[float, int, float],
    factors: Factors,
) -> Evidence:
    """A percentile: bootstrap intervals; the test is the exceedance test at the pooled
    percentile or Mann-Whitney, whichever is smaller, its p doubled (Bonferroni)."""
    level, n_resamples, ranks = setup
    reps_b = stats.bootstrap_percentiles(b, q, rng, n_resamples)
    reps_a = stats.bootstrap_percentiles(a, q, rng, n_resamples)
    points = (stats.percentile(b, q), stats.percentile(a, q))
    exceeds = exceedance_test(b, a, q, factors).p_value
    tested = (min(1.0, 2 * min(exceeds, ranks)), EXCEEDANCE if exceeds <= ranks else MANN_WHITNEY)
    return _resampled(points, reps_b, reps_a, tested, level, factors)


def _mean(
    b: stats.FloatArray, a: stats.FloatArray, level: float, factors: Factors, ranks: float
) -> Evidence:
    """The mean (reported only): its normal interval (the delta method for the ratio),
    so the mean costs no resampling; Mann-Whitney's p for the distribution."""
    tested = (ranks, MANN_WHITNEY)
    return _normal_mean(b, a, (float(b.mean()), float(a.mean())), tested, level, factors)


def _mann_whitney(b: stats.FloatArray, a: stats.FloatArray, factor: float) -> float:
    """Mann-Whitney's one-sided p, its z shrunk by ``sqrt(factor)`` under dependence."""
    p_value = stats.mann_whitney_greater(b, a)
    if factor >= 1.0:
        return p_value
    return float(sps.norm.sf(sps.norm.isf(p_value) * math.sqrt(factor)))


def _normal_mean(
    b: stats.FloatArray,
    a: stats.FloatArray,
    points: tuple[float, float],
    tested: tuple[float, str],
    level: float,
    factors: Factors,
) -> Evidence:
    before, after = points
    change = relative_change(before, after)
    if b.size < 2 or a.size < 2:  # one sample has no spread: no interval, not a NaN one
        return Evidence(before, after, change, None, None, tested[0], tested[1])
    z = float(sps.norm.ppf((1 + level) / 2))
    se_b = float(b.std(ddof=1)) / math.sqrt(b.size * factors[0])
    se_a = float(a.std(ddof=1)) / math.sqrt(a.size * factors[1])
    change_ci = None
    if before > 0 and after > 0:
        half = z * math.hypot(se_a / after, se_b / before)
        ratio = after / before
        change_ci = Interval(ratio * math.exp(-half) - 1, ratio * math.exp(half) - 1, level)
    after_ci = Interval(after - z * se_a, after + z * se_a, level)
    return Evidence(before, after, change, after_ci, change_ci, tested[0], tested[1])


def _trimmed_mean(
    b: stats.FloatArray, a: stats.FloatArray, level: float, factors: Factors
) -> Evidence:
    tested = yuen_greater(b, a, level, factors)
    if tested is None:
        return Evidence(None, None)
    change = relative_change(tested.before, tested.after)
    return Evidence(
        tested.before, tested.after, change, tested.after_ci, tested.change_ci,
        tested.p_value, YUEN,
    )  # fmt: skip


def _resampled(
    points: tuple[float, float],
    reps_before: stats.FloatArray,
    reps_after: stats.FloatArray,
    tested: tuple[float, str],
    level: float,
    factors: Factors,
) -> Evidence:
    before, after = float(points[0]), float(points[1])
    ratios = stats.ratios(reps_after, reps_before)
    change = relative_change(before, after)
    change_ci = stats.interval(ratios, level).shifted(-1.0)
    if change is not None:
        change_ci = widen(change_ci, change, min(factors))
    return Evidence(
        before=before,
        after=after,
        change=change,
        after_ci=stats.interval(reps_after, level),
        change_ci=change_ci,
        p_value=tested[0],
        test=tested[1],
        bootstrap_p=stats.bootstrap_p_value(ratios),
    )


def relative_change(before: float | None, after: float | None) -> float | None:
    """``after / before - 1``; from 0 it is 0 (to 0) or +inf."""
    if before is None or after is None:
        return None
    if before > 0:
        return after / before - 1.0
    return 0.0 if after == 0 else math.inf


def _aggregate(figures: Figures) -> AggregateFigures:
    return stats.summarize(figures) if isinstance(figures, SampleSet) else figures


def _aggregate_evidence(before: AggregateFigures, after: AggregateFigures) -> dict[str, Evidence]:
    b, a = _latency_figures(before), _latency_figures(after)
    return {
        metric: Evidence(b[metric], a[metric], relative_change(b[metric], a[metric]))
        for metric in LATENCY_METRICS
    }


def _latency_figures(figures: AggregateFigures) -> dict[str, float | None]:
    values = (figures.p50, figures.p90, figures.p99, figures.mean, None)
    return {
        metric: (value if figures.count else None)
        for metric, value in zip(LATENCY_METRICS, values, strict=True)
    }


def rate_evidence(
    status_class: int,
    before: Figures,
    after: Figures,
    level: float,
    factors: Factors = (1.0, 1.0),
) -> Evidence:
    """The ``status_class``XX rate of both sides, its change and the one-sided test
    (on counts scaled by the dependence ``factors`` of the error indicator series)."""
    nb, na = before.count, after.count
    if not nb or not na:
        return Evidence(None, None)
    kb, ka = before.errors(status_class), after.errors(status_class)
    test = scaled_rate_test(kb, nb, ka, na, factors)
    return Evidence(
        before=kb / nb,
        after=ka / na,
        change=ka / na - kb / nb,
        after_ci=stats.wilson_interval(ka, na, level),
        change_ci=stats.newcombe_interval(kb, nb, ka, na, level),
        p_value=test.p_value,
        test=test.method,
    )
