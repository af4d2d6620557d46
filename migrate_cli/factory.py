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
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.build import BuildService, LayerBuilder, cache_dir
from router.deploy.service import DeployService, build_deploy_service
from router.history import HistoryLog
from router.manifest.model import Manifest
from router.manifest.store import ManifestStore, load_manifest, real_path
from router.routes import RouteService
from router.shadow.gate import ShadowGate
from router.state import open_shadow_reports, open_store

if TYPE_CHECKING:
    from router.analysis.service import AnalysisService
    from router.deploy.rollback import RouteRollback
    from router.deploy.state import DeployStateStore
    from router.local.stack import LocalStack, StackConfig
    from router.progressive.model import Checker
    from router.progressive.session import Services
    from router.shadow.service import ShadowService
    from router.state import S3Backend, StateLocation
    from router.state.follow import HeadFollower
    from router.state.lease import Lease, LeaseKeeper
    from router.state.transfer import Comparison

__all__ = ["Factory", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Factory:
    """Everything a command needs, built from the manifest path.

    ``clock`` and ``sleep`` time shadow runs, comparisons and progressive steps;
    ``checker`` judges progressive steps (default: ``AnalysisChecker`` over the
    analysis service, so over CloudWatch). ``env`` (default: this process's) names the
    state backend; an injected ``aws`` serves it too (the demo's moto server).
    """

    def __init__(
        self,
        manifest: Path,
        *,
        aws: AwsContext | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
        checker: Checker | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.manifest_path = real_path(manifest)  # sidecar files sit beside the real file
        self._env = os.environ if env is None else env
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
            timeout = _lock_timeout()
            self._store = open_store(
                self.manifest_path, self._env, lock_timeout=timeout, aws=self._aws
            )
        return self._store

    def state_location(self, url: str | None = None) -> StateLocation:
        """The S3 location ``url`` names, else the one the project's state setting names."""
        from router.errors import UsageError
        from router.state import location_for, parse_state_url

        where = self.manifest_path
        location = (
            parse_state_url(url, "--backend", os.environ.get("MIGRATE_STATE_KMS_KEY"))
            if url
            else location_for(where, os.environ)
        )
        if location is None:
            raise UsageError(
                "this project keeps its state in local files: no S3 backend to use",
                hint="set `state: s3://BUCKET/PREFIX` in the manifest or MIGRATE_STATE, "
                "or pass --backend s3://BUCKET/PREFIX",
            )
        return location

    def lease_keeper(self) -> LeaseKeeper:
        from router.state.lease import LeaseKeeper, lease_ttl

        backend = self.state_backend()
        return LeaseKeeper(backend.bucket, backend.location, ttl=lease_ttl(os.environ))

    def break_lease(self, name: str, reason: str) -> Lease:
        """End the lease ``name`` and record the break in the backend's history."""
        from router.history import HistoryEntry, current_user, now_iso

        backend = self.state_backend()
        lease = self.lease_keeper().break_(name)
        details = {"lease": name, "holder": lease.holder, "host": lease.host, "pid": lease.pid}
        revision = backend.require_head().revision
        entry = HistoryEntry(revision, now_iso(), current_user(), "lock-break", reason=reason,
                             details={**details, "operation": lease.operation})  # fmt: skip
        backend.append([entry])
        return lease

    def state_comparison(self) -> tuple[str, Comparison] | None:
        """On an S3 backend: its URL and how the local manifest compares with its head."""
        from router.state import location_for, open_backend
        from router.state.transfer import compare

        location = location_for(self.manifest_path, os.environ)
        if location is None or not self.manifest_path.exists():
            return None
        return location.url, compare(self.manifest_path, open_backend(location))

    def state_backend(self, url: str | None = None) -> S3Backend:
        from router.state import open_backend

        return open_backend(self.state_location(url))

    def head_follower(self) -> HeadFollower | None:
        """On an S3 backend: what keeps the local manifest at the backend's current
        revision while ``migrate serve`` runs (None: the state is the local files)."""
        from router.state import location_for, open_backend
        from router.state.follow import HeadFollower

        location = location_for(self.manifest_path, self._env)
        if location is None:
            return None
        return HeadFollower(open_backend(location), self.manifest_path)

    def history(self) -> HistoryLog:
        return self.store().history

    def route_service(self) -> RouteService:
        """Promotions refused after real shadow mismatches unless forced (``ShadowGate``)."""
        return RouteService(
            self.store(),
            self.history(),
            code_root=self.project_root,
            promote_check=ShadowGate(open_shadow_reports(self.store())),
        )

    def template_path(self) -> Path:
        return self.project_root / "template.yaml"

    def aws(self) -> AwsContext:
        if self._aws is None:
            self._aws = AwsContext.from_env(default_region=self.store().read().api.region)
        return self._aws

    def analysis_service(self) -> AnalysisService:
        from router.analysis.coldstarts import ReportSource
        from router.analysis.service import AnalysisService
        from router.analysis.sources import AccessLogSource, MetricSource
        from router.arns import access_log_group_name
        from router.aws.cloudwatch import CloudWatchMetrics
        from router.state import open_baselines

        ctx, manifest = self.aws(), self.store().read()
        return AnalysisService(
            self.store(),
            self.history(),
            open_baselines(self.store()),
            AccessLogSource(CloudWatchLogs(ctx), access_log_group_name(manifest)),
            MetricSource(CloudWatchMetrics(ctx), manifest),
            clock=self.clock,
            reports=ReportSource(CloudWatchLogs(ctx)),
        )

    def deploy_service(self, progress: Callable[[str], None] | None = None) -> DeployService:
        """``progress`` gets a line before each slow step (a layer build, an upload)."""
        from router.deploy.replan import LockWait

        return build_deploy_service(
            self.route_service(),
            self.aws(),
            progress=progress,
            deploy_state=self.deploy_state(),
            wait=LockWait(timeout=_lock_timeout()),
        )

    def deploy_state(self) -> DeployStateStore:
        """The deploy state beside the store: the file, or the state backend's object."""
        from router.state import open_deploy_state

        return open_deploy_state(self.store())

    def route_rollback(self) -> RouteRollback:
        """Back to the monolith, through API Gateway once the API was applied."""
        from router.deploy.rollback import RouteRollback

        return RouteRollback(self.deploy_state(), self.route_service, self.deploy_service)

    def shadow_service(self) -> ShadowService:
        from router.shadow.service import ShadowService

        return ShadowService(
            self.store(),
            self.history(),
            code_root=self.project_root,
            clock=self.clock,
            sleep=self.sleep,
            reports=open_shadow_reports(self.store()),
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
        """``migrate up``'s stack in the manifest's region, once its ports are known free;
        with ``config.state``, the backend on its moto server is prepared as it starts."""
        from router.local.stack import LocalStack
        from router.local.supervise import check_ports, prepared

        region = self.local_manifest(config).api.region
        check_ports(config)
        return LocalStack(prepared(config, region=region), on_aws=self._seeder(config, region))

    def local_manifest(self, config: StackConfig) -> Manifest:
        """The manifest ``migrate up`` starts from: the local file when the stack holds
        the state backend (``--state``), else the project's current revision."""
        if config.state:
            return load_manifest(self.manifest_path).model
        return self.store().read()

    def _seeder(self, config: StackConfig, region: str) -> Callable[[str], object] | None:
        """With ``config.state``: the bucket on moto, and the manifest pushed to it."""
        from functools import partial

        from router.state import parse_state_url
        from router.state.local import seed_local_backend

        location = parse_state_url(config.state or "", "--state")
        if location is None:
            return None
        return partial(seed_local_backend, location, self.manifest_path, region=region)

    def build_service(self, progress: Callable[[str], None] | None = None) -> BuildService:
        """Builds artifacts into ``.migrate/build/`` beside the manifest."""
        root = self.project_root
        return BuildService(root, LayerBuilder(cache_dir(root)), progress)


def _lock_timeout() -> float:
    """Seconds to wait for the manifest lock or another operator's state lease
    (``MIGRATE_LOCK_TIMEOUT``, 30 without it); exit 2 unless a number >= 0."""
    from router.errors import UsageError

    value = os.environ.get("MIGRATE_LOCK_TIMEOUT", "").strip() or "30"
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise UsageError(
            f"MIGRATE_LOCK_TIMEOUT: {value!r} is not a number of seconds",
            hint="give how long to wait for another operator's lock, e.g. 30",
        )
    return seconds
