"""End-to-end: CloudWatchSink publishing to a real moto server, read back through the API."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from router.accesslog import parse_access_log_line
from router.aws.cloudwatch import CloudWatchMetrics, MetricQuery, dimensions
from router.aws.logs import CloudWatchLogs, json_equals_pattern
from router.aws.session import AwsContext
from router.errors import AWSError
from router.gateway.records import RequestRecord
from router.gateway.telemetry import NAMESPACE, CloudWatchSink, TelemetryTarget
from tests.helpers.e2e import API, GatewayFactory, write_manifest
from tests.helpers.polling import DEADLINE_S

pytestmark = pytest.mark.e2e
T = TypeVar("T")

TARGET = TelemetryTarget("e2e-api", "prod", "/strangler/e2e-api/prod/access", "local-gateway-e2e")
USERS = dimensions(ApiName="e2e-api", Method="GET", Resource="/api/users/{id}", Stage="prod")
STAGE = dimensions(ApiName="e2e-api", Stage="prod")


def _record(i: int, now_ms: int, **fields: object) -> RequestRecord:
    values: dict[str, object] = {
        "request_id": f"req-{i}",
        "request_time_epoch_ms": now_ms + i,
        "http_method": "GET",
        "path": f"/api/users/{i}",
        "resource_path": "/api/users/{id}",
        "route_id": "get-api-users-id",
        "target": "lambda",
        "status": 200,
        "response_latency_ms": 10.0 + i % 5,  # 10..14, mean 12
        "integration_latency_ms": 8.0,
        "source_ip": "127.0.0.1",
        "protocol": "HTTP/1.1",
        "response_length": 100,
    }
    values.update(fields)
    return RequestRecord(**values)  # type: ignore[arg-type]


def _records(now_ms: int) -> list[RequestRecord]:
    users = [
        _record(i, now_ms, status=404 if i < 3 else (500 if i < 5 else 200)) for i in range(20)
    ]
    orders = [
        _record(100 + i, now_ms, http_method="POST", resource_path="/api/orders",
                path="/api/orders", route_id=None, target="legacy")
        for i in range(5)
    ]  # fmt: skip
    return users + orders


def _statistics(ctx: AwsContext, name: str, dims: tuple[tuple[str, str], ...]) -> dict[str, float]:
    now = datetime.now(UTC)
    answer = ctx.client("cloudwatch").get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=name,
        Dimensions=[{"Name": n, "Value": v} for n, v in dims],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=600,
        Statistics=["SampleCount", "Average", "Sum"],
    )
    [point] = answer["Datapoints"]
    return {k: float(point[k]) for k in ("SampleCount", "Average", "Sum")}


@pytest.fixture
def published(moto_ctx: AwsContext) -> CloudWatchSink:
    sink = CloudWatchSink(
        TARGET, CloudWatchMetrics(moto_ctx), CloudWatchLogs(moto_ctx), flush_interval_s=0.2
    )
    now_ms = int(time.time() * 1000)
    for rec in _records(now_ms):
        sink.record(rec)
    sink.close()
    return sink


def test_nothing_is_dropped(published: CloudWatchSink) -> None:
    stats = published.stats()
    assert (stats.recorded, stats.published_log_events, stats.failed_calls) == (25, 25, 0)
    assert stats.dropped_metric_data == stats.dropped_log_events == 0


def test_metric_statistics_match_what_was_sent(
    published: CloudWatchSink, moto_ctx: AwsContext
) -> None:
    # Only the detailed (4-dimension) metric here: moto's GetMetricStatistics also counts
    # data with MORE dimensions than asked for (AWS matches exactly); GetMetricData doesn't.
    assert _statistics(moto_ctx, "Count", USERS)["SampleCount"] == 20
    assert _statistics(moto_ctx, "4XXError", USERS)["Sum"] == 3
    errors = _statistics(moto_ctx, "5XXError", USERS)
    assert (errors["Sum"], errors["SampleCount"], errors["Average"]) == (2, 20, 0.1)
    assert _statistics(moto_ctx, "Latency", USERS)["Average"] == pytest.approx(12.0)


def test_get_metric_data_reads_the_same(published: CloudWatchSink, moto_ctx: AwsContext) -> None:
    queries = [
        MetricQuery("n", NAMESPACE, "Latency", USERS, "SampleCount", period_s=600),
        MetricQuery("avg", NAMESPACE, "IntegrationLatency", USERS, "Average", period_s=600),
        MetricQuery("stage", NAMESPACE, "Count", STAGE, "Sum", period_s=600),
        MetricQuery("api", NAMESPACE, "Count", dimensions(ApiName="e2e-api"), "Sum", period_s=600),
    ]
    now = datetime.now(UTC).replace(microsecond=0)
    series = CloudWatchMetrics(moto_ctx).get_metric_data(
        queries, now - timedelta(minutes=5), now + timedelta(minutes=5)
    )
    by_id = {s.id: s for s in series}
    assert sum(by_id["n"].values) == 20
    assert by_id["avg"].values == (8.0,)
    assert (sum(by_id["stage"].values), sum(by_id["api"].values)) == (25, 25)


def test_access_log_is_filtered_by_resource_and_method(
    published: CloudWatchSink, moto_ctx: AwsContext
) -> None:
    logs = CloudWatchLogs(moto_ctx)
    fields = {"resourcePath": "/api/users/{id}", "httpMethod": "GET"}
    events = list(logs.filter_json_events(TARGET.log_group, fields))
    lines = [parse_access_log_line(e.message) for e in events]
    assert len(lines) == 20
    assert sorted(line.status for line in lines).count(404) == 3
    assert all('"target":"lambda"' in e.message for e in events)
    assert all('"routeId":"get-api-users-id"' in e.message for e in events)
    raw = moto_ctx.client("logs").filter_log_events(
        logGroupName=TARGET.log_group, filterPattern=json_equals_pattern(fields)
    )
    assert len(raw["events"]) >= 20  # moto accepts the JSON pattern (and ignores it)


def test_an_unreachable_endpoint_never_reaches_the_caller() -> None:
    with socket.socket() as held:  # bound, never listening: refused, and no one else's
        held.bind(("127.0.0.1", 0))
        ctx = AwsContext("us-east-1", endpoint_url=f"http://127.0.0.1:{held.getsockname()[1]}")
        _publish_to_nowhere(ctx)


def _publish_to_nowhere(ctx: AwsContext) -> None:
    sink = CloudWatchSink(
        TARGET, CloudWatchMetrics(ctx), CloudWatchLogs(ctx), flush_interval_s=0.05
    )
    for rec in _records(int(time.time() * 1000)):
        sink.record(rec)  # queued, never raising (not waiting: see the unit tests)
    sink.close(timeout_s=15)
    stats = sink.stats()
    assert stats.recorded == 25 and stats.dropped_queue_full == 0
    assert stats.failed_calls >= 2 and stats.published_log_events == 0
    assert stats.dropped_log_events == 25


def test_the_gateway_publishes_what_it_serves(
    moto_ctx: AwsContext, moto_server: str, legacy_server: str, gateway_factory: GatewayFactory,
    tmp_path: Path,
) -> None:  # fmt: skip
    gateway = gateway_factory(write_manifest(tmp_path, legacy_server), moto_server, legacy_server)
    for user in (1, 2, 3):
        assert httpx.get(f"{gateway}/api/users/{user}").status_code == 200
    assert httpx.get(f"{gateway}/api/users/999999").status_code == 404
    group = f"/strangler/{API['name']}/{API['stage']}/access"
    fields = {"resourcePath": "/api/users/{id}", "httpMethod": "GET"}
    logs = CloudWatchLogs(moto_ctx)
    events = _eventually(lambda: list(logs.filter_json_events(group, fields)), expect=4)
    lines = [json.loads(e.message) for e in events]
    assert sorted(line["status"] for line in lines) == ["200", "200", "200", "404"]
    assert {(line["target"], line["routeId"]) for line in lines} == {("legacy", "get-api-users-id")}
    dims = dimensions(
        ApiName=API["name"], Method="GET", Resource="/api/users/{id}", Stage=API["stage"]
    )
    query = MetricQuery("n", NAMESPACE, "Count", dims, "SampleCount", period_s=600)
    now = datetime.now(UTC).replace(microsecond=0)
    [series] = CloudWatchMetrics(moto_ctx).get_metric_data(
        [query], now - timedelta(minutes=5), now + timedelta(minutes=5)
    )
    assert sum(series.values) == 4


def _eventually(
    read: Callable[[], list[T]], expect: int, deadline_s: float = DEADLINE_S
) -> list[T]:
    """``read()`` until it returns ``expect`` items (an AWSError counts as none yet)."""
    deadline = time.monotonic() + deadline_s
    found: list[T] = []
    while time.monotonic() < deadline:
        with contextlib.suppress(AWSError):
            found = read()
        if len(found) >= expect:
            break
        time.sleep(0.2)
    return found


LOGGING_HANDLER = """\
def handler(event, context):
    print("hello from", context.function_name)
    return {"statusCode": 200, "body": "ok"}
