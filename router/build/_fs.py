"""Scratch directories for build results that are renamed into place when complete.

This module must not decide what is built.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from router.fsio import write_error

__all__ = ["scratch_dir"]


def scratch_dir(parent: Path, prefix: str) -> Path:
    """A fresh empty directory in ``parent`` (created if need be); ``WriteError`` if not."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    except OSError as exc:
        raise write_error(parent, exc) from exc
