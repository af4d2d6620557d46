"""Map a Lambda proxy result to an HTTP response exactly as API Gateway (REST) does.

Accepted keys: ``statusCode`` (required: an integer, or a string of digits such as
``"201"``, which API Gateway accepts as AWS's own blueprints return it), ``headers``,
``multiValueHeaders``, ``body`` (string or null) and ``isBase64Encoded``. Anything else
is the "Malformed Lambda proxy response" API Gateway answers with 502: a result that
isn't an object, an unknown key (e.g. ``cookies``, ``statusDescription``: lamby#78,
micronaut-aws#12), a status that is not a number 100-599 (``"abc"``), a non-string body
(sam#1096), undecodable base64. Headers from both maps are merged; for a name in
``multiValueHeaders`` only its values are used (the developer guide: "If the same
key-value pair is specified in both, only the values from multiValueHeaders will
appear"). A result without ``Content-Type`` gets ``application/json``, as from API
Gateway.

Framing and hop headers are API Gateway's own, never the function's. The developer
guide ("Amazon API Gateway important notes", REST APIs: headers that "may be dropped,
remapped, or otherwise modified when sent to your integration endpoint or sent back by
your integration endpoint"; "Remapped means that the header name is changed from
<string> to X-Amzn-Remapped-<string>") lists ``Connection``, ``Content-Length``,
``Date`` and ``Server`` as remapped on integration responses and ``Transfer-Encoding``
as dropped; deployed APIs answer e.g. ``x-amzn-Remapped-Content-Length`` for a
function's own ``Content-Length``. So a handler's ``Content-Length`` (every WSGI
adapter sets one) can never duplicate the one the server writes.

A base64 body (``isBase64Encoded: true``) is decoded to bytes only when the client
accepts binary (``router.gateway.binary``); otherwise the base64 text is the body, as
API Gateway returns it. This module must not invoke handlers or log.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from router.gateway.binary import DEFAULT_MEDIA_TYPE
from router.gateway.messages import GatewayResponse, Headers

__all__ = ["ALLOWED_KEYS", "DROPPED", "REMAPPED", "MalformedResult", "map_result"]

ALLOWED_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
REMAPPED = frozenset({"connection", "content-length", "date", "server"})
DROPPED = frozenset({"transfer-encoding"})
REMAPPED_PREFIX = "x-amzn-Remapped-"


class MalformedResult(ValueError):
    """API Gateway's "Malformed Lambda proxy response" (-> 502)."""


def map_result(result: object, *, binary_response: bool = False) -> GatewayResponse:
    """The response for a handler's return value; MalformedResult names the problem.

    ``binary_response``: the client's ``Accept`` matches the API's binary media types.
    """
    if not isinstance(result, dict):
        raise MalformedResult(f"the result is a {type(result).__name__}, not an object")
    unknown = set(result) - ALLOWED_KEYS
    if unknown:
        raise MalformedResult(f"unknown keys in the result: {sorted(unknown)}")
    status = _status(result.get("statusCode"))
    headers = _merged_headers(result.get("headers"), result.get("multiValueHeaders"))
    body = _body(result.get("body"), result.get("isBase64Encoded"), binary_response)
    return GatewayResponse(status, _gateway_headers(headers), body)


def _status(value: object) -> int:
    number = value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not 100 <= number <= 599:
        raise MalformedResult(f"statusCode must be an integer 100-599, got {value!r}")
    return number


def _merged_headers(single: object, multi: object) -> Headers:
    singles = _mapping(single, "headers")
    multis = _mapping(multi, "multiValueHeaders")
    named = {name.lower() for name in multis}
    out: Headers = [(n, _text(v)) for n, v in singles.items() if n.lower() not in named]
    for name, values in multis.items():
        if not isinstance(values, list):
            raise MalformedResult(f"multiValueHeaders[{name!r}] must be a list")
        out.extend((name, _text(v)) for v in values)
    return out


def _gateway_headers(headers: Headers) -> Headers:
    """Remap and drop what API Gateway does; default ``Content-Type``."""
    out: Headers = []
    for name, value in headers:
        lower = name.lower()
        if lower in DROPPED:
            continue
        out.append((REMAPPED_PREFIX + name if lower in REMAPPED else name, value))
    if not any(name.lower() == "content-type" for name, _ in out):
        out.insert(0, ("Content-Type", DEFAULT_MEDIA_TYPE))
    return out


def _mapping(value: object, key: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise MalformedResult(f"{key} must be an object of header names")
    return value


def _text(value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float | bool):
        text = str(value).lower() if isinstance(value, bool) else str(value)
    else:
        raise MalformedResult(f"header value {value!r} is not a string")
    return text.replace("\r", " ").replace("\n", " ")  # no header injection


def _body(body: object, is_base64: object, binary_response: bool) -> bytes:
    if is_base64 is not None and not isinstance(is_base64, bool):
        raise MalformedResult(f"isBase64Encoded must be a boolean, got {is_base64!r}")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResult(f"body must be a string, got {type(body).__name__}")
    if not is_base64:
        return body.encode("utf-8")
    try:
        decoded = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedResult(f"body is not valid base64: {exc}") from exc
    return decoded if binary_response else body.encode("ascii")
