"""The gateway's reload meets an alias bomb: rejected by the helper's loader, still serving."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from router.gateway.builder import SnapshotBuilder
from router.gateway.reload import ManifestWatcher
from router.gateway.reloader import SnapshotReloader
from router.local.process import pid_alive
from router.manifest.store import atomic_write, dump_manifest
from tests.helpers.gateway import Rig, header, lam, manifest_of
from tests.unit.router.test_store_limits import alias_bomb


@pytest.fixture(autouse=True)
def _unfreeze() -> Iterator[None]:
    import gc

    yield
    gc.unfreeze()


def test_an_alias_bomb_is_refused_by_the_reload(
    tmp_path: Path, rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    r = rig(lam("GET", "/a"))
    path = tmp_path / "migration.yaml"
    atomic_write(path, dump_manifest(manifest_of(lam("GET", "/a"))))
    builder = SnapshotBuilder()
    reloader = SnapshotReloader(ManifestWatcher(path), builder, r.gateway.swap)
    atomic_write(path, alias_bomb(6) + "# " + "x" * 64)

    async def scenario() -> tuple[bool, int | None]:
        try:
            return await reloader.reload(), builder.pid
        finally:
            await reloader.close()

    reloaded, pid = asyncio.run(scenario())
    assert not reloaded and pid is not None and not pid_alive(pid)
    assert "aliases expand" in caplog.text and str(path) in caplog.text
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]
