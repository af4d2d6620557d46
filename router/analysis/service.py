"""``migrate baseline`` and ``migrate compare``: gather a route's figures, judge them.

Baseline: the requests the monolith served in a window, stored with the manifest
revision. Compare: the requests Lambda served since the cutover (or in a window),
against the stored baseline, or, during a canary, against the monolith's share of
the same route in the same window (a concurrent control, as Kayenta recommends).
Raw access-log samples are preferred; CloudWatch metrics are the fallback, and the
result says which source every side came from. Must not print or change routes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from router.analysis.baseline import MAX_SAMPLES, Baseline, Baselines, thin
from router.analysis.coldstarts import ColdStarts, ReportSource, cold_flags
from router.analysis.model import AggregateFigures, Comparison, Figures, Mode, SampleSet
from router.analysis.sources import AccessLogSource, MetricFigures, MetricSource, RequestSample
from router.analysis.timespec import to_ms
from router.arns import function_name
from router.errors import AWSError, UsageError
from router.history import HistoryLog, now_iso
from router.manifest.model import Manifest, Route
from router.manifest.store import ManifestStore
from router.routes import resolve_route

__all__ = ["AnalysisService", "CompareResult", "Window"]

ModeChoice = Mode | None  # None: concurrent during a canary with enough traffic, else baseline


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @property
    def ms(self) -> tuple[int, int]:
        return to_ms(self.start), to_ms(self.end)

    def describe(self) -> str:
        start, end = (t.isoformat(timespec="seconds") for t in (self.start, self.end))
        return f"{start} .. {end}"


@dataclass(frozen=True)
class CompareResult:
    route: Route
    comparison: Comparison
    before: Figures
    after: Figures
    window: Window
    cold_starts: ColdStarts | None = None  # the function's REPORT lines (None: no logs)


class AnalysisService:
    def __init__(
        self,
        store: ManifestStore,
        history: HistoryLog,
        baselines: Baselines,
        logs: AccessLogSource,
        metrics: MetricSource,
        clock: Callable[[], datetime],
        reports: ReportSource | None = None,
    ) -> None:
        self.store, self.history, self.baselines = store, history, baselines
        self.logs, self.metrics, self.clock = logs, metrics, clock
        self.reports = reports

    def baseline(self, ref: str, window: timedelta, end: datetime | None) -> Baseline:
        manifest = self.store.read()
        route = resolve_route(manifest, ref)
        until = end or self.clock()
        span = Window(until - window, until)
        samples = [s for s in self._samples(route, span) if _served_by(s, "legacy", route)]
        figures = None if samples else self.metrics.fetch(route, span.start, span.end)
        baseline = _baseline(manifest, route, span, samples, figures)
        with self.store.locked():
            self.baselines.save(baseline)
        return baseline

    def compare(
        self, ref: str, *, since: datetime | None, window: timedelta | None, mode: ModeChoice
    ) -> CompareResult:
        manifest = self.store.read()
        route = resolve_route(manifest, ref)
        span = self._after_window(route, since, window)
        samples = self._samples(route, span)
        after = self._side(route, span, samples, "lambda", "after (lambda)")
        cold = self._cold_starts(manifest, route, span)
        after = _with_cold_flags(
            after, [s for s in samples if _served_by(s, "lambda", route)], cold
        )
        chosen = mode or _auto_mode(route, samples, manifest)
        before = (
            self._concurrent(route, span, samples)
            if chosen == "concurrent"
            else self._stored(route)
        )
        from router.analysis.verdict import compare  # scipy: loaded only to judge

        result = compare(before, after, manifest.thresholds_for(route), mode=chosen)
        return CompareResult(route, result, before, after, span, cold)

    def _cold_starts(self, manifest: Manifest, route: Route, span: Window) -> ColdStarts | None:
        """The route's function's REPORT lines over ``span``; None when it has no logs."""
        if self.reports is None:
            return None
        try:
            return self.reports.fetch(function_name(manifest, route), *span.ms)
        except AWSError:  # no log group: the function never ran with logs shipped
            return None

    def _samples(self, route: Route, span: Window) -> list[RequestSample]:
        start, end = span.ms
        return self.logs.fetch(route, start, end)

    def _after_window(
        self, route: Route, since: datetime | None, window: timedelta | None
    ) -> Window:
        now = self.clock()
        if window is not None:
            return Window(now - window, now)
        start = since or self._cutover_time(route)
        if start >= now:
            raise UsageError(f"--since {start.isoformat()}: is not in the past")
        return Window(start, now)

    def _cutover_time(self, route: Route) -> datetime:
        promotes = [
            e for e in self.history.entries() if e.route == route.id and e.action == "promote"
        ]
        if not promotes:
            raise UsageError(
                f"route {route.id!r} was never promoted: give --since TIME or --window W"
            )
        return datetime.fromisoformat(promotes[-1].time.replace("Z", "+00:00"))

    def _side(
        self, route: Route, span: Window, samples: list[RequestSample], target: str, label: str
    ) -> Figures:
        mine = [s for s in samples if _served_by(s, target, route)]
        if mine:  # the rate of a baseline comparison is the route's, whoever served it
            return dataclasses.replace(
                _sample_set(mine, label, span, target), requests=len(samples)
            )
        figures = self.metrics.fetch(route, span.start, span.end)
        aggregate = _aggregate(figures, label, span, target)
        return aggregate or SampleSet(label, (), (), "access-log", span.ms, target)

    def _concurrent(self, route: Route, span: Window, samples: list[RequestSample]) -> Figures:
        mine = [s for s in samples if _served_by(s, "legacy", route)]
        return _sample_set(mine, "before (legacy, same window)", span, "legacy")

    def _stored(self, route: Route) -> Figures:
        baseline = self.baselines.load(route.id)
        if baseline is None:
            raise UsageError(
                f"no baseline for route {route.id!r}",
                hint=f"capture one while the monolith serves it: `migrate baseline {route.id}`",
            )
        return _from_baseline(baseline)


def _with_cold_flags(
    after: Figures, samples: list[RequestSample], cold: ColdStarts | None
) -> Figures:
    """``after`` with per-request cold flags when the REPORT lines name its requests."""
    if cold is None or not isinstance(after, SampleSet) or len(samples) != after.count:
        return after
    flags = cold_flags([s.request_id for s in samples], cold)
    return after if flags is None else dataclasses.replace(after, cold=flags)


def _served_by(sample: RequestSample, target: str, route: Route) -> bool:
    if sample.target is not None:
        return sample.target == target
    # API Gateway's own log has no target: during a canary the canary deployment is
    # Lambda's share; otherwise the route is wholly on one side.
    if 0 < route.effective_weight < 100 and sample.is_canary is not None:
        return sample.is_canary == (target == "lambda")
    return route.effective_weight == (100 if target == "lambda" else 0)


def _auto_mode(route: Route, samples: list[RequestSample], manifest: Manifest) -> Mode:
    if not 0 < route.effective_weight < 100:
        return "baseline"
    floor = manifest.thresholds_for(route).min_samples or 1
    legacy = sum(1 for s in samples if _served_by(s, "legacy", route))
    return "concurrent" if legacy >= floor else "baseline"


def _sample_set(samples: list[RequestSample], label: str, span: Window, target: str) -> SampleSet:
    latencies = tuple(s.latency_ms for s in samples)
    statuses = tuple(s.status for s in samples)
    return SampleSet(label, latencies, statuses, "access-log", span.ms, target)


def _aggregate(
    figures: MetricFigures, label: str, span: Window, target: str
) -> AggregateFigures | None:
    lat = figures.latency
    p50, p90 = lat.get("p50"), lat.get("p90")
    if not figures.has_percentiles or p50 is None or p90 is None or not figures.count:
        return None
    return AggregateFigures(
        count=int(figures.count),
        p50=p50,
        p90=p90,
        p99=lat.get("p99"),
        mean=lat.get("Average"),
        errors_4xx=int(figures.errors_4xx or 0),
        errors_5xx=int(figures.errors_5xx or 0),
        source="metrics",
        label=label,
        window=span.ms,
        target=target,
    )


def _baseline(
    manifest: Manifest,
    route: Route,
    span: Window,
    samples: list[RequestSample],
    figures: MetricFigures | None,
) -> Baseline:
    start, end = span.ms
    common = {
        "route_id": route.id, "method": route.method, "path": route.path,
        "revision": manifest.revision, "target": "legacy", "captured_at": now_iso(),
        "window_start_ms": start, "window_end_ms": end,
    }  # fmt: skip
    found = _sampled(samples) if samples else _measured(route, span, figures)
    return Baseline.model_validate({**common, **found})


def _sampled(samples: list[RequestSample]) -> dict[str, object]:
    latencies = [s.latency_ms for s in samples]
    latencies, statuses = thin(latencies, [s.status for s in samples], MAX_SAMPLES)
    return {"source": "access-log", "requests": len(samples), "latencies_ms": latencies,
            "statuses": statuses}  # fmt: skip


def _measured(route: Route, span: Window, figures: MetricFigures | None) -> dict[str, object]:
    aggregate = _aggregate(figures, "baseline", span, "legacy") if figures else None
    if aggregate is None:
        raise UsageError(
            f"no data for route {route.id!r} ({route.key}) in {span.describe()}",
            hint="send traffic to it (or widen --window / move --end) and capture again",
        )
    a = aggregate
    metrics = {"count": float(a.count), "p50": a.p50, "p90": a.p90, "p99": a.p99, "mean": a.mean,
               "errors_4xx": float(a.errors_4xx), "errors_5xx": float(a.errors_5xx)}  # fmt: skip
    return {"source": "metrics", "requests": a.count, "metrics": metrics}


def _from_baseline(baseline: Baseline) -> Figures:
    window = (baseline.window_start_ms, baseline.window_end_ms)
    label = f"before (baseline, revision {baseline.revision})"
    if baseline.source == "access-log":
        return SampleSet(
            label,
            tuple(baseline.latencies_ms),
            tuple(baseline.statuses),
            "access-log",
            window,
            baseline.target,
            requests=baseline.requests,
        )
    m = baseline.metrics
    return AggregateFigures(
        count=int(m.get("count") or 0),
        p50=float(m.get("p50") or 0),
        p90=float(m.get("p90") or 0),
        p99=m.get("p99"),
        mean=m.get("mean"),
        errors_4xx=int(m.get("errors_4xx") or 0),
        errors_5xx=int(m.get("errors_5xx") or 0),
        source="metrics",
        label=label,
        window=window,
        target=baseline.target,
    )
