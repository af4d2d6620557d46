"""Cold starts read from Lambda's REPORT lines (``router.analysis.coldstarts``)."""

from __future__ import annotations

import dataclasses
import time

import pytest
from moto import mock_aws

from router.analysis.coldstarts import ReportSource, cold_flags, parse_reports
from router.analysis.model import SampleSet
from router.analysis.service import _with_cold_flags
from router.analysis.sources import RequestSample
from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext

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


def test_a_failed_cold_start_still_counts() -> None:
    failed = COLD + "\tStatus: timeout\tError Type: Runtime.Timeout"
    assert parse_reports([failed.replace("aaa", "ccc")]).init_ms == {"ccc": 340.5}


def test_cold_flags_follow_the_request_ids() -> None:
    cold = parse_reports([COLD, WARM])
    assert cold_flags(["bbb", "aaa", None], cold) == (False, True, False)


def test_cold_flags_are_unknown_when_no_id_matches() -> None:
    """On AWS the access log's request id is API Gateway's, not Lambda's."""
    assert cold_flags(["x", "y"], parse_reports([COLD, WARM])) is None
    assert parse_reports([]).share is None


def test_report_source_reads_the_functions_group(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        logs = CloudWatchLogs(AwsContext(region="us-east-1"))
        logs.ensure_group("/aws/lambda/fn")
        logs.ensure_stream("/aws/lambda/fn", "2026/12/03/[$LATEST]0")
        now = int(time.time() * 1000)  # CloudWatch Logs refuses events over 14 days old
        events = [(now - 2000, COLD), (now - 1000, WARM)]
        logs.put_events("/aws/lambda/fn", "2026/12/03/[$LATEST]0", events)
        cold = ReportSource(logs).fetch("fn", now - 5000, now)
    assert (cold.invocations, cold.cold) == (2, 1)


def test_the_after_side_gets_cold_flags_by_request_id() -> None:
    samples = [RequestSample(1, 5.0, None, 200, "lambda", request_id=rid) for rid in "ab"]
    samples[0] = dataclasses.replace(samples[0], request_id="aaa", latency_ms=400.0)
    after = SampleSet("after", (400.0, 5.0), (200, 200), "access-log")
    flagged = _with_cold_flags(after, samples, parse_reports([COLD, WARM]))
    assert isinstance(flagged, SampleSet) and flagged.cold == (True, False)
    assert _with_cold_flags(after, samples, None) is after
