"""The HTML report of a comparison: one self-contained page (inline CSS, PNG inline).

Shows the overall verdict and its reasons, the mode, where each side's figures came
from (label, source, target, window, count), the latency chart (``chart``) as a
base64 PNG, the table of figures and the method. All text is HTML-escaped.
``report.write_html`` writes it. This module must not write files, judge, or know
about AWS or the CLI.
"""

from __future__ import annotations

import base64
from html import escape

from router.analysis.chart import latency_chart_png
from router.analysis.formatting import confounding, format_window, table_cells
from router.analysis.model import Comparison, Figures, SideSummary, Verdict

__all__ = ["render_html"]

_COLORS = {
    Verdict.PASS: "#1a7f37",
    Verdict.FAIL: "#cf222e",
    Verdict.INCONCLUSIVE: "#9a6700",
    Verdict.INFO: "#57606a",
}
_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       color: #1f2328; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.verdict { display: inline-block; padding: .15em .6em; border-radius: .3em;
           color: #fff; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: .6em 0; }
th, td { border-bottom: 1px solid #d0d7de; padding: .3em .5em; text-align: right;
         vertical-align: top; }
th:first-child, td:first-child, td.reason { text-align: left; }
td.reason { color: #57606a; }
tr.decides td:first-child { font-weight: 600; }
img { max-width: 100%; }
.muted { color: #57606a; }
"""
_HEADERS = (
    "figure",
    "before",
    "after",
    "change",
    "after CI",
    "change CI",
    "p",
    "verdict",
    "reason",
)


def render_html(comparison: Comparison, before: Figures, after: Figures) -> str:
    """The whole page as a string."""
    title = f"Cutover comparison: {comparison.verdict.value.upper()}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Cutover comparison {_badge(comparison.verdict)}</h1>",
        _list("Reasons", comparison.reasons),
        _sides(comparison),
        _list("Notes", comparison.notes),
        _confounders(comparison),
        _chart(before, after),
        _table(comparison),
        _method(comparison),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _badge(verdict: Verdict) -> str:
    color = _COLORS[verdict]
    return f'<span class="verdict" style="background:{color}">{verdict.value.upper()}</span>'


def _list(heading: str, items: tuple[str, ...]) -> str:
    lines = "".join(f"<li>{escape(item)}</li>" for item in items)
    return f"<h2>{escape(heading)}</h2><ul>{lines}</ul>"


def _sides(comparison: Comparison) -> str:
    headers = ("side", "label", "source", "target", "window (UTC)", "requests")
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr>"
    rows = "".join(
        _side_row(name, side)
        for name, side in (("before", comparison.before), ("after", comparison.after))
    )
    mode = f"<p>Mode: <b>{escape(comparison.mode)}</b></p>"
    return f"<h2>Figures</h2>{mode}<table>{head}{rows}</table>"


def _side_row(name: str, side: SideSummary) -> str:
    kind = "raw samples" if side.raw else "aggregates only"
    cells = (
        name,
        side.label,
        f"{side.source} ({kind})",
        side.target or "",
        format_window(side.window),
        str(side.count),
    )
    return "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"


def _confounders(comparison: Comparison) -> str:
    """Baseline mode: the rate, clock and age checks, the ones past their limits first."""
    if not comparison.confounders:
        return ""
    rows = "".join(
        f"<tr><td>{escape(c.name)}</td><td>{c.value:.2f}</td><td>{c.limit:g}</td>"
        f"<td>{'BEYOND' if c.beyond else 'within'}</td>"
        f'<td class="reason">{escape(c.note)}</td></tr>'
        for c in sorted(comparison.confounders, key=lambda c: not c.beyond)
    )
    head = "<tr><th>check</th><th>value</th><th>limit</th><th></th><th>note</th></tr>"
    warning = "".join(f"<p><b>{escape(line)}</b></p>" for line in confounding(comparison))
    return f"<h2>Confounding</h2>{warning}<table>{head}{rows}</table>"


def _chart(before: Figures, after: Figures) -> str:
    png = base64.b64encode(latency_chart_png(before, after)).decode("ascii")
    alt = "latency distribution before and after: CDF and histogram, log scale"
    return f'<h2>Latency</h2><img alt="{alt}" src="data:image/png;base64,{png}">'


def _table(comparison: Comparison) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in _HEADERS)
    body = []
    for row in comparison.rows:
        cells = table_cells(row)
        color = _COLORS[row.verdict]
        tds = [f"<td>{escape(c)}</td>" for c in cells[:-2]]
        tds.append(f'<td style="color:{color};font-weight:600">{escape(cells[-2])}</td>')
        tds.append(f'<td class="reason">{escape(cells[-1])}</td>')
        css = ' class="decides"' if row.decides else ""
        body.append(f"<tr{css}>{''.join(tds)}</tr>")
    return f"<h2>Table</h2><table><tr>{head}</tr>{''.join(body)}</table>"


def _method(comparison: Comparison) -> str:
    limits = comparison.limits
    text = (
        f"Intervals: {comparison.ci_level:.0%} percentile bootstrap "
        f"({comparison.n_resamples} resamples) for latency, Wilson/Newcombe for rates. "
        f"Tests are one-sided (after greater) at alpha={limits.alpha}. Limits: p50 "
        f"+{limits.p50:.0%}, p90 +{limits.p90:.0%}, 5XX rate +{limits.error_rate * 100:.2f} pp, "
        f"p99 +{limits.p99:.0%} (fails on decisive evidence only), trimmed mean "
        f"+{limits.trimmed_mean:.0%}, at least {limits.min_samples} requests per side. "
        "Tests are corrected for autocorrelation (effective sample size). "
        "The mean and 4XX are reported only."
    )
    return f'<h2>Method</h2><p class="muted">{escape(text)}</p>'
