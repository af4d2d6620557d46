"""The verdict of a cutover: compare before/after figures against a route's thresholds.

``compare(before, after, thresholds)`` returns a ``Comparison`` with one row per
figure and an overall verdict. Each deciding row has a ``change`` (latency:
``after/before - 1`` of the percentile; 5XX rate: ``rate_after - rate_before``,
absolute) and a ``limit`` (``latency_p50/p90_max_increase``,
``error_rate_max_increase``). With ``strict = alpha / STRONG_DIVISOR`` (alpha/5):

* the increase is *significant* when the one-sided test (Mann-Whitney U for latency,
  the two-proportion test for rates) has ``p < alpha`` **and** the interval of the
  change lies above 0 (an intersection-union test: the distribution moved up *and*
  this figure moved up), **or**, for a latency percentile, its own bootstrap
  p-value is below ``strict``: a tail-only regression (cold starts) barely moves the
  rank test but moves the p90, and strong percentile evidence alone suffices;
* there is *strong* evidence of an increase that may be too large when the test has
  ``p < strict``, the interval lies above 0 and reaches past the limit.

The rules:

* **Too few samples.** Fewer than ``min_samples`` requests on either side makes every
  deciding row INCONCLUSIVE, whatever the data: no silent pass, no rollback on a
  handful of requests.
* **FAIL** when ``change > limit`` and the increase is significant.
* **INCONCLUSIVE** when ``change > limit`` but the increase is not significant (the
  excess may be noise: collect more samples), or when ``change <= limit`` but there
  is strong evidence of an increase whose interval reaches past the limit (a real
  increase that may be too large).
* **PASS** otherwise: the estimate is within the limit and the evidence does not
  point past it. A significant but small increase passes (the threshold is the
  practical-significance margin; the reason says "significant"). Blocking a pass on
  mere significance at ``alpha`` would fail an A/A comparison about ``alpha`` of the
  time by construction; at ``strict`` that cost stays near 1%, while a real
  regression whose estimate fell under the limit by chance is still caught.
* **Which rows decide:** samples, latency p50 and p90, the 5XX rate. The p99 and the
  mean are reported (INFO): at a few hundred requests the p99 rests on a handful of
  them and the mean follows single outliers. The 4XX rate (client errors) is INFO.
* **Aggregates only** (a side without raw samples, e.g. CloudWatch metrics): no rank
  test and no bootstrap are possible, so latency rows are judged on the effect size
  (``change > limit`` fails); the error-rate test still runs. The notes say
  ``NO_RAW_SAMPLES``.
* **Overall:** any FAIL -> FAIL; else any INCONCLUSIVE -> INCONCLUSIVE; else PASS;
  ``Comparison.exit_code`` maps them to 0, 1 and 3.

Intervals are central ``1 - 2*alpha`` intervals, so each bound is a one-sided bound
at ``alpha``. ``mode`` ("baseline": after vs a stored baseline; "concurrent": the
Lambda share vs the monolith share of one route in one window, a concurrent control)
is carried into the result. Without ``rng`` a generator seeded with ``DEFAULT_SEED``
is used, so a rerun on the same figures gives the same result.

This module must not fetch figures, read or write files, print, or know about AWS or
the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from router.analysis import stats
from router.analysis.evidence import LATENCY_METRICS, Evidence, latency_evidence, rate_evidence
from router.analysis.formatting import format_change, format_interval, format_p
from router.analysis.model import (
    MODES,
    Comparison,
    Figures,
    Limits,
    MetricRow,
    Mode,
    SampleSet,
    SideSummary,
    Verdict,
)
from router.errors import UsageError
from router.manifest.model import Thresholds

__all__ = [
    "DEFAULT_SEED",
    "NO_RAW_SAMPLES",
    "STRONG_DIVISOR",
    "Signals",
    "compare",
    "judge",
    "overall",
    "signals",
]

DEFAULT_SEED = 0
STRONG_DIVISOR = 5.0  # "strong" evidence: p < alpha / STRONG_DIVISOR
NO_RAW_SAMPLES = "no raw samples: effect size only (no Mann-Whitney U test, no bootstrap)"
_INFO = {
    "latency_p99": "reported only: the p99 rests on a handful of requests",
    "latency_mean": "reported only: the mean follows single outliers",
    "error_rate_4xx": "reported only: 4XX are client errors",
}
_TEST_NAMES = {
    "mann-whitney-u": "Mann-Whitney",
    "fisher-exact": "Fisher",
    "pooled-z-test": "z-test",
}
_MODE_NOTES: dict[str, str] = {
    "baseline": "baseline mode: after compared with a stored baseline of another window",
    "concurrent": "concurrent mode: the Lambda share vs the monolith share, same window",
}


@dataclass(frozen=True)
class _Context:
    limits: Limits
    enough: bool
    level: float


@dataclass(frozen=True)
class Signals:
    """What the tests say about an increase (``significant`` None: no test possible)."""

    significant: bool | None
    strong: bool


def compare(
    before: Figures,
    after: Figures,
    thresholds: Thresholds | None = None,
    *,
    rng: np.random.Generator | None = None,
    mode: Mode = "baseline",
    n_resamples: int = stats.N_RESAMPLES,
) -> Comparison:
    """Judge ``after`` against ``before`` (see the module docstring for the rules)."""
    ctx = _context(before, after, thresholds, mode, n_resamples)
    generator = rng if rng is not None else np.random.default_rng(DEFAULT_SEED)
    rows = (
        _samples_row(before, after, ctx),
        *_latency_rows(latency_evidence(before, after, generator, ctx.level, n_resamples), ctx),
        *_rate_rows(before, after, ctx),
    )
    verdict = overall(rows)
    return Comparison(
        mode=mode,
        verdict=verdict,
        rows=rows,
        before=_side(before),
        after=_side(after),
        limits=ctx.limits,
        ci_level=ctx.level,
        n_resamples=n_resamples,
        reasons=_reasons(rows, verdict),
        notes=_notes(before, after, mode),
    )


def _context(
    before: Figures, after: Figures, thresholds: Thresholds | None, mode: str, n_resamples: int
) -> _Context:
    limits = Limits.resolve(thresholds)
    if mode not in MODES:
        raise UsageError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    if limits.alpha >= 0.5 or n_resamples < 1:
        raise UsageError(f"need alpha < 0.5 (got {limits.alpha}) and n_resamples >= 1")
    enough = min(before.count, after.count) >= limits.min_samples
    return _Context(limits, enough, 1.0 - 2.0 * limits.alpha)


def signals(found: Evidence, limit: float, alpha: float) -> Signals:
    """Is the increase significant; is there strong evidence of one that may pass ``limit``."""
    if found.p_value is None or found.change_ci is None:
        return Signals(significant=None, strong=False)
    strict = alpha / STRONG_DIVISOR
    above_zero = found.change_ci.low > 0
    alone = found.bootstrap_p is not None and found.bootstrap_p < strict
    strong = found.p_value < strict and above_zero and found.change_ci.high > limit
    return Signals(significant=(found.p_value < alpha and above_zero) or alone, strong=strong)


def judge(change: float | None, limit: float, evidence: Signals, enough: bool) -> Verdict:
    """The rule of one deciding row (see the module docstring)."""
    if not enough or change is None:
        return Verdict.INCONCLUSIVE
    if change > limit:
        return Verdict.INCONCLUSIVE if evidence.significant is False else Verdict.FAIL
    return Verdict.INCONCLUSIVE if evidence.strong else Verdict.PASS


def overall(rows: Iterable[MetricRow]) -> Verdict:
    """FAIL if any deciding row fails, else INCONCLUSIVE if any is, else PASS."""
    verdicts = {row.verdict for row in rows if row.decides}
    for verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE):
        if verdict in verdicts:
            return verdict
    return Verdict.PASS


def _samples_row(before: Figures, after: Figures, ctx: _Context) -> MetricRow:
    need = ctx.limits.min_samples
    reason = f"at least {need} requests on each side"
    if not ctx.enough:
        reason = f"too few samples: {before.count} before, {after.count} after; need {need} each"
    return MetricRow(
        metric="samples",
        title="samples",
        unit="count",
        before=float(before.count),
        after=float(after.count),
        change=None,
        change_kind="none",
        after_ci=None,
        change_ci=None,
        p_value=None,
        test=None,
        bootstrap_p=None,
        threshold=float(need),
        decides=True,
        verdict=Verdict.PASS if ctx.enough else Verdict.INCONCLUSIVE,
        reason=reason,
    )


def _latency_rows(evidence: dict[str, Evidence], ctx: _Context) -> list[MetricRow]:
    limits = {"latency_p50": ctx.limits.p50, "latency_p90": ctx.limits.p90}
    return [
        _row(metric, title, "ms", evidence[metric], limits.get(metric), ctx)
        for metric, title in LATENCY_METRICS.items()
    ]


def _rate_rows(before: Figures, after: Figures, ctx: _Context) -> list[MetricRow]:
    limits = {5: ctx.limits.error_rate, 4: None}
    return [
        _row(f"error_rate_{c}xx", f"{c}XX rate", "rate", found, limit, ctx)
        for c, limit in limits.items()
        for found in (rate_evidence(c, before, after, ctx.level),)
    ]


def _row(
    metric: str,
    title: str,
    unit: Literal["ms", "rate"],
    found: Evidence,
    limit: float | None,
    ctx: _Context,
) -> MetricRow:
    kind: Literal["relative", "absolute"] = "relative" if unit == "ms" else "absolute"
    verdict, reason = Verdict.INFO, _INFO.get(metric, "")
    if limit is not None:
        evidence = signals(found, limit, ctx.limits.alpha)
        verdict = judge(found.change, limit, evidence, ctx.enough)
        reason = _reason(verdict, kind, limit, found, evidence, ctx)
    return MetricRow(
        metric=metric,
        title=title,
        unit=unit,
        before=found.before,
        after=found.after,
        change=found.change,
        change_kind=kind,
        after_ci=found.after_ci,
        change_ci=found.change_ci,
        p_value=found.p_value,
        test=found.test,
        bootstrap_p=found.bootstrap_p,
        threshold=limit,
        decides=limit is not None,
        verdict=verdict,
        reason=reason,
    )


def _reason(
    verdict: Verdict, kind: str, limit: float, found: Evidence, evidence: Signals, ctx: _Context
) -> str:
    if not ctx.enough:
        return f"too few samples (need {ctx.limits.min_samples} on each side)"
    if found.change is None:
        return "no figure on one side"
    relation = "is within" if found.change <= limit else "exceeds"
    head = f"{format_change(found.change, kind)} {relation} {format_change(limit, kind)}"
    if found.p_value is None:
        return f"{head}; no raw samples: effect size only"
    return f"{head}; {_finding(verdict, found.change > limit, evidence)} ({_tested(found, kind)})"


def _tested(found: Evidence, kind: str) -> str:
    parts = [f"{_TEST_NAMES.get(found.test or '', 'test')} {format_p(found.p_value)}"]
    if found.bootstrap_p is not None:
        parts.append(f"bootstrap {format_p(found.bootstrap_p)}")
    parts.append(f"change CI {format_interval(found.change_ci, kind)}")
    return ", ".join(parts)


def _finding(verdict: Verdict, exceeds: bool, evidence: Signals) -> str:
    if verdict is Verdict.FAIL:
        return "a significant increase"
    if verdict is Verdict.INCONCLUSIVE and exceeds:
        return "not significant: may be noise, collect more samples"
    if verdict is Verdict.INCONCLUSIVE:
        return "but a clear increase whose interval reaches past the limit"
    return "a significant but tolerated increase" if evidence.significant else "no clear increase"


def _side(figures: Figures) -> SideSummary:
    return SideSummary(
        label=figures.label,
        source=figures.source,
        count=figures.count,
        raw=isinstance(figures, SampleSet),
        window=figures.window,
        target=figures.target,
    )


def _notes(before: Figures, after: Figures, mode: Mode) -> tuple[str, ...]:
    notes = [_MODE_NOTES[mode]]
    if not (isinstance(before, SampleSet) and isinstance(after, SampleSet)):
        notes.append(NO_RAW_SAMPLES)
    if before.source != after.source:
        notes.append(f"sources differ: before from {before.source}, after from {after.source}")
    if mode == "concurrent" and _disjoint(before.window, after.window):
        notes.append("concurrent mode, but the two windows do not overlap")
    return tuple(notes)


def _disjoint(first: tuple[int, int] | None, second: tuple[int, int] | None) -> bool:
    if first is None or second is None:
        return False
    return first[1] <= second[0] or second[1] <= first[0]


def _reasons(rows: Sequence[MetricRow], verdict: Verdict) -> tuple[str, ...]:
    if verdict is Verdict.PASS:
        return ("every deciding figure is within its threshold",)
    if rows[0].verdict is Verdict.INCONCLUSIVE:  # the samples row
        return (rows[0].reason,)
    return tuple(f"{r.title}: {r.reason}" for r in rows if r.decides and r.verdict is verdict)
