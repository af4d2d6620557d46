"""The gateway's shadow tap: copies of a shadowed route's requests, off the request path.

``LocalGateway`` calls ``ShadowTap.tap`` only for a legacy route whose snapshot target
carries a ``ShadowSpec``. The tap lets the client's response through untouched: a
whole body is referenced, a streamed one is passed chunk by chunk while up to
``capture_limit`` bytes are kept (a longer body is compared by status only). When the
primary response is complete, a job goes into a bounded asyncio queue (full: dropped
and counted, never waited for). Worker tasks then send, concurrently, a copy to the
monolith (secondary, through the same ``LegacyProxy``) and one to the candidate
handler (through the same ``LambdaInvoker``: its thread pool and timeout), both
marked ``X-Migrate-Shadow``, and hand the three responses to the ``ResultsWriter``.

Only while ``now < until``; only GET and HEAD unless the run allows side effects; at
most ``max_rate`` copies a second per route (a token bucket; default
``MAX_COPIES_PER_S``, ``MIGRATE_SHADOW_RATE`` for ``migrate serve``, 0 = every
request): the secondary copy doubles the monolith's load, so copying every request
of a busy route would slow the client's own requests down. Requests over the rate
are counted as skipped. This module must not delay, change or fail the client's
response, nor read the manifest.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.gateway.events import ApiInfo, EventInput, LambdaContext, build_event
from router.gateway.lambda_ import Invoker
from router.gateway.messages import GatewayRequest, GatewayResponse
from router.gateway.normalise import legacy_path
from router.gateway.proxy import LegacyProxy
from router.gateway.snapshot import LegacyBase, RouteTarget, ShadowSpec
from router.history import now_iso
from router.shadow.files import results_path
from router.shadow.record import CAPTURE_LIMIT, Captured, RawSample
from router.shadow.writer import ResultsWriter

__all__ = [
    "MAX_COPIES_PER_S",
    "RATE_ENV",
    "SAFE_METHODS",
    "SHADOW_HEADER",
    "ShadowCopy",
    "ShadowStats",
    "ShadowTap",
    "max_rate_from_env",
]

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD"})
SHADOW_HEADER = "X-Migrate-Shadow"  # on both copies: "secondary" / "candidate"
QUEUE_SIZE = 256
WORKERS = 4
MAX_COPIES_PER_S = 50.0  # per route: 15,000 samples in 5 minutes
RATE_ENV = "MIGRATE_SHADOW_RATE"


def max_rate_from_env(environ: Mapping[str, str] = os.environ) -> float:
    """``MIGRATE_SHADOW_RATE`` (copies a second per route, 0 = all), else the default."""
    try:
        return max(0.0, float(environ.get(RATE_ENV, MAX_COPIES_PER_S)))
    except ValueError:
        log.warning(
            "%s=%r is not a number; using %g", RATE_ENV, environ[RATE_ENV], MAX_COPIES_PER_S
        )
        return MAX_COPIES_PER_S


@dataclass(frozen=True, slots=True)
class ShadowCopy:
    """What the copies need of the client's request, as the core matched it."""

    request: GatewayRequest
    path: str
    query: str
    resource: str
    path_parameters: dict[str, str]
    target: RouteTarget
    legacy: LegacyBase
    api: ApiInfo
    request_id: str
    epoch_ms: int


@dataclass(slots=True)
class ShadowStats:
    queued: int = 0
    skipped: int = 0  # over the copy rate
    dropped: int = 0  # queue full
    truncated: int = 0  # primary bodies over the capture limit
    completed: int = 0
    failed: int = 0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    last: float


@dataclass(frozen=True, slots=True)
class _Job:
    copy: ShadowCopy
    spec: ShadowSpec
    primary: Captured
    path: Path


