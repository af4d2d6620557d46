"""``POST /api/orders`` under an ``Idempotency-Key``: one order per key, replays, mismatches."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import NoSuchTableError

from migrated_functions._shared import idempotency
from migrated_functions.orders import create_order, make_create_order
from tests.helpers.apigw import api_event
from tests.helpers.sides import Handler, Lambda

from .test_parity_orders import JSON, P1, P2, order

BODY = order((P1, 2), (P2, 1))


def post(
    lam: Lambda,
    body: bytes = BODY,
    key: str | None = None,
    header: str = "Idempotency-Key",
    handler: Handler = create_order,
) -> dict[str, Any]:
    headers = JSON if key is None else {**JSON, header: key}
    event = api_event("POST", "/api/orders", "/api/orders", headers=headers, body=body)
    return lam.invoke(handler, event)


def count(lam: Lambda, table: str) -> int:
    return int(lam.db.sql(f"SELECT COUNT(*) FROM {table}")[0][0])


def stock(lam: Lambda, product_id: int) -> int:
    return int(lam.db.sql("SELECT stock FROM products WHERE id = :i", i=product_id)[0][0])


def test_replay_returns_the_stored_response_and_creates_one_order(lam: Lambda) -> None:
    orders, before = count(lam, "orders"), stock(lam, P1)
    first = post(lam, key="k-1")
    second = post(lam, key="k-1")
    assert first["statusCode"] == second["statusCode"] == 201
    assert second["body"] == first["body"]
    assert second["headers"]["Location"] == first["headers"]["Location"]
    assert second["headers"]["Content-Type"] == "application/json"
    assert second["headers"]["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first["headers"]
    assert count(lam, "orders") == orders + 1 and stock(lam, P1) == before - 2


def test_header_name_is_case_insensitive(lam: Lambda) -> None:
    first = post(lam, key="k-case", header="idempotency-key")
    second = post(lam, key="k-case", header="IDEMPOTENCY-KEY")
    assert second["body"] == first["body"] and second["headers"]["Idempotent-Replayed"] == "true"


def test_same_json_differently_formatted_is_a_replay(lam: Lambda) -> None:
    first = post(lam, key="k-fmt")
    reformatted = json.dumps(json.loads(BODY), indent=2, sort_keys=True).encode()
    second = post(lam, reformatted, key="k-fmt")
    assert second["statusCode"] == 201 and second["body"] == first["body"]


def test_same_key_different_body_is_422_and_creates_nothing(lam: Lambda) -> None:
    post(lam, key="k-2")
    orders, before = count(lam, "orders"), stock(lam, P1)
    resp = post(lam, order((P1, 5)), key="k-2")
    assert resp["statusCode"] == 422
    assert json.loads(resp["body"]) == {
        "error": "idempotency_key_mismatch",
        "message": "Idempotency-Key was already used with a different request",
        "field": "Idempotency-Key",
    }
    assert count(lam, "orders") == orders and stock(lam, P1) == before


def test_different_keys_create_different_orders(lam: Lambda) -> None:
    orders = count(lam, "orders")
    a, b = post(lam, key="k-a"), post(lam, key="k-b")
    assert a["headers"]["Location"] != b["headers"]["Location"]
    assert count(lam, "orders") == orders + 2


def test_rejected_requests_are_not_stored(lam: Lambda) -> None:
    bad = post(lam, order((P1, 1000)), key="k-retry")
    assert bad["statusCode"] == 409
    invalid = post(lam, b"{", key="k-retry")
    assert invalid["statusCode"] == 400
    assert count(lam, "idempotency_keys") == 0
    assert post(lam, key="k-retry")["statusCode"] == 201


@pytest.mark.parametrize("key", ["", "   ", "a" * 256, "has space", "caf\u00e9"])
def test_malformed_key_is_400(lam: Lambda, key: str) -> None:
    orders = count(lam, "orders")
    resp = post(lam, key=key)
    assert resp["statusCode"] == 400
    assert json.loads(resp["body"])["field"] == "Idempotency-Key"
    assert count(lam, "orders") == orders


def test_concurrent_replays_create_one_order(lam: Lambda) -> None:
    orders, before = count(lam, "orders"), stock(lam, P1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: post(lam, key="k-race"), range(16)))
    assert {r["statusCode"] for r in responses} == {201}
    assert len({r["body"] for r in responses}) == 1
    assert sum("Idempotent-Replayed" not in r["headers"] for r in responses) == 1
    assert count(lam, "orders") == orders + 1 and stock(lam, P1) == before - 2


def test_concurrent_distinct_keys_never_oversell(lam: Lambda) -> None:
    available = stock(lam, P2)
    body = order((P2, 1))
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: post(lam, body, key=f"k-{i}")["statusCode"], range(40)))
    assert statuses.count(201) == min(40, available)
    assert stock(lam, P2) == max(0, available - 40)


def test_key_row_and_order_commit_together(lam: Lambda) -> None:
    """A failure while recording the key rolls the order back too (one transaction)."""
    orders, before = count(lam, "orders"), stock(lam, P1)

    def crash(*_args: Any) -> None:
        raise RuntimeError("crash between the order and the key row")

    crashing = make_create_order(keys=idempotency.KeyStore(save=crash))
    assert post(lam, key="k-crash", handler=crashing)["statusCode"] == 500
    assert count(lam, "orders") == orders and stock(lam, P1) == before
    assert post(lam, key="k-crash")["statusCode"] == 201


def _columns(lam: Lambda) -> list[str]:
    engine = create_engine(lam.db.url)
    try:
        return [column["name"] for column in inspect(engine).get_columns("idempotency_keys")]
    except NoSuchTableError:
        return []
    finally:
        engine.dispose()


def test_table_is_created_at_cold_start(lam: Lambda) -> None:
    """The monolith creates the table with its schema; a function finds it missing
    (a database the monolith created before it had the table) and creates it."""
    lam.db.sql("DROP TABLE idempotency_keys")
    assert _columns(lam) == []
    post(lam)  # the first order placed by a fresh engine (cold start) creates it
    assert _columns(lam) == ["key", "request_hash", "status", "headers_json", "body", "created_at"]


def test_primary_key_race_replays_the_winner(lam: Lambda) -> None:
    """If both lookups miss (another writer not yet visible), the key's PK decides."""
    winner = post(lam, key="k-pk")
    orders, before = count(lam, "orders"), stock(lam, P1)
    real_lookup, misses = idempotency.lookup, iter([None, None])

    def stale_lookup(conn: Any, key: str) -> Any:
        return next(misses, real_lookup(conn, key))

    stale = make_create_order(keys=idempotency.KeyStore(lookup=stale_lookup))
    loser = post(lam, key="k-pk", handler=stale)
    assert loser["body"] == winner["body"] and loser["headers"]["Idempotent-Replayed"] == "true"
    assert count(lam, "orders") == orders and stock(lam, P1) == before
