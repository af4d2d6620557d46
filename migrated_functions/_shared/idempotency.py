"""Idempotent writes under an ``Idempotency-Key`` request header.

The table ``idempotency_keys(key PK, request_hash, status, headers_json, body,
created_at)`` is shared with the monolith, which declares it too and honours the
same keys (``legacy_app.idempotency``); a function creates it with ``CREATE TABLE
IF NOT EXISTS`` once per engine (cold start) when the monolith's schema predates it.

``run_once`` runs the write in ONE transaction with the INSERT of the key row, so
a crash can never record the response without its effect or the reverse. Only
2xx responses are stored: a rejected request changed nothing and may be retried.
A stored key answers with the stored response plus ``Idempotent-Replayed: true``
when the request fingerprint (route + canonical JSON body) matches, else 422.
Concurrent first attempts serialise on the write lock (SQLite ``BEGIN
IMMEDIATE``) or collide on the primary key (PostgreSQL: the second INSERT waits for
the first transaction, then fails); the loser's transaction, order and stock
included, is rolled back and it replays the winner's response. This module must
not know about specific endpoints or tables but its own.
"""

from __future__ import annotations

import hashlib
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from migrated_functions._shared.db import write_transaction
from migrated_functions._shared.event import Event, header
from migrated_functions._shared.http import ApiError, raw_response, validation_error

__all__ = [
    "KEYS",
    "KEY_HEADER",
    "REPLAY_HEADER",
    "KeyStore",
    "StoredResponse",
    "ensure_table",
    "idempotency_key",
    "idempotency_keys",
    "lookup",
    "replay",
    "request_fingerprint",
    "run_once",
    "save",
]

KEY_HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
_KEY_RULE = f"{KEY_HEADER}: must be 1 to 255 printable ASCII characters without spaces"

Response = dict[str, Any]
Work = Callable[[Connection], Response]

idempotency_keys = Table(
    "idempotency_keys",
    MetaData(),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("headers_json", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

_ready_engines: weakref.WeakSet[Engine] = weakref.WeakSet()  # cache: table known to exist


@dataclass(frozen=True, slots=True)
class StoredResponse:
    request_hash: str
    status: int
    headers: dict[str, str]
    body: str


def ensure_table(engine: Engine) -> None:
    """``CREATE TABLE IF NOT EXISTS idempotency_keys`` once per engine."""
    if engine in _ready_engines:
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Concurrent CREATE TABLE IF NOT EXISTS can still collide in pg_type: serialise.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('idempotency_keys'))"))
        conn.execute(CreateTable(idempotency_keys, if_not_exists=True))
    _ready_engines.add(engine)


def idempotency_key(event: Event) -> str | None:
    """The request's ``Idempotency-Key`` (any header case); None if absent, 400 if malformed."""
    raw = header(event, KEY_HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not _KEY_PATTERN.fullmatch(key):
        raise validation_error(KEY_HEADER, _KEY_RULE)
    return key


def request_fingerprint(route: str, body: bytes) -> str:
    """SHA-256 of the route and the body (canonical JSON when it parses, else raw bytes)."""
    try:
        parsed = json.loads(body)
        canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        canonical = body
    return hashlib.sha256(route.encode() + b"\n" + canonical).hexdigest()


def run_once(
    engine: Engine, key: str, request_hash: str, work: Work, keys: KeyStore | None = None
) -> Response:
    """``work(conn)``'s response, computed at most once per key (see the module docstring)."""
    keys = keys or KEYS
    with engine.connect() as conn:
        stored = keys.lookup(conn, key)
    if stored is not None:
        return replay(stored, request_hash)
    try:
        return _run_and_store(engine, key, request_hash, work, keys)
    except IntegrityError:
        with engine.connect() as conn:
            stored = keys.lookup(conn, key)
        if stored is None:
            raise
        return replay(stored, request_hash)


def _run_and_store(
    engine: Engine, key: str, request_hash: str, work: Work, keys: KeyStore
) -> Response:
    with write_transaction(engine) as conn:
        stored = keys.lookup(conn, key)  # re-checked under the write lock
        if stored is not None:
            return replay(stored, request_hash)
        response = work(conn)
        if 200 <= response["statusCode"] < 300:
            keys.save(conn, key, request_hash, response)
        return response


def lookup(conn: Connection, key: str) -> StoredResponse | None:
    stmt = select(idempotency_keys).where(idempotency_keys.c.key == key)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        return None
    headers = json.loads(row["headers_json"])
    return StoredResponse(row["request_hash"], row["status"], headers, row["body"])


def save(conn: Connection, key: str, request_hash: str, response: Response) -> None:
    """Record ``response`` under ``key`` inside the caller's transaction."""
    values = {
        "key": key,
        "request_hash": request_hash,
        "status": response["statusCode"],
        "headers_json": json.dumps(response["headers"], separators=(",", ":")),
        "body": response["body"],
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    conn.execute(idempotency_keys.insert().values(**values))


def replay(stored: StoredResponse, request_hash: str) -> Response:
    """The stored response marked as replayed, or 422 when the request differs."""
    if stored.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_mismatch",
            f"{KEY_HEADER} was already used with a different request",
            field=KEY_HEADER,
        )
    return raw_response(stored.status, stored.body, {**stored.headers, REPLAY_HEADER: "true"})


@dataclass(frozen=True, slots=True)
class KeyStore:
    """How ``run_once`` reads and records keys (tests pass a failing or stale one)."""

    lookup: Callable[[Connection, str], StoredResponse | None] = lookup
    save: Callable[[Connection, str, str, Response], None] = save


KEYS = KeyStore()  # the idempotency_keys table
