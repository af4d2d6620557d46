"""Build the deployment zip of one Lambda handler with only what it needs.

Starting from the handler's module, follows its imports (``ast``) inside the same
top-level package (``migrated_functions``) and zips those files plus the package
``__init__`` files, deterministically (fixed timestamps, sorted), so an unchanged
handler yields the same ``CodeSha256`` and no update. Third-party libraries are not
vendored: they belong in a Lambda layer. Must not call AWS.
"""

from __future__ import annotations

import ast
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from router.errors import HandlerError, InputError

__all__ = ["MAX_UNZIPPED", "MAX_ZIPPED", "Package", "build_package"]

MAX_ZIPPED = 50 * 1024 * 1024  # direct upload limit
MAX_UNZIPPED = 250 * 1024 * 1024
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Package:
    handler: str
    files: tuple[str, ...]
    zip_bytes: bytes
    unzipped_size: int

    @property
    def size(self) -> int:
        return len(self.zip_bytes)


def build_package(root: Path, handler: str) -> Package:
    module = handler.rpartition(".")[0]
    top = module.split(".")[0]
    files = sorted(_closure(root, module, top))
    data, raw = _zip(root, files)
    if len(data) > MAX_ZIPPED or raw > MAX_UNZIPPED:
        raise InputError(
            f"{handler}: package is {len(data)} bytes zipped, {raw} unzipped; Lambda allows "
            f"{MAX_ZIPPED} zipped and {MAX_UNZIPPED} unzipped"
        )
    return Package(handler, tuple(files), data, raw)


def _module_file(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _closure(root: Path, module: str, top: str) -> set[str]:
    seen: set[str] = set()
    pending = [module]
    while pending:
        name = pending.pop()
        path = _module_file(root, name)
        if path is None:
            if name == module:
                raise HandlerError(f"{module}: no such module under {root}")
            continue
        rel = path.relative_to(root).as_posix()
        if rel in seen:
            continue
        seen.add(rel)
        seen.update(_package_inits(root, name))
        pending.extend(m for m in _imports(path, name) if m.split(".")[0] == top)
    return seen


def _package_inits(root: Path, module: str) -> set[str]:
    parts = module.split(".")
    inits = (root.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts)))
    return {p.relative_to(root).as_posix() for p in inits if p.is_file()}


def _imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(package, node.module, node.level)
            found.append(base)
            found.extend(f"{base}.{alias.name}" for alias in node.names)
    return found


def _resolve(package: str, name: str | None, level: int) -> str:
    if level == 0:
        return name or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - level + 1])
    return f"{base}.{name}" if name else base


def _zip(root: Path, files: list[str]) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    raw = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            content = (root / rel).read_bytes()
            raw += len(content)
            info = zipfile.ZipInfo(rel, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue(), raw
