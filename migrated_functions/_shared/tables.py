"""The legacy tables the migrated functions read and write, re-declared (SQLAlchemy Core).

The monolith owns the schema (its ``models`` docstring is the contract); these
declarations only name the columns used here so statements compile. This module
must never be used to create or alter those tables (no ``create_all``) and must
not open connections.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

__all__ = ["LEGACY_METADATA", "order_items", "orders", "product_tags", "products", "users"]

LEGACY_METADATA = MetaData()

users = Table(
    "users",
    LEGACY_METADATA,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", Text, nullable=False),
)

products = Table(
    "products",
    LEGACY_METADATA,
    Column("id", Integer, primary_key=True),
    Column("sku", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(200), nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
)

product_tags = Table(
    "product_tags",
    LEGACY_METADATA,
    Column("product_id", Integer, primary_key=True),
    Column("tag", String(30), primary_key=True),
)

orders = Table(
    "orders",
    LEGACY_METADATA,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("total_cents", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("cancelled_at", Text, nullable=True),
)

order_items = Table(
    "order_items",
    LEGACY_METADATA,
    Column("id", Integer, primary_key=True),
    Column("order_id", Integer, nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
)
