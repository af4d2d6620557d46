"""The directories ``template.yaml`` points ``sam build`` at, filled by ``migrate build``.

A function's ``CodeUri`` (``.migrate/build/sam/<FunctionLogicalId>``) holds exactly its
zip's files; a layer's ``ContentUri`` (``.../<...Layer>``) holds the lock as the
``requirements.txt`` that ``sam build`` installs for ``Metadata: BuildMethod``, so SAM
installs the same pinned, hashed versions. Each directory is replaced in one rename.
This module must not decide what goes into a function or a layer.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from router.build._fs import scratch_dir
from router.fsio import write_error
from router.manifest.model import Route
from router.render.openapi import logical_id
from router.render.sam import layer_logical_id

__all__ = ["SamDirs"]


class SamDirs:
    def __init__(self, root: Path) -> None:
        self.root = root

    def code(self, route: Route, zip_bytes: bytes) -> Path:
        def fill(tmp: Path) -> None:
            tmp.mkdir()
            with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                archive.extractall(tmp)

        return self._replace(logical_id(route), fill)

    def layer(self, requirements: str, lock: Path) -> Path:
        text = lock.read_text(encoding="utf-8")

        def fill(tmp: Path) -> None:
            tmp.mkdir()
            (tmp / "requirements.txt").write_text(text, encoding="utf-8")

        return self._replace(layer_logical_id(requirements), fill)

    def _replace(self, name: str, fill: Callable[[Path], object]) -> Path:
        """``fill`` a fresh directory, then swap it in for ``root/name``."""
        target = self.root / name
        scratch = scratch_dir(self.root, ".sam-")
        try:
            fill(scratch / "new")  # fill creates nothing above it: make the directory first
            if target.exists():
                os.rename(target, scratch / "old")
            os.rename(scratch / "new", target)
        except OSError as exc:
            raise write_error(target, exc) from exc
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return target
