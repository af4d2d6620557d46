"""End-to-end: ``python -m legacy_app`` as a real gunicorn process on a free port.

The server runs in a temporary working directory with a temporary SQLite
database; it is always terminated and reaped in the fixture teardown.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STARTUP_DEADLINE_S = 30.0
TABLES = ("users", "products", "product_tags", "orders", "order_items")


@dataclass(frozen=True)
class Server:
    base_url: str
    db_path: Path
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LEGACY_DELAY_MS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"server not healthy within {STARTUP_DEADLINE_S}s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("legacy_e2e")
    db_path, log = workdir / "data" / "e2e.db", workdir / "server.log"
    port = free_port()
    cmd = [sys.executable, "-m", "legacy_app", "--host", "127.0.0.1", "--port", str(port),
           "--workers", "2", "--database-url", f"sqlite:///{db_path.as_posix()}"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=workdir, env=server_env(), stdout=out, stderr=out)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, process, log)
        yield Server(base_url, db_path, process)
    finally:
        returncode = stop(process)
    assert returncode == 0, log.read_text()


def row_counts(db_path: Path) -> dict[str, int]:
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def test_served_by_gunicorn(server: Server) -> None:
    resp = httpx.get(f"{server.base_url}/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "database": "ok"}
    assert resp.headers["server"].lower().startswith("gunicorn")
    assert server.db_path.is_file()


def test_get_user(server: Server) -> None:
    resp = httpx.get(f"{server.base_url}/api/users/1")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert list(body) == ["id", "email", "name", "created_at"]
    assert body["id"] == 1
    assert resp.content == json.dumps(body, separators=(",", ":")).encode()


def test_malformed_json_is_400_and_changes_nothing(server: Server) -> None:
    before = row_counts(server.db_path)
    resp = httpx.post(
        f"{server.base_url}/api/users",
        content=b'{"email": "x@y.io", "name": ',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400
    assert resp.json() == {
        "error": "invalid_json",
        "message": "request body is not valid JSON",
        "field": "body",
    }
    assert row_counts(server.db_path) == before


def test_missing_field_is_400_naming_it(server: Server) -> None:
    before = row_counts(server.db_path)
    resp = httpx.post(f"{server.base_url}/api/users", json={"name": "No Email"})
    assert resp.status_code == 400
    body = resp.json()
    assert (body["error"], body["field"]) == ("validation_error", "email")
    assert row_counts(server.db_path) == before


def test_write_is_visible_to_every_worker(server: Server) -> None:
    before = row_counts(server.db_path)["users"]
    resp = httpx.post(f"{server.base_url}/api/users", json={"email": "e2e@x.io", "name": "E2E"})
    assert resp.status_code == 201
    location = resp.headers["location"]
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(6):
            assert client.get(location, headers={"Connection": "close"}).json() == resp.json()
    assert row_counts(server.db_path)["users"] == before + 1


def test_errors_are_json(server: Server) -> None:
    resp = httpx.delete(f"{server.base_url}/api/users")
    assert resp.status_code == 405
    assert resp.json()["error"] == "method_not_allowed"
    assert httpx.get(f"{server.base_url}/missing").json()["error"] == "not_found"
