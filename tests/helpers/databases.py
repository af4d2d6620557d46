"""The monolith's SQLite databases in tests: their URL and the tables they hold.

Shared by the legacy_app and migrated_functions tests. This module must not create
or seed a database (the fixtures do, through ``legacy_app``'s own code).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["TABLES", "sqlite_url"]

TABLES = ("users", "products", "product_tags", "orders", "order_items", "app_meta")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.as_posix()}"
