"""Lambda handlers of the orders domain: ``POST /api/orders``, ``GET /api/orders/{order_id}``.

``create_order`` mirrors the monolith: the body is validated with the same strict
schema (400 naming the field, e.g. ``items[0].quantity``), unknown user/products
and repeated products are 400s, then every line's stock is decremented with a
conditional UPDATE and the order is inserted in ONE transaction; a short line is
a 409 ``insufficient_stock`` and nothing changes; success is 201 + ``Location``.
With an ``Idempotency-Key`` header the write runs through
``_shared.idempotency.run_once`` (stored response, replay, 422 on a different
body); without it the behaviour is exactly the monolith's (which honours the key
with the same table and fingerprint). Stock rows are updated in product id order
and a write PostgreSQL aborts to break a deadlock is run again
(``_shared.db.retry_transient``). ``make_create_order`` builds the handler over a
clock and a key store (tests pass frozen or failing ones); ``create_order`` is the
one Lambda runs. This module must not
import ``legacy_app`` nor touch products other than their stock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Connection, Engine, RowMapping, bindparam, insert, select, update

from migrated_functions._shared import idempotency
from migrated_functions._shared.db import get_engine, retry_transient, write_transaction
from migrated_functions._shared.event import Event, body_bytes, int_path_param, read_json
from migrated_functions._shared.handler import Response, run
from migrated_functions._shared.http import ApiError, json_response, not_found, validation_error
from migrated_functions._shared.tables import order_items, orders, products, users

__all__ = [
    "CREATE_ORDER_ROUTE",
    "GET_ORDER_ROUTE",
    "create_order",
    "get_order",
    "make_create_order",
]

CREATE_ORDER_ROUTE = "POST /api/orders"
GET_ORDER_ROUTE = "GET /api/orders/{order_id}"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Line = tuple[int, int]  # (product_id, quantity)
Handler = Callable[[Event, Any], Response]


# Same names and constraints as the monolith's schema: pydantic puts the class
# names in some messages ("... instance of OrderLineIn").
class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class OrderLineIn(_Strict):
    product_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=1000)


class OrderCreate(_Strict):
    user_id: int = Field(ge=1)
    items: list[OrderLineIn] = Field(min_length=1, max_length=50)


class InsufficientStock(Exception):
    """Line ``index`` asked for more of ``product_id`` than is in stock."""

    def __init__(self, index: int, product_id: int, requested: int) -> None:
        super().__init__(index, product_id, requested)
        self.index = index
        self.product_id = product_id
        self.requested = requested


def utc_now() -> str:
    """The current time in the stored/JSON format, e.g. ``2024-03-05T14:07:09Z``."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def make_create_order(
    clock: Callable[[], str] = utc_now, keys: idempotency.KeyStore = idempotency.KEYS
) -> Handler:
    """The ``POST /api/orders`` handler stamping orders with ``clock()``, keys in ``keys``."""

    def create_order(event: Event, context: Any) -> Response:
        """Lambda entry point of ``POST /api/orders``."""
        view = partial(_create_order, clock=clock, keys=keys)
        return run(event, context, CREATE_ORDER_ROUTE, view)

    return create_order


create_order = make_create_order()


def get_order(event: Event, context: Any) -> Response:
    """Lambda entry point of ``GET /api/orders/{order_id}``."""
    return run(event, context, GET_ORDER_ROUTE, _get_order)


def _create_order(event: Event, clock: Callable[[], str], keys: idempotency.KeyStore) -> Response:
    key = idempotency.idempotency_key(event)
    data = parse_order(event)
    engine = _orders_engine()
    work = partial(_place_order, data=data, created_at=clock())
    try:
        if key is None:
            return retry_transient(partial(_in_transaction, engine, work))
        fingerprint = idempotency.request_fingerprint(CREATE_ORDER_ROUTE, body_bytes(event))
        once = partial(idempotency.run_once, engine, key, fingerprint, work, keys)
        return retry_transient(once)
    except InsufficientStock as exc:  # raised inside the transaction: already rolled back
        raise _stock_error(engine, exc) from None


def _in_transaction(engine: Engine, work: Callable[[Connection], Response]) -> Response:
    with write_transaction(engine) as conn:
        return work(conn)


def _orders_engine() -> Engine:
    engine = get_engine()
    idempotency.ensure_table(engine)
    return engine


def parse_order(event: Event) -> OrderCreate:
    """The validated body, or the monolith's 415/413/400 (first violation, field named)."""
    data = read_json(event)
    try:
        return OrderCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = field_path(first["loc"])
        raise validation_error(field, f"{field}: {first['msg']}") from None


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("items", 0, "quantity")`` -> ``"items[0].quantity"``; ``()`` -> ``"body"``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _place_order(conn: Connection, data: OrderCreate, created_at: str) -> Response:
    prices = _check_references(conn, data)
    lines = [(line.product_id, line.quantity) for line in data.items]
    _reserve_stock(conn, lines)
    body = _insert_order(conn, data.user_id, lines, prices, created_at)
    return json_response(body, 201, {"Location": f"/api/orders/{body['id']}"})