"""


def test_the_lambda_runtime_logs_to_the_functions_group(
    moto_ctx: AwsContext, moto_server: str, legacy_server: str, gateway_factory: GatewayFactory,
    tmp_path: Path,
) -> None:  # fmt: skip
    """START/END/REPORT and the handler's output in /aws/lambda/<function>, one stream
    per environment named as Lambda names them; Init Duration on the cold start only."""
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "__init__.py").write_text("")
    (tmp_path / "fns" / "logs.py").write_text(LOGGING_HANDLER)
    route = {"id": "hello", "method": "GET", "path": "/hello", "target": "lambda",
             "function": "fns.logs.handler"}  # fmt: skip
    gateway = gateway_factory(write_manifest(tmp_path, legacy_server, [route]), moto_server,
                              legacy_server)  # fmt: skip
    for _ in range(2):
        assert httpx.get(f"{gateway}/hello").text == "ok"
    logs = CloudWatchLogs(moto_ctx)
    group = f"/aws/lambda/{API['name']}-hello"
    events = _eventually(lambda: list(logs.filter_events(group)), expect=8)
    reports = [e.message for e in events if e.message.startswith("REPORT")]
    assert len(reports) == 2 and sum("Init Duration" in r for r in reports) == 1
    assert sum(e.message == f"hello from {API['name']}-hello" for e in events) == 2
    (stream,) = {e.stream for e in events}
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
