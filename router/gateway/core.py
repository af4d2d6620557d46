"""The local API Gateway without sockets: match, decide, invoke or proxy, map, record.

``LocalGateway.handle_request(GatewayRequest) -> GatewayResponse`` does what the API
Gateway rendered from the manifest would do for one request: match the rendered
resources (``snapshot``), send a canary share to Lambda (``weight`` % with an injected
``random.Random``), build the proxy event and invoke the handler (``lambda_``) or
forward to the monolith (``proxy``), add ``X-Migrate-Target``/``X-Migrate-Route``, and
hand a ``RequestRecord`` to the sink. ``swap`` replaces the routing snapshot atomically
(hot reload); a request keeps the snapshot it started with.

The request path is normalised once (``normalise``: ``%2F``, empty and dot segments)
before matching; that path is matched, recorded and sent to the monolith.

``X-Migrate-Route`` is the manifest route id, or ``legacy-catch-all`` for requests only
the catch-all resources (``ANY /``, ``ANY /{proxy+}``) match; the record then has
``route_id=None`` and the catch-all resource as ``resource_path``.

A Lambda answer gets API Gateway's own ``Date`` (the function's is remapped to
``x-amzn-Remapped-Date`` by ``results``).

A legacy route whose target carries a shadow run (``migrate shadow``) is handed, with
its response, to the injected ``ShadowTap`` (``shadow``), which copies the request off
the request path; every other request pays one attribute check for it.

This module must not parse HTTP bytes, open sockets, or read files.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from router.gateway.events import ApiInfo, EventInput, LambdaContext, build_event
from router.gateway.lambda_ import MAX_LAMBDA_REQUEST_BYTES, Invoker
from router.gateway.messages import (
    MISSING_TOKEN,
    REQUEST_TOO_LONG,
    GatewayRequest,
    GatewayResponse,
    json_error,
)
from router.gateway.normalise import legacy_path, normalise_path
from router.gateway.proxy import LegacyProxy, split_target
from router.gateway.records import NullSink, RequestRecord, Sink
from router.gateway.shadow import ShadowCopy, ShadowTap
from router.gateway.snapshot import RouteTarget, Snapshot
from router.table import Match

__all__ = ["ROUTE_HEADER", "TARGET_HEADER", "LocalGateway", "RequestIds"]

_UNMATCHED = RouteTarget.catch_all("-", 0.0)  # frozen: one for every unmatched request

log = logging.getLogger(__name__)

TARGET_HEADER = "X-Migrate-Target"
ROUTE_HEADER = "X-Migrate-Route"
_EXACT_SIZE_ABOVE = 1_000_000  # below this a body cannot make a 6 MB event


def _epoch_ms() -> int:
    return time.time_ns() // 1_000_000


class RequestIds:
    """UUID-shaped request ids: a random per-process prefix + a 48-bit counter.

    Unique within the process and about 20 times cheaper than ``uuid.uuid4()`` (no
    syscall, no UUID object) on the request path.
    """

    def __init__(self) -> None:
        r = uuid.uuid4().hex
        self._prefix = f"{r[:8]}-{r[8:12]}-4{r[13:16]}-a{r[17:20]}-"
        self._count = itertools.count(int(r[20:], 16))

    def __call__(self) -> str:
        return f"{self._prefix}{next(self._count) & 0xFFFF_FFFF_FFFF:012x}"


@dataclass(frozen=True, slots=True)
class _State:
    snapshot: Snapshot
    api: ApiInfo


@dataclass(slots=True)
class _Exchange:
    """One request in flight: what the record and the response headers need."""

    request: GatewayRequest
    path: str
    target: RouteTarget
    to_lambda: bool
    canary: bool
    request_id: str
    epoch_ms: int
    start: float


class LocalGateway:
    """Serves one manifest snapshot at a time; all collaborators are injected."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        proxy: LegacyProxy,
        invoker: Invoker,
        sink: Sink | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.perf_counter,
        wall_ms: Callable[[], int] = _epoch_ms,
        new_id: Callable[[], str] | None = None,
        deadline_clock: Callable[[], float] = time.monotonic,
        shadow: ShadowTap | None = None,
    ) -> None:
        self._state = _State(snapshot, snapshot.api)
        self.shadow = shadow
        self._proxy, self._invoker = proxy, invoker
        self.sink: Sink = sink if sink is not None else NullSink()
        self._rng = rng if rng is not None else random.Random()
        self._clock, self._wall_ms = clock, wall_ms
        self._new_id = new_id or RequestIds()
        self._deadline_clock = deadline_clock

    @property
    def snapshot(self) -> Snapshot:
        return self._state.snapshot

    def swap(self, snapshot: Snapshot) -> Snapshot:
        """Serve ``snapshot`` from now on; handlers it newly names are re-imported.

        Returns the replaced snapshot: the caller frees its thousands of objects a
        slice at a time (``RouteTable.dismantle``), never all at once on the loop.
        """
        old = self._state.snapshot
        self._invoker.registry.invalidate(snapshot.functions - old.functions)
        self._state = _State(snapshot, snapshot.api)
        return old

    async def handle_request(self, request: GatewayRequest) -> GatewayResponse:
        start = self._clock()
        state = self._state  # one snapshot for the whole request
        split = split_target(request.target)
        if split is not None:  # routed, recorded and forwarded: the same normalised path
            split = normalise_path(split[0]), split[1]
        found = state.snapshot.table.match(request.method, split[0]) if split else None
        if split is None or found is None:
            return self._unmatched(request, start, split)
        exchange = self._exchange(request, split[0], found.value, start)
        if request.too_large:
            return self._finish(exchange, json_error(413, REQUEST_TOO_LONG), None)
        if exchange.to_lambda:
            response, spent = await self._invoke(exchange, split[1], found, state.api)
            response.headers.append(("Date", formatdate(self._wall_ms() / 1000, usegmt=True)))
        else:
            response, spent = await self._forward(exchange, split[1], found, state)
            if exchange.target.shadow is not None:
                response = self._tap(exchange, split[1], found, state, response)
        return self._finish(exchange, response, spent)

    async def close(self) -> None:
        if self.shadow is not None:
            await self.shadow.close()
        await self._proxy.close()
        await self._invoker.aclose(0.0)  # after the drain: in-flight ones had their grace

    def _exchange(
        self, request: GatewayRequest, path: str, target: RouteTarget, start: float
    ) -> _Exchange:
        weight = target.weight
        to_lambda = weight >= 100 or (weight > 0 and self._rng.random() * 100 < weight)
        canary = to_lambda and weight < 100
        return _Exchange(
            request, path, target, to_lambda, canary, self._new_id(), self._wall_ms(), start
        )

    async def _forward(
        self, exchange: _Exchange, query: str, found: Match[RouteTarget], state: _State
    ) -> tuple[GatewayResponse, float]:
        target = exchange.target
        path = legacy_path(target.upstream, exchange.path)
        full = f"{path}?{query}" if query else path
        legacy = state.snapshot.legacy
        return await self._proxy.forward(exchange.request, legacy, full, target.legacy_timeout_s)

    async def _invoke(
        self, exchange: _Exchange, query: str, found: Match[RouteTarget], api: ApiInfo
    ) -> tuple[GatewayResponse, float | None]:
        target = exchange.target
        match = EventInput(
            exchange.path, query, found.resource, found.path_parameters,
            exchange.request_id, exchange.epoch_ms,
        )  # fmt: skip
        event = build_event(exchange.request, match, api)
        if _event_too_large(exchange.request, event):
            return json_error(413, REQUEST_TOO_LONG), None
        context = self._context(exchange, api)
        assert target.function is not None  # a lambda route always names its function
        binary = api.binary_response(exchange.request)
        return await self._invoker.invoke(
            target.function, event, context, target.lambda_timeout_s, binary_response=binary
        )

    def _tap(
        self,
        exchange: _Exchange,
        query: str,
        found: Match[RouteTarget],
        state: _State,
        response: GatewayResponse,
    ) -> GatewayResponse:
        if self.shadow is None:
            return response
        copy = ShadowCopy(
            exchange.request, exchange.path, query, found.resource, found.path_parameters,
            exchange.target, state.snapshot.legacy, state.api, exchange.request_id,
            exchange.epoch_ms,
        )  # fmt: skip
        return self.shadow.tap(copy, response)

    def _context(self, exchange: _Exchange, api: ApiInfo) -> LambdaContext:
        target = exchange.target
        return LambdaContext(
            request_id=exchange.request_id,
            function_name=target.function_name,
            function_arn=api.function_arn(target.function_name),
            memory_mb=target.memory_mb,
            deadline=self._deadline_clock() + target.lambda_timeout_s,
            clock=self._deadline_clock,
        )

    def _unmatched(
        self, request: GatewayRequest, start: float, split: tuple[str, str] | None
    ) -> GatewayResponse:
        path = split[0] if split else request.target
        exchange = _Exchange(
            request, path, _UNMATCHED, False, False, self._new_id(), self._wall_ms(), start
        )
        status = 403 if split else 400
        return self._finish(exchange, json_error(status, MISSING_TOKEN), None)

    def _finish(
        self, exchange: _Exchange, response: GatewayResponse, spent: float | None
    ) -> GatewayResponse:
        response.headers.append((TARGET_HEADER, "lambda" if exchange.to_lambda else "legacy"))
        response.headers.append((ROUTE_HEADER, exchange.target.route_id))
        response.headers.append(("x-amzn-RequestId", exchange.request_id))
        if response.stream is None:
            self._record(exchange, response.status, spent, len(response.body))
            return response
        status, stream = response.status, response.stream
        response.stream = _counted(stream, lambda n: self._record(exchange, status, spent, n))
        return response

    def _record(self, exchange: _Exchange, status: int, spent: float | None, length: int) -> None:
        if isinstance(self.sink, NullSink):
            return  # nobody listens: skip building the record
        request, target = exchange.request, exchange.target
        record = RequestRecord(
            request_id=exchange.request_id,
            request_time_epoch_ms=exchange.epoch_ms,
            http_method=request.method,
            path=exchange.path,
            resource_path=target.resource,
            route_id=target.manifest_id,
            target="lambda" if exchange.to_lambda else "legacy",
            status=status,
            response_latency_ms=(self._clock() - exchange.start) * 1000,
            integration_latency_ms=spent,
            source_ip=request.source_ip,
            protocol=request.protocol,
            response_length=length,
            is_canary=exchange.canary,
        )
        try:
            self.sink.record(record)
        except Exception:  # a sink must never raise; never let it fail a request
            log.exception("telemetry sink failed")


def _event_too_large(request: GatewayRequest, event: dict[str, Any]) -> bool:
    if len(request.body) < _EXACT_SIZE_ABOVE:
        return False
    return len(json.dumps(event).encode("utf-8")) > MAX_LAMBDA_REQUEST_BYTES


async def _counted(
    stream: AsyncIterator[bytes], done: Callable[[int], None]
) -> AsyncIterator[bytes]:
    """Pass ``stream`` through; report its total length once it ends or is closed."""
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            yield chunk
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
        done(total)