class ShadowTap:
    """Decides, captures and queues; its worker tasks send the copies."""

    def __init__(
        self,
        proxy: LegacyProxy,
        invoker: Invoker,
        writer: ResultsWriter,
        root: Path,
        *,
        queue_size: int = QUEUE_SIZE,
        workers: int = WORKERS,
        capture_limit: int = CAPTURE_LIMIT,
        max_rate: float = MAX_COPIES_PER_S,
        wall: Callable[[], float] = time.time,
        deadline_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._proxy, self._invoker, self._writer, self.root = proxy, invoker, writer, root
        self._queue_size, self._workers, self._limit = queue_size, workers, capture_limit
        self._rate, self._burst = max_rate, max(1.0, max_rate / 5)
        self._wall, self._deadline_clock = wall, deadline_clock
        self._buckets: dict[str, _Bucket] = {}
        self._paths: dict[tuple[str, str], Path] = {}
        self._queue: asyncio.Queue[_Job] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.stats = ShadowStats()

    def tap(self, copy: ShadowCopy, response: GatewayResponse) -> GatewayResponse:
        """``response`` for the client (same bytes); a copy job is queued when wanted."""
        try:
            return self._tap(copy, response)
        except Exception:  # never fail the client's request
            log.exception("shadow: capture failed")
            return response

    async def drain(self) -> None:
        """Wait until every queued copy has been sent and handed to the writer."""
        if self._queue is not None and self._loop is asyncio.get_running_loop():
            await self._queue.join()

    async def close(self, grace: float = 2.0) -> None:
        """Finish queued copies for up to ``grace`` s, stop the workers and the writer."""
        try:
            await asyncio.wait_for(self.drain(), grace)
        except TimeoutError:
            log.warning("shadow: copies still queued at shutdown were dropped")
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self._writer.close()

    def _tap(self, copy: ShadowCopy, response: GatewayResponse) -> GatewayResponse:
        spec, now = copy.target.shadow, self._wall()
        if spec is None or not _wanted(spec, copy.request.method, now):
            return response
        if self._rate and not self._admit(copy.target.route_id, now):
            self.stats.skipped += 1
            self._writer.count(self._path(copy.target.route_id, spec), "skipped")
            return response
        return self._capture(copy, spec, response)

    def _admit(self, route_id: str, now: float) -> bool:
        """Take a token from the route's bucket (``max_rate`` a second, small bursts)."""
        bucket = self._buckets.get(route_id)
        if bucket is None:
            bucket = self._buckets[route_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + max(0.0, now - bucket.last) * self._rate)
        bucket.last = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def _path(self, route_id: str, spec: ShadowSpec) -> Path:
        key = (route_id, spec.run_id)
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = results_path(self.root, route_id, spec.run_id)
        return path

    def _capture(
        self, copy: ShadowCopy, spec: ShadowSpec, response: GatewayResponse
    ) -> GatewayResponse:
        headers = tuple(response.headers)
        if response.stream is None:
            body, over = response.body, len(response.body) > self._limit
            primary = Captured(response.status, headers, b"" if over else body, over, len(body))
            self._submit(copy, spec, primary)
            return response
        stream = response.stream

        def done(body: bytes, over: bool, size: int) -> None:
            try:
                self._submit(copy, spec, Captured(response.status, headers, body, over, size))
            except Exception:  # the client's stream is closing: never raise into it
                log.exception("shadow: queueing a copy failed")

        response.stream = _captured(stream, self._limit, done)
        return response

    def _submit(self, copy: ShadowCopy, spec: ShadowSpec, primary: Captured) -> None:
        path = self._path(copy.target.route_id, spec)
        self.stats.truncated += primary.truncated
        queue = self._ready_queue()
        try:
            queue.put_nowait(_Job(copy, spec, primary, path))
        except asyncio.QueueFull:
            self.stats.dropped += 1
            self._writer.count(path, "dropped")
            return
        self.stats.queued += 1

    def _ready_queue(self) -> asyncio.Queue[_Job]:
        """The queue of the running loop; its workers are started on first use."""
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop:
            self._loop, self._queue = loop, asyncio.Queue(self._queue_size)
            self._tasks = [loop.create_task(self._work(self._queue)) for _ in range(self._workers)]
        return self._queue

    async def _work(self, queue: asyncio.Queue[_Job]) -> None:
        while True:
            job = await queue.get()
            try:
                await self._send(job)
                self.stats.completed += 1
            except Exception:
                self.stats.failed += 1
                log.exception("shadow: copy of %s failed", job.copy.request.target)
            finally:
                queue.task_done()

    async def _send(self, job: _Job) -> None:
        secondary, candidate = await asyncio.gather(self._secondary(job), self._candidate(job))
        request = job.copy.request
        target = job.copy.path + (f"?{job.copy.query}" if job.copy.query else "")
        raw = RawSample(
            now_iso(), request.method, target, job.copy.request_id,
            job.primary, secondary, candidate,
        )  # fmt: skip
        self._writer.submit(job.path, raw)

    async def _secondary(self, job: _Job) -> Captured:
        copy = job.copy
        path = legacy_path(copy.target.upstream, copy.path)
        full = f"{path}?{copy.query}" if copy.query else path
        request = _marked(copy.request, "secondary")
        timeout = copy.target.legacy_timeout_s
        response, _ = await self._proxy.forward(request, copy.legacy, full, timeout)
        return await _whole(response, self._limit)

    async def _candidate(self, job: _Job) -> Captured:
        copy, target = job.copy, job.copy.target
        match = EventInput(
            copy.path, copy.query, copy.resource, copy.path_parameters,
            copy.request_id, copy.epoch_ms,
        )  # fmt: skip
        event = build_event(_marked(copy.request, "candidate"), match, copy.api)
        context = self._context(copy)
        timeout = target.lambda_timeout_s
        binary = copy.api.binary_response(copy.request)
        response, _ = await self._invoker.invoke(
            job.spec.function, event, context, timeout, binary_response=binary
        )
        return await _whole(response, self._limit)

    def _context(self, copy: ShadowCopy) -> LambdaContext:
        target = copy.target
        return LambdaContext(
            request_id=copy.request_id,
            function_name=target.function_name,
            function_arn=copy.api.function_arn(target.function_name),
            memory_mb=target.memory_mb,
            deadline=self._deadline_clock() + target.lambda_timeout_s,
            clock=self._deadline_clock,
        )


def _wanted(spec: ShadowSpec, method: str, now: float) -> bool:
    return now < spec.until_epoch and (method in SAFE_METHODS or spec.allow_side_effects)


def _marked(request: GatewayRequest, role: str) -> GatewayRequest:
    headers = [*request.headers, (SHADOW_HEADER, role)]
    return GatewayRequest(
        request.method, request.target, headers, request.body,
        request.source_ip, request.scheme, request.protocol,
    )  # fmt: skip


async def _whole(response: GatewayResponse, limit: int) -> Captured:
    """A copy's response with its body read (up to ``limit`` bytes kept)."""
    headers = tuple(response.headers)
    if response.stream is None:
        over = len(response.body) > limit
        body = b"" if over else response.body
        return Captured(response.status, headers, body, over, len(response.body))
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in response.stream:
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
    finally:
        await _aclose(response.stream)
    over = size > limit
    return Captured(response.status, headers, b"" if over else b"".join(parts), over, size)


async def _captured(
    stream: AsyncIterator[bytes], limit: int, done: Callable[[bytes, bool, int], None]
) -> AsyncIterator[bytes]:
    """Pass ``stream`` through, keeping up to ``limit`` bytes; ``done`` once it ended whole."""
    parts: list[bytes] = []
    size, finished = 0, False
    try:
        async for chunk in stream:
            size += len(chunk)
            if size <= limit:
                parts.append(chunk)
            yield chunk
        finished = True
    finally:
        await _aclose(stream)
        if finished:  # a client gone mid-body is no sample
            over = size > limit
            done(b"" if over else b"".join(parts), over, size)


async def _aclose(stream: Any) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()
