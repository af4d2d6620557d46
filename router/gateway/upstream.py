"""A small pooled HTTP/1.1 client to the monolith: asyncio protocol + httptools parser.

``UpstreamPool`` implements ``proxy.UpstreamTransport``. Keep-alive connections are
reused (a request on a reused connection that dies before any response byte is
retried once on a fresh one); ``Connection: close`` responses (gunicorn's sync
workers) close theirs. A body declared at most 256 KiB (or already complete) comes
back as bytes; a longer one as a stream with backpressure (reading pauses above 1 MiB
buffered). asyncio and uvloop set TCP_NODELAY on TCP sockets themselves. Timeouts cover
connect + response head. This module must not know about routes, Lambda or the manifest.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast

import httptools

from router.gateway.messages import Headers
from router.gateway.proxy import UpstreamError, UpstreamRequest, UpstreamResponse
from router.gateway.snapshot import LegacyBase

__all__ = ["UpstreamPool"]

_HIGH_WATER = 1024 * 1024
_BUFFER_UP_TO = 256 * 1024  # a declared body this small is read whole, not streamed


def encode_request(request: UpstreamRequest) -> bytes:
    lines = [f"{request.method} {request.target} HTTP/1.1\r\n"]
    lines.extend(f"{name}: {value}\r\n" for name, value in request.headers)
    lines.append("\r\n")
    return "".join(lines).encode("latin-1", "replace") + request.body


class _Connection(asyncio.Protocol):
    """One upstream connection carrying one request at a time."""

    def __init__(self, pool: UpstreamPool, key: tuple[str, int], data: bytes, head_only: bool):
        self._pool, self.key = pool, key
        self._parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._first = data  # written as soon as connected: no extra loop turn
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
        assert self.transport is not None
        self.transport.write(data)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's isn't a subclass
        self.transport.write(self._first)
        self._first = b""

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
        if self.head_only:  # a HEAD response has no body, whatever its Content-Length says
            self.complete = True
            self._resolve()
            self.abort()
        elif self.length is None or self.length > _BUFFER_UP_TO:
            self._resolve()  # stream it; a small body resolves at message complete instead

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self.reusable = self._parser.should_keep_alive() and not self.head_only
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
        body = b"".join(self.chunks)
        self.chunks.clear()
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


async def _body_stream(conn: _Connection) -> AsyncIterator[bytes]:
    try:
        while chunk := await conn.next_chunk():
            yield chunk
    finally:
        conn.finished()  # closes it unless the body was read to the end


class UpstreamPool:
    """Keep-alive connections per (host, port); ``max_idle`` kept per address."""

    def __init__(self, *, max_idle: int = 256) -> None:
        self._max_idle = max_idle
        self._idle: dict[tuple[str, int], deque[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing = False

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
        deadline = self.loop.time() + timeout
        expiry = self.loop.call_at(deadline, task.cancel)  # cheaper than asyncio.timeout()
        try:
            return await self._send(base, request)
        except asyncio.CancelledError:
            if self.loop.time() < deadline:
                raise  # cancelled by someone else (shutdown)
            task.uncancel()
            raise TimeoutError(f"no response within {timeout:g} s") from None
        finally:
            expiry.cancel()

    async def _send(self, base: LegacyBase, request: UpstreamRequest) -> UpstreamResponse:
        data, head_only = encode_request(request), request.method == "HEAD"
        key = (base.host, base.port)
        conn = self._idle_connection(key)
        if conn is not None:
            conn.send(data, head_only)
            try:
                return await self._response(conn)
            except UpstreamError:
                if conn.received:
                    raise  # only a stale keep-alive connection (no byte back) is retried
        conn = await self._connect(base, key, data, head_only)
        return await self._response(conn)

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
            idle.append(conn)

    async def _response(self, conn: _Connection) -> UpstreamResponse:
        try:
            await conn.head
        except BaseException:
            conn.abort()
            raise
        if conn.complete:
            response = UpstreamResponse(conn.status, conn.headers, conn.take_body())
            conn.finished()
            return response
        return UpstreamResponse(conn.status, conn.headers, b"", _body_stream(conn), conn.length)

    def _idle_connection(self, key: tuple[str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
        return None

    async def _connect(
        self, base: LegacyBase, key: tuple[str, int], data: bytes, head_only: bool
    ) -> _Connection:
        ssl: Any = True if base.scheme == "https" else None
        try:
            _, conn = await self.loop.create_connection(
                lambda: _Connection(self, key, data, head_only), base.host, base.port, ssl=ssl
            )
        except OSError as exc:
            raise UpstreamError(f"cannot connect to {base.host}:{base.port}: {exc}") from exc
        return conn
