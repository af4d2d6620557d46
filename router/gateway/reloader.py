"""Hot reload off the event loop's back: build in a helper process, install in slices.

``SnapshotReloader.reload`` (awaited by the ``ManifestWatcher`` on each new file
signature) asks the helper process (``builder``) for the packed snapshot, installs it
on the loop a slice at a time (``packed.SnapshotInstaller``, ``pause`` between slices,
requests served in between), swaps it into the gateway, and frees the retired table a
slice at a time too. A bad manifest, a dead or stuck helper, or a table that refuses a
route keep the last good snapshot and are logged ("still serving the last good one").

Garbage collection around a reload (``collector_held``, injectable): a full pass scans
only what is not frozen (the last snapshot and everything before it were frozen), so
it is short, and it frees the cyclic garbage of the requests served since the last
reload; the collector then stays off while the new snapshot is installed; after the
swap ``gc.freeze`` moves the new snapshot out of every later pass. Measured with
``bench/bench_reload_loop.py`` (5,000 routes, a loaded 2-core machine), against the
alternatives: no collector handling lets an automatic full pass scan the new
snapshot's ~32,000 objects on the loop (worst loop delay 224 ms vs 75 ms); freezing
without collecting first (the former code) had the same delays but froze every cyclic
garbage object alive at each reload for good (+1,000 per reload in the benchmark, a
leak); a collection after the install instead of before would scan the new snapshot
(75 ms). What can still be frozen is the cyclic garbage made by requests during the
install itself (about a tenth of a second).

This module must not parse manifests, serve requests or manage the helper's process.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

from router.errors import StranglerError
from router.gateway.packed import PackedSnapshot, SnapshotInstaller
from router.gateway.reload import POLL_INTERVAL_S, ManifestWatcher
from router.gateway.snapshot import Snapshot

__all__ = ["Builder", "SnapshotReloader", "collector_held"]

log = logging.getLogger("router.gateway.reload")


class Builder(Protocol):
    """Turns a manifest file into a packed snapshot (``builder.SnapshotBuilder``)."""

    async def start(self) -> None: ...

    async def build(self, path: Path) -> PackedSnapshot: ...

    async def close(self) -> None: ...


async def _next_tick() -> None:
    await asyncio.sleep(0)


class SnapshotReloader:
    """Rebuilds the gateway's snapshot when the manifest changes; keeps the last good."""

    def __init__(
        self,
        watcher: ManifestWatcher,
        builder: Builder,
        swap: Callable[[Snapshot], Snapshot],
        *,
        pause: Callable[[], Awaitable[None]] = _next_tick,
        installer: Callable[[PackedSnapshot], SnapshotInstaller] = SnapshotInstaller,
        collector: Callable[[], AbstractAsyncContextManager[None]] | None = None,
        before_swap: Callable[[PackedSnapshot], Awaitable[None]] | None = None,
    ) -> None:
        self.watcher, self._builder, self._swap, self._pause = watcher, builder, swap, pause
        self._installer = installer
        self._collector = collector or collector_held
        self._before_swap = before_swap  # e.g. the isolated workers' artifacts, off the loop

    async def run(
        self,
        interval: float = POLL_INTERVAL_S,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """Start the helper (so the first reload does not wait for it), then watch."""
        try:
            await self._builder.start()
        except StranglerError as exc:  # build() tries again at the first change
            log.warning("the reload helper did not start: %s", exc)
        await self.watcher.run(self.reload, interval, sleep=sleep)

    async def reload(self) -> bool:
        """Build, install and swap in the manifest now on disk; False (logged) if not."""
        try:
            packed = await self._builder.build(self.watcher.path)
            if self._before_swap is not None:
                await self._before_swap(packed)
            async with self._collector():
                retired = self._swap(await self._install(packed))
        except (StranglerError, ValueError) as exc:
            log.error("manifest reload failed; still serving the last good one: %s", exc)
            return False
        log.info("manifest reloaded: revision %d", packed.revision)
        for _ in retired.table.dismantle():
            await self._pause()
        return True

    async def close(self) -> None:
        await self._builder.close()

    async def _install(self, packed: PackedSnapshot) -> Snapshot:
        installer = self._installer(packed)
        while (snapshot := installer.step()) is None:
            await self._pause()
        return snapshot


@asynccontextmanager
async def collector_held() -> AsyncIterator[None]:
    """Collect the unfrozen garbage, keep the collector off, freeze what survived."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
