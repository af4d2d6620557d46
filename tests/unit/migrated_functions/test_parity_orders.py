"""Write parity of ``POST /api/orders``: same response AND same resulting database.

Each side runs on its own fresh copy of the same seeded DB (``twins``) with the
same frozen clock; after the request, every legacy table must be identical.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from legacy_app.seed import build_seed_rows
from tests.helpers.apigw import Outcome
from tests.helpers.sides import Lambda, Legacy, create_order

Twins = tuple[Legacy, Lambda]
JSON = {"Content-Type": "application/json"}

_SEEDED = build_seed_rows()["products"]
P1, P2, P3 = [p["id"] for p in _SEEDED if p["stock"] >= 10][:3]
EMPTY = next(p["id"] for p in _SEEDED if p["stock"] == 0)


def order(*lines: tuple[int, Any], user_id: Any = 7, **extra: Any) -> bytes:
    items = [{"product_id": pid, "quantity": qty} for pid, qty in lines]
    return json.dumps({"user_id": user_id, "items": items, **extra}).encode()


CASES: dict[str, tuple[dict[str, str], bytes]] = {
    "one_line": (JSON, order((P1, 2))),
    "three_lines": (JSON, order((P2, 1), (P1, 3), (P3, 1), user_id=12)),
    "charset_param": ({"Content-Type": "application/json; charset=utf-8"}, order((P1, 1))),
    "vendor_json": ({"Content-Type": "application/vnd.api+json"}, order((P1, 1))),
    "utf8_bom": (JSON, b'\xef\xbb\xbf{"user_id":1,"items":[{"product_id":3,"quantity":1}]}'),
    "short_stock_second_line": (JSON, order((P1, 1), (P2, 1000))),
    "out_of_stock_product": (JSON, order((P2, 1), (EMPTY, 1))),
    "unknown_user": (JSON, b'{"user_id":9999,"items":[{"product_id":3,"quantity":1}]}'),
    "unknown_product": (JSON, order((P1, 1), (4040, 1))),
    "repeated_product": (JSON, order((P1, 1), (P2, 1), (P1, 2))),
    "malformed_json": (JSON, b'{"user_id": 1, "items": ['),
    "empty_body": (JSON, b""),
    "not_utf8": (JSON, b'{"user_id": "\xff"}'),
    "array_body": (JSON, b"[]"),
    "missing_items": (JSON, b'{"user_id": 1}'),
    "missing_user": (JSON, b'{"items": [{"product_id": 3, "quantity": 1}]}'),
    "quantity_as_string": (JSON, b'{"user_id":1,"items":[{"product_id":3,"quantity":"2"}]}'),
    "quantity_float": (JSON, b'{"user_id":1,"items":[{"product_id":3,"quantity":2.0}]}'),
    "quantity_zero": (JSON, b'{"user_id":1,"items":[{"product_id":3,"quantity":0}]}'),
    "quantity_too_big": (JSON, b'{"user_id":1,"items":[{"product_id":3,"quantity":1001}]}'),
    "bool_user": (JSON, b'{"user_id":true,"items":[{"product_id":3,"quantity":1}]}'),
    "item_not_object": (JSON, b'{"user_id":1,"items":[3]}'),
    "empty_items": (JSON, b'{"user_id":1,"items":[]}'),
    "extra_field": (JSON, b'{"user_id":1,"items":[{"product_id":3,"quantity":1}],"coupon":"x"}'),
    "nan": (JSON, b'{"user_id":NaN,"items":[]}'),
    "text_plain": ({"Content-Type": "text/plain"}, b'{"user_id":1,"items":[]}'),
    "no_content_type": ({}, b'{"user_id":1,"items":[]}'),
    "too_many_items": (JSON, order(*[(pid, 1) for pid in range(1, 52)])),
    "user_zero": (JSON, order((P1, 1), user_id=0)),
    "user_as_string": (JSON, order((P1, 1), user_id="7")),
    "items_null": (JSON, b'{"user_id":1,"items":null}'),
    "non_ascii_extra_key": (JSON, order((P1, 1), **{"caf\u00e9": 1})),
    "overflowing_user_id": (JSON, order((P1, 1), user_id=10**30)),
    "too_large": (JSON, b'{"user_id":1,"items":[],"pad":"' + b"x" * (1024 * 1024) + b'"}'),
}


def both(
    twins: Twins, headers: dict[str, str], body: bytes, base64_body: bool = False
) -> tuple[Outcome, Outcome]:
    legacy, lam = twins
    expected = legacy.request("POST", "/api/orders", headers=headers, body=body)
    actual = lam.request(
        create_order, "/api/orders", "POST", "/api/orders", "", headers, body, base64_body
    )
    return expected, actual


@pytest.mark.parametrize("case", sorted(CASES))
def test_create_order_parity(twins: Twins, case: str) -> None:
    legacy, lam = twins
    headers, body = CASES[case]
    expected, actual = both(twins, headers, body)
    assert actual == expected
    assert lam.db.snapshot() == legacy.db.snapshot()


def test_create_order_base64_body_parity(twins: Twins) -> None:
    legacy, lam = twins
    expected, actual = both(twins, JSON, order((P1, 1), (P3, 2), user_id=3), base64_body=True)
    assert actual == expected
    assert lam.db.snapshot() == legacy.db.snapshot()


def stocks(lam: Lambda, *ids: int) -> list[int]:
    return [lam.db.sql("SELECT stock FROM products WHERE id = :i", i=i)[0][0] for i in ids]


def test_created_order_shape_and_effects(twins: Twins) -> None:
    _, lam = twins
    before = stocks(lam, P1, P2, P3)
    expected, actual = both(twins, *CASES["three_lines"])
    assert actual == expected
    assert actual.status == 201 and actual.location == "/api/orders/301"
    body = json.loads(actual.body)
    assert body["id"] == 301 and body["status"] == "placed" and body["cancelled_at"] is None
    assert [i["product_id"] for i in body["items"]] == [P2, P1, P3]
    assert body["total_cents"] == sum(i["line_total_cents"] for i in body["items"])
    assert stocks(lam, P1, P2, P3) == [before[0] - 3, before[1] - 1, before[2] - 1]


@pytest.mark.parametrize("case", ["short_stock_second_line", "out_of_stock_product"])
def test_short_stock_changes_nothing(twins: Twins, case: str) -> None:
    _, lam = twins
    before = lam.db.snapshot()
    expected, actual = both(twins, *CASES[case])
    assert actual == expected
    body = json.loads(actual.body)
    assert actual.status == 409 and body["error"] == "insufficient_stock"
    assert body["field"] == "items[1].quantity"
    assert lam.db.snapshot() == before


def test_sequence_of_orders_parity(twins: Twins) -> None:
    """Several writes in a row keep both databases identical (ids, stock, lines)."""
    legacy, lam = twins
    for case in ("one_line", "three_lines", "short_stock_second_line", "one_line", "charset_param"):
        expected, actual = both(twins, *CASES[case])
        assert actual == expected, case
    assert lam.db.snapshot() == legacy.db.snapshot()
