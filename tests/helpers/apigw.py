"""Test doubles for the Lambda runtime: API Gateway REST proxy events and a context.

``api_event`` builds a realistic payload-format-1.0 event the way API Gateway
does: ``queryStringParameters`` keeps the LAST value of a repeated key,
``multiValueQueryStringParameters`` keeps them all, path parameters are the
decoded segments matched by ``resource``. ``Outcome`` reduces a Flask response
or a Lambda proxy response to what parity compares.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from werkzeug.test import TestResponse

__all__ = ["FakeContext", "Outcome", "api_event", "path_parameters"]

STAGE = "prod"
API_ID = "a1b2c3d4e5"
HOST = f"{API_ID}.execute-api.us-east-1.amazonaws.com"


@dataclass
class FakeContext:
    """The attributes of ``awslambdaric``'s LambdaContext that handlers may use."""

    function_name: str = "strangler-test-function"
    memory_limit_in_mb: int = 256
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:strangler-test-function"
    )
    log_group_name: str = "/aws/lambda/strangler-test-function"
    log_stream_name: str = "2024/06/01/[$LATEST]0123456789abcdef"
    function_version: str = "$LATEST"
    timeout_s: float = 10.0
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_s - time.monotonic()) * 1000))


def path_parameters(resource: str, path: str) -> dict[str, str] | None:
    """``{name}`` segments of ``resource`` taken from ``path`` (decoded), None if none."""
    params: dict[str, str] = {}
    r_parts, p_parts = resource.strip("/").split("/"), path.strip("/").split("/")
    assert len(r_parts) == len(p_parts), (resource, path)
    for template, segment in zip(r_parts, p_parts, strict=True):
        if template.startswith("{") and template.endswith("}"):
            params[template[1:-1]] = unquote(segment)
        else:
            assert template == segment, (resource, path)
    return params or None


def _query(query: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        multi.setdefault(key, []).append(value)
    if not multi:
        return None, None
    return {key: values[-1] for key, values in multi.items()}, multi


def _encode_body(body: bytes | str | None, base64_body: bool) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``: non-UTF-8 bytes travel as base64."""
    if body is None:
        return None, False
    raw = body.encode("utf-8") if isinstance(body, str) else body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        base64_body = True
    if base64_body:
        return base64.b64encode(raw).decode("ascii"), True
    return text, False


def _request_context(method: str, resource: str, path: str) -> dict[str, Any]:
    now = time.time()
    return {
        "resourceId": "r3s0urc3",
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": "AbCdEfGhIjKlMnO=",
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": f"/{STAGE}{path}",
        "accountId": "123456789012",
        "protocol": "HTTP/1.1",
        "stage": STAGE,
        "domainPrefix": API_ID,
        "requestTimeEpoch": int(now * 1000),
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest", "caller": None},
        "domainName": HOST,
        "apiId": API_ID,
    }


def api_event(
    method: str,
    resource: str,
    path: str,
    *,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event for ``method path?query``."""
    all_headers = {"Host": HOST, "User-Agent": "pytest", "X-Forwarded-Proto": "https"}
    all_headers.update(headers or {})
    single, multi = _query(query)
    encoded_body, is_base64 = _encode_body(body, base64_body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
        "pathParameters": path_parameters(resource, path),
        "stageVariables": None,
        "requestContext": _request_context(method, resource, path),
        "body": encoded_body,
        "isBase64Encoded": is_base64,
    }


@dataclass(frozen=True)
class Outcome:
    """What parity compares: status, exact body bytes, Content-Type, Location."""

    status: int
    body: bytes
    content_type: str | None
    location: str | None

    @classmethod
    def of_flask(cls, resp: TestResponse) -> Outcome:
        headers = resp.headers
        return cls(
            resp.status_code, resp.get_data(), headers.get("Content-Type"), headers.get("Location")
        )

    @classmethod
    def of_lambda(cls, resp: dict[str, Any]) -> Outcome:
        assert set(resp) <= {
            "statusCode",
            "headers",
            "multiValueHeaders",
            "body",
            "isBase64Encoded",
        }
        assert isinstance(resp["statusCode"], int) and isinstance(resp["body"], str)
        assert all(isinstance(v, str) for v in resp["headers"].values())
        body = resp["body"]
        raw = base64.b64decode(body) if resp["isBase64Encoded"] else body.encode("utf-8")
        headers = {key.lower(): value for key, value in resp["headers"].items()}
        return cls(resp["statusCode"], raw, headers.get("content-type"), headers.get("location"))
