"""The demo's throw-away project: a manifest inventoried from ``legacy_app``, its
seeded SQLite database and a handler module with an injectable slowdown.

Must not start processes (see ``scenario``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router.inventory import inventory_app
from router.manifest.model import Legacy, Manifest
from router.manifest.store import ManifestStore
from router.routes import RouteService

__all__ = ["DELAY_ENV", "SLOW_HANDLER", "DemoProject", "create_project"]

DELAY_ENV = "STRANGLER_DEMO_DELAY_MS"
SLOW_HANDLER = "demo_handlers.slow_list_products"

_HANDLERS = f'''"""Demo-only regression: the real handler behind a delay set by {DELAY_ENV}."""

import os
import time

from migrated_functions.products import list_products


def slow_list_products(event, context):
    time.sleep(float(os.environ.get("{DELAY_ENV}", "0")) / 1000)
    return list_products(event, context)
'''


@dataclass(frozen=True)
class DemoProject:
    root: Path
    manifest: Path
    database_url: str
    reports: Path


def create_project(root: Path, legacy_url: str, database_url: str | None = None) -> DemoProject:
    """Seed the database (``database_url``, or a SQLite file in ``root``), inventory the
    monolith into a manifest, add the slow handler."""
    root.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{(root / 'legacy.db').as_posix()}"
    app = _monolith(database_url)
    manifest = root / "migration.yaml"
    store = ManifestStore(manifest)
    legacy = Legacy(url=legacy_url, app="legacy_app:create_app")
    store.create(Manifest(legacy=legacy))
    service = RouteService(store, store.history, code_root=root)
    service.init(inventory_app(app), legacy)
    (root / "demo_handlers.py").write_text(_HANDLERS, encoding="utf-8")
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    return DemoProject(root, manifest, database_url, reports)


def _monolith(database_url: str) -> object:
    from legacy_app import create_app

    return create_app({"DATABASE_URL": database_url})  # creates and seeds the database
