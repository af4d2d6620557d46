"""Build the collaborators a command needs from its options and the environment.

Commands stay thin: they parse options, ask the factory for objects, call them
and print. This module must not print or parse command-line options.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from router.history import HistoryLog, history_path_for
from router.manifest.store import ManifestStore
from router.routes import RouteService

__all__ = ["DEFAULT_MANIFEST", "Factory", "JsonOpt", "ManifestOpt"]

DEFAULT_MANIFEST = Path("migration.yaml")

ManifestOpt = Annotated[
    Path,
    typer.Option(
        "--manifest",
        "-m",
        envvar="MIGRATE_MANIFEST",
        help="Migration manifest to read and change.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


class Factory:
    """Everything a command needs, built from the manifest path."""

    def __init__(self, manifest: Path) -> None:
        self.manifest_path = manifest

    @property
    def project_root(self) -> Path:
        """Where handlers and the template live: the manifest's directory."""
        return self.manifest_path.resolve().parent

    def store(self) -> ManifestStore:
        timeout = float(os.environ.get("MIGRATE_LOCK_TIMEOUT", "30"))
        return ManifestStore(self.manifest_path, lock_timeout=timeout)

    def history(self) -> HistoryLog:
        return HistoryLog(history_path_for(self.manifest_path))

    def route_service(self) -> RouteService:
        return RouteService(self.store(), self.history(), code_root=self.project_root)

    def template_path(self) -> Path:
        return self.project_root / "template.yaml"
