"""The latency chart of the HTML report: before vs after, as a PNG.

Left: the empirical CDF of each side on a log latency axis (aggregate-only sides
show their p50/p90/p99 as points). Right: histograms over shared log-spaced bins.
Drawn with matplotlib's Agg canvas on a private ``Figure`` (no pyplot, no display,
no global state). matplotlib is imported inside ``latency_chart_png`` because it is
slow to import. This module must not judge anything, write files, or know about AWS.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np

from router.analysis.model import AggregateFigures, Figures, SampleSet
from router.analysis.sparkline import log_edges

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["COLORS", "latency_chart_png"]

COLORS = ("#4c72b0", "#dd8452")  # before, after
_BINS = 40


def latency_chart_png(before: Figures, after: Figures, *, dpi: int = 100) -> bytes:
    """The chart as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8), layout="constrained")
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no display, no pyplot
    ecdf_axes, hist_axes = figure.subplots(1, 2)
    _draw(ecdf_axes, hist_axes, before, after)
    for share in (0.5, 0.9):  # where the deciding p50 and p90 are read
        ecdf_axes.axhline(share, color="grey", linewidth=0.6, linestyle=":")
    _decorate(ecdf_axes, "share of requests at or below", "latency CDF")
    _decorate(hist_axes, "share of requests", "latency histogram")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _draw(ecdf_axes: Axes, hist_axes: Axes, before: Figures, after: Figures) -> None:
    raw = [s.latencies_ms for s in (before, after) if isinstance(s, SampleSet) and s.count]
    edges = log_edges(raw, _BINS) if raw else None
    for side, color, name in zip((before, after), COLORS, ("before", "after"), strict=True):
        label = f"{side.label or name} (n={side.count})"
        _draw_ecdf(ecdf_axes, side, color, label)
        if edges is not None and isinstance(side, SampleSet) and side.count:
            weights = np.full(side.count, 1.0 / side.count)  # shares: sides of any size compare
            hist_axes.hist(
                side.latencies_ms,
                bins=edges.tolist(),
                weights=weights,
                color=color,
                alpha=0.5,
                label=label,
            )


def _draw_ecdf(axes: Axes, side: Figures, color: str, label: str) -> None:
    if isinstance(side, AggregateFigures):
        points = [(v, q) for v, q in ((side.p50, 0.5), (side.p90, 0.9), (side.p99, 0.99)) if v]
        if points and side.count:
            xs, ys = zip(*points, strict=True)
            axes.plot(xs, ys, "o--", color=color, label=f"{label}, aggregates")
        return
    if not side.count:
        return
    values = np.sort(np.maximum(np.asarray(side.latencies_ms, dtype=np.float64), 1e-3))
    shares = np.arange(1, values.size + 1) / values.size
    axes.step(values, shares, where="post", color=color, label=label)


def _decorate(axes: Axes, ylabel: str, title: str) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes.set_xscale("log")
    axes.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("latency (ms, log scale)")
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    if axes.get_legend_handles_labels()[0]:
        axes.legend(loc="best", fontsize="small")
