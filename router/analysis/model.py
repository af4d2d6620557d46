"""The data model of a before/after comparison: figures in, a judged comparison out.

Frozen dataclasses shared by ``stats`` (the numbers), ``verdict`` (the rules) and
``report`` (JSON, terminal table, HTML), and by whoever fetches the figures:

* ``SampleSet``: one latency and one HTTP status per request (access logs);
* ``AggregateFigures``: pre-aggregated figures without raw samples (CloudWatch
  metrics give p50/p90/p99/average and counts), which allow effect sizes and the
  error-rate test but no rank test and no bootstrap;
* ``Comparison``: the judged result, one ``MetricRow`` per figure.

Latency changes are relative (``after / before - 1``); error-rate changes are
absolute (percentage points as a fraction). This module must not compute
statistics, read or write files, or know about AWS or the CLI.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from router.manifest.model import DEFAULT_THRESHOLDS, Thresholds

__all__ = [
    "MODES",
    "AggregateFigures",
    "Comparison",
    "Confounder",
    "ErrorClass",
    "Figures",
    "Interval",
    "Limits",
    "MetricRow",
    "Mode",
    "SampleSet",
    "SideSummary",
    "Verdict",
    "exit_code",
]

Mode = Literal["baseline", "concurrent"]
MODES: tuple[Mode, ...] = ("baseline", "concurrent")


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    INFO = "info"  # a reported figure that does not decide


_EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCONCLUSIVE: 3}


def exit_code(verdict: Verdict) -> int:
    """The process exit code of an overall verdict: PASS 0, FAIL 1, INCONCLUSIVE 3."""
    if verdict not in _EXIT_CODES:
        raise ValueError(f"{verdict!r} is not an overall verdict")
    return _EXIT_CODES[verdict]


def _check_window(window: tuple[int, int] | None) -> None:
    if window is not None and window[0] > window[1]:
        raise ValueError(f"window {window} ends before it starts")


@dataclass(frozen=True)
class SampleSet:
    """Raw per-request figures of one side of a comparison."""

    label: str  # "before (legacy)" / "after (lambda)"
    latencies_ms: tuple[float, ...]  # response latency per request
    statuses: tuple[int, ...]  # HTTP status per request (same length)
    source: str  # "access-log" | "metrics": where the figures came from
    window: tuple[int, int] | None = None  # epoch ms [start, end)
    target: str | None = None  # "legacy" | "lambda"
    # Requests the route saw in the window (before any thinning; for the request
    # rate of a baseline-mode comparison). None: ``count``.
    requests: int | None = None
    # Per request: did it start a cold execution environment (Lambda ``Init
    # Duration``)? None: not known. Samples are in arrival order (for dependence).
    cold: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.latencies_ms) != len(self.statuses):
            raise ValueError(
                f"{len(self.latencies_ms)} latencies but {len(self.statuses)} statuses"
            )
        if self.cold is not None and len(self.cold) != len(self.statuses):
            raise ValueError(f"{len(self.cold)} cold flags but {len(self.statuses)} statuses")
        latencies, statuses = self.latency_array, self.status_array
        if not (np.isfinite(latencies).all() and (latencies >= 0).all()):
            raise ValueError("latencies must be finite and >= 0 ms")
        if not ((statuses >= 100).all() and (statuses <= 599).all()):
            raise ValueError("statuses must be HTTP status codes (100-599)")
        _check_window(self.window)

    @property
    def count(self) -> int:
        return len(self.statuses)

    @functools.cached_property
    def latency_array(self) -> NDArray[np.float64]:
        """``latencies_ms`` as a numpy array (made once; treat it as read-only)."""
        return np.asarray(self.latencies_ms, dtype=np.float64)

    @functools.cached_property
    def status_array(self) -> NDArray[np.int64]:
        """``statuses`` as a numpy array (made once; treat it as read-only)."""
        return np.asarray(self.statuses, dtype=np.int64)

    @property
    def total(self) -> int:
        """Requests seen in the window (``requests`` when thinned, else ``count``)."""
        return self.count if self.requests is None else self.requests

    def errors(self, status_class: int) -> int:
        """Requests answered with a ``status_class``XX status (4 or 5)."""
        classes = self.status_array // 100
        return int(np.count_nonzero(classes == status_class))


@dataclass(frozen=True)
class AggregateFigures:
    """Pre-aggregated figures of one side (no raw samples), e.g. CloudWatch metrics."""

    count: int
    p50: float
    p90: float
    p99: float | None
    mean: float | None
    errors_4xx: int
    errors_5xx: int
    source: str
    label: str = ""
    window: tuple[int, int] | None = None
    target: str | None = None

    @property
    def total(self) -> int:
        return self.count

    def __post_init__(self) -> None:
        if self.count < 0 or not 0 <= self.errors_4xx + self.errors_5xx <= self.count:
            raise ValueError("need 0 <= errors_4xx + errors_5xx <= count")
        figures = [self.p50, self.p90, self.p99, self.mean]
        if not all(x is None or (math.isfinite(x) and x >= 0) for x in figures):
            raise ValueError("latency figures must be finite and >= 0 ms")
        _check_window(self.window)

    def errors(self, status_class: int) -> int:
        return {4: self.errors_4xx, 5: self.errors_5xx}[status_class]


Figures: TypeAlias = SampleSet | AggregateFigures


@dataclass(frozen=True)
class Interval:
    """A confidence interval ``[low, high]`` at confidence ``level``."""

    low: float
    high: float
    level: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def shifted(self, offset: float) -> Interval:
        return Interval(self.low + offset, self.high + offset, self.level)


# Defaults of the thresholds the manifest may leave unset (kept here, not in the
# manifest's DEFAULT_THRESHOLDS, so existing manifests are written unchanged).
P99_MAX_INCREASE = 0.5
TRIMMED_MEAN_MAX_INCREASE = 0.2
MAX_RATE_RATIO = 1.1
MAX_HOURS_APART = 2.0
MAX_AGE_HOURS = 24.0 * 7


@dataclass(frozen=True)
class Limits:
    """Thresholds with every field resolved (defaults filled in; cold-start bounds
    stay None unless set: then those rows are reported, not deciding)."""

    p50: float
    p90: float
    error_rate: float
    min_samples: int
    alpha: float
    p99: float = P99_MAX_INCREASE
    trimmed_mean: float = TRIMMED_MEAN_MAX_INCREASE
    cold_share: float | None = None
    cold_added_ms: float | None = None
    rate_ratio: float = MAX_RATE_RATIO
    hours_apart: float = MAX_HOURS_APART
    age_hours: float = MAX_AGE_HOURS
    min_increase_ms: float = 0.0  # latency: an increase this small passes

    @classmethod
    def resolve(cls, thresholds: Thresholds | None) -> Limits:
        merged = (thresholds or Thresholds()).merged_over(DEFAULT_THRESHOLDS)
        return cls(
            p50=_required(merged.latency_p50_max_increase),
            p90=_required(merged.latency_p90_max_increase),
            error_rate=_required(merged.error_rate_max_increase),
            min_samples=int(_required(merged.min_samples)),
            alpha=_required(merged.alpha),
            p99=_or(merged.latency_p99_max_increase, P99_MAX_INCREASE),
            trimmed_mean=_or(merged.latency_trimmed_mean_max_increase, TRIMMED_MEAN_MAX_INCREASE),
            cold_share=merged.cold_start_max_share,
            cold_added_ms=merged.cold_start_max_added_ms,
            rate_ratio=_or(merged.baseline_max_rate_ratio, MAX_RATE_RATIO),
            hours_apart=_or(merged.baseline_max_hours_apart, MAX_HOURS_APART),
            age_hours=_or(merged.baseline_max_age_hours, MAX_AGE_HOURS),
            min_increase_ms=_or(merged.latency_min_increase_ms, 0.0),
        )


def _or(value: float | None, default: float) -> float:
    return default if value is None else float(value)


def _required(value: float | None) -> float:
    if value is None:  # pragma: no cover - DEFAULT_THRESHOLDS sets every field
        raise ValueError("DEFAULT_THRESHOLDS must set every field")
    return float(value)


@dataclass(frozen=True)
class MetricRow:
    """One judged figure. ``change``/``change_ci``/``threshold`` share one unit:
    relative for latency (``ratio - 1``), absolute for error rates."""

    metric: str  # latency_p50, latency_p90, latency_p99, latency_mean, error_rate_5xx, ...
    title: str
    unit: Literal["ms", "rate", "count"]
    before: float | None
    after: float | None
    change: float | None
    change_kind: Literal["relative", "absolute", "none"]
    after_ci: Interval | None
    change_ci: Interval | None
    p_value: float | None
    test: str | None  # mann-whitney-u | fisher-exact | pooled-z-test
    bootstrap_p: float | None  # latency with raw samples: one-sided bootstrap p of the ratio
    threshold: float | None
    decides: bool
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class SideSummary:
    """Where one side's figures came from."""

    label: str
    source: str
    count: int
    raw: bool  # raw per-request samples (True) or aggregates only
    window: tuple[int, int] | None
    target: str | None


