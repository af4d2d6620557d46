"""Lambda's Runtime API (version 2018-06-01) for one execution environment, on asyncio.

AWS's reference ("Using the Lambda runtime API for custom runtimes", docs.aws.amazon.com/
lambda/latest/dg/runtimes-api.html): the runtime polls ``GET /2018-06-01/runtime/
invocation/next`` (the answer's body is the event; ``Lambda-Runtime-Aws-Request-Id``,
``Lambda-Runtime-Deadline-Ms``, ``Lambda-Runtime-Invoked-Function-Arn`` and
``Lambda-Runtime-Trace-Id`` carry the rest), then posts ``.../invocation/{id}/response``
or ``.../invocation/{id}/error`` (``Lambda-Runtime-Function-Error-Type``), or
``/runtime/init/error`` when the handler cannot be loaded; each post is answered 202.

Each environment gets its own listening socket (``AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT``,
the form the runtime client expects): the socket a request arrives on names the
environment, so one worker can never answer another's invocation and no path needs
parsing beyond the fixed prefix. ``awslambdaric``'s native client crashes on a ``next``
answer without ``Content-Type``, so every answer carries one; each is a single write
(delayed ACKs otherwise cost tens of ms per invoke) on a TCP_NODELAY socket (the loop's
default). This module must not start processes or map results: ``environment`` does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, cast

import httptools

__all__ = ["Channel", "RuntimeApiProtocol", "next_answer"]

log = logging.getLogger(__name__)

_PREFIX = b"/2018-06-01/runtime/"
_ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
    b'Content-Length: 16\r\n\r\n{"status":"OK"}\n'
)
_NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
    b'Content-Length: 28\r\n\r\n{"errorMessage":"not found"}'
)
_ERROR_TYPE = b"lambda-runtime-function-error-type"


class Channel(Protocol):
    """What the Runtime API tells its environment."""

    def on_next(self, transport: asyncio.Transport) -> None: ...
    def on_result(self, request_id: str, body: bytes, error_type: str | None) -> None: ...
    def on_init_error(self, body: bytes, error_type: str | None) -> None: ...


def next_answer(request_id: str, deadline_ms: int, arn: str, trace_id: str, event: bytes) -> bytes:
    """The ``/invocation/next`` answer, head and body in one buffer (one write)."""
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Lambda-Runtime-Aws-Request-Id: {request_id}\r\n"
        f"Lambda-Runtime-Deadline-Ms: {deadline_ms}\r\n"
        f"Lambda-Runtime-Invoked-Function-Arn: {arn}\r\n"
        f"Lambda-Runtime-Trace-Id: {trace_id}\r\n"
        f"Content-Length: {len(event)}\r\n\r\n"
    )
    return head.encode("latin-1") + event


class RuntimeApiProtocol(asyncio.Protocol):
    """One keep-alive connection from the runtime client; requests go to ``channel``."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body: list[bytes] = []
        self._error_type: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            log.warning("runtime API: unparsable request from a worker; closing")
            if self._transport is not None:
                self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url, self._body, self._error_type = b"", [], None

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == _ERROR_TYPE:
            self._error_type = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        transport = self._transport
        assert transport is not None
        if not self._url.startswith(_PREFIX):
            transport.write(_NOT_FOUND)
            return
        self._dispatch(transport, self._url[len(_PREFIX) :].split(b"/"))

    def _dispatch(self, transport: asyncio.Transport, parts: list[bytes]) -> None:
        body = b"".join(self._body)
        if parts == [b"invocation", b"next"]:
            self._channel.on_next(transport)
        elif len(parts) == 3 and parts[0] == b"invocation" and parts[2] in (b"response", b"error"):
            transport.write(_ACCEPTED)
            error_type = (self._error_type or "Unhandled") if parts[2] == b"error" else None
            self._channel.on_result(parts[1].decode("latin-1"), body, error_type)
        elif parts == [b"init", b"error"]:
            transport.write(_ACCEPTED)
            self._channel.on_init_error(body, self._error_type)
        else:
            transport.write(_NOT_FOUND)
