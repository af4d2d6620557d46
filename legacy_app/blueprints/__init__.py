"""Route modules of the legacy service, one blueprint per domain.

``register_blueprints`` is the only entry point; this package must not create
the app or the engine.
"""

from __future__ import annotations

from flask import Flask

__all__ = ["register_blueprints"]


def register_blueprints(app: Flask) -> None:
    from legacy_app.blueprints import meta, orders, products, users

    for module in (meta, users, products, orders):
        app.register_blueprint(module.bp)
