"""Command line: ``python -m legacy_app [--host H] [--port P] [--workers N] ...``.

Parses options, resolves settings (``--database-url`` > ``DATABASE_URL`` env >
``./var/legacy.db``; ``--delay-ms`` > ``LEGACY_DELAY_MS`` env > 0) and hands
over to gunicorn (``legacy_app.server``; ``main`` takes the server to hand over to,
so tests pass a recorder instead). It must not use the Werkzeug dev server.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from typing import Any

from legacy_app.config import Settings, resolve_settings
from legacy_app.server import ServerOptions, serve

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m legacy_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="bind port (default 5000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (env DATABASE_URL)")
    parser.add_argument("--delay-ms", type=int, default=None, help="per-request delay (ms)")
    parser.add_argument("--log-level", default="info", help="gunicorn log level")
    parser.add_argument("--access-log", action="store_true", help="log requests to stdout")
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    server: Callable[[Settings, ServerOptions], None] = serve,
) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    overrides: dict[str, Any] = {"DATABASE_URL": args.database_url}
    if args.delay_ms is not None:
        overrides["LEGACY_DELAY_MS"] = args.delay_ms
    settings = resolve_settings(overrides)
    opts = ServerOptions(
        args.host, args.port, args.workers, args.threads, args.log_level, args.access_log
    )
    server(settings, opts)


if __name__ == "__main__":
    main()
