"""The append-only audit trail of every manifest change (``migration.history.jsonl``).

One JSON object per line, appended under the manifest lock and fsynced. Entries
are never rewritten. This module must not change the manifest itself.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from router.errors import StateError

__all__ = ["HistoryEntry", "HistoryLog", "RouteState", "current_user", "history_path_for"]


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
    return manifest_path.with_name(manifest_path.stem + ".history.jsonl")


class HistoryLog:
    """Append and read entries. Callers append while holding the manifest lock."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entries: Iterable[HistoryEntry]) -> None:
        lines = "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in entries)
        if not lines:
            return
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> list[HistoryEntry]:
        if not self.path.exists():
            return []
        return [self._parse(n, line) for n, line in self._lines()]

    def _lines(self) -> list[tuple[int, str]]:
        text = self.path.read_text(encoding="utf-8")
        return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]

    def _parse(self, number: int, line: str) -> HistoryEntry:
        try:
            return HistoryEntry.from_json(json.loads(line))
        except (ValueError, TypeError) as exc:
            raise StateError(f"{self.path}:{number}: unreadable history entry: {exc}") from exc
