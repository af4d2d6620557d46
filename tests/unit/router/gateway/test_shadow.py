"""LocalGateway + ShadowTap with a stub upstream and stub handlers, without sockets."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from router.gateway.core import LocalGateway
from router.gateway.lambda_ import HandlerRegistry, LambdaInvoker
from router.gateway.messages import GatewayRequest, GatewayResponse
from router.gateway.proxy import LegacyProxy, UpstreamRequest, UpstreamResponse
from router.gateway.shadow import SHADOW_HEADER, ShadowTap
from router.gateway.snapshot import LegacyBase, build_snapshot
from router.shadow.diff import compare_samples
from router.shadow.files import Results, read_results, results_path
from router.shadow.writer import ResultsWriter
from tests.helpers.gateway import StubUpstream, manifest_of
from tests.helpers.manifests import route

HERE = "tests.unit.router.gateway.test_shadow"
RUN = "run-1"
ROUTE_ID = "get-api-users-id"


def candidate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lambda handler that answers like the stub monolith except for one field."""
    body = {"from": "lambda", "id": event["pathParameters"]["id"]}
    headers = {"Content-Type": "application/json"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps(body)}


def shadowed(method: str = "GET", *, until: float | None = None, side_effects: bool = False,
             **fields: Any) -> dict[str, Any]:  # fmt: skip
    end = time.time() + 60 if until is None else until
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end))
    shadow = {"run_id": RUN, "function": f"{HERE}.candidate", "until": iso,
              "allow_side_effects": side_effects}  # fmt: skip
    return route(method, "/api/users/{id}", shadow=shadow, **fields)


@dataclass
class Rig:
    gateway: LocalGateway
    tap: ShadowTap
    upstream: StubUpstream
    writer: ResultsWriter
    root: Path

    def serve(self, *requests: GatewayRequest, drain: bool = True) -> list[GatewayResponse]:
        async def go() -> list[GatewayResponse]:
            out = [await _read(await self.gateway.handle_request(r)) for r in requests]
            if drain:
                await self.tap.drain()
            return out

        responses = asyncio.run(go())
        self.writer.close()
        return responses

    def results(self, route_id: str = ROUTE_ID) -> Results:
        return read_results(results_path(self.root, route_id, RUN))


async def _read(response: GatewayResponse) -> GatewayResponse:
    """The response with a streamed body read to the end, as the server would."""
    if response.stream is not None:
        response.body = b"".join([chunk async for chunk in response.stream])
        response.stream = None
    return response


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    executor = ThreadPoolExecutor(2)
    yield executor
    executor.shutdown(wait=False, cancel_futures=True)


@pytest.fixture
def rig(tmp_path: Path, pool: ThreadPoolExecutor) -> Callable[..., Rig]:
    def make(*routes: dict[str, Any], upstream: StubUpstream | None = None, **tap: Any) -> Rig:
        stub = upstream or StubUpstream()
        proxy, writer = LegacyProxy(stub), ResultsWriter(flush_every=0.05)
        invoker = LambdaInvoker(HandlerRegistry(), pool)
        shadow = ShadowTap(proxy, invoker, writer, tmp_path, **tap)
        gateway = LocalGateway(
            build_snapshot(manifest_of(*routes)), proxy=proxy, invoker=invoker,
            rng=random.Random(1), shadow=shadow,
        )  # fmt: skip
        return Rig(gateway, shadow, stub, writer, tmp_path)

    return make


def _visible(response: GatewayResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers if k != "x-amzn-RequestId"]
    return response.status, headers, response.body


def test_active_shadow_sends_a_candidate_and_a_secondary_copy(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed())
    (resp,) = r.serve(GatewayRequest("GET", "/api/users/7?x=1"))
    assert resp.body == b'{"from": "legacy"}'
    assert [req.target for _, req, _ in r.upstream.sent] == ["/api/users/7?x=1"] * 2
    marks = [dict(req.headers).get(SHADOW_HEADER) for _, req, _ in r.upstream.sent]
    assert marks == [None, "secondary"]  # the client's request is never marked
    (sample,) = r.results().samples
    assert (sample.method, sample.target) == ("GET", "/api/users/7?x=1")
    assert sample.primary.body == sample.secondary.body == {"from": "legacy"}
    assert sample.candidate.body == {"from": "lambda", "id": "7"}
    assert sample.candidate.headers == {"content-type": "application/json"}


def test_client_response_is_the_same_with_and_without_shadow(rig: Callable[..., Rig]) -> None:
    with_shadow = rig(shadowed()).serve(GatewayRequest("GET", "/api/users/7"))[0]
    without = rig(route("GET", "/api/users/{id}")).serve(GatewayRequest("GET", "/api/users/7"))[0]
    assert _visible(with_shadow) == _visible(without)


