"""The manifest and its history entries are one unit: crashes, full disks, torn lines.

A crash is a real SIGKILL of a forked child in the middle of a real edit; the
injected ``writer`` (``os.write`` at the store's write boundary) picks the moment.
"""

from __future__ import annotations

import errno
import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from router.errors import WriteError
from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore, load_manifest
from router.routes import RouteService

MANIFEST = """\
version: 1
revision: 3
api: {name: shop, stage: prod, region: eu-west-1}
legacy: {url: "http://127.0.0.1:5000"}
routes:
  - {id: r0, method: GET, path: /r/0}
  - {id: r1, method: GET, path: /r/1}
"""

Writer = Callable[[int, memoryview], int]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "migration.yaml"
    path.write_text(MANIFEST)
    (tmp_path / "crash_handlers.py").write_text("def fn(event, context):\n    return {}\n")
    return path


def _service(path: Path, writer: Writer = os.write) -> RouteService:
    store = ManifestStore(path, writer=writer)
    return RouteService(store, store.history, code_root=path.parent, promote_check=None)


def _promote(path: Path, writer: Writer = os.write, route: str = "r0") -> None:
    _service(path, writer).promote(route, function="crash_handlers.fn", weight=None, reason=None)


def _nth_write(n: int, action: Callable[[int, memoryview], int]) -> Writer:
    """``os.write``, but the ``n``-th call (1 = the manifest's temp file) runs ``action``."""
    calls = iter(range(1, 1_000_000))

    def writer(fd: int, data: memoryview) -> int:
        return action(fd, data) if next(calls) == n else os.write(fd, data)

    return writer


def _killed(fd: int, data: memoryview) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")


def _written_then_killed(fd: int, data: memoryview) -> int:
    os.write(fd, data)
    os.fsync(fd)
    return _killed(fd, data)


def _torn(fd: int, data: memoryview) -> int:
    os.write(fd, data[: len(data) // 2])
    os.fsync(fd)
    return _killed(fd, data)


def _disk_full(fd: int, data: memoryview) -> int:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _in_child(work: Callable[[], None]) -> int:
    """Run ``work`` in a forked child; its exit signal (negative) or status."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            work()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def committed_revisions(path: Path) -> list[int]:
    """The revisions in the history as ``migrate history`` lists them (each must be once)."""
    revisions = [e.revision for e in ManifestStore(path).history.entries()]
    assert len(revisions) == len(set(revisions))
    return sorted(revisions)


def history_actions(path: Path) -> list[str]:
    """The action of every line of the history, which must be JSONL."""
    return [json.loads(line)["action"] for line in history_path_for(path).read_text().splitlines()]


# Write 1 is the manifest's temp file, write 2 the history written ahead, write 3 the
# commit marker after the rename (the moment that lost the entry in 10 of 10 tries).
@pytest.mark.parametrize(
    ("write", "action", "committed"),
    [
        (1, _killed, False),
        (2, _killed, False),
        (2, _torn, False),
        (2, _written_then_killed, False),
        (3, _killed, True),
        (3, _torn, True),
    ],
    ids=[
        "temp-file",
        "before-history",
        "torn-history",
        "before-rename",
        "after-rename",
        "torn-marker",
    ],
)
def test_a_kill_at_any_write_keeps_manifest_and_history_together(
    manifest: Path, write: int, action: Callable[[int, memoryview], int], committed: bool
) -> None:
    assert _in_child(lambda: _promote(manifest, _nth_write(write, action))) == -signal.SIGKILL

    revision = load_manifest(manifest).model.revision
    assert revision == (4 if committed else 3)
    assert committed_revisions(manifest) == ([4] if committed else [])

    _promote(manifest, route="r1")  # the next edit recovers, then commits revision 4 or 5
    assert load_manifest(manifest).model.revision == revision + 1
    assert committed_revisions(manifest) == list(range(4, revision + 2))
    assert history_actions(manifest).count("commit") == len(committed_revisions(manifest))


def test_an_aborted_revision_is_listed_once_after_it_is_reused(manifest: Path) -> None:
    crash = _nth_write(2, _written_then_killed)
    assert _in_child(lambda: _promote(manifest, crash)) == -signal.SIGKILL
    _promote(manifest)
    entries = ManifestStore(manifest).history.entries()
    assert [(e.revision, e.action, e.route) for e in entries] == [(4, "promote", "r0")]
    assert history_actions(manifest) == ["promote", "abort", "promote", "commit"]


@pytest.mark.parametrize("write", [1, 2], ids=["manifest-temp-file", "history"])
def test_a_full_disk_changes_nothing_and_says_so(manifest: Path, write: int) -> None:
    before = manifest.read_bytes()
    with pytest.raises(WriteError, match="No space left on device") as caught:
        _promote(manifest, _nth_write(write, _disk_full))
    assert caught.value.exit_code == 1 and caught.value.hint and "space" in caught.value.hint
    assert manifest.read_bytes() == before
    assert not history_path_for(manifest).exists()
    assert sorted(p.name for p in manifest.parent.iterdir() if p.name.startswith(".")) == []


def test_a_full_disk_on_the_commit_marker_still_commits(manifest: Path) -> None:
    _promote(manifest, _nth_write(3, _disk_full))  # exit 0: the rename happened
    assert load_manifest(manifest).model.revision == 4
    assert committed_revisions(manifest) == [4]


def test_a_reader_skips_a_torn_line_and_the_next_append_cuts_it(manifest: Path) -> None:
    _promote(manifest)
    history = history_path_for(manifest)
    with history.open("a") as handle:
        handle.write('{"action": "promote", "revis')
    log = HistoryLog(history)
    assert [e.revision for e in log.entries()] == [4]
    _promote(manifest, route="r1")
    assert committed_revisions(manifest) == [4, 5]
    assert history_actions(manifest) == ["promote", "commit"] * 2


def test_an_open_change_is_listed_only_once_the_manifest_has_its_revision(
    manifest: Path,
) -> None:
    """Readers around each write: the entries written ahead show only after the rename."""
    seen: list[tuple[list[int], list[int]]] = []

    def revisions() -> list[int]:
        return [e.revision for e in ManifestStore(manifest).history.entries()]

    def look_around(fd: int, data: memoryview) -> int:
        before = revisions()
        written = os.write(fd, data)
        seen.append((before, revisions()))
        return written

    _promote(manifest, look_around)
    # temp file; history written ahead (open: hidden); commit marker (renamed: shown)
    assert seen == [([], []), ([], []), ([4], [4])]
