"""Load, validate and save ``migration.yaml``: atomic, locked, comment-preserving.

Reads go through ``load_manifest``; every change goes through
``ManifestStore.edit()``, which holds a file lock, re-reads the file, lets the
caller change the model, validates it, bumps ``revision`` and writes the file
atomically (temp file + rename). An invalid file is never rewritten.
This module must not decide *what* changes (see ``router.routes``).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import filelock
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from router.errors import InputError, LockTimeout, ManifestError
from router.manifest._fast import fast_data
from router.manifest._locate import describe_errors
from router.manifest._splice import splice_routes
from router.manifest.model import Manifest

__all__ = ["LoadedManifest", "ManifestStore", "atomic_write", "dump_manifest", "load_manifest"]


@dataclass
class LoadedManifest:
    """A validated manifest and its text; ``raw`` (ruamel's comment-keeping document,
    slow to build for thousands of routes) is parsed on first use."""

    path: Path
    model: Manifest
    text: str
    data: dict[str, Any] | None = field(default=None, repr=False)  # as libyaml read it
    _raw: CommentedMap | None = field(default=None, repr=False)

    @property
    def raw(self) -> CommentedMap:
        if self._raw is None:
            self._raw = _parse_raw(self.path, self.text)
        return self._raw


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def load_manifest(path: Path) -> LoadedManifest:
    """Read and validate a manifest; InputError/ManifestError name the problem.

    The data is read with libyaml (``_fast``) when that is certain to read it as
    ruamel.yaml would; otherwise, and to word any error, with ruamel.yaml.
    """
    text = _read_text(path)
    data = fast_data(text)
    if data is not None:
        with contextlib.suppress(ValidationError):  # ruamel's document locates the error
            return LoadedManifest(path, Manifest.model_validate(data), text, data)
    raw = _parse_raw(path, text)
    try:
        model = Manifest.model_validate(_plain(raw))
    except ValidationError as exc:
        raise ManifestError(str(path), describe_errors(exc, raw)) from exc
    return LoadedManifest(path, model, text, None, raw)


def _read_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(
            f"{path}: manifest not found", hint="create it with `migrate init --app MODULE:ATTR`"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read manifest: {exc}") from exc
    return text


def _parse_raw(path: Path, text: str) -> CommentedMap:
    try:
        raw = _yaml().load(text)
    except YAMLError as exc:
        raise ManifestError(str(path), [f"YAML syntax: {exc}".replace("\n", " ")]) from exc
    if not isinstance(raw, CommentedMap):
        raise ManifestError(
            str(path), ["the top level must be a mapping (api, legacy, routes, ...)"]
        )
    return raw


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts/lists (pydantic strict mode wants them)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def dump_manifest(model: Manifest, raw: CommentedMap | None = None) -> str:
    """The YAML text of ``model``, merged into ``raw`` so comments and key order survive."""
    doc = raw if raw is not None else CommentedMap()
    _merge_map(doc, to_document(model))
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def to_document(model: Manifest) -> dict[str, Any]:
    """The manifest as plain data, leaving out empty and default-only route fields."""
    data = model.model_dump(mode="json", exclude_none=True)
    data["routes"] = [_compact_route(r) for r in data["routes"]]
    return data


def _compact_route(route: dict[str, Any]) -> dict[str, Any]:
    empty = {"environment": {}, "thresholds": {}, "status": "active", "trailing_slash": False}
    return {k: v for k, v in route.items() if empty.get(k, object()) != v}


def _merge_map(doc: CommentedMap, new: dict[str, Any]) -> None:
    for key in [k for k in doc if k not in new]:
        del doc[key]
    for key, value in new.items():
        doc[key] = _merged_value(doc.get(key), value, key)


def _merged_value(old: Any, value: Any, key: str) -> Any:
    if isinstance(value, dict):
        target = old if isinstance(old, CommentedMap) else CommentedMap()
        _merge_map(target, value)
        return target
    if key == "routes" and isinstance(value, list):
        return _merge_routes(old if isinstance(old, CommentedSeq) else CommentedSeq(), value)
    return value


def _merge_routes(seq: CommentedSeq, routes: list[dict[str, Any]]) -> CommentedSeq:
    by_id = {item.get("id"): item for item in seq if isinstance(item, CommentedMap)}
    merged = []
    for route in routes:
        target = by_id.get(route["id"], CommentedMap())
        _merge_map(target, route)
        merged.append(target)
    del seq[:]
    seq.extend(merged)
    return seq


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; a crash leaves the old file."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ManifestStore:
    """The one way to change a manifest: ``with store.edit() as manifest: ...``."""

    def __init__(self, path: Path, *, lock_timeout: float = 30.0) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._lock = filelock.FileLock(str(self.lock_path), timeout=lock_timeout)
        self._after_commit: list[Callable[[], None]] = []

    def read(self) -> Manifest:
        return load_manifest(self.path).model

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the manifest lock (reentrant within this process)."""
        try:
            with self._lock:
                yield
        except filelock.Timeout as exc:
            raise LockTimeout(
                f"{self.path}: another operator holds {self.lock_path.name}",
                hint="wait for the other command to finish, then retry",
            ) from exc

    @contextmanager
    def edit(self) -> Iterator[Manifest]:
        """Lock, load, yield a copy to change, validate, bump revision, write atomically.

        Callbacks registered with ``after_commit`` during the edit run after the
        write, still under the lock; they are dropped when the edit fails.
        """
        with self.locked():
            self._after_commit = []
            try:
                loaded = load_manifest(self.path)
                draft = loaded.model.model_copy(deep=True)
                yield draft
                if self._commit(loaded, draft):
                    for callback in self._after_commit:
                        callback()
            finally:
                self._after_commit = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    def create(self, model: Manifest) -> None:
        """Write a new manifest (``migrate init`` on a missing file)."""
        with self.locked():
            atomic_write(self.path, dump_manifest(_validated(self.path, model)))

    def _commit(self, loaded: LoadedManifest, draft: Manifest) -> bool:
        draft = _validated(self.path, draft)
        if draft == loaded.model:
            return False
        draft.revision = loaded.model.revision + 1
        atomic_write(self.path, _edited_text(loaded, draft))
        return True


def _edited_text(loaded: LoadedManifest, draft: Manifest) -> str:
    """The new file: only the changed routes re-emitted when that is safe (``_splice``),
    else the whole document merged into ruamel's."""
    if loaded.data is not None:
        old, new = to_document(loaded.model), to_document(draft)
        text = splice_routes(loaded.text, loaded.data, old, new, _redump)
        if text is not None:
            return text
    return dump_manifest(draft, loaded.raw)


def _redump(block: str, route: dict[str, Any]) -> str:
    doc = _yaml().load(block)
    _merge_map(doc, {"routes": [route]})
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def _validated(path: Path, model: Manifest) -> Manifest:
    try:
        return Manifest.model_validate(model.model_dump(mode="json"))
    except ValidationError as exc:
        raise ManifestError(str(path), describe_errors(exc, None)) from exc
