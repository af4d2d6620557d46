"""CloudWatchSink with fake publishers: batching, retries, never blocking a request."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

import pytest

from router.accesslog import parse_access_log_line
from router.aws.cloudwatch import MetricDatum
from router.aws.logs import LogEvent, PutResult
from router.aws.session import AwsContext
from router.errors import AWSError, UsageError
from router.gateway.records import NullSink
from router.gateway.telemetry import NAMESPACE, CloudWatchSink, TelemetryTarget, build_sink
from router.manifest.model import Manifest
from tests.helpers.gateway import rec
from tests.helpers.polling import wait_until

TARGET = TelemetryTarget("shop", "prod", "/strangler/shop/prod/access", "local-gateway-h-1")


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
        wait_until(lambda: len(logs.events) == 1, "a flush by the thread")
    finally:
        s.close()


def test_record_does_not_wait_for_a_slow_publisher() -> None:
    entered, gate = threading.Event(), threading.Event()

    class Slow(FakeMetrics):
        inside = False

        def put_metric_data(self, namespace: str, data: Sequence[MetricDatum]) -> int:
            self.inside = True
            entered.set()
            gate.wait(30)
            self.inside = False
            return super().put_metric_data(namespace, data)

    slow = Slow()
    s = CloudWatchSink(TARGET, slow, FakeLogs(), flush_interval_s=0.01)
    try:
        s.record(rec())
        assert entered.wait(30)  # the thread is now blocked in put_metric_data
        for _ in range(100):
            s.record(rec())
        assert slow.inside and s.stats().recorded == 101  # taken while it is blocked
    finally:
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
