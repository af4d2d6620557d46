"""The proxy event against AWS's published sample events: same keys, same value types,
null where AWS sends null.

Key sets and types below are written from (read, not copied into the repository):

* aws-sam-cli ``samcli/lib/generated_sample_events/events/apigateway/AwsProxy.json``
* aws-lambda-go ``events/testdata/apigw-request.json``
* powertools-lambda-python ``tests/events/apiGatewayProxyEvent.json`` (its ``version``
  key and ``$default`` stage come from an HTTP API's 1.0 payload, not a REST API's,
  so ``version`` is not expected; its ``clientCert`` only comes with mutual TLS)

All three carry ``Host`` and (SAM, Go) ``X-Forwarded-For``/``-Port``/``-Proto``; the
``CloudFront-*``, ``Via`` and ``X-Amz-Cf-Id`` headers are an edge-optimized endpoint's
and are not emulated.
"""

from __future__ import annotations

from typing import Any

import pytest

from router.gateway.events import ApiInfo, EventInput, build_event
from router.gateway.messages import GatewayRequest

Json = Any
STR, INT, BOOL, DICT, NONE = str, int, bool, dict, type(None)

TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "resource": (STR,), "path": (STR,), "httpMethod": (STR,), "headers": (DICT,),
    "multiValueHeaders": (DICT,), "queryStringParameters": (DICT, NONE),
    "multiValueQueryStringParameters": (DICT, NONE), "pathParameters": (DICT, NONE),
    "stageVariables": (DICT, NONE), "requestContext": (DICT,), "body": (STR, NONE),
    "isBase64Encoded": (BOOL,),
}  # fmt: skip
REQUEST_CONTEXT: dict[str, tuple[type, ...]] = {
    "accountId": (STR,), "resourceId": (STR,), "stage": (STR,), "requestId": (STR,),
    "requestTime": (STR,), "requestTimeEpoch": (INT,), "identity": (DICT,), "path": (STR,),
    "resourcePath": (STR,), "httpMethod": (STR,), "apiId": (STR,), "protocol": (STR,),
    "domainName": (STR,), "domainPrefix": (STR,), "extendedRequestId": (STR,),
}  # fmt: skip
# SAM's identity keys, plus aws-lambda-go's apiKey/apiKeyId and Powertools' principalOrgId.
IDENTITY_NULLS = {
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey",
    "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user",
    "apiKey", "apiKeyId", "principalOrgId",
}  # fmt: skip
ALWAYS_HEADERS = {"Host", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"}

API = ApiInfo("prod", "abc123", "us-east-1")


def event_of(
    request: GatewayRequest, query: str = "", params: dict[str, str] | None = None
) -> Json:
    path = request.target.partition("?")[0]
    match = EventInput(path, query, "/items/{id}", params or {}, "req-1", 1_700_000_000_000)
    return build_event(request, match, API)


BARE = GatewayRequest("GET", "/items/1", protocol="HTTP/1.0")
FULL = GatewayRequest(
    "POST", "/items/1?a=1&a=2",
    [("Host", "api.example:8443"), ("User-Agent", "ua"), ("Content-Type", "application/json")],
    b'{"a": 1}',
)  # fmt: skip


@pytest.mark.parametrize("event", [event_of(BARE), event_of(FULL, "a=1&a=2", {"id": "1"})])
def test_keys_and_value_types_match_the_samples(event: Json) -> None:
    assert set(event) == set(TOP_LEVEL)
    for key, types in TOP_LEVEL.items():
        assert isinstance(event[key], types), key
    context = event["requestContext"]
    assert set(context) == set(REQUEST_CONTEXT) | {"identity"}
    for key, types in REQUEST_CONTEXT.items():
        assert isinstance(context[key], types) and not isinstance(context[key], bool), key
    identity = context["identity"]
    assert set(identity) == IDENTITY_NULLS | {"sourceIp", "userAgent"}
    assert all(identity[k] is None for k in IDENTITY_NULLS)
    assert isinstance(identity["sourceIp"], str)


@pytest.mark.parametrize("event", [event_of(BARE), event_of(FULL, "a=1&a=2", {"id": "1"})])
def test_header_maps_are_string_maps_with_the_headers_every_sample_has(event: Json) -> None:
    headers, multi = event["headers"], event["multiValueHeaders"]
    assert set(headers) >= ALWAYS_HEADERS and set(multi) == set(headers)
    for name, value in headers.items():
        assert isinstance(value, str) and multi[name][-1] == value
        assert all(isinstance(v, str) for v in multi[name])


def test_null_where_aws_sends_null() -> None:
    event = event_of(BARE)
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                "stageVariables", "body"):  # fmt: skip
        assert event[key] is None, key
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["identity"]["userAgent"] is None


def test_filled_values_have_the_samples_shapes() -> None:
    event = event_of(FULL, "a=1&a=2", {"id": "1"})
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["pathParameters"] == {"id": "1"} and event["body"] == '{"a": 1}'
    context = event["requestContext"]
    assert context["path"] == "/prod/items/1" and context["resourcePath"] == "/items/{id}"
    assert context["requestTime"] == "14/Nov/2023:22:13:20 +0000"  # "09/Apr/2015:12:34:56 +0000"
    assert context["identity"]["userAgent"] == "ua"
    assert event["headers"]["X-Forwarded-Port"] == "8443"
