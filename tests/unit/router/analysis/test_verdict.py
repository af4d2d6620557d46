"""router.analysis.verdict: the rules, the rows, aggregates, modes and determinism."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from router.analysis import compare as lazy_compare
from router.analysis.evidence import Evidence
from router.analysis.model import (
    AggregateFigures,
    Interval,
    Limits,
    SampleSet,
    Verdict,
    exit_code,
)
from router.analysis.verdict import NO_RAW_SAMPLES, Signals, compare, judge, signals
from router.errors import UsageError
from router.manifest.model import Thresholds

from ._synthetic import WINDOW, pair, service

METRICS = [
    "samples",
    "latency_p50",
    "latency_p90",
    "latency_p99",
    "latency_mean",
    "latency_trimmed_mean",
    "error_rate_5xx",
    "error_rate_4xx",
]
QUIET = Signals(significant=False, strong=False)
SIGNIFICANT = Signals(significant=True, strong=False)
DECISIVE = Signals(significant=True, strong=False, decisive=True)
UNTESTED = Signals(significant=None, strong=False)


def aggregate(
    count: int = 5000, p50: float = 80.0, p90: float = 150.0, **fields: object
) -> AggregateFigures:
    values: dict[str, object] = {
        "p99": 260.0,
        "mean": 95.0,
        "errors_4xx": 50,
        "errors_5xx": 25,
        "source": "metrics",
        "label": "before (metrics)",
    }
    values.update(fields)
    return AggregateFigures(count, p50, p90, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "evidence", "enough", "expected"),
    [
        (0.05, QUIET, True, Verdict.PASS),
        (0.15, SIGNIFICANT, True, Verdict.PASS),  # significant but tolerated
        (0.15, Signals(True, strong=True, decisive=True), True, Verdict.INCONCLUSIVE),
        (0.30, DECISIVE, True, Verdict.FAIL),
        (0.30, SIGNIFICANT, True, Verdict.INCONCLUSIVE),  # some evidence, not enough
        (0.30, QUIET, True, Verdict.PASS),  # past the limit, but within the noise
        (0.30, SIGNIFICANT, False, Verdict.INCONCLUSIVE),
        (-0.5, QUIET, False, Verdict.INCONCLUSIVE),
        (None, QUIET, True, Verdict.INCONCLUSIVE),
    ],
)
def test_judge(change: float | None, evidence: Signals, enough: bool, expected: Verdict) -> None:
    assert judge(change, 0.2, evidence, enough) is expected


def evidence(p: float, low: float, high: float, bootstrap_p: float | None = None) -> Evidence:
    interval = Interval(low, high, 0.9)
    return Evidence(1.0, 1.0, 0.0, None, interval, p, "mann-whitney-u", bootstrap_p)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (evidence(0.01, 0.05, 0.4), Signals(True, strong=False)),
        (evidence(0.001, 0.05, 0.4), Signals(True, strong=True, decisive=True)),
        (evidence(0.001, 0.05, 0.15), Signals(True, strong=False, decisive=True)),  # within
        (evidence(0.001, -0.01, 0.4), Signals(True, strong=False, decisive=True)),  # CI at 0
        (evidence(0.2, 0.05, 0.4, 0.001), Signals(False, strong=False)),  # the row's own test
        (Evidence(1.0, 1.3, 0.3), Signals(None, strong=False)),  # no test possible
    ],
)
def test_signals(found: Evidence, expected: Signals) -> None:
    assert signals(found, 0.2, 0.05) == expected


def test_rows_and_shape() -> None:
    before, after = pair(1, 500)
    comparison = compare(before, after)
    assert [row.metric for row in comparison.rows] == METRICS
    decides = {row.metric for row in comparison.rows if row.decides}
    assert decides == {
        "samples",
        "latency_p50",
        "latency_p90",
        "latency_p99",
        "latency_trimmed_mean",
        "error_rate_5xx",
    }
    assert all(row.verdict is Verdict.INFO for row in comparison.rows if not row.decides)
    p90 = comparison.row("latency_p90")
    assert p90.test in {"mann-whitney-u", "quantile-exceedance"}
    assert comparison.row("latency_trimmed_mean").test == "yuen-trimmed-t"
    assert p90.after_ci is not None and p90.after_ci.contains(p90.after or 0)
    assert p90.change_ci is not None and p90.change_ci.level == pytest.approx(0.9)
    assert comparison.row("error_rate_5xx").test in {"fisher-exact", "pooled-z-test"}
    assert comparison.ci_level == pytest.approx(0.9)
    assert comparison.before.raw and comparison.before.window == WINDOW
    with pytest.raises(KeyError):
        comparison.row("latency_p75")


def test_a_clear_regression_fails_with_reasons() -> None:
    before, after = pair(2, 500, scale=1.5, after_error_rate=0.08)
    comparison = compare(before, after)
    assert comparison.verdict is Verdict.FAIL
    assert comparison.exit_code == 1
    assert {r.split(":")[0] for r in comparison.reasons} == {
        "latency p50",
        "latency p90",
        "latency trimmed mean",
        "5XX rate",
    }
    assert "significant increase" in comparison.row("latency_p90").reason


def test_an_absolute_floor_lets_a_small_increase_pass() -> None:
    """+50% of an 80 ms p50 is +40 ms: under a 100 ms floor (limit 125%) it passes,
    and the p50 row shows the raised limit; without the floor it fails."""
    before, after = pair(2, 500, scale=1.5)
    assert compare(before, after).verdict is Verdict.FAIL
    floored = compare(before, after, Thresholds(latency_min_increase_ms=100.0))
    assert floored.verdict is Verdict.PASS
    row = floored.row("latency_p50")
    assert row.before is not None and row.threshold == pytest.approx(100.0 / row.before)


def test_an_absolute_floor_still_fails_a_large_increase() -> None:
    before, after = pair(2, 500, scale=3.0)
    comparison = compare(before, after, Thresholds(latency_min_increase_ms=100.0))
    assert comparison.verdict is Verdict.FAIL
    assert "latency p50" in {r.split(":")[0] for r in comparison.reasons}


def test_a_pass_says_so() -> None:
    before, after = pair(3, 500)
    comparison = compare(before, after)
    assert comparison.verdict is Verdict.PASS
    assert comparison.exit_code == 0
    assert comparison.reasons == ("every deciding figure is within its threshold",)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no NaN interval from one sample
@settings(max_examples=25)
@given(
    st.integers(0, 49),
    st.integers(0, 400),
    st.floats(0.1, 10.0),
    st.floats(0.0, 1.0),
)
@example(1, 1, 1.0, 0.0)
@example(1, 0, 1.0, 1.0)
def test_too_few_samples_is_never_a_pass_nor_a_fail(
    small: int, other: int, scale: float, errors: float
) -> None:
    rng = np.random.default_rng(small)
    before = service(rng, small, label="before")
    after = service(rng, other, scale=scale, error_rate=errors, label="after")
    comparison = compare(before, after, n_resamples=200)
    assert comparison.verdict is Verdict.INCONCLUSIVE
    assert comparison.reasons[0].startswith("too few samples")


def test_min_samples_comes_from_the_thresholds() -> None:
    before, after = pair(4, 40)
    assert compare(before, after).verdict is Verdict.INCONCLUSIVE
    assert compare(before, after, Thresholds(min_samples=30)).verdict is Verdict.PASS


def test_route_thresholds_are_honoured() -> None:
    before, after = pair(5, 2000, scale=1.3)
    assert compare(before, after).verdict is Verdict.FAIL
    loose = Thresholds(
        latency_p50_max_increase=0.5,
        latency_p90_max_increase=0.5,
        latency_trimmed_mean_max_increase=0.5,
    )
    assert compare(before, after, loose).verdict is Verdict.PASS
    assert Limits.resolve(loose).p90 == 0.5 and Limits.resolve(loose).alpha == 0.05


def test_aggregates_judge_effect_size_only() -> None:
    _, after = pair(6, 500, scale=1.4)
    comparison = compare(aggregate(), after)
    assert NO_RAW_SAMPLES in comparison.notes
    p90 = comparison.row("latency_p90")
    assert (p90.p_value, p90.after_ci, p90.change_ci) == (None, None, None)
    assert p90.verdict is Verdict.FAIL
    assert "effect size only" in p90.reason
    assert comparison.row("error_rate_5xx").p_value is not None  # the rate test still runs
    assert not comparison.before.raw and comparison.after.raw
    assert any("sources differ" in note for note in comparison.notes)


def test_aggregates_on_both_sides() -> None:
    after = aggregate(p50=82.0, p90=160.0, label="after (metrics)", errors_5xx=30)
    comparison = compare(aggregate(), after)
    assert comparison.verdict is Verdict.PASS
    assert comparison.row("latency_p90").change == pytest.approx(160 / 150 - 1)
    assert comparison.row("error_rate_5xx").change == pytest.approx(5 / 5000)


def test_aggregate_without_p99_or_mean() -> None:
    comparison = compare(aggregate(p99=None, mean=None), aggregate())
    assert comparison.row("latency_p99").change is None
    assert comparison.row("latency_mean").before is None


def test_an_empty_side_is_inconclusive() -> None:
    empty = SampleSet("after", (), (), "access-log")
    before, _ = pair(7, 500)
    comparison = compare(before, empty)
    assert comparison.verdict is Verdict.INCONCLUSIVE
    assert comparison.row("latency_p50").after is None
    assert comparison.row("error_rate_5xx").p_value is None


def test_zero_latencies_do_not_break_ratios() -> None:
    zeros = SampleSet("z", (0.0,) * 100, (200,) * 100, "access-log")
    comparison = compare(zeros, zeros)
    assert comparison.row("latency_p50").change == 0.0
    assert comparison.verdict is Verdict.PASS


@pytest.mark.parametrize("mode", ["baseline", "concurrent"])
def test_mode_is_carried(mode: str) -> None:
    before, after = pair(8, 300)
    comparison = compare(before, after, mode=mode)  # type: ignore[arg-type]
    assert comparison.mode == mode
    assert comparison.notes[0].startswith(f"{mode} mode")


def test_concurrent_mode_notes_disjoint_windows() -> None:
    before, after = pair(9, 300)
    later = SampleSet(
        after.label, after.latencies_ms, after.statuses, after.source, (WINDOW[1], WINDOW[1] + 1)
    )
    notes = compare(before, later, mode="concurrent").notes
    assert "concurrent mode, but the two windows do not overlap" in notes


def test_bad_mode_and_alpha_are_usage_errors() -> None:
    before, after = pair(10, 100)
    with pytest.raises(UsageError):
        compare(before, after, mode="canary")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        compare(before, after, Thresholds(alpha=0.6))


def test_deterministic_for_a_seed_and_by_default() -> None:
    before, after = pair(11, 400, scale=1.1)
    first = compare(before, after, rng=np.random.default_rng(42))
    assert first == compare(before, after, rng=np.random.default_rng(42))
    assert compare(before, after) == compare(before, after)
    other = compare(before, after, rng=np.random.default_rng(43))
    assert other.row("latency_p90").change_ci != first.row("latency_p90").change_ci
    assert other.row("latency_p90").change == first.row("latency_p90").change


def test_package_exports_compare_lazily() -> None:
    assert lazy_compare is compare


def test_exit_codes() -> None:
    assert [exit_code(v) for v in (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)] == [0, 1, 3]
    with pytest.raises(ValueError):
        exit_code(Verdict.INFO)


def test_sample_set_validation() -> None:
    with pytest.raises(ValueError):
        SampleSet("x", (1.0, 2.0), (200,), "access-log")
    with pytest.raises(ValueError):
        SampleSet("x", (float("nan"),), (200,), "access-log")
    with pytest.raises(ValueError):
        SampleSet("x", (1.0,), (42,), "access-log")
    with pytest.raises(ValueError):
        SampleSet("x", (1.0,), (200,), "access-log", window=(5, 1))
    with pytest.raises(ValueError):
        aggregate(count=10, errors_5xx=11)
