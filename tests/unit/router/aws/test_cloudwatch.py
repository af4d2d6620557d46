"""CloudWatchMetrics: batching and typing over moto (in-process) and a botocore Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from router.aws.cloudwatch import (
    MAX_QUERIES_PER_CALL,
    CloudWatchMetrics,
    MetricDatum,
    MetricQuery,
    MetricSeries,
    StatisticSet,
    dimensions,
)
from router.aws.session import AwsContext
from router.errors import AWSError

NS = "Test/Strangler"
NOW = datetime.now(UTC).replace(microsecond=0)
DIMS = dimensions(ApiName="shop", Stage="prod")


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsContext]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield AwsContext(region="us-east-1", client_factory=_moto_client)


def _moto_client(service: str) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


class RecordingClient:
    """Counts put_metric_data calls and their sizes."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def put_metric_data(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        return {}


def _recording() -> tuple[CloudWatchMetrics, RecordingClient]:
    client = RecordingClient()
    return CloudWatchMetrics(AwsContext("us-east-1", client_factory=lambda _: client)), client


def _latency(values: tuple[float, ...], counts: tuple[float, ...]) -> MetricDatum:
    return MetricDatum("Latency", DIMS, NOW, "Milliseconds", values=values, counts=counts)


def _stats(ctx: AwsContext, name: str = "Latency") -> dict[str, Any]:
    answer = ctx.client("cloudwatch").get_metric_statistics(
        Namespace=NS,
        MetricName=name,
        Dimensions=[{"Name": n, "Value": v} for n, v in DIMS],
        StartTime=NOW - timedelta(minutes=1),
        EndTime=NOW + timedelta(minutes=1),
        Period=120,
        Statistics=["SampleCount", "Average", "Sum", "Maximum"],
    )
    [point] = answer["Datapoints"]
    return dict(point)


def test_values_and_counts_give_exact_sample_count_and_average(ctx: AwsContext) -> None:
    calls = CloudWatchMetrics(ctx).put_metric_data(NS, [_latency((10.0, 20.0), (3.0, 1.0))])
    point = _stats(ctx)
    assert calls == 1
    assert (point["SampleCount"], point["Sum"], point["Average"]) == (4.0, 50.0, 12.5)


def test_long_distributions_are_split_at_150_values(ctx: AwsContext) -> None:
    values = tuple(float(v) for v in range(400))
    CloudWatchMetrics(ctx).put_metric_data(NS, [_latency(values, (1.0,) * 400)])
    point = _stats(ctx)
    assert (point["SampleCount"], point["Maximum"]) == (400.0, 399.0)
    metrics, client = _recording()
    metrics.put_metric_data(NS, [_latency(values, (1.0,) * 400)])
    assert [len(d["Values"]) for d in client.calls[0]["MetricData"]] == [150, 150, 100]


def test_statistic_sets_are_sent_as_statistic_values(ctx: AwsContext) -> None:
    stats = StatisticSet(sample_count=5, total=50, minimum=1, maximum=30)
    datum = MetricDatum("Latency", DIMS, NOW, "Milliseconds", statistics=stats)
    CloudWatchMetrics(ctx).put_metric_data(NS, [datum])
    point = _stats(ctx)
    assert (point["SampleCount"], point["Sum"], point["Maximum"]) == (5.0, 50.0, 30.0)


def test_at_most_1000_data_per_call() -> None:
    metrics, client = _recording()
    data = [_latency((1.0,), (1.0,))] * 2500
    assert metrics.put_metric_data(NS, data) == 3
    assert [len(c["MetricData"]) for c in client.calls] == [1000, 1000, 500]


def test_calls_stay_under_one_megabyte() -> None:
    metrics, client = _recording()
    full = _latency(tuple(float(v) for v in range(150)), (1.0,) * 150)
    calls = metrics.put_metric_data(NS, [full] * 300)
    assert calls > 1
    assert all(len(c["MetricData"]) * 150 * 80 < 1_000_000 for c in client.calls)
    assert sum(len(c["MetricData"]) for c in client.calls) == 300


def test_datum_needs_values_or_statistics_and_matching_counts() -> None:
    with pytest.raises(ValueError, match="one of them"):
        MetricDatum("Count", DIMS, NOW, "Count")
    with pytest.raises(ValueError, match="differ in length"):
        MetricDatum("Count", DIMS, NOW, "Count", values=(1.0,), counts=())
    with pytest.raises(ValueError, match="NaN"):
        MetricDatum("Count", DIMS, NOW, "Count", values=(float("nan"),), counts=(1.0,))


