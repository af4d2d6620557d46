"""Before/after analysis of a cutover: the statistics, the verdict and the report.

``compare(before, after, thresholds)`` judges per-request samples (``SampleSet``) or
pre-aggregated figures (``AggregateFigures``) and returns a ``Comparison``;
``judge_samples`` does the same on plain arrays of latencies and statuses (the
stable public API for samples users exported themselves). The report functions turn
a ``Comparison`` into JSON, a rich table or a self-contained HTML file.

Importing the package is cheap: the data model loads eagerly, while ``compare``
(scipy) and the report functions load on first use, so code that only builds
``SampleSet`` objects does not pay for scipy or matplotlib. Nothing in this package
calls AWS or parses command lines: figures come in, judgements and reports go out.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from router.analysis.api import judge_samples
    from router.analysis.model import (
        MODES,
        AggregateFigures,
        Comparison,
        Figures,
        Interval,
        Limits,
        MetricRow,
        Mode,
        SampleSet,
        SideSummary,
        Verdict,
        exit_code,
    )
    from router.analysis.report import (
        comparison_to_json,
        render_sparklines,
        render_table,
        write_html,
    )
    from router.analysis.sparkline import sparkline
    from router.analysis.verdict import compare

__all__ = [
    "MODES",
    "AggregateFigures",
    "Comparison",
    "Figures",
    "Interval",
    "Limits",
    "MetricRow",
    "Mode",
    "SampleSet",
    "SideSummary",
    "Verdict",
    "compare",
    "comparison_to_json",
    "exit_code",
    "judge_samples",
    "render_sparklines",
    "render_table",
    "sparkline",
    "write_html",
]

_MODEL = ("MODES", "AggregateFigures", "Comparison", "Figures", "Interval", "Limits",
          "MetricRow", "Mode", "SampleSet", "SideSummary", "Verdict", "exit_code")  # fmt: skip
_LAZY = {
    **dict.fromkeys(_MODEL, "router.analysis.model"),  # numpy: not for ``timespec`` users
    "compare": "router.analysis.verdict",
    "judge_samples": "router.analysis.api",
    "comparison_to_json": "router.analysis.report",
    "render_sparklines": "router.analysis.report",
    "render_table": "router.analysis.report",
    "write_html": "router.analysis.report",
    "sparkline": "router.analysis.sparkline",
}


def __getattr__(name: str) -> Any:
    """Load the heavy parts (numpy, scipy, matplotlib users) on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
