"""CloudWatchSink and the AWS/ApiGateway data it derives, with fake publishers."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import pytest

from router.accesslog import ACCESS_LOG_FIELDS, parse_access_log_line
from router.aws.cloudwatch import MetricDatum, dimensions
from router.aws.logs import LogEvent, PutResult
from router.aws.session import AwsContext
from router.errors import AWSError, UsageError
from router.gateway.records import NullSink, RequestRecord
from router.gateway.telemetry import (
    NAMESPACE,
    CloudWatchSink,
    TelemetryTarget,
    access_log_line,
    build_sink,
    metric_data,
)
from router.manifest.model import Manifest

T0 = 1_700_000_000_000
TARGET = TelemetryTarget("shop", "prod", "/strangler/shop/prod/access", "local-gateway-h-1")
RESOURCE = dimensions(ApiName="shop", Method="GET", Resource="/api/users/{id}", Stage="prod")


def rec(status: int = 200, **fields: object) -> RequestRecord:
    values: dict[str, object] = {
        "request_id": "r-1",
        "request_time_epoch_ms": T0,
        "http_method": "GET",
        "path": "/api/users/5",
        "resource_path": "/api/users/{id}",
        "route_id": "get-api-users-id",
        "target": "lambda",
        "status": status,
        "response_latency_ms": 12.34,
        "integration_latency_ms": 10.0,
        "source_ip": "127.0.0.1",
        "protocol": "HTTP/1.1",
        "response_length": 42,
    }
    values.update(fields)
    return RequestRecord(**values)  # type: ignore[arg-type]


class FakeMetrics:
    def __init__(self, failures: int = 0) -> None:
        self.calls: list[tuple[str, list[MetricDatum]]] = []
        self.failures = failures

    def put_metric_data(self, namespace: str, data: Sequence[MetricDatum]) -> int:
        if self.failures:
            self.failures -= 1
            raise AWSError("cannot put metric data: endpoint down")
        self.calls.append((namespace, list(data)))
        return 1


class FakeLogs:
    def __init__(self, failures: int = 0) -> None:
        self.events: list[LogEvent] = []
        self.ensured: list[str] = []
        self.failures = failures

    def ensure_group(self, name: str, retention_days: int | None = None) -> bool:
        self.ensured.append(name)
        return True

    def ensure_stream(self, group: str, stream: str) -> bool:
        self.ensured.append(f"{group}:{stream}")
        return True

    def put_events(self, group: str, stream: str, events: Iterable[LogEvent]) -> PutResult:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("connection refused")
        batch = list(events)
        self.events.extend(batch)
        return PutResult(1, len(batch), 0)


def sink(metrics: FakeMetrics, logs: FakeLogs, **options: object) -> CloudWatchSink:
    return CloudWatchSink(TARGET, metrics, logs, autostart=False, **options)  # type: ignore[arg-type]


def by_key(data: list[MetricDatum]) -> dict[tuple[str, tuple[tuple[str, str], ...]], MetricDatum]:
    return {(d.name, d.dims): d for d in data}


# --- aggregation ----------------------------------------------------------------------


def test_distributions_per_metric_with_error_flags() -> None:
    records = [
        rec(200, response_latency_ms=10.0),
        rec(404, response_latency_ms=10.0),
        rec(502, response_latency_ms=30.04, integration_latency_ms=None),
    ]
    data = by_key(metric_data(records, "shop", "prod"))
    assert (data["Count", RESOURCE].values, data["Count", RESOURCE].counts) == ((1.0,), (3.0,))
    latency = data["Latency", RESOURCE]
    assert (latency.values, latency.counts, latency.unit) == (
        (10.0, 30.0),
        (2.0, 1.0),
        "Milliseconds",
    )
    assert data["IntegrationLatency", RESOURCE].counts == (2.0,)
    assert (data["4XXError", RESOURCE].values, data["4XXError", RESOURCE].counts) == (
        (0.0, 1.0),
        (2.0, 1.0),
    )
    assert (data["5XXError", RESOURCE].values, data["5XXError", RESOURCE].counts) == (
        (0.0, 1.0),
        (2.0, 1.0),
    )
    assert data["5XXError", RESOURCE].unit == "Count"


def test_api_and_stage_aggregates_sum_over_resources() -> None:
    records = [rec(), rec(resource_path="/api/orders", http_method="POST")]
    data = by_key(metric_data(records, "shop", "prod"))
    for dims in (dimensions(ApiName="shop"), dimensions(ApiName="shop", Stage="prod")):
        assert data["Count", dims].counts == (2.0,)
    detailed = [d for d in data.values() if d.name == "Count" and len(d.dims) == 4]
    assert len(detailed) == 2


def test_one_distribution_per_second_of_request_time() -> None:
    data = metric_data([rec(), rec(request_time_epoch_ms=T0 + 1500)], "shop", "prod")
    stamps = {d.timestamp.timestamp() for d in data if d.name == "Count"}
    assert stamps == {T0 // 1000, T0 // 1000 + 1}


def test_access_log_line_has_exactly_the_fields_plus_target_and_route() -> None:
    line = access_log_line(rec(integration_latency_ms=None, status=403), "prod")
    data = json.loads(line)
    assert list(data) == [*ACCESS_LOG_FIELDS, "target", "routeId"]
    assert all(isinstance(v, str) for v in data.values())
    assert (data["target"], data["routeId"]) == ("lambda", "get-api-users-id")
    assert data["errorResponseType"] == "DEFAULT_4XX"
    parsed = parse_access_log_line(line)
    latencies = (parsed.response_latency, parsed.integration_latency)
    assert parsed.status == 403 and latencies == (12.34, None)
    assert (parsed.path, parsed.resource_path, parsed.stage) == (
        "/prod/api/users/5", "/api/users/{id}", "prod",
    )  # fmt: skip


def test_catch_all_route_and_canary_flag() -> None:
    data = json.loads(access_log_line(rec(route_id=None, target="legacy", is_canary=True), "p"))
    assert (data["routeId"], data["target"], data["isCanaryRequest"]) == ("-", "legacy", "true")
    assert data["integrationStatus"] == "200" and data["integrationLatency"] == "10.000"


# --- the sink -------------------------------------------------------------------------


def test_flush_publishes_metrics_and_creates_the_log_stream_once() -> None:
    metrics, logs = FakeMetrics(), FakeLogs()
    s = sink(metrics, logs)
    s.record(rec())
    s.flush()
    s.record(rec(request_id="r-2"))
    s.flush()
    assert [ns for ns, _ in metrics.calls] == [NAMESPACE, NAMESPACE]
    assert logs.ensured == [TARGET.log_group, f"{TARGET.log_group}:{TARGET.log_stream}"]
    assert [parse_access_log_line(m).request_id for _, m in logs.events] == ["r-1", "r-2"]
    assert s.stats().published_log_events == 2


def test_full_queue_drops_and_counts_without_raising() -> None:
    s = sink(FakeMetrics(), FakeLogs(), max_queue=2)
    for _ in range(5):
        s.record(rec())
    stats = s.stats()
    assert (stats.recorded, stats.dropped_queue_full) == (2, 3)


def test_failing_clients_never_raise_and_retry_once_then_drop() -> None:
    metrics, logs = FakeMetrics(failures=10), FakeLogs(failures=10)
    s = sink(metrics, logs)
    s.record(rec())
    s.flush()  # first attempt fails: kept for one retry
    assert s.stats().dropped_log_events == 0
    s.flush()  # the retry fails: dropped
    stats = s.stats()
    assert (stats.dropped_log_events, stats.dropped_metric_data) == (1, 15)
    assert stats.failed_calls == 4
    s.flush()
    assert s.stats().failed_calls == 4  # nothing left to try


def test_a_failed_batch_is_published_by_the_retry() -> None:
    metrics, logs = FakeMetrics(failures=1), FakeLogs(failures=1)
    s = sink(metrics, logs)
    s.record(rec())
    s.flush()
    s.flush()
    stats = s.stats()
    assert (stats.published_log_events, stats.dropped_log_events) == (1, 0)
    assert len(logs.events) == 1 and len(metrics.calls) == 1
    assert len(logs.ensured) == 4  # a failure makes the sink check the stream again


def test_close_flushes_and_then_drops_records() -> None:
    metrics, logs = FakeMetrics(), FakeLogs()
    s = CloudWatchSink(TARGET, metrics, logs, flush_interval_s=60.0)
    s.record(rec())
    s.close()
    assert len(logs.events) == 1 and len(metrics.calls) == 1
    s.record(rec())
    assert s.stats().dropped_queue_full == 1
    s.close()  # idempotent


def test_the_background_thread_flushes_within_the_interval() -> None:
    metrics, logs = FakeMetrics(), FakeLogs()
    s = CloudWatchSink(TARGET, metrics, logs, flush_interval_s=0.02)
    try:
        s.record(rec())
        assert _eventually(lambda: len(logs.events) == 1)
    finally:
        s.close()


def test_record_does_not_wait_for_a_slow_publisher() -> None:
    gate = threading.Event()

    class Slow(FakeMetrics):
        def put_metric_data(self, namespace: str, data: Sequence[MetricDatum]) -> int:
            gate.wait(5)
            return super().put_metric_data(namespace, data)

    s = CloudWatchSink(TARGET, Slow(), FakeLogs(), flush_interval_s=0.01)
    s.record(rec())
    time.sleep(0.05)  # the thread is now blocked in put_metric_data
    started = time.perf_counter()
    for _ in range(100):
        s.record(rec())
    assert time.perf_counter() - started < 0.05
    gate.set()
    s.close()


def test_failures_are_logged_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    s = sink(FakeMetrics(failures=10), FakeLogs(), clock=lambda: now[0], log_interval_s=30.0)
    with caplog.at_level(logging.WARNING, logger="router.gateway.telemetry"):
        for _ in range(3):
            s.record(rec())
            s.flush()
        now[0] = 31.0
        s.record(rec())
        s.flush()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "endpoint down" in messages[0] and "held back" in messages[1]


# --- build_sink -----------------------------------------------------------------------


MANIFEST = Manifest.model_validate({"legacy": {"url": "http://127.0.0.1:5000"}})


@pytest.mark.parametrize(
    ("endpoint", "env", "expected"),
    [
        ("http://127.0.0.1:1", {}, CloudWatchSink),
        ("http://127.0.0.1:1", {"MIGRATE_TELEMETRY": "off"}, NullSink),
        (None, {}, NullSink),
        (None, {"MIGRATE_TELEMETRY": "aws"}, CloudWatchSink),
    ],
)
def test_build_sink(endpoint: str | None, env: dict[str, str], expected: type) -> None:
    built = build_sink(MANIFEST, AwsContext("us-east-1", endpoint_url=endpoint), env=env)
    try:
        assert type(built) is expected
    finally:
        built.close()


def test_build_sink_rejects_unknown_modes() -> None:
    with pytest.raises(UsageError, match="MIGRATE_TELEMETRY"):
        build_sink(MANIFEST, AwsContext("us-east-1"), env={"MIGRATE_TELEMETRY": "yes"})


def test_target_for_manifest_uses_the_template_log_group() -> None:
    target = TelemetryTarget.for_manifest(MANIFEST, "stream")
    assert target == TelemetryTarget(
        "legacy-api", "prod", "/strangler/legacy-api/prod/access", "stream"
    )


def _eventually(check: Callable[[], bool], timeout_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()
