"""Products and categories endpoints (``/api/products``, ``/api/categories``).

List filters (query string, all optional, combined with AND):
``tag`` (repeatable; a product matches if it has ANY of the tags),
``category`` (exact category or any sub-category), ``min_price`` / ``max_price``
(cents, inclusive), ``in_stock`` (true/false), ``q`` (substring of the name),
``sort`` (``id`` default, ``price``, ``-price``, ``name``; ties by id).
Shapes: see ``legacy_app.serializers``. This module must not create orders;
stock only changes here through PUT (orders use ``legacy_app.inventory``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy import ColumnElement, Select, func, or_, select

from legacy_app.common import commit_or_conflict, get_or_404, no_content, utc_now
from legacy_app.db import get_session
from legacy_app.errors import conflict, not_found, validation_error
from legacy_app.jsonio import json_response
from legacy_app.models import OrderItem, Product, ProductTag
from legacy_app.pagination import paginate, parse_page
from legacy_app.queryargs import bool_arg, int_arg, list_arg
from legacy_app.serializers import product_to_json
from legacy_app.validation import ProductIn, parse_body

__all__ = ["bp"]

bp = Blueprint("products", __name__, url_prefix="/api")

_SKU_TAKEN = "sku already exists"
_SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "id": (Product.id.asc(),),
    "price": (Product.price_cents.asc(), Product.id.asc()),
    "-price": (Product.price_cents.desc(), Product.id.asc()),
    "name": (Product.name.asc(), Product.id.asc()),
}


def _in_category(category: str) -> ColumnElement[bool]:
    sub_category = Product.category.startswith(category + "/", autoescape=True)
    return or_(Product.category == category, sub_category)


def _sort_order() -> tuple[ColumnElement[Any], ...]:
    sort = request.args.get("sort", "id")
    if sort not in _SORTS:
        raise validation_error("sort", f"sort: must be one of {', '.join(_SORTS)}")
    return _SORTS[sort]


def _filtered_products() -> Select[Any]:
    """``select(Product)`` with every list filter of the query string applied."""
    stmt = select(Product).order_by(*_sort_order())
    if tags := list_arg("tag"):
        tagged = select(ProductTag.product_id).where(ProductTag.tag.in_(tags))
        stmt = stmt.where(Product.id.in_(tagged))
    if category := request.args.get("category", "").strip("/ "):
        stmt = stmt.where(_in_category(category))
    if q := request.args.get("q", "").strip():
        stmt = stmt.where(Product.name.icontains(q, autoescape=True))
    return _price_and_stock_filters(stmt)


def _price_and_stock_filters(stmt: Select[Any]) -> Select[Any]:
    if (min_price := int_arg("min_price", minimum=0)) is not None:
        stmt = stmt.where(Product.price_cents >= min_price)
    if (max_price := int_arg("max_price", minimum=0)) is not None:
        stmt = stmt.where(Product.price_cents <= max_price)
    if (in_stock := bool_arg("in_stock")) is not None:
        stmt = stmt.where(Product.stock > 0 if in_stock else Product.stock == 0)
    return stmt


@bp.get("/products")
def list_products() -> Response:
    page = parse_page()
    return json_response(paginate(_filtered_products(), page, product_to_json))


@bp.get("/products/by-category/<path:category>")
def list_products_by_category(category: str) -> Response:
    """Products in ``category`` (a path like ``electronics/audio``) and below; 404 if empty."""
    page = parse_page()
    category = category.strip("/")
    exists = select(Product.id).where(_in_category(category)).limit(1)
    if get_session().scalar(exists) is None:
        raise not_found("category", category)
    stmt = _filtered_products().where(_in_category(category))
    return json_response(paginate(stmt, page, product_to_json))


@bp.get("/categories")
def list_categories() -> Response:
    """``{"items": [{"category": str, "product_count": int}, ...]}`` by category."""
    stmt = select(Product.category, func.count(Product.id)).group_by(Product.category)
    rows = get_session().execute(stmt.order_by(Product.category)).all()
    items = [{"category": category, "product_count": count} for category, count in rows]
    return json_response({"items": items})


@bp.post("/products")
def create_product() -> Response:
    data = parse_body(ProductIn)
    session = get_session()
    product = Product(created_at=utc_now())
    _apply(product, data)
    session.add(product)
    commit_or_conflict(session, _SKU_TAKEN, "sku")
    location = url_for("products.get_product", product_id=product.id)
    return json_response(product_to_json(product), 201, {"Location": location})


@bp.get("/products/<int:product_id>")
def get_product(product_id: int) -> Response:
    return json_response(product_to_json(get_or_404(Product, product_id, "product")))


@bp.get("/products/<int:product_id>/stock/")
def get_stock(product_id: int) -> Response:
    """``{"product_id": int, "stock": int, "in_stock": bool}``.

    A strict-slash rule, as many Flask apps have: ``/stock`` (no slash) answers 308
    with a Location on this app's own address.
    """
    product = get_or_404(Product, product_id, "product")
    body = {"product_id": product.id, "stock": product.stock, "in_stock": product.stock > 0}
    return json_response(body)


@bp.put("/products/<int:product_id>")
def replace_product(product_id: int) -> Response:
    """Full replacement (same body as POST); ``id`` and ``created_at`` are kept."""
    product = get_or_404(Product, product_id, "product")
    _apply(product, parse_body(ProductIn))
    commit_or_conflict(get_session(), _SKU_TAKEN, "sku")
    return json_response(product_to_json(product))


@bp.delete("/products/<int:product_id>")
def delete_product(product_id: int) -> Response:
    """204; 409 when an order references the product."""
    session = get_session()
    product = get_or_404(Product, product_id, "product")
    used = select(OrderItem.id).where(OrderItem.product_id == product_id).limit(1)
    if session.scalar(used) is not None:
        raise conflict(f"product {product_id} is referenced by orders and cannot be deleted")
    session.delete(product)
    session.commit()
    return no_content()


def _apply(product: Product, data: ProductIn) -> None:
    for field in ("sku", "name", "description", "category", "price_cents", "stock"):
        setattr(product, field, getattr(data, field))
    current = {t.tag: t for t in product.tags}
    product.tags = [current.get(tag) or ProductTag(tag=tag) for tag in data.tags]
