"""START/END/REPORT lines as Lambda writes them."""

from __future__ import annotations

import logging

import pytest

from router.lambda_runtime.reports import InvocationRecord, log_invocation, report_line


def _record(**fields: object) -> InvocationRecord:
    base: dict[str, object] = {
        "function": "fn", "request_id": "r-1", "status": "ok", "duration_ms": 12.3456,
        "memory_mb": 128, "max_memory_mb": 40, "cold": False,
    }  # fmt: skip
    base.update(fields)
    return InvocationRecord(**base)  # type: ignore[arg-type]


def test_warm_report_has_no_init_duration_and_bills_per_ms_rounded_up() -> None:
    assert report_line(_record()) == (
        "REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB"
    )


def test_cold_report_has_init_duration_and_failures_their_status() -> None:
    line = report_line(_record(cold=True, init_duration_ms=250.0, status="timeout"))
    assert line.endswith("\tInit Duration: 250.00 ms\tStatus: timeout")
    oom = report_line(_record(status="oom", error_type="Runtime.OutOfMemory"))
    assert oom.endswith("\tStatus: oom\tError Type: Runtime.OutOfMemory")
    assert _record(duration_ms=0.2).billed_ms == 1


def test_log_invocation_tags_lines_with_the_log_group(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="router.lambda_runtime.report"):
        log_invocation(_record())
    assert [r.getMessage().split(" ")[0] for r in caplog.records] == ["START", "END", "REPORT"]
    assert {r.__dict__["lambda_log_group"] for r in caplog.records} == {"/aws/lambda/fn"}
