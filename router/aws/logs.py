"""CloudWatch Logs: create groups and streams, write events in valid batches, filter them.

``put_events`` sorts events by time and splits them into PutLogEvents calls AWS
accepts: at most 10,000 events and 1,048,576 bytes (each message's UTF-8 size plus
26 bytes) per call, spanning less than 24 hours. ``filter_events`` follows
``nextToken`` through every page, so a JSON filter pattern such as
``{ $.resourcePath = "/a/{id}" && $.httpMethod = "GET" }`` reads a whole access log.

This module knows the CloudWatch Logs API only: it must not know the access-log
format (see ``router.accesslog``) nor decide what to write.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from router.aws.session import AwsContext, aws_errors, error_code

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilteredLogEventTypeDef, RejectedLogEventsInfoTypeDef

__all__ = [
    "EVENT_OVERHEAD_BYTES",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_EVENTS",
    "MAX_BATCH_SPAN_MS",
    "CloudWatchLogs",
    "FilteredEvent",
    "LogEvent",
    "PutResult",
    "json_equals_pattern",
]

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3600 * 1000 - 1  # "cannot span more than 24 hours"
_ALREADY_EXISTS = "ResourceAlreadyExistsException"
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

LogEvent = tuple[int, str]
"""``(timestamp_ms, message)``."""


@dataclass(frozen=True, slots=True)
class PutResult:
    """What ``put_events`` did: calls made, events accepted, events AWS rejected."""

    calls: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass(frozen=True, slots=True)
class FilteredEvent:
    timestamp_ms: int
    message: str
    stream: str
    event_id: str
    ingestion_time_ms: int | None = None


class CloudWatchLogs:
    """The CloudWatch Logs calls strangler makes, through ``ctx``'s client."""

    def __init__(self, ctx: AwsContext) -> None:
        self._ctx = ctx

    @property
    def _client(self) -> CloudWatchLogsClient:
        return self._ctx.client("logs")

    def ensure_group(self, name: str, retention_days: int | None = None) -> bool:
        """Create log group ``name`` unless it exists; True when it was created."""
        with aws_errors(f"create log group {name}"):
            created = _created(lambda: self._client.create_log_group(logGroupName=name))
        if retention_days is not None:
            with aws_errors(f"set the retention of log group {name}"):
                self._client.put_retention_policy(logGroupName=name, retentionInDays=retention_days)
        return created

    def ensure_stream(self, group: str, stream: str) -> bool:
        """Create ``stream`` in ``group`` unless it exists; True when it was created."""
        with aws_errors(f"create log stream {stream} in {group}"):
            return _created(
                lambda: self._client.create_log_stream(logGroupName=group, logStreamName=stream)
            )

    def put_events(self, group: str, stream: str, events: Iterable[LogEvent]) -> PutResult:
        """Write ``events`` (any order) to ``group``/``stream`` in as few calls as allowed."""
        result = PutResult()
        for batch in _batches(sorted(events, key=lambda e: e[0])):
            with aws_errors(f"put {len(batch)} log events in {group}/{stream}"):
                answer = self._client.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": t, "message": m} for t, m in batch],
                )
            rejected = _rejected(answer.get("rejectedLogEventsInfo") or {}, len(batch))
            result = PutResult(
                result.calls + 1,
                result.accepted + len(batch) - rejected,
                result.rejected + rejected,
            )
        return result

    def filter_events(
        self,
        group: str,
        pattern: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        streams: Sequence[str] | None = None,
    ) -> Iterator[FilteredEvent]:
        """Events of ``group`` matching ``pattern`` in ``[start_ms, end_ms]``, every page."""
        request = _filter_request(group, pattern, start_ms, end_ms, streams)
        while True:
            with aws_errors(f"filter log events of {group}"):
                page = self._client.filter_log_events(**request)
            yield from (_filtered(e) for e in page.get("events", []))
            token = page.get("nextToken")
            if not token:
                return
            request["nextToken"] = token

    def filter_json_events(
        self,
        group: str,
        fields: Mapping[str, str],
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> Iterator[FilteredEvent]:
        """JSON events of ``group`` whose top-level ``fields`` equal the given strings.

        Sends ``json_equals_pattern(fields)`` and checks each event again on this side,
        because moto accepts JSON filter patterns but ignores them (it returns every event).
        """
        pattern = json_equals_pattern(fields)
        for event in self.filter_events(group, pattern, start_ms, end_ms):
            if _json_fields_equal(event.message, fields):
                yield event


def json_equals_pattern(fields: Mapping[str, str]) -> str:
    """``{ $.a = "x" && $.b = "y" }`` for ``{"a": "x", "b": "y"}``."""
    if not fields:
        raise ValueError("a JSON filter pattern needs at least one field")
    terms = []
    for name, value in fields.items():
        if not _FIELD.match(name) or '"' in value or "\\" in value:
            raise ValueError(f"cannot put {name}={value!r} into a JSON filter pattern")
        terms.append(f'$.{name} = "{value}"')
    return "{ " + " && ".join(terms) + " }"


def _json_fields_equal(message: str, fields: Mapping[str, str]) -> bool:
    try:
        data = json.loads(message)
    except json.JSONDecodeError:
        return False
    return isinstance(data, dict) and all(str(data.get(k)) == v for k, v in fields.items())


def _created(create: Callable[[], object]) -> bool:
    """Run ``create``; False when AWS says the resource already exists."""
    try:
        create()
    except botocore.exceptions.ClientError as exc:
        if error_code(exc) == _ALREADY_EXISTS:
            return False
        raise
    return True


def _event_size(event: LogEvent) -> int:
    return len(event[1].encode("utf-8")) + EVENT_OVERHEAD_BYTES


def _batches(events: list[LogEvent]) -> Iterator[list[LogEvent]]:
    """Time-ordered ``events`` cut into batches PutLogEvents accepts."""
    batch: list[LogEvent] = []
    size = 0
    for event in events:
        event_size = _event_size(event)
        if batch and _full(batch, size + event_size, event[0]):
            yield batch
            batch, size = [], 0
        batch.append(event)
        size += event_size
    if batch:
        yield batch


def _full(batch: list[LogEvent], size_with_next: int, next_time_ms: int) -> bool:
    return (
        len(batch) >= MAX_BATCH_EVENTS
        or size_with_next > MAX_BATCH_BYTES
        or next_time_ms - batch[0][0] > MAX_BATCH_SPAN_MS
    )


def _rejected(info: RejectedLogEventsInfoTypeDef, count: int) -> int:
    """How many of ``count`` events ``rejectedLogEventsInfo`` names."""
    indexes: set[int] = set()
    if "tooNewLogEventStartIndex" in info:
        indexes.update(range(info["tooNewLogEventStartIndex"], count))
    for key in ("tooOldLogEventEndIndex", "expiredLogEventEndIndex"):
        if key in info:
            indexes.update(range(info[key] + 1))
    return len(indexes)


def _filter_request(
    group: str,
    pattern: str | None,
    start_ms: int | None,
    end_ms: int | None,
    streams: Sequence[str] | None,
) -> dict[str, Any]:
    optional = {
        "filterPattern": pattern,
        "startTime": start_ms,
        "endTime": end_ms,
        "logStreamNames": list(streams) if streams else None,
    }
    request: dict[str, Any] = {"logGroupName": group}
    request.update({k: v for k, v in optional.items() if v is not None})
    return request


def _filtered(event: FilteredLogEventTypeDef) -> FilteredEvent:
    return FilteredEvent(
        timestamp_ms=int(event["timestamp"]),
        message=str(event["message"]),
        stream=str(event.get("logStreamName", "")),
        event_id=str(event.get("eventId", "")),
        ingestion_time_ms=event.get("ingestionTime"),
    )
