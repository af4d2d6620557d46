"""Products and categories endpoints: filters (repeated keys), path converter, writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

Sql = Callable[..., list[Any]]
Counts = Callable[[], dict[str, int]]

PRODUCT_KEYS = ["id", "sku", "name", "description", "category", "price_cents", "stock", "tags",
                "created_at"]  # fmt: skip
NEW_PRODUCT = {
    "sku": "TST-9000",
    "name": "Test Widget",
    "description": "A widget for tests.",
    "category": "toys/widgets",
    "price_cents": 1234,
    "stock": 5,
    "tags": ["sale", "new", "sale"],
}


def all_products(client: FlaskClient, query: str = "") -> list[dict[str, Any]]:
    body = client.get(f"/api/products?per_page=100&{query}").get_json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def test_get_product_shape(client: FlaskClient) -> None:
    body = client.get("/api/products/1").get_json()
    assert list(body) == PRODUCT_KEYS
    assert isinstance(body["price_cents"], int)
    assert body["tags"] == sorted(body["tags"])


def test_get_product_404(client: FlaskClient) -> None:
    resp = client.get("/api/products/0")
    assert resp.status_code == 404
    assert resp.get_json() == {"error": "not_found", "message": "product 0 not found"}


def test_list_products_pagination(client: FlaskClient) -> None:
    body = client.get("/api/products?page=2&per_page=30").get_json()
    assert (body["total"], body["pages"]) == (100, 4)
    assert [p["id"] for p in body["items"]] == list(range(31, 61))


def test_filter_repeated_tags_match_any(client: FlaskClient, sql: Sql) -> None:
    expected = [r[0] for r in sql(
        "SELECT DISTINCT product_id FROM product_tags WHERE tag IN ('eco', 'gift') ORDER BY 1"
    )]  # fmt: skip
    items = all_products(client, "tag=eco&tag=gift")
    assert [p["id"] for p in items] == expected
    assert all({"eco", "gift"} & set(p["tags"]) for p in items)
    only_eco = all_products(client, "tag=eco")
    assert 0 < len(only_eco) < len(items)


def test_filter_price_range_and_stock(client: FlaskClient) -> None:
    items = all_products(client, "min_price=10000&max_price=20000&in_stock=true")
    assert items
    assert all(10000 <= p["price_cents"] <= 20000 and p["stock"] > 0 for p in items)
    out_of_stock = all_products(client, "in_stock=false")
    assert out_of_stock and all(p["stock"] == 0 for p in out_of_stock)


def test_filter_category_and_query(client: FlaskClient) -> None:
    items = all_products(client, "category=electronics")
    assert items and all(p["category"].startswith("electronics/") for p in items)
    assert all_products(client, "category=electro") == []
    named = all_products(client, "q=kettle")
    assert named and all("kettle" in p["name"].lower() for p in named)


def test_sort_by_price(client: FlaskClient) -> None:
    prices = [p["price_cents"] for p in all_products(client, "sort=-price")]
    assert prices == sorted(prices, reverse=True)
    prices = [p["price_cents"] for p in all_products(client, "sort=price")]
    assert prices == sorted(prices)


@pytest.mark.parametrize(
    ("query", "field"),
    [("min_price=abc", "min_price"), ("max_price=-1", "max_price"), ("in_stock=maybe", "in_stock"),
     ("sort=stock", "sort"), ("per_page=1000", "per_page")],
)  # fmt: skip
def test_bad_filters(client: FlaskClient, query: str, field: str) -> None:
    resp = client.get(f"/api/products?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["field"] == field


def test_by_category_path_converter(client: FlaskClient, sql: Sql) -> None:
    expected = sql("SELECT COUNT(*) FROM products WHERE category LIKE 'electronics/audio/%'")[0][0]
    body = client.get("/api/products/by-category/electronics/audio?per_page=100").get_json()
    assert body["total"] == expected > 0
    assert all(p["category"].startswith("electronics/audio/") for p in body["items"])
    leaf = client.get("/api/products/by-category/electronics/audio/speakers").get_json()
    assert 0 < leaf["total"] < expected


def test_by_category_combines_with_tag_filter(client: FlaskClient) -> None:
    body = client.get("/api/products/by-category/electronics?tag=sale&per_page=100").get_json()
    assert all("sale" in p["tags"] for p in body["items"])
    assert all(p["category"].startswith("electronics/") for p in body["items"])


def test_by_category_unknown_is_404(client: FlaskClient) -> None:
    resp = client.get("/api/products/by-category/no/such/category")
    assert resp.status_code == 404
    assert resp.get_json()["message"] == "category no/such/category not found"


def test_list_categories(client: FlaskClient) -> None:
    body = client.get("/api/categories").get_json()
    categories = [c["category"] for c in body["items"]]
    assert categories == sorted(categories)
    assert sum(c["product_count"] for c in body["items"]) == 100
    assert list(body["items"][0]) == ["category", "product_count"]


def test_create_product(client: FlaskClient, row_counts: Counts) -> None:
    before = row_counts()
    resp = client.post("/api/products", json=NEW_PRODUCT)
    assert resp.status_code == 201
    body = resp.get_json()
    assert resp.headers["Location"] == f"/api/products/{body['id']}"
    assert body["tags"] == ["new", "sale"]
    assert body["price_cents"] == 1234
    assert row_counts()["products"] == before["products"] + 1
    assert row_counts()["product_tags"] == before["product_tags"] + 2
    assert client.get(resp.headers["Location"]).get_json() == body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sku": None}, "sku"),
        ({"sku": "lower-case"}, "sku"),
        ({"price_cents": 12.5}, "price_cents"),
        ({"price_cents": "1234"}, "price_cents"),
        ({"price_cents": True}, "price_cents"),
        ({"stock": -1}, "stock"),
        ({"category": "Bad Category"}, "category"),
        ({"tags": ["ok", "NOT OK"]}, "tags[1]"),
        ({"tags": "sale"}, "tags"),
    ],
)
def test_create_product_validation(
    client: FlaskClient, row_counts: Counts, change: dict[str, Any], field: str
) -> None:
    payload = {**NEW_PRODUCT, **change}
    before = row_counts()
    resp = client.post("/api/products", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == field
    assert row_counts() == before


def test_create_product_missing_field(client: FlaskClient, row_counts: Counts) -> None:
    payload = {k: v for k, v in NEW_PRODUCT.items() if k != "price_cents"}
    before = row_counts()
    resp = client.post("/api/products", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "price_cents"
    assert row_counts() == before


def test_create_product_duplicate_sku(client: FlaskClient, row_counts: Counts) -> None:
    sku = client.get("/api/products/1").get_json()["sku"]
    before = row_counts()
    resp = client.post("/api/products", json={**NEW_PRODUCT, "sku": sku})
    assert resp.status_code == 409
    assert resp.get_json()["field"] == "sku"
    assert row_counts() == before


def test_replace_product(client: FlaskClient) -> None:
    original = client.get("/api/products/3").get_json()
    payload = {**NEW_PRODUCT, "tags": [*original["tags"][:1], "premium"]}
    resp = client.put("/api/products/3", json=payload)
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["id"], body["created_at"]) == (3, original["created_at"])
    assert body["sku"] == "TST-9000"
    assert body["tags"] == sorted({*original["tags"][:1], "premium"})
    assert client.get("/api/products/3").get_json() == body


def test_replace_product_sku_conflict(client: FlaskClient, snapshot: Callable[[], Any]) -> None:
    taken = client.get("/api/products/1").get_json()["sku"]
    before = snapshot()
    resp = client.put("/api/products/3", json={**NEW_PRODUCT, "sku": taken, "tags": ["gift"]})
    assert resp.status_code == 409
    assert resp.get_json()["field"] == "sku"
    assert snapshot() == before


def test_replace_product_validation(client: FlaskClient, snapshot: Callable[[], Any]) -> None:
    before = snapshot()
    resp = client.put("/api/products/3", json={**NEW_PRODUCT, "name": ""})
    assert resp.status_code == 400
    assert resp.get_json()["field"] == "name"
    assert snapshot() == before
    assert client.put("/api/products/999", json=NEW_PRODUCT).status_code == 404


def test_delete_product(client: FlaskClient, row_counts: Counts) -> None:
    location = client.post("/api/products", json=NEW_PRODUCT).location
    before = row_counts()
    assert client.delete(location).status_code == 204
    after = row_counts()
    assert after["products"] == before["products"] - 1
    assert after["product_tags"] == before["product_tags"] - 2
    assert client.get(location).status_code == 404


def test_delete_ordered_product_conflicts(client: FlaskClient, row_counts: Counts) -> None:
    product_id = client.get("/api/orders/1").get_json()["items"][0]["product_id"]
    before = row_counts()
    resp = client.delete(f"/api/products/{product_id}")
    assert resp.status_code == 409
    assert row_counts() == before


def test_stock_is_a_strict_slash_rule(client: FlaskClient) -> None:
    body = client.get("/api/products/1/stock/").get_json()
    product = client.get("/api/products/1").get_json()
    assert body == {"product_id": 1, "stock": product["stock"], "in_stock": product["stock"] > 0}
    redirect = client.get("/api/products/1/stock")
    assert redirect.status_code == 308
    assert redirect.headers["Location"].endswith("/api/products/1/stock/")
    assert client.get("/api/products/999999/stock/").status_code == 404
