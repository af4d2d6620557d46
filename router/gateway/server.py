"""The HTTP/1.1 shell of the local gateway: asyncio protocol + httptools, on uvloop.

Parses requests (keep-alive, pipelining served in order, ``Expect: 100-continue``,
bodies capped at 10 MB: a larger one is dropped and answered 413 by the core), hands
each to ``LocalGateway.handle_request`` and writes the response (Content-Length, or
chunked for a streamed body of unknown length, with write backpressure). TCP_NODELAY
(the loop's default), no access log. The ``limits`` module's limits apply here: request
line 414, head 431, HTTP/1.1 without exactly one ``Host`` 400 (RFC 9112 3.2), header
and body read timeouts 408, idle keep-alive close, 503 over the connection budget,
and a lingering close after every error answer. ``sweep`` enforces the deadlines (the
server calls it a few times a second: no timer per connection on the hot path). This
module must not route, proxy or invoke: that is ``core``'s job.

Why this stack (wrk on loopback, 2 cores shared with the monolith's 2 sync gunicorn
workers, ``GET /api/users/5``; direct: p50 0.49-0.59 ms at 1 connection, 2,600-3,000
rps at 16 connections):

=========================================================  ==============  ==========
candidate proxy                                             added p50, 1c   rps vs dir.
=========================================================  ==============  ==========
aiohttp server + pooled aiohttp client, asyncio loop        +0.69 ms        38%
aiohttp server + pooled aiohttp client, uvloop              +0.90 ms        50%
asyncio.Protocol + httptools (server and client), asyncio   +0.42 ms        57%
asyncio.Protocol + httptools (server and client), uvloop    +0.26 ms        82%
=========================================================  ==============  ==========

(FACTS.md: Flask + httpx on gunicorn +1.5 ms / 25-30%; httpx.AsyncClient under uvicorn
stalls ~48 ms.) Only the last meets "+1 ms, >= 60 %" with margin, so the shell is
hand-written; ``uvloop`` is used when installed, else the asyncio loop. The candidates
were bare proxies; the full gateway (route match, canary decision, header rules,
``X-Migrate-*``, telemetry hook) costs more: against a trivial upstream it used ~46 µs
user + ~60 µs system CPU per request vs the bare httptools proxy's ~21 + ~58 µs (after
dropping ``asyncio.timeout``, ``uuid4`` and per-request thread hops from the hot path).
Numbers on this shared machine swing with other load; see ``bench/bench_gateway.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from http import HTTPStatus
from typing import cast

import httptools

from router.gateway.limits import DEFAULT_LIMITS, Limits
from router.gateway.messages import (
    INTERNAL_ERROR,
    MAX_REQUEST_BYTES,
    GatewayRequest,
    GatewayResponse,
    Headers,
    json_error,
)

__all__ = ["Handler", "HttpServerProtocol", "encode_head"]

log = logging.getLogger(__name__)

Handler = Callable[[GatewayRequest], Awaitable[GatewayResponse]]
_REASONS = {s.value: s.phrase for s in HTTPStatus}
_MAX_PIPELINED = 16
_IDLE, _HEAD, _BODY, _BUSY, _LINGER = range(5)  # what a connection waits for


def encode_head(status: int, headers: Headers, framing: str, keep_alive: bool) -> bytes:
    """Status line + headers + our framing header (+ ``Connection: close``)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in headers)
    lines.append(framing)
    lines.append("\r\n" if keep_alive else "Connection: close\r\n\r\n")
    text = "".join(lines)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


