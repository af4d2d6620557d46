"""Follow a state backend's head into the local manifest file (``migrate serve`` on S3).

``HeadFollower.sync`` polls the head object with one conditional ``GetObject``
(``IfNoneMatch`` on the last ETag: S3 answers 304 without a body while nothing
changed) and, when a new revision's manifest text differs from the local file, writes
it there atomically; the gateway's file watcher (``router.gateway.reload``) then
reloads it as after any edit. So a promote from another working copy, or a shadow run
started anywhere, reaches this gateway without ``migrate state pull``. It never loses a
working copy's own state: a file that does not parse (an edit in progress), that holds
edits the backend lacks (a higher revision, or the same revision with other content:
``transfer.compare``'s ``local`` and ``diverged``) or whose ``state:`` names another
backend is kept as it is, with one warning per backend revision saying why and what to
run; polling stays conditional, and the file is judged again only when its text
changes or a new revision arrives. ``run`` polls
about once a second from a daemon thread (``start``/``stop``). Errors reaching S3
(or writing the file) are logged, once and then every ``REMIND_S`` while they last,
and retried: the gateway keeps serving the last manifest it loaded.

The backend, the clock and the wait are injectable. This module must not change the
backend, build routes or serve requests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from router.aws.state_s3 import Unchanged
from router.errors import InputError, StranglerError
from router.fsio import atomic_write
from router.manifest.model import Manifest
from router.manifest.store import parse_manifest
from router.state.backend import Head, S3Backend
from router.state.transfer import newer_side

__all__ = ["POLL_S", "REMIND_S", "HeadFollower"]

log = logging.getLogger(__name__)

POLL_S = 1.0  # one conditional GET a second: a change reaches the file within ~1 s
REMIND_S = 60.0  # while S3 stays unreachable, one log line a minute


class HeadFollower:
    """Keeps ``path`` at the text of ``backend``'s current revision."""

    def __init__(
        self,
        backend: S3Backend,
        path: Path,
        *,
        interval: float = POLL_S,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.backend, self.path, self.interval = backend, path, interval
        self.revision: int | None = None  # the revision the file holds, once known
        self._clock = clock
        self._stopped = threading.Event()
        self._wait = wait or self._stopped.wait  # True: stop
        self._etag: str | None = None
        self._failing: tuple[float, float] | None = None  # (since, last logged)
        self._empty_logged = False
        self._kept: tuple[Head, str | None] | None = None  # not written; the file's text then
        self._thread: threading.Thread | None = None

    def sync(self) -> int | None:
        """One poll; the revision written to the file (None: nothing written)."""
        try:
            written = self._poll()
        except (StranglerError, ValueError) as exc:  # ValueError: a head that is not JSON
            self._failed(exc)
            return None
        self._reached()
        return written

    def run(self) -> None:
        """Poll every ``interval`` until ``stop`` (the wait returns True)."""
        while not self._wait(self.interval):
            try:
                self.sync()
            except Exception:  # never let the thread die: the gateway would stop following
                log.exception("following %s failed; retrying", self.backend.url)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="state-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _poll(self) -> int | None:
        head = self.backend.head_if_changed(self._etag)
        if isinstance(head, Unchanged):  # a kept file is judged again once it changed
            if self._kept is None or _text(self.path) == self._kept[1]:
                return None
            head = self._kept[0]
        if head is None:
            self._empty()
            return None
        return self._follow(head)

    def _follow(self, head: Head) -> int | None:
        """Write ``head`` unless the file holds it or must be kept (a failed write is
        retried: the ETag is kept only once the file holds the text, or is kept)."""
        written = None
        local = _text(self.path)
        if local != head.text:
            reason = self._reason_to_keep(local, head)
            if reason is not None:
                self._keep(head, local, reason)
                return None
            atomic_write(self.path, head.text)
            log.info("%s: revision %d written to %s", self.backend.url, head.revision, self.path)
            written = head.revision
        self._etag, self.revision, self._kept = head.etag, head.revision, None
        return written

    def _reason_to_keep(self, local: str | None, head: Head) -> str | None:
        """Why the file must not be replaced by ``head``'s text (None: it may)."""
        if local is None:
            return None
        try:
            mine = parse_manifest(self.path, local).model
        except InputError as exc:
            return f"it does not parse ({str(exc).splitlines()[0]})"
        theirs = parse_manifest(self.path, head.text).model
        return _difference(mine, theirs)

    def _keep(self, head: Head, local: str | None, reason: str) -> None:
        if self._kept is None or self._kept[0].etag != head.etag:
            log.warning(
                "%s: revision %d not written to %s: %s; the gateway keeps serving the file "
                "(`migrate state pull` takes the backend's, `migrate state push` uploads yours)",
                self.backend.url, head.revision, self.path, reason,
            )  # fmt: skip
        self._etag, self._kept = head.etag, (head, local)

    def _empty(self) -> None:
        if not self._empty_logged:
            log.warning(
                "%s holds no manifest yet: serving %s (`migrate state push` uploads it)",
                self.backend.url,
                self.path,
            )
        self._empty_logged = True

    def _failed(self, exc: Exception) -> None:
        now = self._clock()
        since, logged = self._failing or (now, now - REMIND_S)
        if now - logged >= REMIND_S:
            log.warning(
                "cannot follow %s (for %.0f s; retrying, still serving %s): %s",
                self.backend.url, now - since, self.path, exc,
            )  # fmt: skip
            logged = now
        self._failing = (since, logged)

    def _reached(self) -> None:
        if self._failing is not None:
            down = self._clock() - self._failing[0]
            log.info("following %s again after %.0f s", self.backend.url, down)
        self._failing = None


def _difference(mine: Manifest, theirs: Manifest) -> str | None:
    """What the working copy holds that following ``theirs`` would lose."""
    if mine.state != theirs.state:
        return f"it names state {mine.state!r}, the backend's revision names {theirs.state!r}"
    side = newer_side(mine, theirs)
    if side == "local":
        return f"it is revision {mine.revision}, newer than the backend's"
    if side == "diverged":
        return f"it differs from the backend's at the same revision {mine.revision}"
    return None


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