def _check_references(conn: Connection, data: OrderCreate) -> dict[int, int]:
    """400 naming the field for an unknown user/product or a repeated product; prices."""
    if conn.scalar(select(users.c.id).where(users.c.id == data.user_id)) is None:
        raise validation_error("user_id", f"user_id: user {data.user_id} does not exist")
    ids = [line.product_id for line in data.items]
    stmt = select(products.c.id, products.c.price_cents).where(products.c.id.in_(ids))
    prices: dict[int, int] = {pid: price for pid, price in conn.execute(stmt)}
    _check_products(ids, prices)
    return prices


def _check_products(ids: Sequence[int], prices: dict[int, int]) -> None:
    """The first unknown or repeated product, in line order, is a 400 naming its line."""
    seen: set[int] = set()
    for index, pid in enumerate(ids):
        field = f"items[{index}].product_id"
        if pid not in prices:
            raise validation_error(field, f"{field}: product {pid} does not exist")
        if pid in seen:
            raise validation_error(field, f"{field}: product {pid} appears more than once")
        seen.add(pid)


def _reserve_stock(conn: Connection, lines: Sequence[Line]) -> None:
    """One conditional decrement per line (never oversells), in product id order like the
    monolith (so concurrent orders never deadlock); raise for the first short line."""
    short = [
        InsufficientStock(index, product_id, quantity)
        for index, (product_id, quantity) in sorted(enumerate(lines), key=lambda x: x[1][0])
        if not _decrement(conn, product_id, quantity)
    ]
    if short:
        raise min(short, key=lambda error: error.index)


def _decrement(conn: Connection, product_id: int, quantity: int) -> bool:
    stmt = (
        update(products)
        .where(products.c.id == product_id, products.c.stock >= quantity)
        .values(stock=products.c.stock - quantity)
    )
    return bool(conn.execute(stmt).rowcount == 1)


def _insert_order(
    conn: Connection,
    user_id: int,
    lines: Sequence[Line],
    prices: dict[int, int],
    created_at: str,
) -> dict[str, Any]:
    """Insert the order and its lines (in line order); its JSON body."""
    total = sum(quantity * prices[pid] for pid, quantity in lines)
    order = {"user_id": user_id, "status": "placed", "total_cents": total}
    order |= {"created_at": created_at, "cancelled_at": None}
    inserted = conn.execute(insert(orders).values(**order)).inserted_primary_key
    assert inserted is not None
    order_id = int(inserted[0])
    items = [
        {"order_id": order_id, "product_id": pid, "quantity": qty, "unit_price_cents": prices[pid]}
        for pid, qty in lines
    ]
    conn.execute(insert(order_items), items)
    return order_to_json({"id": order_id, **order}, items)


def _stock_error(engine: Engine, exc: InsufficientStock) -> ApiError:
    with engine.connect() as conn:
        stmt = select(products.c.stock).where(products.c.id == exc.product_id)
        available = conn.scalar(stmt) or 0
    return ApiError(
        409,
        "insufficient_stock",
        f"product {exc.product_id} has {available} in stock, {exc.requested} requested",
        field=f"items[{exc.index}].quantity",
        product_id=exc.product_id,
        requested=exc.requested,
        available=available,
    )


# Built once (see ``users``): executing a statement object again skips building and keying it.
_ORDER_BY_ID = select(orders).where(orders.c.id == bindparam("order_id"))
_ITEMS_OF_ORDER = (
    select(order_items)
    .where(order_items.c.order_id == bindparam("order_id"))
    .order_by(order_items.c.id)
)


def _get_order(event: Event) -> Response:
    order_id = int_path_param(event, "order_id")
    params = {"order_id": order_id}
    with get_engine().connect() as conn:
        order = conn.execute(_ORDER_BY_ID, params).mappings().first()
        if order is None:
            raise not_found("order", order_id)
        items = conn.execute(_ITEMS_OF_ORDER, params).mappings().all()
    return json_response(order_to_json(order, items))


def order_to_json(
    order: RowMapping | dict[str, Any], items: Sequence[RowMapping | dict[str, Any]]
) -> dict[str, Any]:
    """The monolith's order shape; ``items`` must already be in line-id order."""
    return {
        "id": order["id"],
        "user_id": order["user_id"],
        "status": order["status"],
        "total_cents": order["total_cents"],
        "created_at": order["created_at"],
        "cancelled_at": order["cancelled_at"],
        "items": [
            {
                "product_id": item["product_id"],
                "quantity": item["quantity"],
                "unit_price_cents": item["unit_price_cents"],
                "line_total_cents": item["quantity"] * item["unit_price_cents"],
            }
            for item in items
        ],
    }
