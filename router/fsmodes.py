"""File modes of the trees the local Lambda runtime hands to its workers.

``make_read_only`` gives a tree the permissions of Lambda's read-only ``/var/task`` and
``/opt`` (files ``0o444``, executable files ``0o555``, directories ``0o555``) so a
handler writing into its own code directory or a layer gets a ``PermissionError``, as
on AWS, and a program a package ships stays executable. File modes do not bind the
superuser: ``is_superuser`` says when they are advisory only (the modes are still set).
``remove_tree`` removes a tree even when its directories are read-only (``shutil.rmtree``
needs write permission on every directory it empties). Symbolic links are never
followed, so nothing outside the tree changes mode. This module must not decide what
is read-only or when a tree goes.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

__all__ = [
    "READ_ONLY_DIR",
    "READ_ONLY_EXEC",
    "READ_ONLY_FILE",
    "is_read_only",
    "is_superuser",
    "make_read_only",
    "remove_tree",
]

READ_ONLY_FILE = 0o444
READ_ONLY_EXEC = 0o555  # a file with any execute bit
READ_ONLY_DIR = 0o555


def is_superuser() -> bool:
    """True when file modes do not stop this process's writes (effective uid 0)."""
    return os.geteuid() == 0


def make_read_only(root: Path) -> None:
    """Files under ``root`` ``0o444`` (``0o555`` when executable), directories (``root``
    included, last: a read-only ``root`` means a sealed tree) ``0o555``."""
    for parent, dirs, files in os.walk(root):
        for name in files:
            _chmod_file(Path(parent, name))
        for name in dirs:
            _chmod(Path(parent, name), READ_ONLY_DIR)
    _chmod(root, READ_ONLY_DIR)


def is_read_only(root: Path) -> bool:
    """Whether ``root`` itself grants no write permission to anyone."""
    return not os.lstat(root).st_mode & 0o222


def remove_tree(root: Path) -> None:
    """Remove ``root`` and everything under it, read-only or not; nothing if it is gone."""
    if not os.path.lexists(root):
        return
    if root.is_symlink() or not root.is_dir():
        root.unlink()
        return
    _add_owner_rwx(root)  # before the walk lists it: a 0o000 directory is listed too
    for parent, dirs, _ in os.walk(root):
        for name in dirs:
            _add_owner_rwx(Path(parent, name))
    shutil.rmtree(root, ignore_errors=True)


def _chmod(path: Path, mode: int) -> None:
    if not path.is_symlink():
        os.chmod(path, mode)


def _chmod_file(path: Path) -> None:
    found = os.lstat(path)
    if not stat.S_ISLNK(found.st_mode):
        os.chmod(path, READ_ONLY_EXEC if found.st_mode & 0o111 else READ_ONLY_FILE)


def _add_owner_rwx(path: Path) -> None:
    try:
        found = os.lstat(path)
        if stat.S_ISDIR(found.st_mode):
            os.chmod(path, stat.S_IMODE(found.st_mode) | stat.S_IRWXU)
    except OSError:
        pass  # rmtree reports nothing either: what cannot be removed stays
