"""The proxy event and context a handler receives, against AWS's documented sample."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from router.gateway.events import LambdaContext, request_time
from tests.helpers.gateway import Rig, lam

# aws-sam-cli AwsProxy.json / API Gateway developer guide (see /work/shared/FACTS.md)
AWS_TOP_LEVEL = {
    "body", "resource", "path", "httpMethod", "isBase64Encoded", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "headers",
    "multiValueHeaders", "requestContext",
}  # fmt: skip
AWS_REQUEST_CONTEXT = {
    "accountId", "resourceId", "stage", "requestId", "requestTime", "requestTimeEpoch",
    "identity", "path", "resourcePath", "httpMethod", "apiId", "protocol",
}  # fmt: skip
AWS_IDENTITY = {
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey", "sourceIp",
    "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn",
    "userAgent", "user",
}  # fmt: skip


def echo(r: Rig, method: str, target: str, **fields: Any) -> dict[str, Any]:
    resp = r.call(method, target, **fields)
    assert resp.status == 200, resp.body
    echoed: dict[str, Any] = json.loads(resp.body)
    return echoed


def test_event_has_every_documented_key(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/api/users/{id}"))
    headers = [("Host", "localhost:8080"), ("User-Agent", "curl/8")]
    event = echo(r, "GET", "/api/users/5", headers=headers, source_ip="10.1.2.3")["event"]
    assert set(event) >= AWS_TOP_LEVEL
    assert set(event) == AWS_TOP_LEVEL
    ctx = event["requestContext"]
    assert AWS_REQUEST_CONTEXT | {"domainName"} <= set(ctx)
    assert set(ctx["identity"]) >= AWS_IDENTITY
    assert ctx["identity"]["sourceIp"] == "10.1.2.3"
    assert ctx["identity"]["userAgent"] == "curl/8"
    assert ctx["identity"]["caller"] is None
    assert ctx["path"] == "/prod/api/users/5" and event["path"] == "/api/users/5"
    assert ctx["resourcePath"] == "/api/users/{id}"
    assert (ctx["httpMethod"], ctx["stage"]) == ("GET", "prod")
    assert ctx["protocol"] == "HTTP/1.1" and ctx["domainName"] == "localhost:8080"
    assert isinstance(ctx["requestTimeEpoch"], int)


def test_nulls_when_nothing_was_sent(rig: Callable[..., Rig]) -> None:
    event = echo(rig(lam("GET", "/a")), "GET", "/a")["event"]
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                "stageVariables", "body"):  # fmt: skip
        assert event[key] is None, key
    assert event["isBase64Encoded"] is False


def test_repeated_query_keys_last_value_and_all(rig: Callable[..., Rig]) -> None:
    event = echo(rig(lam("GET", "/a")), "GET", "/a?x=1&y=%20z&x=2&x=3&flag")["event"]
    assert event["queryStringParameters"] == {"x": "3", "y": " z", "flag": ""}
    multi = {"x": ["1", "2", "3"], "y": [" z"], "flag": [""]}
    assert event["multiValueQueryStringParameters"] == multi


def test_repeated_headers_last_value_and_all(rig: Callable[..., Rig]) -> None:
    headers = [("Host", "h"), ("Accept", "a"), ("X-Tag", "1"), ("X-Tag", "2")]
    event = echo(rig(lam("GET", "/a")), "GET", "/a", headers=headers)["event"]
    forwarded = {"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Port": "80",
                 "X-Forwarded-Proto": "http"}  # fmt: skip
    assert event["headers"] == {"Host": "h", "Accept": "a", "X-Tag": "2", **forwarded}
    multi = {k: [v] for k, v in forwarded.items()}
    assert event["multiValueHeaders"] == {
        "Host": ["h"],
        "Accept": ["a"],
        "X-Tag": ["1", "2"],
        **multi,
    }


def test_text_body_is_a_string(rig: Callable[..., Rig]) -> None:
    headers = [("Content-Type", "application/json")]
    body = b'{"k": "\xc3\xa9"}'
    event = echo(rig(lam("POST", "/a")), "POST", "/a", headers=headers, body=body)["event"]
    assert event["body"] == '{"k": "é"}' and event["isBase64Encoded"] is False


def test_bodies_are_base64_only_for_binary_media_types(rig: Callable[..., Rig]) -> None:
    # "Binary media types for REST APIs": base64 only when Content-Type matches.
    api = {"binary_media_types": ["image/*", "application/octet-stream"]}
    r = rig(lam("POST", "/a"), api=api)
    raw = b"\x89PNG\x00\xff\xfe"
    for media in ("image/png", "IMAGE/webp; q=1", "application/octet-stream"):
        event = echo(r, "POST", "/a", body=raw, headers=[("Content-Type", media)])["event"]
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    event = echo(r, "POST", "/a", body=b"a=1", headers=[("Content-Type", "text/plain")])["event"]
    assert (event["body"], event["isBase64Encoded"]) == ("a=1", False)


def test_no_binary_media_types_means_text_even_for_binary_bytes(
    rig: Callable[..., Rig],
) -> None:
    # Today's API Gateway default (no binaryMediaTypes): bytes that aren't UTF-8 are
    # mangled, so a binary upload breaks locally exactly as it would when deployed.
    r = rig(lam("POST", "/a"))
    typed = [("Content-Type", "application/octet-stream")]
    event = echo(r, "POST", "/a", body=b"ok\xff", headers=typed)["event"]
    assert (event["body"], event["isBase64Encoded"]) == ("ok\ufffd", False)


def test_wildcard_binary_type_covers_bodies_without_content_type(
    rig: Callable[..., Rig],
) -> None:
    r = rig(lam("POST", "/a"), api={"binary_media_types": ["*/*"]})
    event = echo(r, "POST", "/a", body=b'{"a": 1}')["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b'{"a": 1}'


def test_plus_in_the_query_is_a_space_in_both_maps(rig: Callable[..., Rig]) -> None:
    event = echo(rig(lam("GET", "/a")), "GET", "/a?sort=-+createdAt&a+b=%2B")["event"]
    assert event["queryStringParameters"] == {"sort": "- createdAt", "a b": "+"}
    assert event["multiValueQueryStringParameters"] == {"sort": ["- createdAt"], "a b": ["+"]}


def test_forwarded_headers_like_a_deployed_rest_api(rig: Callable[..., Rig]) -> None:
    headers = [("Host", "127.0.0.1:8080"), ("x-forwarded-proto", "spoofed")]
    event = echo(rig(lam("GET", "/a")), "GET", "/a", headers=headers, source_ip="10.0.0.9")
    sent = event["event"]["headers"]
    assert sent["X-Forwarded-For"] == "10.0.0.9"
    assert (sent["X-Forwarded-Port"], sent["X-Forwarded-Proto"]) == ("8080", "http")
    assert "x-forwarded-proto" not in sent
    multi = event["event"]["multiValueHeaders"]
    assert multi["X-Forwarded-For"] == ["10.0.0.9"] and multi["X-Forwarded-Proto"] == ["http"]


def test_client_forwarded_for_gets_the_client_address_appended(
    rig: Callable[..., Rig],
) -> None:
    headers = [("X-Forwarded-For", "1.2.3.4"), ("Host", "gw.example")]
    event = echo(rig(lam("GET", "/a")), "GET", "/a", headers=headers, source_ip="10.0.0.9")
    sent = event["event"]["headers"]
    assert sent["X-Forwarded-For"] == "1.2.3.4, 10.0.0.9"
    assert sent["X-Forwarded-Port"] == "80"


def test_a_request_without_header_lines_still_has_header_maps(
    rig: Callable[..., Rig],
) -> None:
    event = echo(rig(lam("GET", "/a")), "GET", "/a", protocol="HTTP/1.0")["event"]
    assert event["headers"]["Host"] == "localhost"
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["multiValueHeaders"]["Host"] == ["localhost"]
    assert event["requestContext"]["protocol"] == "HTTP/1.0"


def test_context_object(rig: Callable[..., Rig]) -> None:
    r = rig(lam("GET", "/a", timeout=5))
    out = echo(r, "GET", "/a")
    ctx, event = out["context"], out["event"]
    assert ctx["aws_request_id"] == event["requestContext"]["requestId"]
    assert ctx["function_name"] == "legacy-api-get-a"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["invoked_function_arn"].startswith("arn:aws:lambda:us-east-1:")
    assert ctx["invoked_function_arn"].endswith(":function:legacy-api-get-a")
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["log_group_name"] == "/aws/lambda/legacy-api-get-a"
    assert 4000 < ctx["remaining_ms"] <= 5000


def test_remaining_time_counts_down_with_the_clock() -> None:
    now = [100.0]
    ctx = LambdaContext(
        request_id="r", function_name="f", function_arn="arn", memory_mb=128,
        deadline=103.0, clock=lambda: now[0],
    )  # fmt: skip
    assert ctx.get_remaining_time_in_millis() == 3000
    now[0] = 104.0
    assert ctx.get_remaining_time_in_millis() == 0


def test_request_time_format() -> None:
    assert request_time(1428582896000) == "09/Apr/2015:12:34:56 +0000"
