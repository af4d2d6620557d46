"""Build the deployment zip of one Lambda handler with only the project code it needs.

Starting from the handler's module, follows its imports (``ast``) inside the same
top-level package (``migrated_functions``) and zips those files plus the package
``__init__`` files, deterministically (``router.build._zip``), so an unchanged
handler yields the same ``CodeSha256`` and no update. Third-party libraries are not
vendored here: they go in the dependency layer (``router.build.layer``). Must not call
AWS nor run pip.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from router.build._zip import b64_sha256, zip_entries
from router.errors import HandlerError, InputError

__all__ = ["MAX_UNZIPPED", "MAX_ZIPPED", "Package", "build_package"]

MAX_ZIPPED = 50 * 1024 * 1024  # direct upload limit; bigger goes through S3
MAX_UNZIPPED = 250 * 1024 * 1024  # function code plus all its layers


@dataclass(frozen=True)
class Package:
    handler: str
    files: tuple[str, ...]
    zip_bytes: bytes
    unzipped_size: int

    @property
    def size(self) -> int:
        return len(self.zip_bytes)

    @property
    def sha256(self) -> str:
        """Lambda's ``CodeSha256`` of this zip."""
        return b64_sha256(self.zip_bytes)


def build_package(root: Path, handler: str) -> Package:
    module = handler.rpartition(".")[0]
    top = module.split(".")[0]
    files = sorted(_closure(root, module, top))
    data, raw = zip_entries((rel, root / rel) for rel in files)
    if raw > MAX_UNZIPPED:  # over MAX_ZIPPED zipped is fine: it is uploaded through S3
        raise InputError(
            f"{handler}: package is {raw} bytes unzipped; Lambda allows {MAX_UNZIPPED} unzipped"
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
