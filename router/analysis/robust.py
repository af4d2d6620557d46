"""Tests that hold on real latencies: gaps, ties, heavy tails and bursts.

* ``dependence_factor``: the effective-sample-size factor ``n_eff / n`` of a series in
  arrival order, from its lag-1 autocorrelation ``r`` (AR(1): ``(1 - r) / (1 + r)``).
  A burst of slow requests is one event, not fifty: every test below divides its
  information by this factor. ``r`` below ``3 / sqrt(n)`` (noise around 0) counts
  as independent, so independent traffic keeps its full power.
* ``exceedance_test``: the share of each side above the *pooled* q-th percentile
  (strictly above, so ties at the threshold count on neither side). Under "same
  distribution" the after side's count is hypergeometric whatever the shape, so the
  test is exact on gaps (a percentile sitting between two modes), on whole-ms ties
  and on heavy tails, where a percentile's point estimate jumps. Counts are scaled
  by the dependence factors, then Fisher's exact test or the pooled z-test decides.
* ``yuen_greater``: Yuen's trimmed-mean test (Welch's t on trimmed means with
  winsorized variances) and the interval of the ratio of trimmed means (delta method
  on the log): a mixture shift (cache misses 20% -> 40%) moves the trimmed mean
  while the p50 and p90 stay in their modes; the trim keeps single outliers out.

This module must not decide verdicts, format text, do I/O, or know about AWS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

from router.analysis.model import Interval
from router.analysis.stats import FloatArray, ProportionTest, error_rate_test

__all__ = [
    "TRIM",
    "Exceedance",
    "TrimmedTest",
    "dependence_factor",
    "exceedance_test",
    "scaled_rate_test",
    "widen",
    "yuen_greater",
]

TRIM = 0.05  # share trimmed from each end for the trimmed mean


def dependence_factor(series: ArrayLike, ranks: bool = True) -> float:
    """``n_eff / n`` in (0, 1] from the lag-1 autocorrelation (see the module doc)."""
    values = np.asarray(series, dtype=np.float64)
    n = values.size
    if n < 8:
        return 1.0
    x = sps.rankdata(values) if ranks else values
    x = x - x.mean()
    scale = float(np.sum(x * x))
    if scale == 0:
        return 1.0
    r = float(np.sum(x[:-1] * x[1:])) / scale  # np.sum: np.dot was slower here
    if r <= 3.0 / math.sqrt(n):
        return 1.0
    return max((1.0 - r) / (1.0 + r), 1.0 / n)


def scaled_rate_test(
    errors_before: int, n_before: int, errors_after: int, n_after: int, factors: tuple[float, float]
) -> ProportionTest:
    """``error_rate_test`` on counts scaled to the effective sample sizes."""
    fb, fa = factors
    nb, na = max(1, round(n_before * fb)), max(1, round(n_after * fa))
    kb = min(nb, round(errors_before * fb))
    ka = min(na, round(errors_after * fa))
    return error_rate_test(kb, nb, ka, na)


@dataclass(frozen=True)
class Exceedance:
    threshold: float  # the pooled q-th percentile
    before_share: float  # share of the before side strictly above it
    after_share: float
    p_value: float  # one-sided: the after side exceeds it more often


def exceedance_test(
    before: FloatArray, after: FloatArray, q: float, factors: tuple[float, float]
) -> Exceedance:
    """The after side's excess above the pooled ``q``-th percentile (see the module doc)."""
    threshold = float(np.percentile(np.concatenate([before, after]), q))
    kb = int(np.count_nonzero(before > threshold))
    ka = int(np.count_nonzero(after > threshold))
    shares = (kb / before.size, ka / after.size)
    if kb + ka == 0:
        return Exceedance(threshold, *shares, 1.0)
    test = scaled_rate_test(kb, before.size, ka, after.size, factors)
    return Exceedance(threshold, *shares, test.p_value)


@dataclass(frozen=True)
class TrimmedTest:
    before: float  # trimmed means
    after: float
    after_ci: Interval
    change_ci: Interval | None  # of after / before - 1
    p_value: float  # Yuen, one-sided: the after side's trimmed mean is greater


def _trimmed(values: FloatArray, factor: float) -> tuple[float, float]:
    """Trimmed mean and the variance of it (winsorized, divided by the dependence factor)."""
    ordered = np.sort(values)
    n = ordered.size
    g = int(TRIM * n)
    kept = n - 2 * g
    mean = float(ordered[g : n - g].mean())
    winsorized = np.clip(ordered, ordered[g], ordered[n - g - 1])
    variance = (n - 1) * float(winsorized.var(ddof=1)) / (kept * (kept - 1))
    return mean, variance / factor


def yuen_greater(
    before: FloatArray, after: FloatArray, level: float, factors: tuple[float, float]
) -> TrimmedTest | None:
    """Yuen's one-sided test and intervals (None below 4 requests a side)."""
    if min(before.size, after.size) < 4:
        return None
    (mb, vb), (ma, va) = _trimmed(before, factors[0]), _trimmed(after, factors[1])
    z = float(sps.norm.ppf((1 + level) / 2))
    after_ci = Interval(ma - z * math.sqrt(va), ma + z * math.sqrt(va), level)
    spread = math.sqrt(va + vb)
    if spread == 0:
        return TrimmedTest(mb, ma, after_ci, None, 0.0 if ma > mb else 1.0)
    df = (va + vb) ** 2 / (va**2 / _dof(after, factors[1]) + vb**2 / _dof(before, factors[0]))
    p_value = float(sps.t.sf((ma - mb) / spread, df))
    return TrimmedTest(mb, ma, after_ci, _ratio_ci(mb, vb, ma, va, z, level), p_value)


def _dof(values: FloatArray, factor: float) -> float:
    kept = values.size - 2 * int(TRIM * values.size)
    return max(1.0, (kept - 1) * factor)


def _ratio_ci(mb: float, vb: float, ma: float, va: float, z: float, level: float) -> Interval:
    if mb <= 0 or ma <= 0:
        return Interval(-math.inf, math.inf, level)
    half = z * math.sqrt(va / ma**2 + vb / mb**2)
    centre = math.log(ma / mb)
    return Interval(math.exp(centre - half) - 1.0, math.exp(centre + half) - 1.0, level)


def widen(change_ci: Interval, change: float, factor: float) -> Interval:
    """A ratio interval from independent resampling, widened by ``1 / sqrt(factor)``
    around the estimate on the log scale (the bootstrap ignores dependence)."""
    if factor >= 1.0 or change <= -1.0 or change_ci.low <= -1.0 or not math.isfinite(change):
        return change_ci
    centre, stretch = math.log1p(change), 1.0 / math.sqrt(factor)
    low = centre - (centre - math.log1p(change_ci.low)) * stretch
    high = centre + (math.log1p(change_ci.high) - centre) * stretch
    return Interval(math.expm1(low), math.expm1(high), change_ci.level)
