"""Fixtures for the migrated handlers: a DB seeded by the monolith's own code, both sides.

Every test using a DB runs twice, on SQLite and on PostgreSQL (``backend``; see
``tests.helpers.pg``: skipped when the server is unreachable, a failure under
``STRANGLER_REQUIRE_POSTGRES=1``). The template DB (a SQLite file, or a PostgreSQL
database) is created and seeded once per session by ``legacy_app`` (tests may
import it; the handlers may not); each copy is a file copy or a database made
from the template, dropped after the test. A side (``tests.helpers.sides``) pairs
one DB copy with what serves it: the monolith through Flask's test client, or the Lambda handlers
(``DATABASE_URL`` points at the copy; their engine cache is reset afterwards).
Reads use one shared copy; writes use twin copies so each side starts equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import URL

from legacy_app import create_app
from legacy_app.db import get_engine as legacy_engine
from legacy_app.db import init_database, make_engine
from legacy_app.models import Base
from migrated_functions._shared.db import reset_engines
from tests.helpers.databases import TABLES, sqlite_url
from tests.helpers.pg import (
    copy_tables,
    postgres_or_skip,
    render,
    schema_of,
    scratch_schema,
    seeded_schema,
)
from tests.helpers.sides import FROZEN_NOW, Db, Lambda, Legacy

BACKENDS = ("sqlite", "postgresql")
COPIED_TABLES = (*TABLES, "idempotency_keys")  # in foreign-key order
SERIAL_TABLES = ("users", "products", "orders", "order_items")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "legacy.db"
    engine = make_engine(sqlite_url(path))
    init_database(engine)
    engine.dispose()  # checkpoints the WAL: the file alone is the complete database
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A schema seeded once per session by the monolith; tests' schemas copy it."""
    with seeded_schema("tmpl") as url:
        yield schema_of(url)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        postgres_or_skip()
    return str(request.param)


@pytest.fixture(scope="module")
def pg_schemas() -> Iterator[dict[str, URL]]:
    """One schema per copy name ("legacy", "lambda", ...), made once per module and
    reset from the template before each use (creating one costs ~0.5 s, a reset 50 ms)."""
    with ExitStack() as stack:
        yield _SchemaPool(stack)


class _SchemaPool(dict[str, URL]):
    def __init__(self, stack: ExitStack) -> None:
        super().__init__()
        self._stack = stack

    def __missing__(self, name: str) -> URL:
        url = self._stack.enter_context(scratch_schema(name))
        engine = make_engine(render(url))
        Base.metadata.create_all(engine)  # its own serial sequences (LIKE would share them)
        engine.dispose()
        self[name] = url
        return url


@contextmanager
def _database_copy(
    request: pytest.FixtureRequest, backend: str, directory: Path, name: str
) -> Iterator[Db]:
    if backend == "sqlite":
        target = directory / f"{name}.db"
        shutil.copyfile(request.getfixturevalue("seeded_template"), target)
        db = Db(sqlite_url(target))
    else:
        url = request.getfixturevalue("pg_schemas")[name]
        copy_tables(url, request.getfixturevalue("pg_template"), COPIED_TABLES, SERIAL_TABLES)
        db = Db(render(url))
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def make_db(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Db]]:
    with ExitStack() as stack:

        def make(name: str) -> Db:
            return stack.enter_context(_database_copy(request, backend, tmp_path, name))

        yield make


def _app(db: Db) -> Flask:
    """The monolith on ``db``, stamping new rows with ``FROZEN_NOW`` (its ``CLOCK``)."""
    return create_app({"DATABASE_URL": db.url, "TESTING": True, "CLOCK": lambda: FROZEN_NOW})


@pytest.fixture
def legacy_factory() -> Iterator[Callable[[Db], Legacy]]:
    apps: list[Flask] = []

    def make(db: Db) -> Legacy:
        apps.append(_app(db))
        return Legacy(db, apps[-1].test_client())

    yield make
    for app in apps:
        legacy_engine(app).dispose()


@pytest.fixture
def lambda_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Db], Lambda]]:
    def make(db: Db) -> Lambda:
        monkeypatch.setenv("DATABASE_URL", db.url)
        return Lambda(db)

    yield make
    reset_engines()


@pytest.fixture
def frozen_clock() -> str:
    """The time both sides stamp new orders with, so bodies can match byte for byte: the
    monolith's ``CLOCK`` (``_app``) and the handler's (``tests.helpers.sides.create_order``)."""
    return FROZEN_NOW


@pytest.fixture(scope="module")
def shared_sides(
    tmp_path_factory: pytest.TempPathFactory, backend: str, request: pytest.FixtureRequest
) -> Iterator[tuple[Legacy, Lambda]]:
    """Monolith and handlers on ONE copy, for read-only parity (one copy per module)."""
    directory = tmp_path_factory.mktemp("shared")
    with _database_copy(request, backend, directory, "shared") as db:
        app = _app(db)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("DATABASE_URL", db.url)
            yield Legacy(db, app.test_client()), Lambda(db)
        reset_engines()
        legacy_engine(app).dispose()


@pytest.fixture
def twins(
    make_db: Callable[[str], Db],
    legacy_factory: Callable[[Db], Legacy],
    lambda_factory: Callable[[Db], Lambda],
    frozen_clock: str,
) -> tuple[Legacy, Lambda]:
    """Monolith and handlers each on its own fresh copy of the same seeded DB (writes)."""
    return legacy_factory(make_db("legacy")), lambda_factory(make_db("lambda"))


@pytest.fixture
def lam(make_db: Callable[[str], Db], lambda_factory: Callable[[Db], Lambda]) -> Lambda:
    """Only the handlers, on a fresh copy."""
    return lambda_factory(make_db("lambda"))
