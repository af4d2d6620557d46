"""Stock reservation and release used by order placement and cancellation.

Each decrement is one conditional ``UPDATE ... WHERE stock >= :quantity`` so
concurrent workers can never oversell. Rows are updated in product id order, the
order the migrated functions use too, so two orders (or an order and a
cancellation) naming the same products in different orders never deadlock.
Functions run inside the caller's transaction and must not commit or roll back;
the caller decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from legacy_app.common import execute_rowcount
from legacy_app.models import OrderItem, Product

__all__ = ["InsufficientStock", "release_stock", "reserve_stock"]


@dataclass(frozen=True, slots=True)
class InsufficientStock(Exception):
    """Line ``index`` asked for more of ``product_id`` than is in stock."""

    index: int
    product_id: int
    requested: int


def reserve_stock(session: Session, lines: Iterable[tuple[int, int]]) -> None:
    """Decrement stock for ``(product_id, quantity)`` lines (distinct products), or raise
    InsufficientStock for the first short line in line order."""
    short: list[InsufficientStock] = []
    for index, (product_id, quantity) in sorted(enumerate(lines), key=lambda line: line[1][0]):
        stmt = (
            update(Product)
            .where(Product.id == product_id, Product.stock >= quantity)
            .values(stock=Product.stock - quantity)
        )
        if execute_rowcount(session, stmt) != 1:
            short.append(InsufficientStock(index, product_id, quantity))
    if short:
        raise min(short, key=lambda error: error.index)


def release_stock(session: Session, items: Iterable[OrderItem]) -> None:
    """Give back the stock held by ``items`` (order cancellation)."""
    for item in sorted(items, key=lambda item: item.product_id):
        stmt = (
            update(Product)
            .where(Product.id == item.product_id)
            .values(stock=Product.stock + item.quantity)
        )
        execute_rowcount(session, stmt)
