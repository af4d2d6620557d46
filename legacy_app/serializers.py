"""ORM rows -> JSON-ready dicts with an explicit, documented key order.

User::

    {"id": 1, "email": "ada.lovelace.1@example.com", "name": "Ada Lovelace",
     "created_at": "2023-01-02T03:04:05Z"}

Product (``tags`` sorted ascending)::

    {"id": 1, "sku": "ELA-0001", "name": "Pro Headphones", "description": "...",
     "category": "electronics/audio/headphones", "price_cents": 4999, "stock": 12,
     "tags": ["new", "sale"], "created_at": "2023-01-02T03:04:05Z"}

Order (``items`` by line id; ``cancelled_at`` is null unless cancelled)::

    {"id": 1, "user_id": 7, "status": "placed", "total_cents": 9998,
     "created_at": "2024-01-01T00:00:00Z", "cancelled_at": null,
     "items": [{"product_id": 3, "quantity": 2, "unit_price_cents": 4999,
                "line_total_cents": 9998}]}

This module must not query the database or read the request.
"""

from __future__ import annotations

from typing import Any

from legacy_app.models import Order, OrderItem, Product, User

__all__ = ["order_item_to_json", "order_to_json", "product_to_json", "user_to_json"]


def user_to_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at,
    }


def product_to_json(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "price_cents": product.price_cents,
        "stock": product.stock,
        "tags": sorted(t.tag for t in product.tags),
        "created_at": product.created_at,
    }


def order_item_to_json(item: OrderItem) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "quantity": item.quantity,
        "unit_price_cents": item.unit_price_cents,
        "line_total_cents": item.quantity * item.unit_price_cents,
    }


def order_to_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "total_cents": order.total_cents,
        "created_at": order.created_at,
        "cancelled_at": order.cancelled_at,
        "items": [order_item_to_json(i) for i in sorted(order.items, key=lambda i: i.id)],
    }
