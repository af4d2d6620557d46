"""Service endpoints: ``GET /`` (index of routes and links) and ``GET /health``.

Index shape::

    {"service": "legacy_app", "version": "1.0.0",
     "links": {"users": "/api/users", ...},
     "endpoints": [{"rule": "/api/users", "methods": ["GET", "POST"]}, ...]}

Health: 200 ``{"status": "ok", "database": "ok"}`` or 503
``{"status": "error", "database": "unavailable"}``. This module must not
modify data.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from legacy_app.db import get_session
from legacy_app.jsonio import json_response

__all__ = ["SERVICE_NAME", "SERVICE_VERSION", "bp"]

log = logging.getLogger(__name__)

SERVICE_NAME = "legacy_app"
SERVICE_VERSION = "1.0.0"
_LINKS = {
    "users": "/api/users",
    "products": "/api/products",
    "categories": "/api/categories",
    "orders": "/api/orders",
    "health": "/health",
}
_IMPLICIT_METHODS = frozenset({"HEAD", "OPTIONS"})

bp = Blueprint("meta", __name__)


@bp.get("/")
def index() -> Response:
    return json_response(
        {
            "service": SERVICE_NAME,
            "version": SERVICE_VERSION,
            "links": _LINKS,
            "endpoints": endpoint_listing(),
        }
    )


def endpoint_listing() -> list[dict[str, Any]]:
    """Every URL rule of the app with its explicit methods, sorted by rule."""
    methods: dict[str, set[str]] = {}
    for rule in current_app.url_map.iter_rules():
        methods.setdefault(rule.rule, set()).update((rule.methods or set()) - _IMPLICIT_METHODS)
    return [{"rule": rule, "methods": sorted(methods[rule])} for rule in sorted(methods)]


@bp.get("/health")
def health() -> Response:
    try:
        get_session().execute(text("SELECT 1 FROM users LIMIT 1"))
    except SQLAlchemyError:
        log.exception("health check failed")
        return json_response({"status": "error", "database": "unavailable"}, status=503)
    return json_response({"status": "ok", "database": "ok"})
