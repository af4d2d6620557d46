"""The API Gateway REST proxy event (payload format 1.0) and the Lambda context object.

``build_event`` produces the event a Lambda proxy integration receives, with the keys
of AWS's documented sample (aws-sam-cli ``AwsProxy.json``; API Gateway developer guide,
"Input format of a Lambda function for proxy integration"), and what deployed REST APIs
add to every event: ``X-Forwarded-For`` (the client address appended to any the client
sent), ``X-Forwarded-Port`` and ``X-Forwarded-Proto``, and a ``Host``; so the header
maps are never null, even for an HTTP/1.0 request without header lines. Query strings
are decoded as form data (``+`` is a space) in both query maps. The body is base64
only when the request's ``Content-Type`` is one of the API's binary media types
(``router.gateway.binary``); other bodies are UTF-8 text, bytes that aren't UTF-8
replaced, as API Gateway mangles them. ``LambdaContext`` mirrors the Python runtime's
context object. This module must not invoke handlers, do I/O or read the clock
itself: times and ids are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from router.arns import lambda_function_arn
from router.gateway.binary import accepts_binary, is_binary
from router.gateway.messages import GatewayRequest, Headers, first_header
from router.manifest.model import Manifest

__all__ = [
    "IDENTITY_KEYS",
    "REQUEST_CONTEXT_KEYS",
    "TOP_LEVEL_KEYS",
    "ApiInfo",
    "EventInput",
    "LambdaContext",
    "build_event",
    "request_time",
]

TOP_LEVEL_KEYS = (
    "resource", "path", "httpMethod", "headers", "multiValueHeaders", "queryStringParameters",
    "multiValueQueryStringParameters", "pathParameters", "stageVariables", "requestContext",
    "body", "isBase64Encoded",
)  # fmt: skip
REQUEST_CONTEXT_KEYS = (
    "accountId", "resourceId", "stage", "requestId", "extendedRequestId", "requestTime",
    "requestTimeEpoch", "identity", "path", "resourcePath", "httpMethod", "apiId", "protocol",
    "domainName", "domainPrefix",
)  # fmt: skip
IDENTITY_KEYS = (
    "cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey", "apiKeyId",
    "sourceIp", "principalOrgId", "accessKey", "cognitoAuthenticationType",
    "cognitoAuthenticationProvider", "userArn", "userAgent", "user",
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FORWARDED = ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto")
LOCAL_ACCOUNT_ID = "123456789012"  # AWS's documentation account id


@dataclass(frozen=True, slots=True)
class ApiInfo:
    """What the event says about the API: derived once per manifest snapshot."""

    stage: str
    api_id: str
    region: str
    account_id: str = LOCAL_ACCOUNT_ID
    binary_media_types: tuple[str, ...] = ()
    _function_arn_prefix: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # per snapshot, so function_arn is one concatenation
        prefix = lambda_function_arn(self.region, self.account_id, "")
        object.__setattr__(self, "_function_arn_prefix", prefix)

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> ApiInfo:
        api = manifest.api
        digest = hashlib.sha256(api.name.encode()).hexdigest()[:10]
        return cls(api.stage, digest, api.region, binary_media_types=tuple(api.binary_media_types))

    def binary_response(self, request: GatewayRequest) -> bool:
        """Whether a base64 result is decoded to bytes for this client (its ``Accept``)."""
        return accepts_binary(first_header(request.headers, "accept"), self.binary_media_types)

    def function_arn(self, name: str) -> str:
        return self._function_arn_prefix + name


@dataclass(frozen=True, slots=True)
class EventInput:
    """The matched request: the inputs ``build_event`` needs besides the raw request."""

    path: str
    query: str
    resource: str
    path_parameters: Mapping[str, str]
    request_id: str
    epoch_ms: int


def build_event(request: GatewayRequest, match: EventInput, api: ApiInfo) -> dict[str, Any]:
    """The proxy event of ``request`` (keys in the order of AWS's sample)."""
    headers, multi_headers = _headers(_forwarded(request))
    query, multi_query = _query(match.query)
    content_type = first_header(request.headers, "content-type")
    body, is_base64 = _body(request.body, is_binary(content_type, api.binary_media_types))
    return {
        "resource": match.resource,
        "path": match.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(match.path_parameters) or None,
        "stageVariables": None,
        "requestContext": _request_context(request, match, api),
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _forwarded(request: GatewayRequest) -> Headers:
    """The client's headers plus what API Gateway adds: Host, X-Forwarded-*."""
    host = first_header(request.headers, "host")
    pairs = [(n, v) for n, v in request.headers if n.lower() not in _FORWARDED]
    if host is None:
        host = "localhost"
        pairs.insert(0, ("Host", host))
    sent_for = [v for n, v in request.headers if n.lower() == "x-forwarded-for"]
    pairs.append(("X-Forwarded-For", ", ".join([*sent_for, request.source_ip])))
    pairs.append(("X-Forwarded-Port", _port(host, request.scheme)))
    pairs.append(("X-Forwarded-Proto", request.scheme))
    return pairs


def _port(host: str, scheme: str) -> str:
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and not name.endswith(":"):  # not a bare IPv6 address
        return port
    return "443" if scheme == "https" else "80"


def _headers(pairs: Headers) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``headers`` keeps the last value of a repeated header, ``multiValueHeaders`` all."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _query(raw: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Last value per key, and all values in order; both None without parameters."""
    multi: dict[str, list[str]] = {}
    for pair in raw.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            multi.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    if not multi:
        return None, None
    return {key: values[-1] for key, values in multi.items()}, multi


def _body(raw: bytes, binary: bool) -> tuple[str | None, bool]:
    """Base64 for a binary media type; else UTF-8 text (invalid bytes replaced)."""
    if not raw:
        return None, False
    if binary:
        return base64.b64encode(raw).decode("ascii"), True
    return raw.decode("utf-8", errors="replace"), False


def _request_context(request: GatewayRequest, match: EventInput, api: ApiInfo) -> dict[str, Any]:
    host = first_header(request.headers, "host") or "localhost"
    return {
        "accountId": api.account_id,
        "resourceId": hashlib.sha256(match.resource.encode()).hexdigest()[:6],
        "stage": api.stage,
        "requestId": match.request_id,
        "extendedRequestId": match.request_id,
        "requestTime": request_time(match.epoch_ms),
        "requestTimeEpoch": match.epoch_ms,
        "identity": _identity(request.source_ip, first_header(request.headers, "user-agent")),
        "path": f"/{api.stage}{match.path}",
        "resourcePath": match.resource,
        "httpMethod": request.method,
        "apiId": api.api_id,
        "protocol": request.protocol,
        "domainName": host,
        "domainPrefix": host.partition(".")[0],
    }


def _identity(source_ip: str, user_agent: str | None) -> dict[str, str | None]:
    identity: dict[str, str | None] = dict.fromkeys(IDENTITY_KEYS)
    identity["sourceIp"] = source_ip
    identity["userAgent"] = user_agent
    return identity


def request_time(epoch_ms: int) -> str:
    """``09/Apr/2015:12:34:56 +0000`` (locale-independent month names)."""
    t = time.gmtime(epoch_ms // 1000)
    month = _MONTHS[t.tm_mon - 1]
    return (
        f"{t.tm_mday:02d}/{month}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


class LambdaContext:
    """The context object a Python Lambda handler receives (runtime attribute names)."""

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(
        self,
        *,
        request_id: str,
        function_name: str,
        function_arn: str,
        memory_mb: int,
        deadline: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = str(memory_mb)  # a string, as the Python runtime gives it
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{request_id.replace('-', '')}"
        self._deadline = deadline
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the route's timeout (never negative)."""
        return max(0, int((self._deadline - self._clock()) * 1000))
