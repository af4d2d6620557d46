"""Synthetic traffic for the analysis tests: lognormal latencies like a real service.

A route answering with a median of 80 ms and a lognormal spread of 0.5 (p90 about
1.9x and p99 about 3.2x the median), a few 4XX and a small 5XX rate.
"""

from __future__ import annotations

import numpy as np

from router.analysis.model import SampleSet

MEDIAN_MS = 80.0
SIGMA = 0.5
WINDOW = (1_763_800_000_000, 1_763_803_600_000)


def service(
    rng: np.random.Generator,
    n: int,
    *,
    scale: float = 1.0,
    error_rate: float = 0.005,
    client_error_rate: float = 0.02,
    sigma: float = SIGMA,
    label: str = "side",
) -> SampleSet:
    """``n`` requests; ``scale`` multiplies every latency (a shift of every percentile)."""
    latencies = rng.lognormal(np.log(MEDIAN_MS), sigma, n) * scale
    draws = rng.random(n)
    statuses = np.where(
        draws < error_rate, 503, np.where(draws < error_rate + client_error_rate, 404, 200)
    )
    return SampleSet(
        label=label,
        latencies_ms=tuple(latencies.tolist()),
        statuses=tuple(int(s) for s in statuses),
        source="access-log",
        window=WINDOW,
        target="legacy" if label.startswith("before") else "lambda",
    )


def pair(
    seed: int,
    n: int,
    *,
    scale: float = 1.0,
    error_rate: float = 0.005,
    after_error_rate: float | None = None,
    sigma: float = SIGMA,
) -> tuple[SampleSet, SampleSet]:
    """A before side and an after side; the after side may be slower or fail more."""
    rng = np.random.default_rng(seed)
    before = service(rng, n, error_rate=error_rate, sigma=sigma, label="before (legacy)")
    after = service(
        rng,
        n,
        scale=scale,
        error_rate=error_rate if after_error_rate is None else after_error_rate,
        sigma=sigma,
        label="after (lambda)",
    )
    return before, after
