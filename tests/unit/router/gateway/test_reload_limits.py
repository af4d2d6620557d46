"""The gateway's reload meets an alias bomb: rejected by the shared loader, still serving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from router.gateway.reload import ManifestWatcher
from router.gateway.snapshot import build_snapshot
from router.manifest.store import atomic_write, dump_manifest
from tests.helpers.gateway import Rig, header, lam, manifest_of
from tests.unit.router.test_store_limits import alias_bomb


def test_an_alias_bomb_is_refused_by_the_reload(
    tmp_path: Path, rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    r = rig(lam("GET", "/a"))
    path = tmp_path / "migration.yaml"
    atomic_write(path, dump_manifest(manifest_of(lam("GET", "/a"))))
    watcher = ManifestWatcher(path, lambda m: r.gateway.swap(build_snapshot(m)))
    watcher.load()
    atomic_write(path, alias_bomb(6) + "# " + "x" * 64)  # another size: a new signature
    assert not watcher.poll()
    assert "aliases expand" in caplog.text and str(path) in caplog.text
    assert header(r.call("GET", "/a"), "X-Migrate-Target") == ["lambda"]
