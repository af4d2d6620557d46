"""Serve the legacy app under gunicorn (programmatic ``BaseApplication``).

The master resolves settings and creates + seeds the database once before any
worker is forked, so workers never race on schema creation; each worker then
builds its own app and engine (no connection is shared across ``fork``). This
module must not parse the command line (see ``__main__``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from legacy_app.config import Settings
from legacy_app.db import init_database, make_engine

__all__ = ["ServerOptions", "prepare_database", "serve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 2
    threads: int = 1
    log_level: str = "info"
    access_log: bool = False


class LegacyGunicorn(BaseApplication):  # type: ignore[misc]
    """Gunicorn application whose workers each call ``create_app``."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # skip settings this gunicorn version lacks
                self.cfg.set(key, value)

    def load(self) -> Flask:
        from legacy_app import create_app

        return create_app(
            {"DATABASE_URL": self.settings.database_url, "LEGACY_DELAY_MS": self.settings.delay_ms}
        )


def gunicorn_options(opts: ServerOptions) -> dict[str, Any]:
    """Gunicorn settings for ``opts``: sync workers, or gthread when threads > 1."""
    return {
        "bind": f"{opts.host}:{opts.port}",
        "workers": opts.workers,
        "threads": opts.threads,
        "worker_class": "gthread" if opts.threads > 1 else "sync",
        "loglevel": opts.log_level,
        "accesslog": "-" if opts.access_log else None,
        "graceful_timeout": 10,
        "timeout": 60,
        "proc_name": "legacy_app",
        # gunicorn >= 25.1 opens a control socket in $HOME by default: one per machine,
        # so parallel servers (tests, demos) would fight over it.
        "control_socket_disable": True,
    }


def prepare_database(settings: Settings) -> bool:
    """Create and seed the database in the current (master) process; True if seeded."""
    engine = make_engine(settings.database_url)
    try:
        return init_database(engine)
    finally:
        engine.dispose()


def serve(settings: Settings, opts: ServerOptions) -> None:
    """Prepare the database, then run gunicorn until SIGTERM/SIGINT."""
    seeded = prepare_database(settings)
    log.info("database %s (%s)", settings.database_url, "seeded" if seeded else "ready")
    LegacyGunicorn(settings, gunicorn_options(opts)).run()
