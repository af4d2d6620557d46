"""Small helpers shared by the blueprints: clock, lookups and conflict-safe commits.

This module must not define routes nor serialize rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Response, current_app
from sqlalchemy import CursorResult, Executable
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from legacy_app.db import get_session
from legacy_app.errors import ApiError, conflict, not_found
from legacy_app.models import TIMESTAMP_FORMAT

__all__ = [
    "commit_or_conflict",
    "execute_rowcount",
    "get_or_404",
    "no_content",
    "retry_transient",
    "utc_now",
]

T = TypeVar("T")
# PostgreSQL aborts one transaction of a deadlock (40P01) or a serialization conflict
# (40001); running it again is the documented remedy.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
TRANSIENT_ATTEMPTS = 3


def utc_now() -> str:
    """The current time in the stored/JSON format, e.g. ``2024-03-05T14:07:09Z``.

    The app's ``CLOCK`` config entry (a function returning that string) when set,
    e.g. ``create_app({"CLOCK": ...})`` in tests; else the system clock.
    """
    clock = current_app.config.get("CLOCK")
    if clock is not None:
        return str(clock())
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def get_or_404(model: type[T], ident: int, what: str) -> T:
    """The row of ``model`` with primary key ``ident`` or a 404 ApiError."""
    row = get_session().get(model, ident)
    if row is None:
        raise not_found(what, ident)
    return row


def commit_or_conflict(session: Session, message: str, field: str) -> None:
    """Commit; a unique-constraint violation becomes 409 naming ``field`` (rolled back)."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise conflict(message, field=field) from None


def retry_transient(session: Session, attempt: Callable[[], T]) -> T:
    """``attempt()``, run again (rolled back first) when the database aborted it to resolve
    a deadlock or serialization conflict; 503 ``database_conflict`` after 3 tries."""
    for remaining in reversed(range(TRANSIENT_ATTEMPTS)):
        try:
            return attempt()
        except OperationalError as exc:
            session.rollback()
            if getattr(exc.orig, "sqlstate", None) not in TRANSIENT_SQLSTATES:
                raise
            if remaining == 0:
                raise ApiError(
                    503, "database_conflict", "the write conflicted with others; retry it"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def execute_rowcount(session: Session, stmt: Executable) -> int:
    """Execute a DML statement and return the number of matched rows."""
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount


def no_content() -> Response:
    return Response(status=204)
