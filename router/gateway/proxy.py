"""Forward a legacy route to the monolith: safe upstream URL, header rules, error mapping.

The upstream target is always the legacy base path + the matched resource's path
template with the raw segments of the normalised request path (``normalise``), like
API Gateway's ``http_proxy`` integration ``uri``: the request path can never pick
another host (``//evil.example/x``, ``/%2F%2Fevil``, ``..`` segments and absolute-form
targets all stay on the monolith). Hop-by-hop headers are dropped both ways; ``X-Forwarded-*``
are set. The bytes on the wire belong to an ``UpstreamTransport`` (``upstream``).
This module must not open sockets or know about Lambda.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from router.gateway.messages import (
    ENDPOINT_TIMED_OUT,
    INTERNAL_ERROR,
    GatewayRequest,
    GatewayResponse,
    Headers,
    json_error,
)
from router.gateway.snapshot import LegacyBase

__all__ = [
    "HOP_BY_HOP",
    "LegacyProxy",
    "UpstreamError",
    "UpstreamRequest",
    "UpstreamResponse",
    "UpstreamTransport",
    "forward_headers",
    "response_headers",
    "split_target",
]

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
)  # plus every "proxy-*" header and the names listed in Connection
_REPLACED = frozenset({"host", "content-length", "expect", "x-forwarded-proto", "x-forwarded-host"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass(slots=True)  # not frozen: frozen dataclasses are slower to build, per request
class UpstreamRequest:
    method: str
    target: str  # origin-form: "/base/api/users/5?x=1"
    headers: Headers
    body: bytes


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: Headers  # as received; ``response_headers`` filters them
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None  # set when the body was still arriving
    length: int | None = None  # the declared Content-Length, when given (also for HEAD)


class UpstreamError(Exception):
    """The monolith could not be reached or broke the connection (-> 502)."""


class UpstreamTransport(Protocol):
    async def send(
        self, base: LegacyBase, request: UpstreamRequest, timeout: float
    ) -> UpstreamResponse:
        """Send ``request``; TimeoutError past ``timeout`` (to the whole response), else
        UpstreamError."""
        ...

    async def close(self) -> None:
        """Close pooled connections."""
        ...


def split_target(target: str) -> tuple[str, str] | None:
    """(path, raw query) of a request-target; absolute-form keeps only its path."""
    target = target.partition("#")[0]
    if not target.startswith("/"):
        scheme, sep, rest = target.partition("://")
        if not sep or not scheme.isalpha():
            return None
        target = "/" + rest.partition("/")[2]
    path, _, query = target.partition("?")
    return path, query


def _dropped(headers: Headers) -> frozenset[str]:
    """Hop-by-hop names: the fixed set plus the tokens listed in ``Connection``."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    return HOP_BY_HOP | named if named else HOP_BY_HOP


def forward_headers(
    request: GatewayRequest, base: LegacyBase, *, forwarded_for: str | None = None
) -> Headers:
    """Headers for the monolith: hop-by-hop dropped, Host replaced, X-Forwarded-* set."""
    out: Headers = [("Host", base.host_header)]
    host, xff = _copy_end_to_end(request.headers, out)
    client = forwarded_for or request.source_ip
    out.append(("X-Forwarded-For", f"{xff}, {client}" if xff else client))
    out.append(("X-Forwarded-Proto", request.scheme))
    out.append(("X-Forwarded-Host", host or base.host_header))
    if request.body or request.method in _BODY_METHODS:
        out.append(("Content-Length", str(len(request.body))))
    return out


def _copy_end_to_end(headers: Headers, out: Headers) -> tuple[str | None, str | None]:
    """Append the end-to-end headers to ``out``; the client's Host and its
    X-Forwarded-For chain (repeated headers joined), which the caller replaces."""
    drop = _dropped(headers)
    host = xff = None
    for name, value in headers:
        lower = name.lower()
        if lower == "host":
            host = value
        elif lower == "x-forwarded-for":
            xff = value if xff is None else f"{xff}, {value}"
        elif lower not in drop and lower not in _REPLACED and not lower.startswith("proxy-"):
            out.append((name, value))
    return host, xff


def response_headers(headers: Headers) -> Headers:
    """The monolith's response headers without hop-by-hop ones and framing."""
    drop = _dropped(headers)
    return [
        (name, value)
        for name, value in headers
        if (lower := name.lower()) not in drop
        and lower != "content-length"
        and not lower.startswith("proxy-")
    ]


class LegacyProxy:
    """Sends a matched legacy request through the transport; maps failures to 502/504."""

    def __init__(
        self, transport: UpstreamTransport, *, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self._transport = transport
        self._clock = clock

    async def forward(
        self, request: GatewayRequest, base: LegacyBase, target: str, timeout: float
    ) -> tuple[GatewayResponse, float]:
        """The monolith's response and the integration latency in ms."""
        upstream = UpstreamRequest(
            request.method, base.base_path + target, forward_headers(request, base), request.body
        )
        start = self._clock()
        try:
            got = await self._transport.send(base, upstream, timeout)
        except TimeoutError:
            log.warning("legacy %s %s: no response within %.1f s", request.method, target, timeout)
            return json_error(504, ENDPOINT_TIMED_OUT), (self._clock() - start) * 1000
        except UpstreamError as exc:
            log.warning("legacy %s %s: %s", request.method, target, exc)
            return json_error(502, INTERNAL_ERROR), (self._clock() - start) * 1000
        elapsed = (self._clock() - start) * 1000
        headers = response_headers(got.headers)
        return GatewayResponse(got.status, headers, got.body, got.stream, got.length), elapsed

    async def close(self) -> None:
        await self._transport.close()
