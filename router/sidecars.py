"""The files kept beside the manifest, each named from the manifest's path.

For ``migration.yaml``: ``migration.history.jsonl`` (the audit trail),
``migration.state.json`` (what was applied), ``migration.baselines/`` (one file
per route), ``migration.shadow/`` (shadow runs) and ``migration.yaml.lock`` (the
edit lock). Callers pass the real manifest path (``manifest.store.real_path``), so a
symlinked manifest keeps its sidecars beside the real file. This module must not
create, read or lock anything.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["baselines_dir", "history_path", "lock_path", "shadow_dir", "state_path"]


def _beside(manifest_path: Path, suffix: str) -> Path:
    return manifest_path.with_name(manifest_path.stem + suffix)


def history_path(manifest_path: Path) -> Path:
    return _beside(manifest_path, ".history.jsonl")


def state_path(manifest_path: Path) -> Path:
    return _beside(manifest_path, ".state.json")


def baselines_dir(manifest_path: Path) -> Path:
    return _beside(manifest_path, ".baselines")


def shadow_dir(manifest_path: Path) -> Path:
    return _beside(manifest_path, ".shadow")


def lock_path(manifest_path: Path) -> Path:
    """The whole file name plus ``.lock`` (``migration.yaml.lock``)."""
    return manifest_path.with_name(manifest_path.name + ".lock")
