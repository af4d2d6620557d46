"""The HTTP shell and the upstream pool over loopback sockets, in one event loop."""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httptools

from router.gateway.core import LocalGateway
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from router.gateway.proxy import LegacyProxy, UpstreamError, UpstreamRequest
from router.gateway.runtime import GatewayServer
from router.gateway.snapshot import LegacyBase, build_snapshot
from router.gateway.upstream import UpstreamPool
from tests.helpers.manifests import build_manifest, route

BIG = 2 * 1024 * 1024


async def fake_monolith(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Keep-alive HTTP/1.1: /echo (request as JSON), /big (chunked 2 MiB), /close."""
    while head := await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b"":
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ")
        headers = [line.split(": ", 1) for line in lines[1:] if line]
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        body = await reader.readexactly(length)
        if target == "/eof":  # no length, not chunked: the body ends when the socket closes
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello-eof")
            break
        if target == "/hang":
            await asyncio.sleep(5)
            break
        if target == "/big":
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(4):
                writer.write(b"%x\r\n%b\r\n" % (BIG // 4, b"z" * (BIG // 4)))
            writer.write(b"0\r\n\r\n")
        else:
            payload = json.dumps({"method": method, "target": target, "headers": headers,
                                  "body": body.decode()}).encode()  # fmt: skip
            close = target == "/close"
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            extra = b"Connection: close\r\n" if close else b""
            body_sent = b"" if method == "HEAD" else payload  # a HEAD answer has no body
            writer.write(head % len(payload) + extra + b"\r\n" + body_sent)
            if close:
                break
        await writer.drain()
    writer.close()


class Responses:
    """Collects the responses httptools parses from one client connection."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.done: list[tuple[int, dict[str, str], bytes]] = []
        self._headers: dict[str, str] = {}
        self._body = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self.done.append((self.parser.get_status_code(), self._headers, self._body))
        self._headers, self._body = {}, b""


async def exchange(port: int, raw: bytes, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    got = Responses()
    while len(got.done) < count and (data := await reader.read(65536)):
        got.parser.feed_data(data)
    writer.close()
    return got.done


def serve(test: Callable[[int, int], Awaitable[None]], *routes: dict[str, Any]) -> None:
    async def main() -> None:
        legacy = await asyncio.start_server(fake_monolith, "127.0.0.1", 0)
        legacy_port = legacy.sockets[0].getsockname()[1]
        manifest = build_manifest(list(routes), legacy={"url": f"http://127.0.0.1:{legacy_port}"})
        with ThreadPoolExecutor(2) as pool:
            gateway = LocalGateway(
                build_snapshot(manifest), proxy=LegacyProxy(UpstreamPool()),
                invoker=LambdaInvoker(HandlerRegistry(), pool), rng=random.Random(1),
            )  # fmt: skip
            server = GatewayServer(gateway)
            port = await server.start("127.0.0.1", 0)
            try:
                await test(port, legacy_port)
            finally:
                await server.stop(grace=1.0)
                legacy.close()

    asyncio.run(main())


def test_pipelined_keep_alive_requests_are_answered_in_order() -> None:
    async def check(port: int, _: int) -> None:
        raw = b"".join(
            b"GET /echo?n=%d HTTP/1.1\r\nHost: gw\r\nConnection: X-Hop\r\nX-Hop: 1\r\n\r\n" % n
            for n in range(5)
        )
        done = await exchange(port, raw, 5)
        targets = [json.loads(body)["target"] for _, _, body in done]
        assert targets == [f"/echo?n={n}" for n in range(5)]
        sent = dict(json.loads(done[0][2])["headers"])
        assert "X-Hop" not in sent and sent["X-Forwarded-Host"] == "gw"
        assert done[0][1]["x-migrate-route"] == "legacy-catch-all"

    serve(check)


def test_post_body_reaches_the_monolith_and_connection_close_upstream_is_fine() -> None:
    async def check(port: int, _: int) -> None:
        raw = b"POST /close HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello" * 2
        done = await exchange(port, raw, 2)
        assert [json.loads(body)["body"] for _, _, body in done] == ["hello", "hello"]

    serve(check, route("POST", "/close"))


def test_a_large_chunked_upstream_body_is_relayed_whole() -> None:
    async def check(port: int, _: int) -> None:
        done = await exchange(port, b"GET /big HTTP/1.1\r\nHost: gw\r\n\r\n", 1)
        status, headers, body = done[0]
        assert status == 200 and len(body) == BIG
        assert headers.get("content-length") == str(BIG)  # buffered, as API Gateway does

    serve(check)


def test_declared_body_over_10_mb_is_413_without_reading_it() -> None:
    async def check(port: int, _: int) -> None:
        raw = b"POST /echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 20000000\r\n\r\npartial"
        done = await exchange(port, raw, 1)
        assert done[0][0] == 413 and json.loads(done[0][2]) == {"message": "Request Too Long"}

    serve(check)


def test_monolith_down_is_502() -> None:
    async def check(port: int, legacy_port: int) -> None:
        done = await exchange(port, b"GET /x HTTP/1.1\r\nHost: gw\r\n\r\n", 1)
        assert done[0][0] == 200
        # a port bound but not listening: refused, and no other process can take it
        with socket.socket() as held:
            held.bind(("127.0.0.1", 0))
            dead = held.getsockname()[1]
            pool = UpstreamPool()
            try:
                await pool.send(LegacyBase("http", "127.0.0.1", dead, ""),
                                UpstreamRequest("GET", "/", [], b""), 1.0)  # fmt: skip
            except UpstreamError:
                return
        raise AssertionError("expected UpstreamError")

    serve(check)


def test_bad_request_is_400() -> None:
    async def check(port: int, _: int) -> None:
        done = await exchange(port, b"NOT HTTP AT ALL\r\n\r\n", 1)
        assert done[0][0] == 400

    serve(check)


def test_slow_monolith_is_504_within_the_route_timeout() -> None:
    async def check(port: int, legacy_port: int) -> None:
        pool = UpstreamPool()
        base = LegacyBase("http", "127.0.0.1", legacy_port, "")
        start = asyncio.get_running_loop().time()
        try:
            await pool.send(base, UpstreamRequest("GET", "/hang", [], b""), 0.1)
        except TimeoutError:  # well before the monolith's 5 s (a bound, not a speed claim)
            assert asyncio.get_running_loop().time() - start < 4.0
            return
        finally:
            await pool.close()
        raise AssertionError("expected TimeoutError")

    serve(check)


def test_close_delimited_upstream_body_is_relayed() -> None:
    async def check(port: int, _: int) -> None:
        done = await exchange(port, b"GET /eof HTTP/1.1\r\nHost: gw\r\n\r\n", 1)
        assert done[0][0] == 200 and done[0][2] == b"hello-eof"

    serve(check)


def test_head_through_a_legacy_route_keeps_the_monolith_content_length() -> None:
    async def check(port: int, _: int) -> None:
        get = await exchange(port, b"GET /echo HTTP/1.1\r\nHost: gw\r\n\r\n", 1)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"HEAD /echo HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
        raw = await asyncio.wait_for(reader.read(), 5)  # the gateway closes after the head
        writer.close()
        head, _, rest = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and rest == b""
        lengths = [
            line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        ]
        # the echo names the method, so HEAD's GET would be 1 byte longer than GET's
        assert lengths == [b"Content-Length: %d" % (len(get[0][2]) + 1)]

    serve(check)
