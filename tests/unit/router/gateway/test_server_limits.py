"""Hostile and slow clients against the HTTP shell over loopback: limits and timeouts."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from router.gateway.core import LocalGateway
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from router.gateway.limits import Limits
from router.gateway.proxy import LegacyProxy
from router.gateway.runtime import GatewayServer, loop_factory
from router.gateway.snapshot import build_snapshot
from router.gateway.upstream import UpstreamPool
from tests.helpers.manifests import build_manifest
from tests.unit.router.gateway.test_server import Responses, exchange, fake_monolith

QUICK = Limits(header_timeout=0.3, body_timeout=0.3, keepalive_timeout=0.3, linger_timeout=2.0)
WAIT_S = 5.0  # the longest any check waits for the gateway


def serve(test: Callable[[int], Awaitable[None]], limits: Limits = QUICK) -> None:
    async def main() -> None:
        legacy = await asyncio.start_server(fake_monolith, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{legacy.sockets[0].getsockname()[1]}"
        with ThreadPoolExecutor(1) as pool:
            gateway = LocalGateway(
                build_snapshot(build_manifest([], legacy={"url": url})),
                proxy=LegacyProxy(UpstreamPool()),
                invoker=LambdaInvoker(HandlerRegistry(), pool), rng=random.Random(1),
            )  # fmt: skip
            server = GatewayServer(gateway, None, limits)
            port = await server.start("127.0.0.1", 0)
            try:
                await test(port)
            finally:
                await server.stop(grace=1.0)
                legacy.close()

    with asyncio.Runner(loop_factory=loop_factory()) as runner:  # uvloop, as migrate serve
        runner.run(main())


async def answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the gateway then closed the connection."""
    got = Responses()
    while not got.done and (data := await asyncio.wait_for(reader.read(65536), WAIT_S)):
        got.parser.feed_data(data)
    status, _, body = got.done[0]
    return status, body, await closed(reader)


async def closed(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), WAIT_S) == b""
    except ConnectionResetError:
        return True


async def send(port: int, raw: bytes) -> tuple[int, bytes, bool]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    try:
        return await answer(reader)
    finally:
        writer.close()


def test_an_over_long_request_line_is_414_and_a_64_mib_one_is_not_buffered() -> None:
    async def check(port: int) -> None:
        ok = b"GET /echo?q=" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: gw\r\n\r\n"
        assert (await exchange(port, ok, 1))[0][0] == 200
        long = b"GET /echo?q=" + b"a" * 10_300 + b" HTTP/1.1\r\nHost: gw\r\n\r\n"
        assert (await send(port, long))[0] == 414
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /" + b"a" * (1 << 20))
        for _ in range(63):  # 64 MiB in all; the gateway drops what follows its answer
            writer.write(b"a" * (1 << 20))
            await asyncio.wait_for(writer.drain(), WAIT_S)
        status, body, _ = await answer(reader)
        assert status == 414 and json.loads(body) == {"message": "Request-URI Too Long"}
        writer.close()

    serve(check)


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Big: " + b"v" * 10_300 + b"\r\n\r\n",  # one large value
        b"".join(b"X-%d: 1\r\n" % n for n in range(101)) + b"\r\n",  # too many fields
        b"".join(b"X-%d: " % n + b"v" * 1000 + b"\r\n" for n in range(11)) + b"\r\n",  # 11 KB
        b"X-Huge: " + b"v" * (8 << 20),  # a field still arriving, past the buffering cap
    ],
    ids=["value", "count", "total", "streamed"],
)
def test_over_large_headers_are_431(headers: bytes) -> None:
    async def check(port: int) -> None:
        status, body, closed_after = await send(
            port, b"GET /echo HTTP/1.1\r\nHost: gw\r\n" + headers
        )
        assert status == 431 and closed_after
        assert json.loads(body) == {"message": "Request Header Fields Too Large"}

    serve(check)


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET /echo HTTP/1.1\r\n\r\n", 400),
        (b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /echo HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", 400),
        (b"GET /echo HTTP/1.0\r\n\r\n", 200),  # HTTP/1.0 needs no Host
        (b"GET /echo HTTP/1.1\r\nhost: a\r\nConnection: close\r\n\r\n", 200),
    ],
)
def test_http_1_1_needs_exactly_one_host(head: bytes, status: int) -> None:
    async def check(port: int) -> None:
        assert (await send(port, head))[0] == status

    serve(check)


@pytest.mark.parametrize(
    "partial",
    [
        b"GET /echo HTTP/1.1\r\nHost: g",
        b"POST /echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 9\r\n\r\nabc",
    ],
    ids=["head", "body"],
)
def test_a_slow_client_gets_408_and_is_closed(partial: bytes) -> None:
    async def check(port: int) -> None:
        status, _, closed_after = await send(port, partial)  # and then nothing more
        assert status == 408 and closed_after

    serve(check)


def test_idle_and_silent_connections_are_closed() -> None:
    async def check(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /echo HTTP/1.1\r\nHost: gw\r\n\r\n")
        got = Responses()
        while not got.done:
            got.parser.feed_data(await reader.read(65536))
        assert await closed(reader)  # the keep-alive idle timeout
        silent, _ = await asyncio.open_connection("127.0.0.1", port)
        assert await closed(silent)  # never sent a byte
        writer.close()

    serve(check)


def test_clients_over_the_connection_budget_get_503() -> None:
    async def check(port: int) -> None:
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        for reader, writer in held:  # both are registered once they have been served
            writer.write(b"GET /echo HTTP/1.1\r\nHost: gw\r\n\r\n")
            got = Responses()
            while not got.done:
                got.parser.feed_data(await reader.read(65536))
        status, _, closed_after = await send(port, b"GET /echo HTTP/1.1\r\nHost: gw\r\n\r\n")
        assert status == 503 and closed_after
        for _, writer in held:
            writer.close()

    serve(check, Limits(max_connections=2))


def test_a_client_writing_a_20_mb_body_before_reading_sees_the_413() -> None:
    async def check(port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        size = 20_000_000
        writer.write(b"POST /echo HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(size // 500_000):
            writer.write(b"x" * 500_000)
            await asyncio.wait_for(writer.drain(), WAIT_S)  # the gateway keeps reading
        status, body, _ = await answer(reader)
        assert status == 413 and json.loads(body) == {"message": "Request Too Long"}
        writer.close()

    serve(check)
