"""CloudWatch metrics: publish data points and read time series, within the API limits.

``put_metric_data`` splits what it is given into calls AWS accepts (at most 1000
metric data and about 1 MB per call, at most 150 values per datum), and sends
distributions as ``Values``/``Counts`` so that percentiles stay computable on real
AWS. ``get_metric_data`` batches queries (at most 500 per call) and follows
``NextToken`` until every page is read, merging each query's pages into one series.

This module knows the CloudWatch API only: it must not know API Gateway metric names
or dimensions (see ``router.gateway.telemetry``), nor choose what to publish.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from router.aws.session import AwsContext, aws_errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_cloudwatch.literals import StandardUnitType
    from mypy_boto3_cloudwatch.type_defs import MetricDataResultTypeDef, MetricDatumTypeDef

__all__ = [
    "MAX_DATA_PER_CALL",
    "MAX_QUERIES_PER_CALL",
    "MAX_VALUES_PER_DATUM",
    "CloudWatchMetrics",
    "Dimensions",
    "MetricDatum",
    "MetricQuery",
    "MetricSeries",
    "StatisticSet",
    "dimensions",
]

MAX_DATA_PER_CALL = 1000  # "no more than 1000 different metrics" per PutMetricData
MAX_REQUEST_BYTES = 1_000_000  # 1 MB per PutMetricData HTTP POST; estimated conservatively
MAX_VALUES_PER_DATUM = 150  # "up to 150 values per metric with one PutMetricData request"
MAX_QUERIES_PER_CALL = 500  # MetricDataQuery structures per GetMetricData
_DATUM_BYTES = 300  # query-protocol overhead of one datum (names, unit, timestamp, keys)
_VALUE_BYTES = 80  # one "MetricData.member.N.Values.member.M=..." pair plus its count

Dimensions = tuple[tuple[str, str], ...]
"""``((name, value), ...)``: hashable, so it can key aggregations."""


def dimensions(**pairs: str) -> Dimensions:
    """``dimensions(ApiName="shop", Stage="prod")`` sorted by name."""
    return tuple(sorted(pairs.items()))


@dataclass(frozen=True, slots=True)
class StatisticSet:
    """A pre-aggregated datum: what CloudWatch calls ``StatisticValues``."""

    sample_count: float
    total: float
    minimum: float
    maximum: float


@dataclass(frozen=True, slots=True)
class MetricDatum:
    """One metric at one timestamp: a distribution (``values``/``counts``) or a statistic set.

    ``counts[i]`` is how often ``values[i]`` occurred. Long distributions are split
    into several data when sent.
    """

    name: str
    dims: Dimensions
    timestamp: datetime
    unit: str
    values: tuple[float, ...] = ()
    counts: tuple[float, ...] = ()
    statistics: StatisticSet | None = None
    storage_resolution: int = 60

    def __post_init__(self) -> None:
        if len(self.values) != len(self.counts):
            raise ValueError(f"{self.name}: values and counts differ in length")
        if bool(self.values) == (self.statistics is not None):
            raise ValueError(f"{self.name}: give values/counts or statistics (one of them)")
        if not all(math.isfinite(v) for v in self.values):
            raise ValueError(f"{self.name}: CloudWatch rejects NaN and infinite values")


@dataclass(frozen=True, slots=True)
class MetricQuery:
    """One ``MetricStat`` query: a metric, a statistic (``Sum``, ``p99``, ...) and a period."""

    id: str
    namespace: str
    metric_name: str
    dims: Dimensions
    stat: str
    period_s: int = 60
    label: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """A query's result over every page, oldest point first.

    ``status`` is the last page's ``StatusCode`` (``Complete``, ``PartialData``, ...).
    """

    id: str
    label: str
    timestamps: tuple[datetime, ...]
    values: tuple[float, ...]
    status: str
    messages: tuple[str, ...] = field(default=())


class CloudWatchMetrics:
    """The CloudWatch metric calls strangler makes, through ``ctx``'s client."""

    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    @property
    def _client(self) -> CloudWatchClient:
        return self._ctx.client("cloudwatch")

    def put_metric_data(self, namespace: str, data: Sequence[MetricDatum]) -> int:
        """Publish ``data``; returns the number of PutMetricData calls made."""
        calls = 0
        for batch in _batches([_wire(d) for d in _split(data)]):
            with aws_errors(f"put {len(batch)} metric data in {namespace}"):
                self._client.put_metric_data(Namespace=namespace, MetricData=batch)
            calls += 1
        return calls

    def get_metric_data(
        self, queries: Sequence[MetricQuery], start: datetime, end: datetime
    ) -> list[MetricSeries]:
        """Every query's series between ``start`` and ``end``, in the order of ``queries``."""
        pages: dict[str, list[MetricDataResultTypeDef]] = {q.id: [] for q in queries}
        for offset in range(0, len(queries), MAX_QUERIES_PER_CALL):
            chunk = queries[offset : offset + MAX_QUERIES_PER_CALL]
            for result in self._results(chunk, start, end):
                pages.setdefault(str(result["Id"]), []).append(result)
        return [_merge(query_id, results) for query_id, results in pages.items()]

    def _results(
        self, queries: Sequence[MetricQuery], start: datetime, end: datetime
    ) -> Iterator[MetricDataResultTypeDef]:
        request: dict[str, Any] = {
            "MetricDataQueries": [_query(q) for q in queries],
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        while True:
            with aws_errors(f"get metric data for {len(queries)} queries"):
                page = self._client.get_metric_data(**request)
            yield from page.get("MetricDataResults", [])
            token = page.get("NextToken")
            if not token:
                return
            request["NextToken"] = token


def _split(data: Sequence[MetricDatum]) -> Iterator[MetricDatum]:
    """Data with at most MAX_VALUES_PER_DATUM values each."""
    for datum in data:
        if len(datum.values) <= MAX_VALUES_PER_DATUM:
            yield datum
            continue
        for i in range(0, len(datum.values), MAX_VALUES_PER_DATUM):
            part = slice(i, i + MAX_VALUES_PER_DATUM)
            yield replace(datum, values=datum.values[part], counts=datum.counts[part])


def _wire(datum: MetricDatum) -> MetricDatumTypeDef:
    entry: MetricDatumTypeDef = {
        "MetricName": datum.name,
        "Dimensions": [{"Name": n, "Value": v} for n, v in datum.dims],
        "Timestamp": datum.timestamp,
        "Unit": cast("StandardUnitType", datum.unit),  # as given: CloudWatch validates it
        "StorageResolution": datum.storage_resolution,
    }
    if datum.statistics is not None:
        s = datum.statistics
        entry["StatisticValues"] = {
            "SampleCount": s.sample_count,
            "Sum": s.total,
            "Minimum": s.minimum,
            "Maximum": s.maximum,
        }
    else:
        entry["Values"], entry["Counts"] = list(datum.values), list(datum.counts)
    return entry


def _wire_size(entry: MetricDatumTypeDef) -> int:
    strings = sum(len(n) + len(str(v)) for d in entry["Dimensions"] for n, v in d.items())
    return (
        _DATUM_BYTES
        + 2 * (len(entry["MetricName"]) + strings)
        + _VALUE_BYTES * len(entry.get("Values", ()))
    )


def _batches(entries: list[MetricDatumTypeDef]) -> Iterator[list[MetricDatumTypeDef]]:
    batch: list[MetricDatumTypeDef] = []
    size = 0
    for entry in entries:
        entry_size = _wire_size(entry)
        if batch and (len(batch) >= MAX_DATA_PER_CALL or size + entry_size > MAX_REQUEST_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry_size
    if batch:
        yield batch


def _query(query: MetricQuery) -> dict[str, Any]:
    metric = {
        "Namespace": query.namespace,
        "MetricName": query.metric_name,
        "Dimensions": [{"Name": n, "Value": v} for n, v in query.dims],
    }
    stat: dict[str, Any] = {"Metric": metric, "Period": query.period_s, "Stat": query.stat}
    if query.unit is not None:
        stat["Unit"] = query.unit
    wire: dict[str, Any] = {"Id": query.id, "MetricStat": stat, "ReturnData": True}
    if query.label is not None:
        wire["Label"] = query.label
    return wire


def _merge(query_id: str, results: list[MetricDataResultTypeDef]) -> MetricSeries:
    points = sorted(
        (t, float(v))
        for r in results
        for t, v in zip(r.get("Timestamps", []), r.get("Values", []), strict=False)
    )
    label = next((str(r["Label"]) for r in results if r.get("Label")), query_id)
    status = str(results[-1].get("StatusCode", "Complete")) if results else "Complete"
    messages = tuple(str(m.get("Value", "")) for r in results for m in r.get("Messages", []))
    return MetricSeries(
        id=query_id,
        label=label,
        timestamps=tuple(t for t, _ in points),
        values=tuple(v for _, v in points),
        status=status,
        messages=messages,
    )
