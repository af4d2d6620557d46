"""The demo's throw-away project: a manifest inventoried from ``legacy_app``, its
seeded SQLite database, and its copy of ``migrated_functions`` with one more handler
module, an injectable slowdown.

Must not start processes (see ``scenario``).
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from router.inventory import inventory_app
from router.manifest.model import Defaults, Legacy, Manifest, Thresholds
from router.manifest.store import ManifestStore
from router.routes import RouteService

__all__ = ["DELAY_ENV", "SLOW_HANDLER", "DemoProject", "copy_functions", "create_project"]

DELAY_ENV = "STRANGLER_DEMO_DELAY_MS"
SLOW_HANDLER = "migrated_functions.demo_slow.slow_list_products"

_HANDLERS = f'''"""Demo-only regression: the real handler behind a delay set by {DELAY_ENV}."""

import os
import time

from .products import list_products


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


def create_project(
    root: Path, legacy_url: str, slow_ms: int = 0, *, database_url: str | None = None
) -> DemoProject:
    """Seed the database (``database_url``, or a SQLite file in ``root``), inventory the
    monolith into a manifest, add the slow handler (its delay in the functions'
    ``environment``, as Lambda would get it)."""
    root.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{(root / 'legacy.db').as_posix()}"
    app = _monolith(database_url)
    manifest = root / "migration.yaml"
    store = ManifestStore(manifest)
    legacy = Legacy(url=legacy_url, app="legacy_app:create_app")
    # The hop to a Lambda worker costs about a millisecond on a 3 ms endpoint: judged
    # by percentage alone the equivalent handler would fail; +5 ms is what the demo's
    # operators accept (the slowed handler adds 30).
    floor = Thresholds(latency_min_increase_ms=5.0)
    defaults = Defaults(environment={DELAY_ENV: str(slow_ms)}, thresholds=floor)
    store.create(Manifest(legacy=legacy, defaults=defaults))
    service = RouteService(store, store.history, code_root=root)
    service.init(inventory_app(app), legacy)
    functions = copy_functions(root)
    (functions / "demo_slow.py").write_text(_HANDLERS, encoding="utf-8")
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    return DemoProject(root, manifest, database_url, reports)


def copy_functions(root: Path) -> Path:
    """The project's own copy of ``migrated_functions`` (code, requirements and lock):
    what ``migrate build`` and the local Lambda runtime pack for its routes."""
    found = importlib.util.find_spec("migrated_functions")  # not imported: this process
    assert found is not None and found.origin is not None  # may import the copy later
    source = Path(found.origin).parent
    target = root / "migrated_functions"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    return target


def _monolith(database_url: str) -> object:
    from legacy_app import create_app

    return create_app({"DATABASE_URL": database_url})  # creates and seeds the database
