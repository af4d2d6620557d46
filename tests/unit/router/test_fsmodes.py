"""``router.fsmodes``: Lambda's read-only code tree by mode, and removing such trees."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from router.fsmodes import (
    READ_ONLY_DIR,
    READ_ONLY_EXEC,
    READ_ONLY_FILE,
    is_read_only,
    is_superuser,
    make_read_only,
    remove_tree,
)


def _tree(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / "mod.py").write_text("X = 1\n")
    return root


def _modes(root: Path) -> set[tuple[str, int]]:
    found = {("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        kind = "dir" if path.is_dir() else "file"
        found.add((kind, stat.S_IMODE(path.lstat().st_mode)))
    return found


def test_make_read_only_sets_lambdas_modes_everywhere(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code")
    assert not is_read_only(root)
    make_read_only(root)
    assert _modes(root) == {("dir", READ_ONLY_DIR), ("file", READ_ONLY_FILE)}
    assert is_read_only(root)


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_text("")
    root = _tree(tmp_path / "code")
    (root / "link").symlink_to(outside)
    make_read_only(root)
    assert stat.S_IMODE(outside.stat().st_mode) != READ_ONLY_DIR
    remove_tree(root)
    assert not root.exists() and (outside / "f").exists()


@pytest.mark.skipif(is_superuser(), reason="root's writes ignore file modes")
def test_writes_into_a_read_only_tree_fail(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code")
    make_read_only(root)
    with pytest.raises(PermissionError):
        (root / "pkg" / "new.txt").write_text("x")
    with pytest.raises(PermissionError):
        (root / "pkg" / "__init__.py").write_text("x")


def test_remove_tree_removes_read_only_and_unlistable_directories(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code")
    (root / "locked").mkdir()
    (root / "locked" / "f").write_text("")
    make_read_only(root)
    os.chmod(root / "locked", 0)
    remove_tree(root)
    assert not root.exists()
    remove_tree(root)  # gone already: nothing to do


def test_is_superuser_is_the_effective_uid() -> None:
    assert is_superuser() == (os.geteuid() == 0)


def test_an_executable_file_stays_executable(tmp_path: Path) -> None:
    root = _tree(tmp_path / "code")
    (root / "pkg" / "tool").write_text("#!/bin/sh\n")
    os.chmod(root / "pkg" / "tool", 0o755)
    make_read_only(root)
    assert stat.S_IMODE((root / "pkg" / "tool").stat().st_mode) == READ_ONLY_EXEC
    assert stat.S_IMODE((root / "pkg" / "__init__.py").stat().st_mode) == READ_ONLY_FILE
