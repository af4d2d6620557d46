"""What API Gateway emits for one request, as data: ``AWS/ApiGateway`` metric datums
and JSON access-log lines.

Metrics ``Count``, ``Latency``, ``IntegrationLatency``, ``4XXError``, ``5XXError`` for the
dimension sets API Gateway sends with detailed metrics on (``ApiName``; ``ApiName,
Stage``; ``ApiName, Method, Resource, Stage``), each a distribution (``Values`` /
``Counts``) per second. Access-log lines carry exactly ``ACCESS_LOG_FIELDS`` as API
Gateway writes them, plus ``target`` and ``routeId``. This module is pure: it must not
publish, queue or start threads (that is ``telemetry``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from router.accesslog import ACCESS_LOG_FIELDS
from router.aws.cloudwatch import Dimensions, MetricDatum, dimensions
from router.gateway.records import RequestRecord

__all__ = ["LATENCY_DECIMALS", "access_log_line", "dimension_sets", "metric_data"]

LATENCY_DECIMALS = 1  # metric latencies keep 0.1 ms; access logs write whole ms like AWS


def dimension_sets(rec: RequestRecord, api_name: str, stage: str) -> tuple[Dimensions, ...]:
    return (
        dimensions(ApiName=api_name),
        dimensions(ApiName=api_name, Stage=stage),
        dimensions(
            ApiName=api_name, Method=rec.http_method, Resource=rec.resource_path, Stage=stage
        ),
    )


@dataclass
class _Distributions:
    """The five API Gateway metrics of one (second, dimension set), as value -> count."""

    count: Counter[float] = field(default_factory=Counter)
    latency: Counter[float] = field(default_factory=Counter)
    integration: Counter[float] = field(default_factory=Counter)
    client_errors: Counter[float] = field(default_factory=Counter)
    server_errors: Counter[float] = field(default_factory=Counter)

    def add(self, rec: RequestRecord) -> None:
        self.count[1.0] += 1
        self.latency[round(rec.response_latency_ms, LATENCY_DECIMALS)] += 1
        if rec.integration_latency_ms is not None:
            self.integration[round(rec.integration_latency_ms, LATENCY_DECIMALS)] += 1
        self.client_errors[float(400 <= rec.status < 500)] += 1
        self.server_errors[float(500 <= rec.status < 600)] += 1

    def data(self, dims: Dimensions, timestamp: datetime) -> list[MetricDatum]:
        named = (
            ("Count", "Count", self.count),
            ("Latency", "Milliseconds", self.latency),
            ("IntegrationLatency", "Milliseconds", self.integration),
            ("4XXError", "Count", self.client_errors),
            ("5XXError", "Count", self.server_errors),
        )
        return [_datum(n, dims, timestamp, unit, dist) for n, unit, dist in named if dist]


def _datum(
    name: str, dims: Dimensions, timestamp: datetime, unit: str, dist: Counter[float]
) -> MetricDatum:
    values = tuple(sorted(dist))
    counts = tuple(float(dist[v]) for v in values)
    return MetricDatum(name, dims, timestamp, unit, values=values, counts=counts)


def metric_data(records: Iterable[RequestRecord], api_name: str, stage: str) -> list[MetricDatum]:
    """The ``AWS/ApiGateway`` data for ``records``, one distribution per second and metric."""
    groups: defaultdict[tuple[int, Dimensions], _Distributions] = defaultdict(_Distributions)
    for rec in records:
        second = rec.request_time_epoch_ms // 1000
        for dims in dimension_sets(rec, api_name, stage):
            groups[(second, dims)].add(rec)
    return [
        datum
        for (second, dims), dist in sorted(groups.items())
        for datum in dist.data(dims, datetime.fromtimestamp(second, UTC))
    ]


def access_log_line(rec: RequestRecord, stage: str) -> str:
    """One JSON access-log line: ACCESS_LOG_FIELDS as API Gateway writes them + target, routeId."""
    values = _context_values(rec, stage)
    line = {name: values[name] for name in ACCESS_LOG_FIELDS}
    line["target"] = rec.target
    line["routeId"] = rec.route_id or "-"
    return json.dumps(line, separators=(",", ":"))


def _context_values(rec: RequestRecord, stage: str) -> dict[str, str]:
    return {
        "requestId": rec.request_id,
        "requestTimeEpoch": str(rec.request_time_epoch_ms),
        "stage": stage,
        "httpMethod": rec.http_method,
        "resourcePath": rec.resource_path,
        "path": f"/{stage}{rec.path}",  # $context.path includes the stage
        "protocol": rec.protocol,
        "sourceIp": rec.source_ip,
        "status": str(rec.status),
        "integrationStatus": _integration_status(rec),
        "responseLength": str(rec.response_length),
        "responseLatency": _ms(rec.response_latency_ms),
        "integrationLatency": _integration_latency(rec),
        "isCanaryRequest": "true" if rec.is_canary else "false",
        "errorResponseType": _error_response_type(rec),
    }


def _integration_latency(rec: RequestRecord) -> str:
    latency = rec.integration_latency_ms
    return "-" if latency is None else _ms(latency)


def _ms(latency: float) -> str:
    """Milliseconds to the microsecond: API Gateway writes whole ms, but local requests
    take about one, so whole ms would erase the differences the comparison looks for."""
    return f"{latency:.3f}"


def _integration_status(rec: RequestRecord) -> str:
    """HTTP proxy: the backend's status; Lambda proxy: Lambda's own (200 once invoked)."""
    if rec.integration_latency_ms is None:
        return "-"
    return "200" if rec.target == "lambda" else str(rec.status)


def _error_response_type(rec: RequestRecord) -> str:
    """A gateway response (no integration ran) is DEFAULT_4XX/5XX; else unset."""
    if rec.integration_latency_ms is not None or rec.status < 400:
        return "-"
    return "DEFAULT_4XX" if rec.status < 500 else "DEFAULT_5XX"
