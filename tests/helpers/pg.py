"""PostgreSQL for tests: the server, a reachability check, scratch schemas and databases.

``STRANGLER_TEST_POSTGRES_URL`` names the server (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a role that may create schemas,
databases and roles). Tests that need it take the ``postgres_url`` fixture: skipped
when the server is unreachable, FAILED instead when ``STRANGLER_REQUIRE_POSTGRES=1``
(``.ci/run`` sets it, so CI cannot pass without them). Every test gets its own
schema (``scratch_schema``: the URL carries ``search_path``) or database
(``scratch_database``), dropped afterwards, so parallel runs never collide.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

__all__ = [
    "DEFAULT_URL",
    "REQUIRE_ENV",
    "URL_ENV",
    "admin",
    "copy_tables",
    "postgres_or_skip",
    "render",
    "revoke_login",
    "schema_of",
    "scratch_database",
    "scratch_role",
    "scratch_schema",
    "seeded_schema",
    "server_url",
]

URL_ENV = "STRANGLER_TEST_POSTGRES_URL"
REQUIRE_ENV = "STRANGLER_REQUIRE_POSTGRES"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def server_url() -> URL:
    return make_url(os.environ.get(URL_ENV) or DEFAULT_URL)


def _conninfo(url: URL) -> dict[str, object]:
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    if url.password:
        params["password"] = url.password
    return {k: v for k, v in params.items() if v is not None}


def admin(url: URL | None = None) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection to the server (for DDL: schemas, databases, roles)."""
    return psycopg.connect(**_conninfo(url or server_url()), autocommit=True, connect_timeout=5)  # type: ignore[arg-type]


@functools.cache
def unreachable_reason() -> str | None:
    try:
        with admin() as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip()
    return None


def postgres_or_skip() -> URL:
    """The server URL, or skip (fail under ``STRANGLER_REQUIRE_POSTGRES=1``) when unreachable."""
    reason = unreachable_reason()
    if reason is None:
        return server_url()
    url = server_url().render_as_string(hide_password=True)
    message = f"PostgreSQL at {url} ({URL_ENV}) is unreachable: {reason}"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}; {REQUIRE_ENV}=1 requires it", pytrace=False)
    pytest.skip(message)


def schema_of(url: URL) -> str:
    """The schema a ``scratch_schema`` URL puts first on ``search_path``."""
    options = url.query.get("options", "")
    assert isinstance(options, str) and options.startswith("-csearch_path=")
    return options.removeprefix("-csearch_path=")


def copy_tables(url: URL, template: str, tables: tuple[str, ...], serial: tuple[str, ...]) -> None:
    """Make ``tables`` (in foreign-key order) of the schema ``url`` names equal to those of
    schema ``template``: DELETE (in reverse order), INSERT ... SELECT, and each ``serial``
    table's id sequence moved past the copied ids, in one transaction and one round trip.
    ~0.1 s where creating and seeding a database takes seconds (and TRUNCATE 0.6 s)."""
    schema = schema_of(url)
    script = [  # only for a table a test dropped (LIKE would share a serial's sequence)
        f'CREATE TABLE IF NOT EXISTS "{schema}".{t} (LIKE "{template}".{t} INCLUDING ALL);'
        for t in tables
        if t not in serial
    ]
    script += [f'DELETE FROM "{schema}".{t};' for t in reversed(tables)]
    script += [f'INSERT INTO "{schema}".{t} SELECT * FROM "{template}".{t};' for t in tables]
    script += [
        f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{t}', 'id'), "
        f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{schema}".{t}), false);'
        for t in serial
    ]
    with admin(url) as conn:
        conn.execute("BEGIN;" + "".join(script) + "COMMIT;")  # type: ignore[arg-type]


@contextmanager
def scratch_role(url: URL, prefix: str = "r") -> Iterator[str]:
    """A LOGIN role whose ``search_path`` is the schema of ``url``, with all rights there.

    The local server trusts every login, so a password proves nothing: a rotation is a
    new role, and revoking the old one (``NOLOGIN``, sessions ended) is what the
    server enforces. The role, its grants and its sessions are gone afterwards."""
    name = _name(prefix)
    schema = schema_of(url)
    with admin(url) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN')
        conn.execute(f'ALTER ROLE "{name}" SET search_path = "{schema}"')
        conn.execute(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{name}"')
        conn.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{name}"')
        conn.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{name}"')
    try:
        yield name
    finally:
        with admin(url) as conn:
            revoke_login(conn, name)
            conn.execute(f'DROP OWNED BY "{name}"')
            conn.execute(f'DROP ROLE "{name}"')


def revoke_login(conn: psycopg.Connection[tuple[object, ...]], role: str) -> None:
    """``NOLOGIN`` and end the role's sessions: its next login is refused."""
    conn.execute(f'ALTER ROLE "{role}" NOLOGIN')
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
    )


def _name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


@contextmanager
def scratch_schema(prefix: str = "t") -> Iterator[URL]:
    """A fresh schema; the URL's ``options`` put it first on ``search_path``."""
    base = postgres_or_skip()
    schema = _name(prefix)
    with admin(base) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"})
    finally:
        with admin(base) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def seeded_schema(prefix: str = "t") -> Iterator[URL]:
    """A scratch schema created and seeded by the monolith's own code (~1.5 s)."""
    from legacy_app.db import init_database, make_engine

    with scratch_schema(prefix) as url:
        engine = make_engine(render(url))
        init_database(engine)
        engine.dispose()
        yield url


@contextmanager
def scratch_database(prefix: str = "t", template: str | None = None) -> Iterator[URL]:
    """A fresh database (a copy of ``template``: ~0.3 s, where seeding takes 1.5 s),
    dropped with its sessions afterwards. Nothing may be connected to the template."""
    base = postgres_or_skip()
    name = _name(prefix)
    copy = f' TEMPLATE "{template}" STRATEGY WAL_LOG' if template else ""
    with admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield base.set(database=name)
    finally:
        with admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def render(url: URL) -> str:
    """The URL as a string, password included (for ``DATABASE_URL``)."""
    return url.render_as_string(hide_password=False)
