"""Reports of a ``Comparison``: plain JSON, a rich table, sparklines, an HTML file.

* ``comparison_to_json``: a JSON-able dict with stable keys (``--json``); floats that
  are not finite become ``null``.
* ``render_table``: a ``rich.table.Table`` of every figure, colored by verdict.
* ``render_sparklines``: the two latency distributions as sparklines over one range.
* ``write_html``: a self-contained HTML report (inline CSS, the chart as a base64
  PNG), written atomically. matplotlib is imported only there.

This module must not judge (``verdict`` does), print, or know about AWS or the CLI.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text

from router.analysis.formatting import (
    confounding,
    format_window,
    table_cells,
)
from router.analysis.model import (
    Comparison,
    Confounder,
    Figures,
    Interval,
    MetricRow,
    SampleSet,
    SideSummary,
    Verdict,
)
from router.analysis.sparkline import distribution_sparklines, sparkline

__all__ = [
    "JSON_SCHEMA",
    "VERDICT_STYLES",
    "comparison_to_json",
    "render_sparklines",
    "render_table",
    "sparkline",
    "write_html",
]

JSON_SCHEMA = 1
VERDICT_STYLES = {
    Verdict.PASS: "bold green",
    Verdict.FAIL: "bold red",
    Verdict.INCONCLUSIVE: "bold yellow",
    Verdict.INFO: "dim",
}


def comparison_to_json(comparison: Comparison) -> dict[str, Any]:
    """Everything in ``comparison`` as plain JSON values, keys in a fixed order."""
    limits = comparison.limits
    return {
        "schema": JSON_SCHEMA,
        "mode": comparison.mode,
        "verdict": comparison.verdict.value,
        "exit_code": comparison.exit_code,
        "reasons": list(comparison.reasons),
        "notes": list(comparison.notes),
        "before": _side_json(comparison.before),
        "after": _side_json(comparison.after),
        "thresholds": {
            "latency_p50_max_increase": limits.p50,
            "latency_p90_max_increase": limits.p90,
            "error_rate_max_increase": limits.error_rate,
            "min_samples": limits.min_samples,
            "alpha": limits.alpha,
            "latency_p99_max_increase": limits.p99,
            "latency_trimmed_mean_max_increase": limits.trimmed_mean,
            "cold_start_max_share": limits.cold_share,
            "cold_start_max_added_ms": limits.cold_added_ms,
            "baseline_max_rate_ratio": limits.rate_ratio,
            "baseline_max_hours_apart": limits.hours_apart,
            "baseline_max_age_hours": limits.age_hours,
        },
        "ci_level": comparison.ci_level,
        "n_resamples": comparison.n_resamples,
        "rows": [_row_json(row) for row in comparison.rows],
        "confounded": any(c.beyond for c in comparison.confounders),
        "confounders": [_confounder_json(c) for c in comparison.confounders],
        "new_error_classes": [dataclasses.asdict(c) for c in comparison.new_error_classes],
        "effective_samples": _effective(comparison.effective_samples),
    }


def _confounder_json(confounder: Confounder) -> dict[str, Any]:
    return {
        "name": confounder.name,
        "before": _number(confounder.before),
        "after": _number(confounder.after),
        "value": _number(confounder.value),
        "limit": confounder.limit,
        "beyond": confounder.beyond,
        "note": confounder.note,
    }


def _effective(sizes: tuple[float, float] | None) -> dict[str, float] | None:
    return None if sizes is None else {"before": round(sizes[0], 1), "after": round(sizes[1], 1)}


def _side_json(side: SideSummary) -> dict[str, Any]:
    window = None if side.window is None else {"start_ms": side.window[0], "end_ms": side.window[1]}
    return {
        "label": side.label,
        "source": side.source,
        "target": side.target,
        "count": side.count,
        "raw_samples": side.raw,
        "window": window,
    }


def _row_json(row: MetricRow) -> dict[str, Any]:
    return {
        "metric": row.metric,
        "title": row.title,
        "unit": row.unit,
        "before": _number(row.before),
        "after": _number(row.after),
        "change": _number(row.change),
        "change_kind": row.change_kind,
        "after_ci": _interval_json(row.after_ci),
        "change_ci": _interval_json(row.change_ci),
        "p_value": _number(row.p_value),
        "test": row.test,
        "bootstrap_p": _number(row.bootstrap_p),
        "threshold": _number(row.threshold),
        "decides": row.decides,
        "verdict": row.verdict.value,
        "reason": row.reason,
    }


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _interval_json(interval: Interval | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {"low": _number(interval.low), "high": _number(interval.high), "level": interval.level}


def verdict_text(verdict: Verdict) -> Text:
    return Text(verdict.value.upper(), style=VERDICT_STYLES[verdict])


def render_table(comparison: Comparison) -> Table:
    """Every figure: before, after, change, intervals, p-value, verdict; reasons below."""
    level = f"{comparison.ci_level:.0%}"
    table = Table(title=_title(comparison), caption=_caption(comparison), title_justify="left")
    for header in ("figure", "before", "after", "change", f"after {level} CI"):
        table.add_column(header, justify="left" if header == "figure" else "right")
    table.add_column(f"change {level} CI", justify="right")
    table.add_column("p", justify="right")
    table.add_column("verdict")
    for row in comparison.rows:
        table.add_row(*table_cells(row)[:-2], verdict_text(row.verdict))
    return table


def _title(comparison: Comparison) -> Text:
    before = comparison.before.label or "before"
    after = comparison.after.label or "after"
    title = Text(f"{before} -> {after} ({comparison.mode}): ")
    return title.append_text(verdict_text(comparison.verdict))


def _caption(comparison: Comparison) -> str:
    sides = (comparison.before, comparison.after)
    origin = "; ".join(f"{s.label or 'side'}: {s.source}, {format_window(s.window)}" for s in sides)
    return "\n".join([*comparison.reasons, origin, *comparison.notes, *confounding(comparison)])


def render_sparklines(before: Figures, after: Figures, width: int = 40) -> Table | None:
    """The latency distributions of both sides as sparklines (None without raw samples)."""
    if not (isinstance(before, SampleSet) and isinstance(after, SampleSet)):
        return None
    lines = distribution_sparklines(before.latencies_ms, after.latencies_ms, width)
    table = Table(box=None, show_header=False, title="latency distribution (log scale)")
    table.add_column(justify="right")
    table.add_column(no_wrap=True)
    low, high = f"{lines.low_ms:.0f} ms", f"{lines.high_ms:.0f} ms"
    table.add_row("", low + " " * max(1, width - len(low) - len(high)) + high)
    table.add_row(before.label or "before", lines.before)
    table.add_row(after.label or "after", lines.after)
    return table


def write_html(
    comparison: Comparison, before: Figures, after: Figures, path: str | os.PathLike[str]
) -> Path:
    """Write the HTML report to ``path`` atomically (temp file + rename); returns it."""
    from router.analysis.html_report import render_html  # matplotlib: load on demand
    from router.manifest.store import atomic_write

    target = Path(path)
    atomic_write(target, render_html(comparison, before, after))
    return target
