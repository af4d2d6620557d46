"""Publish what API Gateway would: ``AWS/ApiGateway`` metrics and JSON access-log lines.

``CloudWatchSink`` takes ``RequestRecord``s on the request path (a bounded queue:
when full the record is dropped and counted, never waited for) and a background
thread publishes them about once a second, in the shapes ``emitted`` builds:

* metric distributions (``Values``/``Counts`` per second), so percentiles stay
  computable on AWS and SampleCount/Average/Sum are exact on moto;
* one access-log line per request, into the group the SAM template creates (created
  here when missing).

A failed publication is logged (rate-limited), retried once at the next flush, then
dropped and counted. This module must never raise into, block or slow a request, and
must not import boto3 (it goes through ``router.aws``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from router.arns import access_log_group_name
from router.aws.cloudwatch import CloudWatchMetrics, MetricDatum
from router.aws.logs import CloudWatchLogs, LogEvent, PutResult
from router.aws.session import AwsContext
from router.errors import AWSError, UsageError
from router.gateway.emitted import access_log_line, metric_data
from router.gateway.records import NullSink, RequestRecord, Sink
from router.manifest.model import Manifest

__all__ = [
    "NAMESPACE",
    "TELEMETRY_ENV",
    "CloudWatchSink",
    "LogsPublisher",
    "MetricsPublisher",
    "SinkStats",
    "TelemetryTarget",
    "build_sink",
    "drain",
]

NAMESPACE = "AWS/ApiGateway"
TELEMETRY_ENV = "MIGRATE_TELEMETRY"  # auto (default) | aws | off
_log = logging.getLogger(__name__)
T = TypeVar("T")


class MetricsPublisher(Protocol):
    def put_metric_data(self, namespace: str, data: Sequence[MetricDatum]) -> int: ...


class LogsPublisher(Protocol):
    def ensure_group(self, name: str, retention_days: int | None = None) -> bool: ...

    def ensure_stream(self, group: str, stream: str) -> bool: ...

    def put_events(self, group: str, stream: str, events: Iterable[LogEvent]) -> PutResult: ...


@dataclass(frozen=True, slots=True)
class TelemetryTarget:
    """Which API the metrics describe and where the access log goes."""

    api_name: str
    stage: str
    log_group: str
    log_stream: str

    @classmethod
    def for_manifest(cls, manifest: Manifest, log_stream: str | None = None) -> TelemetryTarget:
        return cls(
            api_name=manifest.api.name,
            stage=manifest.api.stage,
            log_group=access_log_group_name(manifest),
            log_stream=log_stream or default_log_stream(),
        )


def default_log_stream() -> str:
    """``local-gateway-<hostname>-<pid>`` (characters a stream name allows)."""
    host = re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname()) or "host"
    return f"local-gateway-{host}-{os.getpid()}"


@dataclass(frozen=True, slots=True)
class SinkStats:
    """Counters since the sink started; ``dropped_*`` were never published."""

    recorded: int = 0
    dropped_queue_full: int = 0
    published_metric_data: int = 0
    published_log_events: int = 0
    dropped_metric_data: int = 0
    dropped_log_events: int = 0
    failed_calls: int = 0


class _RateLimitedLog:
    """At most one warning per ``interval_s``; counts what it held back."""

    def __init__(self, logger: logging.Logger, interval_s: float, clock: Callable[[], float]):
        self._logger, self._interval, self._clock = logger, interval_s, clock
        self._last: float | None = None
        self._held = 0

    def warning(self, message: str) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            self._held += 1
            return
        held = f" ({self._held} similar messages held back)" if self._held else ""
        self._logger.warning("telemetry: %s%s", message, held)
        self._last, self._held = now, 0


class _Channel(Generic[T]):
    """One kind of publication with its one-retry buffer and counters.

    ``send`` publishes a list and returns how many items the service rejected.
    Used only by the flushing thread.
    """

    def __init__(self, kind: str, send: Callable[[list[T]], int], warn: _RateLimitedLog):
        self.kind, self._send, self._warn = kind, send, warn
        self.retry: list[T] = []
        self.published = self.dropped = self.failed_calls = 0

    def deliver(self, fresh: list[T]) -> None:
        """Send the last retry (its last attempt), then ``fresh`` (kept to retry once)."""
        if self.retry and not self._attempt(self.retry):
            self.dropped += len(self.retry)
        self.retry = fresh if fresh and not self._attempt(fresh) else []

    def _attempt(self, items: list[T]) -> bool:
        try:
            rejected = self._send(items)
        except Exception as exc:  # AWSError, or anything a client may raise
            self.failed_calls += 1
            self._warn.warning(f"cannot publish {len(items)} {self.kind}: {exc}")
            return False
        self.published += len(items) - rejected
        self.dropped += rejected
        return True


class CloudWatchSink:
    """A ``Sink`` that publishes to CloudWatch from a background thread.

    ``autostart=False`` runs no thread: the caller calls ``flush()`` (tests do).
    """

    def __init__(
        self,
        target: TelemetryTarget,
        metrics: MetricsPublisher,
        logs: LogsPublisher,
        *,
        flush_interval_s: float = 1.0,
        max_queue: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        log_interval_s: float = 30.0,
        autostart: bool = True,
    ) -> None:
        self.target, self._metrics, self._logs = target, metrics, logs
        self._interval = flush_interval_s
        self._queue: queue.Queue[RequestRecord] = queue.Queue(maxsize=max_queue)
        warn = _RateLimitedLog(_log, log_interval_s, clock)
        self._data = _Channel[MetricDatum]("metric data", self._put_metric_data, warn)
        self._events = _Channel[LogEvent]("log events", self._put_log_events, warn)
        self._counts_lock, self._flush_lock = threading.Lock(), threading.Lock()
        self._recorded = self._dropped_queue_full = 0
        self._stop, self._closed, self._stream_ready = threading.Event(), False, False
        self._thread: threading.Thread | None = None
        if autostart:
            self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
            self._thread.start()

    @classmethod
    def for_manifest(
        cls, manifest: Manifest, ctx: AwsContext, *, flush_interval_s: float = 1.0
    ) -> CloudWatchSink:
        target = TelemetryTarget.for_manifest(manifest)
        metrics, logs = CloudWatchMetrics(ctx), CloudWatchLogs(ctx)
        return cls(target, metrics, logs, flush_interval_s=flush_interval_s)

    def record(self, rec: RequestRecord) -> None:
        """Queue ``rec``; drops (and counts) it when the queue is full or the sink closed."""
        try:
            if self._closed:
                raise queue.Full
            self._queue.put_nowait(rec)
            accepted = True
        except queue.Full:
            accepted = False
        with self._counts_lock:
            self._recorded += accepted
            self._dropped_queue_full += not accepted

    def stats(self) -> SinkStats:
        data, events = self._data, self._events
        return SinkStats(
            recorded=self._recorded,
            dropped_queue_full=self._dropped_queue_full,
            published_metric_data=data.published,
            published_log_events=events.published,
            dropped_metric_data=data.dropped,
            dropped_log_events=events.dropped,
            failed_calls=data.failed_calls + events.failed_calls,
        )

    def flush(self) -> None:
        """Publish what is queued, after retrying (once) what failed last time."""
        with self._flush_lock:
            records = self._drain()
            stage = self.target.stage
            self._data.deliver(metric_data(records, self.target.api_name, stage))
            self._events.deliver(
                [(r.request_time_epoch_ms, access_log_line(r, stage)) for r in records]
            )

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop taking records, publish the rest (waiting at most ``timeout_s``)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread is None:
            self._final_flush()
            return
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            _log.warning("telemetry: still publishing after %.0f s; giving up", timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._guarded(self.flush)
        self._guarded(self._final_flush)

    def _final_flush(self) -> None:
        self.flush()
        if self._data.retry or self._events.retry:
            self.flush()  # the one retry, now rather than never

    def _guarded(self, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as exc:  # the thread must survive anything
            _log.warning("telemetry: unexpected error: %r", exc)

    def _drain(self) -> list[RequestRecord]:
        return drain(self._queue)

    def _put_metric_data(self, data: list[MetricDatum]) -> int:
        self._metrics.put_metric_data(NAMESPACE, data)
        return 0

    def _put_log_events(self, events: list[LogEvent]) -> int:
        group, stream = self.target.log_group, self.target.log_stream
        try:
            if not self._stream_ready:
                self._logs.ensure_group(group)
                self._logs.ensure_stream(group, stream)
                self._stream_ready = True
            return self._logs.put_events(group, stream, events).rejected
        except Exception:
            self._stream_ready = False  # the group may have been deleted: check again
            raise


def drain(source: queue.Queue[T]) -> list[T]:
    """Everything ``source`` holds now, without waiting."""
    items: list[T] = []
    while True:
        try:
            items.append(source.get_nowait())
        except queue.Empty:
            return items


def build_sink(
    manifest: Manifest, ctx: AwsContext | None = None, *, env: Mapping[str, str] | None = None
) -> Sink:
    """A CloudWatchSink when an endpoint is set (or ``MIGRATE_TELEMETRY=aws``), else NullSink.

    ``MIGRATE_TELEMETRY=off`` disables publishing even with a local endpoint.
    """
    mode = (os.environ if env is None else env).get(TELEMETRY_ENV, "auto").strip().lower()
    if mode not in ("auto", "aws", "off", ""):
        raise UsageError(f"{TELEMETRY_ENV}={mode!r}: expected auto, aws or off")
    ctx = ctx or AwsContext.from_env(manifest.api.region)
    if mode == "off" or (not ctx.is_local and mode != "aws"):
        return NullSink()
    _warm_clients(ctx)
    return CloudWatchSink.for_manifest(manifest, ctx)


def _warm_clients(ctx: AwsContext) -> None:
    """Make the clients before requests arrive: importing boto3 and loading its models
    holds the GIL for ~0.3 s, which must not land on the first requests. A failure here
    is reported by the first publication instead."""
    for service in ("cloudwatch", "logs"):
        with contextlib.suppress(AWSError):
            ctx.client(service)
