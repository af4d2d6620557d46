"""The README's "Honesty" table as tests: every case over 200 seeds (slow).

Each case of ``_scenarios.CASES`` runs ``compare`` as it ships with default
thresholds; the share of seeds giving what a user expects must reach the figure
below (0.90 unless noted; the cases that passed before this engine keep theirs).
The error rule's A/A calibration (at most 1% fails) is checked on the rule itself
over 2,000 seeds, where 200 seeds of a 0.5% rate are too few to resolve 1%.
"""

from __future__ import annotations

import numpy as np
import pytest

from router.analysis.evidence import rate_evidence
from router.analysis.model import AggregateFigures, Verdict
from router.analysis.rules import judge, signals

from ._scenarios import CASES, Case, run

pytestmark = pytest.mark.slow

SEEDS = range(200)
REQUIRED = {
    "A/A lognormal": 0.98,
    "all latencies x1.3, lognormal": 0.95,
    "all latencies x1.3, spread 0.8": 0.95,
    "all latencies x1.3, heavy tail": 0.95,
    "30% faster": 0.99,
    "+3% at 20,000 a side": 0.98,
    "x1.3 below min_samples (60 a side)": 1.0,
    "A/A heavy tail": 0.98,
    "A/A heavy tail, 2,000 a side": 0.98,
}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_gives_what_a_user_expects(case: Case) -> None:
    outcome = run(case, SEEDS)
    floor = REQUIRED.get(case.name, 0.9)
    assert outcome.met / outcome.seeds >= floor, (case.name, dict(outcome.verdicts))


def error_verdict(errors_before: int, errors_after: int, n: int) -> Verdict:
    """The 5XX row's rule alone, at the default thresholds (+1 pp, alpha 0.05)."""
    before = AggregateFigures(n, 80.0, 150.0, None, None, 0, errors_before, "metrics")
    after = AggregateFigures(n, 80.0, 150.0, None, None, 0, errors_after, "metrics")
    found = rate_evidence(5, before, after, 0.9)
    return judge(found.change, 0.01, signals(found, 0.01, 0.05), True)


@pytest.mark.parametrize("n", [500, 2_000])
@pytest.mark.parametrize("background", [0.01, 0.02, 0.05])
def test_error_rule_fails_at_most_1_percent_of_a_a_runs(background: float, n: int) -> None:
    rng = np.random.default_rng(int(background * 1000) + n)
    counts = rng.binomial(n, background, size=(2_000, 2))
    fails = sum(error_verdict(int(b), int(a), n) is Verdict.FAIL for b, a in counts)
    assert fails / 2_000 <= 0.01  # measured about 0.5%


@pytest.mark.parametrize(("n", "after_rate"), [(500, 0.05), (2_000, 0.025)])
def test_error_rule_catches_a_real_rise(n: int, after_rate: float) -> None:
    rng = np.random.default_rng(n)
    before = rng.binomial(n, 0.005, size=1_000)
    after = rng.binomial(n, after_rate, size=1_000)
    fails = sum(
        error_verdict(int(b), int(a), n) is Verdict.FAIL for b, a in zip(before, after, strict=True)
    )
    assert fails / 1_000 >= 0.9
