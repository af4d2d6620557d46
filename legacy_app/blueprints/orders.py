"""Orders endpoints (``/api/orders``, ``/api/users/<id>/orders``).

``POST /api/orders`` body: ``{"user_id": int, "items": [{"product_id": int,
"quantity": int}, ...]}``. Stock of every line is decremented and the order is
inserted in ONE transaction; if any line is short the whole request is a 409
``insufficient_stock`` (with ``field``, ``product_id``, ``requested``,
``available``) and nothing changes. Cancelling restores the stock. With an
``Idempotency-Key`` header the order is placed at most once per key
(``legacy_app.idempotency``); a write PostgreSQL aborts to break a deadlock is
run again (``common.retry_transient``).
List filters: ``status`` (repeatable: placed, cancelled), ``user_id``.
This module must not edit products other than through ``legacy_app.inventory``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from legacy_app.common import execute_rowcount, get_or_404, retry_transient, utc_now
from legacy_app.db import get_session
from legacy_app.errors import ApiError, conflict, validation_error
from legacy_app.idempotency import idempotency_key, request_fingerprint, run_once
from legacy_app.inventory import InsufficientStock, release_stock, reserve_stock
from legacy_app.jsonio import json_response
from legacy_app.models import ORDER_STATUSES, Order, OrderItem, Product, User
from legacy_app.pagination import paginate, parse_page
from legacy_app.queryargs import choice_list_arg, int_arg
from legacy_app.serializers import order_to_json
from legacy_app.validation import OrderCreate, parse_body

__all__ = ["bp"]

bp = Blueprint("orders", __name__, url_prefix="/api")

CREATE_ORDER_ROUTE = "POST /api/orders"  # the route part of an idempotency fingerprint


def _filtered_orders() -> Select[Any]:
    stmt = select(Order).order_by(Order.id)
    if statuses := choice_list_arg("status", ORDER_STATUSES):
        stmt = stmt.where(Order.status.in_(statuses))
    return stmt


@bp.get("/orders")
def list_orders() -> Response:
    page = parse_page()
    stmt = _filtered_orders()
    if (user_id := int_arg("user_id", minimum=1)) is not None:
        stmt = stmt.where(Order.user_id == user_id)
    return json_response(paginate(stmt, page, order_to_json))


@bp.get("/users/<int:user_id>/orders")
def list_user_orders(user_id: int) -> Response:
    get_or_404(User, user_id, "user")
    page = parse_page()
    stmt = _filtered_orders().where(Order.user_id == user_id)
    return json_response(paginate(stmt, page, order_to_json))


@bp.get("/orders/<int:order_id>")
def get_order(order_id: int) -> Response:
    return json_response(order_to_json(get_or_404(Order, order_id, "order")))


@bp.post("/orders")
def create_order() -> Response:
    """201 + Location; with an ``Idempotency-Key``, at most one order per key."""
    key = idempotency_key()
    data = parse_body(OrderCreate)
    session = get_session()
    place = partial(_place_order, session, data)
    if key is None:
        return retry_transient(session, partial(_committed, session, place))
    fingerprint = request_fingerprint(CREATE_ORDER_ROUTE, request.get_data(cache=True))
    return retry_transient(session, partial(run_once, session, key, fingerprint, place))


def _committed(session: Session, place: Callable[[], Response]) -> Response:
    response = place()
    session.commit()
    return response


def _place_order(session: Session, data: OrderCreate) -> Response:
    """Reserve the stock and add the order (flushed, not committed); its 201 response."""
    prices = _check_references(session, data)
    lines = [(line.product_id, line.quantity) for line in data.items]
    _reserve_or_409(session, lines)
    order = _new_order(data.user_id, lines, prices)
    session.add(order)
    session.flush()
    location = url_for("orders.get_order", order_id=order.id)
    return json_response(order_to_json(order), 201, {"Location": location})


@bp.post("/orders/<int:order_id>/cancel")
def cancel_order(order_id: int) -> Response:
    """Mark a placed order cancelled and restore its stock; 409 if already cancelled."""
    session = get_session()
    order = get_or_404(Order, order_id, "order")
    if not _mark_cancelled(session, order_id):
        session.rollback()
        raise conflict(f"order {order_id} is already cancelled")
    release_stock(session, order.items)
    session.commit()
    session.refresh(order)
    return json_response(order_to_json(order))


def _mark_cancelled(session: Session, order_id: int) -> bool:
    """Atomically flip ``placed`` -> ``cancelled``; False if it was not placed."""
    stmt = (
        update(Order)
        .where(Order.id == order_id, Order.status == "placed")
        .values(status="cancelled", cancelled_at=utc_now())
    )
    return execute_rowcount(session, stmt) == 1


def _check_references(session: Session, data: OrderCreate) -> dict[int, int]:
    """400 naming the field for an unknown user/product or a repeated product; prices."""
    if session.get(User, data.user_id) is None:
        raise validation_error("user_id", f"user_id: user {data.user_id} does not exist")
    ids = [line.product_id for line in data.items]
    stmt = select(Product.id, Product.price_cents).where(Product.id.in_(ids))
    prices: dict[int, int] = {pid: price for pid, price in session.execute(stmt)}
    seen: set[int] = set()
    for index, pid in enumerate(ids):
        field = f"items[{index}].product_id"
        if pid not in prices:
            raise validation_error(field, f"{field}: product {pid} does not exist")
        if pid in seen:
            raise validation_error(field, f"{field}: product {pid} appears more than once")
        seen.add(pid)
    return prices


def _reserve_or_409(session: Session, lines: list[tuple[int, int]]) -> None:
    """Reserve stock for all lines; on any shortage roll everything back and raise 409."""
    try:
        reserve_stock(session, lines)
    except InsufficientStock as exc:
        session.rollback()
        raise _stock_error(session, exc) from None


def _stock_error(session: Session, exc: InsufficientStock) -> ApiError:
    available = session.scalar(select(Product.stock).where(Product.id == exc.product_id)) or 0
    return ApiError(
        409,
        "insufficient_stock",
        f"product {exc.product_id} has {available} in stock, {exc.requested} requested",
        field=f"items[{exc.index}].quantity",
        product_id=exc.product_id,
        requested=exc.requested,
        available=available,
    )


def _new_order(user_id: int, lines: list[tuple[int, int]], prices: dict[int, int]) -> Order:
    items = [
        OrderItem(product_id=pid, quantity=qty, unit_price_cents=prices[pid]) for pid, qty in lines
    ]
    total = sum(item.quantity * item.unit_price_cents for item in items)
    return Order(
        user_id=user_id, status="placed", total_cents=total, created_at=utc_now(), items=items
    )
