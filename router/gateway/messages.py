"""Framework-neutral HTTP request/response values the local gateway passes around.

``GatewayRequest`` is what the HTTP shell (``server``) hands the core; the core answers
with a ``GatewayResponse``. Tests build them directly, without sockets. This module
must not do I/O, parse HTTP bytes, or know about routes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

__all__ = [
    "ENDPOINT_TIMED_OUT",
    "INTERNAL_ERROR",
    "MAX_REQUEST_BYTES",
    "MISSING_TOKEN",
    "REQUEST_TOO_LONG",
    "GatewayRequest",
    "GatewayResponse",
    "Headers",
    "first_header",
    "json_error",
]

Headers = list[tuple[str, str]]
"""Header (name, value) pairs in wire order; names keep the sender's case."""

MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway REST payload quota (10 MB)
REQUEST_TOO_LONG = "Request Too Long"  # gateway response REQUEST_TOO_LARGE (413)
INTERNAL_ERROR = "Internal server error"  # malformed Lambda result / function error (502)
ENDPOINT_TIMED_OUT = "Endpoint request timed out"  # integration timeout (504)
MISSING_TOKEN = "Missing Authentication Token"  # no resource matched (403)


@dataclass(slots=True)
class GatewayRequest:
    """One client request, body fully read (API Gateway buffers request bodies too)."""

    method: str
    target: str  # the raw request-target: "/a/b?x=1" (or absolute-form)
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    scheme: str = "http"
    protocol: str = "HTTP/1.1"
    too_large: bool = False  # the body passed MAX_REQUEST_BYTES and was dropped


@dataclass(slots=True)
class GatewayResponse:
    """Status, headers and a body given whole (``body``) or as chunks (``stream``)."""

    status: int
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    length: int | None = None  # declared Content-Length: of a stream, or of a HEAD's GET


def json_error(status: int, message: str) -> GatewayResponse:
    """An API Gateway style error: ``{"message": ...}`` as JSON."""
    body = json.dumps({"message": message}).encode()
    return GatewayResponse(status, [("Content-Type", "application/json")], body)


def first_header(headers: Headers, name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None
