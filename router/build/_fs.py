"""Scratch directories for build results that are renamed into place when complete.

Each is named after the process building it (``router.owners``), so one left in the
build cache by a killed build is removed by ``reclaim_scratch`` once that process is
gone. This module must not decide what is built.
"""

from __future__ import annotations

from pathlib import Path

from router.fsio import write_error
from router.owners import owned_dir, reclaim

__all__ = ["reclaim_scratch", "scratch_dir"]

# the build cache's folders that get scratch directories, and their prefixes
_SCRATCH_FOLDERS = ("local", "code", "layers", "runtime")
_SCRATCH_PREFIXES = (".build-", ".extract-", ".runtime-")


def scratch_dir(parent: Path, prefix: str) -> Path:
    """A fresh empty directory in ``parent`` (created if need be); ``WriteError`` if not."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return owned_dir(parent, prefix)
    except OSError as exc:
        raise write_error(parent, exc) from exc


def reclaim_scratch(cache: Path) -> int:
    """Remove the scratch directories that builds no longer running left in the build
    cache ``cache``; how many."""
    return sum(reclaim(cache / folder, _SCRATCH_PREFIXES) for folder in _SCRATCH_FOLDERS)
