"""Directories named after the process that owns them, reclaimed once that process is dead.

A process killed with SIGKILL cannot remove what it made (a Lambda environment's private
``TMPDIR``, a half-built layer's scratch directory). ``owned_dir`` names each such
directory ``<prefix><boot>-<pid>-<start>-<label>-<random>``: the kernel's boot id (its
first 8 hex digits), the owner's pid and its start time in clock ticks since boot
(``/proc/<pid>/stat``, field 22). A pid alone could be reused by an unrelated process;
pid, start time and boot together name one process only. ``reclaim`` removes, in one
directory, those whose owner is no longer running (gone, a zombie, another process
under its pid, or another boot), and only this user's; it never follows symlinks. On a
system without ``/proc`` the names carry no owner and nothing is ever reclaimed.
This module must not decide which directories a process makes or when it sweeps.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import cache
from pathlib import Path

from router.fsmodes import remove_tree

__all__ = ["owned_dir", "owner_alive", "process_tag", "reclaim"]

_TAG = re.compile(r"([0-9a-f]{8})-([0-9]+)-([0-9]+)-")


@cache
def _boot_id() -> str | None:
    try:
        text = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii")
    except OSError:
        return None
    return text.strip().replace("-", "")[:8] or None


def _start_ticks(pid: int) -> int | None:
    """``pid``'s start time since boot, in clock ticks; None when it is not running."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces
    if len(fields) < 20 or fields[0] == "Z":  # a zombie has ended: only its exit status is left
        return None
    return int(fields[19])


def process_tag(pid: int | None = None) -> str | None:
    """``<boot>-<pid>-<start>`` of ``pid`` (default: this process); None if unknown."""
    pid = os.getpid() if pid is None else pid
    boot, ticks = _boot_id(), _start_ticks(pid)
    return None if boot is None or ticks is None else f"{boot}-{pid}-{ticks}"


def owner_alive(boot: str, pid: int, ticks: int) -> bool:
    """Whether the process a tag names is still running."""
    return boot == _boot_id() and _start_ticks(pid) == ticks


def owned_dir(parent: Path | None, prefix: str, label: str = "") -> Path:
    """A fresh directory (mode ``0o700``) in ``parent`` (default: the temp directory)
    named after this process, for ``reclaim`` to find once the process is gone."""
    tag = process_tag()
    parts = [part for part in (tag, label) if part]
    name = prefix + "".join(f"{part}-" for part in parts)
    return Path(tempfile.mkdtemp(prefix=name, dir=parent))


def reclaim(parent: Path, prefixes: tuple[str, ...]) -> int:
    """Remove the directories in ``parent`` named by ``owned_dir`` with one of
    ``prefixes`` whose owner is dead; how many were removed."""
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        if _is_orphan(entry, prefixes):
            remove_tree(Path(entry.path))
            removed += not os.path.lexists(entry.path)
    return removed


def _is_orphan(entry: os.DirEntry[str], prefixes: tuple[str, ...]) -> bool:
    if _boot_id() is None:
        return False  # no /proc: no owner can be judged dead
    prefix = next((p for p in prefixes if entry.name.startswith(p)), None)
    found = _TAG.match(entry.name, len(prefix)) if prefix is not None else None
    if found is None or not entry.is_dir(follow_symlinks=False):
        return False
    try:
        if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
            return False  # another user's: not ours to judge (nor to remove)
    except OSError:
        return False
    boot, pid, ticks = found.groups()
    return not owner_alive(boot, int(pid), int(ticks))
