"""Load, validate and save ``migration.yaml``: atomic, locked, comment-preserving.

Reads go through ``load_manifest``; every change goes through
``ManifestStore.edit()``, which holds a file lock, re-reads the file, lets the
caller change the model, validates it, bumps ``revision`` and commits the file
and its history entries as one unit (entries written ahead, then the rename; see
``ManifestStore._write``). An invalid file is never rewritten.
This module must not decide *what* changes (see ``router.routes``).
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import filelock
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from router.errors import InputError, LockTimeout, ManifestError
from router.fsio import atomic_write, os_errors, write_error, write_temp
from router.fsio import replace as fsio_replace
from router.guard import UNGUARDED, Guard
from router.history import HistoryEntry, HistoryLog, Writer, history_path_for
from router.manifest._fast import fast_data
from router.manifest._gc import collector_paused
from router.manifest._limits import MAX_MANIFEST_BYTES, check_aliases, check_size
from router.manifest._locate import describe_errors
from router.manifest._splice import splice_routes
from router.manifest.model import Manifest
from router.sidecars import lock_path

__all__ = [
    "LoadedManifest",
    "ManifestStore",
    "atomic_write",
    "collector_paused",
    "dump_manifest",
    "load_manifest",
    "parse_manifest",
    "real_path",
]


@dataclass
class LoadedManifest:
    """A validated manifest and its text; ``raw`` (ruamel's comment-keeping document,
    slow to build for thousands of routes) is parsed on first use."""

    path: Path
    model: Manifest
    text: str
    data: dict[str, Any] | None = field(default=None, repr=False)  # as libyaml read it
    _raw: CommentedMap | None = field(default=None, repr=False)
    signature: Signature | None = field(default=None, repr=False)  # of the file read

    def current(self) -> bool:
        """Whether the file is still the one read (same mtime_ns, size and inode)."""
        return self.signature is not None and self.signature == file_signature(self.path)

    @property
    def raw(self) -> CommentedMap:
        if self._raw is None:
            self._raw = _parse_raw(self.path, self.text)
        return self._raw


T = TypeVar("T")
Signature = tuple[int, int, int]  # (mtime_ns, size, inode)


def file_signature(path: Path) -> Signature | None:
    """The file's (mtime_ns, size, inode), or None when it cannot be read."""
    try:
        return _signature(path.stat())
    except OSError:
        return None


def _signature(st: os.stat_result) -> Signature:
    return st.st_mtime_ns, st.st_size, st.st_ino


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


DataReader = Callable[[str], dict[str, Any] | None]


def load_manifest(path: Path, *, read: DataReader = fast_data) -> LoadedManifest:
    """Read and validate a manifest; InputError/ManifestError name the problem.

    The data is read with libyaml (``_fast``, or ``read``: the same data, e.g. by
    ``incremental.BlockReader``) when that is certain to read it as ruamel.yaml
    would; otherwise, and to word any error, with ruamel.yaml.
    """
    text, signature = _read_text(path)
    loaded = parse_manifest(path, text, read=read)
    loaded.signature = signature
    return loaded


def parse_manifest(path: Path, text: str, *, read: DataReader = fast_data) -> LoadedManifest:
    """Validate a manifest's text (read from ``path``, or held by a state backend)."""
    with collector_paused():
        return _parse(path, text, read)


def _parse(path: Path, text: str, read: DataReader) -> LoadedManifest:
    data = read(text)
    if data is not None:
        with contextlib.suppress(ValidationError):  # ruamel's document locates the error
            return LoadedManifest(path, Manifest.model_validate(data), text, data)
    raw = _parse_raw(path, text)
    try:
        model = Manifest.model_validate(_plain(raw))
    except ValidationError as exc:
        raise ManifestError(str(path), describe_errors(exc, raw)) from exc
    return LoadedManifest(path, model, text, None, raw)


def _parse_raw(path: Path, text: str) -> CommentedMap:
    try:
        raw = _yaml().load(text)
    except YAMLError as exc:
        raise ManifestError(str(path), [f"YAML syntax: {exc}".replace("\n", " ")]) from exc
    if not isinstance(raw, CommentedMap):
        raise ManifestError(
            str(path), ["the top level must be a mapping (api, legacy, routes, ...)"]
        )
    check_aliases(path, raw)
    return raw


