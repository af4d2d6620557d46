"""End-to-end: ``migrate serve`` in front of the real monolith, with hot route moves.

Starts ``python -m legacy_app`` and ``migrate serve`` as subprocesses on free loopback
ports (a temporary SQLite database and manifest), then promotes and rolls back
``GET /api/users/{user_id}`` with the ``migrate`` CLI from another process while
requests flow. Every process is stopped by the fixture that started it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from router.manifest.model import Manifest
from router.manifest.store import dump_manifest

pytestmark = pytest.mark.e2e
pytest.importorskip("httptools")  # a dependency of `migrate serve`

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ROUTE = "GET /api/users/{id}"
HANDLER = "migrated_functions.users.get_user"
USER_URL = "/api/users/5"


@dataclass(frozen=True)
class Stack:
    legacy: str
    gateway: str
    manifest: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MIGRATE_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    env["DATABASE_URL"] = database_url  # the migrated handler reads the monolith's database
    env["MIGRATE_TELEMETRY"] = "off"
    return env


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} not ready:\n{log.read_text()}")


@pytest.fixture(scope="module")
def process() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes started for this module; terminated (then killed) in reverse order."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        codes = [stop(proc) for proc in reversed(started)]
    assert codes == [0] * len(codes), f"unclean exits: {codes}"


def stop(proc: subprocess.Popen[bytes]) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def launch(
    argv: list[str], env: dict[str, str], log: Path, started: list[subprocess.Popen[bytes]]
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=log.parent, env=env, stdout=out, stderr=out)
    started.append(proc)
    return proc


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, process: list[subprocess.Popen[bytes]]
) -> Stack:
    """The monolith and the gateway, shared by this module's tests (each leaves the
    route on legacy)."""
    tmp_path = tmp_path_factory.mktemp("gateway_e2e")
    legacy_port, gateway_port = free_port(), free_port()
    env = child_env(f"sqlite:///{(tmp_path / 'db.sqlite').as_posix()}")
    legacy_argv = [sys.executable, "-m", "legacy_app", "--host", "127.0.0.1",
                   "--port", str(legacy_port), "--database-url", env["DATABASE_URL"]]  # fmt: skip
    legacy = f"http://127.0.0.1:{legacy_port}"
    proc = launch(legacy_argv, env, tmp_path / "legacy.log", process)
    wait_ready(f"{legacy}/health", proc, tmp_path / "legacy.log")
    manifest = write_manifest(tmp_path / "migration.yaml", legacy)
    gateway_argv = [sys.executable, "-m", "migrate_cli", "serve", "--port", str(gateway_port),
                    "--manifest", str(manifest)]  # fmt: skip
    gateway = f"http://127.0.0.1:{gateway_port}"
    proc = launch(gateway_argv, env, tmp_path / "gateway.log", process)
    wait_ready(f"{gateway}/health", proc, tmp_path / "gateway.log")
    return Stack(legacy, gateway, manifest, env)


def write_manifest(path: Path, legacy_url: str) -> Path:
    routes = [
        {"id": "get-api-users-user-id", "method": "GET", "path": "/api/users/{user_id}"},
        {"id": "get-api-products", "method": "GET", "path": "/api/products"},
    ]
    model = Manifest.model_validate({"legacy": {"url": legacy_url}, "routes": routes})
    path.write_text(dump_manifest(model), encoding="utf-8")
    return path


def migrate(stack: Stack, *args: str) -> None:
    argv = [sys.executable, "-m", "migrate_cli", *args, "--manifest", str(stack.manifest)]
    done = subprocess.run(argv, env=stack.env, cwd=stack.manifest.parent, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def wait_for_target(client: httpx.Client, want: str, within: float = 1.0) -> httpx.Response:
    start = time.monotonic()
    while True:
        resp = client.get(USER_URL)
        if resp.headers["x-migrate-target"] == want:
            return resp
        assert time.monotonic() - start < within, f"still {resp.headers['x-migrate-target']}"
        time.sleep(0.02)


def test_legacy_route_answers_like_the_monolith(stack: Stack) -> None:
    direct = httpx.get(stack.legacy + USER_URL)
    resp = httpx.get(stack.gateway + USER_URL)
    assert resp.status_code == 200 and resp.json() == direct.json()
    assert resp.headers["x-migrate-target"] == "legacy"
    assert resp.headers["x-migrate-route"] == "get-api-users-user-id"
    assert httpx.delete(stack.gateway + USER_URL).headers["x-migrate-route"] == "legacy-catch-all"


def test_promote_then_rollback_apply_within_a_second(stack: Stack) -> None:
    direct = httpx.get(stack.legacy + USER_URL)
    with httpx.Client(base_url=stack.gateway) as client:
        migrate(stack, "route", "promote", ROUTE, "--function", HANDLER)
        resp = wait_for_target(client, "lambda")
        assert resp.status_code == 200 and resp.content == direct.content
        migrate(stack, "rollback", ROUTE)
        assert wait_for_target(client, "legacy").json() == direct.json()


def test_route_moves_under_steady_traffic_fail_no_request(stack: Stack) -> None:
    failures: list[str] = []
    seen: list[str] = []
    stop = threading.Event()

    def traffic() -> None:
        with httpx.Client(base_url=stack.gateway, timeout=10) as client:
            while not stop.is_set():
                try:
                    resp = client.get(USER_URL)
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                seen.append(resp.headers.get("x-migrate-target", "?"))
                if resp.status_code != 200:
                    failures.append(f"{resp.status_code}: {resp.text[:200]}")

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        migrate(stack, "route", "promote", ROUTE, "--function", HANDLER)
        time.sleep(1.0)
        migrate(stack, "rollback", ROUTE)
        time.sleep(1.0)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert failures == []
    assert "lambda" in seen and seen[-1] == "legacy" and len(seen) > 50
