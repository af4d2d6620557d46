"""The verdict of a cutover: compare before/after figures against a route's thresholds.

``compare(before, after, thresholds)`` returns a ``Comparison`` with one row per
figure and an overall verdict (``router.analysis.judge_samples`` is the same on plain
arrays). Each deciding row has a ``change`` (latency: ``after/before - 1``; 5XX rate:
``rate_after - rate_before``, absolute), a ``limit`` and a one-sided test of "after
is greater" with its p-value ``p``. With ``strict = alpha / STRONG_DIVISOR`` (alpha/10):

* **Too few samples.** Fewer than ``min_samples`` requests on either side makes every
  deciding row INCONCLUSIVE, whatever the data: no silent pass, no rollback on a
  handful of requests.
* **p50, p90, trimmed mean, 5XX rate** (raw samples): FAIL when ``change > limit``
  and ``p < strict``; INCONCLUSIVE when ``change > limit`` and ``p < alpha`` (some
  evidence, not enough: collect more samples); INCONCLUSIVE too when the change is
  within the limit but ``p < strict`` and its interval lies above 0 and reaches past
  the limit (a real increase that may be too large); PASS otherwise. A change past
  the limit without a significant increase passes: it is within the noise (a
  percentile on a gap between two modes, or on whole-ms ties, jumps while the
  distribution stays put). Failing at ``strict`` keeps an A/A comparison's failure
  rate near 0.5% per row, whatever the background error rate.
* **The tests.** A percentile's ``p`` is the smaller of the exceedance test at the
  pooled percentile (``robust.exceedance_test``: exact on gaps, ties and heavy
  tails) and the Mann-Whitney U test (the most powerful for a shift), doubled
  (Bonferroni); the
  trimmed mean's (5% cut from each end: a cache-miss mixture shift moves it while
  the p50 and p90 stay in their modes) is Yuen's; the 5XX rate's is the
  two-proportion test (Fisher's exact for small counts). Every test and interval
  is corrected for dependence: the effective sample size from the lag-1
  autocorrelation in arrival order (``robust.dependence_factor``), so bursty
  traffic does not inflate significance.
* **An absolute floor.** With ``latency_min_increase_ms`` set, each latency row's
  limit is at least ``min_ms / before`` of that figure: an increase of a few
  milliseconds on a fast endpoint (the hop to Lambda) is never judged by its
  percentage alone. The row's threshold shows the raised limit.
* **p99 (the tail).** FAIL when ``change > latency_p99_max_increase`` and the
  exceedance test at the pooled p99 has ``p < strict`` (a tail-only regression,
  cold starts); PASS otherwise, never INCONCLUSIVE: at a few hundred requests the
  p99 rests on a handful of them, so it fails on evidence or stays quiet.
* **Cold starts** (sides carrying per-request cold flags): the cold-start share
  and the cold requests' added latency are reported; each decides only when its
  manifest bound is set (``findings`` states the rule).
* **Reported only (INFO):** the mean (it follows single outliers) and the 4XX rate
  (client errors).
* **Aggregates only** (a side without raw samples, e.g. CloudWatch metrics): no
  test on latency is possible, so a latency row FAILs only on a large effect
  (``(1 + limit)^2 - 1``, e.g. +44% for +20%) beyond the approximate noise of the
  counts (2 standard errors of the log percentile, the spread taken from the
  p50/p90 gap); within the limit or within the noise it PASSes; in between it is
  INCONCLUSIVE (the p99: PASS). The error-rate test still runs. The notes say
  ``NO_RAW_SAMPLES``.
* **Overall:** any FAIL -> FAIL; else any INCONCLUSIVE -> INCONCLUSIVE; else PASS;
  ``Comparison.exit_code`` maps them to 0, 1 and 3.
* **Reported with the verdict, never changing it:** in baseline mode the
  confounders (``confounding``: request rate ratio, hours apart on the clock,
  baseline age; beyond their limits they are notes starting ``CONFOUNDED``); error
  statuses the after side answers and the before side never did (new error
  classes); the effective sample sizes when traffic is bursty.

Intervals are central ``1 - 2*alpha`` intervals, so each bound is a one-sided bound
at ``alpha``. ``mode`` ("baseline": after vs a stored baseline; "concurrent": the
Lambda share vs the monolith share of one route in one window, a concurrent control)
is carried into the result. Without ``rng`` a generator seeded with ``DEFAULT_SEED``
is used, so a rerun on the same figures gives the same result.

This module must not fetch figures, read or write files, print, or know about AWS or
the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from router.analysis import stats
from router.analysis.confounding import confounders
from router.analysis.evidence import (
    LATENCY_METRICS,
    Evidence,
    Factors,
    latency_evidence,
    rate_evidence,
    raw_pair,
)
from router.analysis.findings import COLD_METRICS, cold_evidence, new_error_classes
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
from router.analysis.robust import dependence_factor
from router.analysis.rules import (
    AGGREGATE_QUANTILES,
    STRONG_DIVISOR,
    Signals,
    aggregate_noise,
    judge,
    judge_effect_only,
    judge_tail,
    overall,
    signals,
)
from router.analysis.wording import NO_RAW_SAMPLES, notes, reason, reasons
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
_INFO = {
    "latency_mean": "reported only: the mean follows single outliers",
    "error_rate_4xx": "reported only: 4XX are client errors",
}
Rule = Callable[[float | None, float, Signals, bool], Verdict]
_TAIL = {"latency_p99"}
_OPTIONAL = {"latency_p99", "latency_trimmed_mean"}  # no figure on a side: reported only


@dataclass(frozen=True)
class _Context:
    limits: Limits
    enough: bool
    level: float
    noise: dict[str, float] | None  # aggregates: the noise of each percentile's change


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
    latency, errors = _factors(before, after)
    found = latency_evidence(before, after, generator, ctx.level, n_resamples, latency)
    rows = (
        _samples_row(before, after, ctx),
        *_latency_rows(found, ctx),
        *_rate_rows(before, after, ctx, errors),
        *_cold_rows(before, after, ctx),
    )
    verdict = overall(rows)
    confounded = confounders(before, after, ctx.limits, mode)
    classes = new_error_classes(before, after, ctx.limits.alpha)
    return Comparison(
        mode=mode,
        verdict=verdict,
        rows=rows,
        before=_side(before),
        after=_side(after),
        limits=ctx.limits,
        ci_level=ctx.level,
        n_resamples=n_resamples,
        reasons=reasons(rows, verdict),
        notes=notes((before, after), mode, confounded, classes, latency),
        confounders=confounded,
        new_error_classes=classes,
        effective_samples=(before.count * latency[0], after.count * latency[1]),
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
    noise = None
    if raw_pair(before, after) is None and before.count and after.count:
        b, a = (stats.summarize(s) if isinstance(s, SampleSet) else s for s in (before, after))
        noise = {m: aggregate_noise(b, a, q) for m, q in AGGREGATE_QUANTILES.items()}
    return _Context(limits, enough, 1.0 - 2.0 * limits.alpha, noise)


def _factors(before: Figures, after: Figures) -> tuple[Factors, Factors]:
    """Dependence factors of (before, after): latencies (ranks), 5XX indicators."""
    pair = raw_pair(before, after)
    if pair is None:
        return (1.0, 1.0), (1.0, 1.0)
    b, a = pair
    latency = (dependence_factor(b.latency_array), dependence_factor(a.latency_array))
    errors = (
        dependence_factor(b.status_array >= 500, False),
        dependence_factor(a.status_array >= 500, False),
    )
    return latency, errors


def _samples_row(before: Figures, after: Figures, ctx: _Context) -> MetricRow:
    need = ctx.limits.min_samples
    why = f"at least {need} requests on each side"
    if not ctx.enough:
        why = f"too few samples: {before.count} before, {after.count} after; need {need} each"
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
        reason=why,
    )


def _latency_rows(evidence: dict[str, Evidence], ctx: _Context) -> list[MetricRow]:
    limits = {
        "latency_p50": ctx.limits.p50,
        "latency_p90": ctx.limits.p90,
        "latency_p99": ctx.limits.p99,
        "latency_trimmed_mean": ctx.limits.trimmed_mean,
    }
    rows = []
    for metric, title in LATENCY_METRICS.items():
        found, limit = evidence[metric], _floored(limits.get(metric), evidence[metric], ctx)
        if metric in _OPTIONAL and (found.change is None or _untested(metric, ctx)):
            limit = None
        rule = judge_tail if metric in _TAIL else judge
        rows.append(_row(metric, title, "ms", found, limit, ctx, rule))
    return rows


def _floored(limit: float | None, found: Evidence, ctx: _Context) -> float | None:
    """A relative latency limit, raised to ``min_increase_ms`` over the before figure."""
    floor_ms = ctx.limits.min_increase_ms
    if limit is None or floor_ms <= 0 or found.before is None or found.before <= 0:
        return limit
    return max(limit, floor_ms / found.before)


def _untested(metric: str, ctx: _Context) -> bool:
    """The trimmed mean needs raw samples: with aggregates it is reported only."""
    return metric == "latency_trimmed_mean" and ctx.noise is not None


def _rate_rows(before: Figures, after: Figures, ctx: _Context, factors: Factors) -> list[MetricRow]:
    limits = {5: ctx.limits.error_rate, 4: None}
    return [
        _row(f"error_rate_{c}xx", f"{c}XX rate", "rate", found, limit, ctx, judge)
        for c, limit in limits.items()
        for found in (rate_evidence(c, before, after, ctx.level, factors if c == 5 else (1, 1)),)
    ]


def _cold_rows(before: Figures, after: Figures, ctx: _Context) -> list[MetricRow]:
    limits = (ctx.limits.cold_share, ctx.limits.cold_added_ms)
    found = cold_evidence(before, after, limits)
    if found is None:
        return []
    return [
        _row(metric, title, unit, found[metric], limit, ctx, judge)  # type: ignore[arg-type]
        for (metric, (title, unit)), limit in zip(COLD_METRICS.items(), limits, strict=True)
    ]


def _row(
    metric: str,
    title: str,
    unit: Literal["ms", "rate"],
    found: Evidence,
    limit: float | None,
    ctx: _Context,
    rule: Rule,
) -> MetricRow:
    kind = _kind(metric, unit)
    verdict, why = Verdict.INFO, _INFO.get(metric, "reported only")
    if limit is not None:
        evidence = signals(found, limit, ctx.limits.alpha)
        verdict = _verdict(metric, found, limit, evidence, ctx, rule)
        short = None if ctx.enough else ctx.limits.min_samples
        why = reason(verdict, kind, limit, found, evidence, short)
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
        reason=why,
    )


def _kind(metric: str, unit: str) -> Literal["relative", "absolute", "none"]:
    if metric in COLD_METRICS:
        return "none"
    return "relative" if unit == "ms" else "absolute"


def _verdict(
    metric: str, found: Evidence, limit: float, evidence: Signals, ctx: _Context, rule: Rule
) -> Verdict:
    if ctx.noise is not None and metric in ctx.noise:
        tail = metric in _TAIL
        return judge_effect_only(found.change, limit, ctx.noise[metric], ctx.enough, tail)
    return rule(found.change, limit, evidence, ctx.enough)


def _side(figures: Figures) -> SideSummary:
    return SideSummary(
        label=figures.label,
        source=figures.source,
        count=figures.count,
        raw=isinstance(figures, SampleSet),
        window=figures.window,
        target=figures.target,
    )
