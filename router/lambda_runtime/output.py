"""A worker's stdout and stderr: one pipe the gateway drains when it chooses.

Lambda sends what a function prints to CloudWatch Logs; here it goes to the gateway's
log. A pipe watched by the event loop woke the gateway on every line a handler printed:
at 16 connections that wake-up (and the worker's lost core) cost about 250 us of CPU per
invocation, more than the handler's query (``bench/bench_gateway.py``). So the read end
is never watched: the invoker drains it when an invocation ends (its lines then sit
between START and END, as in CloudWatch), when init ends, when the worker is killed and
every ``DRAIN_S`` (output between invocations, or from a long one). The pipe is grown to
1 MiB where the kernel allows, so a worker blocks on a write only if it prints more than
that between two drains: back-pressure, never loss. A line is cut at ``MAX_LINE`` bytes
(CloudWatch's limit on one event is 256 KiB).

This module must not log or know about invocations: its caller names the lines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os

__all__ = ["DRAIN_S", "MAX_LINE", "OutputPipe"]

DRAIN_S = 0.1  # how often the invoker drains every environment's pipe
MAX_LINE = 256 * 1024
PIPE_BYTES = 1 << 20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


class OutputPipe:
    """The pipe a worker writes its output to; ``drain`` returns whole lines."""

    def __init__(self) -> None:
        self._read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC)
        os.set_blocking(self._read_fd, False)
        with contextlib.suppress(OSError):  # over pipe-max-size or the user's quota
            fcntl.fcntl(self.write_fd, _F_SETPIPE_SZ, PIPE_BYTES)
        self._partial = b""

    def close_writer(self) -> None:
        """The gateway's copy of the write end (the worker holds its own)."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def drain(self) -> list[str]:
        """The complete lines written since the last drain (never blocks)."""
        data = self._read_available()
        if not data:
            return []
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        if len(self._partial) > MAX_LINE:
            lines.append(self._partial)
            self._partial = b""
        return [text for line in lines for text in _cut(line)]

    def close(self) -> list[str]:
        """The last lines (the unterminated one too); the pipe is closed."""
        if self._read_fd < 0:
            return []
        self.close_writer()
        lines = self.drain()
        if self._partial:
            lines.extend(_cut(self._partial))
            self._partial = b""
        os.close(self._read_fd)
        self._read_fd = -1
        return lines

    def _read_available(self) -> bytes:
        chunks: list[bytes] = []
        if self._read_fd < 0:
            return b""
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(self._read_fd, PIPE_BYTES):
                chunks.append(chunk)
        return b"".join(chunks)


def _cut(line: bytes) -> list[str]:
    """``line`` in pieces of at most ``MAX_LINE`` bytes (the limit is CloudWatch's, in bytes)."""
    pieces = range(0, max(len(line), 1), MAX_LINE)
    return [line[start : start + MAX_LINE].decode("utf-8", "replace") for start in pieces]
