"""Hot reload: the watcher polls (mtime_ns, size, inode) and keeps the last good manifest."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from router.errors import ManifestError
from router.gateway.reload import RELOAD_SWITCH_INTERVAL_S, ManifestWatcher
from router.gateway.snapshot import build_snapshot
from router.manifest.model import Manifest
from router.manifest.store import atomic_write, dump_manifest
from tests.helpers.gateway import Rig, header, lam, manifest_of
from tests.helpers.manifests import route


class FakeFile:
    """A manifest 'file': signature and content the test changes by hand."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest: Manifest | Exception = manifest
        self.signature = (1, 100, 7)
        self.loads = 0

    def stat(self, path: Path) -> Any:
        mtime, size, inode = self.signature
        return SimpleNamespace(st_mtime_ns=mtime, st_size=size, st_ino=inode)

    def load(self, path: Path) -> Manifest:
        self.loads += 1
        if isinstance(self.manifest, Exception):
            raise self.manifest
        return self.manifest


def watcher_for(fake: FakeFile, seen: list[Manifest]) -> ManifestWatcher:
    return ManifestWatcher(Path("m.yaml"), seen.append, loader=fake.load, stat=fake.stat)


def test_poll_reloads_only_on_a_new_signature() -> None:
    fake, seen = FakeFile(manifest_of(route("GET", "/a"))), []
    watcher = watcher_for(fake, seen)
    watcher.load()
    assert not watcher.poll() and fake.loads == 1
    fake.manifest = manifest_of(lam("GET", "/a"))
    fake.signature = (1, 100, 8)  # same mtime and size, new inode: an atomic rename
    assert watcher.poll() and seen == [fake.manifest]


def test_invalid_manifest_keeps_the_last_good(caplog: pytest.LogCaptureFixture) -> None:
    fake, seen = FakeFile(manifest_of(route("GET", "/a"))), []
    watcher = watcher_for(fake, seen)
    watcher.load()
    fake.manifest, fake.signature = ManifestError("m.yaml", ["bad field"]), (2, 100, 7)
    assert not watcher.poll() and seen == []
    assert "still serving the last good one" in caplog.text


def test_missing_file_keeps_serving() -> None:
    fake, seen = FakeFile(manifest_of(route("GET", "/a"))), []

    def gone(path: Path) -> Any:
        raise FileNotFoundError(path)

    watcher = ManifestWatcher(Path("m.yaml"), seen.append, loader=fake.load, stat=gone)
    assert not watcher.poll() and seen == []


def test_run_polls_with_the_injected_sleep() -> None:
    fake, seen = FakeFile(manifest_of(route("GET", "/a"))), []
    watcher = watcher_for(fake, seen)
    watcher.load()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        fake.signature = (len(sleeps) + 1, 100, 7)
        if len(sleeps) > 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(watcher.run(0.25, sleep=sleep))
    assert sleeps == [0.25, 0.25, 0.25] and len(seen) == 2


def test_real_file_rename_swaps_the_gateway_snapshot(
    tmp_path: Path, rig: Callable[..., Rig]
) -> None:
    r = rig(route("GET", "/a"))
    path = tmp_path / "migration.yaml"
    atomic_write(path, dump_manifest(manifest_of(route("GET", "/a"))))
    watcher = ManifestWatcher(path, lambda m: r.gateway.swap(build_snapshot(m)))
    watcher.load()
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["legacy"]
    atomic_write(path, dump_manifest(manifest_of(lam("GET", "/a"))))
    assert watcher.poll()
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]
    path.write_text("routes: [oops", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert not watcher.poll()
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]


def test_the_loop_keeps_answering_while_a_slow_reload_builds() -> None:
    """The reload runs in a worker thread: the loop ticks while the loader is stuck."""
    fake, seen = FakeFile(manifest_of(route("GET", "/a"))), []
    release, observed = threading.Event(), {}

    def slow_load(path: Path) -> Manifest:
        if fake.loads:  # every load after the first (start-up) one is a slow reload
            observed["switch_interval"] = sys.getswitchinterval()
            observed["gc_enabled"] = gc.isenabled()
            assert release.wait(10), "the loop never ran while the reload was building"
        return fake.load(path)

    watcher = ManifestWatcher(Path("m.yaml"), seen.append, loader=slow_load, stat=fake.stat)
    watcher.load()

    async def scenario() -> int:
        fake.signature = (2, 100, 7)
        task = asyncio.create_task(watcher.run(0.001))
        ticks = 0
        while not seen:  # the loop answers (ticks) while the worker waits for them
            await asyncio.sleep(0.001)
            ticks += 1
            if ticks == 20:
                release.set()
        task.cancel()
        return ticks

    before = sys.getswitchinterval()
    assert asyncio.run(scenario()) >= 20 and len(seen) == 1
    assert observed == {"switch_interval": RELOAD_SWITCH_INTERVAL_S, "gc_enabled": False}
    assert sys.getswitchinterval() == before and gc.isenabled()  # both restored
