"""Build the collaborators a command needs from its options and the environment.

Commands stay thin: they parse options, ask the factory for objects, call them
and print. The clock, the sleep, the AWS context and the progressive checker are
injected here (tests build a ``Factory`` with fakes and hand it to the app through
``migrate_cli.context``); nothing else picks them. This module must not print or
parse command-line options.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.build import BuildService, LayerBuilder, cache_dir
from router.deploy.service import DeployService, build_deploy_service
from router.history import HistoryLog
from router.manifest.store import ManifestStore, real_path
from router.routes import RouteService
from router.shadow.gate import ShadowGate

if TYPE_CHECKING:
    from router.analysis.service import AnalysisService
    from router.deploy.rollback import RouteRollback
    from router.local.stack import LocalStack, StackConfig
    from router.progressive.model import Checker
    from router.progressive.session import Services
    from router.shadow.service import ShadowService

__all__ = ["Factory", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Factory:
    """Everything a command needs, built from the manifest path.

    ``clock`` and ``sleep`` time shadow runs, comparisons and progressive steps;
    ``checker`` judges progressive steps (default: ``AnalysisChecker`` over the
    analysis service, so over CloudWatch).
    """

    def __init__(
        self,
        manifest: Path,
        *,
        aws: AwsContext | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        checker: Checker | None = None,
    ) -> None:
        self.manifest_path = real_path(manifest)  # sidecar files sit beside the real file
        self._store: ManifestStore | None = None
        self._aws, self._checker = aws, checker
        self.clock, self.sleep = clock, sleep

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
        """Promotions refused after real shadow mismatches unless forced (``ShadowGate``)."""
        return RouteService(
            self.store(),
            self.history(),
            code_root=self.project_root,
            promote_check=ShadowGate(self.manifest_path),
        )

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
        from router.arns import access_log_group_name
        from router.aws.cloudwatch import CloudWatchMetrics

        ctx, manifest = self.aws(), self.store().read()
        return AnalysisService(
            self.store(),
            self.history(),
            BaselineStore(self.manifest_path),
            AccessLogSource(CloudWatchLogs(ctx), access_log_group_name(manifest)),
            MetricSource(CloudWatchMetrics(ctx), manifest),
            clock=self.clock,
        )

    def deploy_service(self) -> DeployService:
        return build_deploy_service(self.route_service(), self.aws())

    def route_rollback(self) -> RouteRollback:
        """Back to the monolith, through API Gateway once the API was applied."""
        from router.deploy.rollback import RouteRollback
        from router.deploy.state import state_path_for

        return RouteRollback(
            state_path_for(self.manifest_path), self.route_service, self.deploy_service
        )

    def shadow_service(self) -> ShadowService:
        from router.shadow.service import ShadowService

        return ShadowService(
            self.store(),
            self.history(),
            code_root=self.project_root,
            clock=self.clock,
            sleep=self.sleep,
        )

    def progressive_checker(self) -> Checker:
        """The injected checker, else the analysis service's concurrent comparison."""
        from router.progressive.adapters import AnalysisChecker

        return self._checker or AnalysisChecker(self.analysis_service())

    def progressive_services(self) -> Services:
        """What ``promote --steps``/``--resume`` runs with, built lazily."""
        from router.progressive.session import Services

        return Services(
            self.store(),
            self.history(),
            self.route_service,
            self.deploy_service,
            self.progressive_checker,
            self.clock,
            self.sleep,
        )

    def local_stack(self, config: StackConfig) -> LocalStack:
        """``migrate up``'s stack in the manifest's region, once its ports are known free."""
        from router.local.stack import LocalStack
        from router.local.supervise import check_ports, prepared

        region = self.store().read().api.region
        check_ports(config)
        return LocalStack(prepared(config, region=region))

    def build_service(self, progress: Callable[[str], None] | None = None) -> BuildService:
        """Builds artifacts into ``.migrate/build/`` beside the manifest."""
        root = self.project_root
        return BuildService(root, LayerBuilder(cache_dir(root)), progress)
