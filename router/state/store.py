"""A ``ManifestStore`` whose manifest and history live on a state backend (S3).

Every edit is read -> change -> conditional write: the head is read with its ETag,
the caller changes a copy, and the new revision lands only if the head is still the
one read. On a lost race ``update`` re-reads and runs the same change again on the
state that won, unless the other change touched a route this one touches: then it
refuses (``StateConflict``) and names the other change, because the operator decided
on a state that is gone. ``edit`` (one attempt, no function to run again) refuses on
any lost race. No update is ever lost: a change either lands whole or is refused.

This module must not decide what a change is (``router.routes``) nor call S3 itself
(``router.state.backend``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from router.errors import StateConflict
from router.history import HistoryEntry, HistoryLog
from router.manifest.model import Manifest
from router.manifest.store import LoadedManifest, ManifestStore, dump_manifest, parse_manifest
from router.state.backend import Head, S3Backend
from router.state.lease import DEFAULT_TTL, Holding, LeaseKeeper

__all__ = ["BackendHistory", "BackendStore"]

T = TypeVar("T")
Sleep = Callable[[float], None]
MAX_ATTEMPTS = 200
STATE_LEASE = "state"
MAX_BACKOFF = 2.0  # seconds; each lost race waits a random part of 50 ms * 2**n up to this


class BackendHistory(HistoryLog):
    """The history as the backend holds it (``path`` stays the local file's, unused)."""

    def __init__(self, backend: S3Backend, local_path: Path) -> None:
        super().__init__(local_path)
        self.backend = backend

    def append(self, entries: Iterable[HistoryEntry]) -> None:
        self.backend.append(entries)

    def entries(self) -> list[HistoryEntry]:
        return self.backend.entries()

    def recover(self, revision: int) -> None:
        """Nothing to settle: the backend's commit is one write (see ``S3Backend``)."""


@dataclass(frozen=True)
class _Lost(Exception):
    """An attempt whose write found the head changed; ``routes`` are the ones it touched."""

    revision: int
    routes: frozenset[str]
    base: Manifest  # the manifest the attempt read


class BackendStore(ManifestStore):
    """``read``/``edit``/``update``/``create`` against the backend's head."""

    def __init__(
        self,
        path: Path,
        backend: S3Backend,
        *,
        sleep: Sleep = time.sleep,
        jitter: Callable[[], float] = random.random,
        lock_timeout: float = 30.0,
        lease_ttl: float = DEFAULT_TTL,
    ) -> None:
        super().__init__(path, lock_timeout=lock_timeout)
        self.backend = backend
        self.history = BackendHistory(backend, self.history.path)
        self._sleep = sleep
        self._jitter = jitter
        self._base: Head | None = None
        self._fresh: Head | None = None  # the head read after a lost race
        self.leases = LeaseKeeper(backend.bucket, backend.location, ttl=lease_ttl)
        self._depth = 0  # nesting of ``locked``

    @property
    def label(self) -> Path:
        return Path(f"{self.backend.url}/manifest")

    def read(self) -> Manifest:
        return parse_manifest(self.label, self.backend.require_head().text).model

    @contextmanager
    def edit(self) -> Iterator[Manifest]:
        """One attempt; a lost race is refused, naming the change that won."""
        loaded, draft = self._begin()
        try:
            yield draft
            self._finish(loaded, draft)
        except _Lost as lost:
            raise self._refusal(lost, self._since(lost.revision)) from None
        finally:
            self._records, self._base = [], None

    def update(self, change: Callable[[Manifest], T]) -> T:
        """Run ``change`` on the head until its write lands or the race must be refused."""
        for attempt in range(MAX_ATTEMPTS):
            loaded, draft = self._begin(self._fresh)
            try:
                result = change(draft)
                self._finish(loaded, draft)
                return result
            except _Lost as lost:
                self._check_reapply(lost)
            finally:
                self._records, self._base = [], None
            self._sleep(self._jitter() * min(MAX_BACKOFF, 0.05 * 2**attempt))
        raise StateConflict(
            f"{self.backend.url}: gave up after {MAX_ATTEMPTS} lost races; nothing was changed",
            hint="other operators are changing the state this fast: run the command again",
        )

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The backend's ``state`` lease instead of the local file lock (reentrant): an
        apply, a baseline or a progressive step of another operator is refused while it
        lives, and it expires if this process dies."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with self.leases.hold(STATE_LEASE, "a locked change (apply, baseline, run step)"):
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    def held(self, name: str, operation: str) -> AbstractContextManager[Holding]:
        """The lease ``name`` for a long operation (a progressive or shadow run): renewed
        while the block runs, released when it ends; ``LeaseHeld`` while another live
        holder has it. The block calls ``check`` between its steps (``LeaseLost``)."""
        return self.leases.hold(name, operation)

    def create(self, model: Manifest) -> None:
        """The first revision on the backend (refused if it holds one already)."""
        self.backend.commit(None, dump_manifest(model), model.revision, [])

    def recover(self) -> None:
        """Nothing to settle: a change is one write; readers fill history gaps."""

    def _begin(self, fresh: Head | None = None) -> tuple[LoadedManifest, Manifest]:
        head = fresh or self.backend.require_head()
        self._fresh = None
        loaded = parse_manifest(self.label, head.text)
        self._records, self._base = [], head
        return loaded, loaded.model.model_copy(deep=True)

    def _finish(self, loaded: LoadedManifest, draft: Manifest) -> None:
        base = self._base
        assert base is not None
        routes = frozenset(e.route for e in self._records if e.route is not None)
        try:
            self._commit(loaded, draft)
        except StateConflict as exc:
            raise _Lost(base.revision, routes, loaded.model) from exc

    def _write(self, text: str, entries: list[HistoryEntry]) -> None:
        """The conditional write of ``ManifestStore._commit``'s new revision."""
        base = self._base
        assert base is not None
        self.backend.commit(base, text, base.revision + 1, entries)

    def _since(self, revision: int) -> list[HistoryEntry]:
        """The entries of every change that landed after ``revision`` (the head read is
        kept for the next attempt)."""
        head = self._fresh = self.backend.require_head()
        found: list[HistoryEntry] = []
        for rev in range(revision + 1, head.revision + 1):
            found.extend(head.entries if rev == head.revision else self.backend.change_at(rev))
        return found

    def _check_reapply(self, lost: _Lost) -> None:
        """Refuse when a route this change touches is not as the attempt read it."""
        head = self._fresh = self.backend.require_head()
        now = parse_manifest(self.label, head.text).model
        moved = {r for r in lost.routes if now.route(r) != lost.base.route(r)}
        if moved:
            others = self._since(lost.revision)
            raise self._refusal(lost, [e for e in others if e.route in moved] or others)

    def _refusal(self, lost: _Lost, others: list[HistoryEntry]) -> StateConflict:
        named = "; ".join(_describe(e) for e in others[:3]) or "a change without history"
        more = f" (and {len(others) - 3} more)" if len(others) > 3 else ""
        return StateConflict(
            f"{self.backend.url}: refused, nothing was changed: another change landed after "
            f"this command read revision {lost.revision}: {named}{more}",
            hint="check `migrate routes` and `migrate history`, then run the command again",
        )


def _describe(entry: HistoryEntry) -> str:
    route = f" {entry.route}" if entry.route else ""
    move = f" {entry.before.target}->{entry.after.target}" if entry.before and entry.after else ""
    return f"revision {entry.revision}: {entry.action}{route}{move} by {entry.user} at {entry.time}"
