"""Lambda handlers of the products domain: ``GET /api/products``.

Same filters, ordering, pagination, bodies and 400s as the monolith's list:
``tag`` (repeatable, ANY of), ``category`` (exact or any sub-category),
``min_price``/``max_price`` (cents, inclusive), ``in_stock``, ``q`` (substring
of the name, case-insensitive), ``sort`` (``id``, ``price``, ``-price``,
``name``; ties by id), ``page``/``per_page``. Parameters are validated in the
monolith's order (page, per_page, sort, min_price, max_price, in_stock) so the
first error is the same. Reads only; this module must not import ``legacy_app``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, Select, func, or_, select

from migrated_functions._shared.db import get_engine
from migrated_functions._shared.event import Event, query_first
from migrated_functions._shared.handler import Response, run
from migrated_functions._shared.http import json_response, validation_error
from migrated_functions._shared.query import (
    PageRequest,
    bool_arg,
    int_arg,
    list_arg,
    page_envelope,
    parse_page,
)
from migrated_functions._shared.tables import product_tags, products

__all__ = ["LIST_PRODUCTS_ROUTE", "list_products"]

LIST_PRODUCTS_ROUTE = "GET /api/products"

_SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "id": (products.c.id.asc(),),
    "price": (products.c.price_cents.asc(), products.c.id.asc()),
    "-price": (products.c.price_cents.desc(), products.c.id.asc()),
    "name": (products.c.name.asc(), products.c.id.asc()),
}


def list_products(event: Event, context: Any) -> Response:
    """Lambda entry point of ``GET /api/products``."""
    return run(event, context, LIST_PRODUCTS_ROUTE, _list_products)


def _list_products(event: Event) -> Response:
    page = parse_page(event)
    stmt = _filtered_products(event)
    with get_engine().connect() as conn:
        body = _paginate(conn, stmt, page)
    return json_response(body)


def _sort_order(event: Event) -> tuple[ColumnElement[Any], ...]:
    sort = query_first(event, "sort")
    sort = "id" if sort is None else sort
    if sort not in _SORTS:
        raise validation_error("sort", f"sort: must be one of {', '.join(_SORTS)}")
    return _SORTS[sort]


def _in_category(category: str) -> ColumnElement[bool]:
    sub_category = products.c.category.startswith(category + "/", autoescape=True)
    return or_(products.c.category == category, sub_category)


def _filtered_products(event: Event) -> Select[Any]:
    """``select(products)`` with every list filter of the query string applied."""
    stmt = select(products).order_by(*_sort_order(event))
    if tags := list_arg(event, "tag"):
        tagged = select(product_tags.c.product_id).where(product_tags.c.tag.in_(tags))
        stmt = stmt.where(products.c.id.in_(tagged))
    if category := (query_first(event, "category") or "").strip("/ "):
        stmt = stmt.where(_in_category(category))
    if q := (query_first(event, "q") or "").strip():
        stmt = stmt.where(products.c.name.icontains(q, autoescape=True))
    return _price_and_stock_filters(event, stmt)


def _price_and_stock_filters(event: Event, stmt: Select[Any]) -> Select[Any]:
    if (min_price := int_arg(event, "min_price", minimum=0)) is not None:
        stmt = stmt.where(products.c.price_cents >= min_price)
    if (max_price := int_arg(event, "max_price", minimum=0)) is not None:
        stmt = stmt.where(products.c.price_cents <= max_price)
    if (in_stock := bool_arg(event, "in_stock")) is not None:
        stmt = stmt.where(products.c.stock > 0 if in_stock else products.c.stock == 0)
    return stmt


def _paginate(conn: Connection, stmt: Select[Any], page: PageRequest) -> dict[str, Any]:
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = conn.scalar(count) or 0
    rows = conn.execute(stmt.limit(page.per_page).offset(page.offset)).mappings().all()
    tags = _tags_of(conn, [row["id"] for row in rows])
    items = [product_to_json(row, tags.get(row["id"], [])) for row in rows]
    return page_envelope(items, page, total)


def _tags_of(conn: Connection, product_ids: list[int]) -> dict[int, list[str]]:
    """Tags of ``product_ids``, each list sorted ascending (as the monolith serializes)."""
    if not product_ids:
        return {}
    stmt = select(product_tags.c.product_id, product_tags.c.tag).where(
        product_tags.c.product_id.in_(product_ids)
    )
    tags: dict[int, list[str]] = {}
    for product_id, tag in conn.execute(stmt):
        tags.setdefault(product_id, []).append(tag)
    return {product_id: sorted(values) for product_id, values in tags.items()}


def product_to_json(row: RowMapping, tags: Sequence[str]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "sku": row["sku"],
        "name": row["name"],
        "description": row["description"],
        "category": row["category"],
        "price_cents": row["price_cents"],
        "stock": row["stock"],
        "tags": sorted(tags),
        "created_at": row["created_at"],
    }
