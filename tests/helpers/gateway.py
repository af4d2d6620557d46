"""Builders for the gateway unit tests: a stub upstream, a recording sink, a rig, records.

``Rig`` is a ``LocalGateway`` over a ``StubUpstream`` and a ``ListSink``; the
``rig`` fixture (tests/unit/router/gateway/conftest.py) builds one. This module must
not open sockets: the upstream is scripted and Lambda handlers run in-process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from router.gateway.core import LocalGateway
from router.gateway.messages import GatewayRequest, GatewayResponse
from router.gateway.proxy import UpstreamRequest, UpstreamResponse
from router.gateway.records import RequestRecord
from router.gateway.snapshot import LegacyBase
from tests.helpers.manifests import build_manifest, route

__all__ = [
    "LEGACY",
    "T0",
    "H",
    "ListSink",
    "Rig",
    "StubUpstream",
    "header",
    "lam",
    "manifest_of",
    "rec",
]

H = "tests.unit.router.gateway.handlers"
LEGACY = "http://legacy.internal:5000"
T0 = 1_700_000_000_000  # a request time (epoch ms) for telemetry records


def lam(method: str, path: str, handler: str = "echo", **fields: Any) -> dict[str, Any]:
    return route(method, path, target="lambda", function=f"{H}.{handler}", **fields)


def manifest_of(*routes: dict[str, Any], **top: Any) -> Any:
    top.setdefault("legacy", {"url": LEGACY})
    return build_manifest(list(routes), **top)


@dataclass
class StubUpstream:
    """An UpstreamTransport that records requests and answers from a script."""

    status: int = 200
    body: bytes = b'{"from": "legacy"}'
    headers: list[tuple[str, str]] = field(
        default_factory=lambda: [("Content-Type", "application/json")]
    )
    error: BaseException | None = None
    sent: list[tuple[LegacyBase, UpstreamRequest, float]] = field(default_factory=list)

    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        self.sent.append((base, request, timeout))
        if self.error is not None:
            raise self.error
        return UpstreamResponse(self.status, list(self.headers), self.body)

    async def close(self) -> None:
        return None


@dataclass
class ListSink:
    records: list[RequestRecord] = field(default_factory=list)

    def record(self, rec: RequestRecord) -> None:
        self.records.append(rec)

    def close(self) -> None:
        return None


@dataclass
class Rig:
    gateway: LocalGateway
    upstream: StubUpstream
    sink: ListSink

    def call(self, method: str, target: str, **fields: Any) -> GatewayResponse:
        request = GatewayRequest(method, target, **fields)
        return asyncio.run(self.gateway.handle_request(request))


def header(response: GatewayResponse, name: str) -> list[str]:
    return [v for k, v in response.headers if k.lower() == name.lower()]


def rec(status: int = 200, **fields: object) -> RequestRecord:
    values: dict[str, object] = {
        "request_id": "r-1",
        "request_time_epoch_ms": T0,
        "http_method": "GET",
        "path": "/api/users/5",
        "resource_path": "/api/users/{id}",
        "route_id": "get-api-users-id",
        "target": "lambda",
        "status": status,
        "response_latency_ms": 12.34,
        "integration_latency_ms": 10.0,
        "source_ip": "127.0.0.1",
        "protocol": "HTTP/1.1",
        "response_length": 42,
    }
    values.update(fields)
    return RequestRecord(**values)  # type: ignore[arg-type]
