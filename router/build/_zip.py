"""Deterministic zip archives: the same files give the same bytes, hence the same hash.

Entries are sorted, stamped 1980-01-01 and given fixed permissions (0644, 0755 for a
file executable by its owner), so a rebuild on another machine or day changes no
``CodeSha256``. This module must not decide what goes into an archive.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["b64_sha256", "tree_entries", "zip_entries"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_entries(entries: Iterable[tuple[str, Path]]) -> tuple[bytes, int]:
    """Zip ``(name in archive, file)`` pairs; return the bytes and the unzipped size."""
    buffer = io.BytesIO()
    raw = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(entries):
            content = path.read_bytes()
            raw += len(content)
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3  # Unix, so the permissions are read back
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue(), raw


def tree_entries(root: Path, prefix: str) -> list[tuple[str, Path]]:
    """Every regular file under ``root`` as ``prefix/relative/path`` (no ``__pycache__``)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            found.append((f"{prefix}/{path.relative_to(root).as_posix()}", path))
    return found


def b64_sha256(data: bytes) -> str:
    """Lambda's ``CodeSha256`` spelling: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
