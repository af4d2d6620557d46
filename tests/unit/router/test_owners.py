"""``router.owners``: directories named after their owning process (pid, start time,
boot), and reclaiming exactly those whose owner is no longer running."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from router.fsmodes import make_read_only
from router.owners import owned_dir, owner_alive, process_tag, reclaim
from tests.helpers.procs import dead_process_tag

PREFIX = "strangler-lambda-"


def _parts(tag: str) -> tuple[str, int, int]:
    boot, pid, ticks = tag.split("-")
    return boot, int(pid), int(ticks)


def _leftover(parent: Path, tag: str) -> Path:
    """A directory as a killed owner leaves it: files inside, some read-only."""
    path = parent / f"{PREFIX}{tag}-fn-abc123"
    (path / "sub").mkdir(parents=True)
    (path / "sub" / "f").write_text("x")
    make_read_only(path / "sub")
    return path


def test_an_owned_directory_names_this_process_and_its_label(tmp_path: Path) -> None:
    tag = process_tag()
    assert tag is not None and owner_alive(*_parts(tag))
    made = owned_dir(tmp_path, PREFIX, "fn")
    assert made.name.startswith(f"{PREFIX}{tag}-fn-") and made.parent == tmp_path
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_only_directories_of_dead_owners_are_reclaimed(tmp_path: Path) -> None:
    live = owned_dir(tmp_path, PREFIX, "fn")
    boot, pid, ticks = _parts(str(process_tag()))
    other_boot = "0" * 8 if boot != "0" * 8 else "1" * 8
    dead = [
        _leftover(tmp_path, dead_process_tag()),  # gone
        _leftover(tmp_path, f"{boot}-{pid}-{ticks + 1}"),  # its pid reused by this process
        _leftover(tmp_path, f"{other_boot}-{pid}-{ticks}"),  # this process, at another boot
    ]
    unrelated = tmp_path / f"{PREFIX}not-a-tag"
    unrelated.mkdir()
    (tmp_path / f"{PREFIX}{dead_process_tag()}-file").write_text("a file, not ours")
    (tmp_path / f".build-{dead_process_tag()}-x").mkdir()  # another prefix
    assert reclaim(tmp_path, (PREFIX,)) == 3
    assert not any(path.exists() for path in dead)
    assert live.is_dir() and unrelated.is_dir() and len(list(tmp_path.iterdir())) == 4
    assert reclaim(tmp_path, (PREFIX,)) == 0


def test_a_symlink_with_an_owners_name_is_left_and_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "kept").write_text("")
    (tmp_path / f"{PREFIX}{dead_process_tag()}-fn-x").symlink_to(target)
    assert reclaim(tmp_path, (PREFIX,)) == 0
    assert (target / "kept").exists()


def test_a_zombie_is_not_running(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        tag = process_tag(proc.pid)
        assert tag is not None and owner_alive(*_parts(tag))
        os.kill(proc.pid, 9)
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        assert process_tag(proc.pid) is None and not owner_alive(*_parts(tag))
    finally:
        proc.kill()
        proc.wait()


def test_a_missing_parent_reclaims_nothing(tmp_path: Path) -> None:
    assert reclaim(tmp_path / "missing", (PREFIX,)) == 0