def _read_text(path: Path) -> tuple[str, Signature]:
    try:
        with path.open("rb") as handle:
            st = os.fstat(handle.fileno())
            check_size(path, st.st_size)
            return handle.read(MAX_MANIFEST_BYTES + 1).decode("utf-8"), _signature(st)
    except FileNotFoundError as exc:
        raise InputError(
            f"{path}: manifest not found", hint="create it with `migrate init --app MODULE:ATTR`"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read manifest: {exc}") from exc


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


class ManifestStore:
    """The one way to change a manifest: ``with store.edit() as manifest: ...``.

    ``path`` is resolved once: a symlinked manifest is written through to its real
    file, and the lock and history sit beside that file. ``writer`` (``os.write``)
    is injectable to test a full disk. ``loaded`` (the manifest just read to open the
    store) serves the first read or edit instead of a second parse, if the file is
    still the one it was read from.
    """

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = 30.0,
        writer: Writer = os.write,
        loaded: LoadedManifest | None = None,
    ) -> None:
        self.path = real_path(path)
        self._loaded = loaded
        self.lock_path = lock_path(self.path)
        self._lock = filelock.FileLock(str(self.lock_path), timeout=lock_timeout)
        self._writer = writer
        self.history = HistoryLog(
            history_path_for(self.path), manifest_revision=self._revision, writer=writer
        )
        self._records: list[HistoryEntry] = []

    def read(self) -> Manifest:
        return self._load().model

    def _load(self) -> LoadedManifest:
        """The manifest on disk: the one the store was opened with once, if current."""
        loaded, self._loaded = self._loaded, None
        if loaded is not None and loaded.path == self.path and loaded.current():
            return loaded
        return load_manifest(self.path)

    def _revision(self) -> int:
        return self.read().revision

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the manifest lock (reentrant within this process)."""
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise LockTimeout(
                f"{self.path}: another operator holds {self.lock_path.name}",
                hint="wait for the other command to finish, then retry",
            ) from exc
        except OSError as exc:
            raise write_error(self.lock_path, exc, "create the lock file") from exc
        try:
            yield
        finally:
            self._lock.release()

    def held(self, name: str, operation: str) -> contextlib.AbstractContextManager[Guard]:
        """A long operation's lease: none in local files (see ``router.state.store``)."""
        return contextlib.nullcontext(UNGUARDED)

    @contextmanager
    def edit(self) -> Iterator[Manifest]:
        """Lock, load, yield a copy to change, validate, bump revision, commit.

        History entries passed to ``record`` during the edit are committed with the
        manifest (``_commit``); they are dropped when the edit fails or changes nothing.
        """
        with self.locked():
            self._records = []
            try:
                loaded = self._load()
                self.history.recover(loaded.model.revision)
                draft = _draft(loaded)
                yield draft
                self._commit(loaded, draft)
            finally:
                self._records = []

    def update(self, change: Callable[[Manifest], T]) -> T:
        """One edit as a function: ``change(draft)`` inside ``edit()``. A backend that can
        lose a race (``router.state.store``) runs it again on the state that won."""
        with self.edit() as draft:
            return change(draft)

    def recover(self) -> None:
        """Settle what a crash left (what the next ``edit`` does first)."""
        with self.locked():
            self.history.recover(self.read().revision)

    def record(self, entries: list[HistoryEntry]) -> None:
        """History entries of the change being edited, committed together with it."""
        self._records.extend(entries)

    def create(self, model: Manifest) -> None:
        """Write a new manifest (``migrate init`` on a missing file)."""
        with self.locked():
            atomic_write(self.path, dump_manifest(_validated(self.path, model)))

    def _commit(self, loaded: LoadedManifest, draft: Manifest) -> bool:
        draft = _validated(self.path, draft)
        if draft == loaded.model:
            return False
        draft.revision = loaded.model.revision + 1
        txn = uuid.uuid4().hex
        entries = [replace(e, revision=draft.revision, txn=txn) for e in self._records]
        self._write(_edited_text(loaded, draft), entries)
        return True

    def _write(self, text: str, entries: list[HistoryEntry]) -> None:
        """Temp file, history written ahead, rename, commit marker: one unit.

        A crash before the rename leaves the old manifest and entries that
        ``HistoryLog.recover`` aborts; after it, entries that it commits. Any error
        before the rename undoes the history entries and leaves the old manifest.
        """
        with os_errors(self.path):
            tmp = write_temp(self.path, text, writer=self._writer)
        try:
            mark = self.history.write_ahead(entries)
            try:
                with os_errors(self.path):
                    fsio_replace(tmp, self.path)
            except BaseException:
                if tmp.exists():  # not renamed: the change did not happen
                    self.history.undo(mark)
                raise
        finally:
            tmp.unlink(missing_ok=True)
        if entries:
            self.history.seal(entries[0])


def _draft(loaded: LoadedManifest) -> Manifest:
    """An independent copy of the loaded model to change: validated again from libyaml's
    data when there is some (about 0.3 s at 5,000 routes, where ``model_copy(deep=True)``
    took 1.3 s: ``copy.deepcopy`` of every route), else deep-copied."""
    if loaded.data is not None:
        return Manifest.model_validate(loaded.data)
    return loaded.model.model_copy(deep=True)


def real_path(path: Path) -> Path:
    """The file a manifest path names, symlinks followed (it need not exist yet)."""
    return path.resolve()


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
