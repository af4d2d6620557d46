"""The legacy Flask monolith that the strangler toolkit migrates endpoint by endpoint.

``create_app(config)`` builds the app: JSON-only responses (``jsonio``,
``errors``), one blueprint per domain (``blueprints``), SQLAlchemy persistence
(``models``, ``db``) on ``DATABASE_URL`` (default SQLite ``./var/legacy.db``),
created and seeded on first start. ``LEGACY_DELAY_MS`` adds latency to every
request. Run it with ``python -m legacy_app``. This package must not import
``migrated_functions``, ``router`` or ``migrate_cli``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from flask import Flask

from legacy_app.blueprints import register_blueprints
from legacy_app.config import Settings, resolve_settings
from legacy_app.db import init_app, init_database, make_engine
from legacy_app.errors import register_error_handlers
from legacy_app.jsonio import install as install_json

__all__ = ["create_app"]

MAX_CONTENT_LENGTH = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` keys override env vars (DATABASE_URL, LEGACY_DELAY_MS);
    ``CLOCK`` (optional) stamps new rows instead of the system clock."""
    settings = resolve_settings(config)
    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, **dict(config or {}))
    app.config.update(DATABASE_URL=settings.database_url, LEGACY_DELAY_MS=settings.delay_ms)
    install_json(app)
    engine = make_engine(settings.database_url)
    init_database(engine)
    init_app(app, engine)
    register_error_handlers(app)
    register_blueprints(app)
    _install_delay(app, settings)
    return app


def _install_delay(app: Flask, settings: Settings) -> None:
    if settings.delay_ms <= 0:
        return
    delay_s = settings.delay_ms / 1000

    @app.before_request
    def _artificial_delay() -> None:
        time.sleep(delay_s)
