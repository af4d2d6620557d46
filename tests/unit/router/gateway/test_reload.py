"""Hot reload: the watcher polls (mtime_ns, size, inode); the reloader keeps the last good."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from router.errors import ManifestError
from router.gateway.messages import GatewayRequest
from router.gateway.packed import PackedSnapshot, SnapshotInstaller, pack
from router.gateway.reload import ManifestWatcher
from router.gateway.reloader import SnapshotReloader
from router.gateway.runtime import FunctionPreparer
from router.manifest.model import Manifest
from tests.helpers.gateway import H, Rig, header, lam, manifest_of
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


class FakeBuilder:
    """Packs the fake file's manifest in-process (the helper process is tested apart)."""

    def __init__(self, fake: FakeFile) -> None:
        self.fake, self.started, self.closed = fake, 0, False

    async def start(self) -> None:
        self.started += 1

    async def build(self, path: Path) -> PackedSnapshot:
        return pack(self.fake.load(path))

    async def close(self) -> None:
        self.closed = True


def watcher_for(fake: FakeFile) -> ManifestWatcher:
    return ManifestWatcher(Path("m.yaml"), loader=fake.load, stat=fake.stat)


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    """Reloads freeze what survives them: give it back to the collector afterwards."""
    yield
    gc.unfreeze()


def test_changed_only_on_a_new_signature() -> None:
    fake = FakeFile(manifest_of(route("GET", "/a")))
    watcher = watcher_for(fake)
    watcher.load()
    assert not watcher.changed() and fake.loads == 1
    fake.signature = (1, 100, 8)  # same mtime and size, new inode: an atomic rename
    assert watcher.changed() and not watcher.changed()


def test_missing_file_keeps_serving() -> None:
    def gone(path: Path) -> Any:
        raise FileNotFoundError(path)

    assert not ManifestWatcher(Path("m.yaml"), stat=gone).changed()


def test_run_polls_with_the_injected_sleep() -> None:
    fake = FakeFile(manifest_of(route("GET", "/a")))
    watcher = watcher_for(fake)
    watcher.load()
    sleeps: list[float] = []
    changes: list[int] = []

    async def on_change() -> None:
        changes.append(len(sleeps))

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        fake.signature = (len(sleeps) + 1, 100, 7)
        if len(sleeps) > 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(watcher.run(on_change, 0.25, sleep=sleep))
    assert sleeps == [0.25, 0.25, 0.25] and changes == [1, 2]


def reloader_for(r: Rig, fake: FakeFile, **kwargs: Any) -> SnapshotReloader:
    return SnapshotReloader(watcher_for(fake), FakeBuilder(fake), r.gateway.swap, **kwargs)


def test_reload_swaps_and_a_bad_manifest_keeps_the_last_good(
    rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    r = rig(route("GET", "/a"))
    fake = FakeFile(manifest_of(lam("GET", "/a"), revision=2))
    reloader = reloader_for(r, fake)
    assert asyncio.run(reloader.reload())
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]
    assert r.gateway.snapshot.revision == 2
    fake.manifest = ManifestError("m.yaml", ["bad field"])
    assert not asyncio.run(reloader.reload())
    assert "still serving the last good one" in caplog.text and "bad field" in caplog.text
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]


def test_the_loop_serves_between_install_slices(rig: Callable[..., Rig]) -> None:
    """A big snapshot is installed in slices; requests between them see the old one."""
    r = rig(route("GET", "/a"))
    routes = [lam("GET", f"/g{i}") for i in range(600)] + [lam("GET", "/a")]
    fake = FakeFile(manifest_of(*routes))
    seen: list[tuple[str, bool]] = []

    async def pause() -> None:  # what a request served between two slices would see
        response = await r.gateway.handle_request(_get("/a"))
        seen.append((header(response, "X-Migrate-Target")[0], gc.isenabled()))

    def one_chunk_a_step(packed: PackedSnapshot) -> SnapshotInstaller:
        return SnapshotInstaller(packed, slice_s=0.0)

    reloader = reloader_for(r, fake, pause=pause, installer=one_chunk_a_step)
    assert asyncio.run(reloader.reload())
    installing = seen[: seen.index(("lambda", True))]
    assert len(installing) >= 5 and set(installing) == {("legacy", False)}
    assert gc.isenabled() and header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]


def _get(target: str) -> GatewayRequest:
    return GatewayRequest("GET", target)


def test_cyclic_garbage_alive_at_a_reload_is_collected_not_frozen(
    rig: Callable[..., Rig],
) -> None:
    """Regression: every reload froze the cyclic garbage alive then, for good (a leak)."""
    r = rig(route("GET", "/a"))
    reloader = reloader_for(r, FakeFile(manifest_of(lam("GET", "/a"))))

    async def reloads(count: int) -> None:
        for _ in range(count):
            _make_cycles(1_000)
            assert await reloader.reload()

    asyncio.run(reloads(2))  # the first reloads freeze the test's own start-up objects
    before = gc.get_freeze_count()
    asyncio.run(reloads(20))
    assert gc.get_freeze_count() - before < 1_000  # the leak froze 20 x 1,000 cycles


def _make_cycles(count: int) -> None:
    for _ in range(count):
        cycle: list[object] = []
        cycle.append(cycle)


def test_run_starts_the_helper_first_and_close_stops_it(rig: Callable[..., Rig]) -> None:
    fake = FakeFile(manifest_of(route("GET", "/a")))
    builder = FakeBuilder(fake)
    reloader = SnapshotReloader(watcher_for(fake), builder, rig().gateway.swap)

    async def sleep(seconds: float) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(reloader.run(0.25, sleep=sleep))
    asyncio.run(reloader.close())
    assert builder.started == 1 and builder.closed


def test_before_swap_runs_after_the_build_and_before_the_new_routes_serve(
    rig: Callable[..., Rig],
) -> None:
    r = rig(route("GET", "/a"))
    fake = FakeFile(manifest_of(lam("GET", "/a"), revision=2))
    old, seen = r.gateway.snapshot.revision, []

    async def before_swap(packed: PackedSnapshot) -> None:  # e.g. isolated workers' artifacts
        seen.append((r.gateway.snapshot.revision, packed.revision))

    assert asyncio.run(reloader_for(r, fake, before_swap=before_swap).reload())
    assert old != 2 and seen == [(old, 2)]  # the old routes were still serving
    assert r.gateway.snapshot.revision == 2


def test_a_new_lambda_route_has_its_function_prepared_before_it_serves(
    rig: Callable[..., Rig],
) -> None:
    """The artifacts come from the routes the build sent: the manifest is read once."""
    r = rig(route("GET", "/a"))
    fake = FakeFile(manifest_of(route("GET", "/a"), lam("GET", "/b", "other"), revision=2))
    prepared: list[tuple[list[str | None], str]] = []

    def prepare(manifest: Manifest) -> None:
        target = header(r.call("GET", "/b"), "X-Migrate-Target")[0]
        prepared.append(([route.function for route in manifest.routes], target))

    with ThreadPoolExecutor(1) as executor:
        preparer = FunctionPreparer(prepare, executor, manifest_of(route("GET", "/a")))
        assert asyncio.run(reloader_for(r, fake, before_swap=preparer).reload())
    assert prepared == [([f"{H}.other"], "legacy")]  # only the function route, before the swap
    assert header(r.call("GET", "/b"), "X-Migrate-Target") == ["lambda"]
    assert fake.loads == 1  # the build's: no second parse for the artifacts
