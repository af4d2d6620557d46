"""``LayerBuilder.local``: the layer a worker puts on ``sys.path`` is read-only, as
Lambda's ``/opt``; built in a scratch directory renamed into place (concurrent builders
do not collide), sealed when a layer from before is next used, and removable."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from router.build.layer import LayerBuilder
from router.fsmodes import READ_ONLY_DIR, READ_ONLY_FILE, is_superuser, remove_tree
from tests.helpers.build import Project


class Pip:
    """Runs pip for real, counting the calls; ``barrier`` holds each call until every
    builder of a race is inside it."""

    def __init__(self, barrier: threading.Barrier | None = None) -> None:
        self.calls = 0
        self._barrier = barrier

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        if self._barrier is not None:
            self._barrier.wait(timeout=30)
        return subprocess.run(list(argv), capture_output=True, text=True, check=False)


def _builder(project: Project, pip: Pip) -> LayerBuilder:
    pip_args = ["--no-index", "--find-links", str(project.wheelhouse)]
    return LayerBuilder(project.root / "cache", pip_args=pip_args, runner=pip)


def _modes(root: Path) -> set[tuple[str, int]]:
    found = {("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found.add(("dir" if path.is_dir() else "file", stat.S_IMODE(path.stat().st_mode)))
    return found


def _sealed() -> set[tuple[str, int]]:
    return {("dir", READ_ONLY_DIR), ("file", READ_ONLY_FILE)}


def test_the_local_layer_is_read_only_by_mode(project: Project) -> None:
    path = _builder(project, Pip()).local(project.lock)
    assert (path / "tinydep" / "__init__.py").is_file()
    assert list(path.rglob("*.pyc"))  # byte-compiled before it was sealed
    assert _modes(path.parent) == _sealed()


@pytest.mark.skipif(is_superuser(), reason="root's writes ignore file modes (documented)")
def test_a_handler_writing_into_its_layer_gets_permission_error(project: Project) -> None:
    path = _builder(project, Pip()).local(project.lock)
    with pytest.raises(PermissionError):
        (path / "tinydep" / "written.txt").write_text("x")
    with pytest.raises(PermissionError):
        (path / "tinydep" / "__init__.py").write_text("x")


def test_a_writable_layer_from_before_is_sealed_without_reinstalling(project: Project) -> None:
    pip = Pip()
    path = _builder(project, pip).local(project.lock)
    for found in [path.parent, *path.parent.rglob("*")]:
        os.chmod(found, 0o755 if found.is_dir() else 0o644)
    assert _builder(project, pip).local(project.lock) == path
    assert _modes(path.parent) == _sealed() and pip.calls == 1


def test_the_cache_is_removed_and_built_again(project: Project) -> None:
    pip = Pip()
    path = _builder(project, pip).local(project.lock)
    remove_tree(project.root / "cache")
    assert not (project.root / "cache").exists()
    assert _builder(project, pip).local(project.lock) == path
    assert (path / "tinydep" / "__init__.py").is_file() and pip.calls == 2


def test_concurrent_builders_both_get_one_sealed_layer_and_leave_no_scratch(
    project: Project,
) -> None:
    pip = Pip(threading.Barrier(2))  # both are installing before either renames
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(_builder(project, pip).local(project.lock)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert pip.calls == 2 and len(results) == 2 and results[0] == results[1]
    placed = [p.name for p in (project.root / "cache" / "local").iterdir()]
    assert placed == [results[0].parent.name]
    assert _modes(results[0].parent) == _sealed()
