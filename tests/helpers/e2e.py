"""Builders and waits for the end-to-end tests: manifests, a served stack, moto clients.

``served(directory, env, routes)`` runs a monolith on ``env["DATABASE_URL"]`` and a
gateway in front of it (a ``Served``); both must exit cleanly. ``wait_for_target``
polls the gateway until it serves a path from a target, i.e. until it has reloaded
a route move (a CLI command returns before the gateway's next manifest poll). The
session fixtures (moto, monolith, gateways) are in tests/e2e/conftest.py. Every
process this module starts is stopped before it returns or by the context manager.
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

from router.local import start_gateway, start_legacy
from router.local.stack import DUMMY_CREDENTIALS
from router.manifest.model import Manifest
from router.manifest.store import dump_manifest
from tests.helpers.polling import wait_until

__all__ = [
    "API",
    "DEFAULT_ROUTES",
    "REGION",
    "GatewayFactory",
    "Served",
    "moto_client",
    "run_migrate",
    "served",
    "wait_for_target",
    "write_manifest",
]

REGION = "us-east-1"
API = {"name": "e2e-api", "stage": "prod", "region": REGION}
DEFAULT_ROUTES: list[dict[str, Any]] = [
    {"id": "get-api-users-id", "method": "GET", "path": "/api/users/{id}"},
    {"id": "get-api-products", "method": "GET", "path": "/api/products"},
]

GatewayFactory = Callable[[Path, str, str], str]


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
