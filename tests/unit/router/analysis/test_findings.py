"""router.analysis.findings: cold starts and new error classes in a comparison."""

from __future__ import annotations

import numpy as np

from router.analysis.model import SampleSet, Verdict
from router.analysis.verdict import compare
from router.manifest.model import Thresholds

from ._synthetic import pair


def with_cold(side: SampleSet, share: float, added_ms: float, seed: int) -> SampleSet:
    rng = np.random.default_rng(seed)
    cold = rng.random(side.count) < share
    latencies = np.asarray(side.latencies_ms) + np.where(cold, added_ms, 0.0)
    return SampleSet(
        side.label, tuple(latencies.tolist()), side.statuses, side.source, side.window,
        cold=tuple(bool(c) for c in cold),
    )  # fmt: skip


def test_cold_starts_are_reported_without_bounds() -> None:
    before, after = pair(1, 2_000)
    comparison = compare(before, with_cold(after, 0.02, 800.0, 1))
    share = comparison.row("cold_start_share")
    added = comparison.row("cold_start_added_ms")
    assert share.verdict is Verdict.INFO and 0.01 < (share.after or 0) < 0.03
    assert share.before is None  # the before side carries no flags
    assert added.verdict is Verdict.INFO and 700 < (added.change or 0) < 900
    assert comparison.verdict is Verdict.FAIL  # the p99 catches them anyway


def test_cold_start_bounds_decide() -> None:
    before, after = pair(2, 2_000)
    cold = with_cold(after, 0.05, 300.0, 2)
    loose = Thresholds(
        cold_start_max_share=0.10,
        cold_start_max_added_ms=1_000.0,
        latency_p99_max_increase=5.0,
        latency_trimmed_mean_max_increase=1.0,
        latency_p90_max_increase=1.0,
    )
    assert compare(before, cold, loose).verdict is Verdict.PASS
    tight = loose.model_copy(update={"cold_start_max_share": 0.01})
    tight_compare = compare(before, cold, tight)
    assert tight_compare.row("cold_start_share").verdict is Verdict.FAIL
    slow = loose.model_copy(update={"cold_start_max_added_ms": 100.0})
    assert compare(before, cold, slow).row("cold_start_added_ms").verdict is Verdict.FAIL


def test_no_cold_flags_no_cold_rows() -> None:
    before, after = pair(3, 500)
    metrics = [row.metric for row in compare(before, after).rows]
    assert "cold_start_share" not in metrics


def test_a_new_error_class_is_reported() -> None:
    before, after = pair(4, 2_000)
    statuses = list(after.statuses)
    for i in range(0, 2_000, 150):  # 14 x 502, a status the monolith never answered
        statuses[i] = 502
    broken = SampleSet(after.label, after.latencies_ms, tuple(statuses), after.source)
    comparison = compare(before, broken)
    assert [c.status for c in comparison.new_error_classes] == [502]
    assert any(note.startswith("new error class 502: 14 requests") for note in comparison.notes)
    assert compare(before, after).new_error_classes == ()
