"""A strict HTTP/1.1 client for the consumer tests: h11 plus a framing-header count.

h11 rejects malformed responses (conflicting lengths, bad framing) but quietly merges
two equal ``Content-Length`` headers, which Node's parser rejects ("Duplicate
Content-Length"); so the raw head is also kept and its framing lines counted.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import h11

__all__ = ["Answer", "strict_request"]

FRAMING = ("content-length", "transfer-encoding")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]  # as sent, in order, names lower-cased
    body: bytes
    framing_lines: int  # Content-Length and Transfer-Encoding lines in the raw head

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]


def strict_request(
    base: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    timeout: float = 30.0,
    http_version: str = "1.1",
) -> Answer:
    """One request on a new connection, parsed by h11.

    HTTP/1.1 requests say ``Connection: close``; an HTTP/1.0 one is sent without any
    header line (h11 still reads the answer).
    """
    host, _, port = base.removeprefix("http://").partition(":")
    sent = [("Host", f"{host}:{port}"), ("Connection", "close"), *(headers or [])]
    if body or method in ("POST", "PUT", "PATCH"):
        sent.append(("Content-Length", str(len(body))))
    conn = h11.Connection(h11.CLIENT)
    wire = conn.send(h11.Request(method=method, target=target, headers=sent))
    wire += conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage())
    if http_version == "1.0":  # h11 only writes HTTP/1.1: the bare request by hand
        wire = f"{method} {target} HTTP/1.0\r\n\r\n".encode() + body
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(wire)
        return _receive(conn, sock)


def _receive(conn: h11.Connection, sock: socket.socket) -> Answer:
    raw, chunks, response = b"", [], None
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = sock.recv(65536)
            raw += data if response is None else b""
            conn.receive_data(data)
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    assert response is not None
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]
    framing = sum(1 for line in head if line.split(b":", 1)[0].strip().lower().decode() in FRAMING)
    pairs = [(k.decode().lower(), v.decode("latin-1")) for k, v in response.headers]
    return Answer(response.status_code, pairs, b"".join(chunks), framing)
