"""The two sides of a parity test: the monolith (Flask test client) and the handlers.

``Legacy`` and ``Lambda`` each serve one ``Db`` copy (SQLite or PostgreSQL); the fixtures in
tests/unit/migrated_functions/conftest.py build them on copies of one seeded
database. ``create_order`` is the orders handler on the frozen clock both sides share
in write-parity tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from legacy_app.db import make_engine
from migrated_functions.orders import make_create_order
from tests.helpers.apigw import FakeContext, Outcome, api_event
from tests.helpers.databases import TABLES

__all__ = ["FROZEN_NOW", "Db", "Handler", "Lambda", "Legacy", "create_order"]

FROZEN_NOW = "2024-06-01T12:00:00Z"
create_order = make_create_order(clock=lambda: FROZEN_NOW)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class Db:
    """One database (a SQLite file or a PostgreSQL database) and a SQL helper on it."""

    url: str
    _engine: Engine | None = field(default=None, repr=False, compare=False)

    @property
    def backend(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def sql(self, query: str, **params: Any) -> list[Any]:
        if self._engine is None:  # one pool per copy: a PostgreSQL login costs ~20 ms
            self._engine = make_engine(self.url)
        with self._engine.connect() as conn:
            result = conn.execute(text(query), params)
            rows = list(result.all()) if result.returns_rows else []
            conn.commit()
            return rows

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def snapshot(self) -> dict[str, list[Any]]:
        """Every row of every legacy table (idempotency bookkeeping excluded)."""
        return {t: self.sql(f"SELECT * FROM {t} ORDER BY 1, 2") for t in TABLES}


@dataclass
class Legacy:
    """The monolith serving ``db``."""

    db: Db
    client: FlaskClient

    def request(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Outcome:
        url = f"{path}?{query}" if query else path
        resp = self.client.open(url, method=method, headers=headers or {}, data=body)
        return Outcome.of_flask(resp)


@dataclass
class Lambda:
    """The migrated handlers serving ``db`` (through ``DATABASE_URL``)."""

    db: Db

    def invoke(self, handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
        return handler(event, FakeContext())

    def request(
        self,
        handler: Handler,
        resource: str,
        method: str,
        path: str,
        query: str = "",
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        base64_body: bool = False,
    ) -> Outcome:
        event = api_event(
            method, resource, path, query=query, headers=headers, body=body, base64_body=base64_body
        )
        return Outcome.of_lambda(self.invoke(handler, event))
