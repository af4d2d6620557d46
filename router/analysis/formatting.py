"""Text of the figures of a comparison: milliseconds, rates, changes, intervals, p-values.

One place so that reasons, the terminal table and the HTML report print a figure the
same way: each figure, a table row's cells (``table_cells``) and the confounding
warning (``confounding``). This module must not compute statistics, decide verdicts or do any I/O.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from router.analysis.model import Comparison, Interval, MetricRow

__all__ = [
    "DASH",
    "confounding",
    "format_change",
    "format_interval",
    "format_p",
    "format_value",
    "format_window",
    "table_cells",
]

DASH = "\u2013"  # en dash: no figure


def format_value(value: float | None, unit: str) -> str:
    """``123.4 ms``, ``0.50%`` or ``500`` by unit; a dash for no figure."""
    if value is None:
        return DASH
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "rate":
        return f"{value * 100:.2f}%"
    return f"{value:.0f}"


def format_change(value: float | None, kind: str) -> str:
    """A relative change as ``+30.1%``, an absolute one (rates) as ``+4.50 pp``."""
    if value is None or kind == "none":
        return DASH
    if not math.isfinite(value):
        return "+inf" if value > 0 else "-inf"
    if kind == "relative":
        return f"{value * 100:+.1f}%"
    return f"{value * 100:+.2f} pp"


def format_interval(interval: Interval | None, kind: str) -> str:
    """``[+12.0%, +45.3%]`` in the unit of ``kind`` (relative, absolute, ms, rate)."""
    if interval is None:
        return DASH
    if kind in ("ms", "rate"):
        low, high = format_value(interval.low, kind), format_value(interval.high, kind)
    else:
        low, high = format_change(interval.low, kind), format_change(interval.high, kind)
    return f"[{low}, {high}]"


def format_p(p_value: float | None) -> str:
    if p_value is None:
        return DASH
    return "p<0.001" if p_value < 0.001 else f"p={p_value:.3f}"


def format_window(window: tuple[int, int] | None) -> str:
    """``2026-11-22 07:30:00Z .. 2026-11-22 08:30:00Z`` (en dash) from epoch milliseconds."""
    if window is None:
        return DASH
    start, end = (datetime.fromtimestamp(ms / 1000, tz=UTC) for ms in window)
    return f"{start:%Y-%m-%d %H:%M:%S}Z {DASH} {end:%Y-%m-%d %H:%M:%S}Z"


def table_cells(row: MetricRow) -> list[str]:
    """The text of one row, in the column order of ``render_table`` (also for HTML)."""
    return [
        row.title,
        format_value(row.before, row.unit),
        format_value(row.after, row.unit),
        format_change(row.change, row.change_kind),
        format_interval(row.after_ci, row.unit),
        format_interval(row.change_ci, row.change_kind),
        format_p(row.p_value),
        row.verdict.value.upper(),
        row.reason,
    ]


def confounding(comparison: Comparison) -> list[str]:
    """One line when a confounder is past its limit (the table and the HTML say it)."""
    names = [c.name for c in comparison.confounders if c.beyond]
    if not names:
        return []
    return [
        f"WARNING: confounded ({', '.join(names)}): the windows differ beyond the limits, "
        "so the verdict may measure the window rather than the code"
    ]
