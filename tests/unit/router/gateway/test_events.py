"""The proxy event and context a handler receives, against AWS's documented sample."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from router.gateway.events import LambdaContext, request_time
from tests.unit.router.gateway.conftest import Rig, lam

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
    headers = [("Accept", "a"), ("X-Tag", "1"), ("X-Tag", "2")]
    event = echo(rig(lam("GET", "/a")), "GET", "/a", headers=headers)["event"]
    assert event["headers"] == {"Accept": "a", "X-Tag": "2"}
    assert event["multiValueHeaders"] == {"Accept": ["a"], "X-Tag": ["1", "2"]}


def test_text_body_is_a_string(rig: Callable[..., Rig]) -> None:
    headers = [("Content-Type", "application/json")]
    body = b'{"k": "\xc3\xa9"}'
    event = echo(rig(lam("POST", "/a")), "POST", "/a", headers=headers, body=body)["event"]
    assert event["body"] == '{"k": "é"}' and event["isBase64Encoded"] is False


def test_binary_bodies_are_base64(rig: Callable[..., Rig]) -> None:
    r = rig(lam("POST", "/a"))
    raw = b"\x89PNG\x00\xff\xfe"
    event = echo(r, "POST", "/a", body=raw)["event"]  # not UTF-8
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    typed = [("Content-Type", "application/octet-stream")]
    event = echo(r, "POST", "/a", body=b"plain ascii", headers=typed)["event"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"plain ascii"


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
