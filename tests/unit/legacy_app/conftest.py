"""Layered fixtures for the legacy app: seeded template DB -> per-test DB -> app -> client.

Seeding runs once per session into a template file; every test gets its own
copy of the file so tests are isolated and fast.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from legacy_app import create_app
from legacy_app.db import get_engine, init_database, make_engine
from tests.helpers.databases import TABLES, sqlite_url


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "legacy.db"
    engine = make_engine(sqlite_url(path))
    init_database(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_path(tmp_path: Path, seeded_template: Path) -> Path:
    # The template's engine is disposed, so its WAL is checkpointed: the file is complete.
    assert not seeded_template.with_name(seeded_template.name + "-wal").exists()
    target = tmp_path / "legacy.db"
    shutil.copyfile(seeded_template, target)
    return target


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LEGACY_DELAY_MS", raising=False)


@pytest.fixture
def app(db_path: Path, clean_env: None) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": sqlite_url(db_path), "TESTING": True})
    yield app
    get_engine(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sql(app: Flask) -> Callable[..., list[Any]]:
    """Run a read-only SQL query against the app's database; returns all rows."""

    def run(query: str, **params: Any) -> list[Any]:
        with get_engine(app).connect() as conn:
            return list(conn.execute(text(query), params).all())

    return run


@pytest.fixture
def row_counts(sql: Callable[..., list[Any]]) -> Callable[[], dict[str, int]]:
    """Row count of every table, to prove a rejected write changed nothing."""

    def counts() -> dict[str, int]:
        return {table: sql(f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}

    return counts


@pytest.fixture
def snapshot(sql: Callable[..., list[Any]]) -> Callable[[], dict[str, list[Any]]]:
    """Every row of every table, for exact before/after comparisons."""

    def take() -> dict[str, list[Any]]:
        return {table: sql(f"SELECT * FROM {table} ORDER BY 1, 2") for table in TABLES}

    return take
