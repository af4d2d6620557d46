"""awslambdaric's transport to the Runtime API, in Python: the ``runtime_client`` module.

``awslambdaric`` (AWS's runtime interface client) does everything a handler can see in
Python: it loads the handler, builds the context, unmarshals the event, marshals the
result and shapes errors (``bootstrap``, ``lambda_runtime_client``). Only the HTTP
exchange with the Runtime API goes through its native ``runtime_client`` extension:
aws-lambda-cpp over libcurl. That extension resets its curl handle and re-parses its
options on every post; measured through ``migrate serve`` at 16 connections it cost about
175 us of worker CPU per invocation more than this module (``bench/bench_gateway.py``,
README "Lambda runtime"). So workers import this module under the extension's name
(``_worker_main``; ``migrate serve --runtime-client native`` keeps the extension).

It speaks what the extension speaks, on one keep-alive connection to
``AWS_LAMBDA_RUNTIME_API``: ``GET .../invocation/next`` (a non-2xx answer or one without
``Lambda-Runtime-Aws-Request-Id`` raises ``RuntimeError``, as the extension does), then
``POST .../{id}/response`` or ``.../{id}/error`` with ``content-type``,
``lambda-runtime-function-xray-error-cause`` (the X-Ray fault, when there is one; an
error's type travels in its JSON body, not in a header: aws-lambda-cpp sends none) and
``content-length``, the same request lines and headers as the extension (a test compares
them). It returns what the extension returns: ``next()`` -> ``(body, headers)`` with the
deadline as an int and absent optional headers as None.

One difference in timing, none in content: a post is sent and not waited for; its
answer is read by the following ``next``, which goes out right behind it (HTTP/1.1
pipelining, answered in order by ``api``). So a worker blocks once per invocation, not
twice, and the gateway gets the result and the request for more in one read (through
``migrate serve`` at 16 connections: context switches per request 4.3 -> 2.8, the
gateway's CPU per request -10%, the workers' -15%). A post the Runtime API
refuses still ends the worker with the extension's ``RuntimeError("Failed to post
invocation response")`` (or ``error``), raised from that ``next`` instead of from the
post. This module must import only the standard library and must not change anything
awslambdaric decides.
"""

from __future__ import annotations

import os
import socket

__all__ = ["initialize_client", "next", "post_error", "post_invocation_result"]

_PREFIX = "/2018-06-01/runtime/invocation/"
_OPTIONAL = (
    "Lambda-Runtime-Trace-Id",
    "Lambda-Runtime-Client-Context",
    "Content-Type",
    "Lambda-Runtime-Cognito-Identity",
    "Lambda-Runtime-Aws-Tenant-Id",
    "Lambda-Runtime-Invocation-Id",
)


class _Connection:
    """One HTTP/1.1 keep-alive connection to the Runtime API (reopened if it closed)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._address = (host.strip("[]"), int(port))
        self.host_header = f"Host: {address}\r\nAccept: */*\r\n"  # as libcurl sends them
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._unread: list[str] = []  # posts sent whose answers are not read yet
        self.user_agent = "aws-lambda-python"

    def send(self, head: str, body: bytes = b"", *, what: str = "") -> socket.socket:
        """Send one request without reading its answer: a post (``what`` names it) is
        answered before the next request's answer, which ``exchange`` reads."""
        sock = self._socket()
        try:
            sock.sendall(head.encode("latin-1") + body)
        except OSError:
            self.close()
            raise
        if what:
            self._unread.append(what)
        return sock

    def exchange(self, head: str) -> tuple[int, dict[str, str], bytes]:
        """Send one request; its status, headers (by their lower-case names) and body,
        after the answers still owed to earlier posts (``RuntimeError`` if one was refused)."""
        sock = self.send(head)
        try:
            while self._unread:
                what = self._unread.pop(0)
                if not 200 <= self._response(sock)[0] < 300:
                    raise RuntimeError(f"Failed to post invocation {what}")  # as the extension
            return self._response(sock)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buffer, self._unread = None, b"", []

    def _socket(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection(self._address)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._sock

    def _response(self, sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
        head = self._until_head(sock)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            self._buffer += self._receive(sock)
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return status, headers, body

    def _until_head(self, sock: socket.socket) -> bytes:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._buffer += self._receive(sock)
        head, self._buffer = self._buffer[:end], self._buffer[end + 4 :]
        return head

    @staticmethod
    def _receive(sock: socket.socket) -> bytes:
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the Runtime API closed the connection")
        return chunk


_CONNECTION = _Connection(os.environ.get("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"))


def initialize_client(user_agent: str) -> None:
    _CONNECTION.user_agent = user_agent


def next() -> tuple[bytes, dict[str, object]]:  # the extension's name, shadowing a builtin
    """The next event and its headers; blocks until the Runtime API has one."""
    head = f"GET {_PREFIX}next HTTP/1.1\r\n{_CONNECTION.host_header}{_agent()}\r\n"
    try:
        status, headers, body = _CONNECTION.exchange(head)
    except (OSError, ValueError, IndexError) as exc:
        raise RuntimeError("Failed to get next") from exc
    request_id = headers.get("lambda-runtime-aws-request-id")
    if not 200 <= status < 300 or request_id is None:
        raise RuntimeError("Failed to get next")
    fields: dict[str, object] = {
        "Lambda-Runtime-Aws-Request-Id": request_id,
        "Lambda-Runtime-Invoked-Function-Arn": headers.get(
            "lambda-runtime-invoked-function-arn", ""
        ),
        "Lambda-Runtime-Deadline-Ms": _int(headers.get("lambda-runtime-deadline-ms", "0")),
    }
    for name in _OPTIONAL:
        fields[name] = headers.get(name.lower()) or None
    return body, fields


def post_invocation_result(
    invoke_id: str, result: bytes, content_type: str, invocation_id: str | None = None
) -> None:
    """The handler's result (``RuntimeError`` unless the Runtime API accepts it)."""
    _post(f"{_PREFIX}{invoke_id}/response", result, content_type, "", "response")


def post_error(
    invoke_id: str, error: str, xray_fault: str, invocation_id: str | None = None
) -> None:
    """The handler's error document (awslambdaric's JSON) and its X-Ray fault."""
    _post(f"{_PREFIX}{invoke_id}/error", error.encode("utf-8"), "application/json",
          xray_fault, "error")  # fmt: skip


def _post(path: str, body: bytes, content_type: str, xray: str, what: str) -> None:
    cause = f"lambda-runtime-function-xray-error-cause: {xray}\r\n" if xray else ""
    head = (
        f"POST {path} HTTP/1.1\r\n{_CONNECTION.host_header}"
        f"content-type: {content_type or 'text/html'}\r\n"
        f"{cause}{_agent()}content-length: {len(body)}\r\n\r\n"
    )
    try:
        _CONNECTION.send(head, body, what=what)
    except OSError as exc:
        raise RuntimeError(f"Failed to post invocation {what}") from exc


def _agent() -> str:
    return f"User-Agent: {_CONNECTION.user_agent}\r\n"


def _int(text: str) -> int:
    digits = text.strip()
    return int(digits) if digits.isdigit() else 0
