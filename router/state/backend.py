"""The S3 state backend: the manifest's current revision and its history as S3 objects.

Layout under ``s3://bucket/prefix``:

* ``manifest.json``: the head, ``{"revision", "since", "manifest" (the YAML text),
  "change"}``; ``change`` is the transaction that made this revision (its id and
  history entries), ``since`` the first revision this backend held. A revision lands
  by one conditional ``PutObject`` of the head (``IfMatch`` on the ETag read;
  ``IfNoneMatch: *`` for the first): that write is the commit point, and with the
  bucket's versioning every head ever written stays readable.
* ``history/<revision>/0-change.json``: the change that made the revision, copied
  from the head right after the commit with ``IfNoneMatch: *`` (a copy is never
  written twice). A writer that died between the two left a gap: readers fill it from
  the head's versions (``ListObjectVersions``) and write the copy, so no entry is lost.
* ``history/<revision>/1-<time>-<id>.json``: entries that change no manifest (apply,
  progressive steps, lock breaks), each object created once.

Keys sort by revision, so a listing reads the history in order. This module must
not decide what a change is (``router.routes``) nor retry one (``router.state.store``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from router.aws.state_s3 import StateBucket, Unchanged
from router.errors import StateBackendError, StateConflict, StateError, StranglerError
from router.history import HistoryEntry, now_iso
from router.state.location import StateLocation

__all__ = ["Head", "S3Backend"]

HEAD = "manifest.json"
HISTORY = "history/"
READERS = 8  # history objects read at once


@dataclass(frozen=True)
class Head:
    """The backend's current revision: manifest text, ETag, and the change that made it."""

    revision: int
    text: str
    etag: str
    txn: str | None = None
    entries: list[HistoryEntry] = field(default_factory=list)
    since: int = 0


class S3Backend:
    """Head and history objects of one state location (see the module doc)."""

    def __init__(self, bucket: StateBucket, location: StateLocation) -> None:
        self.bucket = bucket
        self.location = location
        self._checked = False

    @property
    def url(self) -> str:
        return self.location.url

    def check(self) -> None:
        """Versioning must be on (checked once per backend object)."""
        if not self._checked:
            self.bucket.check_versioning()
            self._checked = True

    def head(self, version_id: str | None = None) -> Head | None:
        self.check()
        found = self.bucket.get(self.location.key(HEAD), version_id)
        if found is None:
            return None
        return _head(json.loads(found.body), found.etag, self.url)

    def head_if_changed(self, etag: str | None) -> Head | Unchanged | None:
        """The head unless it still has ``etag`` (one conditional read: no body when
        unchanged), or None when the backend holds none."""
        self.check()
        found = self.bucket.get_changed(self.location.key(HEAD), etag)
        if found is None or isinstance(found, Unchanged):
            return found
        return _head(json.loads(found.body), found.etag, self.url)

    def require_head(self) -> Head:
        head = self.head()
        if head is None:
            raise StateBackendError(
                f"{self.url}: the state backend holds no manifest yet",
                hint="upload this project's state with `migrate state push`",
            )
        return head

    def commit(
        self, base: Head | None, text: str, revision: int, entries: list[HistoryEntry]
    ) -> Head:
        """Make ``revision`` the head if the head is still ``base``; ``StateConflict`` if not."""
        txn = uuid.uuid4().hex
        entries = [_with(e, revision, txn) for e in entries]
        since = base.since if base else revision
        body = {"revision": revision, "since": since, "manifest": text}
        body["change"] = _change(txn, entries)
        etag = self.bucket.put(
            self.location.key(HEAD), _dumps(body), if_match=base.etag if base else None
        )
        head = Head(revision, text, etag, txn, entries, since)
        with suppress(StranglerError):  # landed; a failed copy is a gap readers fill
            self.put_change(revision, txn, entries)
        return head

    def put_change(self, revision: int, txn: str, entries: list[HistoryEntry]) -> None:
        """A revision's change copied into the history, unless it is there already."""
        with suppress(StateConflict):
            self.bucket.put(self._change_key(revision), _dumps(_change(txn, entries)))

    def append(self, entries: Iterable[HistoryEntry]) -> None:
        """Entries that go with no manifest change, one new object each batch."""
        batch = list(entries)
        if not batch:
            return
        name = f"1-{now_iso()}-{uuid.uuid4().hex[:12]}.json"
        key = self.location.key(f"{HISTORY}{batch[0].revision:010d}/{name}")
        self.bucket.put(key, _dumps({"entries": [e.to_json() for e in batch]}))

    def change_at(self, revision: int) -> list[HistoryEntry]:
        """The entries of the change that made ``revision`` (from the head's versions if
        its copy is missing)."""
        found = self.bucket.get(self._change_key(revision))
        if found is not None:
            return _entries(json.loads(found.body), self.url)
        return self._from_versions({revision}).get(revision, [])

    def entries(self) -> list[HistoryEntry]:
        """The whole history, oldest first; gaps filled from the head's versions."""
        head = self.head()
        if head is None:
            return []
        keys = self.bucket.keys(self.location.key(HISTORY))
        with ThreadPoolExecutor(max_workers=READERS) as pool:  # boto3 clients are thread-safe
            bodies = list(pool.map(self.bucket.get, keys))
        objects = {
            key: _entries(json.loads(obj.body), key)
            for key, obj in zip(keys, bodies, strict=True)
            if obj is not None
        }
        wanted = set(range(head.since, head.revision + 1))
        missing = wanted - {e.revision for e in _flat(objects) if e.txn is not None}
        for revision, entries in self._from_versions(missing).items():
            objects[self._change_key(revision)] = entries
        return _flat({k: objects[k] for k in sorted(objects)})

    def _from_versions(self, revisions: set[int]) -> dict[int, list[HistoryEntry]]:
        """The changes of ``revisions`` read from the head's versions, and copied."""
        found: dict[int, list[HistoryEntry]] = {}
        if not revisions:
            return found
        for version in self.bucket.versions(self.location.key(HEAD)):
            head = self.head(version)
            if head is not None and head.revision in revisions and head.txn is not None:
                found[head.revision] = head.entries
                self.put_change(head.revision, head.txn, head.entries)
            if head is not None and head.revision < min(revisions):
                break
        return found

    def _change_key(self, revision: int) -> str:
        return self.location.key(f"{HISTORY}{revision:010d}/0-change.json")


def _flat(objects: dict[str, list[HistoryEntry]]) -> list[HistoryEntry]:
    return [e for entries in objects.values() for e in entries]


def _with(entry: HistoryEntry, revision: int, txn: str) -> HistoryEntry:
    return replace(entry, revision=revision, txn=txn)


def _change(txn: str, entries: list[HistoryEntry]) -> dict[str, Any]:
    return {"txn": txn, "entries": [e.to_json() for e in entries]}


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True).encode("utf-8")


def _head(data: dict[str, Any], etag: str, url: str) -> Head:
    try:
        change = data.get("change") or {}
        entries = _entries(change, url)
        revision = int(data["revision"])
        since = int(data.get("since", revision))
        return Head(revision, str(data["manifest"]), etag, change.get("txn"), entries, since)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{url}/{HEAD}: unreadable state head: {exc}") from exc


def _entries(data: dict[str, Any], where: str) -> list[HistoryEntry]:
    try:
        return [HistoryEntry.from_json(e) for e in data.get("entries", [])]
    except (TypeError, ValueError) as exc:
        raise StateError(f"{where}: unreadable history entry: {exc}") from exc
