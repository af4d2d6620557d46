"""Where a route's before/after figures come from: access logs and CloudWatch metrics.

* **Access logs** (CloudWatch Logs, the JSON lines of ``router.accesslog``): one
  sample per request, exact percentiles, any window length, and the ``target`` that
  served it (the local gateway writes it; on AWS a canary request is marked by
  ``isCanaryRequest``).
* **CloudWatch metrics** (``AWS/ApiGateway``, per ``ApiName``/``Resource``/``Method``/
  ``Stage`` with detailed metrics): ``Latency`` p50/p90/p99/Average, ``Count``,
  ``4XXError``, ``5XXError`` over the window. Percentiles are asked for in a call of
  their own: moto computes none (``GetMetricData`` with ``p99`` fails with a server
  error once the metric has data), so a refused percentile call leaves them unknown
  (``None``), logged, and the counts and the average still count. Unknown percentiles
  mean "use the access-log samples", and the report says so.

This module reads through the ``router.aws`` wrappers; it must not judge anything.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from router.accesslog import AccessLogFormatError, parse_access_log_line
from router.aws.cloudwatch import CloudWatchMetrics, MetricQuery, MetricSeries, dimensions
from router.aws.logs import CloudWatchLogs
from router.errors import AWSError
from router.manifest.model import Manifest, Route

__all__ = ["AccessLogSource", "MetricFigures", "MetricSource", "RequestSample"]

NAMESPACE = "AWS/ApiGateway"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RequestSample:
    time_ms: int
    latency_ms: float
    integration_latency_ms: float | None
    status: int
    target: str | None  # "legacy" | "lambda" | None when the log does not say
    is_canary: bool | None = None  # API Gateway's $context.isCanaryRequest
    request_id: str | None = None  # $context.requestId (the local gateway's Lambda id too)


@dataclass(frozen=True)
class MetricFigures:
    """What CloudWatch metrics say about a route over a window (None: no datapoint)."""

    count: float | None
    errors_4xx: float | None
    errors_5xx: float | None
    latency: dict[str, float | None] = field(default_factory=dict)  # p50, p90, p99, Average

    @property
    def has_percentiles(self) -> bool:
        return all(self.latency.get(p) is not None for p in ("p50", "p90", "p99"))


class AccessLogSource:
    def __init__(self, logs: CloudWatchLogs, group: str) -> None:
        self.logs = logs
        self.group = group

    def fetch(self, route: Route, start_ms: int, end_ms: int) -> list[RequestSample]:
        """Every request of ``route`` logged in ``[start_ms, end_ms)``, oldest first."""
        fields = {"resourcePath": route.path}
        if route.method != "ANY":
            fields["httpMethod"] = route.method
        events = self.logs.filter_json_events(self.group, fields, start_ms, end_ms - 1)
        samples = [s for s in (_sample(e.message) for e in events) if s is not None]
        return sorted(samples, key=lambda s: s.time_ms)


def _sample(message: str) -> RequestSample | None:
    try:
        record = parse_access_log_line(message)
        extra = json.loads(message)
    except (AccessLogFormatError, ValueError):
        return None
    latency = record.response_latency
    if latency is None or not (math.isfinite(latency) and latency >= 0):
        return None
    if not 100 <= record.status <= 599:
        return None
    return RequestSample(
        time_ms=record.request_time_epoch,
        latency_ms=float(latency),
        integration_latency_ms=record.integration_latency,
        status=int(record.status),
        target=_target(extra),
        is_canary=record.is_canary_request,
        request_id=record.request_id,
    )


def _target(extra: dict[str, object]) -> str | None:
    target = extra.get("target")
    return str(target) if target in ("legacy", "lambda") else None


class MetricSource:
    def __init__(self, metrics: CloudWatchMetrics, manifest: Manifest) -> None:
        self.metrics = metrics
        self.manifest = manifest

    def fetch(self, route: Route, start: datetime, end: datetime) -> MetricFigures:
        """One value per statistic over the whole window (period = window, in minutes)."""
        period = max(60, math.ceil((end - start) / timedelta(minutes=1)) * 60)
        queries = self._queries(route, period)
        plain = [q for q in queries if q.stat not in _PERCENTILES]
        by_id = {s.id: s for s in self.metrics.get_metric_data(plain, start, end)}
        by_id.update(self._percentiles(route, queries, start, end))
        latency = {stat: _total(by_id.get(_id(stat)), stat) for stat in _LATENCY}
        return MetricFigures(
            count=_total(by_id.get("count"), "Sum"),
            errors_4xx=_total(by_id.get("e4xx"), "Sum"),
            errors_5xx=_total(by_id.get("e5xx"), "Sum"),
            latency=latency,
        )

    def _percentiles(
        self, route: Route, queries: list[MetricQuery], start: datetime, end: datetime
    ) -> dict[str, MetricSeries]:
        """The percentile series by id; none when CloudWatch refuses them (moto)."""
        wanted = [q for q in queries if q.stat in _PERCENTILES]
        try:
            return {s.id: s for s in self.metrics.get_metric_data(wanted, start, end)}
        except AWSError as exc:
            log.warning("%s: no latency percentiles from CloudWatch (%s)", route.id, exc)
            return {}

    def _queries(self, route: Route, period: int) -> list[MetricQuery]:
        api = self.manifest.api
        dims = dimensions(
            ApiName=api.name, Resource=route.path, Method=route.method, Stage=api.stage
        )

        def query(qid: str, name: str, stat: str) -> MetricQuery:
            return MetricQuery(qid, NAMESPACE, name, dims, stat, period_s=period)

        latency = [query(_id(stat), "Latency", stat) for stat in _LATENCY]
        counts = [("count", "Count"), ("e4xx", "4XXError"), ("e5xx", "5XXError")]
        return [*latency, *(query(qid, name, "Sum") for qid, name in counts)]


_PERCENTILES = ("p50", "p90", "p99")
_LATENCY = (*_PERCENTILES, "Average")


def _id(stat: str) -> str:
    return "lat_" + stat.lower()


def _total(series: MetricSeries | None, stat: str) -> float | None:
    """Collapse a series to one figure: sums add up; other stats need a single point."""
    if series is None or not series.values:
        return None
    if stat == "Sum":
        return float(sum(series.values))
    return float(series.values[0]) if len(series.values) == 1 else None
