"""The stable public entry point for samples users exported themselves.

``judge_samples`` takes plain arrays (latencies in ms and HTTP statuses per request,
in arrival order; optional per-request cold-start flags and windows) and thresholds,
and returns the ``Comparison`` that ``migrate compare`` reports: load tests, Athena
queries of access logs and outside checks call it. Its signature only grows (new
keyword arguments with defaults); the rules are ``router.analysis.verdict``'s.

This module must not read files, print, or know about AWS or the CLI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from pydantic import ValidationError

from router.analysis.model import Comparison, Mode, SampleSet
from router.errors import UsageError
from router.manifest.model import Thresholds

__all__ = ["judge_samples"]


def judge_samples(
    before_latencies_ms: ArrayLike,
    before_statuses: ArrayLike,
    after_latencies_ms: ArrayLike,
    after_statuses: ArrayLike,
    thresholds: Thresholds | Mapping[str, float] | None = None,
    *,
    before_cold: Sequence[bool] | None = None,
    after_cold: Sequence[bool] | None = None,
    before_window: tuple[int, int] | None = None,
    after_window: tuple[int, int] | None = None,
    mode: Mode = "baseline",
    seed: int = 0,
) -> Comparison:
    """Judge the after samples against the before samples.

    ``thresholds``: a ``Thresholds`` or a mapping of its fields (e.g.
    ``{"latency_p90_max_increase": 0.1}``); unset fields take the defaults.
    ``*_window``: epoch ms ``(start, end)``, which in baseline mode also gives the
    request rates, clock hours and baseline age (``Comparison.confounders``).
    ``mode``: "baseline" (two windows) or "concurrent" (one window, split traffic).
    ``seed`` seeds the bootstrap. Raises ``UsageError`` on malformed input.

    >>> result = judge_samples([80.0] * 200, [200] * 200, [81.0] * 200, [200] * 200)
    >>> result.verdict.value, result.exit_code
    ('pass', 0)
    """
    from router.analysis.verdict import compare  # scipy: loaded on first use

    before = _side("before", before_latencies_ms, before_statuses, before_cold, before_window)
    after = _side("after", after_latencies_ms, after_statuses, after_cold, after_window)
    return compare(
        before, after, _thresholds(thresholds), rng=np.random.default_rng(seed), mode=mode
    )


def _side(
    label: str,
    latencies: ArrayLike,
    statuses: ArrayLike,
    cold: Sequence[bool] | None,
    window: tuple[int, int] | None,
) -> SampleSet:
    try:
        values = np.asarray(latencies, dtype=np.float64).ravel()
        codes = np.asarray(statuses).ravel()
        if codes.size and not np.all(np.equal(np.mod(codes, 1), 0)):
            raise ValueError("statuses must be whole numbers")
        flags = None if cold is None else tuple(bool(c) for c in cold)
        return SampleSet(
            label, tuple(values.tolist()), tuple(int(c) for c in codes), "samples", window,
            cold=flags,
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{label} samples: {exc}") from exc


def _thresholds(given: Thresholds | Mapping[str, float] | None) -> Thresholds | None:
    if given is None or isinstance(given, Thresholds):
        return given
    try:
        return Thresholds.model_validate(dict(given))
    except ValidationError as exc:
        raise UsageError(f"thresholds: {exc}") from exc
