"""Shared end-to-end fixtures: real moto, monolith and gateway processes on free ports.

Each server binds port 0 and names the port it got (``router.local``), so no other
process can take a port between a pick and the bind.

* ``moto_server`` (session): a ``python -m moto.server``; yields its endpoint URL.
* ``moto_ctx``: an ``AwsContext`` on that server with dummy credentials, after
  resetting moto so each test starts empty. No environment variable is changed.
* ``legacy_server`` (session): the monolith under gunicorn on a fresh, seeded SQLite
  database in a temp directory; yields its base URL. Tests that write must not rely
  on exact row counts of other tests.
* ``write_manifest(directory, legacy_url, routes=...)``: a valid manifest file.
* ``gateway_factory``: ``gateway_factory(manifest, moto_url, legacy_url) -> base URL``
  starts ``migrate serve`` (skips the test when that command does not exist yet).
* ``serve_available()``: whether ``migrate serve`` is registered.
* ``served(directory, env, routes)``: a context manager running a monolith on
  ``env["DATABASE_URL"]`` and a gateway in front of it (a ``Served``); both must exit
  cleanly.
* ``wait_for_target(gateway, path, target)``: polls the gateway until it serves
  ``path`` from ``target``, i.e. until it has reloaded a route move (a CLI command
  returns before the gateway's next manifest poll).

Every process is stopped by the teardown of the fixture that started it.

``MIGRATE_LOCAL_CACHE`` is set for the whole session (every server inherits it): the
local Lambda runtime's extracted packages and layers are keyed by content, so the
projects of all tests share them and each layer is installed once (kept between runs
under the repository's ignored ``.migrate/``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from router.aws.session import AwsContext
from router.build import CACHE_ENV, LayerBuilder
from router.local import (
    LEGACY_URL_ENV,
    LocalStack,
    ManagedProcess,
    StackConfig,
    local_aws_env,
    start_gateway,
    start_legacy,
    start_moto,
)
from router.local.stack import DUMMY_CREDENTIALS
from router.manifest.model import Manifest
from router.manifest.store import dump_manifest
from tests.polling import wait_until

__all__ = ["REGION", "Served", "serve_available", "served", "wait_for_target", "write_manifest"]

REGION = "us-east-1"
API = {"name": "e2e-api", "stage": "prod", "region": REGION}
DEFAULT_ROUTES: list[dict[str, Any]] = [
    {"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"},
    {"id": "get-api-products", "method": "GET", "path": "/api/products"},
]

GatewayFactory = Callable[[Path, str, str], str]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def shared_local_cache() -> Iterator[None]:
    """One cache for the session; the project functions' layer is built first, so no
    gateway's start-up (with its readiness timeout) pays for the pip install."""
    cache = REPO / ".migrate" / "local-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(cache))
        LayerBuilder(cache).local(REPO / "migrated_functions" / "requirements.lock")
        yield


def serve_available() -> bool:
    """True once ``migrate serve`` is registered in the CLI."""
    from migrate_cli.main import app

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return "serve" in names


def write_manifest(
    directory: Path,
    legacy_url: str,
    routes: list[dict[str, Any]] | None = None,
    *,
    api: dict[str, str] | None = None,
    name: str = "migration.yaml",
) -> Path:
    """Write a valid manifest whose ``legacy.url`` is ``legacy_url``; returns its path."""
    data = {
        "api": api or API,
        "legacy": {"url": legacy_url},
        "routes": DEFAULT_ROUTES if routes is None else routes,
    }
    path = directory / name
    path.write_text(dump_manifest(Manifest.model_validate(data)), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Served:
    legacy: str
    gateway: str
    manifest: Path
    env: dict[str, str]


@contextmanager
def served(directory: Path, env: dict[str, str], routes: list[dict[str, Any]]) -> Iterator[Served]:
    """The monolith (database ``env["DATABASE_URL"]``) and ``migrate serve`` before it."""
    logs = {name: directory / f"{name}.log" for name in ("legacy", "gateway")}
    legacy = start_legacy(0, env["DATABASE_URL"], cwd=directory, env=env, log_path=logs["legacy"])
    try:
        legacy_url = legacy.ready_url.removesuffix("/health")
        manifest = write_manifest(directory, legacy_url, routes)
        gateway = start_gateway(0, manifest, env, log_path=logs["gateway"])
        try:
            yield Served(legacy_url, gateway.ready_url.removesuffix("/health"), manifest, env)
        finally:
            assert gateway.stop() == 0, logs["gateway"].read_text()
    finally:
        assert legacy.stop() == 0, logs["legacy"].read_text()


def wait_for_target(gateway: str, path: str, target: str) -> httpx.Response:
    """``GET gateway+path`` until its ``X-Migrate-Target`` is ``target``; that response."""

    def answer() -> httpx.Response | None:
        resp = httpx.get(gateway + path, timeout=10)
        return resp if resp.headers.get("x-migrate-target") == target else None

    return wait_until(answer, f"{path} served from {target}")


def run_migrate(
    *args: str, cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``migrate ARGS`` in a child process, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "migrate_cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def moto_client(endpoint: str, service: str) -> Any:
    """A boto3 client on the local moto endpoint with dummy credentials."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    proc = start_moto(0)
    try:
        yield proc.ready_url.removesuffix("/moto-api/")
    finally:
        proc.stop()


@pytest.fixture
def moto_ctx(moto_server: str) -> AwsContext:
    httpx.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    return AwsContext(
        region=REGION,
        endpoint_url=moto_server,
        client_factory=lambda service: moto_client(moto_server, service),
    )


@pytest.fixture(scope="session")
def legacy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("legacy")
    database_url = f"sqlite:///{(workdir / 'legacy.db').as_posix()}"
    proc = start_legacy(0, database_url, cwd=workdir, log_path=workdir / "legacy.log")
    try:
        yield proc.ready_url.removesuffix("/health")
    finally:
        proc.stop()


@pytest.fixture
def gateway_factory() -> Iterator[GatewayFactory]:
    started: list[ManagedProcess] = []

    def start(manifest: Path, moto_url: str, legacy_url: str) -> str:
        if not serve_available():
            pytest.skip("`migrate serve` is not registered yet")
        env = local_aws_env(moto_url, REGION)
        env[LEGACY_URL_ENV] = legacy_url
        log = manifest.parent / f"gateway-{len(started)}.log"
        proc = start_gateway(0, manifest, env, log_path=log)
        started.append(proc)
        return proc.ready_url.removesuffix("/health")

    try:
        yield start
    finally:
        for proc in reversed(started):
            proc.stop()


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """The whole stack (moto, monolith, gateway) on free ports, like ``migrate up``."""
    if not serve_available():
        pytest.skip("`migrate serve` is not registered yet")
    config = StackConfig(
        manifest=write_manifest(tmp_path, "http://127.0.0.1:5000"),  # the gateway is told the URL
        gateway_port=0,
        legacy_port=0,
        moto_port=0,
        database_url=f"sqlite:///{(tmp_path / 'legacy.db').as_posix()}",
        log_dir=tmp_path / "logs",
    )
    with LocalStack(config) as stack:
        yield stack
