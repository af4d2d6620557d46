"""Parse the time windows and instants users type: ``30s``, ``15m``, ``1h``, ``7d``;
``now``, ``-10m`` (ago), ISO 8601 (``2026-11-22T07:30:00Z``) or epoch milliseconds.

Pure: the clock is passed in. Errors are ``UsageError`` naming the option.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from router.errors import UsageError

__all__ = ["parse_instant", "parse_window", "to_ms"]

_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_WINDOW = timedelta(days=455)  # CloudWatch keeps metrics 15 months


def parse_window(text: str, *, option: str = "--window") -> timedelta:
    match = _WINDOW.match(text.strip().lower())
    if match is None:
        raise UsageError(f"{option} {text!r}: expected a duration like 30s, 15m, 1h or 7d")
    window = timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    if not timedelta(seconds=1) <= window <= MAX_WINDOW:
        raise UsageError(f"{option} {text!r}: must be between 1s and {MAX_WINDOW.days}d")
    return window


def parse_instant(text: str, *, now: datetime, option: str = "--end") -> datetime:
    value = text.strip()
    if value.lower() == "now":
        return now
    if value.startswith("-"):
        return now - parse_window(value[1:], option=option)
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(
            f"{option} {text!r}: expected now, -15m, ISO 8601 or epoch milliseconds"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)
