"""Move a project between backends: ``push`` (local files -> S3) and ``pull`` (S3 -> local).

The git-tracked manifest stays the source of truth for intent: ``compare`` says
whether the local manifest and the backend's head differ and which side is newer
(by revision; equal revisions with other content have diverged). ``push`` onto an
empty backend copies the manifest, its history (each revision's entries as that
revision's history object), the deploy state (``migration.state.json``, if any) and
the baselines and shadow reports (``transfer_records``);
onto a newer or diverged head it is refused unless forced, and a forced push lands as
the next revision by a conditional write. ``pull`` writes the head's manifest, the
backend's history, its deploy state (if any), baselines and shadow reports to the
local files, atomically.
This module must not print.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Literal

from router.deploy.state import FileDeployState
from router.errors import StateConflict
from router.fsio import atomic_write
from router.history import HistoryEntry, current_user, now_iso
from router.manifest.model import Manifest
from router.manifest.store import (
    LoadedManifest,
    ManifestStore,
    dump_manifest,
    load_manifest,
    parse_manifest,
)
from router.sidecars import state_path
from router.state import transfer_records
from router.state.backend import Head, S3Backend
from router.state.deploy_state import S3DeployState

__all__ = ["Comparison", "Side", "compare", "newer_side", "pull", "push"]

Side = Literal["same", "local", "backend", "diverged", "backend-empty"]


@dataclass(frozen=True)
class Comparison:
    """``newer``: which side is ahead (``same`` when the manifests are equal)."""

    local_revision: int
    backend_revision: int | None
    newer: Side

    def sentence(self, url: str) -> str:
        local, remote = self.local_revision, self.backend_revision
        return {
            "same": f"the local manifest is the backend's revision {remote}",
            "local": f"the local manifest (revision {local}) is newer than {url} "
            f"(revision {remote}): `migrate state push` uploads it",
            "backend": f"{url} is newer (revision {remote}) than the local manifest "
            f"(revision {local}): `migrate state pull` fetches it",
            "diverged": f"the local manifest and {url} both say revision {local} but differ: "
            "`migrate state pull` takes the backend's, `migrate state push --force` yours",
            "backend-empty": f"{url} holds no manifest yet: `migrate state push` uploads it",
        }[self.newer]


def compare(manifest_path: Path, backend: S3Backend) -> Comparison:
    local = load_manifest(manifest_path).model
    head = backend.head()
    if head is None:
        return Comparison(local.revision, None, "backend-empty")
    newer = newer_side(local, parse_manifest(manifest_path, head.text).model)
    return Comparison(local.revision, head.revision, newer)


def newer_side(local: Manifest, backend: Manifest) -> Side:
    """Which of two manifests is ahead: ``same``, ``local``, ``backend`` or ``diverged``
    (the same revision with other content)."""
    if backend == local:
        return "same"
    if local.revision == backend.revision:
        return "diverged"
    return "local" if local.revision > backend.revision else "backend"


def push(manifest_path: Path, backend: S3Backend, *, force: bool = False) -> Head:
    """The local manifest as the backend's head (and, onto an empty backend, its
    history, deploy state, baselines and shadow reports)."""
    local = ManifestStore(manifest_path)
    with local.locked():
        loaded = load_manifest(local.path)
        head = backend.head()
        if head is None:
            _upload_history(backend, local.history.entries())
            _upload_deploy_state(backend, local.path)
            transfer_records.upload(backend, local.path)
            return backend.commit(None, loaded.text, loaded.model.revision, [])
        comparison = compare(local.path, backend)
        if comparison.newer == "same":
            return head
        if comparison.newer != "local" and not force:
            raise StateConflict(
                f"refused, nothing was changed: {comparison.sentence(backend.url)}",
                hint="pull first, or pass --force to make your manifest the next revision",
            )
        return _force(backend, head, loaded)


def _force(backend: S3Backend, head: Head, loaded: LoadedManifest) -> Head:
    """The local manifest as the revision after both sides' (one conditional write)."""
    revision = max(loaded.model.revision, head.revision) + 1
    model = loaded.model.model_copy(update={"revision": revision})
    entry = HistoryEntry(revision, now_iso(), current_user(), "push", details={"from": "local"})
    return backend.commit(head, dump_manifest(model, loaded.raw), revision, [entry])


def _upload_history(backend: S3Backend, entries: list[HistoryEntry]) -> None:
    for revision, group in groupby(entries, key=lambda e: e.revision):
        batch = list(group)
        changes = [e for e in batch if e.txn is not None]
        if changes:
            backend.put_change(revision, changes[0].txn or "", changes)
        backend.append([e for e in batch if e.txn is None])


def _upload_deploy_state(backend: S3Backend, manifest_path: Path) -> None:
    """The local deploy state, when there is one and the backend holds none (created
    once: one the backend holds already is never replaced by a push)."""
    local = FileDeployState(state_path(manifest_path))
    shared = S3DeployState(backend.bucket, backend.location)
    if local.path.exists() and shared.stored() is None:
        shared.save(local.load())


def pull(manifest_path: Path, backend: S3Backend) -> Head:
    """The backend's head, history, deploy state, baselines and shadow reports written
    over the local files."""
    local = ManifestStore(manifest_path)
    head = backend.require_head()
    entries = backend.entries()
    deploy_state = S3DeployState(backend.bucket, backend.location).stored()
    records = transfer_records.download(backend)
    with local.locked():
        if deploy_state is not None:
            FileDeployState(state_path(local.path)).save(deploy_state)
        transfer_records.write_local(records, local.path)
        lines = "".join(json.dumps(e.to_json(), sort_keys=True) + "\n" for e in entries)
        atomic_write(local.history.path, lines)
        atomic_write(local.path, head.text)
    return head
