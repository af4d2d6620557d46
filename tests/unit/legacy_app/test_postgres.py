"""The monolith on PostgreSQL: every blueprint, the idempotency key, transient retries.

The app runs on its own schema of the test server (``tests.helpers.pg``: skipped when the
server is unreachable, a failure under ``STRANGLER_REQUIRE_POSTGRES=1``), created
and seeded by ``create_app`` exactly as in production.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from legacy_app import create_app
from legacy_app.common import retry_transient
from legacy_app.db import get_engine, get_session
from legacy_app.errors import ApiError
from tests.helpers.pg import render, scratch_schema

ORDER = {
    "user_id": 3,
    "items": [{"product_id": 2, "quantity": 1}, {"product_id": 1, "quantity": 1}],
}


@pytest.fixture(scope="module")
def pg_app() -> Iterator[Flask]:
    with scratch_schema("legacy") as url:
        app = create_app({"DATABASE_URL": render(url), "TESTING": True})
        yield app
        get_engine(app).dispose()


@pytest.fixture
def pg(pg_app: Flask) -> FlaskClient:
    return pg_app.test_client()


def test_reads_of_every_blueprint(pg: FlaskClient) -> None:
    assert pg.get("/health").json == {"status": "ok", "database": "ok"}
    assert len(pg.get("/").json["endpoints"]) > 10
    assert pg.get("/api/users?q=ADA&per_page=100").json["total"] >= 1
    assert pg.get("/api/users/200").json["id"] == 200
    assert pg.get("/api/users/201").status_code == 404
    products = pg.get("/api/products?tag=sale&in_stock=true&sort=-price&per_page=100").json
    prices = [p["price_cents"] for p in products["items"]]
    assert prices == sorted(prices, reverse=True) and products["total"] == len(prices)
    assert pg.get("/api/products?q=%25").json["total"] == 0  # LIKE wildcards are escaped
    assert pg.get("/api/products/by-category/electronics").json["total"] > 0
    assert pg.get("/api/products/by-category/nothing").status_code == 404
    assert sum(c["product_count"] for c in pg.get("/api/categories").json["items"]) == 100
    assert pg.get("/api/products/1/stock/").json["product_id"] == 1
    assert pg.get("/api/orders?status=cancelled&per_page=100").json["total"] > 0
    assert pg.get("/api/orders/300").json["id"] == 300
    assert pg.get("/api/users/1/orders").status_code == 200


def test_writes_of_every_blueprint_get_new_ids(pg: FlaskClient) -> None:
    user = pg.post("/api/users", json={"email": "pg@example.com", "name": "P G"})
    assert user.status_code == 201 and user.json["id"] == 201  # sequences past the seed
    assert pg.post("/api/users", json={"email": "pg@example.com", "name": "X"}).status_code == 409
    assert pg.patch("/api/users/201", json={"name": "Q"}).json["name"] == "Q"
    assert pg.delete("/api/users/201").status_code == 204
    body = {"sku": "PG-1", "name": "Pg", "category": "pg/x", "price_cents": 5, "stock": 3}
    product = pg.post("/api/products", json={**body, "tags": ["b", "a"]})
    assert product.status_code == 201 and product.json["id"] == 101
    assert pg.post("/api/products", json=body).status_code == 409
    assert pg.put("/api/products/101", json={**body, "tags": ["c"]}).json["tags"] == ["c"]
    assert pg.delete("/api/products/101").status_code == 204
    order = pg.post("/api/orders", json=ORDER)
    assert (
        order.status_code == 201 and order.headers["Location"] == f"/api/orders/{order.json['id']}"
    )
    cancel = f"/api/orders/{order.json['id']}/cancel"
    assert pg.post(cancel).json["status"] == "cancelled"
    assert pg.post(cancel).status_code == 409


@pytest.fixture(params=["sqlite", "postgresql"])
def either(request: pytest.FixtureRequest) -> FlaskClient:
    name = "client" if request.param == "sqlite" else "pg"
    client: FlaskClient = request.getfixturevalue(name)
    return client


def post(client: FlaskClient, key: str, body: dict[str, Any] = ORDER) -> Any:
    return client.post("/api/orders", data=json.dumps(body), headers={
        "Content-Type": "application/json", "Idempotency-Key": key})  # fmt: skip


def test_idempotency_key_replays_and_rejects_another_body(either: FlaskClient) -> None:
    first, again = post(either, "k-legacy-1"), post(either, "k-legacy-1")
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = post(either, "k-legacy-1", {**ORDER, "user_id": 4})
    assert other.status_code == 422 and other.json["error"] == "idempotency_key_mismatch"
    assert post(either, "has space").json["field"] == "Idempotency-Key"


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE products", {}, psycopg.errors.DeadlockDetected("deadlock"))


def test_transient_failures_are_retried_then_a_503(pg_app: Flask) -> None:
    calls: list[int] = []

    def flaky(failures: int) -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise _deadlock()
        return "done"

    with pg_app.app_context():
        session = get_session()
        assert retry_transient(session, lambda: flaky(2)) == "done" and len(calls) == 3
        calls.clear()
        with pytest.raises(ApiError) as caught:
            retry_transient(session, lambda: flaky(3))
        assert caught.value.status == 503 and len(calls) == 3
        with pytest.raises(OperationalError):  # not transient: raised at once
            retry_transient(session, _refused)


def _refused() -> str:
    raise OperationalError("connect", {}, psycopg.OperationalError("connection refused"))
