"""The evidence behind each row of a comparison: point figures, intervals, p-values.

Turns two sides (raw ``SampleSet`` or ``AggregateFigures``) into one ``Evidence`` per
figure using ``stats``: latency percentiles and mean with bootstrap intervals and the
Mann-Whitney U p-value when both sides are raw, the bare figures otherwise; error
rates with the two-proportion test and Wilson/Newcombe intervals. Changes are
relative for latency (``after / before - 1``) and absolute for rates.

This module must not decide verdicts, word reasons, do I/O, or know about AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from router.analysis import stats
from router.analysis.model import AggregateFigures, Figures, Interval, SampleSet

__all__ = [
    "LATENCY_METRICS",
    "Evidence",
    "latency_evidence",
    "rate_evidence",
    "raw_pair",
]

MANN_WHITNEY = "mann-whitney-u"
LATENCY_METRICS = {
    "latency_p50": "latency p50",
    "latency_p90": "latency p90",
    "latency_p99": "latency p99",
    "latency_mean": "latency mean",
}
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
    before: Figures, after: Figures, rng: np.random.Generator, level: float, n_resamples: int
) -> dict[str, Evidence]:
    """Evidence for every metric of ``LATENCY_METRICS``."""
    pair = raw_pair(before, after)
    if pair is None:
        return _aggregate_evidence(_aggregate(before), _aggregate(after))
    b, a = (np.asarray(side.latencies_ms, dtype=np.float64) for side in pair)
    p_value = stats.mann_whitney_greater(b, a)
    found = {
        metric: _resampled(
            (stats.percentile(b, q), stats.percentile(a, q)),
            stats.bootstrap_percentiles(b, q, rng, n_resamples),
            stats.bootstrap_percentiles(a, q, rng, n_resamples),
            p_value,
            level,
        )
        for metric, q in _PERCENTILES.items()
    }
    reps_b = stats.bootstrap_means(b, rng, n_resamples)
    reps_a = stats.bootstrap_means(a, rng, n_resamples)
    found["latency_mean"] = _resampled((b.mean(), a.mean()), reps_b, reps_a, p_value, level)
    return found


def _resampled(
    points: tuple[float, float],
    reps_before: stats.FloatArray,
    reps_after: stats.FloatArray,
    p_value: float,
    level: float,
) -> Evidence:
    before, after = float(points[0]), float(points[1])
    ratios = stats.ratios(reps_after, reps_before)
    return Evidence(
        before=before,
        after=after,
        change=relative_change(before, after),
        after_ci=stats.interval(reps_after, level),
        change_ci=stats.interval(ratios, level).shifted(-1.0),
        p_value=p_value,
        test=MANN_WHITNEY,
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
    values = (figures.p50, figures.p90, figures.p99, figures.mean)
    return {
        metric: (value if figures.count else None)
        for metric, value in zip(LATENCY_METRICS, values, strict=True)
    }


def rate_evidence(status_class: int, before: Figures, after: Figures, level: float) -> Evidence:
    """The ``status_class``XX rate of both sides, its change and the one-sided test."""
    nb, na = before.count, after.count
    if not nb or not na:
        return Evidence(None, None)
    kb, ka = before.errors(status_class), after.errors(status_class)
    test = stats.error_rate_test(kb, nb, ka, na)
    return Evidence(
        before=kb / nb,
        after=ka / na,
        change=ka / na - kb / nb,
        after_ci=stats.wilson_interval(ka, na, level),
        change_ci=stats.newcombe_interval(kb, nb, ka, na, level),
        p_value=test.p_value,
        test=test.method,
    )
