"""Findings beyond the before/after figures: cold starts and new error classes.

* **Cold starts.** When a side carries per-request cold flags (Lambda's REPORT line
  has an ``Init Duration``), two rows: ``cold_start_share`` (the share of the after
  side's requests that were cold; decides only when ``cold_start_max_share`` is set:
  FAIL when the share is past it and a one-sided binomial test against it has
  ``p < alpha / STRONG_DIVISOR``, INCONCLUSIVE past it with ``p < alpha``, else
  PASS) and ``cold_start_added_ms`` (the after side's median cold latency minus its
  median warm latency; decides only when ``cold_start_max_added_ms`` is set: the same
  rule with a one-sided Mann-Whitney test of "cold minus the limit is still slower
  than warm").
* **New error classes.** A 4XX/5XX status the after side answers and the before side
  never did, when a one-sided Fisher test of "0 before, k after" has ``p < alpha``.

This module must not word reports, print, or do I/O.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import stats as sps

from router.analysis.evidence import Evidence
from router.analysis.model import ErrorClass, Figures, SampleSet

__all__ = ["COLD_METRICS", "cold_evidence", "new_error_classes"]

COLD_METRICS = {
    "cold_start_share": ("cold-start share", "rate"),
    "cold_start_added_ms": ("cold-start added latency", "ms"),
}
_BINOMIAL = "binomial"
_SHIFTED_MW = "mann-whitney-u"


def _share(side: Figures) -> float | None:
    if not isinstance(side, SampleSet) or side.cold is None or not side.count:
        return None
    return sum(side.cold) / side.count


def cold_evidence(
    before: Figures, after: Figures, limits: tuple[float | None, float | None]
) -> dict[str, Evidence] | None:
    """Evidence of the two cold-start rows (None when no side carries cold flags)."""
    if not isinstance(after, SampleSet) or after.cold is None or not after.count:
        return None
    cold = np.asarray(after.cold, dtype=bool)
    share = float(cold.mean())
    share_p = None
    if limits[0] is not None:
        share_p = float(sps.binomtest(int(cold.sum()), cold.size, limits[0], "greater").pvalue)
    rates = Evidence(_share(before), share, share, p_value=share_p, test=_BINOMIAL)
    return {"cold_start_share": rates, "cold_start_added_ms": _added(after, cold, limits[1])}


def _added(after: SampleSet, cold: np.ndarray, limit: float | None) -> Evidence:
    latencies = np.asarray(after.latencies_ms, dtype=np.float64)
    slow, warm = latencies[cold], latencies[~cold]
    if not slow.size or not warm.size:
        return Evidence(None, None)
    added = float(np.median(slow) - np.median(warm))
    p_value = None
    if limit is not None:
        tested = sps.mannwhitneyu(slow - limit, warm, alternative="greater")
        p_value = float(tested.pvalue)
    return Evidence(
        float(np.median(warm)), float(np.median(slow)), added, p_value=p_value, test=_SHIFTED_MW
    )


def new_error_classes(before: Figures, after: Figures, alpha: float) -> tuple[ErrorClass, ...]:
    """Error statuses of the after side that the before side never answered."""
    if not (isinstance(before, SampleSet) and isinstance(after, SampleSet)):
        return ()
    if not before.count or not after.count:
        return ()
    seen = set(before.statuses)
    counts = Counter(s for s in after.statuses if s >= 400 and s not in seen)
    found = []
    for status, count in sorted(counts.items()):
        table = [[count, after.count - count], [0, before.count]]
        p_value = float(sps.fisher_exact(table, alternative="greater")[1])
        if p_value < alpha:
            found.append(ErrorClass(status, count, count / after.count, p_value))
    return tuple(found)
