"""``MetricSource`` against the moto server once the route's metric has data.

moto answers ``GetMetricData`` with a percentile stat by a server error when datapoints
exist (``float() argument ... 'NoneType'``): the source must keep the count, the error
sums and the average, and leave the percentiles unknown so that the access-log samples
decide.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from router.analysis.sources import NAMESPACE, MetricSource
from router.aws.cloudwatch import CloudWatchMetrics
from router.aws.session import AwsContext
from router.manifest.model import Manifest

pytestmark = pytest.mark.e2e

MANIFEST = {
    "version": 1,
    "api": {"name": "shop", "stage": "prod", "region": "us-east-1"},
    "legacy": {"url": "http://legacy.internal:5000"},
    "routes": [{"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"}],
}


def test_percentiles_unknown_counts_and_average_kept(moto_ctx: AwsContext) -> None:
    manifest = Manifest.model_validate(MANIFEST)
    now = datetime.now(UTC)
    dims = [
        {"Name": "ApiName", "Value": "shop"},
        {"Name": "Resource", "Value": "/api/users/{id}"},
        {"Name": "Method", "Value": "GET"},
        {"Name": "Stage", "Value": "prod"},
    ]
    data = [
        {"MetricName": "Latency", "Dimensions": dims, "Timestamp": now, "Value": v}
        for v in (10.0, 20.0, 30.0)
    ] + [{"MetricName": "Count", "Dimensions": dims, "Timestamp": now, "Value": 3.0}]
    moto_ctx.client("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=data)
    source = MetricSource(CloudWatchMetrics(moto_ctx), manifest)
    span = (now - timedelta(minutes=5), now + timedelta(minutes=5))
    figures = source.fetch(manifest.routes[0], *span)
    assert figures.count == 3.0 and figures.latency["Average"] == 20.0
    assert figures.latency["p99"] is None and not figures.has_percentiles
