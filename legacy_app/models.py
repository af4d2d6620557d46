"""Database schema of the legacy service: the single source of truth for tables.

This module only declares tables (SQLAlchemy 2 typed ORM). It must not open
connections, read configuration or know about HTTP. Migrated Lambda handlers
(``migrated_functions/``) must NOT import it; they share the same database and
re-declare what they need, so this docstring is the contract.

Conventions (all tables)
------------------------
* Primary keys are ``INTEGER`` ids starting at 1.
* Money is ``INTEGER`` cents (never floats).
* Timestamps are ``TEXT`` in ISO-8601 UTC with second precision and a ``Z``
  suffix, e.g. ``2024-03-05T14:07:09Z`` (``TIMESTAMP_FORMAT``). They are stored
  exactly as they appear in JSON and sort lexicographically.

Tables
------
``users``
    id INTEGER PK, email VARCHAR(254) NOT NULL UNIQUE, name VARCHAR(100) NOT NULL,
    created_at TEXT NOT NULL
``products``
    id INTEGER PK, sku VARCHAR(32) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL,
    description TEXT NOT NULL, category VARCHAR(200) NOT NULL (a slash-separated
    path such as ``electronics/audio/headphones``), price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL, created_at TEXT NOT NULL
``product_tags``
    product_id INTEGER FK products.id (ON DELETE CASCADE), tag VARCHAR(30);
    PK (product_id, tag)
``orders``
    id INTEGER PK, user_id INTEGER NOT NULL FK users.id, status VARCHAR(16) NOT NULL
    (``placed`` | ``cancelled``), total_cents INTEGER NOT NULL,
    created_at TEXT NOT NULL, cancelled_at TEXT NULL
``order_items``
    id INTEGER PK, order_id INTEGER NOT NULL FK orders.id (ON DELETE CASCADE),
    product_id INTEGER NOT NULL FK products.id, quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL (price captured when the order was placed)
``app_meta``
    key VARCHAR(64) PK, value TEXT NOT NULL (row ``seed_version`` marks a seeded DB)
``idempotency_keys``
    key VARCHAR(255) PK, request_hash VARCHAR(64) NOT NULL, status INTEGER NOT NULL,
    headers_json TEXT NOT NULL, body TEXT NOT NULL, created_at TEXT NOT NULL: the
    stored answer of ``POST /api/orders`` under an ``Idempotency-Key``. Shared with
    the migrated ``create_order`` (which creates it when missing), so a retry
    replays whichever side placed the order first.

Ordering rules used by every reader: lists by ``id`` ascending, product tags by
``tag`` ascending, order items by ``order_items.id`` ascending.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ORDER_STATUSES",
    "TIMESTAMP_FORMAT",
    "AppMeta",
    "Base",
    "IdempotencyKey",
    "Order",
    "OrderItem",
    "Product",
    "ProductTag",
    "User",
]

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
ORDER_STATUSES = ("placed", "cancelled")


class Base(DeclarativeBase):
    """Declarative base holding the metadata of every legacy table."""


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[str] = mapped_column(Text)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(200), index=True)
    price_cents: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(Text)

    tags: Mapped[list[ProductTag]] = relationship(
        order_by="ProductTag.tag",
        cascade="all, delete-orphan",
        lazy="selectin",
        passive_deletes=True,
    )


class ProductTag(Base):
    __tablename__ = "product_tags"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)

    __table_args__ = (Index("ix_product_tags_tag", "tag"),)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    total_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(Text)
    cancelled_at: Mapped[str | None] = mapped_column(Text, nullable=True)

    items: Mapped[list[OrderItem]] = relationship(
        order_by="OrderItem.id",
        cascade="all, delete-orphan",
        lazy="selectin",
        passive_deletes=True,
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(Integer)


class AppMeta(Base):
    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    headers_json: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(Text)
