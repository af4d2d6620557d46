"""The AWS/ApiGateway data a request emits: metric distributions and access-log lines."""

from __future__ import annotations

import json

from router.accesslog import ACCESS_LOG_FIELDS, parse_access_log_line
from router.aws.cloudwatch import MetricDatum, dimensions
from router.gateway.emitted import access_log_line, metric_data
from tests.helpers.gateway import T0, rec

RESOURCE = dimensions(ApiName="shop", Method="GET", Resource="/api/users/{id}", Stage="prod")


def by_key(data: list[MetricDatum]) -> dict[tuple[str, tuple[tuple[str, str], ...]], MetricDatum]:
    return {(d.name, d.dims): d for d in data}


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
