"""Open the stores a project's state setting names: local files or S3.

``open_store`` picks the manifest store; ``open_deploy_state``, ``open_baselines``
and ``open_shadow_reports`` the stores that go with it (the one place that chooses
between the files beside the manifest and the backend's objects). This module must
not decide what changes; it only picks and builds the stores.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path

from router.analysis.baseline import Baselines, BaselineStore
from router.aws.session import AwsContext
from router.aws.state_s3 import Encryption, StateBucket
from router.deploy.state import DeployStateStore, FileDeployState
from router.manifest.store import LoadedManifest, ManifestStore, load_manifest
from router.shadow.files import FileShadowReports, ShadowReports, shadow_root
from router.sidecars import state_path
from router.state.backend import S3Backend
from router.state.deploy_state import S3DeployState
from router.state.lease import lease_ttl
from router.state.location import StateLocation, state_setting
from router.state.records import S3Baselines, S3ShadowReports
from router.state.store import BackendStore

__all__ = [
    "DEFAULT_REGION",
    "forget_clients",
    "location_for",
    "open_backend",
    "open_baselines",
    "open_deploy_state",
    "open_shadow_reports",
    "open_store",
]

DEFAULT_REGION = "us-east-1"


def location_for(manifest_path: Path, env: Mapping[str, str]) -> StateLocation | None:
    """The S3 location from ``MIGRATE_STATE`` or the local manifest (None: local files)."""
    return _location(manifest_path, env)[0]


def _location(
    manifest_path: Path, env: Mapping[str, str]
) -> tuple[StateLocation | None, LoadedManifest | None]:
    """The location, and the local manifest read to find it (None: no file)."""
    loaded = load_manifest(manifest_path) if manifest_path.exists() else None
    return state_setting(env, loaded.model.state if loaded else None), loaded


def open_backend(location: StateLocation, aws: AwsContext | None = None) -> S3Backend:
    ctx = aws or _shared_context(_env_key(os.environ))
    bucket = StateBucket(ctx, location.bucket, encryption=Encryption(location.kms_key))
    return S3Backend(bucket, location)


_EnvKey = tuple[str | None, str | None, str | None]


def _env_key(env: Mapping[str, str]) -> _EnvKey:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    return region, env.get("AWS_ENDPOINT_URL"), env.get("AWS_PROFILE")


@functools.lru_cache(maxsize=4)
def _shared_context(key: _EnvKey) -> AwsContext:
    """One context (so one S3 client, ~0.3 s to build) per process and environment: a
    process that runs several commands builds it once (each command still checks the
    bucket's versioning)."""
    return AwsContext.from_env(default_region=DEFAULT_REGION)


def forget_clients() -> None:
    """Drop the shared clients (a test that starts a new in-process AWS mock)."""
    _shared_context.cache_clear()


def open_store(
    manifest_path: Path,
    env: Mapping[str, str],
    *,
    lock_timeout: float = 30.0,
    aws: AwsContext | None = None,
) -> ManifestStore:
    """Today's ``ManifestStore`` on local files, or a ``BackendStore`` on S3."""
    location, loaded = _location(manifest_path, env)
    if location is None:  # the store's first read is the manifest read here
        return ManifestStore(manifest_path, lock_timeout=lock_timeout, loaded=loaded)
    backend = open_backend(location, aws)
    return BackendStore(manifest_path, backend, lock_timeout=lock_timeout, lease_ttl=lease_ttl(env))


def open_deploy_state(store: ManifestStore) -> DeployStateStore:
    """The deploy state beside ``store``: the backend's object when ``store`` is on a
    state backend, else ``migration.state.json`` beside the manifest."""
    if isinstance(store, BackendStore):
        return S3DeployState(store.backend.bucket, store.backend.location)
    return FileDeployState(state_path(store.path))


def open_baselines(store: ManifestStore) -> Baselines:
    """The baselines beside ``store``: the backend's objects, or the files."""
    if isinstance(store, BackendStore):
        return S3Baselines(store.backend.bucket, store.backend.location)
    return BaselineStore(store.path)


def open_shadow_reports(store: ManifestStore) -> ShadowReports:
    """The shadow reports beside ``store``: the backend's objects, or the files."""
    if isinstance(store, BackendStore):
        return S3ShadowReports(store.backend.bucket, store.backend.location)
    return FileShadowReports(shadow_root(store.path))
