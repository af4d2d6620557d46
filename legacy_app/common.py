"""Small helpers shared by the blueprints: clock, lookups and conflict-safe commits.

This module must not define routes nor serialize rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Response, current_app
from sqlalchemy import CursorResult, Executable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from legacy_app.db import get_session
from legacy_app.errors import conflict, not_found
from legacy_app.models import TIMESTAMP_FORMAT

__all__ = ["commit_or_conflict", "execute_rowcount", "get_or_404", "no_content", "utc_now"]

T = TypeVar("T")


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


def execute_rowcount(session: Session, stmt: Executable) -> int:
    """Execute a DML statement and return the number of matched rows."""
    result = cast(CursorResult[Any], session.execute(stmt))
    return result.rowcount


def no_content() -> Response:
    return Response(status=204)
