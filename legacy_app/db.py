"""Engine creation, schema initialisation and the per-request session.

SQLite connections get ``journal_mode=WAL``, ``busy_timeout`` and foreign keys so
several gunicorn workers and other processes (migrated Lambda handlers) can
share one database file. This module must not define tables (see ``models``)
nor know about routes; it only hands out sessions.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from legacy_app.config import ensure_sqlite_parent
from legacy_app.models import AppMeta, Base, User
from legacy_app.seed import SEED_VERSION, seed_database

__all__ = [
    "BUSY_TIMEOUT_MS",
    "get_engine",
    "get_session",
    "init_app",
    "init_database",
    "make_engine",
]

BUSY_TIMEOUT_MS = 10_000
_EXTENSION = "legacy_db"
_ENGINE = "legacy_db_engine"
_SERIAL_TABLES = ("users", "products", "orders", "order_items")


def make_engine(database_url: str) -> Engine:
    """An Engine for ``database_url``; SQLite connections are tuned for sharing."""
    ensure_sqlite_parent(database_url)
    if not database_url.startswith("sqlite"):
        return create_engine(database_url, pool_pre_ping=True)
    engine = create_engine(database_url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """``journal_mode=WAL``, retried: while another connection is creating the file,
    SQLite can answer "database is locked" at once, without calling the busy handler."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def init_database(engine: Engine) -> bool:
    """Create the schema (idempotent) and seed it when empty. True if it seeded."""
    _create_schema(engine)
    return _seed_once(engine)


def _create_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            # Hold the write lock while checking and creating: concurrent starters serialise.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif engine.dialect.name == "postgresql":  # the same, with a transaction-scoped lock
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('legacy_app schema'))"))
        Base.metadata.create_all(conn)
        conn.commit()


def _seed_once(engine: Engine) -> bool:
    with Session(engine) as session:
        if session.get(AppMeta, "seed_version") is not None:
            return False
    try:
        with Session(engine) as session, session.begin():
            # Writing the marker first takes the write lock: concurrent seeders serialise here.
            session.add(AppMeta(key="seed_version", value=SEED_VERSION))
            session.flush()
            if session.scalar(select(User.id).limit(1)) is not None:
                return False
            seed_database(session)
            _advance_sequences(session)
    except IntegrityError:
        return False
    return True


def _advance_sequences(session: Session) -> None:
    """PostgreSQL: move each serial id's sequence past the seeded ids (they were explicit).

    Without it the first ``INSERT`` without an id would draw 1 and hit the primary key.
    SQLite picks ``max(id) + 1`` by itself.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in _SERIAL_TABLES:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


def init_app(app: Flask, engine: Engine) -> None:
    """Attach ``engine`` to ``app`` and close the request session on teardown."""
    app.extensions[_EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.extensions[_ENGINE] = engine
    app.teardown_appcontext(_close_session)


def get_engine(app: Flask) -> Engine:
    """The engine attached to ``app`` by ``init_app``."""
    engine: Engine = app.extensions[_ENGINE]
    return engine


def get_session() -> Session:
    """The session of the current app context (created on first use)."""
    if "db_session" not in g:
        factory: sessionmaker[Session] = current_app.extensions[_EXTENSION]
        g.db_session = factory()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
