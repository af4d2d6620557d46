"""Query-string parsing for list endpoints: typed values or a 400 naming the parameter.

Repeated keys (``?tag=a&tag=b``) are read with ``getlist``. This module must not
touch the database nor build responses.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

from legacy_app.errors import validation_error

__all__ = ["bool_arg", "choice_list_arg", "int_arg", "list_arg"]

_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


def int_arg(
    name: str, default: int | None = None, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """An integer query parameter within [minimum, maximum], or ``default`` when absent."""
    raw = request.args.get(name)
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


def bool_arg(name: str) -> bool | None:
    """``true/false/1/0/yes/no`` (case-insensitive), or None when absent."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    lowered = raw.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise validation_error(name, f"{name}: must be true or false")


def list_arg(name: str) -> list[str]:
    """All non-empty values of a repeatable parameter, duplicates removed, in order."""
    return list(dict.fromkeys(v.strip() for v in request.args.getlist(name) if v.strip()))


def choice_list_arg(name: str, choices: Iterable[str]) -> list[str]:
    """Like ``list_arg`` but every value must be one of ``choices``."""
    allowed = tuple(choices)
    values = list_arg(name)
    for value in values:
        if value not in allowed:
            raise validation_error(name, f"{name}: must be one of {', '.join(allowed)}")
    return values
