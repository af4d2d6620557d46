"""The upstream pool's close mode against servers that close as gunicorn does, on loopback.

A "closing" server answers ``Connection: close`` and then closes gracefully, like
gunicorn's sync worker: ``shutdown(SHUT_WR)``, then read until the client's EOF. Before
answering it waits briefly for the client's EOF, which tells whether the pool
half-closed the request. Every test runs on the asyncio loop and, when installed, uvloop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from router.gateway.proxy import UpstreamError, UpstreamRequest
from router.gateway.snapshot import LegacyBase
from router.gateway.upstream import UpstreamPool, _Connection, encode_request, is_loopback

EOF_WAIT_S = 0.3  # how long the server waits for a FIN before answering anyway


@dataclass
class Seen:
    """One request as the server saw it."""

    connection: int
    close_asked: bool  # the request said Connection: close
    eof_first: bool  # the client's FIN arrived before the response was written
    body: bytes


@dataclass
class Monolith:
    keep_alive: bool = False
    stale_after: int | None = None  # keep-alive, but drop a connection after N answers
    limit: int | None = None  # keep-alive, but say close on a connection's N-th answer
    big: int = 0  # answer with this many bytes of body instead of the JSON
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number, answered = self.connections, 0
        while not reader.at_eof():
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            if answered == self.stale_after:  # read, then gone without a byte back
                self.seen.append(Seen(number, False, False, b"dropped"))
                writer.close()
                return
            answered += 1
            last = not self.keep_alive or answered == self.limit
            await self._answer(number, head, reader, writer, close=last)
            if last:
                break
        writer.write_eof()  # the graceful close: FIN, then wait for the client's
        await asyncio.wait_for(reader.read(), 5)
        writer.close()

    async def _answer(
        self,
        number: int,
        head: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        close: bool,
    ) -> None:
        lines = [line.lower() for line in head.decode("latin-1").split("\r\n")]
        length = next((int(v.split(":")[1]) for v in lines if v.startswith("content-length")), 0)
        body = await reader.readexactly(length)
        try:
            eof_first = await asyncio.wait_for(reader.read(1), EOF_WAIT_S) == b""
        except TimeoutError:
            eof_first = False
        self.seen.append(Seen(number, "connection: close" in lines, eof_first, body))
        payload = b"z" * self.big if self.big else b'{"n": %d}' % len(self.seen)
        closing = b"Connection: close\r\n" if close else b""
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(payload) + closing)
        writer.write(b"\r\n" + payload)
        await writer.drain()


def loops() -> list[Callable[[], asyncio.AbstractEventLoop]]:
    factories: list[Callable[[], asyncio.AbstractEventLoop]] = [asyncio.new_event_loop]
    try:
        import uvloop
    except ImportError:
        return factories
    return [*factories, uvloop.new_event_loop]


LoopFactory = Callable[[], asyncio.AbstractEventLoop]
Check = Callable[[UpstreamPool, LegacyBase, Monolith], Awaitable[None]]


def run(check: Check, monolith: Monolith, factory: LoopFactory,
        **pool_args: object) -> None:  # fmt: skip
    async def main() -> None:
        server = await asyncio.start_server(monolith.handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = UpstreamPool(**pool_args)  # type: ignore[arg-type]
        try:
            await check(pool, LegacyBase("http", "127.0.0.1", port, ""), monolith)
        finally:
            await pool.close()
            server.close()

    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())


async def get(pool: UpstreamPool, base: LegacyBase, body: bytes = b"") -> bytes:
    method = "POST" if body else "GET"
    headers = [("Content-Length", str(len(body)))] if body else []
    response = await pool.send(base, UpstreamRequest(method, "/x", headers, body), 5.0)
    assert response.status == 200
    return response.body


@pytest.fixture(params=loops(), ids=lambda f: f.__module__.split(".")[0])
def loop_factory(request: pytest.FixtureRequest) -> LoopFactory:
    return request.param  # type: ignore[no-any-return]


def test_a_closing_server_gets_close_mode_after_its_first_answer(loop_factory: LoopFactory) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        assert await get(pool, base) == b'{"n": 1}'
        assert pool.closes((base.host, base.port))
        assert await get(pool, base) == b'{"n": 2}'
        assert await get(pool, base, b'{"qty": 2}') == b'{"n": 3}'
        first, *rest = monolith.seen
        assert not first.close_asked and not first.eof_first  # a keep-alive request asks
        assert all(s.close_asked and s.eof_first for s in rest)  # then FIN with the request
        assert rest[-1].body == b'{"qty": 2}'  # the body goes whole before the FIN

    run(check, Monolith(), loop_factory)


def test_a_keep_alive_server_is_never_half_closed(loop_factory: LoopFactory) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        for _ in range(3):
            await get(pool, base)
        assert not pool.closes((base.host, base.port))
        assert monolith.connections == 1  # pooled
        assert not any(s.close_asked or s.eof_first for s in monolith.seen)

    run(check, Monolith(keep_alive=True), loop_factory)


def test_half_close_off_keeps_plain_requests(loop_factory: LoopFactory) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        await get(pool, base)
        await get(pool, base)
        assert not pool.closes((base.host, base.port))
        assert [(s.close_asked, s.eof_first) for s in monolith.seen] == [(False, False)] * 2
        assert monolith.connections == 2  # the server closed each one

    run(check, Monolith(), loop_factory, half_close=False)


def test_close_mode_asks_again_after_reprobe_seconds(loop_factory: LoopFactory) -> None:
    now = [100.0]

    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        key = (base.host, base.port)
        await get(pool, base)  # learns close mode at t=100
        now[0] = 104.9
        await get(pool, base)  # still in close mode: no lesson from it
        now[0] = 105.0
        assert not pool.closes(key)
        monolith.keep_alive = True  # the monolith was restarted with keep-alive workers
        await get(pool, base)  # the re-probe: a plain keep-alive request
        await get(pool, base)
        assert [s.close_asked for s in monolith.seen] == [False, True, False, False]
        assert not pool.closes(key) and monolith.connections == 3  # the last two share one

    run(check, Monolith(), loop_factory, reprobe_s=5.0, clock=lambda: now[0])


def test_encode_request_adds_connection_close_only_in_close_mode() -> None:
    request = UpstreamRequest("GET", "/a?b=1", [("Host", "m"), ("X-A", "1")], b"")
    assert encode_request(request) == b"GET /a?b=1 HTTP/1.1\r\nHost: m\r\nX-A: 1\r\n\r\n"
    closing = encode_request(request, close=True)
    assert closing.endswith(b"X-A: 1\r\nConnection: close\r\n\r\n")


def test_a_get_on_a_stale_connection_is_sent_again_on_a_new_one(loop_factory: LoopFactory) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        await get(pool, base)
        assert await get(pool, base) == b'{"n": 3}'  # n=2 is the dropped one
        assert [(s.connection, s.body) for s in monolith.seen] == [
            (1, b""), (1, b"dropped"), (2, b"")
        ]  # fmt: skip

    run(check, Monolith(keep_alive=True, stale_after=1), loop_factory)


def test_a_post_on_a_stale_connection_is_not_repeated(loop_factory: LoopFactory) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        await get(pool, base)
        with pytest.raises(UpstreamError):
            await get(pool, base, b'{"qty": 1}')
        assert [s.body for s in monolith.seen] == [b"", b"dropped"]  # the POST went once

    run(check, Monolith(keep_alive=True, stale_after=1), loop_factory)


def test_a_post_skips_a_connection_idle_over_a_second(
    loop_factory: LoopFactory,
) -> None:
    now = [0.0]

    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        await get(pool, base)
        now[0] = 1.5
        assert await get(pool, base, b'{"qty": 1}') == b'{"n": 2}'
        assert await get(pool, base) == b'{"n": 3}'  # a GET still takes the old one
        assert [s.connection for s in monolith.seen] == [1, 2, 2]

    run(check, Monolith(keep_alive=True), loop_factory, clock=lambda: now[0])


def test_a_keep_alive_limit_is_not_taken_for_a_close_only_server(
    loop_factory: LoopFactory,
) -> None:
    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        for _ in range(5):
            await get(pool, base)
        assert not pool.closes((base.host, base.port))
        assert not any(s.close_asked for s in monolith.seen)
        assert [s.connection for s in monolith.seen] == [1, 1, 2, 2, 3]

    run(check, Monolith(keep_alive=True, limit=2), loop_factory)


def test_close_mode_is_only_for_a_monolith_on_this_machine() -> None:
    pool = UpstreamPool(clock=lambda: 0.0)
    hosts = ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost", "10.1.2.3", "shop.internal"]
    for host in hosts:
        pool.learn((host, 80), keeps_alive=False)
    assert [pool.closes((h, 80)) for h in hosts] == [True] * 5 + [False] * 2
    assert not is_loopback("192.168.0.10") and is_loopback("LOCALHOST")


def test_a_large_body_from_a_closing_server_arrives_whole(loop_factory: LoopFactory) -> None:
    size = 3 * 1024 * 1024  # over the 1 MiB read pause: read resumes after the close

    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        for _ in range(2):  # a plain request, then one in close mode
            response = await pool.send(base, UpstreamRequest("GET", "/x", [], b""), 5.0)
            assert response.stream is None and len(response.body) == size
        assert [s.close_asked for s in monolith.seen] == [False, True]

    run(check, Monolith(big=size), loop_factory)


def test_a_keep_alive_answer_over_1_mib_is_served_on_one_pooled_connection(
    loop_factory: LoopFactory,
) -> None:
    size = 2 * 1024 * 1024  # over the 1 MiB read pause

    async def check(pool: UpstreamPool, base: LegacyBase, monolith: Monolith) -> None:
        for _ in range(3):
            response = await pool.send(base, UpstreamRequest("GET", "/x", [], b""), 3.0)
            assert len(response.body) == size
        assert monolith.connections == 1  # the same pooled connection answered all three

    run(check, Monolith(keep_alive=True, big=size), loop_factory)


class RecordingTransport:
    """Just enough of a transport to see whether reading is paused."""

    def __init__(self) -> None:
        self.reading, self.closed = True, False

    def write(self, data: bytes) -> None:
        return None

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def test_a_body_over_1_mib_read_whole_before_the_caller_leaves_the_connection_reading() -> None:
    """uvloop reads up to 32 times per loop turn: a 2 MiB answer can be complete (and
    reading paused above 1 MiB) before the task awaiting its head runs."""
    size = 2 * 1024 * 1024

    async def main() -> None:
        pool = UpstreamPool()
        conn = _Connection(pool, ("127.0.0.1", 1), b"", head_only=False)
        transport = RecordingTransport()
        conn.connection_made(transport)  # type: ignore[arg-type]
        conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(8):
            conn.data_received(b"z" * (size // 8))  # all in the same loop turn
        assert conn.complete and not transport.reading  # paused above 1 MiB
        response = await pool._response(conn)
        assert len(response.body) == size
        assert transport.reading and not transport.closed  # pooled, and reading again
        assert pool._idle_connection(conn.key, None) is conn

    asyncio.run(main())


def test_a_body_that_stalls_after_the_head_times_out_at_the_deadline(
    loop_factory: LoopFactory,
) -> None:
    """API Gateway buffers the integration's response: a stalled body is a 504 at the
    integration timeout, not a reply that finishes whenever the monolith resumes."""
    resume = asyncio.Event()

    async def stalling(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"z" * 300_000)
        await writer.drain()
        await resume.wait()  # the other 700,000 bytes never come in time
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(stalling, "127.0.0.1", 0)
        base = LegacyBase("http", "127.0.0.1", server.sockets[0].getsockname()[1], "")
        pool, loop = UpstreamPool(), asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(TimeoutError):
            await pool.send(base, UpstreamRequest("GET", "/x", [], b""), 0.3)
        assert loop.time() - start < 2.0
        resume.set()
        await pool.close()
        server.close()

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main())


class _EarlyTimers(asyncio.SelectorEventLoop):
    """Timers that fire 2 ms before ``time()`` reaches their deadline, as a loop with a
    millisecond clock can (uvloop rounds a delay to whole milliseconds)."""

    def call_later(self, delay: float, callback: Any, *args: Any, context: Any = None) -> Any:
        return super().call_later(max(0.0, delay - 0.002), callback, *args, context=context)

    def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        return super().call_at(when - 0.002, callback, *args, context=context)


def test_the_deadline_is_known_by_its_timer_not_by_comparing_clocks() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)  # never answers in time

    async def main() -> None:
        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        base = LegacyBase("http", "127.0.0.1", server.sockets[0].getsockname()[1], "")
        pool = UpstreamPool()
        with pytest.raises(TimeoutError):  # not CancelledError: nobody else cancelled it
            await pool.send(base, UpstreamRequest("GET", "/x", [], b""), 0.2)
        await pool.close()
        server.close()

    with asyncio.Runner(loop_factory=_EarlyTimers) as runner:
        runner.run(main())
