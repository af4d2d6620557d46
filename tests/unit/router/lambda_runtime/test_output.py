"""The worker output pipe: whole lines, never blocking, long lines cut, nothing lost."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from router.lambda_runtime.output import MAX_LINE, PIPE_BYTES, OutputPipe

_F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)


@pytest.fixture
def pipe() -> OutputPipe:
    return OutputPipe()


def test_lines_come_whole_and_a_partial_one_waits(pipe: OutputPipe) -> None:
    os.write(pipe.write_fd, b"one\ntwo\nthr")
    assert pipe.drain() == ["one", "two"]
    assert pipe.drain() == []  # nothing new: no read blocks
    os.write(pipe.write_fd, b"ee\n")
    assert pipe.drain() == ["three"]
    os.write(pipe.write_fd, b"last, unterminated")
    assert pipe.close() == ["last, unterminated"]
    assert pipe.drain() == [] and pipe.close() == []


def test_a_line_over_the_limit_is_cut(pipe: OutputPipe) -> None:
    os.write(pipe.write_fd, b"y" * (MAX_LINE + 10))  # no newline yet
    lines = pipe.drain()
    assert [len(line) for line in lines] == [MAX_LINE, 10]
    os.write(pipe.write_fd, b"z" * 5 + b"\n")
    assert pipe.drain() == ["zzzzz"]
    pipe.close()


def test_undecodable_bytes_are_replaced(pipe: OutputPipe) -> None:
    os.write(pipe.write_fd, b"caf\xe9\n")
    assert pipe.drain() == ["caf\ufffd"]
    pipe.close()


def test_the_pipe_holds_a_mebibyte_between_drains(pipe: OutputPipe) -> None:
    size = fcntl.fcntl(pipe.write_fd, _F_GETPIPE_SZ)
    if int(Path("/proc/sys/fs/pipe-max-size").read_text()) >= PIPE_BYTES:
        assert size == PIPE_BYTES
    os.set_blocking(pipe.write_fd, False)
    written = 0
    line = b"x" * 1023 + b"\n"
    try:
        while written < 4 << 20:
            written += os.write(pipe.write_fd, line)
    except BlockingIOError:
        pass
    assert written >= size  # a writer blocks only once the pipe is full
    assert sum(len(text) + 1 for text in pipe.drain()) == written
    pipe.close()


def test_end_of_file_after_the_writer_closes(pipe: OutputPipe) -> None:
    writer = os.dup(pipe.write_fd)
    pipe.close_writer()
    os.write(writer, b"bye\n")
    os.close(writer)
    assert pipe.drain() == ["bye"]
    assert pipe.close() == []