def test_get_metric_data_returns_typed_series_from_moto(ctx: AwsContext) -> None:
    metrics = CloudWatchMetrics(ctx)
    metrics.put_metric_data(NS, [_latency((10.0, 20.0), (1.0, 1.0))])
    queries = [
        MetricQuery("n", NS, "Latency", DIMS, "SampleCount", period_s=60, label="samples"),
        MetricQuery("avg", NS, "Latency", DIMS, "Average", period_s=60),
    ]
    start, end = NOW - timedelta(seconds=30), NOW + timedelta(seconds=30)
    by_id = {s.id: s for s in metrics.get_metric_data(queries, start, end)}
    assert by_id["n"].values == (2.0,) and by_id["n"].label == "samples"
    assert by_id["avg"].values == (15.0,) and by_id["avg"].status == "Complete"


def test_client_errors_become_aws_errors(ctx: AwsContext) -> None:
    query = MetricQuery("n", NS, "Latency", DIMS, "SampleCount")
    with pytest.raises(AWSError, match="get metric data for 1 queries: ValidationError"):
        CloudWatchMetrics(ctx).get_metric_data([query], NOW, NOW)


# --- percentiles: moto computes none, so the AWS response shape is stubbed ----------------


def _stubbed() -> tuple[CloudWatchMetrics, Stubber]:
    client = boto3.client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    ctx = AwsContext("us-east-1", client_factory=lambda _: client)
    return CloudWatchMetrics(ctx), Stubber(client)


def _p99_query(query_id: str = "p99") -> MetricQuery:
    return MetricQuery(query_id, "AWS/ApiGateway", "Latency", DIMS, "p99", unit="Milliseconds")


def _request(queries: list[MetricQuery], token: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "MetricDataQueries": [
            {
                "Id": q.id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": q.namespace,
                        "MetricName": q.metric_name,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in q.dims],
                    },
                    "Period": q.period_s,
                    "Stat": q.stat,
                    "Unit": "Milliseconds",
                },
                "ReturnData": True,
            }
            for q in queries
        ],
        "StartTime": NOW - timedelta(hours=1),
        "EndTime": NOW,
        "ScanBy": "TimestampAscending",
    }
    if token:
        request["NextToken"] = token
    return request


def test_percentile_series_follow_next_token_and_merge_pages() -> None:
    metrics, stub = _stubbed()
    t0, t1 = NOW - timedelta(minutes=2), NOW - timedelta(minutes=1)
    page1 = {"Id": "p99", "Label": "Latency p99", "Timestamps": [t1], "Values": [12.5],
             "StatusCode": "PartialData"}  # fmt: skip
    page2 = {"Id": "p99", "Label": "Latency p99", "Timestamps": [t0], "Values": [10.0],
             "StatusCode": "Complete"}  # fmt: skip
    query = _p99_query()
    stub.add_response(
        "get_metric_data", {"MetricDataResults": [page1], "NextToken": "t"}, _request([query])
    )
    stub.add_response("get_metric_data", {"MetricDataResults": [page2]}, _request([query], "t"))
    with stub:
        [series] = metrics.get_metric_data([query], NOW - timedelta(hours=1), NOW)
    stub.assert_no_pending_responses()
    assert series == MetricSeries("p99", "Latency p99", (t0, t1), (10.0, 12.5), "Complete")


def test_more_than_500_queries_are_split_across_calls() -> None:
    metrics, stub = _stubbed()
    queries = [_p99_query(f"q{i}") for i in range(MAX_QUERIES_PER_CALL + 1)]
    for chunk in (queries[:MAX_QUERIES_PER_CALL], queries[MAX_QUERIES_PER_CALL:]):
        results = [{"Id": q.id, "Label": q.id, "Timestamps": [NOW], "Values": [1.0],
                    "StatusCode": "Complete"} for q in chunk]  # fmt: skip
        stub.add_response("get_metric_data", {"MetricDataResults": results}, _request(chunk))
    with stub:
        series = metrics.get_metric_data(queries, NOW - timedelta(hours=1), NOW)
    assert [s.id for s in series] == [q.id for q in queries]
    assert all(s.values == (1.0,) for s in series)


def test_throttling_becomes_an_aws_error() -> None:
    metrics, stub = _stubbed()
    stub.add_client_error("get_metric_data", "Throttling", "Rate exceeded")
    with stub, pytest.raises(AWSError, match="Throttling"):
        metrics.get_metric_data([_p99_query()], NOW - timedelta(hours=1), NOW)
