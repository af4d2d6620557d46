"""Orders endpoints: placement in one transaction, 409 on short stock, cancel, lists."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

Sql = Callable[..., list[Any]]
Snapshot = Callable[[], dict[str, list[Any]]]

ORDER_KEYS = ["id", "user_id", "status", "total_cents", "created_at", "cancelled_at", "items"]
ITEM_KEYS = ["product_id", "quantity", "unit_price_cents", "line_total_cents"]


def stock(sql: Sql, product_id: int) -> int:
    return int(sql("SELECT stock FROM products WHERE id = :id", id=product_id)[0][0])


def stocked_products(sql: Sql, count: int, minimum: int = 5) -> list[int]:
    rows = sql("SELECT id FROM products WHERE stock >= :m ORDER BY id LIMIT :n", m=minimum, n=count)
    return [r[0] for r in rows]


def test_get_order_shape(client: FlaskClient) -> None:
    body = client.get("/api/orders/1").get_json()
    assert list(body) == ORDER_KEYS
    assert list(body["items"][0]) == ITEM_KEYS
    assert body["total_cents"] == sum(i["line_total_cents"] for i in body["items"])


def test_get_order_404(client: FlaskClient) -> None:
    assert client.get("/api/orders/5000").get_json() == {
        "error": "not_found",
        "message": "order 5000 not found",
    }


def test_list_orders_pagination_and_status_filter(client: FlaskClient, sql: Sql) -> None:
    body = client.get("/api/orders?per_page=50&page=6").get_json()
    assert (body["total"], body["pages"], len(body["items"])) == (300, 6, 50)
    cancelled = sql("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'")[0][0]
    page = client.get("/api/orders?status=cancelled&per_page=100").get_json()
    assert page["total"] == cancelled > 0
    assert {o["status"] for o in page["items"]} == {"cancelled"}
    both = client.get("/api/orders?status=cancelled&status=placed").get_json()
    assert both["total"] == 300


def test_list_orders_bad_status(client: FlaskClient) -> None:
    resp = client.get("/api/orders?status=placed&status=shipped")
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "status"


def test_list_orders_by_user_id(client: FlaskClient) -> None:
    user_id = client.get("/api/orders/1").get_json()["user_id"]
    body = client.get(f"/api/orders?user_id={user_id}").get_json()
    assert body["total"] >= 1
    assert {o["user_id"] for o in body["items"]} == {user_id}


def test_user_orders(client: FlaskClient, sql: Sql) -> None:
    user_id = client.get("/api/orders/1").get_json()["user_id"]
    expected = [
        r[0] for r in sql("SELECT id FROM orders WHERE user_id = :u ORDER BY id", u=user_id)
    ]
    body = client.get(f"/api/users/{user_id}/orders").get_json()
    assert [o["id"] for o in body["items"]] == expected
    assert client.get("/api/users/9999/orders").status_code == 404


def test_create_order_decrements_stock(client: FlaskClient, sql: Sql) -> None:
    p1, p2 = stocked_products(sql, 2)
    s1, s2 = stock(sql, p1), stock(sql, p2)
    payload = {"user_id": 7, "items": [{"product_id": p1, "quantity": 2},
                                       {"product_id": p2, "quantity": 1}]}  # fmt: skip
    resp = client.post("/api/orders", json=payload)
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers["Location"] == f"/api/orders/{body['id']}"
    assert (body["id"], body["user_id"], body["status"], body["cancelled_at"]) == (
        301, 7, "placed", None)  # fmt: skip
    assert [(i["product_id"], i["quantity"]) for i in body["items"]] == [(p1, 2), (p2, 1)]
    assert body["total_cents"] == sum(i["line_total_cents"] for i in body["items"])
    assert (stock(sql, p1), stock(sql, p2)) == (s1 - 2, s2 - 1)
    assert client.get(resp.headers["Location"]).get_json() == body


def test_create_order_short_stock_is_409_and_changes_nothing(
    client: FlaskClient, sql: Sql, snapshot: Snapshot
) -> None:
    p1, p2 = stocked_products(sql, 2)
    short = stock(sql, p2) + 1
    before = snapshot()
    payload = {"user_id": 7, "items": [{"product_id": p1, "quantity": 1},
                                       {"product_id": p2, "quantity": short}]}  # fmt: skip
    resp = client.post("/api/orders", json=payload)
    assert resp.status_code == 409
    body = resp.get_json()
    assert list(body) == ["error", "message", "field", "product_id", "requested", "available"]
    assert body["error"] == "insufficient_stock"
    assert body["field"] == "items[1].quantity"
    assert (body["product_id"], body["requested"], body["available"]) == (p2, short, short - 1)
    assert snapshot() == before


def test_create_order_out_of_stock_product(
    client: FlaskClient, sql: Sql, snapshot: Snapshot
) -> None:
    empty = sql("SELECT id FROM products WHERE stock = 0 ORDER BY id LIMIT 1")[0][0]
    before = snapshot()
    resp = client.post(
        "/api/orders", json={"user_id": 1, "items": [{"product_id": empty, "quantity": 1}]}
    )
    assert resp.status_code == 409
    assert resp.get_json()["available"] == 0
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"items": [{"product_id": 1, "quantity": 1}]}, "user_id"),
        ({"user_id": 1}, "items"),
        ({"user_id": 1, "items": []}, "items"),
        ({"user_id": "1", "items": [{"product_id": 1, "quantity": 1}]}, "user_id"),
        ({"user_id": 1, "items": [{"product_id": 1}]}, "items[0].quantity"),
        ({"user_id": 1, "items": [{"product_id": 1, "quantity": 0}]}, "items[0].quantity"),
        ({"user_id": 1, "items": [{"product_id": 1, "quantity": 1}, "x"]}, "items[1]"),
        ({"user_id": 9999, "items": [{"product_id": 1, "quantity": 1}]}, "user_id"),
        ({"user_id": 1, "items": [{"product_id": 1, "quantity": 1},
                                  {"product_id": 9999, "quantity": 1}]}, "items[1].product_id"),
        ({"user_id": 1, "items": [{"product_id": 1, "quantity": 1},
                                  {"product_id": 1, "quantity": 1}]}, "items[1].product_id"),
    ],
)  # fmt: skip
def test_create_order_validation(
    client: FlaskClient, snapshot: Snapshot, payload: Any, field: str
) -> None:
    before = snapshot()
    resp = client.post("/api/orders", json=payload)
    assert resp.status_code == 400
    body = resp.get_json()
    assert (body["error"], body["field"]) == ("validation_error", field)
    assert snapshot() == before


def test_create_order_malformed_json(client: FlaskClient, snapshot: Snapshot) -> None:
    before = snapshot()
    resp = client.post("/api/orders", data="[{,", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "body"
    assert snapshot() == before


def test_cancel_order_restores_stock(client: FlaskClient, sql: Sql) -> None:
    (product_id,) = stocked_products(sql, 1)
    initial = stock(sql, product_id)
    payload = {"user_id": 3, "items": [{"product_id": product_id, "quantity": 3}]}
    location = client.post("/api/orders", json=payload).location
    assert stock(sql, product_id) == initial - 3
    resp = client.post(f"{location}/cancel")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "cancelled"
    assert body["cancelled_at"].endswith("Z")
    assert stock(sql, product_id) == initial
    assert client.get(location).get_json() == body


def test_cancel_twice_conflicts(client: FlaskClient, sql: Sql, snapshot: Snapshot) -> None:
    order_id = sql("SELECT id FROM orders WHERE status = 'cancelled' LIMIT 1")[0][0]
    before = snapshot()
    resp = client.post(f"/api/orders/{order_id}/cancel")
    assert resp.status_code == 409
    assert resp.get_json() == {
        "error": "conflict",
        "message": f"order {order_id} is already cancelled",
    }
    assert snapshot() == before
    assert client.post("/api/orders/9999/cancel").status_code == 404


def test_cancel_requires_post(client: FlaskClient) -> None:
    resp = client.get("/api/orders/1/cancel")
    assert resp.status_code == 405
    assert resp.get_json()["error"] == "method_not_allowed"


def test_concurrent_orders_never_oversell(app: Flask, sql: Sql) -> None:
    product_id = sql("SELECT id FROM products WHERE stock BETWEEN 3 AND 20 ORDER BY id")[0][0]
    initial = stock(sql, product_id)
    payload = {"user_id": 5, "items": [{"product_id": product_id, "quantity": 1}]}

    def place(_: int) -> int:
        return app.test_client().post("/api/orders", json=payload).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(place, range(initial + 5)))
    assert statuses.count(201) == initial
    assert statuses.count(409) == 5
    assert stock(sql, product_id) == 0
