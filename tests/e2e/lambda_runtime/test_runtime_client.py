"""awslambdaric's two transports, on the wire: ``_runtime_client`` (Python, the default)
against its native libcurl extension. A worker of each talks to a scripted Runtime API
on a loopback socket; the requests each sends, and how each fails, must be the same."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from router.lambda_runtime import FunctionSpec, runtime_dir
from router.lambda_runtime.sandbox import worker_command, worker_env

HANDLERS = Path(__file__).resolve().parents[1] / "lambda_handlers"
EVENT = b'{"hello": "world"}'
NEXT = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Lambda-Runtime-Aws-Request-Id: rid-1\r\nLambda-Runtime-Deadline-Ms: 99999999999999\r\n"
    b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:1:function:fn\r\n"
    b"Lambda-Runtime-Trace-Id: Root=1-5e1b4151-5ac6c58f3e4c9d9e1d3e9f1a\r\n"
    b"Content-Length: %d\r\n\r\n" % len(EVENT) + EVENT
)
ACCEPTED = (
    b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
    b'Content-Length: 16\r\n\r\n{"status":"OK"}\n'
)
Request = tuple[str, list[str], bytes]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return runtime_dir(tmp_path_factory.mktemp("runtime-cache"))


class Api:
    """One accepted connection of a worker; reads its requests, writes scripted answers."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn, self.buffer = conn, b""
        self.expect_exit = False  # set: the worker must end by itself (its code and output)
        self.exit_code: int | None = None
        self.output = ""

    def request(self) -> Request | None:
        while b"\r\n\r\n" not in self.buffer:
            if not (data := self.conn.recv(65536)):
                return None
            self.buffer += data
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        line, *headers = head.decode("latin-1").split("\r\n")
        length = next(
            (int(h.split(":")[1]) for h in headers if h.lower().startswith("content-length")), 0
        )
        while len(rest) < length:
            rest += self.conn.recv(65536)
        self.buffer = rest[length:]
        return line, [re.sub(r"127\.0\.0\.1:\d+", "ADDRESS", h) for h in headers], rest[:length]


@contextmanager
def worker(runtime: Path, tmp: Path, handler: str, native: bool) -> Iterator[Api]:
    spec = FunctionSpec(name="fn", handler=handler, code_dir=HANDLERS / "basic")
    with socket.create_server(("127.0.0.1", 0)) as server:
        address = f"127.0.0.1:{server.getsockname()[1]}"
        argv = worker_command(spec, runtime, native=native)
        env = worker_env(spec, address, tmp, runtime, "stream")
        output = tmp / f"worker-{native}.log"
        with output.open("wb") as out:
            proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            server.settimeout(20)
            conn, _ = server.accept()
            conn.settimeout(20)
            with conn:
                api = Api(conn)
                yield api
                api.exit_code = proc.wait(timeout=20) if api.expect_exit else None
        finally:
            proc.kill()
            proc.wait()
        api.output = output.read_text(errors="replace")


def _exchange(runtime: Path, tmp: Path, handler: str, native: bool) -> list[Request | None]:
    with worker(runtime, tmp, handler, native) as api:
        first = api.request()
        api.conn.sendall(NEXT)
        result = api.request()
        api.conn.sendall(ACCEPTED)
        return [first, result, api.request()]


@pytest.mark.parametrize("handler", ["fn.trivial", "fn.fail"])
def test_the_python_transport_sends_what_the_extension_sends(
    runtime: Path, tmp_path: Path, handler: str
) -> None:
    native = _exchange(runtime, tmp_path, handler, native=True)
    python = _exchange(runtime, tmp_path, handler, native=False)
    assert python == native
    posted = "error" if "fail" in handler else "response"
    assert [r[0] if r else None for r in python] == [
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1",
        f"POST /2018-06-01/runtime/invocation/rid-1/{posted} HTTP/1.1",
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1",
    ]


def test_the_handler_sees_the_same_event_and_context(runtime: Path, tmp_path: Path) -> None:
    seen = []
    for native in (True, False):
        result = _exchange(runtime, tmp_path, "fn.echo", native)[1]
        assert result is not None
        body = json.loads(json.loads(result[2])["body"])
        seen.append(
            {k: v for k, v in body.items() if k not in ("pid", "loaded_at", "remaining_ms")}
        )
    assert seen[0] == seen[1]
    assert seen[0]["event"] == {"hello": "world"} and seen[0]["request_id"] == "rid-1"


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nno",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    ],
    ids=["error status", "no request id"],
)
def test_a_bad_next_answer_ends_the_worker_with_either_transport(
    runtime: Path, tmp_path: Path, answer: bytes
) -> None:
    for native in (True, False):
        with worker(runtime, tmp_path, "fn.trivial", native) as api:
            api.request()
            api.conn.sendall(answer)
            assert api.request() is None  # no response, no second next: the worker is gone


def test_the_python_transport_asks_for_more_without_waiting_for_the_202(
    runtime: Path, tmp_path: Path
) -> None:
    with worker(runtime, tmp_path, "fn.trivial", native=False) as api:
        api.request()
        api.conn.sendall(NEXT)
        posted, following = api.request(), api.request()  # no 202 sent in between
        assert posted is not None and posted[0].startswith("POST ")
        assert following is not None and following[0].startswith("GET ")


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
def test_a_refused_post_ends_the_worker_as_the_extension_does(
    runtime: Path, tmp_path: Path, native: bool
) -> None:
    refused = b"HTTP/1.1 413 Too Large\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nno"
    with worker(runtime, tmp_path, "fn.trivial", native) as api:
        api.request()
        api.conn.sendall(NEXT)
        assert api.request() is not None  # the result
        api.conn.sendall(refused)
        api.expect_exit = True
    assert api.exit_code not in (0, None)
    assert "Failed to post invocation response" in api.output
