"""The CloudWatch metrics path of baseline/compare, from AWS's documented
GetMetricData response shape (moto computes no percentiles, so a Stubber stands in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from router.analysis.baseline import BaselineStore
from router.analysis.model import AggregateFigures
from router.analysis.service import AnalysisService
from router.analysis.sources import AccessLogSource, MetricSource
from router.aws.cloudwatch import CloudWatchMetrics
from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.errors import UsageError
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore, load_manifest

MANIFEST = """\
version: 1
api: {name: shop, stage: prod, region: us-east-1}
legacy: {url: "http://legacy.internal:5000"}
routes:
  - {id: get-api-users-id, method: GET, path: "/api/users/{id}"}
"""
END = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _result(qid: str, values: list[float]) -> dict[str, Any]:
    stamps = [END - timedelta(hours=1)] if values else []
    return {
        "Id": qid,
        "Label": qid,
        "Timestamps": stamps,
        "Values": values,
        "StatusCode": "Complete",
    }


class Rig:
    def __init__(self, root: Path) -> None:
        self.manifest = root / "migration.yaml"
        self.manifest.write_text(MANIFEST)
        self.cloudwatch = boto3.client(
            "cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        logs = boto3.client(
            "logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        self.stub, self.logs_stub = Stubber(self.cloudwatch), Stubber(logs)
        clients = {"cloudwatch": self.cloudwatch, "logs": logs}
        ctx = AwsContext(region="us-east-1", client_factory=clients.__getitem__)
        model = load_manifest(self.manifest).model
        store = ManifestStore(self.manifest)
        self.baselines = BaselineStore(self.manifest)
        self.service = AnalysisService(
            store,
            HistoryLog(history_path_for(self.manifest)),
            self.baselines,
            AccessLogSource(CloudWatchLogs(ctx), "/strangler/shop/prod/access"),
            MetricSource(CloudWatchMetrics(ctx), model),
            clock=lambda: END,
        )

    def no_logs(self) -> None:
        self.logs_stub.add_response("filter_log_events", {"events": []}, None)

    def metrics(self, p50: list[float], p90: list[float], p99: list[float], count: float) -> None:
        """The two GetMetricData calls: counts and the average, then the percentiles."""
        plain = [
            _result("lat_average", [22.0]),
            _result("count", [count]),
            _result("e4xx", [3.0]),
            _result("e5xx", [1.0]),
        ]
        percentiles = [_result("lat_p50", p50), _result("lat_p90", p90), _result("lat_p99", p99)]
        for results in (plain, percentiles):
            self.stub.add_response("get_metric_data", {"MetricDataResults": results}, _EXPECTED)

    def percentiles_refused(self, count: float) -> None:
        """moto's answer once the metric has data: a server error on a percentile stat."""
        plain = [_result("lat_average", [22.0]), _result("count", [count])]
        plain += [_result("e4xx", [0.0]), _result("e5xx", [0.0])]
        self.stub.add_response("get_metric_data", {"MetricDataResults": plain}, _EXPECTED)
        self.stub.add_client_error(
            "get_metric_data", "InternalFailure", "float() argument", http_status_code=500
        )


_EXPECTED = {
    "MetricDataQueries": ANY,
    "StartTime": ANY,
    "EndTime": ANY,
    "ScanBy": "TimestampAscending",
}


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def test_baseline_from_metric_percentiles_when_no_access_logs(rig: Rig) -> None:
    rig.no_logs()
    rig.metrics([20.0], [35.0], [80.0], 1200.0)
    with rig.stub, rig.logs_stub:
        baseline = rig.service.baseline("GET /api/users/{id}", timedelta(hours=1), END)
    assert baseline.source == "metrics" and baseline.requests == 1200
    assert baseline.metrics["p90"] == 35.0 and baseline.metrics["errors_5xx"] == 1.0
    assert rig.baselines.load("get-api-users-id") == baseline


def test_queries_ask_for_detailed_metric_dimensions(rig: Rig) -> None:
    rig.no_logs()
    rig.metrics([20.0], [35.0], [80.0], 10.0)
    seen: list[dict[str, Any]] = []
    rig.cloudwatch.meta.events.register(
        "provide-client-params.cloudwatch.GetMetricData", lambda params, **_: seen.append(params)
    )
    with rig.stub, rig.logs_stub:
        rig.service.baseline("GET /api/users/{id}", timedelta(hours=1), END)
    stats = [{q["MetricStat"]["Stat"] for q in call["MetricDataQueries"]} for call in seen]
    assert stats == [{"Average", "Sum"}, {"p50", "p90", "p99"}]  # percentiles on their own
    dims = seen[0]["MetricDataQueries"][0]["MetricStat"]["Metric"]["Dimensions"]
    assert {d["Name"]: d["Value"] for d in dims} == {
        "ApiName": "shop",
        "Resource": "/api/users/{id}",
        "Method": "GET",
        "Stage": "prod",
    }
    assert seen[0]["MetricDataQueries"][0]["MetricStat"]["Period"] == 3600


def test_no_percentiles_and_no_logs_is_refused(rig: Rig) -> None:
    """moto's answer: the percentile series come back empty."""
    rig.no_logs()
    rig.metrics([], [], [], 1200.0)
    with rig.stub, rig.logs_stub, pytest.raises(UsageError, match="no data for route"):
        rig.service.baseline("GET /api/users/{id}", timedelta(hours=1), END)
    assert rig.baselines.load("get-api-users-id") is None


def test_refused_percentiles_leave_counts_and_average(rig: Rig) -> None:
    """A server error on the percentile call (moto) costs the percentiles only."""
    route = load_manifest(rig.manifest).model.routes[0]
    rig.percentiles_refused(1200.0)
    with rig.stub:
        figures = rig.service.metrics.fetch(route, END - timedelta(hours=1), END)
    assert figures.count == 1200.0 and figures.latency["Average"] == 22.0
    assert figures.latency["p50"] is None and not figures.has_percentiles


def test_compare_on_aggregates_says_effect_size_only(rig: Rig) -> None:
    rig.no_logs()
    rig.metrics([20.0], [35.0], [80.0], 1200.0)
    rig.no_logs()
    rig.metrics([21.0], [60.0], [90.0], 1100.0)
    with rig.stub, rig.logs_stub:
        rig.service.baseline("get-api-users-id", timedelta(hours=1), END - timedelta(hours=2))
        result = rig.service.compare(
            "get-api-users-id", since=None, window=timedelta(hours=1), mode=None
        )
    assert isinstance(result.before, AggregateFigures) and isinstance(
        result.after, AggregateFigures
    )
    assert result.comparison.verdict == "fail"
    assert any("effect size only" in note for note in result.comparison.notes)
