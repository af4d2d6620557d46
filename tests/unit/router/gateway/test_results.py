"""Lambda proxy result -> HTTP response, and the 502 for malformed results."""

from __future__ import annotations

import base64

import pytest

from router.gateway.results import MalformedResult, map_result


def test_headers_and_multi_value_headers_merge() -> None:
    resp = map_result({
        "statusCode": 201,
        "headers": {"X-One": "1", "X-Both": "h", "X-Num": 3},
        "multiValueHeaders": {"x-both": ["m1", "m2"], "Set-Cookie": ["a=1", "b=2"]},
        "body": "ok",
    })  # fmt: skip
    assert resp.status == 201 and resp.body == b"ok"
    assert resp.headers == [
        ("X-One", "1"), ("X-Num", "3"), ("x-both", "m1"), ("x-both", "m2"),
        ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
    ]  # fmt: skip


def test_base64_body_is_decoded() -> None:
    body = base64.b64encode(b"\x00\xffbin").decode()
    resp = map_result({"statusCode": 200, "body": body, "isBase64Encoded": True})
    assert resp.body == b"\x00\xffbin"


def test_minimal_result() -> None:
    resp = map_result({"statusCode": 204})
    assert (resp.status, resp.headers, resp.body) == (204, [], b"")


@pytest.mark.parametrize(
    "result",
    [
        None,
        "a string",
        [1, 2],
        {"body": "no status"},
        {"statusCode": "200"},
        {"statusCode": True},
        {"statusCode": 99},
        {"statusCode": 200, "body": {"a": 1}},
        {"statusCode": 200, "cookies": ["a=1"]},
        {"statusCode": 200, "statusDescription": "OK"},
        {"statusCode": 200, "headers": ["X-A"]},
        {"statusCode": 200, "headers": {"X-A": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        {"statusCode": 200, "isBase64Encoded": "yes"},
    ],
)
def test_malformed_results(result: object) -> None:
    with pytest.raises(MalformedResult):
        map_result(result)


def test_header_values_cannot_inject_lines() -> None:
    resp = map_result({"statusCode": 200, "headers": {"X-A": "a\r\nSet-Cookie: evil"}})
    assert resp.headers == [("X-A", "a  Set-Cookie: evil")]
