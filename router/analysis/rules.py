"""The rule of one deciding row: from a change, its limit and its evidence to a verdict.

``verdict`` states the rules in words; this module is their code, kept apart so each
rule is a small pure function. It must not compute statistics, word reasons or do
any I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats as sps

from router.analysis.evidence import Evidence
from router.analysis.model import AggregateFigures, MetricRow, Verdict

__all__ = [
    "AGGREGATE_QUANTILES",
    "STRONG_DIVISOR",
    "Signals",
    "aggregate_noise",
    "judge",
    "judge_effect_only",
    "judge_tail",
    "large",
    "overall",
    "signals",
]

STRONG_DIVISOR = 10.0  # decisive / strong evidence: p < alpha / STRONG_DIVISOR
NOISE_Z = 2.0  # aggregates: a change inside 2 approximate standard errors is noise
AGGREGATE_QUANTILES = {"latency_p50": 0.5, "latency_p90": 0.9, "latency_p99": 0.99}


@dataclass(frozen=True)
class Signals:
    """What the row's test says about an increase.

    ``significant``: p < alpha (None: no test possible, aggregates); ``decisive``:
    p < alpha / STRONG_DIVISOR, enough to fail; ``strong``: decisive, the interval of
    the change lies above 0 and reaches past the limit.
    """

    significant: bool | None
    strong: bool
    decisive: bool = False


def signals(found: Evidence, limit: float, alpha: float) -> Signals:
    """The ``Signals`` of one row's evidence."""
    if found.p_value is None:
        return Signals(significant=None, strong=False)
    decisive = found.p_value < alpha / STRONG_DIVISOR
    ci = found.change_ci
    strong = decisive and ci is not None and ci.low > 0 and ci.high > limit
    return Signals(significant=found.p_value < alpha, strong=strong, decisive=decisive)


def judge(change: float | None, limit: float, evidence: Signals, enough: bool) -> Verdict:
    """p50, p90, trimmed mean, 5XX rate (raw samples): see ``verdict``'s docstring."""
    if not enough or change is None:
        return Verdict.INCONCLUSIVE
    if change > limit:
        if evidence.decisive:
            return Verdict.FAIL
        return Verdict.INCONCLUSIVE if evidence.significant else Verdict.PASS
    return Verdict.INCONCLUSIVE if evidence.strong else Verdict.PASS


def judge_tail(change: float | None, limit: float, evidence: Signals, enough: bool) -> Verdict:
    """p99: FAIL on decisive evidence past the limit, else PASS; never INCONCLUSIVE
    (except too few samples): a few hundred requests put a handful in the tail."""
    if not enough or change is None:
        return Verdict.INCONCLUSIVE
    return Verdict.FAIL if change > limit and evidence.decisive else Verdict.PASS


def large(limit: float) -> float:
    """A large effect for a relative ``limit``: twice the limit on the log scale."""
    return (1.0 + limit) ** 2 - 1.0


def judge_effect_only(
    change: float | None, limit: float, noise: float, enough: bool, tail: bool = False
) -> Verdict:
    """Aggregates only: FAIL on a large effect beyond the noise, PASS within the limit
    or the noise, INCONCLUSIVE in between (the p99 is never INCONCLUSIVE)."""
    if not enough or change is None:
        return Verdict.INCONCLUSIVE
    beyond_noise = change > -1.0 and math.log1p(change) > noise
    if change > large(limit) and beyond_noise:
        return Verdict.FAIL
    if change <= limit or not beyond_noise or tail:
        return Verdict.PASS
    return Verdict.INCONCLUSIVE


def aggregate_noise(before: AggregateFigures, after: AggregateFigures, q: float) -> float:
    """``NOISE_Z`` approximate standard errors of ``log(after_q / before_q)`` from the
    counts, taking the spread from the p50/p90 gap as if the latencies were lognormal."""
    spreads = [
        math.log(side.p90 / side.p50) / sps.norm.ppf(0.9)
        for side in (before, after)
        if side.p50 > 0 and side.p90 > side.p50
    ]
    if not spreads or min(before.count, after.count) == 0:
        return math.inf
    density = float(sps.norm.pdf(sps.norm.ppf(q)))
    per_request = max(spreads) * math.sqrt(q * (1 - q)) / density
    return float(NOISE_Z * per_request * math.sqrt(1 / before.count + 1 / after.count))


def overall(rows: Iterable[MetricRow]) -> Verdict:
    """FAIL if any deciding row fails, else INCONCLUSIVE if any is, else PASS."""
    verdicts = {row.verdict for row in rows if row.decides}
    for verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE):
        if verdict in verdicts:
            return verdict
    return Verdict.PASS
