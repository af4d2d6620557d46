"""Hot reload: poll the manifest file and report each change to an async callback.

``ManifestWatcher.changed`` compares the file's (mtime_ns, size, inode) with the last
seen, with one ``stat``; ``run`` polls 10 times a second on the event loop and
awaits ``on_change`` for each new signature (``router.gateway.reloader`` builds the new
snapshot in a helper process and installs it). ``load`` reads the manifest at start-up.
A missing or unreadable file keeps the last good version (the warning is logged once).
The sleep, ``stat`` and the loader are injectable. This module must not build routing
snapshots, parse manifests on the loop or serve requests.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from router.manifest.model import Manifest
from router.manifest.store import load_manifest

__all__ = ["POLL_INTERVAL_S", "ManifestWatcher", "Signature"]

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.1  # one stat (~10 us on the loop); a change waits 50 ms on average
Signature = tuple[int, int, int]  # (mtime_ns, size, inode)


def _load(path: Path) -> Manifest:
    return load_manifest(path).model


class ManifestWatcher:
    """Notices when the file at ``path`` changes (a new signature)."""

    def __init__(
        self,
        path: Path,
        *,
        loader: Callable[[Path], Manifest] = _load,
        stat: Callable[[Path], os.stat_result] = os.stat,
    ) -> None:
        self.path = path
        self._loader = loader
        self._stat = stat
        self._seen: Signature | None = None
        self._missing = False

    def load(self) -> Manifest:
        """The manifest now (raises on an invalid one); later polls compare against it."""
        self._seen = self._signature(quiet=True)  # first: a later change is seen by poll
        return self._loader(self.path)

    def changed(self) -> bool:
        """Whether the file's signature differs from the last seen (one ``stat``)."""
        signature = self._signature()
        if signature is None or signature == self._seen:
            return False
        self._seen = signature
        return True

    async def run(
        self,
        on_change: Callable[[], Awaitable[object]],
        interval: float = POLL_INTERVAL_S,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Poll forever (until cancelled); await ``on_change`` after each new signature."""
        while True:
            await sleep(interval)
            try:
                if self.changed():
                    await on_change()
            except Exception:
                log.exception("manifest watcher failed; retrying")

    def _signature(self, *, quiet: bool = False) -> Signature | None:
        try:
            st = self._stat(self.path)
        except OSError as exc:
            if not self._missing and not quiet:
                log.warning("manifest unreadable (%s); keeping the last good one", exc)
            self._missing = True
            return None
        self._missing = False
        return (st.st_mtime_ns, st.st_size, st.st_ino)
