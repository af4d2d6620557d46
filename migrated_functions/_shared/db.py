"""Database access of the migrated functions: one cached Engine per URL, write transactions.

Configuration comes from the environment only, first match wins:

* ``DATABASE_URL``: the local and simple path, the same variable as the monolith's;
* ``DB_SECRET_ARN`` / ``DB_SSM_PARAMETER``: the credentials live in Secrets Manager or
  SSM (``credentials``); each new connection takes the cached ones, and a login the
  server refuses makes it read them again once (rotation) and retry; refused again,
  the invocation fails with ``DatabaseCredentialsRefused`` (502, one log line);
* otherwise the embedded default: the SQLite file ``./var/legacy.db`` relative to
  the current working directory, as the monolith's.

Engines are created lazily on first use (once per cold start) and reused by every
later invocation; SQLite connections get the same pragmas as the monolith (WAL,
``busy_timeout``, foreign keys) so both can share one file. This module must not
declare tables, create the legacy schema, know about HTTP or log credentials.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from migrated_functions._shared.credentials import (
    CredentialSource,
    DbCredentials,
    configured_source,
    refused_credentials,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DatabaseConflict",
    "DatabaseCredentialsRefused",
    "EngineCache",
    "database_url",
    "get_engine",
    "make_engine",
    "reset_engines",
    "retry_transient",
    "write_transaction",
]

T = TypeVar("T")
# PostgreSQL aborts one transaction of a deadlock (40P01) or a serialization conflict
# (40001); running it again is the documented remedy.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
TRANSIENT_ATTEMPTS = 3

BUSY_TIMEOUT_MS = 10_000
DEFAULT_DB_RELATIVE_PATH = Path("var") / "legacy.db"


class EngineCache:
    """One Engine per key (a URL or a credential source), made on first use and then
    reused (thread-safe): by ``make(key)``, or by the ``make`` given to ``get``."""

    def __init__(self, make: Callable[[str], Engine]) -> None:
        self._make = make
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()

    def get(self, url: str, make: Callable[[], Engine] | None = None) -> Engine:
        engine = self._engines.get(url)
        if engine is not None:
            return engine
        with self._lock:
            if url not in self._engines:
                self._engines[url] = make() if make is not None else self._make(url)
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


class DatabaseCredentialsRefused(Exception):
    """The database refused the credentials of the secret or parameter, read again."""


class DatabaseConflict(Exception):
    """PostgreSQL aborted the write to break a deadlock or conflict, three times."""


def get_engine() -> Engine:
    """The Engine the environment names, created on first use and then reused."""
    source = None if os.environ.get("DATABASE_URL") else configured_source()
    if source is None:
        return _ENGINES.get(database_url())
    return _ENGINES.get(str(source), partial(_secret_engine, source))


def _secret_engine(source: CredentialSource) -> Engine:
    """An Engine whose connections log in with the source's current credentials."""
    first = source.fetch()
    url = URL.create(first.drivername, host=first.host, port=first.port, database=first.dbname)
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "do_connect", partial(_connect, source))
    return engine


def _connect(source: CredentialSource, dialect: Any, _rec: Any, cargs: Any, cparams: Any) -> Any:
    """``do_connect``: log in with the cached credentials; refused, read them once more."""
    refused: Exception | None = None
    for force in (False, True):
        credentials = source.fetch(force=force)
        try:
            return dialect.connect(*cargs, **{**cparams, **credentials.connect_params()})
        except dialect.loaded_dbapi.OperationalError as exc:
            if not refused_credentials(exc):
                raise
            refused = exc
    raise _refusal(source, credentials, refused)


def _refusal(
    source: CredentialSource, credentials: DbCredentials, exc: Exception | None
) -> DatabaseCredentialsRefused:
    reason = str(exc).strip().splitlines()[-1] if exc is not None else "refused"
    return DatabaseCredentialsRefused(
        f"database refused the credentials of {source} ({credentials.describe()}), "
        f"read again after the first refusal: {reason.split('FATAL:')[-1].strip()}"
    )


def retry_transient(attempt: Callable[[], T]) -> T:
    """``attempt()`` (a whole transaction), run again when the database aborted it for a
    deadlock or serialization conflict; ``DatabaseConflict`` after 3 tries."""
    for remaining in reversed(range(TRANSIENT_ATTEMPTS)):
        try:
            return attempt()
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in TRANSIENT_SQLSTATES:
                raise
            if remaining == 0:
                raise DatabaseConflict(str(exc.orig)) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def reset_engines() -> None:
    """Dispose and forget every cached Engine and credential (tests; a new URL at runtime)."""
    _ENGINES.reset()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:  # imported only when credentials came from a secret
        parameters.clear_caches()


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
