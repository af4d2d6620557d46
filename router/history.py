"""The append-only audit trail of every manifest change (``migration.history.jsonl``).

One JSON object per line, appended under the manifest lock and fsynced. Entries
are never rewritten. The entries of a manifest change are written *ahead* of it,
tagged with a transaction id (``txn``), and only count once the manifest carries
their revision: the store seals them with a ``commit`` marker after the rename, or
``recover`` seals them (``commit`` or ``abort``) on the next locked edit after a
crash. ``entries()`` returns committed entries only, each once. A line torn by a
crash mid-append never belongs to a committed change: readers skip it and the next
append cuts it off. This module must not change the manifest itself.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router.errors import StateError, WriteError
from router.fsio import Writer, os_errors, write_all
from router.sidecars import history_path

__all__ = [
    "ABORT",
    "COMMIT",
    "HistoryEntry",
    "HistoryLog",
    "RouteState",
    "Writer",
    "current_user",
    "history_path_for",
]

COMMIT, ABORT = "commit", "abort"  # the actions of the markers that seal a transaction


@dataclass(frozen=True)
class RouteState:
    """Where a route's traffic goes: ``weight`` is the percent sent to Lambda."""

    target: str
    weight: int = 0
    function: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    revision: int
    time: str
    user: str
    action: str  # init, promote, rollback, apply, ...
    route: str | None = None
    before: RouteState | None = None
    after: RouteState | None = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    txn: str | None = None  # the manifest change this entry belongs to (written ahead)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v not in (None, {})}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HistoryEntry:
        before, after = data.get("before"), data.get("after")
        return cls(
            **{k: v for k, v in data.items() if k not in ("before", "after")},
            before=RouteState(**before) if before else None,
            after=RouteState(**after) if after else None,
        )


def current_user() -> str:
    user = os.environ.get("MIGRATE_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def history_path_for(manifest_path: Path) -> Path:
    return history_path(manifest_path)


class HistoryLog:
    """Append and read entries. Callers append while holding the manifest lock.

    ``manifest_revision`` (the revision the manifest carries now) settles a
    transaction that is not sealed yet; without it such entries are left out.
    """

    def __init__(
        self,
        path: Path,
        *,
        manifest_revision: Callable[[], int] | None = None,
        writer: Writer = os.write,
    ) -> None:
        self.path = path
        self._manifest_revision = manifest_revision
        self._writer = writer

    def append(self, entries: Iterable[HistoryEntry]) -> None:
        """Entries that go with no manifest change (an apply, a progressive step)."""
        self._append(_lines(entries))

    def write_ahead(self, entries: list[HistoryEntry]) -> int | None:
        """Append a manifest change's entries (each with its ``txn``) before the rename.

        Returns the size before them (for ``undo``); on an error nothing is left.
        """
        return self._append(_lines(entries)) if entries else None

    def undo(self, mark: int | None) -> None:
        """Cut the entries written ahead at ``mark`` (the rename did not happen)."""
        if mark is None:
            return
        with suppress(OSError):  # else left for ``recover``, which aborts them
            os.truncate(self.path, mark)

    def seal(self, entry: HistoryEntry) -> None:
        """Append a commit marker after the rename; a failure is left for ``recover``."""
        with suppress(WriteError):
            self._append(_lines([_marker(entry, COMMIT)]), sync=False)

    def recover(self, revision: int) -> None:
        """Seal the last transaction if a crash left it open (the manifest is at ``revision``)."""
        last = self._last_txn()
        if last is None or last.action in (COMMIT, ABORT):
            if self.path.exists():
                self._append(b"", sync=False)  # still cut a line torn by the crash
            return
        self._append(_lines([_marker(last, COMMIT if last.revision <= revision else ABORT)]))

    def entries(self) -> list[HistoryEntry]:
        """The committed entries, in order (markers, aborted and open changes left out)."""
        if not self.path.exists():
            return []
        records = [self._parse(n, line) for n, line in self._lines()]
        status = self._status(records)
        return [r for r in records if r.action not in (COMMIT, ABORT) and status(r.txn)]

    def _status(self, records: list[HistoryEntry]) -> Callable[[str | None], bool]:
        sealed = {r.txn: r.action == COMMIT for r in records if r.action in (COMMIT, ABORT)}
        open_revisions = {r.txn: r.revision for r in records if r.txn and r.txn not in sealed}
        if open_revisions:
            current = self._manifest_revision() if self._manifest_revision else -1
            sealed.update({t: rev <= current for t, rev in open_revisions.items()})
        return lambda txn: txn is None or sealed[txn]

    def _lines(self) -> list[tuple[int, str]]:
        text = self.path.read_text(encoding="utf-8")
        complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
        return [(n, line) for n, line in enumerate(complete.splitlines(), 1) if line.strip()]

    def _parse(self, number: int, line: str) -> HistoryEntry:
        try:
            return HistoryEntry.from_json(json.loads(line))
        except (ValueError, TypeError) as exc:
            raise StateError(f"{self.path}:{number}: unreadable history entry: {exc}") from exc

    def _last_txn(self) -> HistoryEntry | None:
        if not self.path.exists():
            return None
        for line in _reversed_lines(self.path):
            if b'"txn"' in line:
                entry = _loads(line)
                if entry is not None and entry.txn is not None:
                    return entry
        return None

    def _append(self, data: bytes, *, sync: bool = True) -> int:
        existed = os.path.lexists(self.path)
        with os_errors(self.path, "append to the history"):
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                return self._append_fd(fd, data, sync)
            except BaseException:
                if not existed:  # leave no empty file behind
                    self.path.unlink(missing_ok=True)
                raise
            finally:
                os.close(fd)

    def _append_fd(self, fd: int, data: bytes, sync: bool) -> int:
        start = _cut_torn_tail(fd)
        try:
            write_all(fd, data, self._writer)
            if sync:
                os.fsync(fd)
        except BaseException:
            with suppress(OSError):
                os.ftruncate(fd, start)
            raise
        return start


def _lines(entries: Iterable[HistoryEntry]) -> bytes:
    text = "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in entries)
    return text.encode("utf-8")


def _marker(entry: HistoryEntry, action: str) -> HistoryEntry:
    return HistoryEntry(entry.revision, now_iso(), current_user(), action, txn=entry.txn)


def _loads(line: bytes) -> HistoryEntry | None:
    try:
        return HistoryEntry.from_json(json.loads(line))
    except (ValueError, TypeError):
        return None


def _cut_torn_tail(fd: int) -> int:
    """Cut a last line without its newline (a crash mid-append); the size after."""
    size = os.fstat(fd).st_size
    end = size
    while end > 0:
        chunk = os.pread(fd, min(end, 65536), max(0, end - 65536))
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            end = end - len(chunk) + newline + 1
            break
        end -= len(chunk)
    if end != size:
        os.ftruncate(fd, end)
    return end


def _reversed_lines(path: Path, block: int = 65536) -> Iterator[bytes]:
    """The file's complete lines, last first, read in blocks from the end."""
    with path.open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        tail = b""
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            lines = (handle.read(end - start) + tail).split(b"\n")
            tail, end = lines[0], start
            yield from reversed(lines[1:])
        yield tail
