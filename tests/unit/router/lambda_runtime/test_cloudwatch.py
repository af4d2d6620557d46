"""Lambda's log lines to CloudWatch Logs (``router.lambda_runtime.cloudwatch``), through
moto's in-process CloudWatch Logs: one group per function, a stream per environment."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto import mock_aws

from router.aws.logs import CloudWatchLogs
from router.aws.session import AwsContext
from router.lambda_runtime.cloudwatch import LambdaLogShipper
from router.lambda_runtime.reports import InvocationRecord, log_invocation
from router.lambda_runtime.sandbox import log_stream_name

STREAM = log_stream_name(0.0)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[CloudWatchLogs]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield CloudWatchLogs(AwsContext(region="us-east-1"))


def test_stream_names_look_like_lambdas() -> None:
    day, _, tail = STREAM.rpartition("/")
    assert day == "1970/01/01" and tail.startswith("[$LATEST]") and len(tail) == 9 + 32


def test_report_lines_and_output_reach_the_functions_group(logs: CloudWatchLogs) -> None:
    shipper = LambdaLogShipper(logs, autostart=False)
    runtime = logging.getLogger("router.lambda_runtime")
    runtime.addHandler(shipper)
    runtime.setLevel(logging.INFO)
    try:
        record = InvocationRecord("fn", "rid-1", "ok", 2.5, 256, 40, True, 300.0, None, STREAM)
        log_invocation(record)
        extra = {"lambda_log_group": "/aws/lambda/fn", "lambda_log_stream": STREAM}
        logging.getLogger("router.lambda_runtime.function.fn").info("hello", extra=extra)
        logging.getLogger("router.lambda_runtime.report").info("untagged: not shipped")
    finally:
        shipper.close()
        runtime.setLevel(logging.NOTSET)
    messages = [e.message for e in logs.filter_events("/aws/lambda/fn")]
    assert messages[0] == "START RequestId: rid-1 Version: $LATEST"
    assert messages[1] == "END RequestId: rid-1"
    assert (
        messages[2].startswith("REPORT RequestId: rid-1\t")
        and "Init Duration: 300.00 ms" in (messages[2])
    )
    assert messages[3] == "hello" and len(messages) == 4
    assert {e.stream for e in logs.filter_events("/aws/lambda/fn")} == {STREAM}
    assert (shipper.published, shipper.dropped) == (4, 0)


def test_a_full_queue_drops_and_counts(logs: CloudWatchLogs) -> None:
    shipper = LambdaLogShipper(logs, autostart=False, max_queue=1)
    extra = {"lambda_log_group": "/aws/lambda/fn", "lambda_log_stream": STREAM}
    for n in range(3):
        shipper.handle(logging.makeLogRecord({"msg": f"line {n}", "levelno": 20, **extra}))
    shipper.close()
    assert (shipper.published, shipper.dropped) == (1, 2)
