"""Two judges to measure ``router.analysis`` against, on the same samples.

* ``kayenta``: a Kayenta-style judge: a two-sided Mann-Whitney U test on latency at
  98% confidence; FAIL when it rejects and the after side's median is higher.
* ``flagger``: a Flagger-style fixed SLO on the after side alone: FAIL when its p99
  is over 500 ms or its success rate (non-5XX) under 99%.

They live with the tests (and ``bench/bench_stats.py``), not in ``router``: they are
yardsticks, not rules.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from router.analysis import stats
from router.analysis.model import Figures, SampleSet, Verdict

P99_SLO_MS = 500.0
SUCCESS_SLO = 0.99


def kayenta(before: Figures, after: Figures) -> Verdict | None:
    """None without raw samples (Kayenta's classifier needs them)."""
    if not (isinstance(before, SampleSet) and isinstance(after, SampleSet)):
        return None
    b, a = np.asarray(before.latencies_ms), np.asarray(after.latencies_ms)
    p_value = sps.mannwhitneyu(a, b, alternative="two-sided").pvalue
    higher = np.median(a) > np.median(b)
    return Verdict.FAIL if p_value < 0.02 and higher else Verdict.PASS


def flagger(after: Figures) -> Verdict:
    figures = stats.summarize(after) if isinstance(after, SampleSet) else after
    p99 = figures.p99 if figures.p99 is not None else 0.0
    success = 1.0 - figures.errors_5xx / figures.count
    return Verdict.FAIL if p99 > P99_SLO_MS or success < SUCCESS_SLO else Verdict.PASS