class HttpServerProtocol(asyncio.Protocol):
    """One client connection; requests are answered one at a time, in order."""

    def __init__(
        self,
        handler: Handler,
        connections: set[HttpServerProtocol],
        limits: Limits = DEFAULT_LIMITS,
        max_connections: int = 1 << 30,
    ) -> None:
        self._handler = handler
        self._connections = connections
        self._limits, self._max_connections = limits, max_connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._peer = "127.0.0.1"
        self._pending: deque[tuple[GatewayRequest, bool]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._url: list[bytes] = []
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._size = self._head_seen = self._url_bytes = self._head_bytes = self._hosts = 0
        self._too_large = self._dispatched = False
        self._state, self._in_head = _IDLE, True
        self._deadline = self._linger_end = 0.0
        self._loop = asyncio.get_event_loop()

    @property
    def busy(self) -> bool:
        return self._task is not None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's isn't a subclass
        peer = transport.get_extra_info("peername")
        self._peer = peer[0] if isinstance(peer, tuple) else "127.0.0.1"
        if len(self._connections) >= self._max_connections:
            _refused(self._max_connections)
            self._transport.write(_error_bytes(503, "Service Unavailable: too many connections"))
            self._transport.close()  # not lingering: no descriptor to spare
            return
        self._connections.add(self)  # TCP_NODELAY: asyncio and uvloop set it by default
        self._deadline = self._loop.time() + self._limits.header_timeout

    def data_received(self, data: bytes) -> None:
        if self._state == _LINGER:  # after an error answer: read and drop
            self._deadline = min(self._linger_end, self._loop.time() + self._limits.linger_timeout)
            return
        if self._in_head:
            self._head_seen += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reject(400, "Upgrade is not supported")
        except httptools.HttpParserError as exc:
            self._reject(400, f"Bad request: {exc}")
        if self._in_head and self._head_seen > self._limits.head_cap:
            self._reject(431, "Request Header Fields Too Large")  # a field still arriving

    def eof_received(self) -> bool | None:
        return None  # close: also ends a lingering close as soon as the client is done

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._pending.clear()
        self._wake_writer()

    def pause_writing(self) -> None:
        self._drained = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = [], [], []
        self._size, self._too_large, self._dispatched = 0, False, False
        self._head_seen = self._url_bytes = self._head_bytes = self._hosts = 0
        self._in_head = True
        if self._state != _BUSY:
            self._state, self._deadline = _HEAD, self._loop.time() + self._limits.header_timeout

    def on_url(self, url: bytes) -> None:
        self._url.append(url)
        self._url_bytes += len(url)
        if self._url_bytes > self._limits.max_url_bytes:
            self._reject(414, "Request-URI Too Long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))
        self._head_bytes += len(name) + len(value)
        if len(name) == 4 and name.lower() == b"host":
            self._hosts += 1
        limits = self._limits
        too_many = len(self._headers) > limits.max_headers
        if too_many or self._head_bytes > limits.max_header_bytes:
            self._reject(431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._state == _LINGER:
            return
        if self._hosts > 1 or (self._hosts == 0 and self._parser.get_http_version() != "1.0"):
            self._reject(400, "Bad Request: HTTP/1.1 needs exactly one Host header")
            return
        if self._state != _BUSY:
            self._state, self._deadline = _BODY, self._loop.time() + self._limits.body_timeout
        length = self._declared_length()
        if length is not None and length > MAX_REQUEST_BYTES:
            self._too_large = True
            self._dispatch()  # answer 413 now, without reading the body
        elif self._expects_continue() and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self._state == _BODY:
            self._deadline = self._loop.time() + self._limits.body_timeout
        self._size += len(body)
        if self._size > MAX_REQUEST_BYTES:
            self._too_large, self._body = True, []
        elif not self._too_large:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if not self._dispatched and self._state != _LINGER:
            self._dispatch()

    def _dispatch(self) -> None:
        self._dispatched, self._state = True, _BUSY
        request = GatewayRequest(
            self._parser.get_method().decode("ascii", "replace"),
            b"".join(self._url).decode("latin-1"),
            self._headers,
            b"".join(self._body),
            self._peer,
            "http",
            f"HTTP/{self._parser.get_http_version()}",
            self._too_large,
        )
        keep_alive = self._parser.should_keep_alive() and not self._too_large
        self._pending.append((request, keep_alive))
        if self._too_large and self._transport is not None:
            self._transport.pause_reading()  # answer 413, then close: drop the rest
        elif len(self._pending) >= _MAX_PIPELINED and self._transport is not None:
            self._transport.pause_reading()
        if self._task is None:
            self._next()

    # serving
    def _next(self) -> None:
        if not self._pending or self._transport is None or self._transport.is_closing():
            self._task = None
            if self._in_head and self._state == _BUSY:  # a pipelined head is arriving
                self._state = _HEAD
                self._deadline = self._loop.time() + self._limits.header_timeout
            return
        request, keep_alive = self._pending.popleft()
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._serve(request, keep_alive))

    async def _serve(self, request: GatewayRequest, keep_alive: bool) -> None:
        try:
            response = await self._handler(request)
        except Exception:
            log.exception("gateway failed on %s %s", request.method, request.target)
            response = json_error(500, INTERNAL_ERROR)
        try:
            await self._write(request, response, keep_alive)
        except Exception:
            log.exception("writing the response to %s %s failed", request.method, request.target)
            keep_alive = False
        self._after(keep_alive)

    def _after(self, keep_alive: bool) -> None:
        transport = self._transport
        if transport is None:
            return
        if not keep_alive:
            self._task = None
            self._linger()  # the client may still be sending (a 413's body): no reset
            return
        if len(self._pending) < _MAX_PIPELINED and not transport.is_closing():
            transport.resume_reading()
        self._next()
        if self._task is None and not self._in_head:
            self._state = _IDLE
            self._deadline = self._loop.time() + self._limits.keepalive_timeout

    async def _write(
        self, request: GatewayRequest, response: GatewayResponse, keep_alive: bool
    ) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            if response.stream is not None:
                await response.stream.aclose()  # type: ignore[attr-defined]
            return
        head_only = request.method == "HEAD"
        if response.stream is None:  # a proxied HEAD keeps the monolith's Content-Length
            size = response.length if head_only and response.length is not None else None
            framing = f"Content-Length: {len(response.body) if size is None else size}\r\n"
            head = encode_head(response.status, response.headers, framing, keep_alive)
            transport.write(head if head_only else head + response.body)
            return
        await self._write_stream(response, keep_alive, head_only)

    async def _write_stream(
        self, response: GatewayResponse, keep_alive: bool, head_only: bool
    ) -> None:
        assert response.stream is not None and self._transport is not None
        chunked = response.length is None
        framing = "Transfer-Encoding: chunked\r\n" if chunked else ""
        if not chunked:
            framing = f"Content-Length: {response.length}\r\n"
        self._transport.write(encode_head(response.status, response.headers, framing, keep_alive))
        try:
            if not head_only:
                await self._copy_body(response.stream, chunked)
        finally:
            await response.stream.aclose()  # type: ignore[attr-defined]
        if chunked and not head_only and not self._transport.is_closing():
            self._transport.write(b"0\r\n\r\n")

    async def _copy_body(self, stream: AsyncIterator[bytes], chunked: bool) -> None:
        """Each chunk to the client (chunk-framed or not), waiting while it drains."""
        assert self._transport is not None
        async for chunk in stream:
            if self._transport.is_closing():
                return
            self._transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
            if self._drained is not None:
                await self._drained

    # helpers
    def _declared_length(self) -> int | None:
        for name, value in self._headers:
            if name.lower() == "content-length":
                return int(value) if value.strip().isdigit() else None
        return None

    def _expects_continue(self) -> bool:
        return any(
            n.lower() == "expect" and v.strip().lower() == "100-continue" for n, v in self._headers
        )

    def _reject(self, status: int, message: str) -> None:
        if self._transport is None or self._transport.is_closing() or self._state == _LINGER:
            return
        self._transport.write(_error_bytes(status, message))
        self._linger()

    def _linger(self) -> None:
        """Half-close, then read and drop the client's data until it closes, is quiet
        for ``linger_timeout`` or ``linger_time`` passes (nginx's lingering close)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        self._state, self._url, self._headers, self._body = _LINGER, [], [], []
        now = self._loop.time()
        self._linger_end = now + self._limits.linger_time
        self._deadline = min(self._linger_end, now + self._limits.linger_timeout)
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        transport.resume_reading()

    def sweep(self, now: float) -> None:
        """Act on a passed deadline: 408 to a slow head or body, close an idle or
        lingering connection. Called periodically by the server."""
        if self._state == _BUSY or now < self._deadline or self._transport is None:
            return
        if self._state in (_HEAD, _BODY):  # a request was under way
            self._reject(408, "Request Timeout")
        else:
            self._transport.close()

    def _wake_writer(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)


def _error_bytes(status: int, message: str) -> bytes:
    """A whole ``Connection: close`` error response."""
    response = json_error(status, message)
    framing = f"Content-Length: {len(response.body)}\r\n"
    return encode_head(status, response.headers, framing, False) + response.body


_last_refusal = [0.0]


def _refused(limit: int) -> None:
    """Log a refused connection, at most once every 10 s."""
    now = asyncio.get_running_loop().time()
    if now - _last_refusal[0] >= 10.0:
        _last_refusal[0] = now
        log.warning("%d connections open (the limit): answering 503 to new clients", limit)
