"""Fixtures for the migrated handlers: a DB seeded by the monolith's own code, both sides.

The template DB is created and seeded once per session by ``legacy_app`` (tests
may import it; the handlers may not). A side (``tests.helpers.sides``) pairs one DB copy with what
serves it: the monolith through Flask's test client, or the Lambda handlers
(``DATABASE_URL`` points at the copy; their engine cache is reset afterwards).
Reads use one shared copy; writes use twin copies so each side starts equal.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from legacy_app import create_app
from legacy_app.db import get_engine as legacy_engine
from legacy_app.db import init_database, make_engine
from migrated_functions._shared.db import reset_engines
from tests.helpers.databases import sqlite_url
from tests.helpers.sides import FROZEN_NOW, Db, Lambda, Legacy


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "legacy.db"
    engine = make_engine(sqlite_url(path))
    init_database(engine)
    engine.dispose()  # checkpoints the WAL: the file alone is the complete database
    return path


@pytest.fixture
def make_db(tmp_path: Path, seeded_template: Path) -> Callable[[str], Db]:
    def make(name: str) -> Db:
        target = tmp_path / f"{name}.db"
        shutil.copyfile(seeded_template, target)
        return Db(target)

    return make


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
    tmp_path_factory: pytest.TempPathFactory, seeded_template: Path
) -> Iterator[tuple[Legacy, Lambda]]:
    """Monolith and handlers on ONE copy, for read-only parity (one copy per module)."""
    path = tmp_path_factory.mktemp("shared") / "legacy.db"
    shutil.copyfile(seeded_template, path)
    db = Db(path)
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
