"""``router.build.local.local_code``: the function's package extracted read-only, as
Lambda's ``/var/task``, and a cache that can still be removed and filled again."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from router.build.local import _extract, local_code
from router.fsmodes import READ_ONLY_DIR, READ_ONLY_FILE, is_superuser, remove_tree
from tests.helpers.build import Project

HANDLER = "fns.app.handler"


def _modes(root: Path) -> set[tuple[str, int]]:
    found = {("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found.add(("dir" if path.is_dir() else "file", stat.S_IMODE(path.stat().st_mode)))
    return found


def test_the_code_directory_is_read_only_by_mode(project: Project, tmp_path: Path) -> None:
    code, _ = local_code(project.root, HANDLER, tmp_path / "cache")
    assert (code / "fns" / "app.py").is_file()
    assert list(code.rglob("*.pyc"))  # byte-compiled before it was sealed
    assert _modes(code) == {("dir", READ_ONLY_DIR), ("file", READ_ONLY_FILE)}


@pytest.mark.skipif(is_superuser(), reason="root's writes ignore file modes (documented)")
def test_a_handler_writing_into_its_code_directory_gets_permission_error(
    project: Project, tmp_path: Path
) -> None:
    code, _ = local_code(project.root, HANDLER, tmp_path / "cache")
    with pytest.raises(PermissionError):
        (code / "fns" / "written.txt").write_text("x")
    with pytest.raises(PermissionError):
        (code / "fns" / "app.py").write_text("x")


def test_removed_and_extracted_again(project: Project, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code, _ = local_code(project.root, HANDLER, cache)
    remove_tree(cache / "code")
    assert not code.exists()
    again, _ = local_code(project.root, HANDLER, cache)
    assert again == code and (again / "fns" / "app.py").is_file()


def test_losing_the_race_leaves_no_scratch_directory(project: Project, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code, package = local_code(project.root, HANDLER, cache)
    _extract(package, code)  # another process placed the same hash first
    assert sorted(p.name for p in (cache / "code").iterdir()) == [code.name]


def test_a_writable_directory_from_before_is_sealed(project: Project, tmp_path: Path) -> None:
    code, _ = local_code(project.root, HANDLER, tmp_path / "cache")
    for path in [code, *code.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    again, _ = local_code(project.root, HANDLER, tmp_path / "cache")
    assert again == code
    assert _modes(code) == {("dir", READ_ONLY_DIR), ("file", READ_ONLY_FILE)}
