"""Benchmark and honesty matrix of the comparison engine (``router.analysis``).

Run: ``python bench/bench_stats.py [SEEDS]``. Prints the time of one ``compare`` as it
ships (2,000 bootstrap resamples) at several sample sizes, then, for synthetic
lognormal traffic (median 80 ms, spread 0.5 or 0.8, 0.5% 5XX), the share of seeds
ending PASS / FAIL / INCONCLUSIVE under the default thresholds (+20% p50/p90,
+1 pp 5XX, alpha 0.05): A/A, sub-threshold shifts, a +30% shift, a tail-only shift,
a 5XX rise, and the same at 200 and 60 requests per side.
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

SIZES = (60, 200, 500, 2_000, 20_000)
REPEATS = 7


def side(
    rng: np.random.Generator,
    n: int,
    *,
    scale: float = 1.0,
    tail: float = 1.0,
    errors: float = 0.005,
    sigma: float = 0.5,
) -> SampleSet:
    """Lognormal latencies; ``tail`` stretches the slowest quarter away from its p75."""
    latencies = rng.lognormal(np.log(80.0), sigma, n) * scale
    cut = np.quantile(latencies, 0.75)
    latencies = np.where(latencies > cut, cut + (latencies - cut) * tail, latencies)
    statuses = np.where(rng.random(n) < errors, 503, 200)
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


SCENARIOS: list[tuple[str, int, dict[str, float]]] = [
    ("A/A", 500, {}),
    ("A/A, spread 0.8", 500, {"sigma": 0.8}),
    ("all latencies x1.05", 500, {"scale": 1.05}),
    ("all latencies x1.10", 500, {"scale": 1.10}),
    ("all latencies x1.15", 500, {"scale": 1.15}),
    ("all latencies x1.30", 500, {"scale": 1.30}),
    ("x1.30, spread 0.8", 500, {"scale": 1.30, "sigma": 0.8}),
    ("tail x2.14 (p90 +30%, p50 same)", 500, {"tail": 2.14}),
    ("5XX 0.5% -> 5%", 500, {"errors": 0.05}),
    ("A/A", 200, {}),
    ("A/A, no 5XX", 200, {"before_errors": 0.0, "errors": 0.0}),
    ("all latencies x1.05", 200, {"scale": 1.05}),
    ("all latencies x1.30", 200, {"scale": 1.30}),
    ("A/A", 60, {}),
    ("all latencies x1.30", 60, {"scale": 1.30}),
]


def honesty(seeds: int) -> None:
    print(f"\nverdicts over {seeds} seeds (pass / fail / inconclusive)")
    for name, n, spec in SCENARIOS:
        counts: Counter[Verdict] = Counter()
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            sigma = spec.get("sigma", 0.5)
            before = side(rng, n, sigma=sigma, errors=spec.get("before_errors", 0.005))
            after_spec = {k: v for k, v in spec.items() if k != "before_errors"}
            after = side(rng, n, **after_spec)
            counts[compare(before, after, rng=np.random.default_rng(10_000 + seed)).verdict] += 1
        shares = " / ".join(
            f"{counts[v] / seeds:6.1%}" for v in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)
        )
        print(f"  {name:34} n={n:>4}: {shares}")


if __name__ == "__main__":
    timing()
    honesty(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
