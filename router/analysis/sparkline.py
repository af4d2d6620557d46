"""Sparklines: a series of numbers as one line of block characters (``▁▂▃▄▅▆▇█``).

``sparkline`` draws a time series or histogram; ``distribution_sparklines`` draws
the latency distributions of two sides over one shared log-spaced range, so the
two lines can be read against each other in a terminal. Non-finite values are
drawn as spaces. This module must not print, decide anything, or know about AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BLOCKS", "DistributionLines", "distribution_sparklines", "log_edges", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"
FLOOR_MS = 1e-3  # log bins start no lower than a microsecond; smaller values share bin 1
FloatArray = NDArray[np.float64]


def sparkline(
    values: ArrayLike,
    width: int | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
) -> str:
    """``values`` scaled from ``low`` (default: their min) to ``high`` (default: max).

    With ``width`` the series is averaged down (or stretched) to exactly that many
    characters; without it there is one character per value.
    """
    data = np.asarray(values, dtype=np.float64).ravel()
    if width is not None:
        data = _fit(data, width)
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return " " * data.size
    bottom = float(finite.min()) if low is None else low
    span = (float(finite.max()) if high is None else high) - bottom
    scaled = np.zeros_like(data) if span <= 0 else (data - bottom) / span
    levels = np.clip(np.rint(np.nan_to_num(scaled) * (len(BLOCKS) - 1)), 0, len(BLOCKS) - 1)
    return "".join(
        BLOCKS[int(level)] if ok else " "
        for level, ok in zip(levels, np.isfinite(data), strict=True)
    )


def _fit(data: FloatArray, width: int) -> FloatArray:
    """``data`` averaged down or stretched (nearest value) to ``width`` points."""
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if data.size == 0:
        return np.full(width, np.nan)
    if data.size <= width:
        return data[np.arange(width) * data.size // width]
    return np.array([_mean(chunk) for chunk in np.array_split(data, width)])


def _mean(chunk: FloatArray) -> float:
    finite = chunk[np.isfinite(chunk)]
    return float(finite.mean()) if finite.size else float("nan")


def log_edges(samples: Sequence[ArrayLike], bins: int) -> FloatArray:
    """``bins + 1`` log-spaced edges spanning the positive values of ``samples``."""
    values = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in samples])
    positive = values[values > 0]
    low = max(float(positive.min()), FLOOR_MS) if positive.size else 1.0
    high = float(positive.max()) if positive.size else low
    return np.geomspace(low, max(high, low * 1.01), bins + 1)


@dataclass(frozen=True)
class DistributionLines:
    """Two histograms drawn over the same range and the same vertical scale."""

    before: str
    after: str
    low_ms: float
    high_ms: float


def distribution_sparklines(
    before: ArrayLike, after: ArrayLike, width: int = 40
) -> DistributionLines:
    """Latency histograms of both sides over one log-spaced range, as sparklines."""
    edges = log_edges([before, after], width)
    shares = [_shares(side, edges) for side in (before, after)]
    top = max(float(share.max()) for share in shares)
    before_line, after_line = (sparkline(share, low=0.0, high=top) for share in shares)
    return DistributionLines(before_line, after_line, float(edges[0]), float(edges[-1]))


def _shares(values: ArrayLike, edges: FloatArray) -> FloatArray:
    data = np.clip(np.asarray(values, dtype=np.float64).ravel(), edges[0], edges[-1])
    counts, _ = np.histogram(data, bins=edges)
    return counts / max(1, data.size)
