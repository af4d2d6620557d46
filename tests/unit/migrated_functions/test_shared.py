"""The shared helpers: event accessors, engine cache and config, JSON logs, error texts."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import InternalServerError, NotFound

from legacy_app.config import default_database_url, resolve_settings
from legacy_app.db import BUSY_TIMEOUT_MS as LEGACY_BUSY_TIMEOUT_MS
from legacy_app.jsonio import dumps as legacy_dumps
from migrated_functions._shared import db, event, http
from migrated_functions._shared.logs import JsonFormatter
from migrated_functions.users import get_user
from tests.helpers.apigw import FakeContext, api_event
from tests.helpers.sides import Lambda

USER_RESOURCE = "/api/users/{user_id}"


def test_query_single_value_is_the_first_like_flask() -> None:
    ev = api_event("GET", "/api/products", "/api/products", query="sort=price&sort=name&tag=a")
    assert ev["queryStringParameters"]["sort"] == "name"  # API Gateway keeps the last
    assert event.query_first(ev, "sort") == "price"  # Flask's request.args.get: the first
    assert event.query_all(ev, "sort") == ["price", "name"]
    assert event.query_first(ev, "missing") is None and event.query_all(ev, "missing") == []


def test_query_falls_back_to_single_values() -> None:
    ev = {"queryStringParameters": {"page": "2"}, "multiValueQueryStringParameters": None}
    assert event.query_all(ev, "page") == ["2"]


def test_headers_are_case_insensitive() -> None:
    ev = api_event("GET", "/api/products", "/api/products", headers={"content-TYPE": "a/b"})
    assert event.header(ev, "Content-Type") == "a/b"
    only_multi = {"headers": None, "multiValueHeaders": {"X-Thing": ["1", "2"]}}
    assert event.header(only_multi, "x-thing") == "2"
    assert event.header({}, "x-thing") is None


def test_body_bytes_plain_and_base64() -> None:
    raw = '{"name": "caf\u00e9"}'.encode()
    plain = api_event("POST", "/api/orders", "/api/orders", body=raw)
    encoded = api_event("POST", "/api/orders", "/api/orders", body=raw, base64_body=True)
    assert encoded["isBase64Encoded"] and encoded["body"] == base64.b64encode(raw).decode()
    assert event.body_bytes(plain) == event.body_bytes(encoded) == raw
    assert event.body_bytes({"body": None}) == b""


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", True),
        ("Application/JSON ; charset=utf-8", True),
        ("application/problem+json", True),
        ("text/json", False),
        ("", False),
        (None, False),
    ],
)
def test_is_json_content_type_matches_flask(content_type: str | None, expected: bool) -> None:
    assert event.is_json_content_type(content_type) is expected


def test_response_shape_and_canonical_json() -> None:
    body = {"b": "\u00e9", "a": [1, None]}
    resp = http.json_response(body, 201, {"Location": "/x"})
    assert resp == {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "Location": "/x"},
        "body": legacy_dumps(body),
        "isBase64Encoded": False,
    }
    with pytest.raises(ValueError):
        http.dumps(float("nan"))


def test_error_texts_are_the_monoliths() -> None:
    assert (
        NotFound.description,
        InternalServerError.description,
    ) == (http.ROUTE_NOT_FOUND_MESSAGE, http.INTERNAL_ERROR_MESSAGE)


def test_default_database_url_matches_the_monolith(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert db.database_url() == default_database_url() == resolve_settings().database_url
    monkeypatch.setenv("DATABASE_URL", "")
    assert db.database_url() == default_database_url()
    assert db.BUSY_TIMEOUT_MS == LEGACY_BUSY_TIMEOUT_MS


def test_engine_cache_makes_one_engine_per_url() -> None:
    created: list[str] = []

    def counting(url: str) -> Any:
        created.append(url)
        return db.make_engine(url)

    cache = db.EngineCache(counting)
    engines = [cache.get("sqlite://") for _ in range(3)]
    assert created == ["sqlite://"]
    assert engines[0] is engines[1] is engines[2]
    cache.reset()
    assert cache.get("sqlite://") is not engines[0] and created == ["sqlite://"] * 2
    cache.reset()


def test_engine_is_created_once_and_reused(lam: Lambda) -> None:
    db.reset_engines()
    engines = []
    for user_id in ("1", "2", "3"):
        lam.invoke(get_user, api_event("GET", USER_RESOURCE, f"/api/users/{user_id}"))
        engines.append(db.get_engine())
    assert engines[0] is engines[1] is engines[2]
    assert str(engines[0].url) == lam.db.url
    assert db.get_engine() is db.get_engine()


def test_sqlite_connections_use_wal_and_busy_timeout(lam: Lambda) -> None:
    if lam.db.backend != "sqlite":
        pytest.skip("SQLite pragmas")
    with db.get_engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_one_json_log_line_per_invocation(lam: Lambda, capsys: pytest.CaptureFixture[str]) -> None:
    context = FakeContext()
    get_user(api_event("GET", USER_RESOURCE, "/api/users/5"), context)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 1
    entry = lines[0]
    assert entry["level"] == "INFO" and entry["message"] == "request completed"
    assert entry["aws_request_id"] == context.aws_request_id
    assert (entry["route"], entry["status"]) == ("GET /api/users/{user_id}", 200)
    assert isinstance(entry["latency_ms"], float) and entry["latency_ms"] >= 0


def test_unexpected_error_is_the_monoliths_500_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{(tmp_path / 'missing' / 'x.db').as_posix()}")
    try:
        resp = get_user(api_event("GET", USER_RESOURCE, "/api/users/1"), FakeContext())
    finally:
        db.reset_engines()
    assert resp["statusCode"] == 500
    assert json.loads(resp["body"]) == {
        "error": "internal_server_error",
        "message": InternalServerError.description,
    }
    assert "Traceback" not in resp["body"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["level"] for e in logged] == ["ERROR", "ERROR"]
    assert "OperationalError" in logged[0]["exception"]


def test_json_formatter_merges_fields() -> None:
    record = logging.LogRecord(
        "migrated_functions.x", logging.WARNING, __file__, 1, "hi %s", ("there",), None
    )
    record.fields = {"route": "GET /x", "status": 404}
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hi there" and entry["level"] == "WARNING"
    assert (entry["route"], entry["status"]) == ("GET /x", 404)


def test_transient_failures_are_retried_then_a_conflict() -> None:
    deadlock = OperationalError("UPDATE", {}, psycopg.errors.DeadlockDetected("deadlock"))
    attempts: list[int] = []

    def flaky(failures: int) -> str:
        attempts.append(1)
        if len(attempts) <= failures:
            raise deadlock
        return "done"

    assert db.retry_transient(lambda: flaky(2)) == "done" and len(attempts) == 3
    attempts.clear()
    with pytest.raises(db.DatabaseConflict):
        db.retry_transient(lambda: flaky(3))
    assert len(attempts) == 3
