"""router.analysis.judge_samples: the public entry point on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest

import router.analysis as analysis
from router.analysis import judge_samples
from router.analysis.model import Verdict
from router.errors import UsageError

HOUR = 3_600_000


def arrays(seed: int, scale: float = 1.0, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.lognormal(4.4, 0.5, n) * scale, np.where(rng.random(n) < 0.005, 503, 200)


def test_plain_arrays_give_the_verdict_object() -> None:
    before, after = arrays(1), arrays(2, 1.5)
    result = judge_samples(*before, *after)
    assert result.verdict is Verdict.FAIL and result.exit_code == 1
    assert judge_samples(*before, *arrays(3)).verdict is Verdict.PASS
    lists = judge_samples(before[0].tolist(), before[1].tolist(), *after)
    assert lists.verdict is Verdict.FAIL


def test_thresholds_as_a_mapping_and_seeded() -> None:
    before, after = arrays(1), arrays(2, 1.3)
    loose = {
        "latency_p50_max_increase": 1.0,
        "latency_p90_max_increase": 1.0,
        "latency_trimmed_mean_max_increase": 1.0,
        "latency_p99_max_increase": 1.0,
    }
    assert judge_samples(*before, *after, loose).verdict is Verdict.PASS
    assert judge_samples(*before, *after, seed=5) == judge_samples(*before, *after, seed=5)
    with pytest.raises(UsageError, match="thresholds"):
        judge_samples(*before, *after, {"latency_p90_max_increase": -1})


def test_cold_flags_and_windows_pass_through() -> None:
    before, after = arrays(1), arrays(2)
    cold = [i % 50 == 0 for i in range(500)]
    result = judge_samples(
        *before, *after, after_cold=cold, before_window=(0, HOUR), after_window=(2 * HOUR, 3 * HOUR)
    )
    assert result.row("cold_start_share").after == pytest.approx(0.02)
    assert {c.name for c in result.confounders} == {
        "request_rate_ratio",
        "hours_apart",
        "baseline_age_hours",
    }


@pytest.mark.parametrize(
    ("latencies", "statuses", "message"),
    [
        ([1.0, -2.0], [200, 200], "latencies"),
        ([1.0, 2.0], [200], "statuses"),
        ([1.0, 2.0], [200, 700], "HTTP status"),
        ([1.0, 2.0], [200, 200.5], "whole numbers"),
        (["x"], [200], "before samples"),
    ],
)
def test_bad_arrays_are_usage_errors(
    latencies: list[object], statuses: list[object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        judge_samples(latencies, statuses, [1.0], [200])  # type: ignore[arg-type]


def test_exported_lazily_from_the_package() -> None:
    assert "judge_samples" in analysis.__all__
    assert analysis.judge_samples is judge_samples
