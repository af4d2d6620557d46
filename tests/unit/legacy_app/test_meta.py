"""Index, health, JSON-only error handling, canonical encoding, config and delay."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from legacy_app import create_app
from legacy_app.db import get_engine
from legacy_app.jsonio import dumps

EXPECTED_RULES = {
    ("/", "GET"),
    ("/health", "GET"),
    ("/api/users", "GET"),
    ("/api/users", "POST"),
    ("/api/users/<int:user_id>", "GET"),
    ("/api/users/<int:user_id>", "PATCH"),
    ("/api/users/<int:user_id>", "DELETE"),
    ("/api/users/<int:user_id>/orders", "GET"),
    ("/api/products", "GET"),
    ("/api/products", "POST"),
    ("/api/products/<int:product_id>", "GET"),
    ("/api/products/<int:product_id>", "PUT"),
    ("/api/products/<int:product_id>", "DELETE"),
    ("/api/products/<int:product_id>/stock/", "GET"),
    ("/api/products/by-category/<path:category>", "GET"),
    ("/api/categories", "GET"),
    ("/api/orders", "GET"),
    ("/api/orders", "POST"),
    ("/api/orders/<int:order_id>", "GET"),
    ("/api/orders/<int:order_id>/cancel", "POST"),
}


def test_index_lists_every_endpoint(client: FlaskClient) -> None:
    body = client.get("/").get_json()
    assert list(body) == ["service", "version", "links", "endpoints"]
    listed = {(e["rule"], m) for e in body["endpoints"] for m in e["methods"]}
    assert listed == EXPECTED_RULES
    rules = [e["rule"] for e in body["endpoints"]]
    assert rules == sorted(rules)
    for link in body["links"].values():
        assert client.get(link).status_code == 200


def test_health_ok(client: FlaskClient) -> None:
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.data == b'{"status":"ok","database":"ok"}'


def test_health_reports_broken_database(app: Flask, client: FlaskClient) -> None:
    with get_engine(app).begin() as conn:
        conn.execute(text("ALTER TABLE users RENAME TO users_gone"))
    resp = client.get("/health")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": "unavailable"}


def test_canonical_json_encoding(client: FlaskClient) -> None:
    resp = client.get("/api/users/1")
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.data == dumps(resp.get_json()).encode("ascii")
    assert b'", "' not in resp.data and b'": ' not in resp.data
    assert not resp.data.endswith(b"\n")


def test_unicode_is_ascii_escaped(client: FlaskClient) -> None:
    resp = client.post("/api/users", json={"email": "z@x.io", "name": "Zoë"})
    assert b"Zo\\u00eb" in resp.data


def test_unknown_route_is_json_404(client: FlaskClient) -> None:
    resp = client.get("/nope/nothing")
    assert resp.status_code == 404
    assert resp.content_type == "application/json"
    assert resp.get_json()["error"] == "not_found"


def test_method_not_allowed_is_json_405(client: FlaskClient) -> None:
    resp = client.delete("/api/users")
    assert resp.status_code == 405
    assert resp.content_type == "application/json"
    assert resp.get_json()["error"] == "method_not_allowed"
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS, POST"


def test_payload_too_large_is_json_413(client: FlaskClient) -> None:
    resp = client.post("/api/users", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request_entity_too_large"


def test_unexpected_exception_is_json_500(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> Any:
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    with caplog.at_level(logging.ERROR):
        resp = client.get("/boom")
    assert resp.status_code == 500
    assert resp.get_json()["error"] == "internal_server_error"
    assert b"secret internals" not in resp.data and b"Traceback" not in resp.data
    assert "secret internals" in caplog.text


def test_delay_from_config(db_path: Path, clean_env: None) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{db_path}", "LEGACY_DELAY_MS": 60})
    client = app.test_client()
    started = time.perf_counter()
    assert client.get("/health").status_code == 200
    assert time.perf_counter() - started >= 0.06
    get_engine(app).dispose()


def test_no_delay_by_default(app: Flask) -> None:
    assert app.config["LEGACY_DELAY_MS"] == 0
    hooks = [f.__name__ for f in app.before_request_funcs.get(None, [])]
    assert "_artificial_delay" not in hooks  # what a delay installs (timing it is a guess)


def test_env_vars(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("LEGACY_DELAY_MS", "5")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{db_path}"
    assert app.config["LEGACY_DELAY_MS"] == 5
    get_engine(app).dispose()


def test_default_database_in_cwd_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    monkeypatch.chdir(tmp_path)
    app = create_app()
    assert (tmp_path / "var" / "legacy.db").is_file()
    assert app.test_client().get("/api/users/200").status_code == 200
    get_engine(app).dispose()


@pytest.mark.parametrize("value", ["-1", "fast"])
def test_bad_delay_is_rejected(db_path: Path, clean_env: None, value: str) -> None:
    with pytest.raises(ValueError, match="LEGACY_DELAY_MS"):
        create_app({"DATABASE_URL": f"sqlite:///{db_path}", "LEGACY_DELAY_MS": value})


def test_sqlite_is_shared_safely(sql: Callable[..., list[Any]]) -> None:
    assert sql("PRAGMA journal_mode")[0][0] == "wal"
    assert sql("PRAGMA busy_timeout")[0][0] >= 1000
    assert sql("PRAGMA foreign_keys")[0][0] == 1
