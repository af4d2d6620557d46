"""Query-string parsing and pagination with the monolith's rules and 400 messages.

Typed values (``int_arg``, ``bool_arg``, ``list_arg``) or a 400 naming the
parameter; ``page`` >= 1 (default 1, max 1,000,000), 1 <= ``per_page`` <= 100
(default 20); the page envelope is
``{"items", "page", "per_page", "total", "pages"}``. This module must not touch
the database nor know about specific tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrated_functions._shared.event import Event, query_all, query_first
from migrated_functions._shared.http import validation_error

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "PageRequest",
    "bool_arg",
    "int_arg",
    "list_arg",
    "page_envelope",
    "parse_page",
]

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


def int_arg(
    event: Event,
    name: str,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """An integer parameter within [minimum, maximum], or ``default`` when absent/empty."""
    raw = query_first(event, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation_error(name, f"{name}: must be an integer") from None
    if minimum is not None and value < minimum:
        raise validation_error(name, f"{name}: must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise validation_error(name, f"{name}: must be <= {maximum}")
    return value


def bool_arg(event: Event, name: str) -> bool | None:
    """``true/false/1/0/yes/no`` (case-insensitive), or None when absent/empty."""
    raw = query_first(event, name)
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise validation_error(name, f"{name}: must be true or false")


def list_arg(event: Event, name: str) -> list[str]:
    """All non-empty (stripped) values of a repeatable parameter, deduplicated, in order."""
    return list(dict.fromkeys(v.strip() for v in query_all(event, name) if v.strip()))


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def parse_page(event: Event) -> PageRequest:
    """``page`` then ``per_page`` from the query string (400 when invalid)."""
    page = int_arg(event, "page", default=1, minimum=1, maximum=1_000_000)
    per_page = int_arg(event, "per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=MAX_PER_PAGE)
    assert page is not None and per_page is not None
    return PageRequest(page=page, per_page=per_page)


def page_envelope(items: list[dict[str, Any]], page: PageRequest, total: int) -> dict[str, Any]:
    """The list page body, keys in the monolith's order."""
    return {
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": total,
        "pages": -(-total // page.per_page),
    }
