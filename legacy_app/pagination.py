"""Pagination of list endpoints: ``page`` / ``per_page`` parsing and the page envelope.

List page shape (keys in this order)::

    {"items": [...], "page": 1, "per_page": 20, "total": 200, "pages": 10}

``page`` >= 1 (default 1), 1 <= ``per_page`` <= 100 (default 20); out-of-range
values are a 400 naming the parameter. A page past the end has ``items: []``.
This module must not know about specific tables; callers pass the statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from legacy_app.db import get_session
from legacy_app.queryargs import int_arg

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "PageRequest", "paginate", "parse_page"]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def parse_page() -> PageRequest:
    """``page`` and ``per_page`` from the query string (400 when invalid)."""
    page = int_arg("page", default=1, minimum=1, maximum=1_000_000)
    per_page = int_arg("per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
    assert page is not None and per_page is not None
    return PageRequest(page=page, per_page=per_page)


def paginate(
    stmt: Select[Any], page: PageRequest, serialize: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``stmt`` (already ordered) for one page and wrap it in the page envelope."""
    session = get_session()
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(page.per_page).offset(page.offset)).all()
    return {
        "items": [serialize(row) for row in rows],
        "page": page.page,
        "per_page": page.per_page,
        "total": total,
        "pages": -(-total // page.per_page),
    }
