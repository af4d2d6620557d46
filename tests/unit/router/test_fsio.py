"""OS errors on writes become ``WriteError``: the file named, what to do, nothing changed."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from router.errors import WriteError
from router.fsio import atomic_write, write_error


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (errno.ENOSPC, "free some space"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "check the permissions of"),
    ],
)
def test_os_errors_say_what_to_do(tmp_path: Path, code: int, hint: str) -> None:
    error = write_error(tmp_path / "state.json", OSError(code, os.strerror(code)))
    assert error.exit_code == 1
    assert error.message.startswith(f"{tmp_path / 'state.json'}: cannot write: ")
    assert os.strerror(code) in error.message
    assert error.hint is not None and hint in error.hint


def test_a_write_under_a_file_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("kept")
    with pytest.raises(WriteError, match="afile is not a directory"):
        atomic_write(tmp_path / "afile" / "state.json", "{}")
    assert (tmp_path / "afile").read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]
