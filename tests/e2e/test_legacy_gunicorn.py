"""End-to-end: ``python -m legacy_app`` as a real gunicorn process on a free port.

The server runs in a temporary working directory with a temporary SQLite
database, on a port it binds itself; it is always terminated and reaped (its whole
process group) in the fixture teardown.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from router.local import start_legacy

pytestmark = pytest.mark.e2e

TABLES = ("users", "products", "product_tags", "orders", "order_items")


@dataclass(frozen=True)
class Server:
    base_url: str
    db_path: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("legacy_e2e")
    db_path, log = workdir / "data" / "e2e.db", workdir / "server.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LEGACY_DELAY_MS")}
    database_url = f"sqlite:///{db_path.as_posix()}"
    proc = start_legacy(0, database_url, cwd=workdir, env=env, log_path=log)  # port: its own
    try:
        yield Server(proc.ready_url.removesuffix("/health"), db_path)
    finally:
        returncode = proc.stop()
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
