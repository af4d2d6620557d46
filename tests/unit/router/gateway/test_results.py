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
        ("Content-Type", "application/json"), ("X-One", "1"), ("X-Num", "3"),
        ("x-both", "m1"), ("x-both", "m2"),
        ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
    ]  # fmt: skip


def test_base64_body_is_decoded_for_a_client_accepting_binary() -> None:
    body = base64.b64encode(b"\x00\xffbin").decode()
    result = {"statusCode": 200, "body": body, "isBase64Encoded": True}
    assert map_result(result, binary_response=True).body == b"\x00\xffbin"


def test_base64_body_stays_text_for_a_client_not_accepting_binary() -> None:
    # "Return binary media from a Lambda proxy integration": API Gateway decodes only
    # when the client's first Accept type is a binary media type; else the base64 text.
    body = base64.b64encode(b"\x00\xffbin").decode()
    result = {"statusCode": 200, "body": body, "isBase64Encoded": True}
    assert map_result(result).body == body.encode()


def test_minimal_result() -> None:
    resp = map_result({"statusCode": 204})
    assert (resp.status, resp.headers, resp.body) == (
        204,
        [("Content-Type", "application/json")],
        b"",
    )


def test_no_content_type_gets_application_json() -> None:
    resp = map_result({"statusCode": 200, "body": "{}"})
    assert resp.headers == [("Content-Type", "application/json")]
    resp = map_result({"statusCode": 200, "headers": {"content-type": "text/plain"}})
    assert resp.headers == [("content-type", "text/plain")]


@pytest.mark.parametrize(("value", "status"), [("201", 201), ("404", 404), (302, 302)])
def test_status_code_as_a_string_of_digits(value: object, status: int) -> None:
    assert map_result({"statusCode": value}).status == status


def test_framing_headers_are_remapped_or_dropped() -> None:
    resp = map_result({
        "statusCode": 200,
        "headers": {"Content-Length": "2", "Connection": "keep-alive", "Date": "d",
                    "Server": "gunicorn", "Transfer-Encoding": "chunked", "X-Ok": "1"},
        "multiValueHeaders": {"content-length": ["2"]},
        "body": "ok",
    })  # fmt: skip
    assert resp.headers == [
        ("Content-Type", "application/json"),
        ("x-amzn-Remapped-Connection", "keep-alive"), ("x-amzn-Remapped-Date", "d"),
        ("x-amzn-Remapped-Server", "gunicorn"), ("X-Ok", "1"),
        ("x-amzn-Remapped-content-length", "2"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "result",
    [
        None,
        "a string",
        [1, 2],
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": "20x"},
        {"statusCode": " 200"},
        {"statusCode": "2.0"},
        {"statusCode": "99"},
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
    assert resp.headers[1:] == [("X-A", "a  Set-Cookie: evil")]
