"""A small pooled HTTP/1.1 client to the monolith: asyncio protocol + httptools parser.

``UpstreamPool`` implements ``proxy.UpstreamTransport``. Keep-alive connections are
reused. An idempotent request on a reused connection that dies before any response
byte is sent again on a fresh one; a proxy must not repeat a POST or PATCH (RFC 9110
9.2.2: the monolith may have acted on it), so those reuse only a connection idle for at
most 1 s, well inside common keep-alive timeouts, and a broken one answers 502. A
connection whose response says ``Connection: close`` (gunicorn's sync workers) is
closed as soon as that response is complete.

Close mode: an address that answered ``Connection: close`` to the first keep-alive
request of a connection is sent ``Connection: close`` and a half-close (FIN after the
request) for the next ``reprobe_s`` seconds; then a keep-alive request asks again.
Such servers close gracefully (RFC 9112 9.6): after the response they wait until the
client closes too (gunicorn: ``shutdown(SHUT_WR)``, then ``recv`` until EOF). Without
the early FIN each worker sat idle until the gateway's loop came round to close; on 2
shared cores that was ~10% idle CPU and the gap between 55-60% and 70-80% of direct
throughput (``bench/bench_gateway.py``).

Close mode is only for a monolith on this machine (a loopback address): closing first,
the gateway keeps the TIME_WAIT, which Linux reuses on loopback (``tcp_tw_reuse=2``)
but not towards other hosts, where a few hundred new connections a second would use up
the ephemeral ports. A server that takes a client's FIN for an abort (nginx without
``proxy_ignore_client_abort``, in front of a close-only backend) needs
``half_close=False`` (``migrate serve --no-half-close``).

The whole response is read before it is returned, as API Gateway buffers an
integration's response: the timeout covers connect, head and body (a body that stalls
is a 504 at the integration timeout, never a reply that hangs on), and a body over 10 MB
is an UpstreamError (502). While a long body arrives, reading pauses above 1 MiB not
yet taken. asyncio and uvloop set TCP_NODELAY on TCP sockets themselves. This module
must not know about routes, Lambda or the manifest.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import httptools

from router.gateway.messages import MAX_REQUEST_BYTES, Headers
from router.gateway.proxy import UpstreamError, UpstreamRequest, UpstreamResponse
from router.gateway.snapshot import LegacyBase

__all__ = ["UpstreamPool"]

_HIGH_WATER = 1024 * 1024
MAX_RESPONSE_BYTES = MAX_REQUEST_BYTES  # API Gateway's 10 MB payload quota, both ways
_BUFFER_UP_TO = 256 * 1024  # a declared body this small is read whole, not streamed
REPROBE_S = 5.0  # close mode lasts this long before a keep-alive request asks again
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})  # RFC 9110 9.2.2
_FRESH_S = 1.0  # a non-idempotent request reuses only a connection idle at most this long


@functools.lru_cache(maxsize=64)
def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def encode_request(request: UpstreamRequest, *, close: bool = False) -> bytes:
    lines = [f"{request.method} {request.target} HTTP/1.1\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in request.headers)
    lines.append("Connection: close\r\n\r\n" if close else "\r\n")
    return "".join(lines).encode("latin-1", "replace") + request.body


class _Connection(asyncio.Protocol):
    """One upstream connection carrying one request at a time."""

    def __init__(
        self, pool: UpstreamPool, key: tuple[str, int], data: bytes, head_only: bool, *,
        half_close: bool = False,
    ) -> None:  # fmt: skip
        self._pool, self.key = pool, key
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._first = data  # written as soon as connected: no extra loop turn
        self.half_close = half_close  # FIN right after the request (close mode)
        self.idle_since = 0.0  # when it was last pooled
        self.sent = 1  # requests sent on this connection
        self._reset(head_only=head_only)

    def _reset(self, *, head_only: bool) -> None:
        self.head: asyncio.Future[None] = self._pool.loop.create_future()
        self.headers: Headers = []
        self.status = 0
        self.length: int | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = self.received = self.reusable = False
        self.head_only = head_only
        self._waiter: asyncio.Future[None] | None = None

    def send(self, data: bytes, head_only: bool) -> None:
        """Send the next request on this (idle, kept-alive) connection."""
        self._reset(head_only=head_only)
        self.sent += 1
        assert self.transport is not None
        self.transport.write(data)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's isn't a subclass
        self.transport.write(self._first)
        self._first = b""
        if self.half_close:
            self.transport.write_eof()  # the server needn't wait for our close (module doc)

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"invalid HTTP response from the monolith: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head.done() and self.length is None and not self._chunked():
            self.complete = True  # a close-delimited body ends at EOF
        self._fail(UpstreamError(f"the monolith closed the connection ({exc or 'EOF'})"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.length = self.content_length()
        if not self.half_close:  # only a keep-alive request tells how the server behaves
            keeps_alive = self._parser.should_keep_alive()
            self._pool.learn(self.key, keeps_alive=keeps_alive, first=self.sent == 1)
        if self.head_only:  # a HEAD response has no body, whatever its Content-Length says
            self.complete = True
            self._resolve()
            self.abort()
        elif self.length is None or self.length > _BUFFER_UP_TO:
            self._resolve()  # taken chunk by chunk; a small body resolves when complete

    def on_body(self, body: bytes) -> None:
        if self.head_only:
            return  # a server that wrongly sends a body after a HEAD's head
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        keep_alive = self._parser.should_keep_alive()
        self.reusable = keep_alive and not (self.head_only or self.half_close)
        if not self.reusable:
            self.abort()  # now, not when the caller's task runs: the server may wait for it
        self._resolve()
        self._wake()

    def _resolve(self) -> None:
        if not self.head.done():
            self.head.set_result(None)

    def finished(self) -> None:
        """The caller has the whole response: pool the connection or close it."""
        if self.complete and self.reusable and not self.closed:
            self._pool.release(self)
        else:
            self.abort()

    # body access
    def take_body(self) -> bytes:
        """The whole buffered body; reading resumes (a pooled connection must not stay
        paused: a response over the high-water mark pauses it in ``on_body``)."""
        body = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.transport is not None:
            self.transport.resume_reading()
        return body

    async def next_chunk(self) -> bytes:
        """The next body chunk; b"" at the end; UpstreamError if the connection broke."""
        while not self.chunks:
            if self.complete:
                return b""
            if self.closed:
                raise UpstreamError("the monolith closed the connection mid-body")
            self._waiter = self._pool.loop.create_future()
            await self._waiter
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.buffered <= _HIGH_WATER // 4 and self.transport is not None:
            self.transport.resume_reading()
        return chunk

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: UpstreamError) -> None:
        if not self.head.done():
            self.head.set_exception(error)
        self.abort()
        self._wake()

    def _chunked(self) -> bool:
        return any(
            n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in self.headers
        )

    def content_length(self) -> int | None:
        for name, value in self.headers:
            if name.lower() == "content-length" and value.strip().isdigit():
                return int(value)
        return None


async def _whole_body(conn: _Connection) -> bytes:
    """The rest of the body (the caller's deadline covers it); UpstreamError over 10 MB."""
    if conn.length is not None and conn.length > MAX_RESPONSE_BYTES:
        raise UpstreamError(f"the monolith declared {conn.length} bytes (over 10 MB)")
    chunks = [conn.take_body()]
    total = len(chunks[0])
    while chunk := await conn.next_chunk():
        total += len(chunk)
        if total > MAX_RESPONSE_BYTES:
            raise UpstreamError(f"the monolith's response is over {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class UpstreamPool:
    """Keep-alive connections per (host, port); ``max_idle`` kept per address."""

    def __init__(
        self,
        *,
        max_idle: int = 256,
        half_close: bool = True,
        reprobe_s: float = REPROBE_S,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._max_idle = max_idle
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False
        self._half_close, self._reprobe_s, self._clock = half_close, reprobe_s, clock
        self._closers: dict[tuple[str, int], float] = {}  # address -> when it last said close

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        task = asyncio.current_task()
        assert task is not None
        expired: list[bool] = []  # set by the timer itself: uvloop may fire it a fraction
        # of a millisecond before loop.time() reaches the deadline (ms clock, rounding)
        expiry = self.loop.call_later(timeout, _expire, task, expired)  # < asyncio.timeout()
        try:
            return await self._send(base, request)
        except asyncio.CancelledError:
            if not expired:
                raise  # cancelled by someone else (shutdown)
            task.uncancel()
            raise TimeoutError(f"no response within {timeout:g} s") from None
        finally:
            expiry.cancel()

    async def _send(self, base: LegacyBase, request: UpstreamRequest) -> UpstreamResponse:
        head_only, key = request.method == "HEAD", (base.host, base.port)
        retry = request.method in _IDEMPOTENT
        conn = self._idle_connection(key, max_age=None if retry else _FRESH_S)
        if conn is not None:
            conn.send(encode_request(request), head_only)
            try:
                return await self._response(conn)
            except UpstreamError:
                if conn.received or not retry:
                    raise  # only an idempotent request, with no byte back, is sent again
        close = base.scheme == "http" and self.closes(key)  # TLS has no half-close
        data = encode_request(request, close=close)
        conn = await self._connect(base, key, data, head_only, close)
        return await self._response(conn)

    def learn(self, key: tuple[str, int], *, keeps_alive: bool, first: bool = True) -> None:
        """Record how ``key`` answered a keep-alive request (close mode, module doc).

        Only a close on a connection's first request counts: a keep-alive server that
        closes after its N-th request (a keep-alive limit) is not a close-only server."""
        if keeps_alive:
            self._closers.pop(key, None)
        elif first:
            self._closers[key] = self._now()

    def closes(self, key: tuple[str, int]) -> bool:
        """Whether the next new connection to ``key`` goes in close mode."""
        since = self._closers.get(key)
        if not self._half_close or since is None or not is_loopback(key[0]):
            return False
        return self._now() - since < self._reprobe_s

    def _now(self) -> float:
        return self._clock() if self._clock is not None else self.loop.time()

    async def close(self) -> None:
        self._closing = True
        for idle in self._idle.values():
            while idle:
                idle.pop().abort()

    def release(self, conn: _Connection) -> None:
        idle = self._idle.setdefault(conn.key, deque())
        if self._closing or conn.closed or len(idle) >= self._max_idle:
            conn.abort()
        else:
            conn.idle_since = self._now()
            idle.append(conn)

    async def _response(self, conn: _Connection) -> UpstreamResponse:
        """The whole response: API Gateway buffers it, and answers 504 when its body too
        is not in by the integration timeout (``send``'s deadline covers this)."""
        try:
            await conn.head
            body = conn.take_body() if conn.complete else await _whole_body(conn)
        except BaseException:
            conn.abort()
            raise
        # length: a HEAD response's Content-Length is the GET's size
        response = UpstreamResponse(conn.status, conn.headers, body, length=conn.length)
        conn.finished()
        return response

    def _idle_connection(self, key: tuple[str, int], max_age: float | None) -> _Connection | None:
        """The most recently used live idle connection, if idle at most ``max_age`` s."""
        idle = self._idle.get(key)
        while idle:
            conn = idle[-1]
            if max_age is not None and self._now() - conn.idle_since > max_age:
                return None  # the others are older still: left for idempotent requests
            idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
        return None

    async def _connect(
        self, base: LegacyBase, key: tuple[str, int], data: bytes, head_only: bool, close: bool
    ) -> _Connection:
        ssl: Any = True if base.scheme == "https" else None

        def protocol() -> _Connection:
            return _Connection(self, key, data, head_only, half_close=close)

        try:
            _, conn = await self.loop.create_connection(protocol, base.host, base.port, ssl=ssl)
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {base.host}:{base.port}: {exc}") from exc
        return conn


def _expire(task: asyncio.Task[object], expired: list[bool]) -> None:
    expired.append(True)
    task.cancel()
