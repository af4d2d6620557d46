"""Cold starts read from Lambda's REPORT lines (``router.analysis.coldstarts``)."""

from __future__ import annotations

from router.analysis.coldstarts import cold_flags, parse_reports

COLD = (
    "REPORT RequestId: aaa\tDuration: 12.00 ms\tBilled Duration: 12 ms\tMemory Size: 256 MB"
    "\tMax Memory Used: 50 MB\tInit Duration: 340.50 ms"
)
WARM = (
    "REPORT RequestId: bbb\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB"
    "\tMax Memory Used: 50 MB"
)


def test_reports_count_invocations_and_cold_starts() -> None:
    lines = [COLD, "START RequestId: aaa Version: $LATEST", WARM, "END RequestId: bbb"]
    cold = parse_reports(lines)
    assert (cold.invocations, cold.cold, cold.init_ms) == (2, 1, {"aaa": 340.5})
    assert cold.share == 0.5
    assert cold.init_percentile(0.5) == 340.5
    assert "1 of 2 invocations (50.0%), Init Duration p50 340 ms, max 340 ms" in cold.describe()
    assert cold.summary()["cold_starts"] == 1


def test_cold_flags_follow_the_request_ids() -> None:
    cold = parse_reports([COLD, WARM])
    assert cold_flags(["bbb", "aaa", None], cold) == (False, True, False)


def test_cold_flags_are_unknown_when_no_id_matches() -> None:
    """On AWS the access log's request id is API Gateway's, not Lambda's."""
    assert cold_flags(["x", "y"], parse_reports([COLD, WARM])) is None
    assert parse_reports([]).share is None
