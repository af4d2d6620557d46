"""The Runtime API protocol, fed raw bytes as a worker sends them (no socket)."""

from __future__ import annotations

from typing import Any

from router.lambda_runtime.api import RuntimeApiProtocol, next_answer

PREFIX = b"/2018-06-01/runtime/"


class Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        self.closed = True


class Channel:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.waiting: RuntimeApiProtocol | None = None

    def on_next(self, waiting: RuntimeApiProtocol) -> None:
        self.calls.append(("next",))
        self.waiting = waiting

    def on_result(self, request_id: str, body: bytes, error_type: str | None) -> None:
        self.calls.append(("result", request_id, body, error_type))

    def on_init_error(self, body: bytes, error_type: str | None) -> None:
        self.calls.append(("init", body, error_type))


NEXT = b"GET " + PREFIX + b"invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
ACCEPTED = b"HTTP/1.1 202 Accepted\r\n"


def _connected() -> tuple[Channel, Transport, RuntimeApiProtocol]:
    channel, transport = Channel(), Transport()
    protocol = RuntimeApiProtocol(channel)
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return channel, transport, protocol


def _feed(*requests: bytes) -> tuple[Channel, Transport]:
    channel, transport, protocol = _connected()
    protocol.data_received(b"".join(requests))
    return channel, transport


def _post(path: bytes, body: bytes, *headers: bytes) -> bytes:
    head = b"".join(h + b"\r\n" for h in headers)
    return (
        b"POST " + PREFIX + path + b" HTTP/1.1\r\nHost: x\r\n" + head
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


def test_response_then_error_on_one_connection_each_answered_202() -> None:
    channel, transport = _feed(
        _post(b"invocation/r-1/response", b'{"statusCode": 200}'),
        _post(b"invocation/r-2/error", b"{}", b"Lambda-Runtime-Function-Error-Type: Runtime.X"),
    )
    assert channel.calls == [
        ("result", "r-1", b'{"statusCode": 200}', None),
        ("result", "r-2", b"{}", "Runtime.X"),
    ]
    assert b"".join(transport.written).count(ACCEPTED) == 2


def test_a_result_read_alone_is_answered_at_once() -> None:
    channel, transport, protocol = _connected()  # the native client waits for this 202
    protocol.data_received(NEXT)
    assert transport.written == [] and channel.waiting is protocol
    protocol.answer(b"EVENT-1")
    protocol.data_received(_post(b"invocation/r-1/response", b"{}"))
    assert len(transport.written) == 2 and transport.written[0] == b"EVENT-1"
    assert transport.written[1].startswith(ACCEPTED)


def test_a_result_read_with_the_next_request_is_answered_with_the_next_event() -> None:
    channel, transport, protocol = _connected()
    protocol.data_received(NEXT)
    protocol.answer(b"EVENT-1")
    protocol.data_received(_post(b"invocation/r-1/response", b"{}") + NEXT)
    assert transport.written == [b"EVENT-1"]  # the 202 waits: one write, one wake-up
    assert channel.calls[-2:] == [("result", "r-1", b"{}", None), ("next",)]
    protocol.answer(b"EVENT-2")
    assert len(transport.written) == 2
    assert transport.written[1].startswith(ACCEPTED) and transport.written[1].endswith(b"EVENT-2")


def test_answers_keep_request_order_behind_a_waiting_next() -> None:
    _, transport, protocol = _connected()
    protocol.data_received(NEXT + b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.written == []  # the 404 answers a later request: after the event
    protocol.answer(b"EVENT-1")
    assert transport.written[0].startswith(b"EVENT-1HTTP/1.1 404")


def test_error_without_a_type_is_unhandled_and_init_error_keeps_its_type() -> None:
    channel, _ = _feed(
        _post(b"invocation/r-1/error", b"{}"),
        _post(
            b"init/error", b"{}", b"Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError"
        ),
    )
    assert channel.calls[0] == ("result", "r-1", b"{}", "Unhandled")
    assert channel.calls[1][0] == "init" and channel.calls[1][2] == "Runtime.ImportModuleError"


def test_unknown_paths_are_404_and_garbage_closes() -> None:
    channel, transport = _feed(b"GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
    assert channel.calls == [] and transport.written[0].startswith(b"HTTP/1.1 404")
    _, transport = _feed(b"\x00\x01 not http\r\n\r\n")
    assert transport.closed


def test_next_answer_carries_the_headers_the_runtime_client_needs() -> None:
    answer = next_answer("r-1", 1_700_000_000_000, "arn:fn", "Root=1-a-b", b'{"k": 1}')
    head, body = answer.split(b"\r\n\r\n")
    assert body == b'{"k": 1}'
    for line in (
        b"Content-Type: application/json",  # awslambdaric's native client crashes without it
        b"Lambda-Runtime-Aws-Request-Id: r-1",
        b"Lambda-Runtime-Deadline-Ms: 1700000000000",
        b"Lambda-Runtime-Invoked-Function-Arn: arn:fn",
        b"Lambda-Runtime-Trace-Id: Root=1-a-b",
        b"Content-Length: 8",
    ):
        assert line in head.split(b"\r\n")