@dataclass(frozen=True)
class Confounder:
    """A difference between the two windows of a baseline-mode comparison that can
    move latency by itself (load, time of day, age of the baseline)."""

    name: str  # request_rate_ratio | hours_apart | baseline_age_hours
    before: float | None
    after: float | None
    value: float  # the ratio / the hours
    limit: float
    beyond: bool  # past the limit: the comparison may measure the window, not the code
    note: str


@dataclass(frozen=True)
class ErrorClass:
    """A status code that the after side answers and the before side never did."""

    status: int
    count: int
    rate: float
    p_value: float


@dataclass(frozen=True)
class Comparison:
    mode: Mode
    verdict: Verdict
    rows: tuple[MetricRow, ...]
    before: SideSummary
    after: SideSummary
    limits: Limits
    ci_level: float
    n_resamples: int
    reasons: tuple[str, ...]
    notes: tuple[str, ...]
    confounders: tuple[Confounder, ...] = ()
    new_error_classes: tuple[ErrorClass, ...] = ()
    effective_samples: tuple[float, float] | None = None  # after the dependence correction

    @property
    def exit_code(self) -> int:
        return exit_code(self.verdict)

    def row(self, metric: str) -> MetricRow:
        for row in self.rows:
            if row.metric == metric:
                return row
        raise KeyError(metric)
