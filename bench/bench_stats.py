"""Benchmark and honesty matrix of the comparison engine (``router.analysis``).

Run: ``python bench/bench_stats.py [SEEDS]``. Prints the time of one ``compare`` as it
ships (2,000 bootstrap resamples) at several sample sizes, then, for every case of
the README's "Honesty" table (``tests/unit/router/analysis/_scenarios.py``: the
shapes, sizes and what a user expects), the share of seeds ending PASS / FAIL /
INCONCLUSIVE under the default thresholds, the share giving what a user expects,
and the same samples judged by the two anchors of ``_anchors.py``: a Kayenta-style
Mann-Whitney judge (98% confidence) and a Flagger-style fixed SLO (p99 <= 500 ms,
success >= 99%), as the share of seeds they FAIL.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.analysis.model import SampleSet, Verdict
from router.analysis.verdict import compare
from tests.unit.router.analysis._anchors import flagger, kayenta
from tests.unit.router.analysis._scenarios import CALIBRATION_CASES, CASES, Case, met

SIZES = (60, 200, 500, 2_000, 20_000)
REPEATS = 7


def side(rng: np.random.Generator, n: int, scale: float = 1.0) -> SampleSet:
    latencies = rng.lognormal(np.log(80.0), 0.5, n) * scale
    statuses = np.where(rng.random(n) < 0.005, 503, 200)
    return SampleSet("side", tuple(latencies.tolist()), tuple(statuses.tolist()), "access-log")


def timing() -> None:
    print("time of one compare (2,000 resamples, median of runs)")
    rng = np.random.default_rng(0)
    for n in SIZES:
        before, after = side(rng, n), side(rng, n, scale=1.1)
        runs = []
        for repeat in range(REPEATS):
            start = time.perf_counter()
            compare(before, after, rng=np.random.default_rng(repeat))
            runs.append(time.perf_counter() - start)
        print(f"  n={n:>6} per side: {statistics.median(runs) * 1000:8.1f} ms")


def judged(case: Case, seeds: int) -> tuple[Counter[Verdict], int, Counter[str]]:
    verdicts: Counter[Verdict] = Counter()
    anchors: Counter[str] = Counter()
    hits = 0
    for seed in range(seeds):
        before, after = case.sides(seed)
        comparison = compare(
            before, after, mode=case.mode, rng=np.random.default_rng(10_000 + seed)
        )
        verdicts[comparison.verdict] += 1
        hits += met(case, comparison)
        anchors["kayenta"] += kayenta(before, after) is Verdict.FAIL
        anchors["flagger"] += flagger(after) is Verdict.FAIL
    return verdicts, hits, anchors


def honesty(seeds: int) -> None:
    print(f"\nverdicts over {seeds} seeds: pass / fail / inconclusive, expected, anchors' fail")
    for case in (*CASES, *CALIBRATION_CASES):
        verdicts, hits, anchors = judged(case, seeds)
        shares = " / ".join(
            f"{verdicts[v] / seeds:6.1%}"
            for v in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)
        )
        kay = "   n/a" if case.aggregates else f"{anchors['kayenta'] / seeds:6.1%}"
        print(
            f"  {case.name:52} {shares}  {case.expect:15} {hits / seeds:6.1%}"
            f"  kayenta {kay}  flagger {anchors['flagger'] / seeds:6.1%}",
            flush=True,
        )


if __name__ == "__main__":
    timing()
    honesty(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
