"""Lambda's logs in CloudWatch Logs: each function's ``/aws/lambda/<function>`` group, one
stream per execution environment (``YYYY/MM/DD/[$LATEST]<hex>``), as Lambda writes them.

``LambdaLogShipper`` is a ``logging.Handler`` on the ``router.lambda_runtime`` logger:
the START/END/REPORT lines (``reports``) and the workers' output (``environment``)
carry ``lambda_log_group`` and ``lambda_log_stream``; ``emit`` only queues (bounded:
when full the line is dropped and counted), and a background thread publishes about
once a second, creating groups and streams on first use. A failed publication is
logged and its lines dropped. ``install_log_shipping`` attaches one when an AWS
endpoint is set (a moto server), unless ``MIGRATE_TELEMETRY=off``.
This module must never block or fail an invocation, and must not import boto3.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from router.aws.logs import CloudWatchLogs, LogEvent, PutResult
from router.aws.session import AwsContext
from router.errors import AWSError
from router.gateway.telemetry import drain

__all__ = ["LambdaLogShipper", "install_log_shipping"]

_log = logging.getLogger(__name__)
_RUNTIME_LOGGER = "router.lambda_runtime"
Line = tuple[str, str, int, str]  # group, stream, timestamp ms, message


class LogsPublisher(Protocol):
    def ensure_group(self, name: str, retention_days: int | None = None) -> bool: ...
    def ensure_stream(self, group: str, stream: str) -> bool: ...
    def put_events(self, group: str, stream: str, events: Iterable[LogEvent]) -> PutResult: ...


class LambdaLogShipper(logging.Handler):
    """Queues tagged log records; ``flush`` publishes them grouped by stream."""

    def __init__(
        self,
        logs: LogsPublisher,
        *,
        flush_interval_s: float = 1.0,
        max_queue: int = 50_000,
        autostart: bool = True,
    ) -> None:
        super().__init__(logging.INFO)
        self._logs, self._interval = logs, flush_interval_s
        self._queue: queue.Queue[Line] = queue.Queue(maxsize=max_queue)
        self._ready: set[tuple[str, str]] = set()
        self._groups: set[str] = set()
        self.published = self.dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if autostart:
            self._thread = threading.Thread(target=self._run, name="lambda-logs", daemon=True)
            self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        group = getattr(record, "lambda_log_group", None)
        stream = getattr(record, "lambda_log_stream", None)
        if not group or not stream:
            return
        try:
            self._queue.put_nowait((group, stream, int(record.created * 1000), record.getMessage()))
        except queue.Full:
            self.dropped += 1

    def flush(self) -> None:
        """Publish everything queued (called by the thread; tests call it directly)."""
        batches: dict[tuple[str, str], list[LogEvent]] = {}
        for group, stream, when, message in drain(self._queue):
            batches.setdefault((group, stream), []).append((when, message))
        for (group, stream), events in batches.items():
            try:
                self._ensure(group, stream)
                result = self._logs.put_events(group, stream, events)
                self.published += result.accepted
                self.dropped += result.rejected
            except Exception as exc:  # AWSError or any client failure: never raise
                self._ready.discard((group, stream))
                self.dropped += len(events)
                _log.warning("lambda logs: cannot publish %d lines to %s: %s", len(events),
                             group, exc)  # fmt: skip

    def close(self) -> None:
        """Stop the thread after a last flush; detach from the runtime's logger."""
        logging.getLogger(_RUNTIME_LOGGER).removeHandler(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
        else:
            self.flush()
        super().close()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
        self.flush()

    def _ensure(self, group: str, stream: str) -> None:
        if (group, stream) in self._ready:
            return
        if group not in self._groups:
            self._logs.ensure_group(group)
            self._groups.add(group)
        self._logs.ensure_stream(group, stream)
        self._ready.add((group, stream))


def install_log_shipping(region: str) -> Callable[[], None] | None:
    """Attach a shipper when an AWS endpoint is set; returns its ``close`` (else None)."""
    if os.environ.get("MIGRATE_TELEMETRY", "auto").strip().lower() == "off":
        return None
    ctx = AwsContext.from_env(region)
    if not ctx.is_local:
        return None
    with contextlib.suppress(AWSError):
        ctx.client("logs")  # boto3's models load now, not under the first invocations
    shipper = LambdaLogShipper(CloudWatchLogs(ctx))
    logging.getLogger(_RUNTIME_LOGGER).addHandler(shipper)
    return shipper.close
