from __future__ import annotations

import json
import re

import pytest

from router.accesslog import (
    ACCESS_LOG_FIELDS,
    AccessLogFormatError,
    AccessLogRecord,
    access_log_format,
    parse_access_log_line,
)

REQUIRED = {
    "requestId",
    "resourcePath",
    "httpMethod",
    "path",
    "status",
    "responseLatency",
    "integrationLatency",
    "requestTimeEpoch",
    "isCanaryRequest",
    "sourceIp",
    "protocol",
    "responseLength",
}

SAMPLE = {
    "$context.requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "$context.requestTimeEpoch": "1700000000123",
    "$context.stage": "prod",
    "$context.httpMethod": "GET",
    "$context.resourcePath": "/api/users/{id}",
    "$context.path": "/prod/api/users/5",
    "$context.protocol": "HTTP/1.1",
    "$context.identity.sourceIp": "203.0.113.7",
    "$context.status": "200",
    "$context.integration.status": "200",
    "$context.responseLength": "42",
    "$context.responseLatency": "17",
    "$context.integrationLatency": "12",
    "$context.isCanaryRequest": "true",
    "$context.error.responseType": "-",
}
_VARIABLE = re.compile(r"\$context\.[A-Za-z.]+")


def substitute(fmt: str, values: dict[str, str]) -> str:
    """What API Gateway does: replace each ``$context`` variable by its value."""
    return _VARIABLE.sub(lambda m: values[m.group(0)], fmt)


def test_fields_cover_what_the_comparison_needs() -> None:
    assert set(ACCESS_LOG_FIELDS) >= REQUIRED
    assert all(v.startswith("$context.") for v in ACCESS_LOG_FIELDS.values())


def test_format_is_one_line_of_json_in_field_order() -> None:
    fmt = access_log_format()
    assert "\n" not in fmt
    line = json.loads(substitute(fmt, SAMPLE))
    assert list(line) == list(ACCESS_LOG_FIELDS)
    assert set(_VARIABLE.findall(fmt)) == set(ACCESS_LOG_FIELDS.values())


def test_substituted_line_parses_to_typed_record() -> None:
    record = parse_access_log_line(substitute(access_log_format(), SAMPLE))
    assert record == AccessLogRecord(
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        request_time_epoch=1700000000123,
        http_method="GET",
        path="/prod/api/users/5",
        status=200,
        resource_path="/api/users/{id}",
        stage="prod",
        protocol="HTTP/1.1",
        source_ip="203.0.113.7",
        integration_status=200,
        response_length=42,
        response_latency=17,
        integration_latency=12,
        is_canary_request=True,
        error_response_type=None,
    )


def test_dash_means_none() -> None:
    values = {**SAMPLE, "$context.integrationLatency": "-", "$context.isCanaryRequest": "-"}
    values["$context.resourcePath"] = "-"
    record = parse_access_log_line(substitute(access_log_format(), values))
    assert record.integration_latency is None
    assert record.is_canary_request is None
    assert record.resource_path is None


def test_record_is_frozen() -> None:
    record = parse_access_log_line(substitute(access_log_format(), SAMPLE))
    with pytest.raises(AttributeError):
        record.status = 500  # type: ignore[misc]


def test_plain_json_numbers_and_booleans_are_accepted() -> None:
    line = json.dumps(
        {"requestId": "r1", "requestTimeEpoch": 1, "httpMethod": "POST", "path": "/x"}
        | {"status": 502, "responseLatency": 3, "isCanaryRequest": False}
    )
    record = parse_access_log_line(line)
    assert (record.status, record.response_latency, record.is_canary_request) == (502, 3, False)
    assert record.protocol is None


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        '{"requestId": "r", "requestTimeEpoch": "1", "httpMethod": "GET", "path": "/"}',
        '{"requestId": "r", "requestTimeEpoch": "1", "httpMethod": "GET", "path": "/",'
        ' "status": "-"}',
        '{"requestId": "r", "requestTimeEpoch": "x", "httpMethod": "GET", "path": "/",'
        ' "status": "200"}',
        '{"requestId": "r", "requestTimeEpoch": "1", "httpMethod": "GET", "path": "/",'
        ' "status": "200", "isCanaryRequest": "maybe"}',
    ],
)
def test_malformed_lines_raise(text: str) -> None:
    with pytest.raises(AccessLogFormatError):
        parse_access_log_line(text)
