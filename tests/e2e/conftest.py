"""Shared end-to-end fixtures: real moto, monolith and gateway processes on free ports.

Each server binds port 0 and names the port it got (``router.local``), so no other
process can take a port between a pick and the bind.

* ``moto_server`` (session): a ``python -m moto.server``; yields its endpoint URL.
* ``serial_moto`` (module): one that serves a request at a time, for S3's conditional
  writes (``start_moto(serial=True)``); yields its endpoint URL.
* ``moto_ctx``: an ``AwsContext`` on that server with dummy credentials, after
  resetting moto so each test starts empty. No environment variable is changed.
* ``legacy_server`` (session): the monolith under gunicorn on a fresh, seeded SQLite
  database in a temp directory; yields its base URL. Tests that write must not rely
  on exact row counts of other tests.
* ``gateway_factory``: ``gateway_factory(manifest, moto_url, legacy_url) -> base URL``
  starts ``migrate serve``.
* ``local_stack``: the whole stack (moto, monolith, gateway), like ``migrate up``.

Builders and waits (``write_manifest``, ``served``, ``wait_for_target``,
``run_migrate``, ``moto_client``) are in ``tests.helpers.e2e``. No fixture skips: a
missing prerequisite (a dependency, a free port, a process that does not start)
fails the test with its reason.

Every process is stopped by the teardown of the fixture that started it.

``MIGRATE_LOCAL_CACHE`` is set for the whole session (every server inherits it): the
local Lambda runtime's extracted packages and layers are keyed by content, so the
projects of all tests share them and each layer is installed once (kept between runs
under the repository's ignored ``.migrate/``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from tests.helpers.e2e import REGION, GatewayFactory, moto_client, write_manifest

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


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    proc = start_moto(0)
    try:
        yield proc.ready_url.removesuffix("/moto-api/")
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def serial_moto() -> Iterator[str]:
    proc = start_moto(0, serial=True)
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
