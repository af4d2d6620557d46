"""Deterministic demo data: 200 users, 100 products (with tags), 300 orders.

Everything derives from ``random.Random(SEED)``: the same code always writes the
same rows, ids included. This module only inserts rows into an open session; it
must not commit, create tables or decide *whether* to seed (see ``db``).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from legacy_app.models import TIMESTAMP_FORMAT, Order, OrderItem, Product, ProductTag, User

__all__ = [
    "N_ORDERS",
    "N_PRODUCTS",
    "N_USERS",
    "SEED",
    "SEED_VERSION",
    "build_seed_rows",
    "seed_database",
]

SEED = 42
SEED_VERSION = "1"  # bump when the generated data set changes
N_USERS = 200
N_PRODUCTS = 100
N_ORDERS = 300

_FIRST = ["Ada", "Alan", "Barbara", "Claude", "Donald", "Edsger", "Frances", "Grace", "Guido",
          "Hedy", "Ivan", "John", "Ken", "Linus", "Margaret", "Niklaus", "Radia", "Sophie",
          "Tim", "Yukihiro"]  # fmt: skip
_LAST = ["Lovelace", "Turing", "Liskov", "Shannon", "Knuth", "Dijkstra", "Allen", "Hopper",
         "Rossum", "Lamarr", "Sutherland", "McCarthy", "Thompson", "Torvalds", "Hamilton",
         "Wirth", "Perlman", "Wilson", "Berners-Lee", "Matsumoto"]  # fmt: skip
_CATEGORIES = {
    "electronics/audio/headphones": ("ELA", ["Headphones", "Earbuds", "Headset"]),
    "electronics/audio/speakers": ("ELS", ["Speaker", "Soundbar", "Subwoofer"]),
    "electronics/computers/laptops": ("ELC", ["Laptop", "Notebook", "Ultrabook"]),
    "electronics/computers/accessories": ("ELX", ["Mouse", "Keyboard", "USB Hub", "Webcam"]),
    "home/kitchen": ("HKT", ["Kettle", "Toaster", "Blender", "Pan"]),
    "home/furniture": ("HFN", ["Chair", "Desk", "Shelf", "Lamp"]),
    "garden/tools": ("GDT", ["Shovel", "Rake", "Pruner", "Hose"]),
    "books/fiction": ("BKF", ["Novel", "Short Stories", "Anthology"]),
    "books/non-fiction": ("BKN", ["Cookbook", "Biography", "Field Guide"]),
    "sports/outdoor": ("SPO", ["Tent", "Backpack", "Sleeping Bag"]),
    "sports/fitness": ("SPF", ["Yoga Mat", "Kettlebell", "Jump Rope"]),
    "toys": ("TOY", ["Puzzle", "Building Set", "Kite"]),
}
_ADJECTIVES = ["Classic", "Compact", "Deluxe", "Eco", "Pro", "Smart", "Ultra", "Vintage"]
_TAGS = ["bestseller", "clearance", "eco", "gift", "limited", "new", "premium", "sale"]
_USERS_EPOCH = datetime(2023, 1, 1, tzinfo=UTC)
_ORDERS_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_YEAR_S = 365 * 24 * 3600

Rows = list[dict[str, Any]]


def seed_database(session: Session) -> None:
    """Insert the deterministic data set into ``session`` (caller commits)."""
    rows = build_seed_rows()
    for model in (User, Product, ProductTag, Order, OrderItem):
        table_rows = rows[model.__tablename__]
        if table_rows:
            session.execute(insert(model), table_rows)


def build_seed_rows() -> dict[str, Rows]:
    """All seed rows keyed by table name, generated from ``random.Random(SEED)``."""
    rng = random.Random(SEED)
    users = _users(rng)
    products, tags = _products(rng)
    orders, items = _orders(rng, products)
    return {
        "users": users,
        "products": products,
        "product_tags": tags,
        "orders": orders,
        "order_items": items,
    }


def _stamp(epoch: datetime, seconds: int) -> str:
    return (epoch + timedelta(seconds=seconds)).strftime(TIMESTAMP_FORMAT)


def _sorted_offsets(rng: random.Random, count: int) -> list[int]:
    return sorted(rng.randrange(_YEAR_S) for _ in range(count))


def _users(rng: random.Random) -> Rows:
    offsets = _sorted_offsets(rng, N_USERS)
    rows: Rows = []
    for user_id, offset in enumerate(offsets, start=1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}.{user_id}@example.com".lower()
        created_at = _stamp(_USERS_EPOCH, offset)
        row = {"id": user_id, "email": email, "name": f"{first} {last}", "created_at": created_at}
        rows.append(row)
    return rows


def _products(rng: random.Random) -> tuple[Rows, Rows]:
    offsets = _sorted_offsets(rng, N_PRODUCTS)
    categories = sorted(_CATEGORIES)
    products: Rows = []
    tags: Rows = []
    for product_id, offset in enumerate(offsets, start=1):
        category = rng.choice(categories)
        products.append(_product_row(rng, product_id, category, _stamp(_USERS_EPOCH, offset)))
        for tag in sorted(rng.sample(_TAGS, rng.randint(0, 3))):
            tags.append({"product_id": product_id, "tag": tag})
    return products, tags


def _product_row(
    rng: random.Random, product_id: int, category: str, created_at: str
) -> dict[str, Any]:
    prefix, nouns = _CATEGORIES[category]
    adjective, noun = rng.choice(_ADJECTIVES), rng.choice(nouns)
    stock = 0 if rng.random() < 0.1 else rng.randint(1, 200)
    return {
        "id": product_id,
        "sku": f"{prefix}-{product_id:04d}",
        "name": f"{adjective} {noun}",
        "description": f"{adjective} {noun.lower()} from our {category} range.",
        "category": category,
        "price_cents": rng.randint(2, 500) * 100 - 1,
        "stock": stock,
        "created_at": created_at,
    }


def _orders(rng: random.Random, products: Rows) -> tuple[Rows, Rows]:
    prices = {p["id"]: p["price_cents"] for p in products}
    orders: Rows = []
    items: Rows = []
    for order_id, offset in enumerate(_sorted_offsets(rng, N_ORDERS), start=1):
        lines = _order_lines(rng, order_id, prices, first_item_id=len(items) + 1)
        items.extend(lines)
        orders.append(_order_row(rng, order_id, offset, lines))
    return orders, items


def _order_lines(
    rng: random.Random, order_id: int, prices: dict[int, int], first_item_id: int
) -> Rows:
    product_ids = rng.sample(sorted(prices), rng.randint(1, 4))
    return [
        {
            "id": first_item_id + index,
            "order_id": order_id,
            "product_id": product_id,
            "quantity": rng.randint(1, 3),
            "unit_price_cents": prices[product_id],
        }
        for index, product_id in enumerate(product_ids)
    ]


def _order_row(rng: random.Random, order_id: int, offset: int, lines: Rows) -> dict[str, Any]:
    cancelled = rng.random() < 0.1
    cancelled_at = (
        _stamp(_ORDERS_EPOCH, offset + rng.randint(600, 3 * 86400)) if cancelled else None
    )
    return {
        "id": order_id,
        "user_id": rng.randint(1, N_USERS),
        "status": "cancelled" if cancelled else "placed",
        "total_cents": sum(line["quantity"] * line["unit_price_cents"] for line in lines),
        "created_at": _stamp(_ORDERS_EPOCH, offset),
        "cancelled_at": cancelled_at,
    }
