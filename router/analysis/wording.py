"""The words of a comparison: each row's reason, the overall reasons and the notes.

This module must not compute statistics, decide verdicts or do any I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from router.analysis.evidence import Evidence
from router.analysis.formatting import format_change, format_interval, format_p
from router.analysis.model import (
    Confounder,
    ErrorClass,
    Figures,
    MetricRow,
    Mode,
    SampleSet,
    Verdict,
)
from router.analysis.rules import Signals

__all__ = ["NO_RAW_SAMPLES", "TEST_NAMES", "notes", "reason", "reasons", "tested"]

NO_RAW_SAMPLES = "no raw samples: effect size only (no Mann-Whitney U test, no bootstrap)"
TEST_NAMES = {
    "mann-whitney-u": "Mann-Whitney",
    "fisher-exact": "Fisher",
    "pooled-z-test": "z-test",
    "quantile-exceedance": "exceedance",
    "yuen-trimmed-t": "Yuen",
    "binomial": "binomial",
}
_MODE_NOTES: dict[str, str] = {
    "baseline": "baseline mode: after compared with a stored baseline of another window",
    "concurrent": "concurrent mode: the Lambda share vs the monolith share, same window",
}
_DEPENDENT = 0.5  # a dependence factor below it is worth a note


def reason(
    verdict: Verdict,
    kind: str,
    limit: float,
    found: Evidence,
    evidence: Signals,
    min_samples: int | None,
) -> str:
    """Why one deciding row got its verdict (``min_samples`` set: too few samples)."""
    if min_samples is not None:
        return f"too few samples (need {min_samples} on each side)"
    if found.change is None:
        return "no figure on one side"
    relation = "is within" if found.change <= limit else "exceeds"
    head = f"{format_change(found.change, kind)} {relation} {format_change(limit, kind)}"
    if found.p_value is None:
        return f"{head}; {_effect_only(verdict, found.change > limit)}"
    return f"{head}; {_finding(verdict, found.change > limit, evidence)} ({tested(found, kind)})"


def _effect_only(verdict: Verdict, exceeds: bool) -> str:
    if verdict is Verdict.FAIL:
        return "no raw samples: effect size only, a large effect beyond the noise"
    if verdict is Verdict.INCONCLUSIVE:
        return "no raw samples: effect size only, past the limit but not a large effect"
    if exceeds:
        return "no raw samples: effect size only, within the noise of these counts"
    return "no raw samples: effect size only"


def tested(found: Evidence, kind: str) -> str:
    """The tests and intervals behind a row, e.g. ``exceedance p=0.002, ...``."""
    parts = [f"{TEST_NAMES.get(found.test or '', 'test')} {format_p(found.p_value)}"]
    if found.bootstrap_p is not None:
        parts.append(f"bootstrap {format_p(found.bootstrap_p)}")
    if found.change_ci is not None:
        parts.append(f"change CI {format_interval(found.change_ci, kind)}")
    return ", ".join(parts)


def _finding(verdict: Verdict, exceeds: bool, evidence: Signals) -> str:
    if verdict is Verdict.FAIL:
        return "a significant increase"
    if verdict is Verdict.INCONCLUSIVE and exceeds:
        return "not significant enough to fail: may be noise, collect more samples"
    if verdict is Verdict.INCONCLUSIVE:
        return "but a clear increase whose interval reaches past the limit"
    if exceeds:
        return "no significant increase: within the noise"
    return "a significant but tolerated increase" if evidence.significant else "no clear increase"


def reasons(rows: Sequence[MetricRow], verdict: Verdict) -> tuple[str, ...]:
    """The overall verdict's reasons: the rows that made it."""
    if verdict is Verdict.PASS:
        return ("every deciding figure is within its threshold",)
    if rows[0].verdict is Verdict.INCONCLUSIVE:  # the samples row
        return (rows[0].reason,)
    return tuple(f"{r.title}: {r.reason}" for r in rows if r.decides and r.verdict is verdict)


def notes(
    sides: tuple[Figures, Figures],
    mode: Mode,
    confounders: Sequence[Confounder],
    classes: Sequence[ErrorClass],
    factors: tuple[float, float],
) -> tuple[str, ...]:
    """The notes under a comparison: mode, sources, confounders, new errors, bursts."""
    before, after = sides
    found = [_MODE_NOTES[mode]]
    if not (isinstance(before, SampleSet) and isinstance(after, SampleSet)):
        found.append(NO_RAW_SAMPLES)
    if before.source != after.source:
        found.append(f"sources differ: before from {before.source}, after from {after.source}")
    if mode == "concurrent" and _disjoint(before.window, after.window):
        found.append("concurrent mode, but the two windows do not overlap")
    found.extend(f"CONFOUNDED: {c.note}" for c in confounders if c.beyond)
    found.extend(
        f"new error class {c.status}: {c.count} requests ({c.rate:.2%}) after, none before "
        f"(Fisher {format_p(c.p_value)})"
        for c in classes
    )
    if min(factors) < _DEPENDENT:
        found.append(_bursty(sides, factors))
    return tuple(found)


def _bursty(sides: tuple[Figures, Figures], factors: tuple[float, float]) -> str:
    sizes = " and ".join(
        f"{side.count * f:.0f} of {side.count}" for side, f in zip(sides, factors, strict=True)
    )
    return f"bursty latencies (autocorrelated): tests use effective sample sizes {sizes}"


def _disjoint(first: tuple[int, int] | None, second: tuple[int, int] | None) -> bool:
    if first is None or second is None:
        return False
    return first[1] <= second[0] or second[1] <= first[0]
