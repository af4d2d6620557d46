"""The CLI on hostile manifests, symlinks and OS errors: clear messages, right exit codes.

OS errors are real ones (tests run as root, so permissions do not block): a path
under a regular file (ENOTDIR), a history linked to ``/dev/full`` (ENOSPC on
write), a history that is a directory (EISDIR). Nothing may print a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.history import HistoryLog, history_path_for
from router.manifest.store import load_manifest
from tests.helpers.cli import Project
from tests.unit.router.test_store_limits import alias_bomb

DEV_FULL = Path("/dev/full")


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output and "error:" in output


def test_an_alias_bomb_exits_2_naming_the_file(project: Project) -> None:
    project.manifest.write_text(alias_bomb(6))
    result = project.run("routes")
    assert result.exit_code == 2, result.output
    _no_traceback(result.output)
    assert str(project.manifest.resolve()) in result.output.replace("\n", "")
    assert "aliases expand" in result.output


def test_promote_through_a_symlink_changes_the_real_file(project: Project) -> None:
    link = project.root / "ops" / "migration.yaml"
    link.parent.mkdir()
    link.symlink_to(project.manifest)
    promote = ("route", "promote", "get-api-users-id", "-f", project.handler)
    result = project.run(*promote, "--manifest", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert load_manifest(project.manifest).model.revision == 1
    assert [e.revision for e in HistoryLog(history_path_for(project.manifest)).entries()] == [1]
    assert sorted(p.name for p in link.parent.iterdir()) == ["migration.yaml"]
    history = json.loads(project.run("history", "--json", "--manifest", str(link)).stdout)
    assert [h["revision"] for h in history] == [1]


@pytest.mark.skipif(not DEV_FULL.exists(), reason="needs /dev/full")
def test_a_full_disk_on_the_history_changes_nothing(project: Project) -> None:
    history_path_for(project.manifest).symlink_to(DEV_FULL)
    before = project.manifest.read_bytes()
    result = project.run("route", "promote", "get-api-users-id", "-f", project.handler)
    assert result.exit_code == 1, result.output
    _no_traceback(result.output)
    assert "No space left on device" in result.output and "free some space" in result.output
    assert project.manifest.read_bytes() == before


def test_render_into_a_path_under_a_file_says_so(project: Project) -> None:
    (project.root / "afile").write_text("")
    result = project.run("render", "--out", str(project.root / "afile" / "template.yaml"))
    assert result.exit_code == 1, result.output
    _no_traceback(result.output)
    output = result.output.replace("\n", "")
    assert "afile/template.yaml: cannot write: " in output and "afile is not a directory" in output


def test_init_beside_a_file_says_so(project: Project) -> None:
    (project.root / "afile").write_text("")
    manifest = str(project.root / "afile" / "migration.yaml")
    url = "http://127.0.0.1:5000"
    app = "legacy_app:create_app"
    result = project.run("init", "--app", app, "--legacy-url", url, "--manifest", manifest)
    assert result.exit_code == 1, result.output
    _no_traceback(result.output)
    assert "afile is not a directory" in result.output.replace("\n", "")


def test_an_unreadable_history_is_an_error_not_a_traceback(project: Project) -> None:
    history_path_for(project.manifest).mkdir()
    result = project.run("history")
    assert result.exit_code == 1, result.output
    _no_traceback(result.output)
    assert "Is a directory" in result.output
