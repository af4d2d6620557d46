"""Database access of the migrated functions: one cached Engine per URL, write transactions.

Configuration comes from the environment only: ``DATABASE_URL`` (the same variable
and default as the monolith: the SQLite file ``./var/legacy.db`` relative to the
current working directory). Engines are created lazily on first use (once per
cold start) and reused by every later invocation; SQLite connections get the
same pragmas as the monolith (WAL, ``busy_timeout``, foreign keys) so both can
share one file. This module must not declare tables, create the legacy schema
or know about HTTP.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

__all__ = [
    "BUSY_TIMEOUT_MS",
    "EngineCache",
    "database_url",
    "get_engine",
    "make_engine",
    "reset_engines",
    "write_transaction",
]

BUSY_TIMEOUT_MS = 10_000
DEFAULT_DB_RELATIVE_PATH = Path("var") / "legacy.db"


class EngineCache:
    """One Engine per URL, made by ``make`` on first use and then reused (thread-safe)."""

    def __init__(self, make: Callable[[str], Engine]) -> None:
        self._make = make
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        engine = self._engines.get(url)
        if engine is not None:
            return engine
        with self._lock:
            if url not in self._engines:
                self._engines[url] = self._make(url)
            return self._engines[url]

    def reset(self) -> None:
        """Dispose and forget every Engine."""
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            engine.dispose()


def database_url() -> str:
    """``DATABASE_URL`` or ``sqlite:///<cwd>/var/legacy.db`` (absolute), like the monolith."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{(Path.cwd() / DEFAULT_DB_RELATIVE_PATH).as_posix()}"


def get_engine() -> Engine:
    """The Engine of the current ``DATABASE_URL``, created on first use and then reused."""
    return _ENGINES.get(database_url())


def reset_engines() -> None:
    """Dispose and forget every cached Engine (tests; a new URL at runtime)."""
    _ENGINES.reset()


def make_engine(url: str) -> Engine:
    """A new Engine for ``url``; SQLite connections are tuned for sharing the file."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
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


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so it holds the write
    lock from its first read: check-then-write sequences cannot interleave.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


_ENGINES = EngineCache(make_engine)  # the process's engines: one per cold start and URL
