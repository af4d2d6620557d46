"""Seeded simulations of the verdict engine: the cases of the README's "Honesty" table.

Each ``Case`` draws a before and an after side from a seed (numpy, vectorized) with a
realistic latency shape, and names what a user expects of it. ``run`` counts the
verdicts of ``router.analysis.verdict.compare`` as it ships (default thresholds)
over seeds; ``bench/bench_stats.py`` runs the same cases with more seeds and the
two anchor judges of ``_anchors``. The shapes:

* lognormal: median 80 ms, spread 0.5 (p90 1.9x, p99 3.2x the median), 0.5% 503,
  2% 404;
* heavy tail: that body with 2% of the requests drawn from a Pareto (a = 1.2) from
  160 ms;
* bimodal: 90% around 20 ms and 10% around 200 ms (spread 0.2), the p90 in the gap;
* cache: hits around 5 ms and misses around 100 ms (spread 0.1);
* whole ms: median 4.5 ms, spread 0.5, rounded to whole ms as API Gateway logs it;
* bursty: lognormal whose log follows an AR(1) with lag-1 correlation 0.8;
* load: baseline mode, 30-minute windows an hour apart; latency scales with the
  request rate (x1.15 at 15% more requests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import lfilter

from router.analysis import stats
from router.analysis.model import Comparison, Figures, Mode, SampleSet, Verdict
from router.analysis.verdict import compare

Array = np.ndarray[Any, np.dtype[np.float64]]
START = 1_763_800_000_000
HALF_HOUR = 1_800_000
MEDIAN = 80.0
SIGMA = 0.5
Q90 = MEDIAN * float(np.exp(1.2815516 * SIGMA))
Q99 = MEDIAN * float(np.exp(2.3263479 * SIGMA))


def lognormal(
    rng: np.random.Generator, n: int, median: float = MEDIAN, sigma: float = SIGMA
) -> Array:
    return rng.lognormal(np.log(median), sigma, n)


def heavy(rng: np.random.Generator, n: int) -> Array:
    values = lognormal(rng, n)
    tail = rng.random(n) < 0.02
    values[tail] = 160.0 * (1.0 + rng.pareto(1.2, int(tail.sum())))
    return values


def bimodal(rng: np.random.Generator, n: int) -> Array:
    slow = rng.random(n) < 0.10
    return np.where(slow, lognormal(rng, n, 200.0, 0.2), lognormal(rng, n, 20.0, 0.2))


def cache(miss: float) -> Callable[[np.random.Generator, int], Array]:
    def draw(rng: np.random.Generator, n: int) -> Array:
        missed = rng.random(n) < miss
        return np.where(missed, lognormal(rng, n, 100.0, 0.1), lognormal(rng, n, 5.0, 0.1))

    return draw


def whole_ms(rng: np.random.Generator, n: int) -> Array:
    return np.round(lognormal(rng, n, 4.5, 0.5))


def bursty(rng: np.random.Generator, n: int) -> Array:
    rho = 0.8
    shocks = rng.normal(0.0, SIGMA * np.sqrt(1 - rho**2), n)
    shocks[0] = rng.normal(0.0, SIGMA)  # start in the stationary distribution
    return MEDIAN * np.exp(lfilter([1.0], [1.0, -rho], shocks))


def scaled(draw: Callable[[np.random.Generator, int], Array], k: float) -> Callable[..., Array]:
    return lambda rng, n: draw(rng, n) * k


def tail_stretched(rng: np.random.Generator, n: int) -> Array:
    """The p99 doubled, the p50 and p90 unchanged: the values past the p90 stretched."""
    values = lognormal(rng, n)
    stretch = (2 * Q99 - Q90) / (Q99 - Q90)
    return np.where(values > Q90, Q90 + (values - Q90) * stretch, values)


def cold_starts(rng: np.random.Generator, n: int) -> Array:
    values = lognormal(rng, n)
    return values + np.where(rng.random(n) < 0.02, 800.0, 0.0)


def statuses(rng: np.random.Generator, n: int, errors: float, extra: float = 0.0) -> Array:
    draws = rng.random(n)
    codes = np.where(draws < errors, 503, np.where(draws < errors + 0.02, 404, 200))
    return np.where((draws >= errors + 0.02) & (draws < errors + 0.02 + extra), 502, codes)


@dataclass(frozen=True)
class Side:
    draw: Callable[[np.random.Generator, int], Array] = lognormal
    n: int = 500
    errors: float = 0.005
    new_502: float = 0.0  # share of a status the other side never answers
    window: tuple[int, int] = (START, START + HALF_HOUR)

    def sample(self, rng: np.random.Generator, label: str) -> SampleSet:
        latencies = self.draw(rng, self.n)
        codes = statuses(rng, self.n, self.errors, self.new_502)
        return SampleSet(
            label, tuple(latencies.tolist()), tuple(codes.tolist()), "access-log", self.window
        )


LATER = (START + 2 * HALF_HOUR, START + 3 * HALF_HOUR)


@dataclass(frozen=True)
class Case:
    name: str
    before: Side
    after: Side
    expect: str  # pass | fail | inconclusive | pass-or-warning | fail-or-warning |
    # reported (a new error class) | fail-at-most (the share that fails)
    mode: Mode = "concurrent"
    aggregates: bool = False
    tags: tuple[str, ...] = field(default=())

    def sides(self, seed: int) -> tuple[Figures, Figures]:
        rng = np.random.default_rng(seed)
        before = self.before.sample(rng, "before")
        after = self.after.sample(rng, "after")
        if self.aggregates:
            return stats.summarize(before), stats.summarize(after)
        return before, after

    def judge(self, seed: int) -> Comparison:
        before, after = self.sides(seed)
        return compare(before, after, mode=self.mode, rng=np.random.default_rng(10_000 + seed))


def a_a(
    draw: Callable[..., Array] = lognormal, n: int = 500, errors: float = 0.005
) -> tuple[Side, Side]:
    return Side(draw, n, errors), Side(draw, n, errors)


CASES: tuple[Case, ...] = (
    Case("A/A lognormal", *a_a(), "pass"),
    Case("all latencies x1.3, lognormal", Side(), Side(scaled(lognormal, 1.3)), "fail"),
    Case(
        "all latencies x1.3, spread 0.8",
        Side(lambda r, n: lognormal(r, n, sigma=0.8)),
        Side(lambda r, n: lognormal(r, n, sigma=0.8) * 1.3),
        "fail",
    ),
    Case("all latencies x1.3, heavy tail", Side(heavy), Side(scaled(heavy, 1.3)), "fail"),
    Case("30% faster", Side(), Side(scaled(lognormal, 0.7)), "pass"),
    Case("+3% at 20,000 a side", Side(n=20_000), Side(scaled(lognormal, 1.03), 20_000), "pass"),
    Case(
        "x1.3 below min_samples (60 a side)",
        Side(n=60),
        Side(scaled(lognormal, 1.3), 60),
        "inconclusive",
    ),
    Case("A/A heavy tail", *a_a(heavy), "pass"),
    Case("A/A heavy tail, 2,000 a side", *a_a(heavy, 2_000), "pass"),
    Case(
        "p99 doubled, p50 and p90 unchanged, 2,000 a side",
        Side(n=2_000),
        Side(tail_stretched, 2_000),
        "fail",
    ),
    Case("2% cold starts +800 ms, 2,000 a side", Side(n=2_000), Side(cold_starts, 2_000), "fail"),
    Case("cache misses 20% -> 40%", Side(cache(0.2)), Side(cache(0.4)), "fail"),
    Case(
        "cache misses 20% -> 40%, 2,000 a side",
        Side(cache(0.2), 2_000),
        Side(cache(0.4), 2_000),
        "fail",
    ),
    Case("A/A, 2% background 5XX", *a_a(errors=0.02), "pass"),
    Case("5XX 0.5% -> 5%", Side(), Side(errors=0.05), "fail"),
    Case("5XX 0.5% -> 2.5%, 2,000 a side", Side(n=2_000), Side(n=2_000, errors=0.025), "fail"),
    Case("new 502s at 0.5%, 2,000 a side", Side(n=2_000), Side(n=2_000, new_502=0.005), "reported"),
    Case("A/A bimodal 90/10", *a_a(bimodal), "pass"),
    Case("A/A bimodal 90/10, 2,000 a side", *a_a(bimodal, 2_000), "pass"),
    Case("A/A 4.5 ms route in whole ms", *a_a(whole_ms), "pass"),
    Case(
        "baseline, Lambda identical, load 15% higher",
        Side(),
        Side(scaled(lognormal, 1.15), 575, window=LATER),
        "pass-or-warning",
        "baseline",
    ),
    Case(
        "baseline, +30% in a 15% quieter window",
        Side(),
        Side(scaled(lognormal, 1.3 * 0.85), 425, window=LATER),
        "fail-or-warning",
        "baseline",
    ),
    Case("A/A bursty (AR(1) 0.8 on log latency)", *a_a(bursty), "pass"),
    Case("A/A aggregates only, 100 a side", *a_a(n=100), "pass", aggregates=True),
)

# The full compare at the error rule's calibration points (the rule alone is tested
# over 2,000 seeds in test_simulations): printed by bench/bench_stats.py only.
CALIBRATION_CASES: tuple[Case, ...] = tuple(
    Case(f"A/A, {rate:.0%} background 5XX, {n:,} a side", *a_a(n=n, errors=rate), "fail-at-most")
    for rate in (0.01, 0.02, 0.05)
    for n in (500, 2_000)
    if (rate, n) != (0.02, 500)  # the "A/A, 2% background 5XX" case above
)


def met(case: Case, comparison: Comparison) -> bool:
    """Did this comparison give what a user expects of the case?"""
    verdict = comparison.verdict
    warned = any(c.beyond for c in comparison.confounders)
    return {
        "pass": verdict is Verdict.PASS,
        "fail": verdict is Verdict.FAIL,
        "inconclusive": verdict is Verdict.INCONCLUSIVE,
        "pass-or-warning": verdict is Verdict.PASS or warned,
        "fail-or-warning": verdict is Verdict.FAIL or warned,
        "reported": any(c.status == 502 for c in comparison.new_error_classes),
        "fail-at-most": verdict is not Verdict.FAIL,
    }[case.expect]


@dataclass(frozen=True)
class Outcome:
    verdicts: Counter[Verdict]
    met: int
    seeds: int

    def share(self, verdict: Verdict) -> float:
        return self.verdicts[verdict] / self.seeds


def run(case: Case, seeds: range) -> Outcome:
    verdicts: Counter[Verdict] = Counter()
    hits = 0
    for seed in seeds:
        comparison = case.judge(seed)
        verdicts[comparison.verdict] += 1
        hits += met(case, comparison)
    return Outcome(verdicts, hits, len(seeds))


CASE_BY_NAME = {case.name: case for case in CASES}
