"""The gateway's results writer: one background thread appending JSON lines in batches.

``submit`` and ``count`` are called on the gateway's event loop and never block nor
wake a thread: samples go into a bounded deque (full: dropped and counted) that the
thread drains every ``flush_every`` seconds (so results are on disk at most that long
after they arrive). The thread normalises each ``RawSample`` (JSON parsing, hashing:
off the loop), appends it to its results file (append mode, parents created), writes
the counts of copies dropped or skipped as ``{"kind": "dropped"|"skipped", "count"}``
lines and flushes. Files idle for a while are closed. This module must not know
about routes, HTTP or the manifest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal

from router.history import now_iso
from router.shadow.record import RawSample, count_line

__all__ = ["FLUSH_EVERY_S", "CountKind", "ResultsWriter"]

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 0.5  # at most this long between a sample's arrival and its flush
IDLE_CLOSE_S = 30.0
CountKind = Literal["dropped", "skipped"]  # queue full / over the copy rate


class ResultsWriter:
    """Appends samples to their results files from one daemon thread (started lazily)."""

    def __init__(
        self,
        *,
        max_queue: int = 10_000,
        flush_every: float = FLUSH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pending: deque[tuple[Path, RawSample]] = deque()
        self._max_queue, self._flush_every, self._clock = max_queue, flush_every, clock
        self._files: dict[Path, tuple[IO[str], float]] = {}
        self._counts: Counter[tuple[Path, CountKind]] = Counter()
        self._lock = threading.Lock()  # guards _counts (the loop adds, the thread swaps)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0

    def submit(self, path: Path, raw: RawSample) -> None:
        """Queue a sample for ``path``; dropped and counted when the queue is full."""
        if self._thread is None:
            self._start()
        if len(self._pending) >= self._max_queue:
            self.count(path, "dropped")
        else:
            self._pending.append((path, raw))  # deque.append is atomic: no lock, no wake-up

    def count(self, path: Path, kind: CountKind, n: int = 1) -> None:
        """Count copies of ``path``'s run not made; written at the next flush."""
        if self._thread is None:
            self._start()
        with self._lock:
            self._counts[(path, kind)] += n

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued, flush and close every file, stop the thread."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        self._thread = None

    def _start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="shadow-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._flush_every):
            self._drain()
        self._drain()
        self._close_all()

    def _drain(self) -> None:
        while self._pending:
            self._write(*self._pending.popleft())
        with self._lock:
            counts, self._counts = self._counts, Counter()
        for (path, kind), n in counts.items():
            self._write_line(path, count_line(kind, n, now_iso()))
        self._flush()

    def _write(self, path: Path, raw: RawSample) -> None:
        try:
            line = raw.sample().to_line()
        except Exception:  # one bad sample must not stop the writer
            log.exception("shadow: cannot encode a sample for %s", path)
            return
        self.written += self._write_line(path, line)

    def _write_line(self, path: Path, line: str) -> bool:
        try:
            self._file(path).write(line)
        except OSError:
            log.exception("shadow: cannot write to %s", path)
            return False
        return True

    def _file(self, path: Path) -> IO[str]:
        entry = self._files.get(path)
        handle = entry[0] if entry else _open(path)
        self._files[path] = (handle, self._clock())
        return handle

    def _flush(self) -> None:
        now = self._clock()
        for path, (handle, used) in list(self._files.items()):
            _safely(handle.flush)
            if now - used > IDLE_CLOSE_S:
                _safely(handle.close)
                del self._files[path]

    def _close_all(self) -> None:
        for handle, _used in self._files.values():
            _safely(handle.close)
        self._files.clear()


def _open(path: Path) -> IO[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("a", encoding="utf-8")


def _safely(action: Callable[[], None]) -> None:
    try:
        action()
    except OSError:
        log.exception("shadow: results file error")
