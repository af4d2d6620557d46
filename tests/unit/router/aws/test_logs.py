"""CloudWatchLogs: idempotent creation, valid PutLogEvents batches, paged filtering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from router.aws.logs import (
    EVENT_OVERHEAD_BYTES,
    MAX_BATCH_BYTES,
    MAX_BATCH_EVENTS,
    CloudWatchLogs,
    PutResult,
    json_equals_pattern,
)
from router.aws.session import AwsContext
from router.errors import AWSError

T0 = int(time.time() * 1000) - 60_000  # moto, like AWS, rejects events far from now
HOUR_MS = 3_600_000


def _client(service: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="t"
    )


@pytest.fixture
def ctx(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsContext]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield AwsContext(region="us-east-1", client_factory=_client)


@pytest.fixture
def logs(ctx: AwsContext) -> CloudWatchLogs:
    return CloudWatchLogs(ctx)


class RecordingClient:
    def __init__(self, rejected: dict[str, int] | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self._rejected = rejected

    def put_log_events(self, **request: Any) -> dict[str, Any]:
        self.batches.append(request["logEvents"])
        return {"rejectedLogEventsInfo": self._rejected} if self._rejected else {}


def _recording(rejected: dict[str, int] | None = None) -> tuple[CloudWatchLogs, RecordingClient]:
    client = RecordingClient(rejected)
    return CloudWatchLogs(AwsContext("us-east-1", client_factory=lambda _: client)), client


def test_ensure_group_and_stream_are_idempotent(ctx: AwsContext, logs: CloudWatchLogs) -> None:
    assert logs.ensure_group("/strangler/a", retention_days=7) is True
    assert logs.ensure_group("/strangler/a") is False
    assert logs.ensure_stream("/strangler/a", "s") is True
    assert logs.ensure_stream("/strangler/a", "s") is False
    [group] = ctx.client("logs").describe_log_groups()["logGroups"]
    assert group["retentionInDays"] == 7


def test_put_events_sorts_and_reads_back(logs: CloudWatchLogs) -> None:
    logs.ensure_group("/g")
    logs.ensure_stream("/g", "s")
    result = logs.put_events("/g", "s", [(T0 + 2, "late"), (T0, "early"), (T0 + 1, "mid")])
    assert result == PutResult(calls=1, accepted=3, rejected=0)
    assert [e.message for e in logs.filter_events("/g")] == ["early", "mid", "late"]


def test_missing_group_is_an_aws_error(logs: CloudWatchLogs) -> None:
    with pytest.raises(AWSError, match="ResourceNotFoundException"):
        logs.put_events("/missing", "s", [(T0, "x")])


def test_at_most_10000_events_per_call() -> None:
    logs, client = _recording()
    result = logs.put_events("/g", "s", [(T0 + i, "x") for i in range(MAX_BATCH_EVENTS + 1)])
    assert [len(b) for b in client.batches] == [MAX_BATCH_EVENTS, 1]
    assert result.calls == 2 and result.accepted == MAX_BATCH_EVENTS + 1


def test_batches_stay_within_the_byte_limit_counting_26_bytes_each() -> None:
    logs, client = _recording()
    message = "m" * (MAX_BATCH_BYTES // 2 - EVENT_OVERHEAD_BYTES)  # two fit exactly
    logs.put_events("/g", "s", [(T0, message)] * 3)
    assert [len(b) for b in client.batches] == [2, 1]


def test_a_batch_never_spans_24_hours() -> None:
    logs, client = _recording()
    logs.put_events("/g", "s", [(T0 + 25 * HOUR_MS, "b"), (T0, "a"), (T0 + HOUR_MS, "a2")])
    assert [[e["message"] for e in b] for b in client.batches] == [["a", "a2"], ["b"]]


def test_rejected_events_are_counted() -> None:
    logs, _ = _recording({"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 4})
    result = logs.put_events("/g", "s", [(T0 + i, "x") for i in range(5)])
    assert (result.accepted, result.rejected) == (2, 3)


def test_filter_events_follows_next_token() -> None:
    client = _client("logs")
    logs = CloudWatchLogs(AwsContext("us-east-1", client_factory=lambda _: client))
    stub = Stubber(client)
    base = {"logGroupName": "/g", "filterPattern": "GET", "startTime": T0, "endTime": T0 + 9}
    page = [{"timestamp": T0, "message": "GET a", "logStreamName": "s", "eventId": "1"}]
    stub.add_response("filter_log_events", {"events": page, "nextToken": "n"}, base)
    page2 = [{"timestamp": T0 + 1, "message": "GET b", "logStreamName": "s", "eventId": "2"}]
    stub.add_response("filter_log_events", {"events": page2}, {**base, "nextToken": "n"})
    with stub:
        events = list(logs.filter_events("/g", "GET", T0, T0 + 9))
    assert [e.message for e in events] == ["GET a", "GET b"]
    assert events[1].event_id == "2" and events[1].stream == "s"


def test_json_equals_pattern() -> None:
    pattern = json_equals_pattern({"resourcePath": "/a/{id}", "httpMethod": "GET"})
    assert pattern == '{ $.resourcePath = "/a/{id}" && $.httpMethod = "GET" }'
    with pytest.raises(ValueError):
        json_equals_pattern({"path": 'say "hi"'})
    with pytest.raises(ValueError):
        json_equals_pattern({})


def test_filter_json_events_matches_fields_even_where_moto_ignores_the_pattern(
    logs: CloudWatchLogs,
) -> None:
    logs.ensure_group("/g")
    logs.ensure_stream("/g", "s")
    lines = [
        {"resourcePath": "/a/{id}", "httpMethod": "GET", "n": 1},
        {"resourcePath": "/a/{id}", "httpMethod": "POST", "n": 2},
        {"resourcePath": "/b", "httpMethod": "GET", "n": 3},
    ]
    logs.put_events("/g", "s", [(T0 + i, json.dumps(d)) for i, d in enumerate(lines)])
    logs.put_events("/g", "s", [(T0 + 5, "not json")])
    fields = {"resourcePath": "/a/{id}", "httpMethod": "GET"}
    found = [json.loads(e.message)["n"] for e in logs.filter_json_events("/g", fields, T0, T0 + 9)]
    assert found == [1]
