"""The monolith (gunicorn, 4 workers) and a Lambda route write one PostgreSQL at once.

``POST /api/orders`` is on Lambda in ``migrate serve`` (handlers in its threads); the
same requests also go straight to the monolith. 16 client threads send, in a shuffled
order, every idempotency key twice to each side (the same body, lines in opposite
orders for half the keys) and orders without a key, whose lines name the same
products in opposite orders (the pattern that deadlocks when rows are locked in line
order). Afterwards: every answer is a 201, each key placed exactly one order that
all four answers name, every keyless order is in the database, the stock fell by
exactly the orders placed, and PostgreSQL counted no deadlock.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from legacy_app.db import make_engine
from legacy_app.seed import build_seed_rows
from router.local import child_env, start_gateway, start_legacy
from tests.e2e.conftest import write_manifest
from tests.pg import render, scratch_database

pytestmark = pytest.mark.e2e

KEYS = 24
KEYLESS_PER_SIDE = 24
PRODUCTS = sorted(build_seed_rows()["products"], key=lambda p: -p["stock"])[:3]
P1, P2, P3 = (p["id"] for p in PRODUCTS)
ROUTES = [
    {"id": "post-api-orders", "method": "POST", "path": "/api/orders", "target": "lambda",
     "function": "migrated_functions.orders.create_order",
     "reserved_concurrency": 16},  # all 16 client threads may be on this side at once
]  # fmt: skip


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(monolith URL, gateway URL, database URL); both servers must exit cleanly."""
    with scratch_database("conc") as url:
        env = {k: v for k, v in child_env().items() if not k.startswith(("AWS_", "MIGRATE_"))}
        env.update(DATABASE_URL=render(url), MIGRATE_TELEMETRY="off")
        logs = {name: tmp_path / f"{name}.log" for name in ("legacy", "gateway")}
        legacy = start_legacy(0, render(url), workers=4, cwd=tmp_path, env=env,
                              log_path=logs["legacy"])  # fmt: skip
        try:
            legacy_url = legacy.ready_url.removesuffix("/health")
            manifest = write_manifest(tmp_path, legacy_url, ROUTES)
            gateway = start_gateway(0, manifest, env, log_path=logs["gateway"])
            try:
                yield legacy_url, gateway.ready_url.removesuffix("/health"), render(url)
            finally:
                assert gateway.stop() == 0, logs["gateway"].read_text()
        finally:
            assert legacy.stop() == 0, logs["legacy"].read_text()


def body(user_id: int, reverse: bool) -> bytes:
    lines = [{"product_id": pid, "quantity": 1} for pid in (P1, P2, P3)]
    return json.dumps({"user_id": user_id, "items": lines[::-1] if reverse else lines}).encode()


def plan() -> list[tuple[str, str | None, bytes]]:
    """(side, key, body) for every request, shuffled."""
    work: list[tuple[str, str | None, bytes]] = []
    for k in range(KEYS):
        for side in ("legacy", "lambda", "legacy", "lambda"):
            work.append((side, f"conc-{k}", body(1 + k, reverse=k % 2 == 1)))
    for n in range(KEYLESS_PER_SIDE):
        for side in ("legacy", "lambda"):
            work.append((side, None, body(100 + n, reverse=(n + (side == "lambda")) % 2 == 1)))
    random.Random(15).shuffle(work)
    return work


def sql(url: str, query: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query)).all())
    finally:
        engine.dispose()


def test_monolith_and_lambda_write_the_same_tables_at_once(sides: tuple[str, str, str]) -> None:
    legacy, gateway, database = sides
    stock_before = {r[0]: r[1] for r in sql(database, "SELECT id, stock FROM products")}
    deadlocks_before = sql(database, "SELECT deadlocks FROM pg_stat_database "
                                     "WHERE datname = current_database()")[0][0]  # fmt: skip
    base = {"legacy": legacy, "lambda": gateway}

    def send(item: tuple[str, str | None, bytes]) -> tuple[str, str | None, httpx.Response]:
        side, key, payload = item
        headers = {"Content-Type": "application/json"} | ({"Idempotency-Key": key} if key else {})
        resp = httpx.post(base[side] + "/api/orders", content=payload, headers=headers, timeout=60)
        return side, key, resp

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(send, plan()))

    bad = [
        (side, key, r.status_code, r.text[:200]) for side, key, r in results if r.status_code != 201
    ]
    assert bad == []
    assert {r.headers.get("x-migrate-target") for s, _, r in results if s == "lambda"} == {"lambda"}
    by_key: dict[str, list[httpx.Response]] = {}
    for _, key, resp in results:
        if key is not None:
            by_key.setdefault(key, []).append(resp)
    for key, answers in by_key.items():
        assert len({a.json()["id"] for a in answers}) == 1, key  # one order per key
        assert sum("idempotent-replayed" not in a.headers for a in answers) == 1, key
    keyless = [r.json()["id"] for _, key, r in results if key is None]
    placed = {a[0].json()["id"] for a in by_key.values()} | set(keyless)
    assert len(placed) == KEYS + 2 * KEYLESS_PER_SIDE  # no id given twice
    new_orders = {r[0] for r in sql(database, "SELECT id FROM orders WHERE id > 300")}
    assert new_orders == placed  # no lost write, no order nobody was told about
    items = sql(database, "SELECT order_id, COUNT(*) FROM order_items WHERE order_id > 300 "
                          "GROUP BY order_id")  # fmt: skip
    assert {count for _, count in items} == {3} and len(items) == len(placed)
    stock_after = {r[0]: r[1] for r in sql(database, "SELECT id, stock FROM products")}
    for pid in (P1, P2, P3):
        assert stock_before[pid] - stock_after[pid] == len(placed)
    stored = sql(database, "SELECT key, body FROM idempotency_keys")
    assert {k: json.loads(b)["id"] for k, b in stored} == {
        k: a[0].json()["id"] for k, a in by_key.items()
    }
    deadlocks = sql(database, "SELECT deadlocks FROM pg_stat_database "
                              "WHERE datname = current_database()")[0][0]  # fmt: skip
    assert deadlocks == deadlocks_before
