"""File writes of the control plane: atomic replace, and OS errors as ``WriteError``.

Every file strangler writes (manifest, state, baselines, shadow results, reports,
``template.yaml``) is replaced in one rename of an fsynced temp file in the same
directory, so a crash or a full disk leaves the old file. ``os_errors`` turns an
``OSError`` (disk full, permission denied, read-only file system, a missing
directory) into a ``WriteError`` that names the file and says what to do. This
module must not know what the files contain.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from router.errors import WriteError

__all__ = [
    "Writer",
    "atomic_write",
    "os_errors",
    "replace",
    "write_all",
    "write_error",
    "write_temp",
]

Writer = Callable[[int, memoryview], int]  # os.write; injectable to test a full disk

_HINTS = {
    errno.ENOSPC: "free some space on that disk, then run the command again",
    errno.EDQUOT: "free some space (the disk quota is used up), then run the command again",
    errno.EACCES: "check the permissions of {dir} (this user must be able to write there)",
    errno.EPERM: "check the permissions of {dir} (this user must be able to write there)",
    errno.EROFS: "{dir} is on a read-only file system: run the command where it can write",
    errno.ENOENT: "create the directory {dir} first, or pass another path",
    errno.ENOTDIR: "{dir} is not a directory: pass a path inside a directory",
}


def write_error(path: Path, exc: OSError, what: str = "write") -> WriteError:
    """A ``WriteError`` naming ``path`` and the OS reason, with a hint for the usual ones."""
    code, reason = _reason(path, exc)
    hint = _HINTS.get(code, "fix the cause above, then run the command again")
    message = f"{path}: cannot {what}: {reason}; the files were left as they were"
    return WriteError(message, hint=hint.format(dir=path.parent))


def _reason(path: Path, exc: OSError) -> tuple[int, str]:
    """The errno and words to report; a parent that is no directory is said as such."""
    parent = path.parent
    if not parent.is_dir():  # some callers (filelock) report it as "File exists"
        code = errno.ENOTDIR if parent.exists() else errno.ENOENT
        return code, f"{parent} is {'not a directory' if parent.exists() else 'missing'}"
    return exc.errno or 0, exc.strerror or str(exc)


@contextmanager
def os_errors(path: Path, what: str = "write") -> Iterator[None]:
    """Map an ``OSError`` raised inside to ``write_error(path, ...)``."""
    try:
        yield
    except OSError as exc:
        raise write_error(path, exc, what) from exc


def write_temp(path: Path, text: str, *, writer: Writer = os.write) -> Path:
    """``text`` in an fsynced temp file beside ``path`` (same mode), ready for ``replace``.

    ``writer`` is ``os.write``, injectable to test a full disk.
    """
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            write_all(fd, text.encode("utf-8"), writer)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def write_all(fd: int, data: bytes, writer: Writer = os.write) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write part of it)."""
    view = memoryview(data)
    while view:
        view = view[writer(fd, view) :]


def replace(tmp: Path, path: Path) -> None:
    """Rename ``tmp`` over ``path``, then fsync the directory so the rename is durable."""
    os.replace(tmp, path)
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:  # a directory that cannot be opened: the rename is done all the same
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; a crash or an error leaves the old file."""
    with os_errors(path):
        tmp = write_temp(path, text)
        try:
            replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
