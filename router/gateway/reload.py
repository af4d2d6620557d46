"""Hot reload: poll the manifest file and hand each new valid version to a callback.

``ManifestWatcher.poll`` compares the file's (mtime_ns, size, inode) with the last
seen; on a change it re-validates with ``load_manifest`` and calls ``on_change``. An
invalid or missing file keeps the last good version (the error is logged). ``run``
polls about 4 times a second: one ``stat`` on the loop, and only a changed file is
parsed, in a worker thread, so YAML parsing never blocks the event loop. The sleep,
``stat`` and the loader are injectable. This module must not build routing snapshots
or serve requests.

A worker thread still shares the GIL with the loop: at CPython's default 5 ms switch
interval, a 5,000-route reload added 5-10 ms to every request during it, and a full
garbage-collector pass over the new objects held the GIL for tens of milliseconds.
While a reload runs (``quiet_reload``) the switch interval is 0.25 ms and the
collector is off; afterwards the objects the reload made are frozen
(``gc.freeze``, as at start-up), so no later pass on the loop scans them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from router.errors import StranglerError
from router.manifest.model import Manifest
from router.manifest.store import load_manifest

__all__ = ["POLL_INTERVAL_S", "RELOAD_SWITCH_INTERVAL_S", "ManifestWatcher", "Signature"]

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.25
RELOAD_SWITCH_INTERVAL_S = 0.00025  # longest the loop waits for the GIL during a reload
Signature = tuple[int, int, int]  # (mtime_ns, size, inode)


def _load(path: Path) -> Manifest:
    return load_manifest(path).model


class ManifestWatcher:
    """Reloads ``path`` when its signature changes; keeps the last good manifest."""

    def __init__(
        self,
        path: Path,
        on_change: Callable[[Manifest], None],
        *,
        loader: Callable[[Path], Manifest] = _load,
        stat: Callable[[Path], os.stat_result] = os.stat,
    ) -> None:
        self.path = path
        self._on_change = on_change
        self._loader = loader
        self._stat = stat
        self._seen: Signature | None = None
        self._missing = False

    def load(self) -> Manifest:
        """The manifest now (raises on an invalid one); later polls compare against it."""
        self._seen = self._signature(quiet=True)  # first: a later change is seen by poll
        return self._loader(self.path)

    def poll(self) -> bool:
        """Reload if the file changed; True when ``on_change`` got a new manifest."""
        return self.changed() and self.reload()

    def changed(self) -> bool:
        """Whether the file's signature differs from the last seen (one ``stat``)."""
        signature = self._signature()
        if signature is None or signature == self._seen:
            return False
        self._seen = signature
        return True

    def reload(self) -> bool:
        """Load, validate and hand over the manifest; False (logged) when invalid."""
        try:
            manifest = self._loader(self.path)
            self._on_change(manifest)
        except StranglerError as exc:
            log.error("manifest reload failed; still serving the last good one: %s", exc)
            return False
        log.info("manifest reloaded: revision %d", manifest.revision)
        return True

    def quiet_reload(self) -> bool:
        """``reload`` (in a worker thread) with short GIL slices and no GC pass."""
        with _short_gil_slices(), _collector_paused():
            return self.reload()

    async def run(
        self,
        interval: float = POLL_INTERVAL_S,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Poll forever (until cancelled): ``stat`` here, parsing in a worker thread."""
        while True:
            await sleep(interval)
            try:
                if self.changed():
                    await asyncio.to_thread(self.quiet_reload)
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


@contextmanager
def _short_gil_slices() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, RELOAD_SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


@contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # the new snapshot is long-lived: keep it out of every later pass
        if enabled:
            gc.enable()
