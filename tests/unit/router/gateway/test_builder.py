"""The reload helper process: builds packed snapshots, survives bad manifests, is replaced
when it dies, is killed when it hangs, and is always stopped (each test checks its pid)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from router.errors import ProcessError, StranglerError
from router.gateway.builder import SnapshotBuilder
from router.local.process import pid_alive
from router.manifest.store import atomic_write, dump_manifest
from tests.helpers.gateway import lam, manifest_of
from tests.unit.router.test_store_limits import alias_bomb

T = TypeVar("T")


def run(builder: SnapshotBuilder, scenario: Callable[[], Awaitable[T]]) -> T:
    """``scenario`` on a fresh loop; the helper is closed (and must be gone) afterwards."""
    pids: list[int] = []

    async def main() -> T:
        try:
            return await scenario()
        finally:
            pids.extend([builder.pid] if builder.pid else [])
            await builder.close()

    try:
        return asyncio.run(main())
    finally:
        assert not [pid for pid in pids if pid_alive(pid)]


def write(path: Path, *routes: dict[str, Any], revision: int = 1) -> Path:
    atomic_write(path, dump_manifest(manifest_of(*routes, revision=revision)))
    return path


def test_builds_then_reports_bad_manifests_and_keeps_going(tmp_path: Path) -> None:
    path = write(tmp_path / "migration.yaml", lam("GET", "/a"), revision=4)
    builder = SnapshotBuilder(legacy_url="http://127.0.0.1:9")

    async def scenario() -> None:
        packed = await builder.build(path)
        assert packed.revision == 4 and packed.legacy.port == 9 and packed.chunks
        pid = builder.pid
        path.write_text("routes: [oops", encoding="utf-8")
        with pytest.raises(StranglerError, match=r"migration\.yaml"):
            await builder.build(path)
        atomic_write(path, alias_bomb(6) + "# " + "x" * 64)
        with pytest.raises(StranglerError, match="aliases expand"):
            await builder.build(path)
        assert (await builder.build(write(path, lam("GET", "/b"), revision=5))).revision == 5
        assert builder.pid == pid  # the same helper answered every request

    run(builder, scenario)


def test_a_killed_helper_is_replaced(tmp_path: Path) -> None:
    path = write(tmp_path / "migration.yaml", lam("GET", "/a"))
    builder = SnapshotBuilder()

    async def scenario() -> None:
        await builder.start()
        first = builder.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        assert (await builder.build(path)).revision == 1
        assert builder.pid != first and not pid_alive(first)

    run(builder, scenario)


def test_a_helper_that_keeps_dying_fails_the_reload_without_hanging(tmp_path: Path) -> None:
    path = write(tmp_path / "migration.yaml", lam("GET", "/a"))
    builder = SnapshotBuilder(command=(sys.executable, "-c", "pass"), timeout_s=30)

    async def scenario() -> None:
        with pytest.raises(ProcessError, match="died twice"):
            await asyncio.wait_for(builder.build(path), 20)

    run(builder, scenario)


def test_a_helper_that_never_answers_is_killed(tmp_path: Path) -> None:
    path = write(tmp_path / "migration.yaml", lam("GET", "/a"))
    hang = (sys.executable, "-c", "import time; time.sleep(120)")
    builder = SnapshotBuilder(command=hang, timeout_s=0.5)

    async def scenario() -> None:
        await builder.start()
        pid = builder.pid
        assert pid is not None
        with pytest.raises(ProcessError, match="did not answer"):
            await builder.build(path)
        assert builder.pid is None and not pid_alive(pid)

    run(builder, scenario)


def test_a_helper_that_cannot_start_fails_the_reload(tmp_path: Path) -> None:
    path = write(tmp_path / "migration.yaml", lam("GET", "/a"))
    builder = SnapshotBuilder(command=(str(tmp_path / "no-such-python"),))

    async def scenario() -> None:
        with pytest.raises(ProcessError, match="did not start"):
            await builder.build(path)

    run(builder, scenario)
