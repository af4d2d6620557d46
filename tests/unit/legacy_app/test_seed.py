"""Schema creation and the deterministic seed."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from legacy_app.db import init_database, make_engine
from legacy_app.seed import N_ORDERS, N_PRODUCTS, N_USERS, build_seed_rows
from tests.helpers.databases import TABLES, sqlite_url


def dump(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as conn:
        return {
            t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]
            for t in TABLES
            if t != "app_meta"
        }


def fresh(path: Path) -> Engine:
    engine = make_engine(sqlite_url(path))
    assert init_database(engine) is True
    return engine


def test_seed_is_deterministic(tmp_path: Path) -> None:
    first, second = fresh(tmp_path / "a" / "one.db"), fresh(tmp_path / "b" / "two.db")
    try:
        assert dump(first) == dump(second)
    finally:
        first.dispose()
        second.dispose()
    assert build_seed_rows() == build_seed_rows()


def test_seed_sizes_and_consistency(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "legacy.db")
    rows = dump(engine)
    engine.dispose()
    assert (len(rows["users"]), len(rows["products"]), len(rows["orders"])) == (
        N_USERS, N_PRODUCTS, N_ORDERS)  # fmt: skip
    assert len(rows["product_tags"]) > 50 and len(rows["order_items"]) >= N_ORDERS
    seed = build_seed_rows()
    for order in seed["orders"]:
        lines = [i for i in seed["order_items"] if i["order_id"] == order["id"]]
        assert order["total_cents"] == sum(i["quantity"] * i["unit_price_cents"] for i in lines)


def test_init_is_idempotent(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "legacy.db")
    before = dump(engine)
    assert init_database(engine) is False
    assert dump(engine) == before
    engine.dispose()


def test_schema_tables(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "legacy.db")
    assert set(inspect(engine).get_table_names()) == {*TABLES, "idempotency_keys"}
    engine.dispose()


def test_no_seed_when_data_exists(tmp_path: Path) -> None:
    engine = fresh(tmp_path / "legacy.db")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM app_meta"))
    assert init_database(engine) is False
    assert dump(engine)["users"][0][0] == 1
    engine.dispose()


def test_concurrent_initialisation_seeds_once(tmp_path: Path) -> None:
    path = tmp_path / "race.db"
    engines = [make_engine(sqlite_url(path)) for _ in range(4)]
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda e=e: results.append(init_database(e))) for e in engines
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    assert len(dump(engines[0])["users"]) == N_USERS
    for engine in engines:
        engine.dispose()
