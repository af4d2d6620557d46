"""Structured logs: one JSON object per line on stdout (CloudWatch Logs in Lambda).

Every record has ``timestamp``, ``level``, ``logger`` and ``message``; the fields
passed as ``extra={"fields": {...}}`` (``aws_request_id``, ``route``, ``status``,
``latency_ms``...) are merged in, and an exception becomes an ``exception`` string.
``LOG_LEVEL`` (env, default INFO) sets the level. This module must not print,
read events or touch the database.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

__all__ = ["ROOT_LOGGER", "JsonFormatter", "get_logger"]

ROOT_LOGGER = "migrated_functions"


class JsonFormatter(logging.Formatter):
    """Formats a record as one compact JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, separators=(",", ":"), default=str)


class _StdoutHandler(logging.Handler):
    """Writes to the CURRENT ``sys.stdout`` (the runtime, or a test's capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _configure_root() -> logging.Logger:
    root = logging.getLogger(ROOT_LOGGER)
    if not any(isinstance(h, _StdoutHandler) for h in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.propagate = False  # the Lambda runtime's root handler would log it twice
        root.setLevel(_level_from_env())
    return root


def _level_from_env() -> int:
    """``LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR); INFO when unset or unknown."""
    name = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    return logging.getLevelNamesMapping().get(name, logging.INFO)


def get_logger(name: str) -> logging.Logger:
    """A logger under ``migrated_functions`` whose records leave as JSON lines."""
    _configure_root()
    return logging.getLogger(name)