def test_unsafe_methods_are_not_copied_by_default(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed("POST"))
    r.serve(GatewayRequest("POST", "/api/users/7", body=b"{}"))
    assert len(r.upstream.sent) == 1 and r.results().samples == ()
    assert r.tap.stats.queued == 0


def test_side_effects_allowed_copies_unsafe_methods(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed("POST", side_effects=True, id="post-users"))
    r.serve(GatewayRequest("POST", "/api/users/7", body=b"{}"))
    assert len(r.upstream.sent) == 2
    assert [s.method for s in r.results("post-users").samples] == ["POST"]


def test_expired_shadow_copies_nothing(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed(until=time.time() - 1))
    r.serve(GatewayRequest("GET", "/api/users/7"))
    assert len(r.upstream.sent) == 1 and r.tap.stats.queued == 0


def test_routes_without_shadow_are_never_tapped(rig: Callable[..., Rig]) -> None:
    r = rig(route("GET", "/api/users/{id}"))
    r.serve(GatewayRequest("GET", "/api/users/7"))
    assert len(r.upstream.sent) == 1 and r.tap.stats.queued == 0


def test_full_queue_drops_and_counts(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed(), queue_size=1, workers=0)  # nobody consumes: the 2nd copy is dropped
    requests = [GatewayRequest("GET", f"/api/users/{n}") for n in range(3)]
    responses = r.serve(*requests, drain=False)
    assert [resp.status for resp in responses] == [200] * 3
    assert (r.tap.stats.queued, r.tap.stats.dropped) == (1, 2)
    assert r.results().dropped == 2


def test_copies_over_the_rate_are_skipped_and_counted(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed(), max_rate=1.0)  # a bucket of 1: the first request only
    r.serve(*[GatewayRequest("GET", f"/api/users/{n}") for n in range(4)])
    assert (r.tap.stats.queued, r.tap.stats.skipped) == (1, 3)
    results = r.results()
    assert (len(results.samples), results.skipped) == (1, 3)


@dataclass
class StreamingUpstream(StubUpstream):
    chunks: tuple[bytes, ...] = (b'{"a": ', b"1}")

    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        self.sent.append((base, request, timeout))

        async def stream() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                yield chunk

        return UpstreamResponse(200, [("Content-Type", "application/json")], b"", stream())


def test_streamed_primary_is_passed_through_and_captured(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed(), upstream=StreamingUpstream())
    (resp,) = r.serve(GatewayRequest("GET", "/api/users/7"))
    assert resp.body == b'{"a": 1}'
    (sample,) = r.results().samples
    assert sample.primary.body == sample.secondary.body == {"a": 1}


def test_body_over_the_capture_limit_is_compared_by_status_only(rig: Callable[..., Rig]) -> None:
    upstream = StreamingUpstream(chunks=(b"x" * 60, b"y" * 60))
    r = rig(shadowed(), upstream=upstream, capture_limit=100)
    (resp,) = r.serve(GatewayRequest("GET", "/api/users/7"))
    assert resp.body == b"x" * 60 + b"y" * 60  # the client still gets every byte
    (sample,) = r.results().samples
    assert sample.primary.body_kind == "truncated" and sample.primary.length == 120
    assert r.tap.stats.truncated == 1


def test_a_failing_candidate_never_touches_the_client(rig: Callable[..., Rig]) -> None:
    r = rig(shadowed(), upstream=StubUpstream(status=500, body=b"oops", headers=[]))
    (resp,) = r.serve(GatewayRequest("GET", "/api/users/7"))
    assert resp.status == 500 and resp.body == b"oops"
    (sample,) = r.results().samples
    assert sample.primary.body_kind == "sha256" and sample.candidate.status == 200


@dataclass
class NoisyUpstream(StubUpstream):
    """A monolith whose answer carries a per-call value (a timestamp-like field)."""

    calls: int = 0

    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        self.sent.append((base, request, timeout))
        self.calls += 1
        body = json.dumps({"from": "legacy", "at": self.calls}).encode()
        return UpstreamResponse(200, [("Content-Type", "application/json")], body)


def test_a_per_call_field_of_the_monolith_is_noise_not_a_mismatch(
    rig: Callable[..., Rig],
) -> None:
    r = rig(shadowed(), upstream=NoisyUpstream())
    r.serve(*[GatewayRequest("GET", "/api/users/7") for _ in range(10)])
    report = compare_samples(r.results().samples)
    assert report.samples == 10
    assert {p.path for p in report.noise} == {"at"}  # differs between two monolith calls
    assert {p.path for p in report.mismatches} == {"from", "id"}  # differs only for the handler
