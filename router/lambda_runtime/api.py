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
default). Answers go out in request order (HTTP/1.1 pipelining): the project's runtime
transport (``_runtime_client``) sends a result and the following ``next`` back to back;
when both arrive in one read, the result's 202 waits for the ``next`` answer and goes
out in the same write (one write and one worker wake-up fewer per invocation). A result
read alone is answered at once: the native client waits for it before asking for more.
This module must not start processes or map results: ``environment`` does.
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

    def on_next(self, waiting: RuntimeApiProtocol) -> None: ...
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
        self._answers: list[bytes | None] = []  # in request order; None: a next not answered

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            log.warning("runtime API: unparsable request from a worker; closing")
            self.close()
            return
        if self._answers and self._answers[-1] is not None:  # nothing asked after them
            self._flush()

    def answer(self, data: bytes) -> None:
        """Answer the oldest waiting ``next`` (with the answers held before it)."""
        self._answers[self._answers.index(None)] = data
        self._flush()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _flush(self) -> None:
        """Write the answers ready in order, up to the first unanswered ``next``."""
        ready = self._answers.index(None) if None in self._answers else len(self._answers)
        out = cast(list[bytes], self._answers[:ready])
        del self._answers[:ready]
        if out and self._transport is not None:
            self._transport.write(b"".join(out))

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
        if not self._url.startswith(_PREFIX):
            self._answers.append(_NOT_FOUND)
            return
        self._dispatch(self._url[len(_PREFIX) :].split(b"/"))

    def _dispatch(self, parts: list[bytes]) -> None:
        body = b"".join(self._body)
        if parts == [b"invocation", b"next"]:
            self._answers.append(None)
            self._channel.on_next(self)
        elif len(parts) == 3 and parts[0] == b"invocation" and parts[2] in (b"response", b"error"):
            self._answers.append(_ACCEPTED)
            error_type = (self._error_type or "Unhandled") if parts[2] == b"error" else None
            self._channel.on_result(parts[1].decode("latin-1"), body, error_type)
        elif parts == [b"init", b"error"]:
            self._answers.append(_ACCEPTED)
            self._channel.on_init_error(body, self._error_type)
        else:
            self._answers.append(_NOT_FOUND)
