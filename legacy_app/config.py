"""Runtime settings of the legacy service, resolved from a config dict and the environment.

Precedence: explicit ``config`` dict > environment variables > defaults.
This module only computes values; it must not open the database or touch Flask.

Settings
--------
``DATABASE_URL``
    SQLAlchemy URL. Default: a SQLite file ``./var/legacy.db`` relative to the
    current working directory (made absolute when resolved).
``LEGACY_DELAY_MS``
    Artificial latency added to every request, in milliseconds. Default ``0`` (off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_DB_RELATIVE_PATH", "Settings", "ensure_sqlite_parent", "resolve_settings"]

DEFAULT_DB_RELATIVE_PATH = Path("var") / "legacy.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    delay_ms: int


def resolve_settings(config: Mapping[str, Any] | None = None) -> Settings:
    """Merge ``config``, the environment and defaults into Settings."""
    cfg = dict(config or {})
    url = cfg.get("DATABASE_URL") or os.environ.get("DATABASE_URL") or default_database_url()
    delay = cfg.get("LEGACY_DELAY_MS")
    if delay is None:
        delay = os.environ.get("LEGACY_DELAY_MS", "0")
    return Settings(database_url=str(url), delay_ms=_parse_delay(delay))


def default_database_url() -> str:
    """``sqlite:///<cwd>/var/legacy.db`` as an absolute URL."""
    return f"sqlite:///{(Path.cwd() / DEFAULT_DB_RELATIVE_PATH).as_posix()}"


def ensure_sqlite_parent(database_url: str) -> None:
    """Create the parent directories of a SQLite database file (no-op otherwise)."""
    url = make_url(database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return
    if database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _parse_delay(value: object) -> int:
    try:
        delay = int(str(value).strip() or "0")
    except ValueError as exc:
        raise ValueError(f"LEGACY_DELAY_MS must be an integer, got {value!r}") from exc
    if delay < 0:
        raise ValueError(f"LEGACY_DELAY_MS must be >= 0, got {delay}")
    return delay
