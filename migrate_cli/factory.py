"""Build the collaborators a command needs from its options and the environment.

Commands stay thin: they parse options, ask the factory for objects, call them
and print. This module must not print or parse command-line options.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.build import BuildService, LayerBuilder, cache_dir
from router.deploy.service import DeployService, build_deploy_service
from router.history import HistoryLog
from router.manifest.store import ManifestStore, real_path
from router.routes import RouteService

if TYPE_CHECKING:
    from router.analysis.service import AnalysisService

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

    def __init__(self, manifest: Path, *, aws: AwsContext | None = None) -> None:
        self.manifest_path = real_path(manifest)  # sidecar files sit beside the real file
        self._store: ManifestStore | None = None
        self._aws = aws

    @property
    def project_root(self) -> Path:
        """Where handlers and the template live: the manifest's directory."""
        return self.manifest_path.resolve().parent

    def store(self) -> ManifestStore:
        """One store per command, so every collaborator shares its lock and edit."""
        if self._store is None:
            timeout = float(os.environ.get("MIGRATE_LOCK_TIMEOUT", "30"))
            self._store = ManifestStore(self.manifest_path, lock_timeout=timeout)
        return self._store

    def history(self) -> HistoryLog:
        return self.store().history

    def route_service(self) -> RouteService:
        return RouteService(self.store(), self.history(), code_root=self.project_root)

    def template_path(self) -> Path:
        return self.project_root / "template.yaml"

    def aws(self) -> AwsContext:
        if self._aws is None:
            self._aws = AwsContext.from_env(default_region=self.store().read().api.region)
        return self._aws

    def analysis_service(self) -> AnalysisService:
        from router.analysis.baseline import BaselineStore
        from router.analysis.service import AnalysisService
        from router.analysis.sources import AccessLogSource, MetricSource
        from router.aws.cloudwatch import CloudWatchMetrics
        from router.render.sam import access_log_group_name

        ctx, manifest = self.aws(), self.store().read()
        return AnalysisService(
            self.store(),
            self.history(),
            BaselineStore(self.manifest_path),
            AccessLogSource(CloudWatchLogs(ctx), access_log_group_name(manifest)),
            MetricSource(CloudWatchMetrics(ctx), manifest),
            clock=lambda: datetime.now(UTC),
        )

    def deploy_service(self) -> DeployService:
        return build_deploy_service(self.route_service(), self.aws())

    def build_service(self, progress: Callable[[str], None] | None = None) -> BuildService:
        """Builds artifacts into ``.migrate/build/`` beside the manifest."""
        root = self.project_root
        return BuildService(root, LayerBuilder(cache_dir(root)), progress)
